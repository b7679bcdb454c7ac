"""Assignment rules as pure functions: criteria × worker facts → match, and due dates.

No Flask, no database: the services turn rows into ``WorkerFacts`` and ``RuleSpec`` and
write whatever ``plan_assignments`` returns.

Criteria (all given keys must hold; a list value means "any of these"):

- ``employment_type``: civil_servant / public_institution / contract
- ``hired_within_days``: hired at most N days before today
- ``org_level``: district / subdistrict / village (the level of the worker's own unit)
- ``org_unit``: an org unit code; the worker's unit is it or lies below it
- ``post``: the post, e.g. 综合窗口
- ``status``: active / left

An unknown key never matches: a rule written for a newer version assigns nobody rather
than everybody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

CRITERIA_KEYS = ("employment_type", "hired_within_days", "org_level", "org_unit", "post",
                 "status")
DUE_FROM = ("assignment", "hire")


@dataclass(frozen=True)
class WorkerFacts:
    """What a rule may look at about one worker."""

    id: int
    employment_type: str
    hire_date: date
    org_level: str
    # The code of the worker's unit and of every unit above it.
    org_unit_codes: frozenset[str] = field(default_factory=frozenset)
    post: str | None = None
    status: str = "active"


@dataclass(frozen=True)
class RuleSpec:
    """An active rule of a path, as plain data."""

    id: int
    path_id: int
    criteria: dict[str, Any]
    due_from: str
    due_days: int


@dataclass(frozen=True)
class PlannedAssignment:
    worker_id: int
    path_id: int
    rule_id: int
    due_date: date


def _as_set(value: Any) -> set[str]:
    if isinstance(value, list | tuple | set | frozenset):
        return {str(v) for v in value}
    return {str(value)}


def matches(criteria: dict[str, Any], worker: WorkerFacts, today: date) -> bool:
    """True when every criterion holds for ``worker`` on ``today``."""
    for key, value in (criteria or {}).items():
        if value is None or value == "" or value == []:
            continue  # an empty criterion does not restrict
        if key == "employment_type":
            ok = worker.employment_type in _as_set(value)
        elif key == "org_level":
            ok = worker.org_level in _as_set(value)
        elif key == "post":
            ok = worker.post is not None and worker.post in _as_set(value)
        elif key == "status":
            ok = worker.status in _as_set(value)
        elif key == "org_unit":
            ok = bool(worker.org_unit_codes & _as_set(value))
        elif key == "hired_within_days":
            try:
                days = int(value)
            except (TypeError, ValueError):
                return False
            ok = days >= 0 and worker.hire_date <= today and \
                (today - worker.hire_date).days <= days
        else:
            return False
        if not ok:
            return False
    return True


def due_date(due_from: str, due_days: int, hire_date: date, today: date) -> date:
    """When a path assigned today is due: counted from the hire date or from today."""
    start = hire_date if due_from == "hire" else today
    return start + timedelta(days=max(0, int(due_days)))


def plan_assignments(rules: Iterable[RuleSpec], workers: Iterable[WorkerFacts],
                     existing: set[tuple[int, int]], today: date) -> list[PlannedAssignment]:
    """The (worker, path) assignments the rules call for that ``existing`` lacks.

    Only active workers are assigned. Several rules of one path give one assignment: the
    first rule (by id) that matches names it.
    """
    ordered = sorted(rules, key=lambda r: r.id)
    taken = set(existing)
    planned: list[PlannedAssignment] = []
    for worker in workers:
        if worker.status != "active":
            continue
        for rule in ordered:
            key = (worker.id, rule.path_id)
            if key in taken or not matches(rule.criteria, worker, today):
                continue
            taken.add(key)
            planned.append(PlannedAssignment(
                worker.id, rule.path_id, rule.id,
                due_date(rule.due_from, rule.due_days, worker.hire_date, today)))
    return planned


def criteria_problems(criteria: dict[str, Any]) -> list[str]:
    """Keys or values a rule cannot use (English, for logs and tests; forms check their own)."""
    problems = [f"unknown criterion {key!r}" for key in criteria if key not in CRITERIA_KEYS]
    days = criteria.get("hired_within_days")
    if days is not None:
        try:
            if int(days) < 0:
                problems.append("hired_within_days must not be negative")
        except (TypeError, ValueError):
            problems.append("hired_within_days must be a whole number")
    return problems
