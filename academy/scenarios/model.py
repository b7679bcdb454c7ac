"""Scenarios as plain data, and the tiny condition language their choices use.

Pure: no Flask, no database. A :class:`Scenario` is built by :mod:`academy.scenarios.loader`
and run by :mod:`academy.scenarios.engine`.

Conditions are parsed here by a small recursive-descent parser into an AST; nothing is
ever ``eval``-ed. The grammar (keywords are lower case)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := atom (("==" | "!=" | "<" | "<=" | ">" | ">=") atom)?
    atom       := NAME | INTEGER | "true" | "false" | "(" expr ")"

A comparison sets a variable against a literal (either side); a bare name must be a
``bool`` variable. Keeping comparisons to *variable vs. literal* is what makes
:func:`satisfiable` exact and cheap (see there).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Union

# ---------------------------------------------------------------- steps and dimensions

#: The standard reception steps, in the order they must happen (DOMAIN.md §2).
STEPS: tuple[str, ...] = ("greeting", "welcome", "explanation", "closing")
STEP_LABELS = {
    "greeting": "微笑问候",
    "welcome": "迎接语",
    "explanation": "业务讲解",
    "closing": "结束语",
}

#: What a choice is scored on: the four steps, then 一次性告知, patience and 首问负责.
DIMENSIONS: tuple[str, ...] = (*STEPS, "notification", "patience", "handover")
DIMENSION_LABELS = {
    **STEP_LABELS,
    "notification": "一次性告知",
    "patience": "耐心与情绪控制",
    "handover": "首问负责",
}

#: How good a choice is on one dimension: -SCORE_LIMIT … SCORE_LIMIT.
SCORE_LIMIT = 10

#: Endings say how the visit ended.
OUTCOMES: tuple[str, ...] = ("success", "partial", "failure")

#: 服务禁忌用语 (DOMAIN.md §2), as matched against the clerk's words with punctuation and
#: spaces removed ("我要下班了，明天再来" is caught by "下班了明天再来").
TABOO_PHRASES: tuple[str, ...] = (
    "不知道",
    "我不管",
    "不归我管",
    "你问我我问谁",
    "服务指南上有自己看",
    "我刚才已经说过了",
    "急什么",
    "有意见找领导去",
    "你去投诉好了",
    "网络坏了我有什么办法",
    "下班了明天再来",
)

_NOT_WORDS = re.compile(r"[\W_]+", re.UNICODE)


def taboo_phrases_in(text: str) -> list[str]:
    """The taboo phrases ``text`` contains, ignoring punctuation and spaces, and the polite
    or plural forms that hide them (您 for 你, 我们 for 我: 您去投诉好了, 不归我们管)."""
    squeezed = _NOT_WORDS.sub("", text).replace("您", "你").replace("我们", "我")
    return [phrase for phrase in TABOO_PHRASES if phrase in squeezed]


# ---------------------------------------------------------------- conditions


class ConditionError(ValueError):
    """A condition that does not parse, or does not fit the scenario's variables."""


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Const:
    value: int | bool


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Var | Const
    right: Var | Const


Expr = Union[Var, Const, Not, And, Or, Compare]  # noqa: UP007 - a runtime alias

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|<|>|\(|\)))"
)
_KEYWORDS = {"and", "or", "not", "true", "false"}
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


def _tokens(source: str) -> list[str]:
    tokens, pos = [], 0
    source = source.rstrip()
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match:
            bad = source[pos:].strip()[:10]
            raise ConditionError(f"unexpected '{bad}'")
        tokens.append(match.group(match.lastgroup))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str):
        self.tokens = _tokens(source)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ConditionError("unexpected end of the condition")
        self.pos += 1
        return token

    def parse(self) -> Expr:
        if not self.tokens:
            raise ConditionError("the condition is empty")
        expr = self.or_expr()
        if self.peek() is not None:
            raise ConditionError(f"unexpected '{self.peek()}'")
        return expr

    def or_expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.peek() == "or":
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Expr:
        operands = [self.not_expr()]
        while self.peek() == "and":
            self.take()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Expr:
        if self.peek() == "not":
            self.take()
            return Not(self.not_expr())
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.atom()
        if self.peek() in _COMPARISONS:
            op = self.take()
            right = self.atom()
            if not isinstance(left, Var | Const) or not isinstance(right, Var | Const):
                raise ConditionError(f"'{op}' compares a variable with a number or true/false")
            return Compare(op, left, right)
        return left

    def atom(self) -> Expr:
        word = self.take()
        if word == "(":
            expr = self.or_expr()
            if self.peek() != ")":
                raise ConditionError("')' expected")
            self.take()
            return expr
        if word in ("true", "false"):
            return Const(word == "true")
        if word in _KEYWORDS or word in _COMPARISONS or word == ")":
            raise ConditionError(f"unexpected '{word}'")
        if word.lstrip("-").isdigit():
            return Const(int(word))
        return Var(word)


