"""Scenarios loaded from course packages, the runs trainees play, and every choice made.

A :class:`ScenarioDef` keeps the scenario's YAML as plain data (``definition``); the pure
loader rebuilds the :class:`academy.scenarios.model.Scenario` from it. A run stores the
engine's ``RunState.as_dict()``; its path of choice ids is the whole truth, so a run can
always be replayed, and :class:`ScenarioChoiceLog` records each choice as it is made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.timeutil import utcnow


class ScenarioDef(db.Model):
    """A scenario as published from a course package (upserted by course and slug)."""

    __tablename__ = "scenario_defs"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    source_file: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the canonical definition: a re-sync of an unchanged file changes nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScenarioRun(db.Model):
    """One play of a scenario by a user; ``state`` is the engine's RunState as plain data."""

    __tablename__ = "scenario_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenario_defs.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[dict] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The engine's report once finished: {"outcome", "overall", "dimensions", ...}.
    score: Mapped[dict | None] = mapped_column(JSON)

    scenario: Mapped[ScenarioDef] = relationship(lazy="joined")
    choices: Mapped[list[ScenarioChoiceLog]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ScenarioChoiceLog.id",
    )


class ScenarioChoiceLog(db.Model):
    """A choice taken in a run: where, which, when, its step tag and points."""

    __tablename__ = "scenario_choice_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scenario_runs.id"), index=True)
    node_id: Mapped[str] = mapped_column(String(64))
    choice_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    step: Mapped[str | None] = mapped_column(String(16))
    # The choice's scores by dimension, as authored ({"greeting": 5, ...}).
    points: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)

    run: Mapped[ScenarioRun] = relationship(back_populates="choices")
