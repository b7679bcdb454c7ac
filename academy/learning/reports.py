"""Oversight: completion per path and per module, and who is where, within an org subtree.

Every function runs a fixed number of queries however many staff and paths there are.
Only active staff count. An assignment is in exactly one state: done, overdue (open and
past its due date), in progress (some lesson of the path opened), or not started.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select

from academy.extensions import db
from academy.learning.models import Assignment, LearningPath, LessonProgress, PathItem
from academy.learning.services import ModuleOutline, path_outlines
from academy.org.models import OrgUnit, Worker, WorkerStatus

STATES = ("done", "in_progress", "not_started", "overdue")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def state_labels() -> dict[str, str]:
    return {"done": _("Done"), "in_progress": _("In progress"),
            "not_started": _("Not started"), "overdue": _("Overdue")}


def status_column(today: date):
    """The state of an assignment, as an SQL expression."""
    started = (select(literal(1)).select_from(LessonProgress)
               .join(PathItem, and_(PathItem.course_id == LessonProgress.course_id,
                                    PathItem.module_slug == LessonProgress.module_slug))
               .where(PathItem.path_id == Assignment.path_id,
                      LessonProgress.worker_id == Assignment.worker_id)
               .exists())
    return case(
        (Assignment.completed_at.is_not(None), "done"),
        (Assignment.due_date < today, "overdue"),
        (started, "in_progress"),
        else_="not_started",
    )


def _in_scope(stmt, scope: OrgUnit):
    return (stmt.join(Worker, Worker.id == Assignment.worker_id)
            .join(OrgUnit, OrgUnit.id == Worker.org_unit_id)
            .where(OrgUnit.path.startswith(scope.path, autoescape=True),
                   Worker.status == WorkerStatus.ACTIVE))


@dataclass
class PathStats:
    path: LearningPath
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def percent_done(self) -> int:
        return round(100 * self.counts["done"] / self.total) if self.total else 0

    def segments(self) -> list[tuple[str, int, float, float]]:
        """(state, count, x %, width %) for a stacked bar."""
        out, x = [], 0.0
        for state in STATES:
            count = self.counts[state]
            width = 100 * count / self.total if self.total else 0
            out.append((state, count, x, width))
            x += width
        return out


def path_summary(scope: OrgUnit, today: date | None = None) -> list[PathStats]:
    """Per path: how many assignments of the subtree's staff are in each state (2 queries)."""
    today = today or date.today()
    states = _in_scope(select(Assignment.path_id.label("path_id"),
                              status_column(today).label("state")), scope).subquery()
    rows = db.session.execute(select(states.c.path_id, states.c.state, func.count())
                              .group_by(states.c.path_id, states.c.state)).all()
    paths = list(db.session.scalars(select(LearningPath).order_by(LearningPath.code)))
    stats = {path.id: PathStats(path) for path in paths}
    for path_id, state, count in rows:
        if path_id in stats:
            stats[path_id].counts[state] = count
    return [s for s in stats.values() if s.path.active or s.total]


@dataclass
class ModuleStats:
    outline: ModuleOutline
    completed: int
    assigned: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.assigned) if self.assigned else 0


def _lesson_filter(outlines: list[ModuleOutline]):
    """Progress rows on the current lessons of these modules."""
    terms = [and_(LessonProgress.course_id == m.course_id,
                  LessonProgress.module_slug == m.module_slug,
                  LessonProgress.lesson_slug.in_([lesson.lesson_slug for lesson in m.lessons]))
             for m in outlines if m.lessons]
    return or_(*terms) if terms else literal(False)


