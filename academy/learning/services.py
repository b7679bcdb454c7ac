"""Learning: assignment by rule and by hand, the trainee's progress, completion.

Reads (outlines, progress) take a fixed number of queries whatever the data size; writes
add and flush but never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, select

from academy.audit.services import record
from academy.catalog.models import Course, CourseVersion
from academy.errors import Forbidden, NotFound, ValidationFailed
from academy.extensions import db
from academy.learning import rules as pure
from academy.learning.models import (
    Assignment,
    AssignmentRule,
    LearningPath,
    LessonProgress,
    PathItem,
)
from academy.org.models import EmploymentType, OrgLevel, OrgUnit, Worker, WorkerStatus
from academy.timeutil import aware, utcnow

log = logging.getLogger(__name__)
CHUNK = 500


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------- published content


@dataclass(frozen=True)
class LessonRef:
    """One lesson of the latest published version of a course."""

    course_id: int
    course_slug: str
    module_slug: str
    lesson_slug: str
    title: str

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.course_id, self.module_slug, self.lesson_slug)


@dataclass
class ModuleOutline:
    course_id: int
    course_slug: str
    course_title: str
    module_slug: str
    title: str
    summary: str | None
    lessons: list[LessonRef]


def latest_versions(course_ids: Iterable[int]) -> dict[int, tuple[str, CourseVersion]]:
    """The latest published version of each course, with the course slug (one query)."""
    ids = sorted(set(course_ids))
    if not ids:
        return {}
    newest = (select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
              .where(CourseVersion.course_id.in_(ids))
              .group_by(CourseVersion.course_id).subquery())
    rows = db.session.execute(
        select(CourseVersion, Course.slug)
        .join(newest, and_(CourseVersion.course_id == newest.c.course_id,
                           CourseVersion.number == newest.c.number))
        .join(Course, Course.id == CourseVersion.course_id)
    ).all()
    return {version.course_id: (slug, version) for version, slug in rows}


def module_outline(course_id: int, slug: str, version: CourseVersion,
                   module_slug: str) -> ModuleOutline | None:
    """A module of a published snapshot, or None if that version lacks it."""
    snapshot = version.snapshot or {}
    for module in snapshot.get("modules") or []:
        if module.get("slug") == module_slug:
            lessons = [LessonRef(course_id, slug, module_slug, lesson["slug"],
                                 lesson.get("title") or lesson["slug"])
                       for lesson in module.get("lessons") or []]
            return ModuleOutline(course_id, slug, snapshot.get("title") or slug, module_slug,
                                 module.get("title") or module_slug, module.get("summary"),
                                 lessons)
    return None


def path_outlines(paths: Iterable[LearningPath]) -> dict[int, list[ModuleOutline]]:
    """Each path's modules in order, as published now (items whose module is gone are left out)."""
    paths = list(paths)
    versions = latest_versions(item.course_id for path in paths for item in path.items)
    out: dict[int, list[ModuleOutline]] = {}
    for path in paths:
        modules = []
        for item in path.items:
            found = versions.get(item.course_id)
            outline = found and module_outline(item.course_id, found[0], found[1],
                                               item.module_slug)
            if outline is not None:
                modules.append(outline)
        out[path.id] = modules
    return out


def course_lessons(version: CourseVersion, slug: str) -> list[ModuleOutline]:
    """Every module of a published version, in order."""
    return [module_outline(version.course_id, slug, version, m["slug"])
            for m in (version.snapshot or {}).get("modules") or []]


# ---------------------------------------------------------------- progress views


@dataclass
class ModuleProgress:
    outline: ModuleOutline
    done_keys: set[tuple[int, str, str]]

    @property
    def done(self) -> int:
        return sum(1 for lesson in self.outline.lessons if lesson.key in self.done_keys)

    @property
    def total(self) -> int:
        return len(self.outline.lessons)

    @property
    def completed(self) -> bool:
        return self.done == self.total


