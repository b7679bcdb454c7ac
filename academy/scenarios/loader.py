"""Reading and validating a scenario YAML file (the format is in courses/README.md).

Pure: no Flask, no database. :func:`load_scenario` returns the :class:`Scenario` only when
the file has no problem at all, together with every problem found, each as
``file:line: message``.

How the graph checks decide (documented in courses/README.md too):

* **Conditions that can never hold** are found exactly: comparisons set a variable against
  a literal, so each variable only needs its bounds and each literal ±1 to take every truth
  value the condition can take (:func:`academy.scenarios.model.witness`).
* **Reachability** follows every choice and branch whose own condition can hold, whatever
  the variables' values on the way (a conservative over-approximation).
* **Loops with no way out** are groups of reachable nodes, strongly connected, from which
  no ending can be reached along any edge; as with reachability, conditions are not
  followed, so a loop whose exits need values it can never have is not caught here — the
  engine's ``max_steps`` then ends the run.
* **Nodes that may offer no choice**: the negation of "some choice's condition holds" is
  checked for satisfiability; a node needs an unconditional choice or conditions that
  together always hold. Likewise a choice's branches must together always lead somewhere.
"""

from __future__ import annotations

import re
from typing import Any

from academy.catalog.activities import N_
from academy.catalog.package import Problem, YDict, YList, load_yaml, problem
from academy.scenarios.model import (
    DIMENSIONS,
    OUTCOMES,
    SCORE_LIMIT,
    STEPS,
    Branch,
    Choice,
    Condition,
    ConditionError,
    Const,
    Effect,
    Ending,
    Node,
    Not,
    Or,
    Scenario,
    Variable,
    check_condition,
    satisfiable,
    witness,
)

__all__ = ["Problem", "load_scenario"]

_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"and", "or", "not", "true", "false"}
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|/)", re.IGNORECASE)
MAX_STEPS_LIMIT = 200
MAX_TEXT = 2000

