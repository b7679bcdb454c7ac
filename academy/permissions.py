"""Roles and scope: who may see and change what.

Every view and endpoint calls these on the server. Admin powers cover the admin's own
org unit and its descendants (the subtree), never a sibling or an ancestor.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import Select

from academy.auth.models import Role, User
from academy.org.models import OrgUnit, Worker

ADMIN = Role.ADMIN.value
INSTRUCTOR = Role.INSTRUCTOR.value
ASSESSOR = Role.ASSESSOR.value
TRAINEE = Role.TRAINEE.value


def role_required(*roles: str) -> Callable:
    """Allow the view to users holding any of ``roles`` (401 anonymous, 403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def scope_path(user: User) -> str:
    """The materialised path prefix of the user's subtree."""
    return user.org_unit.path


def in_scope(user: User, unit: OrgUnit | None) -> bool:
    """True when ``unit`` lies in the user's subtree."""
    return unit is not None and unit.path.startswith(scope_path(user))


def can_manage_unit(user: User, unit: OrgUnit | None) -> bool:
    """Admins manage units within their subtree."""
    return user.is_authenticated and user.has_role(ADMIN) and in_scope(user, unit)


def can_manage_worker(user: User, worker: Worker) -> bool:
    """Admins manage staff records within their subtree."""
    return user.is_authenticated and user.has_role(ADMIN) and in_scope(user, worker.org_unit)


def can_view_worker(user: User, worker: Worker) -> bool:
    """Admins of the subtree, and the worker themself."""
    if not user.is_authenticated:
        return False
    return can_manage_worker(user, worker) or (user.worker_id == worker.id)


def can_manage_user(user: User, target: User) -> bool:
    """Admins manage accounts rooted within their subtree."""
    return user.is_authenticated and user.has_role(ADMIN) and in_scope(user, target.org_unit)


def restrict_units(user: User, query: Select) -> Select:
    """Limit a query over OrgUnit to the user's subtree."""
    return query.where(OrgUnit.path.startswith(scope_path(user), autoescape=True))
