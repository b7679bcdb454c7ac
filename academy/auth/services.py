"""Accounts: authentication, passwords, roles, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from academy.audit.services import record
from academy.auth import passwords
from academy.auth.models import ApiToken, Role, User, new_session_epoch
from academy.errors import Conflict, NotFound, ValidationFailed
from academy.extensions import db
from academy.org.models import OrgUnit, Worker
from academy.timeutil import aware, utcnow

VALID_ROLES = {r.value for r in Role}


def get_user_by_username(username: str) -> User | None:
    """Look an account up by username (case-insensitive)."""
    return db.session.scalar(select(User).where(db.func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User | None:
    """The active account matching the credentials, or None; audits failures."""
    user = get_user_by_username(username.strip()) if username else None
    if user is None:
        passwords.dummy_verify()
        record("login_failed", target_type="user", target_label=username[:64])
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.active:
        record("login_failed", target_type="user", target_id=user.id, target_label=user.username,
               org_path=user.org_unit.path)
        return None
    if passwords.hasher().check_needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    record("login", actor=user, target_type="user", target_id=user.id,
           target_label=user.username, org_path=user.org_unit.path)
    return user


def _check_password(password: str, username: str) -> None:
    problems = passwords.password_problems(password, username)
    if problems:
        raise ValidationFailed(problems[0], {"password": problems})


def _end_sessions(user: User) -> None:
    """Log the account out everywhere: new session epoch, all tokens revoked."""
    user.session_epoch = new_session_epoch()
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def change_password(user: User, current: str, new: str) -> None:
    """The user changes their own password; other sessions and all tokens end."""
    if not passwords.verify_password(user.password_hash, current):
        raise ValidationFailed(_("The current password is wrong."),
                               {"current_password": [_("The current password is wrong.")]})
    _check_password(new, user.username)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    _end_sessions(user)
    record("password_changed", target_type="user", target_id=user.id,
           target_label=user.username, org_path=user.org_unit.path, actor=user)


def reset_password(user: User, new: str) -> None:
    """An admin sets a new password for an account; its sessions and tokens end."""
    _check_password(new, user.username)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    _end_sessions(user)
    record("password_reset", target_type="user", target_id=user.id,
           target_label=user.username, org_path=user.org_unit.path)


def set_active(user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions and tokens."""
    if user.active == active:
        return
    user.active = active
    if not active:
        _end_sessions(user)
    record("user_enabled" if active else "user_disabled", target_type="user",
           target_id=user.id, target_label=user.username, org_path=user.org_unit.path,
           before={"active": not active}, after={"active": active})


def _clean_roles(roles: set[str] | list[str]) -> set[str]:
    roles = set(roles)
    unknown = roles - VALID_ROLES
    if unknown:
        msg = _("Unknown role: %(role)s", role=", ".join(sorted(unknown)))
        raise ValidationFailed(msg, {"roles": [msg]})
    return roles


def create_user(
    *,
    username: str,
    display_name: str,
    org_unit: OrgUnit,
    roles: set[str],
    password: str | None = None,
    worker: Worker | None = None,
) -> User:
    """Create an account; the password may be left unset (the user cannot log in yet)."""
    username = username.strip()
    if not username:
        raise ValidationFailed(_("A username is required."), {"username": [_("Required.")]})
    if get_user_by_username(username):
        msg = _("The username %(u)s is taken.", u=username)
        raise Conflict(msg, {"username": [msg]})
    if worker is not None and worker.account is not None:
        msg = _("This staff member already has an account.")
        raise Conflict(msg, {"worker": [msg]})
    user = User(username=username, display_name=display_name.strip() or username,
                org_unit=org_unit, worker=worker, active=True)
    user.set_roles(_clean_roles(roles))
    if password:
        _check_password(password, username)
        user.password_hash = passwords.hash_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    record("user_created", target_type="user", target_id=user.id, target_label=username,
           org_path=org_unit.path, after={"roles": sorted(user.roles), "org_unit": org_unit.code})
    return user


def set_roles(user: User, roles: set[str] | list[str]) -> None:
    """Replace the roles of an account."""
    roles = _clean_roles(roles)
    before = sorted(user.roles)
    if set(before) == roles:
        return
    user.set_roles(roles)
    record("roles_changed", target_type="user", target_id=user.id, target_label=user.username,
           org_path=user.org_unit.path, before={"roles": before}, after={"roles": sorted(roles)})


def set_locale(user: User, locale: str) -> None:
    """Remember the user's interface language."""
    if locale not in current_app.config["LANGUAGES"]:
        raise ValidationFailed(_("Unknown language."))
    user.locale = locale


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, datetime]:
    """Create an API token; returns the plain token (shown once) and its expiry."""
    plain = "wa_" + secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    # Signing in is the token's first use (so the requests that follow at once write nothing).
    db.session.add(ApiToken(user=user, token_hash=_hash_token(plain), created_at=now,
                            expires_at=expires, last_used_at=now))
    record("token_created", actor=user, target_type="user", target_id=user.id,
           target_label=user.username, org_path=user.org_unit.path)
    return plain, expires


def user_for_token(plain: str) -> tuple[User, ApiToken] | None:
    """The active account behind a valid, unexpired, unrevoked token."""
    if not plain or len(plain) > 200:
        return None
    # One query for the token, its account, the account's unit and roles (every API call
    # makes it).
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == _hash_token(plain))
        .options(joinedload(ApiToken.user).joinedload(User.role_rows))).unique().first()
    if token is None or token.revoked_at is not None or aware(token.expires_at) <= utcnow():
        return None
    if not token.user.active:
        return None
    now = utcnow()
    last = aware(token.last_used_at)
    if last is None or now - last > timedelta(minutes=5):  # coarse: not a write every call
        _touch(token, now)
    return token.user, token


def _touch(token: ApiToken, now: datetime) -> None:
    """Record when the token was last used, in a short transaction of its own: it stays
    recorded when the request fails, and on SQLite (where a request's first write takes
    the database's write lock until its commit) it does not hold that lock through the
    whole request. Only when the request has already written on SQLite (a second
    connection would wait for the first) is it left to the request's transaction."""
    session = db.session()
    if db.engine.dialect.name == "sqlite" and session.in_transaction():
        dbapi = session.connection().connection.dbapi_connection
        if getattr(dbapi, "in_transaction", True):  # sqlite3: a write is open
            token.last_used_at = now
            return
    with db.engine.begin() as conn:
        conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    set_committed_value(token, "last_used_at", now)


def revoke_token(token: ApiToken) -> None:
    """Revoke one token."""
    token.revoked_at = utcnow()
    record("token_revoked", target_type="user", target_id=token.user_id,
           target_label=token.user.username, org_path=token.user.org_unit.path)


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id must carry the current session epoch."""
    user_id, _sep, epoch = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_epoch, epoch):
        return None
    return user


def require_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    return user
