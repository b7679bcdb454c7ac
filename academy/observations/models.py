"""Rubrics (from courses/rubrics.yaml), assessors' engagements, and the observations.

An :class:`Observation` keeps a snapshot of its rubric's criteria, so it reads the same
after the rubric changes, and the org unit the worker belonged to when observed: that
unit decides who may read it (an observation stays where it was made).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.auth.models import User
from academy.extensions import db
from academy.org.models import OrgUnit, Worker
from academy.timeutil import utcnow


class ObservationRubric(db.Model):
    """A rubric as synced from ``rubrics.yaml`` (upserted by code, never deleted)."""

    __tablename__ = "observation_rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The kind of observation it is meant for (role_play / counter_session), if any.
    kind: Mapped[str | None] = mapped_column(String(16))
    # [{"code", "name", "description", "skill", "levels": {"1": ..., "5": ...}}, ...]
    criteria: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # SHA-256 of the stored content: a re-sync of an unchanged file changes nothing.
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # "files" while it follows courses/rubrics.yaml (there is no editing in the app yet).
    source: Mapped[str] = mapped_column(String(16), default="files", server_default="files")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AssessorEngagement(db.Model):
    """A third-party assessor engaged to observe in an org unit (and its subtree).

    Active from ``valid_from`` to ``valid_to`` inclusive, unless ended early.
    """

    __tablename__ = "assessor_engagements"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    org_unit: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])

    def active_on(self, day: date) -> bool:
        """True while the engagement covers ``day`` and has not been ended."""
        return self.ended_at is None and self.valid_from <= day <= self.valid_to


class Observation(db.Model):
    """One observed reception (role-play or real), scored criterion by criterion."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed with observed_at (ix_observations_worker_observed, below).
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    # Where the worker was when observed: who may read the observation follows it.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The role the observer acted in: assessor (by engagement), instructor or admin.
    observer_role: Mapped[str] = mapped_column(String(16))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("observation_rubrics.id"), index=True)
    rubric_code: Mapped[str] = mapped_column(String(64))
    rubric_title: Mapped[str] = mapped_column(String(200))
    # The rubric's criteria when observed (as ObservationRubric.criteria).
    criteria: Mapped[list] = mapped_column(JSON)
    # {criterion code: 1–5, or null when not observed}
    scores: Mapped[dict] = mapped_column(JSON)
    criterion_notes: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    mean_score: Mapped[float | None] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    worker: Mapped[Worker] = relationship(lazy="joined", innerjoin=True)
    org_unit: Mapped[OrgUnit] = relationship()
    observer: Mapped[User] = relationship()
    rubric: Mapped[ObservationRubric] = relationship()

    def rows(self) -> list[dict]:
        """Each criterion of the snapshot with its score (None: not observed) and note."""
        notes = self.criterion_notes or {}
        return [{**criterion, "score": self.scores.get(criterion["code"]),
                 "note": notes.get(criterion["code"])} for criterion in self.criteria]


Index("ix_observations_worker_observed", Observation.worker_id, Observation.observed_at)
