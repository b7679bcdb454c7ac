"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, or_, select

from academy.audit.models import AuditEntry
from academy.extensions import db


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def record(
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    target_label: str | None = None,
    org_path: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Add an audit entry for the current actor (flushes, never commits)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        target_label=target_label,
        org_path=org_path,
        before=_plain(before),
        after=_plain(after),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def query_entries(
    scope_path: str,
    *,
    include_global: bool = False,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Select:
    """Entries about a subtree, newest first; unit-less entries only for top-level admins."""
    in_subtree = AuditEntry.org_path.startswith(scope_path, autoescape=True)
    stmt = select(AuditEntry).where(
        or_(in_subtree, AuditEntry.org_path.is_(None)) if include_global else in_subtree
    )
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor_name == actor)
    if target:
        like = f"%{target}%"
        stmt = stmt.where(or_(AuditEntry.target_id.like(like), AuditEntry.target_label.like(like)))
    if since:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(since, datetime.min.time()))
    if until:
        stmt = stmt.where(AuditEntry.at < datetime.combine(until, datetime.max.time()))
    return stmt.order_by(AuditEntry.id.desc())