def module_stats(path: LearningPath, scope: OrgUnit) -> list[ModuleStats]:
    """Per module of the path: how many assigned staff of the subtree completed it."""
    outlines = path_outlines([path])[path.id]
    assigned = db.session.scalar(_in_scope(
        select(func.count()).select_from(Assignment).where(Assignment.path_id == path.id),
        scope)) or 0
    if not outlines:
        return []
    per_worker = _in_scope(
        select(LessonProgress.course_id, LessonProgress.module_slug, LessonProgress.worker_id,
               func.count().label("n"))
        .select_from(LessonProgress)
        .join(Assignment, and_(Assignment.worker_id == LessonProgress.worker_id,
                               Assignment.path_id == path.id)),
        scope,
    ).where(LessonProgress.completed_at.is_not(None), _lesson_filter(outlines)).group_by(
        LessonProgress.course_id, LessonProgress.module_slug, LessonProgress.worker_id
    ).subquery()
    needed = case(*[(and_(per_worker.c.course_id == m.course_id,
                          per_worker.c.module_slug == m.module_slug), len(m.lessons))
                    for m in outlines if m.lessons], else_=10**9)
    done = {(c, m): n for c, m, n in db.session.execute(
        select(per_worker.c.course_id, per_worker.c.module_slug, func.count())
        .where(per_worker.c.n >= needed)
        .group_by(per_worker.c.course_id, per_worker.c.module_slug))}
    return [ModuleStats(m, assigned if not m.lessons else done.get((m.course_id,
                                                                     m.module_slug), 0),
                        assigned) for m in outlines]


@dataclass
class PersonRow:
    assignment: Assignment
    state: str
    done: int
    total: int


@dataclass
class PeoplePage:
    rows: list[PersonRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _people_stmt(path: LearningPath, scope: OrgUnit, state: str | None, today: date):
    status = status_column(today).label("state")
    stmt = _in_scope(select(Assignment, status).where(Assignment.path_id == path.id), scope)
    if state in STATES:
        stmt = stmt.where(status_column(today) == state)
    return stmt.order_by(OrgUnit.path, Worker.employee_no)


def _done_counts(path: LearningPath, worker_ids: list[int],
                 outlines: list[ModuleOutline]) -> dict[int, int]:
    if not worker_ids or not outlines:
        return {}
    return dict(db.session.execute(
        select(LessonProgress.worker_id, func.count())
        .where(LessonProgress.worker_id.in_(worker_ids),
               LessonProgress.completed_at.is_not(None), _lesson_filter(outlines))
        .group_by(LessonProgress.worker_id)).all())


def people(path: LearningPath, scope: OrgUnit, *, state: str | None = None, page: int = 1,
           per_page: int = 50, today: date | None = None) -> PeoplePage:
    """One page of the path's assigned staff in the subtree, with state and lessons done."""
    today = today or date.today()
    stmt = _people_stmt(path, scope, state, today)
    total = db.session.scalar(select(func.count()).select_from(
        stmt.order_by(None).subquery())) or 0
    found = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    outlines = path_outlines([path])[path.id]
    lessons = sum(len(m.lessons) for m in outlines)
    counts = _done_counts(path, [a.worker_id for a, _s in found], outlines)
    rows = [PersonRow(a, s, counts.get(a.worker_id, 0), lessons) for a, s in found]
    return PeoplePage(rows, total, page, per_page)


def path_xlsx(path: LearningPath, scope: OrgUnit, today: date | None = None) -> bytes:
    """The path's report as a workbook: modules, then every assigned person."""
    import openpyxl
    from openpyxl.styles import Font

    today = today or date.today()
    labels = state_labels()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Modules")[:31]
    sheet.append([_("Course"), _("Module"), _("Lessons"), _("Completed"), _("Assigned"), "%"])
    for stats in module_stats(path, scope):
        sheet.append([stats.outline.course_title, stats.outline.title,
                      len(stats.outline.lessons), stats.completed, stats.assigned,
                      stats.percent])
    people_sheet = book.create_sheet(_("People")[:31])
    people_sheet.append([_("Employee number"), _("Name"), _("Org unit"), _("Due date"),
                         _("Status"), _("Lessons done"), _("Lessons"), _("Completed at")])
    found = db.session.execute(_people_stmt(path, scope, None, today)).all()
    outlines = path_outlines([path])[path.id]
    lessons = sum(len(m.lessons) for m in outlines)
    counts: dict[int, int] = {}
    ids = [a.worker_id for a, _s in found]
    for start in range(0, len(ids), 500):
        counts.update(_done_counts(path, ids[start:start + 500], outlines))
    for assignment, state in found:
        worker = assignment.worker
        completed = assignment.completed_at
        people_sheet.append([worker.employee_no, worker.name, worker.org_unit.name,
                             assignment.due_date, labels[state], counts.get(worker.id, 0),
                             lessons, completed.replace(tzinfo=None) if completed else None])
    for ws in (sheet, people_sheet):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_args(values: dict[str, Any]) -> dict[str, str]:
    """The filters worth keeping in links."""
    return {k: v for k, v in values.items() if v}