_TOP_KEYS = ("id", "title", "start", "nodes", "endings")
_TOP_OPTIONAL = ("summary", "variables", "max_steps")
_VARIABLE_KEYS = ("type", "initial", "min", "max", "label")
_NODE_KEYS = ("id", "situation", "choices")
_NODE_OPTIONAL = ("citizen", "image")
_CHOICE_KEYS = ("id", "text")
_CHOICE_OPTIONAL = ("when", "step", "scores", "taboo", "feedback", "effects", "next", "branches")
_ENDING_KEYS = ("id", "title", "outcome")
_ENDING_OPTIONAL = ("text",)


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in sorted(values.items())
    )


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        # A choice that leads to an undefined place makes the graph checks misleading
        # (everything behind it looks unreachable), so they wait until it is fixed.
        self.unresolved_targets = False
        self.never_holds = False

    def add(self, line: int | None, msgid: str, **params: Any) -> None:
        self.problems.append(problem(self.file, line, msgid, **params))

    def keys(
        self, data: YDict, what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> None:
        for key in data:
            if key not in required and key not in optional:
                self.add(
                    data.key_lines.get(key, data.line),
                    N_("Unknown key %(key)s in %(what)s."),
                    key=key,
                    what=what,
                )
        for key in required:
            if key not in data:
                self.add(data.line, N_("%(what)s: the key %(key)s is missing."), what=what, key=key)

    def text(self, data: YDict, key: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(data.line_of(key), N_("%(key)s must be a non-empty text."), key=key)
            return ""
        if len(value) > MAX_TEXT:
            self.add(
                data.line_of(key),
                N_("%(key)s is longer than %(max)d characters."),
                key=key,
                max=MAX_TEXT,
            )
        return value.strip()

    def ident(self, data: YDict, what: str) -> str | None:
        value = data.get("id")
        if value is None:
            return None
        if not isinstance(value, str) or not _ID.match(value) or len(value) > 64:
            self.add(
                data.line_of("id"),
                N_("Bad %(what)s id %(id)s: use a–z, 0–9 and single - or _ between words."),
                what=what,
                id=value,
            )
            return None
        return value

    def mappings(self, data: YDict, key: str) -> list[YDict]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, YList):
            self.add(data.line_of(key), N_("%(key)s must be a list."), key=key)
            return []
        found = []
        for item, line in zip(value, value.item_lines, strict=True):
            if isinstance(item, YDict):
                found.append(item)
            else:
                self.add(line, N_("Each entry of %(key)s must be a mapping."), key=key)
        return found

    def condition(self, data: YDict, key: str, variables: dict[str, Variable]) -> Condition | None:
        source = data.get(key)
        line = data.line_of(key)
        if isinstance(source, bool):
            source = "true" if source else "false"
        if not isinstance(source, str):
            self.add(line, N_('%(key)s must be a condition such as "frustration >= 3".'), key=key)
            return None
        try:
            condition = Condition.parse(source)
        except ConditionError as exc:
            self.add(
                line, N_("Bad condition %(source)r: %(error)s."), source=source, error=str(exc)
            )
            return None
        errors = check_condition(condition.expr, variables)
        for error in errors:
            self.add(line, N_("Bad condition %(source)r: %(error)s."), source=source, error=error)
        if errors:
            return None
        if not satisfiable(condition.expr, variables):
            self.add(line, N_("The condition %(source)r can never hold."), source=source)
            self.never_holds = True
            return None
        return condition


def load_scenario(text: str, file: str) -> tuple[Scenario | None, list[Problem]]:
    """Parse and validate a scenario; the Scenario is None unless there is no problem."""
    document, problems = load_yaml(text.encode("utf-8"), file)
    reader = _Reader(file)
    reader.problems.extend(problems)
    if document is None and not problems:
        reader.add(1, N_("The file is empty."))
    if document is None:
        return None, reader.problems
    if not isinstance(document, YDict):
        reader.add(1, N_("A scenario file must be a mapping (id:, title:, nodes: …)."))
        return None, reader.problems
    scenario = _read(reader, document)
    if reader.problems:
        return None, reader.problems
    return scenario, []


def _read(reader: _Reader, doc: YDict) -> Scenario | None:
    reader.keys(doc, "the scenario", _TOP_KEYS, _TOP_OPTIONAL)
    scenario_id = reader.ident(doc, "scenario")
    title = reader.text(doc, "title")
    summary = reader.text(doc, "summary")
    max_steps = 40
    if "max_steps" in doc:
        value = doc["max_steps"]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_STEPS_LIMIT
        ):
            reader.add(
                doc.line_of("max_steps"), N_("max_steps must be 1–%(max)d."), max=MAX_STEPS_LIMIT
            )
        else:
            max_steps = value

    variables = _variables(reader, doc)

    ids: dict[str, int] = {}

    def claim(identifier: str | None, line: int) -> None:
        if identifier is None:
            return
        if identifier in ids:
            reader.add(
                line,
                N_("Duplicate id %(id)s (also at line %(first)d)."),
                id=identifier,
                first=ids[identifier],
            )
        else:
            ids[identifier] = line

    endings: dict[str, Ending] = {}
    ending_lines: dict[str, int] = {}
    for entry in reader.mappings(doc, "endings"):
        reader.keys(entry, "an ending", ("id", "title"), ("outcome", *_ENDING_OPTIONAL))
        ending_id = reader.ident(entry, "ending")
        claim(ending_id, entry.line_of("id"))
        outcome = entry.get("outcome")
        if outcome is None or (isinstance(outcome, str) and not outcome.strip()):
            reader.add(
                entry.line,
                N_("The ending %(id)s has no outcome (%(outcomes)s)."),
                id=ending_id or "?",
                outcomes=" | ".join(OUTCOMES),
            )
        elif outcome not in OUTCOMES:
            reader.add(
                entry.line_of("outcome"),
                N_("Unknown outcome %(outcome)s: use %(outcomes)s."),
                outcome=outcome,
                outcomes=" | ".join(OUTCOMES),
            )
        if ending_id and ending_id not in endings:
            endings[ending_id] = Ending(
                ending_id, str(outcome), reader.text(entry, "title"), reader.text(entry, "text")
            )
            ending_lines[ending_id] = entry.line

    raw_nodes = reader.mappings(doc, "nodes")
    node_ids = set()
    for entry in raw_nodes:
        if isinstance(entry.get("id"), str):
            node_ids.add(entry["id"])

    nodes: dict[str, Node] = {}
    node_lines: dict[str, int] = {}
    edges: dict[str, list[str]] = {}
    choice_lines: dict[str, int] = {}
    for entry in raw_nodes:
        reader.keys(entry, "a node", _NODE_KEYS, _NODE_OPTIONAL)
        node_id = reader.ident(entry, "node")
        claim(node_id, entry.line_of("id"))
        image = entry.get("image")
        if image is not None and (
            not isinstance(image, str) or _REMOTE.match(image) or ".." in image.split("/")
        ):
            reader.add(
                entry.line_of("image"),
                N_("image must be a relative path to a file of the course package."),
            )
            image = None
        choices = []
        targets: list[str] = []
        for choice_entry in reader.mappings(entry, "choices"):
            choice = _choice(reader, choice_entry, variables, node_ids, endings, targets)
            if choice is None:
                continue
            if choice.id in choice_lines:
                reader.add(
                    choice_entry.line_of("id"),
                    N_("Duplicate choice id %(id)s (also at line %(first)d)."),
                    id=choice.id,
                    first=choice_lines[choice.id],
                )
                continue
            choice_lines[choice.id] = choice_entry.line_of("id")
            choices.append(choice)
        if node_id is None or node_id in nodes:
            continue
        if not entry.get("choices"):
            reader.add(
                entry.line,
                N_("The node %(id)s has no choices: lead it on to a node or an ending."),
                id=node_id,
            )
        elif choices and all(c.when is not None for c in choices):
            gap = witness(Not(Or(tuple(c.when.expr for c in choices))), variables)
            if gap is not None:
                reader.add(
                    entry.key_lines["choices"],
                    N_(
                        "The node %(id)s may offer no choice (e.g. when %(values)s): add one "
                        "without a condition."
                    ),
                    id=node_id,
                    values=_fmt(gap),
                )
        nodes[node_id] = Node(
            node_id,
            reader.text(entry, "situation"),
            tuple(choices),
            reader.text(entry, "citizen"),
            image,
        )
        node_lines[node_id] = entry.line
        edges[node_id] = [t for t in targets if t in node_ids or t in endings]

    start = doc.get("start")
    if "start" in doc and start not in nodes:
        reader.add(doc.line_of("start"), N_("start %(id)s names no node."), id=start)
    elif start in nodes and not reader.unresolved_targets:
        _graph(reader, start, nodes, node_lines, edges, endings, ending_lines)

    if reader.problems or scenario_id is None:
        return None
    return Scenario(scenario_id, title, start, variables, nodes, endings, summary, max_steps)


