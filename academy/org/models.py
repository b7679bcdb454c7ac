"""Org units (a tree with a materialised path) and staff records."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.timeutil import utcnow


class OrgLevel(enum.StrEnum):
    DISTRICT = "district"
    SUBDISTRICT = "subdistrict"
    VILLAGE = "village"


LEVEL_DEPTH = {OrgLevel.DISTRICT: 0, OrgLevel.SUBDISTRICT: 1, OrgLevel.VILLAGE: 2}


class EmploymentType(enum.StrEnum):
    CIVIL_SERVANT = "civil_servant"
    PUBLIC_INSTITUTION = "public_institution"
    CONTRACT = "contract"


class WorkerStatus(enum.StrEnum):
    ACTIVE = "active"
    LEFT = "left"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=_values)


def _values(cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in cls]


class OrgUnit(db.Model):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[OrgLevel] = mapped_column(_enum(OrgLevel, "org_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    # "/1/4/17/": ancestors' ids then our own, so a subtree is a prefix match.
    path: Mapped[str] = mapped_column(String(512), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(
        back_populates="parent", order_by="OrgUnit.code"
    )

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2 if self.path else 0

    def contains(self, other: OrgUnit | None) -> bool:
        """True when ``other`` is this unit or one of its descendants."""
        return other is not None and bool(self.path) and other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code}>"


class Worker(db.Model):
    """A staff record. Never deleted: leaving is a status with history."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    employment_type: Mapped[EmploymentType] = mapped_column(
        _enum(EmploymentType, "employment_type"), index=True
    )
    employer: Mapped[str | None] = mapped_column(String(120))
    hire_date: Mapped[date] = mapped_column(Date)
    post: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[WorkerStatus] = mapped_column(
        _enum(WorkerStatus, "worker_status"), default=WorkerStatus.ACTIVE, index=True
    )
    leave_date: Mapped[date | None] = mapped_column(Date)
    leave_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)
    events: Mapped[list[WorkerEvent]] = relationship(
        back_populates="worker", order_by="WorkerEvent.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Worker {self.employee_no}>"


class WorkerEvent(db.Model):
    """The employment history of a worker: hired, moved, left, returned."""

    __tablename__ = "worker_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    on_date: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    worker: Mapped[Worker] = relationship(back_populates="events")


Index("ix_workers_org_status", Worker.org_unit_id, Worker.status)
