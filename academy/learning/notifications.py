"""In-app notices: a new assignment, a due date within a week, an overdue path.

Each notice has a dedupe key, so sending it again is a no-op. The text is kept as an
English msgid plus parameters and translated when shown, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from academy.auth.models import User
from academy.extensions import db
from academy.jobs.periodic import periodic
from academy.learning.models import Assignment, LearningPath, Notification
from academy.org.models import Worker, WorkerStatus
from academy.timeutil import utcnow

CHUNK = 500
DUE_SOON_DAYS = 7



def N_(msgid: str) -> str:  # noqa: N802 - Babel's marker: extracted, translated when shown
    return msgid


MESSAGES = {
    "assigned": N_("New learning path: %(path)s, due %(due)s."),
    "due_soon": N_("%(path)s is due on %(due)s: less than a week left."),
    "overdue": N_("%(path)s was due on %(due)s and is not finished yet."),
}


def message_text(notification: Notification) -> str:
    """The notice in the current language."""
    template = MESSAGES.get(notification.kind)
    if template is None:
        return notification.message
    try:
        return _(template, **(notification.params or {}))
    except (KeyError, TypeError, ValueError):
        return notification.message


def _link(path_code: str) -> str:
    return f"/learning/paths/{path_code}"


def _rows(assignment_ids: Iterable[int], kind: str,
          key: str) -> list[dict[str, Any]]:
    """Notification rows for the accounts of these assignments' workers."""
    ids = sorted(set(assignment_ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found = db.session.execute(
            select(Assignment.id, Assignment.due_date, LearningPath.code, LearningPath.title,
                   User.id.label("user_id"))
            .join(LearningPath, LearningPath.id == Assignment.path_id)
            .join(User, User.worker_id == Assignment.worker_id)
            .where(Assignment.id.in_(chunk), User.active.is_(True)))
        for row in found:
            params = {"path": row.title, "due": row.due_date.isoformat()}
            rows.append({
                "user_id": row.user_id, "kind": kind,
                "message": MESSAGES[kind] % params,
                "link": _link(row.code), "params": params,
                "dedupe_key": key.format(id=row.id, due=row.due_date.isoformat()),
            })
    return rows


def _insert_missing(rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose (user, dedupe key) is not there yet; returns how many."""
    if not rows:
        return 0
    fresh: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        keys = sorted({row["dedupe_key"] for row in chunk})
        users = sorted({row["user_id"] for row in chunk})
        seen.update(tuple(found) for found in db.session.execute(
            select(Notification.user_id, Notification.dedupe_key)
            .where(Notification.user_id.in_(users), Notification.dedupe_key.in_(keys))))
        for row in chunk:
            pair = (row["user_id"], row["dedupe_key"])
            if pair not in seen:
                seen.add(pair)
                fresh.append({**row, "created_at": utcnow()})
    if fresh:
        db.session.execute(insert(Notification), fresh)
    return len(fresh)


def notify_assigned(assignment_ids: Iterable[int]) -> int:
    """Tell the workers' accounts about new assignments (once each)."""
    return _insert_missing(_rows(assignment_ids, "assigned", "assigned:{id}"))


@periodic("notify_due", every_seconds=3600)
def notify_due(today: date | None = None) -> dict[str, int]:
    """Notices for open paths due within a week and for overdue ones (idempotent)."""
    today = today or date.today()
    base = (select(Assignment.id)
            .join(Worker, Worker.id == Assignment.worker_id)
            .join(User, User.worker_id == Assignment.worker_id)
            .where(Assignment.completed_at.is_(None), Worker.status == WorkerStatus.ACTIVE,
                   User.active.is_(True)))
    soon = list(db.session.scalars(base.where(
        Assignment.due_date >= today,
        Assignment.due_date <= today + timedelta(days=DUE_SOON_DAYS))))
    late = list(db.session.scalars(base.where(Assignment.due_date < today)))
    return {
        "due_soon": _insert_missing(_rows(soon, "due_soon", "due7:{id}:{due}")),
        "overdue": _insert_missing(_rows(late, "overdue", "overdue:{id}:{due}")),
    }


def unread_count(user_id: int) -> int:
    """How many notices the user has not read."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def notifications_for(user_id: int):
    """A user's notices, newest first (a statement, for pagination)."""
    return (select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def mark_read(user_id: int, notification_id: int | None = None) -> Notification | None:
    """Mark one notice (or all of them) read; returns the one notice, if given and found."""
    found = None
    if notification_id is not None:
        found = db.session.scalar(select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id))
        if found is not None and found.read_at is None:
            found.read_at = utcnow()
    else:
        db.session.execute(update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    return found
