"""Question banks, quizzes, attempts and quiz grades.

A bank holds questions for one skill in "/"-separated categories. A question's content is
the plain-data :class:`academy.quizzes.spec.Question` stored as JSON
(``academy.quizzes.serialize``); its name, category and tags live in columns so banks can
be listed and upserted by (category, name) without reading the JSON.

A quiz (from a course package's ``quizzes/`` file) draws questions from its course's bank.
Each attempt keeps, per drawn question, a snapshot of the question as drawn, what the
trainee was shown, the last saved response with its sequence number, and the grade: later
edits of the bank never change an attempt. States and rules: ``academy.quizzes.attempts``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
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
    # The course whose package's banks/ files fill this bank (None: a bank made by hand).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), unique=True)
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


class Quiz(db.Model):
    """A quiz as published from a course package (upserted by course and slug)."""

    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    source_file: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The file as plain data (written back by a course export) and its checked settings
    # (academy.quizzes.settings.QuizSettings.as_dict()).
    definition: Mapped[dict] = mapped_column(JSON, deferred=True)  # read only by exports
    settings: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    bank: Mapped[QuestionBank] = relationship()


class QuizAttempt(db.Model):
    """One attempt at a quiz by one user (``number`` counts that user's attempts)."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when finishing: marks earned and possible, the percentage and whether it passed
    # (None while an essay waits for its grader).
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    needs_grading: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    finished_by: Mapped[str | None] = mapped_column(String(16))  # trainee | clock

    quiz: Mapped[Quiz] = relationship()  # loaded when needed: autosave never needs it
    slots: Mapped[list[AttemptSlot]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptSlot.position")


class AttemptSlot(db.Model):
    """A question of an attempt: the question as drawn, as shown, the response, the grade."""

    __tablename__ = "quiz_attempt_slots"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    question: Mapped[dict] = mapped_column(JSON)   # serialize.to_dict of the spec
    presented: Mapped[dict] = mapped_column(JSON)  # QuestionType.present(...)
    mark: Mapped[float] = mapped_column(Float, default=1.0)
    response: Mapped[dict | list | str | bool | None] = mapped_column(JSON)
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fraction: Mapped[float | None] = mapped_column(Float)
    # {"state", "feedback": [...], "general_feedback", "right_answer"} once graded, and for
    # an essay the grader's {"scores", "comment", "grader_id", "graded_at"} in "manual".
    outcome: Mapped[dict | None] = mapped_column(JSON)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="slots")


class QuizGrade(db.Model):
    """A user's grade for a quiz by its grading method, kept as attempts finish."""

    __tablename__ = "quiz_grades"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    percent: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
