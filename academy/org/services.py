"""Org units and staff records: queries and writes (flush, never commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, String, func, literal, or_, select, update

from academy.audit.services import record
from academy.errors import Conflict, NotFound, ValidationFailed
from academy.extensions import db
from academy.org.models import (
    LEVEL_DEPTH,
    EmploymentType,
    OrgLevel,
    OrgUnit,
    Worker,
    WorkerEvent,
    WorkerStatus,
)
from academy.signals import worker_changed
from academy.textutil import storable

PARENT_LEVEL = {OrgLevel.SUBDISTRICT: OrgLevel.DISTRICT, OrgLevel.VILLAGE: OrgLevel.SUBDISTRICT}


# ---------------------------------------------------------------- org units


def get_unit_by_code(code: str) -> OrgUnit | None:
    """An org unit by its code."""
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def units_in_subtree(root: OrgUnit) -> list[OrgUnit]:
    """All units under (and including) ``root``, in tree order."""
    return list(
        db.session.scalars(
            select(OrgUnit).where(OrgUnit.path.startswith(root.path, autoescape=True))
            .order_by(OrgUnit.path)
        )
    )


def unit_tree(root: OrgUnit) -> list[tuple[OrgUnit, int]]:
    """(unit, depth below root) pairs, parents before children, siblings by code."""
    units = units_in_subtree(root)
    by_parent: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    for children in by_parent.values():
        children.sort(key=lambda u: u.code)
    out: list[tuple[OrgUnit, int]] = []

    def walk(unit: OrgUnit, depth: int) -> None:
        out.append((unit, depth))
        for child in by_parent.get(unit.id, []):
            walk(child, depth + 1)

    walk(root, 0)
    return out


def worker_counts_by_unit(root: OrgUnit) -> dict[int, int]:
    """Active staff per unit in the subtree (one query)."""
    rows = db.session.execute(
        select(Worker.org_unit_id, func.count())
        .join(OrgUnit, Worker.org_unit_id == OrgUnit.id)
        .where(OrgUnit.path.startswith(root.path, autoescape=True),
               Worker.status == WorkerStatus.ACTIVE)
        .group_by(Worker.org_unit_id)
    ).all()
    return dict(rows)


def _check_level(level: OrgLevel, parent: OrgUnit | None) -> None:
    if level == OrgLevel.DISTRICT:
        if parent is not None:
            msg = _("A district has no parent unit.")
            raise ValidationFailed(msg, {"parent": [msg]})
        return
    if parent is None or parent.level != PARENT_LEVEL[level]:
        msg = _("A %(level)s unit must sit under a %(parent)s unit.",
                level=level_label(level), parent=level_label(PARENT_LEVEL[level]))
        raise ValidationFailed(msg, {"parent": [msg]})


def level_label(level: OrgLevel | str) -> str:
    """The translated name of an org level."""
    return {
        OrgLevel.DISTRICT: _("district"),
        OrgLevel.SUBDISTRICT: _("subdistrict/town centre"),
        OrgLevel.VILLAGE: _("village/community station"),
    }[OrgLevel(level)]


def create_unit(*, code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    """Create an org unit under ``parent`` (None only for a district)."""
    code, name = code.strip(), name.strip()
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("A code is required.")]
    elif len(code) > 32 or not all(ch.isalnum() or ch in "-_." for ch in code):
        errors["code"] = [_("Use up to 32 letters, digits, '-', '_' or '.'.")]
    elif get_unit_by_code(code):
        msg = _("The code %(code)s is already used.", code=code)
        raise Conflict(msg, {"code": [msg]})
    if not name:
        errors["name"] = [_("A name is required.")]
    elif len(name) > 120:
        errors["name"] = [_("A name has at most 120 characters.")]
    try:
        level_enum = OrgLevel(level)
    except ValueError:
        errors["level"] = [_("Unknown level: %(level)s", level=level)]
        level_enum = None
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors)
    _check_level(level_enum, parent)
    unit = OrgUnit(code=code, name=name, level=level_enum, parent=parent)
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    record("org_unit_created", target_type="org_unit", target_id=code, target_label=name,
           org_path=unit.path, after={"code": code, "name": name, "level": level_enum.value,
                                      "parent": parent.code if parent else None})
    return unit


def rename_unit(unit: OrgUnit, name: str) -> None:
    """Give a unit a new name."""
    name = name.strip()
    if not name or len(name) > 120:
        msg = _("A name of 1 to 120 characters is required.")
        raise ValidationFailed(msg, {"name": [msg]})
    if name == unit.name:
        return
    record("org_unit_renamed", target_type="org_unit", target_id=unit.code, target_label=name,
           org_path=unit.path, before={"name": unit.name}, after={"name": name})
    unit.name = name


def move_unit(unit: OrgUnit, new_parent: OrgUnit) -> None:
    """Move a unit (and its subtree) under another parent of the right level."""
    if new_parent.path.startswith(unit.path):
        msg = _("A unit cannot move under itself or its own descendants.")
        raise ValidationFailed(msg, {"parent": [msg]})
    _check_level(unit.level, new_parent)
    if unit.parent_id == new_parent.id:
        return
    old_path, old_parent = unit.path, unit.parent
    new_path = new_parent.path + f"{unit.id}/"
    # Rewrite the prefix of every descendant's path in one statement.
    db.session.execute(
        update(OrgUnit)
        .where(OrgUnit.path.startswith(old_path, autoescape=True))
        .values(path=literal(new_path, String) + func.substr(OrgUnit.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)
    )
    unit.parent = new_parent
    db.session.flush()
    db.session.expire_all()
    record("org_unit_moved", target_type="org_unit", target_id=unit.code, target_label=unit.name,
           org_path=new_path, before={"parent": old_parent.code if old_parent else None},
           after={"parent": new_parent.code})


def depth_of(level: OrgLevel) -> int:
    return LEVEL_DEPTH[level]


# ---------------------------------------------------------------- workers


@dataclass
class WorkerFilters:
    q: str | None = None
    org_unit: OrgUnit | None = None
    status: str | None = None
    employment_type: str | None = None
    post: str | None = None


def worker_query(scope: OrgUnit, filters: WorkerFilters) -> Select:
    """Staff within ``scope`` (and the chosen sub-unit), filtered, ordered by employee number."""
    root = filters.org_unit if filters.org_unit is not None else scope
    stmt = (
        select(Worker)
        .join(Worker.org_unit)
        .where(OrgUnit.path.startswith(root.path, autoescape=True))
    )
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(or_(Worker.name.like(like), Worker.employee_no.like(like)))
    if filters.status in {s.value for s in WorkerStatus}:
        stmt = stmt.where(Worker.status == WorkerStatus(filters.status))
    if filters.employment_type in {e.value for e in EmploymentType}:
        stmt = stmt.where(Worker.employment_type == EmploymentType(filters.employment_type))
    if filters.post:
        stmt = stmt.where(Worker.post == filters.post)
    return stmt.order_by(Worker.employee_no)


def distinct_posts(scope: OrgUnit) -> list[str]:
    """The posts in use within a subtree, for filter menus."""
    return list(
        db.session.scalars(
            select(Worker.post).join(Worker.org_unit)
            .where(OrgUnit.path.startswith(scope.path, autoescape=True), Worker.post.is_not(None))
            .distinct().order_by(Worker.post)
        )
    )


def get_worker(employee_no: str) -> Worker | None:
    """A staff record by employee number."""
    return db.session.scalar(select(Worker).where(Worker.employee_no == employee_no))


WORKER_FIELDS = ("employee_no", "name", "org_unit", "employment_type", "employer", "hire_date",
                 "post", "status", "leave_date", "leave_reason")


def worker_snapshot(worker: Worker) -> dict[str, Any]:
    """The HR-relevant values of a worker, for audit before/after."""
    return {
        "employee_no": worker.employee_no,
        "name": worker.name,
        "org_unit": worker.org_unit.code if worker.org_unit else None,
        "employment_type": worker.employment_type.value if worker.employment_type else None,
        "employer": worker.employer,
        "hire_date": worker.hire_date,
        "post": worker.post,
        "status": worker.status.value if worker.status else None,
        "leave_date": worker.leave_date,
        "leave_reason": worker.leave_reason,
    }


def validate_worker_values(values: dict[str, Any], *, creating: bool) -> dict[str, list[str]]:
    """Field problems of a set of worker values (already typed)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if creating or "employee_no" in values:
        no = (values.get("employee_no") or "").strip()
        if not no:
            add("employee_no", _("An employee number is required."))
        elif len(no) > 32:
            add("employee_no", _("An employee number has at most 32 characters."))
    if creating or "name" in values:
        name = (values.get("name") or "").strip()
        if not name:
            add("name", _("A name is required."))
        elif len(name) > 64:
            add("name", _("A name has at most 64 characters."))
    if creating and values.get("org_unit") is None:
        add("org_unit", _("An org unit is required."))
    if creating and values.get("hire_date") is None:
        add("hire_date", _("A hire date is required."))
    etype = values.get("employment_type")
    if creating and etype is None:
        add("employment_type", _("An employment type is required."))
    if etype == EmploymentType.CONTRACT and "employer" in values and not values.get("employer"):
        add("employer", _("Contract staff need the labour company's name."))
    if creating and etype == EmploymentType.CONTRACT and not values.get("employer"):
        add("employer", _("Contract staff need the labour company's name."))
    if values.get("employer") and len(values["employer"]) > 120:
        add("employer", _("At most 120 characters."))
    if values.get("post") and len(values["post"]) > 64:
        add("post", _("At most 64 characters."))
    hire = values.get("hire_date")
    if isinstance(hire, date) and hire > date.today():
        add("hire_date", _("The hire date cannot be in the future."))
    return errors


