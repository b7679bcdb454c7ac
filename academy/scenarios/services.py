"""Scenario definitions from course packages, and the runs users play.

Functions add and flush, never commit: the request (or CLI command) is the transaction.
A run's stored path of choice ids is the whole truth: the state is rebuilt by
:func:`academy.scenarios.engine.replay`, so a run resumes exactly after a reload.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from academy.audit.services import record
from academy.auth.models import User
from academy.catalog.package import Problem, _plain, dump_yaml, load_yaml
from academy.errors import Conflict, NotFound, ValidationFailed
from academy.extensions import db
from academy.scenarios import engine
from academy.scenarios.loader import load_scenario
from academy.scenarios.model import Choice, Ending, Node, Scenario
from academy.scenarios.models import ScenarioChoiceLog, ScenarioDef, ScenarioRun
from academy.timeutil import utcnow

log = logging.getLogger(__name__)


class ChoiceUnavailable(Conflict):
    """The choice is not on offer at the run's current node."""

    code = "choice_not_available"


class RunFinished(Conflict):
    """The run has ended: no more choices."""

    code = "run_finished"


class RunOutdated(Conflict):
    """The scenario changed since the run began, so its path no longer replays."""

    code = "run_outdated"


# ---------------------------------------------------------------- definitions


def upsert_definitions(course_id: int, attachments: Iterable[dict[str, Any]]) -> list[ScenarioDef]:
    """Create or update the course's scenarios (by slug) from a package's attachments."""
    from academy.catalog.services import upsert_attached

    return upsert_attached(
        ScenarioDef, course_id, [item for item in attachments if item.get("type") == "scenario"],
        content=lambda item: {"title": item["title"], "definition": item["definition"]},
        always=lambda item: {"source_file": item["file"]})


def scenario_ids_by_file(course_id: int) -> dict[str, int]:
    """The course's scenario ids by their package file (for the course API)."""
    return {file: id_ for id_, file in db.session.execute(
        select(ScenarioDef.id, ScenarioDef.source_file).where(
            ScenarioDef.course_id == course_id))}


def package_files(course_id: int, paths: Iterable[str]) -> dict[str, bytes]:
    """The scenario files of an export: each stored definition written back as YAML."""
    wanted = set(paths)
    if not wanted:
        return {}
    return {d.source_file: dump_yaml(d.definition) for d in db.session.scalars(
        select(ScenarioDef).where(ScenarioDef.course_id == course_id,
                                  ScenarioDef.source_file.in_(wanted)))}


_SCENARIOS: dict[tuple[str, str], Scenario] = {}


def scenario_of(definition: ScenarioDef) -> Scenario:
    """The engine's Scenario, rebuilt from the stored definition (cached by content)."""
    key = (definition.content_hash, definition.source_file)
    scenario = _SCENARIOS.get(key)
    if scenario is None:
        text = dump_yaml(definition.definition).decode("utf-8")
        scenario, problems = load_scenario(text, definition.source_file)
        if scenario is None:  # stored only after loading cleanly, so never expected
            raise RunOutdated(_("This scenario cannot be loaded: %(problem)s",
                                problem=str(problems[0])))
        _SCENARIOS[key] = scenario
    return scenario


def get_definition(scenario_id: int) -> ScenarioDef:
    """The scenario with this id (NotFound otherwise)."""
    definition = db.session.get(ScenarioDef, scenario_id) if 0 < scenario_id < 2**31 else None
    if definition is None:
        raise NotFound(_("No such scenario."))
    return definition


# ---------------------------------------------------------------- runs


def start_run(definition: ScenarioDef, user: User) -> ScenarioRun:
    """A new run of the scenario by ``user``, at its first node."""
    state = engine.start(scenario_of(definition))
    run = ScenarioRun(scenario=definition, user_id=user.id, worker_id=user.worker_id,
                      state=state.as_dict())
    db.session.add(run)
    db.session.flush()
    log.info("scenario run %s started: scenario %s, user %s", run.id, definition.id, user.id)
    return run


def _unfinished_runs(definition: ScenarioDef, user: User):
    """The user's unfinished runs of the scenario, newest first (a select)."""
    return (select(ScenarioRun).where(ScenarioRun.scenario_id == definition.id,
                                      ScenarioRun.user_id == user.id,
                                      ScenarioRun.finished_at.is_(None))
            .order_by(ScenarioRun.id.desc()))


def latest_unfinished_run(definition: ScenarioDef, user: User) -> ScenarioRun | None:
    """The user's latest unfinished run of the scenario that still replays, if any."""
    runs = db.session.scalars(_unfinished_runs(definition, user).limit(5))
    for run in runs:
        try:
            run_state(run)
        except RunOutdated:
            continue
        return run
    return None


def resume_or_start(definition: ScenarioDef, user: User) -> ScenarioRun:
    """The user's unfinished run of the scenario, or a new one."""
    return latest_unfinished_run(definition, user) or start_run(definition, user)


