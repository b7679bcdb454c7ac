"""How learners played a scenario: choices per node, wrong turns, outcomes, dimensions.

Only runs of staff in the viewer's org subtree count (``OrgUnit.path`` prefix, as
``learning.services.can_view_progress`` decides), optionally narrowed to one unit of that
subtree and to runs started in a date range. Play-tests write no runs, so they never count.

Three queries, whatever the number of runs: the run counts, the finished runs' stored
reports (``ScenarioRun.score``), and the choices grouped by node and choice in SQL.
:func:`aggregate` turns those into the statistics and is pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from academy.auth.models import User
from academy.extensions import db
from academy.org.models import OrgUnit, Worker
from academy.scenarios.engine import TIMEOUT
from academy.scenarios.model import DIMENSIONS, OUTCOMES, Choice, Ending, Node, Scenario
from academy.scenarios.models import ScenarioChoiceLog, ScenarioDef, ScenarioRun

#: How many wrong turns the page lists.
TOP_WRONG_TURNS = 10


@dataclass(frozen=True)
class ChoiceCount:
    """How often a choice was taken at its node."""

    choice: Choice
    count: int
    percent: float
    best: bool  # the highest-valued choice of its node (what a good clerk picks)


@dataclass(frozen=True)
class NodeStats:
    """The choices learners made at one node."""

    node: Node
    total: int
    choices: list[ChoiceCount]


@dataclass(frozen=True)
class WrongTurn:
    """A choice worse than the best on offer (or taboo), and how many runs took it."""

    node: str
    choice: str
    text: str
    feedback: str
    better_text: str | None
    runs: int
    percent: float  # of the finished runs
    taboo: bool


@dataclass(frozen=True)
class Share:
    """One bar: a key (outcome, ending or dimension), a count and a percentage or mean."""

    key: str
    count: int
    value: float


@dataclass
class ScenarioStatistics:
    """Everything the statistics page and its export show."""

    runs: int = 0
    finished: int = 0
    people: int = 0
    average: float | None = None
    dimensions: list[Share] = field(default_factory=list)  # value: mean 0–100
    outcomes: list[Share] = field(default_factory=list)  # value: percent of finished runs
    endings: list[tuple[Ending | None, Share]] = field(default_factory=list)
    nodes: list[NodeStats] = field(default_factory=list)
    wrong_turns: list[WrongTurn] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # choice id → times taken
    retired: int = 0  # choices taken that the scenario no longer has (it was edited)


# ---------------------------------------------------------------- queries


def scoped_runs(user: User, *, unit: OrgUnit | None = None, since: datetime | None = None,
                until: datetime | None = None) -> Select:
    """Runs by staff of ``user``'s subtree (and of ``unit``, if given), started in range."""
    stmt = (select(ScenarioRun.id)
            .join(Worker, Worker.id == ScenarioRun.worker_id)
            .join(OrgUnit, OrgUnit.id == Worker.org_unit_id)
            .where(OrgUnit.path.startswith(user.org_unit.path, autoescape=True)))
    if unit is not None:
        stmt = stmt.where(OrgUnit.path.startswith(unit.path, autoescape=True))
    if since is not None:
        stmt = stmt.where(ScenarioRun.started_at >= since)
    if until is not None:
        stmt = stmt.where(ScenarioRun.started_at < until)
    return stmt


def scenario_statistics(definition: ScenarioDef, scenario: Scenario, user: User, *,
                        unit: OrgUnit | None = None, since: datetime | None = None,
                        until: datetime | None = None) -> ScenarioStatistics:
    """The scenario's statistics over the runs in scope (three queries)."""
    ids = scoped_runs(user, unit=unit, since=since, until=until).where(
        ScenarioRun.scenario_id == definition.id).subquery()
    runs, finished, people = db.session.execute(
        select(func.count(ScenarioRun.id), func.count(ScenarioRun.finished_at),
               func.count(func.distinct(ScenarioRun.user_id)))
        .where(ScenarioRun.id.in_(select(ids.c.id)))).one()
    reports = [score for score in db.session.scalars(
        select(ScenarioRun.score).where(ScenarioRun.id.in_(select(ids.c.id)),
                                        ScenarioRun.finished_at.is_not(None))
        .order_by(ScenarioRun.id)) if isinstance(score, dict)]
    choices = {(node, choice): count for node, choice, count in db.session.execute(
        select(ScenarioChoiceLog.node_id, ScenarioChoiceLog.choice_id, func.count())
        .where(ScenarioChoiceLog.run_id.in_(select(ids.c.id)))
        .group_by(ScenarioChoiceLog.node_id, ScenarioChoiceLog.choice_id))}
    stats = aggregate(scenario, choices, reports)
    stats.runs, stats.finished, stats.people = runs, finished, people
    return stats