def _variables(reader: _Reader, doc: YDict) -> dict[str, Variable]:
    variables: dict[str, Variable] = {}
    raw = doc.get("variables")
    if raw is None:
        return variables
    if not isinstance(raw, YDict):
        reader.add(
            doc.line_of("variables"),
            N_("variables must be a mapping: name → {type, initial, min, max}."),
        )
        return variables
    for name, spec in raw.items():
        line = raw.key_lines[name]
        if not isinstance(name, str) or not _VARIABLE.match(name) or name in _RESERVED:
            reader.add(line, N_("Bad variable name %(name)s."), name=name)
            continue
        if not isinstance(spec, YDict):
            reader.add(line, N_("The variable %(name)s must be a mapping."), name=name)
            continue
        reader.keys(spec, f"the variable {name}", ("type", "initial"), _VARIABLE_KEYS)
        kind, initial = spec.get("type"), spec.get("initial")
        label = spec.get("label") if isinstance(spec.get("label"), str) else ""
        if kind == "bool":
            if "min" in spec or "max" in spec:
                reader.add(
                    spec.line, N_("The variable %(name)s is true/false: no min/max."), name=name
                )
            if not isinstance(initial, bool):
                reader.add(
                    spec.line_of("initial"),
                    N_("The initial value of %(name)s must be true or false."),
                    name=name,
                )
                continue
            variables[name] = Variable(name, "bool", initial, 0, 1, label)
        elif kind == "int":
            low, high = spec.get("min"), spec.get("max")
            if any(isinstance(v, bool) or not isinstance(v, int) for v in (low, high)):
                reader.add(
                    spec.line, N_("The number %(name)s needs whole-number min and max."), name=name
                )
                continue
            if low > high:
                reader.add(
                    spec.line_of("min"),
                    N_("The variable %(name)s has min greater than max."),
                    name=name,
                )
                continue
            if (
                isinstance(initial, bool)
                or not isinstance(initial, int)
                or not low <= initial <= high
            ):
                reader.add(
                    spec.line_of("initial"),
                    N_(
                        "The initial value of %(name)s must be a whole number within %(low)d–"
                        "%(high)d."
                    ),
                    name=name,
                    low=low,
                    high=high,
                )
                continue
            variables[name] = Variable(name, "int", initial, low, high, label)
        else:
            reader.add(
                spec.line_of("type"),
                N_("The variable %(name)s must have type int or bool."),
                name=name,
            )
    return variables