@dataclass
class AssignmentView:
    """An assignment with its progress, as the trainee and the API see it."""

    assignment: Assignment
    modules: list[ModuleProgress]
    today: date
    next_lesson: LessonRef | None = None
    last_viewed: tuple[datetime, LessonRef] | None = None
    completed_keys: set = field(default_factory=set)

    @property
    def path(self) -> LearningPath:
        return self.assignment.path

    @property
    def done(self) -> int:
        return sum(m.done for m in self.modules)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.modules)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def completed(self) -> bool:
        return self.assignment.completed_at is not None or \
            (bool(self.modules) and all(m.completed for m in self.modules))

    @property
    def overdue(self) -> bool:
        return not self.completed and self.assignment.due_date < self.today

    @property
    def days_left(self) -> int:
        return (self.assignment.due_date - self.today).days

    @property
    def resume_at(self) -> LessonRef | None:
        """The last viewed lesson if it is not done, else the first lesson not done."""
        if self.last_viewed is not None and \
                self.last_viewed[1].key not in self.completed_keys:
            return self.last_viewed[1]
        return self.next_lesson


def progress_rows(worker_id: int, course_ids: Iterable[int]) -> dict[tuple, LessonProgress]:
    """The worker's progress on these courses, by (course id, module slug, lesson slug)."""
    ids = sorted(set(course_ids))
    if not ids:
        return {}
    rows = db.session.scalars(select(LessonProgress).where(
        LessonProgress.worker_id == worker_id, LessonProgress.course_id.in_(ids)))
    return {(p.course_id, p.module_slug, p.lesson_slug): p for p in rows}


def worker_assignments(worker: Worker, *, today: date | None = None,
                       path_ids: Iterable[int] | None = None) -> list[AssignmentView]:
    """The worker's assignments with progress: open ones first, by due date (3 queries)."""
    today = today or date.today()
    stmt = select(Assignment).where(Assignment.worker_id == worker.id)
    if path_ids is not None:
        stmt = stmt.where(Assignment.path_id.in_(list(path_ids)))
    assignments = list(db.session.scalars(stmt).unique())
    outlines = path_outlines(a.path for a in assignments)
    progress = progress_rows(worker.id, (m.course_id for ms in outlines.values() for m in ms))
    done_keys = {key for key, p in progress.items() if p.completed_at is not None}
    views = []
    for assignment in assignments:
        modules = [ModuleProgress(outline, done_keys) for outline in outlines[assignment.path_id]]
        view = AssignmentView(assignment, modules, today, completed_keys=done_keys)
        for module in modules:
            for lesson in module.outline.lessons:
                if view.next_lesson is None and lesson.key not in done_keys:
                    view.next_lesson = lesson
                seen = progress.get(lesson.key)
                if seen is not None:
                    at = aware(seen.last_viewed_at)
                    if view.last_viewed is None or at > view.last_viewed[0]:
                        view.last_viewed = (at, lesson)
        views.append(view)
    views.sort(key=lambda v: (v.completed, v.assignment.due_date, v.path.title))
    return views


def continue_target(views: list[AssignmentView]) -> tuple[AssignmentView, LessonRef] | None:
    """Where "continue" leads: the most recently viewed unfinished lesson of an open path,
    else the first unfinished lesson of the open path due soonest."""
    open_views = [v for v in views if not v.completed and v.resume_at is not None]
    recent = [v for v in open_views if v.last_viewed is not None
              and v.last_viewed[1].key not in v.completed_keys]
    if recent:
        best = max(recent, key=lambda v: v.last_viewed[0])
        return best, best.last_viewed[1]
    if open_views:
        return open_views[0], open_views[0].resume_at
    return None


# ---------------------------------------------------------------- reading a lesson


@dataclass
class LessonPage:
    course: Course
    version: CourseVersion
    module: dict[str, Any]
    lesson: dict[str, Any]
    ref: LessonRef
    previous: LessonRef | None
    next: LessonRef | None
    position: int
    count: int
    progress: LessonProgress | None = None