def get_run(run_id: int, user: User) -> ScenarioRun:
    """The run with this id if it is ``user``'s (NotFound otherwise, as if it did not exist)."""
    run = db.session.get(ScenarioRun, run_id) if 0 < run_id < 2**31 else None
    if run is None or run.user_id != user.id:
        raise NotFound(_("No such scenario run."))
    return run


def run_state(run: ScenarioRun) -> engine.RunState:
    """The run's state, replayed from its path (RunOutdated if the scenario changed)."""
    scenario = scenario_of(run.scenario)
    try:
        return engine.replay(scenario, run.state.get("path") or [])
    except (engine.ChoiceNotAvailable, KeyError) as exc:
        raise RunOutdated(_("This scenario has changed since the run began: start it "
                            "again.")) from exc


def choose(run: ScenarioRun, choice_id: str) -> ScenarioRun:
    """Take ``choice_id`` in the run: log it, advance, and score the run once it ends."""
    if run.finished_at is not None:
        raise RunFinished(_("This run is over: start the scenario again to play once more."))
    scenario = scenario_of(run.scenario)
    state = run_state(run)
    try:
        new_state = engine.choose(scenario, state, choice_id)
    except engine.ChoiceNotAvailable as exc:
        raise ChoiceUnavailable(_("That choice is not available now."),
                                {"choice": [_("That choice is not available now.")]}) from exc
    choice = scenario.choice(choice_id)[1]
    run.choices.append(ScenarioChoiceLog(node_id=state.node, choice_id=choice.id,
                                         step=choice.step, points=dict(choice.scores),
                                         position=len(new_state.path)))
    run.state = new_state.as_dict()
    if engine.finished(new_state):
        run.finished_at = utcnow()
        run.score = report_dict(engine.score(scenario, new_state))
        log.info("scenario run %s finished: %s", run.id, run.score["outcome"])
        db.session.flush()
        _announce_finished(run)  # evidence signal (observations issue)
    db.session.flush()
    return run


def report_dict(report: engine.Report) -> dict[str, Any]:
    """The engine's report as JSON-ready plain data."""
    return dataclasses.asdict(report)


# ---------------------------------------------------------------- what a page shows


@dataclass(frozen=True)
class RunView:
    """A run as the player shows it: the path so far, where it stands, how it ended."""

    run: ScenarioRun
    scenario: Scenario
    history: list[tuple[Node, Choice]]
    node: Node | None
    choices: list[Choice]
    ending: Ending | None
    report: dict[str, Any] | None

    @property
    def finished(self) -> bool:
        return self.node is None


def run_view(run: ScenarioRun) -> RunView:
    """What the player page and the API show of ``run``."""
    scenario = scenario_of(run.scenario)
    state = engine.start(scenario)
    history = []
    for choice_id in run_state(run).path:
        node = scenario.nodes[state.node]
        history.append((node, next(c for c in node.choices if c.id == choice_id)))
        state = engine.choose(scenario, state, choice_id)
    node = scenario.nodes[state.node] if state.node else None
    ending = scenario.endings.get(state.ending) if state.ending else None
    return RunView(run, scenario, history, node, engine.available_choices(scenario, state),
                   ending, run.score)


def latest_finished_run(definition: ScenarioDef, user: User) -> ScenarioRun | None:
    """The user's latest finished run of the scenario, if any (for its report link)."""
    return db.session.scalar(
        select(ScenarioRun).where(ScenarioRun.scenario_id == definition.id,
                                  ScenarioRun.user_id == user.id,
                                  ScenarioRun.finished_at.is_not(None))
        .order_by(ScenarioRun.id.desc()).limit(1))


def module_scenarios(course_id: int, module: dict[str, Any]) -> list[tuple[int, str]]:
    """(id, title) of the stored scenarios a published module's activities name."""
    files = [entry.get("file") for entry in module.get("activities") or []
             if isinstance(entry, dict) and entry.get("type") == "scenario"]
    if not files:
        return []
    found = {file: (id_, title) for id_, title, file in db.session.execute(
        select(ScenarioDef.id, ScenarioDef.title, ScenarioDef.source_file).where(
            ScenarioDef.course_id == course_id, ScenarioDef.source_file.in_(files)))}
    return [found[file] for file in dict.fromkeys(files) if file in found]


# ---------------------------------------------------------------- editing in the browser


class ScenarioInvalid(ValidationFailed):
    """The edited scenario does not load: ``problems`` lists every problem (nothing saved)."""

    code = "scenario_invalid"

    def __init__(self, message: str, problems: list[Problem], definition: dict[str, Any]):
        super().__init__(message)
        self.problems = problems
        self.definition = definition


class ScenarioChanged(Conflict):
    """Someone saved the scenario since the form was opened (its hash differs)."""

    code = "scenario_changed"