def scenario_overview(user: User) -> list[dict[str, Any]]:
    """Every stored scenario with its course, and the runs of ``user``'s subtree (1 query)."""
    from academy.catalog.models import Course

    scoped = scoped_runs(user).subquery()
    runs = (select(ScenarioRun.scenario_id,
                   func.count(ScenarioRun.id).label("runs"),
                   func.count(ScenarioRun.finished_at).label("finished"),
                   func.avg(ScenarioRun.score["overall"].as_integer()).label("average"))
            .where(ScenarioRun.id.in_(select(scoped.c.id)))
            .group_by(ScenarioRun.scenario_id)).subquery()
    rows = db.session.execute(
        select(ScenarioDef, Course.title, Course.slug, runs.c.runs, runs.c.finished,
               runs.c.average)
        .outerjoin(Course, Course.id == ScenarioDef.course_id)
        .outerjoin(runs, runs.c.scenario_id == ScenarioDef.id)
        .order_by(Course.title, ScenarioDef.title, ScenarioDef.id)).all()
    return [{"scenario": row, "course": title, "course_slug": slug,
             "nodes": len(row.definition.get("nodes") or []), "runs": count or 0,
             "finished": finished or 0,
             "average": float(average) if average is not None else None}
            for row, title, slug, count, finished, average in rows]


# ---------------------------------------------------------------- the arithmetic


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def aggregate(scenario: Scenario, choices: Mapping[tuple[str, str], int],
              reports: Iterable[Mapping[str, Any]]) -> ScenarioStatistics:
    """Statistics from the choices taken ((node, choice) → count) and the finished runs'
    reports (the engine's report as stored). Pure."""
    reports = list(reports)
    stats = ScenarioStatistics()
    known = {(node.id, choice.id) for node, choice in scenario.all_choices()}
    for (node_id, choice_id), count in choices.items():
        if (node_id, choice_id) in known:
            stats.counts[choice_id] = stats.counts.get(choice_id, 0) + count
        else:
            stats.retired += count
    for node in scenario.nodes.values():
        total = sum(stats.counts.get(c.id, 0) for c in node.choices)
        top = max((c.value for c in node.choices), default=0)
        stats.nodes.append(NodeStats(node, total, [
            ChoiceCount(c, stats.counts.get(c.id, 0),
                        _percent(stats.counts.get(c.id, 0), total), c.value == top)
            for c in node.choices]))

    finished = len(reports)
    overall = [r["overall"] for r in reports if isinstance(r.get("overall"), int | float)]
    stats.average = sum(overall) / len(overall) if overall else None

    sums: dict[str, float] = {}
    seen: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    endings: Counter[str] = Counter()
    wrong: Counter[tuple[str, str]] = Counter()
    details: dict[tuple[str, str], dict[str, Any]] = {}
    taboo: set[tuple[str, str]] = set()
    for report in reports:
        for key, value in (report.get("dimensions") or {}).items():
            if isinstance(value, int | float):
                sums[key] = sums.get(key, 0.0) + value
                seen[key] += 1
        outcomes[str(report.get("outcome"))] += 1
        if report.get("ending"):
            endings[str(report["ending"])] += 1
        for flag in report.get("taboo") or []:
            taboo.add((flag.get("node"), flag.get("choice")))
        turns = set()
        for mistake in report.get("mistakes") or []:
            key = (mistake.get("node"), mistake.get("choice"))
            turns.add(key)
            details.setdefault(key, mistake)
        wrong.update(turns)  # once per run, however often it was repeated

    stats.dimensions = [Share(d, seen[d], sums[d] / seen[d]) for d in DIMENSIONS if seen[d]]
    stats.dimensions += [Share(d, seen[d], sums[d] / seen[d]) for d in sorted(seen)
                         if d not in DIMENSIONS]
    stats.outcomes = [Share(o, outcomes[o], _percent(outcomes[o], finished))
                      for o in (*OUTCOMES, TIMEOUT) if outcomes[o]]
    order = list(scenario.endings)
    stats.endings = [
        (scenario.endings.get(key), Share(key, count, _percent(count, finished)))
        for key, count in sorted(endings.items(),
                                 key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                 else len(order), kv[0]))]
    current = {choice.id: choice for _node, choice in scenario.all_choices()}
    ranked = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0][0] or "", kv[0][1] or ""))
    for (node_id, choice_id), count in ranked[:TOP_WRONG_TURNS]:
        mistake = details[(node_id, choice_id)]
        choice = current.get(choice_id)
        stats.wrong_turns.append(WrongTurn(
            node=node_id or "", choice=choice_id or "",
            text=choice.text if choice else str(mistake.get("text") or ""),
            feedback=choice.feedback if choice else str(mistake.get("feedback") or ""),
            better_text=mistake.get("better_text"), runs=count,
            percent=_percent(count, finished),
            taboo=(node_id, choice_id) in taboo or bool(choice and choice.is_taboo)))
    return stats
