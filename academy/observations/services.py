"""Who may observe whom, recording observations, the lists, engagements and rubric sync.

Scope: instructors and admins observe, and read observations, within their own org
subtree; an assessor within the subtrees of their active engagements and nowhere else.
Everyone reads their own observations. An observation belongs to the org unit the worker
was in when observed. Out-of-scope workers and observations are reported as not found,
never as forbidden, so their existence is not revealed.

Functions add and flush, never commit: the request (or CLI command) is the transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from academy import signals
from academy.audit.services import record
from academy.auth.models import User, UserRole
from academy.catalog.activities import N_
from academy.catalog.package import Problem, problem
from academy.errors import Conflict, NotFound, ValidationFailed
from academy.extensions import db
from academy.observations import rubrics as pure
from academy.observations.models import AssessorEngagement, Observation, ObservationRubric
from academy.org.models import OrgUnit, Worker, WorkerStatus
from academy.org.services import unit_tree
from academy.permissions import ADMIN, ASSESSOR, INSTRUCTOR, in_scope
from academy.textutil import storable
from academy.timeutil import aware, utcnow

log = logging.getLogger(__name__)

NOTE_MAX = 1000
NOTES_MAX = 4000
SEARCH_LIMIT = 20
# A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Where a user may observe and read observations, and whose are their own."""

    # The user's own subtree, as an instructor or admin ("instructor" wins when both).
    own_root: OrgUnit | None = None
    own_role: str | None = None
    # The units of the user's active engagements, as an assessor.
    engaged: tuple[OrgUnit, ...] = ()
    worker_id: int | None = None

    @property
    def roots(self) -> list[OrgUnit]:
        """The units whose subtrees make up the scope, none inside another."""
        units = ([self.own_root] if self.own_root is not None else []) + list(self.engaged)
        units.sort(key=lambda u: len(u.path))
        roots: list[OrgUnit] = []
        for unit in units:
            if not any(unit.path.startswith(root.path) for root in roots):
                roots.append(unit)
        return roots

    @property
    def empty(self) -> bool:
        return not self.roots

    def role_for(self, unit: OrgUnit | None) -> str | None:
        """The role in which the user may observe in ``unit`` (None: not at all).

        An engagement names the user's reason to be there, so it comes first.
        """
        if unit is None:
            return None
        if any(root.contains(unit) for root in self.engaged):
            return ASSESSOR
        if self.own_root is not None and self.own_root.contains(unit):
            return self.own_role
        return None

    def covers(self, unit: OrgUnit | None) -> bool:
        return self.role_for(unit) is not None

    def unit_clause(self, path_column=OrgUnit.path) -> ColumnElement[bool]:
        """A condition on an org unit's path: within the scope."""
        roots = self.roots
        if not roots:
            return false()
        return or_(*[path_column.startswith(root.path, autoescape=True) for root in roots])


def active_engagements(user: User, today: date | None = None) -> list[AssessorEngagement]:
    """The user's engagements in force today (none unless the user is an assessor)."""
    if not user.is_authenticated or not user.has_role(ASSESSOR):
        return []
    today = today or date.today()
    return list(db.session.scalars(
        select(AssessorEngagement).where(
            AssessorEngagement.assessor_id == user.id, AssessorEngagement.ended_at.is_(None),
            AssessorEngagement.valid_from <= today, AssessorEngagement.valid_to >= today)
        .order_by(AssessorEngagement.valid_to, AssessorEngagement.id)))


def scope_for(user: User, today: date | None = None) -> Scope:
    """The user's observation scope today."""
    if not user.is_authenticated:
        return Scope()
    own_role = INSTRUCTOR if user.has_role(INSTRUCTOR) else ADMIN if user.has_role(ADMIN) \
        else None
    return Scope(own_root=user.org_unit if own_role else None, own_role=own_role,
                 engaged=tuple(e.org_unit for e in active_engagements(user, today)),
                 worker_id=user.worker_id)


def scope_units(scope: Scope) -> list[tuple[OrgUnit, int]]:
    """(unit, depth) of every unit in the scope, each root's subtree in tree order."""
    return [pair for root in scope.roots for pair in unit_tree(root)]


