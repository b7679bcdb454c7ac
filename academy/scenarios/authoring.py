"""Editing a scenario in the browser: operations on its definition, and where problems are.

A stored scenario is plain data (``ScenarioDef.definition``, the YAML file as JSON). Every
edit here takes a definition and returns a new one (the input is never changed); the
caller then checks the result as a whole with the loader (``services.save_definition``)
and stores it only when nothing is wrong. So an edit may well produce a broken scenario —
a dangling ``next``, an unreachable node — and the loader says what is wrong.

The loader reports problems as ``file:line`` of the YAML that ``dump_yaml`` writes for the
definition; :func:`locate` maps those lines back to the variable, node, choice or ending
they belong to, which is what a browser user can act on.

Choices are edited with two small line formats (one entry per line), shown in the forms:

* effects: ``add frustration -1`` · ``set materials_listed true`` · ``clamp minutes 0 60``
* branches: ``angry when frustration >= 4`` … and last ``need`` (no condition)

No Flask request and no database here: messages come translated through Flask-Babel.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from academy.catalog.package import Problem, YDict, YList, dump_yaml, load_yaml
from academy.errors import ValidationFailed
from academy.scenarios.model import Scenario, Variable

ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
ID_MAX = 64
TOP_ORDER = ("id", "title", "summary", "start", "max_steps", "variables", "nodes", "endings")
NODE_ORDER = ("id", "situation", "citizen", "image", "choices")
CHOICE_ORDER = ("id", "text", "step", "scores", "when", "effects", "feedback", "taboo", "next",
                "branches")
ENDING_ORDER = ("id", "outcome", "title", "text")
EFFECT_OPS = ("set", "add", "clamp")


class EditError(ValidationFailed):
    """An edit that cannot even be written down (a bad line, an unknown node, …)."""

    code = "scenario_edit_invalid"


# ---------------------------------------------------------------- small helpers


def _ordered(data: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """``data`` with the keys of ``order`` first, in that order, then any others."""
    out = {key: data[key] for key in order if key in data}
    out.update((key, value) for key, value in data.items() if key not in out)
    return out


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key``, or drop it when ``value`` is empty (None, "" or an empty collection)."""
    if value is None or value == "" or value == [] or value == {}:
        data.pop(key, None)
    else:
        data[key] = value


def clean_text(value: str | None) -> str:
    """Text from a browser form: Windows line ends made plain, outer spaces removed."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _nodes(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    nodes = definition.get("nodes")
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _endings(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    endings = definition.get("endings")
    return [e for e in endings if isinstance(e, dict)] if isinstance(endings, list) else []


def _choices(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    choices = node.get("choices")
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


def node_ids(definition: Mapping[str, Any]) -> list[str]:
    """The ids of the definition's nodes, in file order."""
    return [n["id"] for n in _nodes(definition) if isinstance(n.get("id"), str)]


def ending_ids(definition: Mapping[str, Any]) -> list[str]:
    """The ids of the definition's endings, in file order."""
    return [e["id"] for e in _endings(definition) if isinstance(e.get("id"), str)]


def choice_ids(definition: Mapping[str, Any]) -> set[str]:
    """Every choice id of the definition."""
    return {c["id"] for n in _nodes(definition) for c in _choices(n)
            if isinstance(c.get("id"), str)}