def parse_condition(source: str) -> Expr:
    """Parse a condition such as ``frustration >= 3 and not materials_listed``."""
    return _Parser(source).parse()


def variables_in(expr: Expr) -> set[str]:
    """The names of the variables ``expr`` reads."""
    match expr:
        case Var(name):
            return {name}
        case Const():
            return set()
        case Not(operand):
            return variables_in(operand)
        case And(operands) | Or(operands):
            return set().union(*(variables_in(o) for o in operands))
        case Compare(_, left, right):
            return variables_in(left) | variables_in(right)
    raise TypeError(expr)  # pragma: no cover


def check_condition(expr: Expr, variables: Mapping[str, Variable]) -> list[str]:
    """What is wrong with ``expr`` against the declared ``variables`` (empty: nothing)."""
    errors: list[str] = []

    def boolean(node: Expr) -> None:
        match node:
            case Var(name):
                if name not in variables:
                    errors.append(f"undefined variable '{name}'")
                elif variables[name].type != "bool":
                    errors.append(f"'{name}' is a number: compare it, e.g. '{name} > 0'")
            case Const(value):
                if not isinstance(value, bool):
                    errors.append(f"'{value}' is a number, not a condition")
            case Not(operand):
                boolean(operand)
            case And(operands) | Or(operands):
                for operand in operands:
                    boolean(operand)
            case Compare(op, left, right):
                compare(op, left, right)

    def compare(op: str, left: Var | Const, right: Var | Const) -> None:
        if isinstance(left, Const) and isinstance(right, Var):
            left, right = right, left
        if not (isinstance(left, Var) and isinstance(right, Const)):
            errors.append(f"'{op}' must compare a variable with a number or true/false")
            return
        if left.name not in variables:
            errors.append(f"undefined variable '{left.name}'")
            return
        kind = variables[left.name].type
        if kind == "bool" and (op not in ("==", "!=") or not isinstance(right.value, bool)):
            errors.append(f"'{left.name}' is true/false: use it as is, or with == / !=")
        elif kind == "int" and isinstance(right.value, bool):
            errors.append(f"'{left.name}' is a number: compare it with a number")

    boolean(expr)
    return errors


def _compare(op: str, a: int | bool, b: int | bool) -> bool:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def evaluate(expr: Expr, values: Mapping[str, int | bool]) -> bool | int:
    """The value of ``expr`` for the given variable values."""
    match expr:
        case Var(name):
            return values[name]
        case Const(value):
            return value
        case Not(operand):
            return not evaluate(operand, values)
        case And(operands):
            return all(evaluate(o, values) for o in operands)
        case Or(operands):
            return any(evaluate(o, values) for o in operands)
        case Compare(op, left, right):
            return _compare(op, evaluate(left, values), evaluate(right, values))
    raise TypeError(expr)  # pragma: no cover


def _constants_of(expr: Expr, name: str) -> set[int]:
    match expr:
        case Not(operand):
            return _constants_of(operand, name)
        case And(operands) | Or(operands):
            return set().union(*(_constants_of(o, name) for o in operands))
        case Compare(_, Var(n), Const(value)) | Compare(_, Const(value), Var(n)) if n == name:
            return {int(value)}
    return set()


def representative_values(expr: Expr, variable: Variable) -> list[int | bool]:
    """Values of ``variable`` that between them give ``expr`` every truth value it can take.

    A comparison of an int with a literal ``c`` only changes its truth at ``c``, so the
    bounds plus ``c - 1``, ``c`` and ``c + 1`` (inside the bounds) stand for the whole range.
    """
    if variable.type == "bool":
        return [False, True]
    points = {variable.min, variable.max}
    for c in _constants_of(expr, variable.name):
        points.update(v for v in (c - 1, c, c + 1) if variable.min <= v <= variable.max)
    return sorted(points)