def unit_in_scope(scope: Scope, code: str) -> OrgUnit:
    """The org unit with ``code`` if it lies in the scope (NotFound otherwise)."""
    unit = None
    if len(code) <= 32 and storable(code):
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None or not scope.covers(unit):
        raise NotFound(_("No org unit %(code)s among yours.", code=code[:32]))
    return unit


def observable_worker(scope: Scope, employee_no: str) -> Worker:
    """The worker with this employee number if the scope covers them (NotFound otherwise)."""
    worker = None
    if len(employee_no) <= 32 and storable(employee_no):
        worker = db.session.scalar(select(Worker).where(Worker.employee_no == employee_no))
    if worker is None or not scope.covers(worker.org_unit):
        raise NotFound(_("No staff member with employee number %(no)s in your units.",
                         no=employee_no[:32]))
    return worker


def search_workers(scope: Scope, q: str, limit: int = SEARCH_LIMIT) -> list[Worker]:
    """Active staff in the scope whose name or employee number contains ``q``."""
    q = q.strip()
    if not q or scope.empty:
        return []
    return list(db.session.scalars(
        select(Worker).join(Worker.org_unit)
        .options(contains_eager(Worker.org_unit))
        .where(scope.unit_clause(), Worker.status == WorkerStatus.ACTIVE,
               or_(Worker.name.contains(q, autoescape=True),
                   Worker.employee_no.contains(q, autoescape=True)))
        .order_by(Worker.employee_no).limit(limit)))


# ---------------------------------------------------------------- rubrics


def list_rubrics() -> list[ObservationRubric]:
    """Every rubric, in the order of rubrics.yaml."""
    return list(db.session.scalars(
        select(ObservationRubric).order_by(ObservationRubric.position, ObservationRubric.code)))


def get_rubric(code: str) -> ObservationRubric | None:
    """A rubric by code."""
    if len(code) > 64 or not storable(code):
        return None
    return db.session.scalar(select(ObservationRubric).where(ObservationRubric.code == code))


def read_rubrics(root: Path, known_skills: Iterable[str] | None = None,
                 ) -> tuple[list[pure.RubricSpec] | None, list[Problem]]:
    """The rubrics of ``root``/rubrics.yaml (None when the tree has no such file)."""
    path = root / pure.RUBRIC_FILE
    if not path.is_file():
        return None, []
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [problem(pure.RUBRIC_FILE, None, N_("Cannot read the file: %(error)s."),
                              error=str(exc))]
    specs, problems = pure.parse_rubrics(
        data, known_skills=None if known_skills is None else set(known_skills))
    return specs, problems


def apply_rubrics(specs: Iterable[pure.RubricSpec], tally: Any) -> None:
    """Upsert rubrics by code (``tally.add`` counts created/updated/unchanged)."""
    specs = list(specs)
    existing = {r.code: r for r in db.session.scalars(
        select(ObservationRubric).where(ObservationRubric.code.in_([s.code for s in specs])))}
    for spec in specs:
        rubric = existing.get(spec.code)
        digest = spec.content_hash
        if rubric is not None and rubric.content_hash == digest:
            tally.add("unchanged")
            continue
        if rubric is None:
            rubric = ObservationRubric(code=spec.code)
            db.session.add(rubric)
            tally.add("created")
        else:
            tally.add("updated")
        rubric.title = spec.title
        rubric.description = spec.description
        rubric.kind = spec.kind
        rubric.criteria = spec.criteria_dicts()
        rubric.position = spec.position
        rubric.content_hash = digest
        rubric.source = "files"
        rubric.updated_at = utcnow()
    db.session.flush()


# ---------------------------------------------------------------- recording


def score_message(item: pure.ScoreProblem) -> str:
    """A score problem in the current language."""
    if item.kind == pure.MISSING:
        return _("Score this criterion from 1 to 5, or mark it not observed.")
    if item.kind == pure.OUT_OF_RANGE:
        return _("A score is a whole number from 1 to 5, or null for not observed.")
    if item.kind == pure.UNKNOWN:
        return _("The rubric has no criterion %(code)s.", code=item.criterion[:64])
    return _("Score at least one criterion: not everything can be not observed.")


