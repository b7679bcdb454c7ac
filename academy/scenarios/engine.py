"""Running and scoring a scenario. Pure: no Flask, no database.

A run is a :class:`RunState` — plain data (:meth:`RunState.as_dict` /
:meth:`RunState.from_dict`) that can be stored and resumed. The path of choice ids is the
whole truth: :func:`replay` rebuilds the state from it, and :func:`score` replays it to see
which choices were on offer at each step.

Scoring (:func:`score`):

* **Dimensions.** At each step a dimension is *at stake* when the chosen choice or the best
  choice on offer (highest :attr:`Choice.value`) is scored on it. The run then earns
  ``chosen − worst`` out of ``best − worst`` on it, over the choices on offer (unscored
  counts as 0). A dimension's score is ``100 × earned / possible`` (100 when nothing could
  be lost) — a share of the best that was possible, so always 0–100. The dimensions at
  stake somewhere in the run, plus the four steps, are reported.
* **Step order.** The standard steps are greeting → welcome → explanation → closing. A
  step never performed is *missing*: its dimension drops to 0 and the overall score loses
  ``MISSING_STEP_POINTS``. A step first performed after a later step is *out of order*:
  its dimension and the overall score lose ``OUT_OF_ORDER_POINTS``. Each deduction is
  named in the report.
* **Taboo.** Choices tagged ``taboo`` and choices whose words contain a 服务禁忌用语 are
  flagged; each flag takes ``TABOO_POINTS`` off the overall score.
* **Overall** is the mean of the reported dimensions minus the step deductions and the
  taboo points, kept within 0–100, and never above what the ending allows
  (``OUTCOME_CAPS``): a run that ends in failure (or runs out of steps) cannot score a
  pass, however well it began.
* **Mistakes** are the choices that were worth less (:attr:`Choice.value`) than the best
  choice then on offer, or taboo; each comes with its feedback and that better choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from academy.scenarios.model import DIMENSIONS, STEPS, Choice, Scenario

#: What a standard step never performed costs the overall score.
MISSING_STEP_POINTS = 15
#: What a step performed out of the standard order costs its dimension and the overall score.
OUT_OF_ORDER_POINTS = 10
#: What each taboo flag costs the overall score.
TABOO_POINTS = 15
#: The outcome of a run stopped after ``Scenario.max_steps`` choices without an ending.
TIMEOUT = "timeout"
#: The highest overall score an outcome allows.
OUTCOME_CAPS = {"success": 100, "partial": 79, "failure": 59, TIMEOUT: 59}


class ScenarioError(Exception):
    """A domain error of the scenario engine (a message for the caller to show)."""


class ChoiceNotAvailable(ScenarioError):
    """The choice is not offered at the run's node now (or the run is over)."""


@dataclass(frozen=True)
class RunState:
    """Where a run stands: the current node (None once over), variables, the path taken."""

    node: str | None
    variables: dict[str, int | bool]
    path: tuple[str, ...] = ()
    ending: str | None = None
    timed_out: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The state as JSON-ready plain data."""
        return {
            "node": self.node,
            "variables": dict(self.variables),
            "path": list(self.path),
            "ending": self.ending,
            "timed_out": self.timed_out,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        """The state :meth:`as_dict` gave."""
        return cls(
            node=data["node"],
            variables=dict(data["variables"]),
            path=tuple(data["path"]),
            ending=data.get("ending"),
            timed_out=bool(data.get("timed_out", False)),
        )


def start(scenario: Scenario) -> RunState:
    """A new run at the scenario's first node, variables at their initial values."""
    return RunState(
        node=scenario.start, variables={name: v.initial for name, v in scenario.variables.items()}
    )


def finished(state: RunState) -> bool:
    """Whether the run is over (an ending was reached or it ran out of steps)."""
    return state.node is None


def available_choices(scenario: Scenario, state: RunState) -> list[Choice]:
    """The choices offered now: those of the current node whose condition holds."""
    if finished(state):
        return []
    node = scenario.nodes[state.node]
    return [c for c in node.choices if c.when is None or c.when.holds(state.variables)]


def choose(scenario: Scenario, state: RunState, choice_id: str) -> RunState:
    """The state after taking ``choice_id``; ChoiceNotAvailable if it is not on offer."""
    choice = next((c for c in available_choices(scenario, state) if c.id == choice_id), None)
    if choice is None:
        raise ChoiceNotAvailable(f"The choice {choice_id!r} is not available now.")
    values = dict(state.variables)
    for effect in choice.effects:
        effect.apply(values, scenario.variables[effect.variable])
    target = next(b.target for b in choice.branches if b.when is None or b.when.holds(values))
    path = (*state.path, choice.id)
    if target in scenario.endings:
        return RunState(node=None, variables=values, path=path, ending=target)
    if len(path) >= scenario.max_steps:
        return RunState(node=None, variables=values, path=path, timed_out=True)
    return RunState(node=target, variables=values, path=path)


