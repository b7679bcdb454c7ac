"""Question banks: one per skill, with "/"-separated categories and tagged questions.

A question's content is the plain-data :class:`academy.quizzes.spec.Question` stored as
JSON (``academy.quizzes.serialize``); its name, category and tags live in columns so
banks can be listed and upserted by (category, name) without reading the JSON.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.catalog.models import Skill
from academy.extensions import db
from academy.timeutil import utcnow


class QuestionBank(db.Model):
    """A bank of questions for one skill, addressed by its ``code`` (A-Z, 0-9, _ and -)."""

    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    skill: Mapped[Skill] = relationship(lazy="joined")
    categories: Mapped[list[QuestionCategory]] = relationship(
        back_populates="bank", cascade="all, delete-orphan", order_by="QuestionCategory.path")


class QuestionCategory(db.Model):
    """A category of a bank, e.g. "社保/参保登记" ("" is the bank's top level)."""

    __tablename__ = "question_categories"
    __table_args__ = (UniqueConstraint("bank_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")


class Question(db.Model):
    """A question of a bank: its spec as JSON (``data``) plus the columns it is found by."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    category: Mapped[QuestionCategory] = relationship(lazy="joined")
