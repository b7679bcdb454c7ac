"""Accounts, roles and API tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from academy.extensions import db
from academy.org.models import OrgUnit, Worker
from academy.timeutil import utcnow


class Role(enum.StrEnum):
    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"
    ASSESSOR = "assessor"
    ADMIN = "admin"


ROLE_ORDER = [Role.TRAINEE, Role.INSTRUCTOR, Role.ASSESSOR, Role.ADMIN]


def new_session_epoch() -> str:
    return secrets.token_hex(8)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), unique=True)
    # The root of everything this account may act on (its own unit for staff).
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Part of the session id: rotating it ends every session of this account.
    session_epoch: Mapped[str] = mapped_column(String(32), default=new_session_epoch)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)
    # One account per staff record (worker_id is unique): ``worker.account`` is a scalar.
    worker: Mapped[Worker | None] = relationship(backref=backref("account", uselist=False))
    role_rows: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", back_populates="user"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[str]) -> None:
        keep = [row for row in self.role_rows if row.role in roles]
        have = {row.role for row in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(roles - have)]

    @property
    def sorted_roles(self) -> list[str]:
        return [r.value for r in ROLE_ORDER if r.value in self.roles]

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(db.Model):
    """A bearer token, stored as a SHA-256 hash; the plain token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")