def witness(expr: Expr, variables: Mapping[str, Variable]) -> dict[str, int | bool] | None:
    """Values of ``expr``'s variables (within their ranges) that make it hold, or None.

    Exact: every variable ranges over its :func:`representative_values`, so this tries a
    handful of combinations instead of the whole (finite) domain.
    """
    names = sorted(variables_in(expr))
    domains = [representative_values(expr, variables[n]) for n in names]
    for combination in itertools.product(*domains):
        values = dict(zip(names, combination, strict=True))
        if evaluate(expr, values):
            return values
    return None


def satisfiable(expr: Expr, variables: Mapping[str, Variable]) -> bool:
    """Whether some values of the variables, within their ranges, make ``expr`` hold."""
    return witness(expr, variables) is not None


# ---------------------------------------------------------------- the scenario


@dataclass(frozen=True)
class Variable:
    """A scenario variable: ``int`` (always bounded by ``min``/``max``) or ``bool``."""

    name: str
    type: str  # "int" | "bool"
    initial: int | bool
    min: int = 0
    max: int = 1
    label: str = ""

    def clamp(self, value: int | bool) -> int | bool:
        if self.type == "bool":
            return bool(value)
        return max(self.min, min(self.max, int(value)))


@dataclass(frozen=True)
class Effect:
    """One change a choice makes: ``set`` a value, ``add`` to an int, or ``clamp`` an int
    into ``[low, high]``. Every result is also clamped to the variable's own range.
    """

    op: str  # "set" | "add" | "clamp"
    variable: str
    value: int | bool = 0
    low: int = 0
    high: int = 0

    def apply(self, values: dict[str, int | bool], variable: Variable) -> None:
        current = values[self.variable]
        if self.op == "set":
            result = self.value
        elif self.op == "add":
            result = int(current) + int(self.value)
        else:
            result = max(self.low, min(self.high, int(current)))
        values[self.variable] = variable.clamp(result)


@dataclass(frozen=True)
class Condition:
    """A parsed condition with its source text."""

    source: str
    expr: Expr

    def holds(self, values: Mapping[str, int | bool]) -> bool:
        return bool(evaluate(self.expr, values))

    @classmethod
    def parse(cls, source: str) -> Condition:
        return cls(source, parse_condition(source))


@dataclass(frozen=True)
class Branch:
    """Where a choice leads when ``when`` holds (None: always); the first that holds wins."""

    target: str
    when: Condition | None = None


@dataclass(frozen=True)
class Choice:
    """What the clerk says or does at a node."""

    id: str
    text: str
    branches: tuple[Branch, ...]
    when: Condition | None = None
    step: str | None = None  # one of STEPS, or None for a choice that is no reception step
    scores: Mapping[str, int] = field(default_factory=dict)
    taboo: bool = False  # tagged by the author; phrases in ``text`` are found as well
    feedback: str = ""
    effects: tuple[Effect, ...] = ()

    @property
    def taboo_phrases(self) -> list[str]:
        return taboo_phrases_in(self.text)

    @property
    def is_taboo(self) -> bool:
        return self.taboo or bool(self.taboo_phrases)

    @property
    def value(self) -> int:
        """How good the choice is overall: its scores summed, a taboo costing TABOO_VALUE."""
        return sum(self.scores.values()) - (TABOO_VALUE if self.is_taboo else 0)


#: What a taboo phrase costs a choice when choices are ranked against each other.
TABOO_VALUE = SCORE_LIMIT


@dataclass(frozen=True)
class Node:
    """A situation: what is happening, what the citizen says or does, and the choices."""

    id: str
    situation: str
    choices: tuple[Choice, ...]
    citizen: str = ""
    image: str | None = None


@dataclass(frozen=True)
class Ending:
    """How a visit ends; ``outcome`` is one of OUTCOMES."""

    id: str
    outcome: str
    title: str
    text: str = ""


@dataclass(frozen=True)
class Scenario:
    """A branching role-play: variables, nodes (the first one given by ``start``), endings."""

    id: str
    title: str
    start: str
    variables: Mapping[str, Variable]
    nodes: Mapping[str, Node]
    endings: Mapping[str, Ending]
    summary: str = ""
    max_steps: int = 40

    def choice(self, choice_id: str) -> tuple[Node, Choice]:
        """The node holding ``choice_id`` and the choice; KeyError if there is none."""
        for node in self.nodes.values():
            for choice in node.choices:
                if choice.id == choice_id:
                    return node, choice
        raise KeyError(choice_id)

    def all_choices(self) -> Iterable[tuple[Node, Choice]]:
        for node in self.nodes.values():
            for choice in node.choices:
                yield node, choice