def _choice(
    reader: _Reader,
    entry: YDict,
    variables: dict[str, Variable],
    node_ids: set[str],
    endings: dict[str, Ending],
    targets: list[str],
) -> Choice | None:
    reader.keys(entry, "a choice", _CHOICE_KEYS, _CHOICE_OPTIONAL)
    choice_id = reader.ident(entry, "choice")
    text = reader.text(entry, "text")
    reader.never_holds = False
    when = reader.condition(entry, "when", variables) if "when" in entry else None
    unsatisfiable = reader.never_holds

    step = entry.get("step")
    if step is not None and step not in STEPS:
        reader.add(
            entry.line_of("step"),
            N_("Unknown step %(step)s: use %(steps)s."),
            step=step,
            steps=" | ".join(STEPS),
        )
        step = None

    scores: dict[str, int] = {}
    raw_scores = entry.get("scores")
    if raw_scores is not None:
        if not isinstance(raw_scores, YDict):
            reader.add(entry.line_of("scores"), N_("scores must be a mapping: dimension → points."))
        else:
            for dimension, points in raw_scores.items():
                line = raw_scores.key_lines[dimension]
                if dimension not in DIMENSIONS:
                    reader.add(
                        line,
                        N_("Unknown dimension %(dimension)s: use %(dimensions)s."),
                        dimension=dimension,
                        dimensions=" | ".join(DIMENSIONS),
                    )
                elif (
                    isinstance(points, bool)
                    or not isinstance(points, int)
                    or not -SCORE_LIMIT <= points <= SCORE_LIMIT
                ):
                    reader.add(
                        line,
                        N_("Points must be whole numbers from %(low)d to %(high)d."),
                        low=-SCORE_LIMIT,
                        high=SCORE_LIMIT,
                    )
                else:
                    scores[dimension] = points

    taboo = entry.get("taboo", False)
    if not isinstance(taboo, bool):
        reader.add(entry.line_of("taboo"), N_("taboo must be true or false."))
        taboo = False

    effects = _effects(reader, entry, variables)
    branches = _branches(reader, entry, variables, node_ids, endings)
    if not unsatisfiable:
        targets.extend(b.target for b in branches)
    if choice_id is None:
        return None
    return Choice(
        choice_id,
        text,
        tuple(branches),
        when,
        step,
        scores,
        taboo,
        reader.text(entry, "feedback"),
        tuple(effects),
    )


def _effects(reader: _Reader, entry: YDict, variables: dict[str, Variable]) -> list[Effect]:
    raw = entry.get("effects")
    if raw is None:
        return []
    if not isinstance(raw, YDict):
        reader.add(
            entry.line_of("effects"),
            N_("effects must be a mapping such as {add: {frustration: 1}}."),
        )
        return []
    effects = []
    for op, changes in raw.items():
        line = raw.key_lines[op]
        if op not in ("set", "add", "clamp"):
            reader.add(line, N_("Unknown effect %(op)s: use set, add or clamp."), op=op)
            continue
        if not isinstance(changes, YDict):
            reader.add(line, N_("%(op)s needs a mapping: variable → value."), op=op)
            continue
        for name, value in changes.items():
            where = changes.key_lines[name]
            variable = variables.get(name)
            if variable is None:
                reader.add(
                    where,
                    N_("The effect %(op)s changes the undefined variable %(name)s."),
                    op=op,
                    name=name,
                )
                continue
            is_int = isinstance(value, int) and not isinstance(value, bool)
            if op == "set" and variable.type == "bool" and isinstance(value, bool):
                effects.append(Effect("set", name, value))
            elif op == "set" and variable.type == "int" and is_int:
                if not variable.min <= value <= variable.max:
                    reader.add(
                        where,
                        N_("%(value)s is outside %(name)s's range %(low)d–%(high)d."),
                        value=value,
                        name=name,
                        low=variable.min,
                        high=variable.max,
                    )
                effects.append(Effect("set", name, value))
            elif op == "add" and variable.type == "int" and is_int:
                effects.append(Effect("add", name, value))
            elif (
                op == "clamp"
                and variable.type == "int"
                and isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                and value[0] <= value[1]
            ):
                effects.append(Effect("clamp", name, 0, value[0], value[1]))
            else:
                reader.add(
                    where,
                    N_(
                        "The effect %(op)s does not fit %(name)s (%(type)s): set takes a value of "
                        "its type, add a whole number, clamp [low, high]."
                    ),
                    op=op,
                    name=name,
                    type=variable.type,
                )
    return effects