def create_worker(values: dict[str, Any]) -> Worker:
    """Create a staff record (values typed: org_unit is an OrgUnit, dates are dates)."""
    errors = validate_worker_values(values, creating=True)
    if not errors and get_worker(values["employee_no"].strip()):
        errors["employee_no"] = [_("The employee number %(no)s already exists.",
                                   no=values["employee_no"].strip())]
        raise Conflict(errors["employee_no"][0], errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    worker = Worker(
        employee_no=values["employee_no"].strip(),
        name=values["name"].strip(),
        org_unit=values["org_unit"],
        employment_type=EmploymentType(values["employment_type"]),
        employer=(values.get("employer") or None),
        hire_date=values["hire_date"],
        post=(values.get("post") or None),
        status=WorkerStatus.ACTIVE,
    )
    if worker.employment_type != EmploymentType.CONTRACT:
        worker.employer = values.get("employer") or None
    db.session.add(worker)
    worker.events.append(WorkerEvent(kind="hired", on_date=worker.hire_date))
    db.session.flush()
    record("worker_created", target_type="worker", target_id=worker.employee_no,
           target_label=worker.name, org_path=worker.org_unit.path, after=worker_snapshot(worker))
    worker_changed.send(None, employee_nos=[worker.employee_no])
    return worker


def update_worker(worker: Worker, values: dict[str, Any]) -> bool:
    """Apply changed values to a staff record; returns whether anything changed."""
    values = {k: v for k, v in values.items() if k in WORKER_FIELDS and k != "employee_no"}
    merged = {"employment_type": worker.employment_type, "employer": worker.employer, **values}
    errors = validate_worker_values(merged | values, creating=False)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    before = worker_snapshot(worker)
    old_unit = worker.org_unit
    status = values.pop("status", None)
    leave_date = values.pop("leave_date", None)
    leave_reason = values.pop("leave_reason", None)
    for key, value in values.items():
        if key in {"employer", "post"}:
            value = value or None
        setattr(worker, key, value)
    if "org_unit" in values and values["org_unit"] != old_unit:
        worker.events.append(WorkerEvent(kind="moved", on_date=date.today(),
                                         detail=f"{old_unit.code} → {values['org_unit'].code}"))
        account_follows_move(worker, old_unit, values["org_unit"])
    if status is not None and WorkerStatus(status) != worker.status:
        if WorkerStatus(status) == WorkerStatus.LEFT:
            _mark_left(worker, leave_date or date.today(), leave_reason or "")
        else:
            _mark_returned(worker)
    after = worker_snapshot(worker)
    if after == before:
        return False
    db.session.flush()
    record("worker_updated", target_type="worker", target_id=worker.employee_no,
           target_label=worker.name, org_path=worker.org_unit.path, before=before, after=after)
    worker_changed.send(None, employee_nos=[worker.employee_no])
    return True


_LOOK_UP = object()


def account_follows_move(worker: Worker, old_unit: OrgUnit, new_unit: OrgUnit,
                         account: Any = _LOOK_UP, *, audit: bool = True) -> None:
    """A moved worker's account moves too, so its scope is the new unit, not the old one.

    Bulk callers pass the ``account`` they loaded in one query (None: the worker has none)
    and ``audit=False``: their own summary entry records the moves.
    """
    if account is _LOOK_UP:
        account = getattr(worker, "account", None)
    if account is not None and account.org_unit_id == old_unit.id:
        account.org_unit = new_unit
        if audit:
            record("account_moved", target_type="user", target_id=account.id,
                   target_label=account.username, org_path=new_unit.path,
                   before={"org_unit": old_unit.code}, after={"org_unit": new_unit.code})


def _mark_left(worker: Worker, leave_date: date, reason: str) -> None:
    if leave_date < worker.hire_date:
        msg = _("The leave date cannot be before the hire date.")
        raise ValidationFailed(msg, {"leave_date": [msg]})
    worker.status = WorkerStatus.LEFT
    worker.leave_date = leave_date
    worker.leave_reason = reason.strip() or None
    worker.events.append(WorkerEvent(kind="left", on_date=leave_date, detail=worker.leave_reason))
    account = getattr(worker, "account", None)
    if account is not None and account.active:
        from academy.auth.services import set_active

        set_active(account, False)  # DB50/T 1603: revoke accounts when staff leave


def _mark_returned(worker: Worker) -> None:
    worker.status = WorkerStatus.ACTIVE
    worker.events.append(WorkerEvent(kind="returned", on_date=date.today(),
                                     detail=worker.leave_reason))
    worker.leave_date = None
    worker.leave_reason = None


def mark_left(worker: Worker, leave_date: date, reason: str) -> None:
    """Record that a worker has left (the record stays; the account is disabled)."""
    if worker.status == WorkerStatus.LEFT:
        msg = _("%(name)s has already left.", name=worker.name)
        raise Conflict(msg)
    if not reason or not reason.strip():
        msg = _("Give a reason for leaving.")
        raise ValidationFailed(msg, {"leave_reason": [msg]})
    before = worker_snapshot(worker)
    _mark_left(worker, leave_date, reason)
    db.session.flush()
    record("worker_left", target_type="worker", target_id=worker.employee_no,
           target_label=worker.name, org_path=worker.org_unit.path, before=before,
           after=worker_snapshot(worker))


def require_worker(employee_no: str) -> Worker:
    """The worker with this employee number, taken from a URL or form (NotFound otherwise).

    Values no employee number can be (too long, or unstorable text) are not looked up.
    """
    worker = None
    if len(employee_no) <= 32 and storable(employee_no):
        worker = get_worker(employee_no)
    if worker is None:
        raise NotFound(_("No staff member with employee number %(no)s.", no=employee_no[:32]))
    return worker


# ---------------------------------------------------------------- staff pages


def count_by_status(stmt: Select) -> dict[str, int]:
    """How many of the workers selected by ``stmt`` are active and have left (one query)."""
    found = stmt.order_by(None).subquery()
    rows = db.session.execute(select(found.c.status, func.count()).group_by(found.c.status))
    counts = {status.value: 0 for status in WorkerStatus}
    for status, count in rows:
        counts[WorkerStatus(status).value] = count
    return counts


def create_account_for_worker(worker: Worker, password: str):
    """Open a trainee account for a staff member (username = employee number)."""
    from academy.auth.services import create_user

    if worker.status == WorkerStatus.LEFT:
        msg = _("%(name)s has left; no account can be opened.", name=worker.name)
        raise Conflict(msg)
    user = create_user(username=worker.employee_no, display_name=worker.name,
                       org_unit=worker.org_unit, roles={"trainee"}, password=password,
                       worker=worker)
    record("worker_account_created", target_type="worker", target_id=worker.employee_no,
           target_label=worker.name, org_path=worker.org_unit.path,
           after={"username": user.username, "roles": sorted(user.roles)})
    return user