def replay(scenario: Scenario, choice_ids: list[str] | tuple[str, ...]) -> RunState:
    """The state reached by taking ``choice_ids`` from the start (to resume a run)."""
    state = start(scenario)
    for choice_id in choice_ids:
        state = choose(scenario, state, choice_id)
    return state


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Deduction:
    """Points the overall score lost for a step: ``kind`` is "missing" or "out_of_order"."""

    step: str
    kind: str
    points: int


@dataclass(frozen=True)
class TabooFlag:
    """A taboo choice: the phrases found in its words (empty when only tagged)."""

    node: str
    choice: str
    text: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Mistake:
    """A choice worse than the best then on offer, with its feedback and that better one."""

    node: str
    choice: str
    text: str
    feedback: str
    better_choice: str | None
    better_text: str | None


@dataclass
class Report:
    """How a run went: outcome, 0–100 scores, the steps, taboo flags and mistakes."""

    outcome: str | None  # an ending's outcome, TIMEOUT, or None while unfinished
    ending: str | None
    overall: int
    dimensions: dict[str, int]
    steps_performed: list[str]
    standard_order: list[str] = field(default_factory=lambda: list(STEPS))
    missing_steps: list[str] = field(default_factory=list)
    out_of_order_steps: list[str] = field(default_factory=list)
    deductions: list[Deduction] = field(default_factory=list)
    taboo: list[TabooFlag] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)


def _best(choices: list[Choice]) -> Choice:
    # Ties go to the choice listed first, so the suggestion is stable.
    return max(choices, key=lambda c: c.value)


def score(scenario: Scenario, state: RunState) -> Report:
    """The report of a run (finished or not), replaying its path."""
    earned = dict.fromkeys(DIMENSIONS, 0)
    possible = dict.fromkeys(DIMENSIONS, 0)
    steps: list[str] = []
    taboo: list[TabooFlag] = []
    mistakes: list[Mistake] = []

    current = start(scenario)
    for choice_id in state.path:
        offered = available_choices(scenario, current)
        chosen = next((c for c in offered if c.id == choice_id), None)
        if chosen is None:
            raise ChoiceNotAvailable(f"The choice {choice_id!r} is not available now.")
        node = current.node
        best = _best(offered)
        for dimension in DIMENSIONS:
            if dimension in chosen.scores or dimension in best.scores:
                values = [c.scores.get(dimension, 0) for c in offered]
                earned[dimension] += chosen.scores.get(dimension, 0) - min(values)
                possible[dimension] += max(values) - min(values)
        if chosen.step:
            steps.append(chosen.step)
        if chosen.is_taboo:
            taboo.append(TabooFlag(node, chosen.id, chosen.text, tuple(chosen.taboo_phrases)))
        if chosen.value < best.value or chosen.is_taboo:
            better = best if best.value > chosen.value else None
            mistakes.append(
                Mistake(
                    node,
                    chosen.id,
                    chosen.text,
                    chosen.feedback,
                    better.id if better else None,
                    better.text if better else None,
                )
            )
        current = choose(scenario, current, choice_id)

    at_stake = [d for d in DIMENSIONS if possible[d] or d in STEPS]
    dimensions = {d: round(100 * earned[d] / possible[d]) if possible[d] else 100 for d in at_stake}

    first_seen = list(dict.fromkeys(steps))
    missing = [s for s in STEPS if s not in first_seen]
    out_of_order = []
    latest = -1
    for step in first_seen:
        rank = STEPS.index(step)
        if rank < latest:
            out_of_order.append(step)
        latest = max(latest, rank)
    deductions = []
    for step in STEPS:
        if step in missing:
            deductions.append(Deduction(step, "missing", MISSING_STEP_POINTS))
            dimensions[step] = 0
        elif step in out_of_order:
            deductions.append(Deduction(step, "out_of_order", OUT_OF_ORDER_POINTS))
            dimensions[step] = max(0, dimensions[step] - OUT_OF_ORDER_POINTS)

    mean = sum(dimensions.values()) / len(dimensions)
    lost = sum(d.points for d in deductions) + TABOO_POINTS * len(taboo)
    if state.ending:
        outcome = scenario.endings[state.ending].outcome
    else:
        outcome = TIMEOUT if state.timed_out else None
    overall = max(0, min(OUTCOME_CAPS.get(outcome, 100), round(mean - lost)))
    return Report(
        outcome=outcome,
        ending=state.ending,
        overall=overall,
        dimensions=dimensions,
        steps_performed=steps,
        missing_steps=missing,
        out_of_order_steps=out_of_order,
        deductions=deductions,
        taboo=taboo,
        mistakes=mistakes,
    )