def get_course(slug: str) -> Course | None:
    """A course by its slug."""
    return db.session.scalar(select(Course).where(Course.slug == slug))


def lesson_page(course_slug: str, module_slug: str, lesson_slug: str,
                sequence: list[LessonRef] | None = None) -> LessonPage:
    """A lesson of the latest published version; previous/next within ``sequence``
    (a path's lessons) when it holds this lesson, else within the course."""
    course = get_course(course_slug)
    found = latest_versions([course.id]).get(course.id) if course is not None else None
    if found is None:
        raise NotFound(_("This lesson is not published."))
    version = found[1]
    module = next((m for m in (version.snapshot or {}).get("modules") or []
                   if m.get("slug") == module_slug), None)
    lesson = next((lesson for lesson in (module or {}).get("lessons") or []
                   if lesson.get("slug") == lesson_slug), None)
    if module is None or lesson is None:
        raise NotFound(_("This lesson is not published."))
    ref = LessonRef(course.id, course.slug, module_slug, lesson_slug,
                    lesson.get("title") or lesson_slug)
    if not sequence or ref not in sequence:
        sequence = [lesson for m in course_lessons(version, course.slug) for lesson in m.lessons]
    index = sequence.index(ref)
    return LessonPage(course, version, module, lesson, ref,
                      sequence[index - 1] if index > 0 else None,
                      sequence[index + 1] if index + 1 < len(sequence) else None,
                      index + 1, len(sequence))


def path_sequence(worker: Worker, path_code: str | None) -> tuple[LearningPath | None,
                                                                  list[LessonRef] | None]:
    """The lessons of one of the worker's assigned paths, in order (None if not assigned)."""
    if not path_code:
        return None, None
    assignment = db.session.scalar(
        select(Assignment).join(Assignment.path)
        .where(Assignment.worker_id == worker.id, LearningPath.code == path_code))
    if assignment is None:
        return None, None
    outline = path_outlines([assignment.path])[assignment.path_id]
    return assignment.path, [lesson for module in outline for lesson in module.lessons]


def _progress(worker: Worker, ref: LessonRef) -> LessonProgress | None:
    return db.session.scalar(select(LessonProgress).where(
        LessonProgress.worker_id == worker.id, LessonProgress.course_id == ref.course_id,
        LessonProgress.module_slug == ref.module_slug,
        LessonProgress.lesson_slug == ref.lesson_slug))


def record_view(worker: Worker, page: LessonPage) -> LessonProgress:
    """Note that the worker opened the lesson (first and last viewed)."""
    progress = _progress(worker, page.ref)
    now = utcnow()
    if progress is None:
        progress = LessonProgress(worker_id=worker.id, course_id=page.ref.course_id,
                                  module_slug=page.ref.module_slug,
                                  lesson_slug=page.ref.lesson_slug,
                                  first_viewed_at=now, last_viewed_at=now)
        db.session.add(progress)
    else:
        progress.last_viewed_at = now
    db.session.flush()
    page.progress = progress
    return progress


def complete_lesson(worker: Worker, page: LessonPage) -> list[Assignment]:
    """Mark the lesson done; returns the assignments this completes."""
    progress = _progress(worker, page.ref)
    now = utcnow()
    if progress is None:
        progress = LessonProgress(worker_id=worker.id, course_id=page.ref.course_id,
                                  module_slug=page.ref.module_slug,
                                  lesson_slug=page.ref.lesson_slug,
                                  first_viewed_at=now, last_viewed_at=now, completed_at=now)
        db.session.add(progress)
    elif progress.completed_at is None:
        progress.completed_at = now
    progress.last_viewed_at = now
    db.session.flush()
    page.progress = progress
    return check_completion(worker, course_id=page.ref.course_id,
                            module_slug=page.ref.module_slug)


