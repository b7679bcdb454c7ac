"""Learning paths, their assignment rules, assignments, progress and notifications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.catalog.models import Course
from academy.extensions import db
from academy.org.models import Worker
from academy.timeutil import utcnow


class LearningPath(db.Model):
    """An ordered set of course modules with a due period (e.g. onboarding in 30 days)."""

    __tablename__ = "learning_paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    due_days: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list[PathItem]] = relationship(
        back_populates="path", cascade="all, delete-orphan", order_by="PathItem.position",
        lazy="selectin",
    )
    rules: Mapped[list[AssignmentRule]] = relationship(
        back_populates="path", cascade="all, delete-orphan", order_by="AssignmentRule.id",
    )


class PathItem(db.Model):
    """One module of a path, named by course and module slug (stable across versions)."""

    __tablename__ = "path_items"
    __table_args__ = (UniqueConstraint("path_id", "course_id", "module_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    module_slug: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)

    path: Mapped[LearningPath] = relationship(back_populates="items")
    course: Mapped[Course] = relationship(lazy="joined")


class AssignmentRule(db.Model):
    """Who gets a path automatically, and from when the due period counts.

    ``criteria`` is plain data evaluated by academy.learning.rules (a pure module):
    {"employment_type": "contract", "hired_within_days": 90, "org_level": "village",
     "org_unit": "S01", "post": "综合窗口", "status": "active"} — all given keys must hold.
    ``due_from`` is "hire" or "assignment".
    """

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    due_from: Mapped[str] = mapped_column(String(16), default="assignment")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "files" while it follows courses/paths.yaml; "app" once added or changed by an admin,
    # after which a sync from files leaves it alone.
    source: Mapped[str] = mapped_column(String(16), default="files", server_default="files")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    path: Mapped[LearningPath] = relationship(back_populates="rules")


class Assignment(db.Model):
    """A path assigned to a worker (by a rule or by hand), once per worker and path."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("worker_id", "path_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_rules.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="rule")  # rule / manual
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    worker: Mapped[Worker] = relationship(lazy="joined")
    path: Mapped[LearningPath] = relationship(lazy="joined")


class LessonProgress(db.Model):
    """A worker's progress on one lesson; keyed by slugs so new versions keep it."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("worker_id", "course_id", "module_slug", "lesson_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    module_slug: Mapped[str] = mapped_column(String(64))
    lesson_slug: Mapped[str] = mapped_column(String(64))
    first_viewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_viewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(db.Model):
    """An in-app notice for a user (new assignment, due date approaching)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255))
    # Makes "due in 3 days" etc. idempotent: one notice per (user, key).
    dedupe_key: Mapped[str] = mapped_column(String(128))
    params: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