@dataclass
class ObservationInput:
    """What an observer submits (from the form or the API)."""

    kind: str
    observed_at: datetime
    scores: Mapping[str, Any]
    criterion_notes: Mapping[str, Any] = field(default_factory=dict)
    notes: str | None = None


def _clean(rubric: ObservationRubric, data: ObservationInput,
           ) -> tuple[dict[str, int | None], dict[str, str], dict[str, list[str]]]:
    """The scores and notes to store, and every problem by field."""
    errors: dict[str, list[str]] = {}
    if data.kind not in pure.KINDS:
        errors["kind"] = [_("Choose role-play or counter session.")]
    observed_at = aware(data.observed_at)
    if observed_at > utcnow() + CLOCK_SLACK:
        errors["observed_at"] = [_("An observation cannot be in the future.")]
    elif observed_at < EARLIEST:
        errors["observed_at"] = [_("That date is too long ago.")]
    scores, problems = pure.check_scores(rubric.criteria, data.scores)
    for item in problems:
        key = f"scores.{item.criterion}" if item.criterion else "scores"
        errors.setdefault(key, []).append(score_message(item))
    codes = {c["code"] for c in rubric.criteria}
    notes: dict[str, str] = {}
    for code, text in (data.criterion_notes or {}).items():
        if code not in codes:
            errors.setdefault(f"criterion_notes.{code}", []).append(
                _("The rubric has no criterion %(code)s.", code=str(code)[:64]))
        elif text is not None and (not isinstance(text, str) or not storable(text)):
            errors.setdefault(f"criterion_notes.{code}", []).append(_("Not valid text."))
        elif text and len(text.strip()) > NOTE_MAX:
            errors.setdefault(f"criterion_notes.{code}", []).append(
                _("At most %(n)d characters.", n=NOTE_MAX))
        elif text and text.strip():
            notes[code] = text.strip()
    if data.notes is not None and (not storable(data.notes)
                                   or len(data.notes.strip()) > NOTES_MAX):
        errors["notes"] = [_("At most %(n)d characters of text.", n=NOTES_MAX)]
    return scores, notes, errors


def record_observation(observer: User, scope: Scope, worker: Worker,
                       rubric: ObservationRubric, data: ObservationInput) -> Observation:
    """Record an observation of ``worker`` by ``observer`` (NotFound outside the scope)."""
    role = scope.role_for(worker.org_unit)
    if role is None:
        raise NotFound(_("No staff member with employee number %(no)s in your units.",
                         no=worker.employee_no))
    scores, notes, errors = _clean(rubric, data)
    if errors:
        raise ValidationFailed(_("The observation was not saved: check the marked fields."),
                               errors)
    observation = Observation(
        worker=worker, org_unit_id=worker.org_unit_id, observer_id=observer.id,
        observer_role=role, rubric_id=rubric.id, rubric_code=rubric.code,
        rubric_title=rubric.title, criteria=list(rubric.criteria), scores=scores,
        criterion_notes=notes, notes=(data.notes or "").strip() or None,
        mean_score=pure.mean_score(scores), kind=data.kind,
        observed_at=aware(data.observed_at).astimezone(UTC))
    db.session.add(observation)
    db.session.flush()
    record("observation.created", target_type="observation", target_id=observation.id,
           target_label=f"{worker.name} ({worker.employee_no})", org_path=worker.org_unit.path,
           actor=observer,
           after={"employee_no": worker.employee_no, "rubric": rubric.code,
                  "kind": data.kind, "mean_score": observation.mean_score,
                  "observed_at": observation.observed_at, "observer_role": role})
    log.info("observation %s recorded: worker %s, rubric %s, by user %s as %s",
             observation.id, worker.employee_no, rubric.code, observer.id, role)
    _announce(observation, worker)
    return observation