def check_completion(worker: Worker, *, course_id: int | None = None,
                     module_slug: str | None = None) -> list[Assignment]:
    """Set completed_at on the worker's open assignments that are now complete."""
    stmt = select(Assignment.path_id).where(Assignment.worker_id == worker.id,
                                            Assignment.completed_at.is_(None))
    if course_id is not None:
        stmt = stmt.join(PathItem, PathItem.path_id == Assignment.path_id).where(
            PathItem.course_id == course_id, PathItem.module_slug == module_slug)
    path_ids = set(db.session.scalars(stmt))
    if not path_ids:
        return []
    finished = []
    for view in worker_assignments(worker, path_ids=path_ids):
        if view.assignment.completed_at is None and view.total and view.done == view.total:
            view.assignment.completed_at = utcnow()
            finished.append(view.assignment)
            record("path_completed", actor=worker.account if worker.account else None,
                   target_type="assignment", target_id=view.assignment.id,
                   target_label=f"{worker.employee_no} {view.path.code}",
                   org_path=worker.org_unit.path, after={"path": view.path.code})
    db.session.flush()
    return finished


def complete_quiz_modules(worker: Worker, course_id: int, quiz_file: str) -> list[Assignment]:
    """A passed quiz completes its module: mark the lessons of every published module of
    the course whose activities name ``quiz_file`` done; returns the assignments this
    completes."""
    found = latest_versions([course_id]).get(course_id)
    if found is None:
        return []
    slug, version = found
    finished: list[Assignment] = []
    now = utcnow()
    for module in (version.snapshot or {}).get("modules") or []:
        if not any(entry.get("type") == "quiz" and entry.get("file") == quiz_file
                   for entry in module.get("activities") or []):
            continue
        outline = module_outline(course_id, slug, version, module["slug"])
        rows = progress_rows(worker.id, [course_id])
        for lesson in outline.lessons:
            progress = rows.get(lesson.key)
            if progress is None:
                db.session.add(LessonProgress(
                    worker_id=worker.id, course_id=course_id, module_slug=lesson.module_slug,
                    lesson_slug=lesson.lesson_slug, first_viewed_at=now, last_viewed_at=now,
                    completed_at=now))
            elif progress.completed_at is None:
                progress.completed_at = now
        db.session.flush()
        finished += check_completion(worker, course_id=course_id, module_slug=module["slug"])
    return finished


# ---------------------------------------------------------------- applying rules


def _unit_codes() -> dict[int, tuple[frozenset[str], str]]:
    """Every unit's (codes of itself and its ancestors, level), from one query."""
    units = db.session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.level, OrgUnit.path)).all()
    code_of = {row.id: row.code for row in units}
    out = {}
    for row in units:
        ids = [int(part) for part in (row.path or "").strip("/").split("/") if part]
        out[row.id] = (frozenset(code_of[i] for i in ids if i in code_of) | {row.code},
                       OrgLevel(row.level).value)
    return out


def _rule_specs(rules: list[AssignmentRule] | None) -> list[pure.RuleSpec]:
    if rules is None:
        rules = list(db.session.scalars(
            select(AssignmentRule).join(AssignmentRule.path)
            .where(AssignmentRule.active.is_(True), LearningPath.active.is_(True))))
    return [pure.RuleSpec(rule.id, rule.path_id, dict(rule.criteria or {}), rule.due_from,
                          rule.path.due_days)
            for rule in rules if rule.active and rule.path.active]