def linkable_choices(definition: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(node id, choice id, text) of the choices with a plain ``next:`` (re-pointable)."""
    return [(n.get("id"), c.get("id"), str(c.get("text") or ""))
            for n in _nodes(definition) for c in _choices(n)
            if "next" in c and "branches" not in c]


def _find(items: Iterable[dict[str, Any]], identifier: str) -> dict[str, Any] | None:
    return next((item for item in items if item.get("id") == identifier), None)


def _check_new_id(definition: Mapping[str, Any], identifier: str) -> str:
    identifier = (identifier or "").strip()
    if not ID_RE.match(identifier) or len(identifier) > ID_MAX:
        msg = _("Use a–z, 0–9 and single - or _ between words (at most %(n)d).", n=ID_MAX)
        raise EditError(msg, {"id": [msg]})
    if identifier in node_ids(definition) or identifier in ending_ids(definition):
        msg = _("A node or ending already has the id %(id)s.", id=identifier)
        raise EditError(msg, {"id": [msg]})
    return identifier


def free_choice_id(node_id: str, taken: set[str]) -> str:
    """``<node>-1``, ``<node>-2``, … whichever is free (kept within the id length)."""
    n = 1
    while True:
        suffix = f"-{n}"
        candidate = node_id[:ID_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _retarget(definition: dict[str, Any], old: str, new: str | None) -> None:
    """Point every ``next`` naming ``old`` at ``new`` (None: leave them dangling)."""
    if not new:
        return
    for node in _nodes(definition):
        for choice in _choices(node):
            if choice.get("next") == old:
                choice["next"] = new
            for branch in choice.get("branches") or []:
                if isinstance(branch, dict) and branch.get("next") == old:
                    branch["next"] = new


def _link(definition: dict[str, Any], choice_id: str | None, target: str) -> None:
    """Make the choice ``choice_id`` (one with a plain ``next``) lead to ``target``."""
    if not choice_id:
        return
    for node in _nodes(definition):
        for choice in _choices(node):
            if choice.get("id") == choice_id:
                if "branches" in choice:
                    msg = _("The choice %(id)s has branches: edit them to lead here.",
                            id=choice_id)
                    raise EditError(msg, {"link_from": [msg]})
                choice["next"] = target
                return
    msg = _("There is no choice %(id)s.", id=choice_id)
    raise EditError(msg, {"link_from": [msg]})


def normalized(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy with the keys in the order the README shows them."""
    data = _ordered(copy.deepcopy(dict(definition)), TOP_ORDER)
    if isinstance(data.get("nodes"), list):
        data["nodes"] = [_normal_node(n) if isinstance(n, dict) else n for n in data["nodes"]]
    if isinstance(data.get("endings"), list):
        data["endings"] = [_ordered(e, ENDING_ORDER) if isinstance(e, dict) else e
                           for e in data["endings"]]
    return data


def _normal_node(node: dict[str, Any]) -> dict[str, Any]:
    node = _ordered(node, NODE_ORDER)
    if isinstance(node.get("choices"), list):
        node["choices"] = [_ordered(c, CHOICE_ORDER) if isinstance(c, dict) else c
                           for c in node["choices"]]
    return node


# ---------------------------------------------------------------- the line formats


def effects_to_lines(effects: Any) -> str:
    """A choice's ``effects`` mapping as the lines the form shows."""
    lines = []
    if isinstance(effects, dict):
        for op, changes in effects.items():
            if not isinstance(changes, dict):
                continue
            for name, value in changes.items():
                if op == "clamp" and isinstance(value, list):
                    lines.append(f"clamp {name} {' '.join(str(v) for v in value)}")
                elif isinstance(value, bool):
                    lines.append(f"{op} {name} {'true' if value else 'false'}")
                else:
                    lines.append(f"{op} {name} {value}")
    return "\n".join(lines)


def _number(word: str) -> int | None:
    return int(word) if re.fullmatch(r"[+-]?\d{1,9}", word) else None


def parse_effect_lines(text: str | None) -> dict[str, dict[str, Any]]:
    """Effect lines → the ``effects`` mapping (ops in the order first written)."""
    effects: dict[str, dict[str, Any]] = {}
    for number, raw in enumerate(clean_text(text).split("\n"), start=1):
        words = raw.split()
        if not words:
            continue
        op = words[0].lower()
        wrong = _("Line %(n)d: write “add name 1”, “set name true” or “clamp name 0 5”.",
                  n=number)
        if op not in EFFECT_OPS or len(words) < 3:
            raise EditError(wrong)
        name, values = words[1], words[2:]
        if op == "clamp":
            low, high = (_number(v) for v in values) if len(values) == 2 else (None, None)
            if low is None or high is None:
                raise EditError(wrong)
            value: Any = [low, high]
        elif len(values) != 1:
            raise EditError(wrong)
        elif op == "set" and values[0].lower() in ("true", "false"):
            value = values[0].lower() == "true"
        elif _number(values[0]) is not None:
            value = _number(values[0])
        else:
            raise EditError(wrong)
        changes = effects.setdefault(op, {})
        if name in changes:
            raise EditError(_("Line %(n)d: %(op)s %(name)s is already given.", n=number, op=op,
                              name=name))
        changes[name] = value
    return effects


def branches_to_lines(branches: Any) -> str:
    """A choice's ``branches`` list as the lines the form shows."""
    lines = []
    for branch in branches if isinstance(branches, list) else []:
        if not isinstance(branch, dict):
            continue
        when = branch.get("when")
        if isinstance(when, bool):
            when = "true" if when else "false"
        target = branch.get("next", "")
        lines.append(f"{target} when {when}" if when is not None else str(target))
    return "\n".join(lines)


def parse_branch_lines(text: str | None) -> list[dict[str, Any]]:
    """Branch lines (``target when condition``, or just ``target``) → ``branches``."""
    branches = []
    for number, raw in enumerate(clean_text(text).split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        target, _sep, condition = line.partition(" when ")
        target, condition = target.strip(), condition.strip()
        if not target or " " in target or (_sep and not condition):
            raise EditError(_("Line %(n)d: write “node when condition”, or just “node” for "
                              "the last one.", n=number))
        branches.append({"when": condition, "next": target} if condition else {"next": target})
    return branches


# ---------------------------------------------------------------- choices and nodes


@dataclass(frozen=True)
class ChoiceEdit:
    """A choice as a form gives it (blank strings for what is not set)."""

    id: str
    text: str
    step: str = ""
    scores: Mapping[str, int] | None = None
    when: str = ""
    effects: str = ""
    feedback: str = ""
    taboo: bool = False
    next: str = ""
    branches: str = ""

    @property
    def blank(self) -> bool:
        """An empty row (the form's spare one): nothing to add."""
        return not (self.id.strip() or clean_text(self.text) or clean_text(self.feedback)
                    or self.when.strip() or clean_text(self.effects)
                    or clean_text(self.branches))

    def as_dict(self, choice_id: str) -> dict[str, Any]:
        """The choice as the definition stores it (empty keys left out)."""
        data: dict[str, Any] = {"id": choice_id, "text": clean_text(self.text)}
        _put(data, "step", self.step.strip() or None)
        _put(data, "scores", {k: v for k, v in (self.scores or {}).items() if v is not None})
        _put(data, "when", self.when.strip() or None)
        _put(data, "effects", parse_effect_lines(self.effects))
        _put(data, "feedback", clean_text(self.feedback) or None)
        if self.taboo:
            data["taboo"] = True
        branches = parse_branch_lines(self.branches)
        if len(branches) == 1 and "when" not in branches[0]:
            data["next"] = branches[0]["next"]
        elif branches:
            data["branches"] = branches
        elif self.next.strip():
            data["next"] = self.next.strip()
        return data


def choice_edit(choice: Mapping[str, Any]) -> ChoiceEdit:
    """A stored choice as the form shows it."""
    when = choice.get("when")
    if isinstance(when, bool):
        when = "true" if when else "false"
    scores = choice.get("scores") if isinstance(choice.get("scores"), dict) else {}
    return ChoiceEdit(
        id=str(choice.get("id") or ""), text=str(choice.get("text") or ""),
        step=str(choice.get("step") or ""), scores=dict(scores), when=str(when or ""),
        effects=effects_to_lines(choice.get("effects")),
        feedback=str(choice.get("feedback") or ""), taboo=choice.get("taboo") is True,
        next=str(choice.get("next") or "") if "branches" not in choice else "",
        branches=branches_to_lines(choice.get("branches")))


def update_node(definition: Mapping[str, Any], node_id: str, *, situation: str,
                citizen: str | None, choices: Sequence[ChoiceEdit]) -> dict[str, Any]:
    """The definition with the node's texts and choices replaced.

    Blank rows are skipped; a choice without an id gets ``<node>-N``. The node's image
    (a file of the course package) is kept as it is.
    """
    data = normalized(definition)
    node = _find(_nodes(data), node_id)
    if node is None:
        raise EditError(_("There is no node %(id)s.", id=node_id))
    taken = {c for c in choice_ids(data) if c not in {x.get("id") for x in _choices(node)}}
    taken |= {c.id.strip() for c in choices if c.id.strip()}
    built = []
    for choice in choices:
        if choice.blank:
            continue
        identifier = choice.id.strip()
        if not identifier:
            identifier = free_choice_id(node_id, taken)
            taken.add(identifier)
        built.append(choice.as_dict(identifier))
    node["situation"] = clean_text(situation)
    _put(node, "citizen", clean_text(citizen) or None)
    node["choices"] = built
    return normalized(data)


def add_node(definition: Mapping[str, Any], *, node_id: str, situation: str,
             citizen: str | None, choice_text: str, choice_next: str,
             link_from: str | None) -> dict[str, Any]:
    """The definition with a new node (and its first choice) after the others.

    ``link_from`` names a choice (with a plain ``next``) that is to lead to the new node,
    so that it can be reached at all.
    """
    data = normalized(definition)
    node_id = _check_new_id(data, node_id)
    first_choice = {"id": free_choice_id(node_id, choice_ids(data)),
                    "text": clean_text(choice_text), "next": (choice_next or "").strip()}
    node: dict[str, Any] = {"id": node_id, "situation": clean_text(situation)}
    _put(node, "citizen", clean_text(citizen) or None)
    node["choices"] = [first_choice]
    data.setdefault("nodes", []).append(node)
    _link(data, link_from, node_id)
    return normalized(data)


def delete_node(definition: Mapping[str, Any], node_id: str, *,
                redirect: str | None) -> dict[str, Any]:
    """The definition without the node; choices that led to it lead to ``redirect``."""
    data = normalized(definition)
    if _find(_nodes(data), node_id) is None:
        raise EditError(_("There is no node %(id)s.", id=node_id))
    if data.get("start") == node_id:
        msg = _("The scenario starts here: choose another start node before deleting it.")
        raise EditError(msg, {"redirect": [msg]})
    if redirect == node_id:
        redirect = None
    data["nodes"] = [n for n in _nodes(data) if n.get("id") != node_id]
    _retarget(data, node_id, redirect)
    return normalized(data)


# ---------------------------------------------------------------- endings


def update_ending(definition: Mapping[str, Any], ending_id: str, *, title: str,
                  outcome: str, text: str | None) -> dict[str, Any]:
    """The definition with the ending's title, outcome and text replaced."""
    data = normalized(definition)
    ending = _find(_endings(data), ending_id)
    if ending is None:
        raise EditError(_("There is no ending %(id)s.", id=ending_id))
    ending["title"] = clean_text(title)
    ending["outcome"] = (outcome or "").strip()
    _put(ending, "text", clean_text(text) or None)
    return normalized(data)


def add_ending(definition: Mapping[str, Any], *, ending_id: str, title: str, outcome: str,
               text: str | None, link_from: str | None) -> dict[str, Any]:
    """The definition with a new ending, reached through the choice ``link_from``."""
    data = normalized(definition)
    ending_id = _check_new_id(data, ending_id)
    ending: dict[str, Any] = {"id": ending_id, "outcome": (outcome or "").strip(),
                              "title": clean_text(title)}
    _put(ending, "text", clean_text(text) or None)
    data.setdefault("endings", []).append(ending)
    _link(data, link_from, ending_id)
    return normalized(data)


def delete_ending(definition: Mapping[str, Any], ending_id: str, *,
                  redirect: str | None) -> dict[str, Any]:
    """The definition without the ending; choices that led to it lead to ``redirect``."""
    data = normalized(definition)
    if _find(_endings(data), ending_id) is None:
        raise EditError(_("There is no ending %(id)s.", id=ending_id))
    if redirect == ending_id:
        redirect = None
    data["endings"] = [e for e in _endings(data) if e.get("id") != ending_id]
    _retarget(data, ending_id, redirect)
    return normalized(data)


# ---------------------------------------------------------------- the scenario itself


@dataclass(frozen=True)
class VariableEdit:
    """A variable as the settings form gives it."""

    name: str
    type: str
    initial: str
    min: int | None = None
    max: int | None = None
    label: str = ""

    @property
    def blank(self) -> bool:
        return not self.name.strip()

    def as_dict(self) -> dict[str, Any]:
        """The variable's spec (``{type, initial, min, max, label}``)."""
        initial = self.initial.strip().lower()
        spec: dict[str, Any] = {"type": self.type}
        if self.type == "bool":
            if initial not in ("true", "false"):
                msg = _("The initial value of %(name)s must be true or false.",
                        name=self.name.strip())
                raise EditError(msg, {"initial": [msg]})
            spec["initial"] = initial == "true"
        else:
            if _number(initial) is None:
                msg = _("The initial value of %(name)s must be a whole number.",
                        name=self.name.strip())
                raise EditError(msg, {"initial": [msg]})
            spec["initial"] = _number(initial)
            _put(spec, "min", self.min)
            _put(spec, "max", self.max)
        _put(spec, "label", self.label.strip() or None)
        return spec


def variable_edits(definition: Mapping[str, Any]) -> list[VariableEdit]:
    """The stored variables as the settings form shows them."""
    variables = definition.get("variables")
    edits = []
    for name, spec in (variables.items() if isinstance(variables, dict) else []):
        spec = spec if isinstance(spec, dict) else {}
        initial = spec.get("initial")
        edits.append(VariableEdit(
            name=str(name), type=str(spec.get("type") or "int"),
            initial=("true" if initial else "false") if isinstance(initial, bool)
            else str(initial if initial is not None else ""),
            min=spec.get("min"), max=spec.get("max"), label=str(spec.get("label") or "")))
    return edits


def update_settings(definition: Mapping[str, Any], *, title: str, summary: str | None,
                    start: str, max_steps: int | None,
                    variables: Sequence[VariableEdit]) -> dict[str, Any]:
    """The definition with its title, summary, start node, step limit and variables."""
    data = normalized(definition)
    data["title"] = clean_text(title)
    _put(data, "summary", clean_text(summary) or None)
    data["start"] = (start or "").strip()
    _put(data, "max_steps", max_steps)
    specs: dict[str, Any] = {}
    for variable in variables:
        if variable.blank:
            continue
        name = variable.name.strip()
        if name in specs:
            msg = _("The variable %(name)s is listed twice.", name=name)
            raise EditError(msg, {"name": [msg]})
        specs[name] = variable.as_dict()
    _put(data, "variables", specs)
    return normalized(data)


# ---------------------------------------------------------------- where a problem is


@dataclass(frozen=True)
class Located:
    """A loader problem placed on what it concerns: ``section`` is ``scenario``,
    ``variables``, ``node`` (``node`` set, and ``choice`` when it is about one) or
    ``ending`` (``ending`` set). ``line`` is the line of the generated YAML."""

    message: str
    section: str = "scenario"
    node: str | None = None
    choice: str | None = None
    ending: str | None = None
    line: int | None = None

    @property
    def anchor(self) -> str:
        """The fragment of the edit page showing what the problem is about."""
        if self.section == "node" and self.node:
            return f"node-{self.node}"
        if self.section == "ending" and self.ending:
            return f"ending-{self.ending}"
        return "scenario-settings"


def _spans(document: Any) -> list[tuple[int, dict[str, Any]]]:
    """(first line, where) for each part of the dumped YAML, in line order."""
    spans: list[tuple[int, dict[str, Any]]] = [(1, {"section": "scenario"})]
    if not isinstance(document, YDict):
        return spans
    for key, line in document.key_lines.items():
        spans.append((line, {"section": "variables" if key == "variables" else "scenario"}))
    nodes = document.get("nodes")
    if isinstance(nodes, YList):
        for node, line in zip(nodes, nodes.item_lines, strict=True):
            node_id = node.get("id") if isinstance(node, YDict) else None
            spans.append((line, {"section": "node", "node": node_id}))
            choices = node.get("choices") if isinstance(node, YDict) else None
            if isinstance(choices, YList):
                for choice, choice_line in zip(choices, choices.item_lines, strict=True):
                    spans.append((choice_line, {
                        "section": "node", "node": node_id,
                        "choice": choice.get("id") if isinstance(choice, YDict) else None}))
    endings = document.get("endings")
    if isinstance(endings, YList):
        for ending, line in zip(endings, endings.item_lines, strict=True):
            spans.append((line, {"section": "ending",
                                 "ending": ending.get("id") if isinstance(ending, YDict)
                                 else None}))
    return sorted(spans, key=lambda span: span[0])


def locate(definition: Mapping[str, Any], problems: Iterable[Problem],
           translate=lambda problem: problem.message) -> list[Located]:
    """Place each problem (lines of ``dump_yaml(definition)``) on its node, choice, …"""
    document, _found = load_yaml(dump_yaml(definition), "scenario")
    spans = _spans(document)
    located = []
    for problem in problems:
        where: dict[str, Any] = {"section": "scenario"}
        if problem.line:
            for first, place in spans:
                if first > problem.line:
                    break
                where = place
        located.append(Located(translate(problem), line=problem.line, **where))
    return located


# ---------------------------------------------------------------- play-testing


def choice_target(scenario: Scenario, values: Mapping[str, int | bool], choice_id: str,
                  ) -> tuple[str, dict[str, int | bool]]:
    """Where a choice would lead from ``values``, and the values after its effects."""
    _node, choice = scenario.choice(choice_id)
    after = dict(values)
    for effect in choice.effects:
        effect.apply(after, scenario.variables[effect.variable])
    target = next((b.target for b in choice.branches if b.when is None or b.when.holds(after)),
                  "")
    return target, after


def variable_rows(scenario: Scenario, values: Mapping[str, int | bool],
                  before: Mapping[str, int | bool] | None = None) -> list[dict[str, Any]]:
    """The variables for the play-test panel: value, initial, range, last change."""
    rows = []
    for name, variable in scenario.variables.items():
        value = values.get(name, variable.initial)
        rows.append({"name": name, "label": variable.label, "type": variable.type,
                     "value": value, "initial": variable.initial,
                     "range": _range(variable),
                     "changed": before is not None and before.get(name) != value})
    return rows


def _range(variable: Variable) -> str:
    return f"{variable.min}–{variable.max}" if variable.type == "int" else "true / false"


@dataclass(frozen=True)
class Option:
    """A choice of the play-test's current node: on offer or not, and what it would do."""

    choice: Any  # model.Choice
    offered: bool
    target: str
    after: Mapping[str, int | bool]


@dataclass(frozen=True)
class Playtest:
    """A play-test replayed from its path: the steps taken, where it stands, the score."""

    scenario: Scenario
    path: tuple[str, ...]
    history: list[tuple[Any, Any]]  # (model.Node, model.Choice)
    state: Any  # engine.RunState
    previous: Mapping[str, int | bool] | None
    broken: bool  # the path did not replay to its end (the scenario changed)
    options: list[Option]
    report: Any  # engine.Report

    @property
    def node(self):
        return self.scenario.nodes.get(self.state.node) if self.state.node else None

    @property
    def ending(self):
        return self.scenario.endings.get(self.state.ending) if self.state.ending else None

    def variables(self) -> list[dict[str, Any]]:
        return variable_rows(self.scenario, self.state.variables, self.previous)

    @property
    def running(self) -> int | None:
        """The score so far, leaving out the standard steps still to come (None at the
        start); once the run is over, its overall score."""
        from academy.scenarios import engine

        report = self.report
        if engine.finished(self.state):
            return report.overall
        taken = [v for d, v in report.dimensions.items() if d not in report.missing_steps]
        if not taken:
            return None
        lost = sum(d.points for d in report.deductions if d.kind != "missing")
        lost += engine.TABOO_POINTS * len(report.taboo)
        return max(0, min(100, round(sum(taken) / len(taken) - lost)))


def playtest(scenario: Scenario, path: Sequence[str]) -> Playtest:
    """Replay ``path`` from the start, stopping at the first choice that is not on offer."""
    from academy.scenarios import engine

    state = engine.start(scenario)
    previous = None
    history = []
    broken = False
    for choice_id in path:
        if engine.finished(state):
            broken = True
            break
        node = scenario.nodes[state.node]
        try:
            after = engine.choose(scenario, state, choice_id)
        except engine.ChoiceNotAvailable:
            broken = True
            break
        history.append((node, next(c for c in node.choices if c.id == choice_id)))
        previous, state = state.variables, after
    options = []
    if not engine.finished(state):
        offered = {c.id for c in engine.available_choices(scenario, state)}
        for choice in scenario.nodes[state.node].choices:
            target, after = choice_target(scenario, state.variables, choice.id)
            options.append(Option(choice, choice.id in offered, target, after))
    return Playtest(scenario, tuple(c.id for _n, c in history), history, state, previous,
                    broken, options, engine.score(scenario, state))