def _branches(
    reader: _Reader,
    entry: YDict,
    variables: dict[str, Variable],
    node_ids: set[str],
    endings: dict[str, Ending],
) -> list[Branch]:
    def target(data: YDict, key: str) -> str | None:
        value = data.get(key)
        if (
            value is None
            or not isinstance(value, str)
            or (value not in node_ids and value not in endings)
        ):
            reader.unresolved_targets = True
        if value is None:
            reader.add(data.line, N_("The choice leads nowhere: give next: a node or ending."))
            return None
        if not isinstance(value, str) or (value not in node_ids and value not in endings):
            reader.add(
                data.line_of(key),
                N_("The choice leads nowhere: %(id)s is no node or ending."),
                id=value,
            )
            return None
        return value

    has_next, has_branches = "next" in entry, "branches" in entry
    if has_next == has_branches:
        reader.unresolved_targets = True
        reader.add(
            entry.line,
            N_("The choice leads nowhere: give either next: or branches: (one of them)."),
        )
        return []
    if has_next:
        found = target(entry, "next")
        return [Branch(found)] if found else []

    branches: list[Branch] = []
    conditions = []
    unconditional_seen = False
    for item in reader.mappings(entry, "branches"):
        reader.keys(item, "a branch", ("next",), ("when",))
        when = None
        if "when" in item:
            reader.never_holds = False
            when = reader.condition(item, "when", variables)
            if when is None:
                if reader.never_holds:
                    continue
                when = Condition("true", Const(True))  # already reported; keep the edge
            if unconditional_seen:
                reader.add(
                    item.line_of("when"),
                    N_("This branch is never taken: a branch without a condition comes first."),
                )
            conditions.append(when.expr)
        else:
            unconditional_seen = True
        found = target(item, "next")
        if found:
            branches.append(Branch(found, when))
    if not unconditional_seen and conditions:
        gap = witness(Not(Or(tuple(conditions))), variables)
        if gap is not None:
            reader.add(
                entry.key_lines["branches"],
                N_(
                    "The branches may all fail (e.g. when %(values)s): end with one without a "
                    "condition."
                ),
                values=_fmt(gap),
            )
    if not entry.get("branches"):
        reader.unresolved_targets = True
        reader.add(entry.line_of("branches"), N_("The choice leads nowhere: no branches."))
    return branches


def _graph(
    reader: _Reader,
    start: str,
    nodes: dict[str, Node],
    node_lines: dict[str, int],
    edges: dict[str, list[str]],
    endings: dict[str, Ending],
    ending_lines: dict[str, int],
) -> None:
    reached = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), []):
            if target not in reached:
                reached.add(target)
                if target in nodes:
                    todo.append(target)
    for node_id, line in node_lines.items():
        if node_id not in reached:
            reader.add(line, N_("The node %(id)s is unreachable from the start."), id=node_id)
    for ending_id, line in ending_lines.items():
        if ending_id not in reached:
            reader.add(line, N_("The ending %(id)s is unreachable from the start."), id=ending_id)

    # Nodes that can reach an ending, walking edges backwards from the endings.
    incoming: dict[str, list[str]] = {}
    for source, targets in edges.items():
        for target in targets:
            incoming.setdefault(target, []).append(source)
    escapes = set()
    todo = list(endings)
    while todo:
        for source in incoming.get(todo.pop(), []):
            if source not in escapes:
                escapes.add(source)
                todo.append(source)
    trapped = {n for n in reached if n in nodes and n not in escapes and edges.get(n)}
    for group in _closed_groups(trapped, edges):
        first = min(group, key=lambda n: node_lines[n])
        reader.add(
            node_lines[first],
            N_("Loop with no way out: %(nodes)s never reach an ending."),
            nodes=" → ".join(sorted(group, key=lambda n: node_lines[n])),
        )


def _closed_groups(trapped: set[str], edges: dict[str, list[str]]) -> list[set[str]]:
    """The strongly connected groups of ``trapped`` with no edge out to another group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan; scenarios are small, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, []):
            if target not in trapped:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    for node in sorted(trapped):
        if node not in index:
            visit(node)
    # A loop: several nodes, or one that leads back to itself (a lone node that only leads
    # to dead ends is reported as those dead ends).
    return [
        g
        for g in groups
        if all(t in g for n in g for t in edges.get(n, []) if t in trapped)
        and (len(g) > 1 or any(n in edges.get(n, []) for n in g))
    ]