def apply_rules(employee_nos: Iterable[str] | None = None, *,
                rules: list[AssignmentRule] | None = None, today: date | None = None) -> int:
    """Create the assignments the active rules call for that are missing; returns how many.

    ``employee_nos`` limits it to those staff (None: everyone); ``rules`` to those rules.
    A few queries per 500 workers, never one per worker.
    """
    from academy.learning.notifications import notify_assigned

    today = today or date.today()
    specs = _rule_specs(rules)
    if not specs:
        return 0
    path_ids = sorted({spec.path_id for spec in specs})
    units = _unit_codes()
    columns = (Worker.id, Worker.employment_type, Worker.hire_date, Worker.org_unit_id,
               Worker.post, Worker.status)
    if employee_nos is None:
        batches: Iterable[list] = [list(db.session.execute(
            select(*columns).where(Worker.status == WorkerStatus.ACTIVE)))]
    else:
        numbers = sorted(set(employee_nos))
        batches = (list(db.session.execute(select(*columns).where(
            Worker.employee_no.in_(chunk), Worker.status == WorkerStatus.ACTIVE)))
            for chunk in _chunks(numbers))
    created = 0
    for rows in batches:
        if not rows:
            continue
        facts = [pure.WorkerFacts(
            id=row.id, employment_type=EmploymentType(row.employment_type).value,
            hire_date=row.hire_date, org_level=units[row.org_unit_id][1],
            org_unit_codes=units[row.org_unit_id][0], post=row.post,
            status=WorkerStatus(row.status).value) for row in rows]
        worker_ids = [f.id for f in facts]
        existing: set[tuple[int, int]] = set()
        for chunk in _chunks(worker_ids):
            existing.update(tuple(row) for row in db.session.execute(
                select(Assignment.worker_id, Assignment.path_id)
                .where(Assignment.worker_id.in_(chunk), Assignment.path_id.in_(path_ids))
            ))
        planned = pure.plan_assignments(specs, facts, existing, today)
        if not planned:
            continue
        now = utcnow()
        db.session.execute(insert(Assignment), [
            {"worker_id": p.worker_id, "path_id": p.path_id, "rule_id": p.rule_id,
             "source": "rule", "assigned_at": now, "due_date": p.due_date}
            for p in planned])
        created += len(planned)
        notify_assigned(_new_assignment_ids({(p.worker_id, p.path_id) for p in planned}))
    if created:
        log.info("assignment rules created %d assignments", created)
    return created


def _new_assignment_ids(pairs: set[tuple[int, int]]) -> list[int]:
    worker_ids = sorted({w for w, _p in pairs})
    path_ids = sorted({p for _w, p in pairs})
    ids: list[int] = []
    for chunk in _chunks(worker_ids):
        for assignment_id, worker_id, path_id in db.session.execute(
                select(Assignment.id, Assignment.worker_id, Assignment.path_id)
                .where(Assignment.worker_id.in_(chunk), Assignment.path_id.in_(path_ids))):
            if (worker_id, path_id) in pairs:
                ids.append(assignment_id)
    return ids


# ---------------------------------------------------------------- paths and rules (admin)