def _announce(observation: Observation, worker: Worker) -> None:
    """Send :data:`academy.signals.observation_recorded` (the evidence of soft skills)."""
    signals.observation_recorded.send(
        current_app._get_current_object(), observation_id=observation.id,
        worker_id=worker.id, employee_no=worker.employee_no, rubric=observation.rubric_code,
        kind=observation.kind,
        scores=[{"criterion": row["code"], "skill": row.get("skill"), "score": row["score"]}
                for row in observation.rows()],
        skills=pure.skill_means(observation.criteria, observation.scores),
        mean_score=observation.mean_score, observer_id=observation.observer_id,
        observer_role=observation.observer_role,
        observed_at=aware(observation.observed_at))


# ---------------------------------------------------------------- reading


@dataclass
class ObservationFilters:
    org_unit: OrgUnit | None = None
    q: str | None = None  # part of a name or employee number
    rubric: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None


def _local_start(day: date) -> datetime:
    """The start of ``day`` in the app's time zone, in UTC (days far out are clamped)."""
    day = min(max(day, date(1900, 1, 2)), date(9999, 12, 30))
    local = datetime.combine(day, time.min)
    tz = get_timezone()
    localized = tz.localize(local) if hasattr(tz, "localize") else local.replace(tzinfo=tz)
    return localized.astimezone(UTC)


def _listing(stmt: Select) -> Select:
    """Eager loading for a page of observations (a constant number of queries)."""
    return stmt.options(joinedload(Observation.worker), joinedload(Observation.observer)) \
        .order_by(Observation.observed_at.desc(), Observation.id.desc())


def observation_query(scope: Scope, filters: ObservationFilters | None = None) -> Select:
    """Observations made within the scope, newest first, filtered."""
    filters = filters or ObservationFilters()
    stmt = (select(Observation).join(Observation.org_unit)
            .options(contains_eager(Observation.org_unit))
            .where(scope.unit_clause()))
    if filters.org_unit is not None:
        stmt = stmt.where(OrgUnit.path.startswith(filters.org_unit.path, autoescape=True))
    if filters.q:
        stmt = stmt.where(Observation.worker_id.in_(
            select(Worker.id).where(or_(Worker.name.contains(filters.q, autoescape=True),
                                        Worker.employee_no.contains(filters.q,
                                                                    autoescape=True)))))
    if filters.rubric:
        stmt = stmt.where(Observation.rubric_code == filters.rubric)
    if filters.kind:
        stmt = stmt.where(Observation.kind == filters.kind)
    if filters.since:
        stmt = stmt.where(Observation.observed_at >= _local_start(filters.since))
    if filters.until:
        stmt = stmt.where(Observation.observed_at < _local_start(
            min(filters.until, date(9999, 12, 29)) + timedelta(days=1)))
    return _listing(stmt)


def visible_query(scope: Scope, employee_no: str | None = None) -> Select:
    """Observations the user may read: within the scope, or of the user themself."""
    own = Observation.worker_id == scope.worker_id if scope.worker_id else false()
    stmt = (select(Observation).join(Observation.org_unit)
            .options(contains_eager(Observation.org_unit))
            .where(or_(scope.unit_clause(), own)))
    if employee_no is not None:
        stmt = stmt.where(Observation.worker_id.in_(
            select(Worker.id).where(Worker.employee_no == employee_no)))
    return _listing(stmt)


def own_query(worker_id: int | None) -> Select:
    """A worker's own observations, newest first."""
    stmt = select(Observation).options(joinedload(Observation.org_unit))
    stmt = stmt.where(Observation.worker_id == worker_id) if worker_id else stmt.where(false())
    return _listing(stmt)


def can_view(scope: Scope, observation: Observation) -> bool:
    """Observers in scope of where it was made, and the observed worker."""
    return scope.covers(observation.org_unit) or (
        scope.worker_id is not None and observation.worker_id == scope.worker_id)


def get_visible(scope: Scope, observation_id: int) -> Observation:
    """The observation if the user may read it (NotFound otherwise, as if it did not exist)."""
    observation = db.session.get(Observation, observation_id) \
        if 0 < observation_id < 2**31 else None
    if observation is None or not can_view(scope, observation):
        raise NotFound(_("No such observation."))
    return observation


# ---------------------------------------------------------------- engagements


