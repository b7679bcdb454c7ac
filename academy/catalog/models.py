"""The competency framework (skills, window profiles) and courses.

A course's *draft* lives in the Module/Lesson/Asset rows that authors edit (in the browser,
or replaced wholesale by ``flask academy courses sync``). Publishing freezes the draft into
an immutable CourseVersion snapshot (plain JSON); trainees always read the latest published
snapshot, so editing never disturbs them. Progress is keyed by (course, module slug, lesson
slug), which survive new versions, so trainees keep their progress.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.timeutil import utcnow


class SkillCategory(enum.StrEnum):
    BUSINESS = "business"
    SOFT = "soft"


class Skill(db.Model):
    """A business line or soft skill, with proficiency levels 1–4."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(16))  # SkillCategory value
    description: Mapped[str | None] = mapped_column(Text)
    # The clause of a local service standard the skill answers to, if any.
    standard_ref: Mapped[str | None] = mapped_column(String(255))
    # {"1": "descriptor", "2": ..., "3": ..., "4": ...}
    level_descriptors: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # "files" while it follows courses/framework.yaml; "app" once an admin edited it here,
    # after which a sync from files leaves it alone.
    source: Mapped[str] = mapped_column(String(16), default="files", server_default="files")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)


class WindowProfile(db.Model):
    """A post's requirements: the skills and levels an all-window clerk needs."""

    __tablename__ = "window_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    org_level: Mapped[str | None] = mapped_column(String(16))  # district/subdistrict/village
    source: Mapped[str] = mapped_column(String(16), default="files", server_default="files")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    requirements: Mapped[list[ProfileRequirement]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", lazy="selectin",
        order_by="ProfileRequirement.id",
    )


class ProfileRequirement(db.Model):
    __tablename__ = "profile_requirements"
    __table_args__ = (UniqueConstraint("profile_id", "skill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("window_profiles.id"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)

    profile: Mapped[WindowProfile] = relationship(back_populates="requirements")
    skill: Mapped[Skill] = relationship(lazy="joined")


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    target_level: Mapped[int] = mapped_column(Integer, default=1)
    summary: Mapped[str | None] = mapped_column(Text)
    # "files" while it follows courses/ (or an imported package); "browser" when written
    # or edited in the app, after which a sync from files leaves it alone.
    source: Mapped[str] = mapped_column(String(16), default="browser")
    # Set when the draft differs from the latest published version.
    draft_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    skill: Mapped[Skill] = relationship(lazy="joined")
    modules: Mapped[list[Module]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Module.position",
    )
    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", cascade="all, delete-orphan",
        order_by="CourseVersion.number.desc()",
    )
    assets: Mapped[list[CourseAsset]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseAsset.name",
    )


class Module(db.Model):
    """A module of the draft. Its slug is its identity across versions."""

    __tablename__ = "course_modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Activities attached to the module, by type (registry): [{"type": "quiz", ...}, ...]
    activities: Mapped[list] = mapped_column(JSON, default=list)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", cascade="all, delete-orphan", order_by="Lesson.position",
    )


class Lesson(db.Model):
    """A Markdown lesson of the draft. Its slug is its identity across versions."""

    __tablename__ = "course_lessons"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    module: Mapped[Module] = relationship(back_populates="lessons")


class CourseAsset(db.Model):
    """An image of a course, referenced from lessons as ``images/<name>``.

    Stored in the database (content-addressed by SHA-256) so every app server sees it.
    """

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))  # generated, never the uploader's file name
    mime: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    course: Mapped[Course] = relationship(back_populates="assets")


class CourseVersion(db.Model):
    """An immutable published version: the whole course as a JSON snapshot."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the canonical snapshot: a re-sync of unchanged files makes no new version.
    content_hash: Mapped[str] = mapped_column(String(64))
    # {"title", "summary", "skill", "target_level", "modules": [{"slug", "title", "summary",
    #  "activities", "lessons": [{"slug", "title", "body_md"}]}], "assets": {name: sha256}}
    snapshot: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    course: Mapped[Course] = relationship(back_populates="versions")