def list_paths() -> list[LearningPath]:
    """Every learning path with its items and rules, by code."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(
        select(LearningPath).options(selectinload(LearningPath.rules))
        .order_by(LearningPath.active.desc(), LearningPath.code)))


def get_path(code: str) -> LearningPath | None:
    """A learning path by its code."""
    return db.session.scalar(select(LearningPath).where(LearningPath.code == code))


def rule_unit(rule_or_criteria: AssignmentRule | dict) -> OrgUnit | None:
    """The org unit a rule is limited to, if any."""
    criteria = rule_or_criteria if isinstance(rule_or_criteria, dict) \
        else (rule_or_criteria.criteria or {})
    code = criteria.get("org_unit")
    if not code or not isinstance(code, str):
        return None
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def can_manage_rule(user, rule: AssignmentRule) -> bool:
    """Admins manage rules limited to a unit of their subtree; unlimited rules only
    the admins of a top-level unit (their scope is everyone)."""
    if not (user.is_authenticated and user.has_role("admin")):
        return False
    unit = rule_unit(rule)
    if unit is None:
        return not (rule.criteria or {}).get("org_unit") and user.org_unit.parent_id is None
    return unit.path.startswith(user.org_unit.path)


def clean_criteria(values: dict[str, Any], scope: OrgUnit) -> dict[str, Any]:
    """Criteria from form values: empty ones dropped, the org unit checked against the scope."""
    errors: dict[str, list[str]] = {}
    criteria: dict[str, Any] = {}
    etype = values.get("employment_type") or ""
    if etype:
        if etype not in {e.value for e in EmploymentType}:
            errors["employment_type"] = [_("Unknown employment type.")]
        criteria["employment_type"] = etype
    level = values.get("org_level") or ""
    if level:
        if level not in {lv.value for lv in OrgLevel}:
            errors["org_level"] = [_("Unknown org level.")]
        criteria["org_level"] = level
    days = values.get("hired_within_days")
    if days not in (None, ""):
        try:
            days = int(days)
            if not 0 <= days <= 36500:
                raise ValueError
            criteria["hired_within_days"] = days
        except (TypeError, ValueError):
            errors["hired_within_days"] = [_("Give a whole number of days from 0 to 36500.")]
    post = (values.get("post") or "").strip()
    if post:
        if len(post) > 64:
            errors["post"] = [_("At most 64 characters.")]
        criteria["post"] = post
    code = (values.get("org_unit") or "").strip()
    if code:
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
        if unit is None:
            errors["org_unit"] = [_("No org unit with code %(code)s.", code=code[:32])]
        elif not unit.path.startswith(scope.path):
            errors["org_unit"] = [_("The org unit %(code)s is outside your scope.", code=code)]
        criteria["org_unit"] = code
    elif scope.parent_id is not None:
        # A rule without a unit would reach staff outside this admin's subtree.
        errors["org_unit"] = [_("Choose one of your org units: the rule applies within it.")]
    criteria["status"] = "active"
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    return criteria


def _check_rule_fields(name: str, due_from: str) -> str:
    name = (name or "").strip()
    errors = {}
    if not name or len(name) > 200:
        errors["name"] = [_("A name of 1 to 200 characters is required.")]
    if due_from not in pure.DUE_FROM:
        errors["due_from"] = [_("Choose when the due period starts.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    return name


def _rule_audit(rule: AssignmentRule) -> dict[str, Any]:
    return {"path": rule.path.code, "name": rule.name, "criteria": dict(rule.criteria or {}),
            "due_from": rule.due_from, "active": rule.active}


def _rule_org_path(rule: AssignmentRule, actor) -> str | None:
    unit = rule_unit(rule)
    return unit.path if unit is not None else actor.org_unit.path


def create_rule(path: LearningPath, *, name: str, criteria: dict[str, Any], due_from: str,
                actor) -> tuple[AssignmentRule, int]:
    """Add a rule to a path and apply it; returns the rule and how many were assigned."""
    name = _check_rule_fields(name, due_from)
    rule = AssignmentRule(path=path, name=name, criteria=criteria, due_from=due_from,
                          active=True, created_by_id=actor.id, source="app")
    db.session.add(rule)
    db.session.flush()
    record("assignment_rule_created", actor=actor, target_type="assignment_rule",
           target_id=rule.id, target_label=name, org_path=_rule_org_path(rule, actor),
           after=_rule_audit(rule))
    return rule, apply_rules(rules=[rule])


def update_rule(rule: AssignmentRule, *, name: str, criteria: dict[str, Any], due_from: str,
                actor) -> int:
    """Change a rule and apply it again; returns how many were newly assigned."""
    name = _check_rule_fields(name, due_from)
    before = _rule_audit(rule)
    rule.name, rule.criteria, rule.due_from = name, criteria, due_from
    db.session.flush()
    after = _rule_audit(rule)
    if after != before:
        rule.source = "app"
        record("assignment_rule_updated", actor=actor, target_type="assignment_rule",
               target_id=rule.id, target_label=name, org_path=_rule_org_path(rule, actor),
               before=before, after=after)
    return apply_rules(rules=[rule]) if rule.active else 0


def set_rule_active(rule: AssignmentRule, active: bool, *, actor) -> int:
    """Activate (and apply) or deactivate a rule; existing assignments stay."""
    if rule.active == active:
        return 0
    before = _rule_audit(rule)
    rule.active = active
    rule.source = "app"
    db.session.flush()
    record("assignment_rule_activated" if active else "assignment_rule_deactivated",
           actor=actor, target_type="assignment_rule", target_id=rule.id,
           target_label=rule.name, org_path=_rule_org_path(rule, actor), before=before,
           after=_rule_audit(rule))
    return apply_rules(rules=[rule]) if active else 0


# ---------------------------------------------------------------- manual assignment


@dataclass
class ManualResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def assign_manually(path: LearningPath, *, actor, worker: Worker | None = None,
                    unit: OrgUnit | None = None, due: date | None = None,
                    today: date | None = None) -> ManualResult:
    """Assign a path to one worker or to every active worker of a unit's subtree.

    An explicit due date also moves the due date of open existing assignments.
    """
    from academy.learning.notifications import notify_assigned

    today = today or date.today()
    if not path.active:
        raise ValidationFailed(_("This learning path is no longer in use."))
    if due is not None and due < today:
        msg = _("The due date cannot be in the past.")
        raise ValidationFailed(msg, {"due_date": [msg]})
    if (worker is None) == (unit is None):
        raise ValidationFailed(_("Choose a person or an org unit."))
    scope = actor.org_unit
    if worker is not None:
        if not worker.org_unit.path.startswith(scope.path):
            raise Forbidden(_("This staff record is outside your scope."))
        if worker.status != WorkerStatus.ACTIVE:
            msg = _("%(name)s has left.", name=worker.name)
            raise ValidationFailed(msg, {"employee_no": [msg]})
        worker_ids = [worker.id]
        org_path, label = worker.org_unit.path, f"{worker.employee_no} {worker.name}"
    else:
        if not unit.path.startswith(scope.path):
            raise Forbidden(_("The org unit %(code)s is outside your scope.", code=unit.code))
        worker_ids = list(db.session.scalars(
            select(Worker.id).join(Worker.org_unit)
            .where(OrgUnit.path.startswith(unit.path, autoescape=True),
                   Worker.status == WorkerStatus.ACTIVE)))
        org_path, label = unit.path, f"{unit.code} {unit.name}"
    result = ManualResult()
    default_due = pure.due_date("assignment", path.due_days, today, today)
    new_rows = []
    for chunk in _chunks(worker_ids):
        existing = {a.worker_id: a for a in db.session.scalars(
            select(Assignment).where(Assignment.path_id == path.id,
                                     Assignment.worker_id.in_(chunk)))}
        for worker_id in chunk:
            found = existing.get(worker_id)
            if found is None:
                new_rows.append({"worker_id": worker_id, "path_id": path.id, "source": "manual",
                                 "assigned_at": utcnow(), "due_date": due or default_due,
                                 "assigned_by_id": actor.id})
            elif due is not None and found.completed_at is None and found.due_date != due:
                found.due_date = due
                result.updated += 1
            else:
                result.unchanged += 1
    if new_rows:
        db.session.execute(insert(Assignment), new_rows)
        result.created = len(new_rows)
    db.session.flush()
    record("path_assigned", actor=actor, target_type="learning_path", target_id=path.code,
           target_label=f"{path.title} → {label}", org_path=org_path,
           after={"path": path.code, "worker": worker.employee_no if worker else None,
                  "org_unit": unit.code if unit else None, "due_date": due,
                  "created": result.created, "updated": result.updated})
    if new_rows:
        notify_assigned(_new_assignment_ids({(r["worker_id"], path.id) for r in new_rows}))
    return result


def can_view_progress(user, worker: Worker) -> bool:
    """The worker themself, and the admins and instructors of the worker's subtree."""
    if not user.is_authenticated:
        return False
    if user.worker_id == worker.id:
        return True
    return user.has_role("admin", "instructor") and \
        worker.org_unit.path.startswith(user.org_unit.path)