def assessor_accounts() -> list[User]:
    """Active accounts holding the assessor role (third parties, district-wide)."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == ASSESSOR, User.active.is_(True))
        .order_by(User.display_name, User.username)))


def get_account(user_id: int) -> User | None:
    """An account by id (for the engagement form's choice of assessor)."""
    return db.session.get(User, user_id) if 0 < user_id < 2**31 else None


def engagements_query(admin: User) -> Select:
    """Engagements for units in the admin's subtree: those in force first, then newest."""
    return (select(AssessorEngagement).join(AssessorEngagement.org_unit)
            .options(contains_eager(AssessorEngagement.org_unit),
                     joinedload(AssessorEngagement.assessor),
                     joinedload(AssessorEngagement.created_by))
            .where(OrgUnit.path.startswith(admin.org_unit.path, autoescape=True))
            .order_by(AssessorEngagement.ended_at.is_not(None), AssessorEngagement.valid_to.desc(),
                      AssessorEngagement.id.desc()))


def get_engagement(engagement_id: int) -> AssessorEngagement | None:
    """An engagement by id."""
    return db.session.get(AssessorEngagement, engagement_id) \
        if 0 < engagement_id < 2**31 else None


def _engagement_audit(engagement: AssessorEngagement) -> dict[str, Any]:
    return {"assessor": engagement.assessor.username, "org_unit": engagement.org_unit.code,
            "valid_from": engagement.valid_from, "valid_to": engagement.valid_to,
            "note": engagement.note}


def create_engagement(actor: User, *, assessor: User, unit: OrgUnit, valid_from: date,
                      valid_to: date, note: str | None,
                      today: date | None = None) -> AssessorEngagement:
    """Engage an assessor for a unit of the actor's subtree, for a period."""
    today = today or date.today()
    errors: dict[str, list[str]] = {}
    if not in_scope(actor, unit):
        errors["org_unit"] = [_("Choose one of your org units.")]
    if not assessor.active or not assessor.has_role(ASSESSOR):
        errors["assessor"] = [_("Choose an active account with the assessor role.")]
    if valid_to < valid_from:
        errors["valid_to"] = [_("The end cannot be before the start.")]
    elif valid_to < today:
        errors["valid_to"] = [_("The engagement would already be over.")]
    note = (note or "").strip() or None
    if note is not None and (len(note) > 255 or not storable(note)):
        errors["note"] = [_("At most %(n)d characters of text.", n=255)]
    if errors:
        raise ValidationFailed(_("The engagement was not saved: check the marked fields."),
                               errors)
    overlapping = db.session.scalar(select(AssessorEngagement.id).where(
        AssessorEngagement.assessor_id == assessor.id,
        AssessorEngagement.org_unit_id == unit.id, AssessorEngagement.ended_at.is_(None),
        AssessorEngagement.valid_from <= valid_to, AssessorEngagement.valid_to >= valid_from))
    if overlapping is not None:
        message = _("%(name)s is already engaged for %(unit)s in that period.",
                    name=assessor.display_name, unit=unit.name)
        raise Conflict(message, {"org_unit": [message]})
    engagement = AssessorEngagement(assessor=assessor, org_unit=unit, valid_from=valid_from,
                                    valid_to=valid_to, note=note, created_by=actor)
    db.session.add(engagement)
    db.session.flush()
    record("engagement.created", target_type="engagement", target_id=engagement.id,
           target_label=f"{assessor.username} → {unit.code}", org_path=unit.path,
           actor=actor, after=_engagement_audit(engagement))
    return engagement


def end_engagement(actor: User, engagement: AssessorEngagement,
                   today: date | None = None) -> bool:
    """End an engagement now; False (and no change) when it is already over."""
    today = today or date.today()
    if engagement.ended_at is not None or engagement.valid_to < today:
        return False
    engagement.ended_at = utcnow()
    engagement.ended_by = actor
    db.session.flush()
    record("engagement.ended", target_type="engagement", target_id=engagement.id,
           target_label=f"{engagement.assessor.username} → {engagement.org_unit.code}",
           org_path=engagement.org_unit.path, actor=actor,
           before={"ended_at": None}, after={"ended_at": engagement.ended_at})
    return True