def definition_hash(definition: dict[str, Any]) -> str:
    """SHA-256 of the definition's canonical JSON: the course sync's own hash."""
    from academy.catalog.activities import content_hash

    return content_hash(definition)


def check_definition(definition: dict[str, Any], file: str,
                     ) -> tuple[Scenario | None, list[Problem]]:
    """Load the definition as its YAML file would be loaded: the scenario, or the problems."""
    return load_scenario(dump_yaml(definition).decode("utf-8"), file)


def parse_source(text: str, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A whole scenario file typed in the browser: its definition if it loads cleanly."""
    scenario, problems = load_scenario(text, file)
    if scenario is None:
        return None, problems
    document, _found = load_yaml(text.encode("utf-8"), file)
    return _plain(document), []


def id_problem(row: ScenarioDef, definition: dict[str, Any]) -> str | None:
    """Why the definition cannot replace the row's, if its id differs (else None)."""
    if definition.get("id") == row.slug:
        return None
    return _("The scenario id cannot change here (it stays %(id)s): runs and the course "
             "file are tied to it.", id=row.slug)


def save_definition(row: ScenarioDef, definition: dict[str, Any], *, user: User | None,
                    base_hash: str | None, change: str) -> bool:
    """Store an edited definition if the whole scenario loads cleanly (audited).

    ``base_hash`` is the content hash the editor started from: if the stored one differs,
    someone saved in between and ScenarioChanged is raised. The scenario id is fixed (it
    ties the course's files and the runs to this row). A course that followed its files
    is marked as the browser's (``Course.source``), so a later sync keeps it and reports
    it as kept instead of silently overwriting the edit. False when nothing changed.
    """
    if base_hash is not None and base_hash != row.content_hash:
        raise ScenarioChanged(_("Someone else saved this scenario after you opened it: "
                                "reload the page and make your change again."))
    moved = id_problem(row, definition)
    if moved:
        raise ScenarioInvalid(moved, [Problem(row.source_file, None, moved)], definition)
    scenario, problems = check_definition(definition, row.source_file)
    if scenario is None:
        raise ScenarioInvalid(_("Nothing was saved: the scenario has %(n)d problem(s).",
                                n=len(problems)), problems, definition)
    new_hash = definition_hash(definition)
    if new_hash == row.content_hash:
        return False
    before = {"title": row.title, "content_hash": row.content_hash,
              "nodes": len(row.definition.get("nodes") or [])}
    row.definition = definition
    row.title = scenario.title
    row.content_hash = new_hash
    row.published_at = utcnow()
    course = course_of(row)
    if course is not None and course.source != "browser":
        course.source = "browser"
    db.session.flush()
    record("scenario.edit", target_type="scenario", target_id=str(row.id),
           target_label=row.title, actor=user, before=before,
           after={"title": row.title, "content_hash": new_hash,
                  "nodes": len(definition.get("nodes") or []), "change": change})
    log.info("scenario %s edited in the browser (%s)", row.id, change)
    return True


def course_of(definition: ScenarioDef):
    """The course the scenario belongs to, if any."""
    from academy.catalog.models import Course

    return db.session.get(Course, definition.course_id) if definition.course_id else None


def has_outdated_run(definition: ScenarioDef, user: User) -> bool:
    """Whether the user's latest unfinished run of the scenario no longer replays."""
    run = db.session.scalar(_unfinished_runs(definition, user).limit(1))
    if run is None:
        return False
    try:
        run_state(run)
    except RunOutdated:
        return True
    return False


def report_view(run: ScenarioRun) -> RunView:
    """The finished run as its report shows it; if the scenario has changed since, the
    stored report without the path (which no longer replays)."""
    try:
        return run_view(run)
    except RunOutdated:
        return RunView(run, scenario_of(run.scenario), [], None, [], None, run.score)


# ---------------------------------------------------------------- evidence signal
# (added with the observations feature: kept apart from the player's logic above)


def _announce_finished(run: ScenarioRun) -> None:
    """Send :data:`academy.signals.scenario_run_finished` for a run that just ended."""
    from flask import current_app

    from academy import signals
    from academy.catalog.models import Course
    from academy.org.models import Worker
    from academy.timeutil import aware

    definition = run.scenario
    course = db.session.get(Course, definition.course_id) if definition.course_id else None
    worker = db.session.get(Worker, run.worker_id) if run.worker_id else None
    score = run.score or {}
    signals.scenario_run_finished.send(
        current_app._get_current_object(), run_id=run.id, user_id=run.user_id,
        worker_id=run.worker_id, employee_no=worker.employee_no if worker else None,
        scenario_id=definition.id, scenario=definition.slug,
        course=course.slug if course else None,
        skill=course.skill.code if course else None, outcome=score.get("outcome"),
        score=score.get("overall"), dimensions=dict(score.get("dimensions") or {}),
        finished_at=aware(run.finished_at))
