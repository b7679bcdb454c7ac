"""Roster import from CSV (UTF-8 or GBK) or XLSX with Chinese headers.

Contract used by the import page and ``POST /api/v1/workers/import``. The import runs in
three phases so that 5,000 rows take well under a second or two:

1. read the file and check every row on its own (no database);
2. load the referenced org units and the existing staff records in a few queries and
   check every row against them (scope, moves, changes);
3. only if no row has an error and this is not a dry run: build the objects in memory,
   ``add_all`` and flush once; one audit entry for the whole import.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import insert, select

from academy.audit.services import record
from academy.errors import DomainError, NotFound, ValidationFailed
from academy.extensions import db
from academy.jobs.registry import job_handler
from academy.org import services
from academy.org.models import EmploymentType, OrgUnit, Worker, WorkerEvent, WorkerStatus
from academy.signals import worker_changed

if TYPE_CHECKING:
    from academy.jobs.models import Job


@dataclass
class RowError:
    row: int  # 1-based spreadsheet row number (the header is row 1)
    column: str  # the Chinese column header, or "" for a whole-file problem
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"row": e.row, "column": e.column, "message": e.message}
                       for e in self.errors],
            "dry_run": self.dry_run,
        }


class UnsupportedFile(ValidationFailed):
    """The upload is not a CSV or XLSX file we can read (the API answers 415)."""

    code = "unsupported_file"
    http_status = 415


# ---------------------------------------------------------------- the file format


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header: part of the file format, never translated
    required: bool = False  # the header must be present
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("employee_no", "工号", True, 32),
    Column("name", "姓名", True, 64),
    Column("org_unit", "所属单位编码", True, 32),
    Column("employment_type", "用工性质", True),
    Column("employer", "劳务公司", False, 120),
    Column("hire_date", "入职日期", True),
    Column("post", "岗位", False, 64),
    Column("status", "状态", False),
    Column("leave_date", "离职日期", False),
    Column("leave_reason", "离职原因", False, 255),
)
HEADERS = {c.key: c.header for c in COLUMNS}
_BY_KEY = {c.key: c for c in COLUMNS}
# Header text (lower-cased, spaces and a trailing * removed) -> column key.
HEADER_ALIASES: dict[str, str] = {
    **{c.header: c.key for c in COLUMNS},
    **{c.key: c.key for c in COLUMNS},
    "org_unit_code": "org_unit",
}

# The values written by the template and the export (file-format tokens, not UI text).
EMPLOYMENT_TYPE_TEXT = {
    EmploymentType.CIVIL_SERVANT: "在编公务员",
    EmploymentType.PUBLIC_INSTITUTION: "事业编制",
    EmploymentType.CONTRACT: "劳务派遣合同",
}
STATUS_TEXT = {WorkerStatus.ACTIVE: "在职", WorkerStatus.LEFT: "离职"}
EMPLOYMENT_TYPE_VALUES: dict[str, EmploymentType] = {
    **{text: etype for etype, text in EMPLOYMENT_TYPE_TEXT.items()},
    **{etype.value: etype for etype in EmploymentType},
    "公务员": EmploymentType.CIVIL_SERVANT,
    "事业": EmploymentType.PUBLIC_INSTITUTION,
    "事业编": EmploymentType.PUBLIC_INSTITUTION,
    "合同": EmploymentType.CONTRACT,
    "劳务派遣": EmploymentType.CONTRACT,
}
STATUS_VALUES: dict[str, WorkerStatus] = {
    **{text: status for status, text in STATUS_TEXT.items()},
    **{status.value: status for status in WorkerStatus},
    "已离职": WorkerStatus.LEFT,
}

MAX_COLUMNS = 64
MAX_ROWS = 50_000
# A sheet formatted down to row 1,048,576 is read as empty rows; stop after this many.
MAX_EMPTY_RUN = 10_000
BACKGROUND_THRESHOLD = 1_000  # confirmed imports of more rows run as a background job
_EMPLOYEE_NO_RE = re.compile(r"^[^\s/\\?#%]+$")
_DATE_RES = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_SUFFIX = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_MAGIC_UNSUPPORTED = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"\x1f\x8b",
                      b"7z\xbc\xaf", b"{\\rtf")
_ALLOWED_SUFFIXES = {"", ".csv", ".xlsx", ".txt"}


# ---------------------------------------------------------------- reading the file


def _suffix(filename: str) -> str:
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + name.rsplit(".", 1)[1].lower() if "." in name else ""


def _read_table(data: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) of the first sheet; the format comes from the content."""
    if not data:
        raise ValidationFailed(_("The file is empty."))
    suffix = _suffix(filename)
    if suffix not in _ALLOWED_SUFFIXES:
        raise UnsupportedFile(_("Upload a .csv or .xlsx file (not %(suffix)s).", suffix=suffix))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFile(_("Old Excel (.xls) files are not supported: save the file as "
                                ".xlsx or CSV and upload it again."))
    if data.startswith(_MAGIC_UNSUPPORTED):
        raise UnsupportedFile(_("This is not a CSV or XLSX file."))
    return _read_csv(data)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)  # Excel's "Unicode text"
    else:
        if b"\x00" in data[:8192]:
            raise UnsupportedFile(_("This is not a CSV or XLSX file."))
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedFile(_("The text encoding of this CSV file is not recognised: save it "
                            "as UTF-8 or GBK."))


def _read_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):  # noqa: B007
                yield number, cells[:MAX_COLUMNS]
        except csv.Error as exc:
            raise ValidationFailed(_("The CSV file could not be read near row %(row)d: "
                                     "%(problem)s", row=number + 1, problem=str(exc))) from None

    return rows()


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationFailed(_("The spreadsheet could not be read; it may be damaged.")) \
            from None
    if "xl/workbook.xml" not in names:
        raise UnsupportedFile(_("This is not an XLSX workbook."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many kinds of errors for broken files
        raise ValidationFailed(_("The spreadsheet could not be read; it may be damaged.")) \
            from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, list(cells[:MAX_COLUMNS])
        except DomainError:
            raise
        except Exception:
            raise ValidationFailed(_("The spreadsheet could not be read; it may be damaged.")) \
                from None
        finally:
            book.close()

    return rows()


def _text(value: Any) -> str:
    """A cell as trimmed text (numbers without a spurious '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\ufeff", "").strip()


def _short(text: str, limit: int = 40) -> str:
    """A cell value quoted in a message, cut short."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header_key(value: Any) -> str:
    text = re.sub(r"\s+", "", _text(value)).rstrip("*＊").lower()
    return HEADER_ALIASES.get(text, "")


def parse_date(value: Any) -> date | None:
    """A date cell: a real Excel date, or text as YYYY-MM-DD, YYYY/M/D or YYYY年M月D日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 19000101 <= value <= 29991231 and float(value).is_integer():
            value = str(int(value))  # 20240301 typed as a number
        elif 1 <= value < 2958466:  # an Excel serial day number without a date format
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(value).date()
            except (ValueError, OverflowError, AttributeError):
                return None
        else:
            return None
    text = _TIME_SUFFIX.sub("", _text(value))
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if match:
            try:
                parsed = date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
            return parsed if parsed.year >= 1900 else None
    return None


# ---------------------------------------------------------------- checking rows


@dataclass
class _Row:
    """One row, typed. ``values`` holds only the columns present in the file."""

    row: int
    employee_no: str
    org_code: str
    values: dict[str, Any]
    valid: bool = True  # False when phase 1 found a problem


class _RowChecker:
    """Phase 1: everything that can be said about a row without the database."""

    def __init__(self, index: dict[str, int], today: date):
        self.index = index
        self.today = today
        self.seen: dict[str, int] = {}

    def cell(self, cells: list[Any], key: str) -> Any:
        position = self.index.get(key)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    def check(self, number: int, cells: list[Any]) -> tuple[_Row, list[RowError]]:
        errors: list[RowError] = []
        present = self.index

        def error(key: str, message: str) -> None:
            errors.append(RowError(number, HEADERS[key], message))

        texts: dict[str, str] = {}
        for column in COLUMNS:
            if column.key not in present:
                continue
            text = _text(self.cell(cells, column.key))
            if column.max_length and len(text) > column.max_length:
                error(column.key, _("At most %(n)d characters (this value has %(len)d).",
                                    n=column.max_length, len=len(text)))
                text = text[: column.max_length]
            texts[column.key] = text

        employee_no = texts["employee_no"]
        if not employee_no:
            error("employee_no", _("An employee number is required."))
        elif not _EMPLOYEE_NO_RE.match(employee_no):
            error("employee_no", _("An employee number cannot contain spaces, slashes, "
                                   "'?', '#' or '%'."))
        elif employee_no in self.seen:
            error("employee_no", _("The employee number %(no)s also appears in row %(row)d.",
                                   no=employee_no, row=self.seen[employee_no]))
        else:
            self.seen[employee_no] = number
        if not texts["name"]:
            error("name", _("A name is required."))
        if not texts["org_unit"]:
            error("org_unit", _("An org unit code is required."))

        values: dict[str, Any] = {"name": texts["name"]}
        etype = EMPLOYMENT_TYPE_VALUES.get(texts["employment_type"].lower())
        if not texts["employment_type"]:
            error("employment_type", _("An employment type is required."))
        elif etype is None:
            error("employment_type", _("Unknown employment type %(value)s: use 在编公务员, "
                                       "事业编制 or 劳务派遣合同.",
                                       value=_short(texts["employment_type"])))
        values["employment_type"] = etype
        employer = texts.get("employer") or None
        if etype == EmploymentType.CONTRACT and not employer:
            error("employer", _("Contract staff need the labour company's name."))
        if "employer" in present:
            values["employer"] = employer

        hire_raw = self.cell(cells, "hire_date")
        hire_date = parse_date(hire_raw)
        if not texts["hire_date"]:
            error("hire_date", _("A hire date is required."))
        elif hire_date is None:
            error("hire_date", _("%(value)s is not a date: write it as YYYY-MM-DD.",
                                 value=_short(texts["hire_date"])))
        elif hire_date > self.today:
            error("hire_date", _("The hire date cannot be in the future."))
        values["hire_date"] = hire_date

        if "post" in present:
            values["post"] = texts["post"] or None
        self._check_status(texts, cells, hire_date, values, error)
        valid_no = employee_no if _EMPLOYEE_NO_RE.match(employee_no) else ""
        return _Row(number, valid_no, texts["org_unit"], values, valid=not errors), errors

    def _check_status(self, texts, cells, hire_date, values, error) -> None:
        has_status = "status" in self.index
        status = WorkerStatus.ACTIVE
        if has_status and texts["status"]:
            status = STATUS_VALUES.get(texts["status"].lower())
            if status is None:
                error("status", _("Unknown status %(value)s: use 在职 or 离职.",
                                  value=_short(texts["status"])))
                return
        leave_text = texts.get("leave_date", "")
        if status == WorkerStatus.LEFT:
            leave_date = parse_date(self.cell(cells, "leave_date"))
            if not leave_text:
                error("leave_date", _("A leave date is required when the status is 离职."))
            elif leave_date is None:
                error("leave_date", _("%(value)s is not a date: write it as YYYY-MM-DD.",
                                      value=_short(leave_text)))
            elif leave_date > self.today:
                error("leave_date", _("The leave date cannot be in the future."))
            elif hire_date is not None and leave_date < hire_date:
                error("leave_date", _("The leave date cannot be before the hire date."))
            values["status"] = status
            values["leave_date"] = leave_date
            if "leave_reason" in self.index:
                values["leave_reason"] = texts["leave_reason"] or None
        elif leave_text:
            error("leave_date", _("A leave date is only allowed when the status is 离职."))
        elif has_status:
            values.update(status=status, leave_date=None, leave_reason=None)


def _map_headers(cells: list[Any]) -> tuple[dict[str, int], list[RowError]]:
    index: dict[str, int] = {}
    errors: list[RowError] = []
    for position, value in enumerate(cells):
        key = _header_key(value)
        if not key:
            continue  # extra columns (e.g. the export's unit name) are ignored
        if key in index:
            errors.append(RowError(1, HEADERS[key], _("The column %(column)s appears twice.",
                                                      column=HEADERS[key])))
        index[key] = position
    missing = [c.header for c in COLUMNS if c.required and c.key not in index]
    if missing:
        errors.append(RowError(1, missing[0], _(
            "Missing required columns: %(columns)s. The first row must hold the headers "
            "(download the template).", columns="、".join(missing))))
    return index, errors


# ---------------------------------------------------------------- the import


@dataclass
class _Plan:
    creates: list[tuple[_Row, OrgUnit]] = field(default_factory=list)
    updates: list[tuple[Worker, OrgUnit, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _current(worker: Worker, key: str) -> Any:
    return worker.org_unit_id if key == "org_unit" else getattr(worker, key)


def _plan(rows: list[_Row], scope: OrgUnit, errors: list[RowError]) -> _Plan:
    """Phase 2: check the rows against the database (a few queries, none per row)."""
    codes = sorted({row.org_code for row in rows if row.org_code})
    units: dict[str, OrgUnit] = {}
    for chunk in _chunks(codes):
        units.update((u.code, u) for u in db.session.scalars(
            select(OrgUnit).where(OrgUnit.code.in_(chunk))))
    existing: dict[str, Worker] = {}
    for chunk in _chunks(sorted({row.employee_no for row in rows if row.employee_no})):
        existing.update((w.employee_no, w) for w in db.session.scalars(
            select(Worker).where(Worker.employee_no.in_(chunk))))

    plan = _Plan()
    for row in rows:
        # Every problem of a row is reported, even when phase 1 already found one.
        valid = row.valid
        unit = units.get(row.org_code)
        if row.org_code and unit is None:
            valid = False
            errors.append(RowError(row.row, HEADERS["org_unit"], _(
                "Unknown org unit code %(code)s.", code=_short(row.org_code))))
        elif unit is not None and not unit.path.startswith(scope.path):
            valid = False
            errors.append(RowError(row.row, HEADERS["org_unit"], _(
                "The org unit %(code)s is outside your org units.", code=row.org_code)))
        worker = existing.get(row.employee_no)
        if worker is not None and not worker.org_unit.path.startswith(scope.path):
            valid = False
            errors.append(RowError(row.row, HEADERS["employee_no"], _(
                "The employee number %(no)s exists in another unit outside your scope.",
                no=row.employee_no)))
        if not valid or unit is None:
            continue
        if worker is None:
            plan.creates.append((row, unit))
            continue
        target = {"org_unit": unit.id, **row.values}
        changes = {key: value for key, value in target.items()
                   if _current(worker, key) != value}
        if changes:
            changes.pop("org_unit", None)
            plan.updates.append((worker, unit, changes))
        else:
            plan.unchanged += 1
    return plan


def _actor_id(actor: Any) -> int | None:
    if actor is not None:
        return actor.id
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def _apply(plan: _Plan, actor: Any) -> tuple[list[str], dict[str, list[str]]]:
    """Phase 3: write the plan. Returns the created numbers and the changed fields.

    New staff go in with ORM bulk INSERTs (one executemany each for workers and events):
    a unit-of-work flush of thousands of new objects costs seconds, mostly in Python, and
    on SQLite inserts row by row since it cannot return generated ids in batches.
    """
    from academy.auth.models import User
    from academy.auth.services import set_active

    actor_id = _actor_id(actor)
    today = date.today()
    events: list[dict[str, Any]] = []
    leaving: list[int] = []
    changed: dict[str, list[str]] = {}
    moving = [worker.id for worker, unit, _changes in plan.updates
              if unit.id != worker.org_unit_id]
    accounts = {user.worker_id: user for user in db.session.scalars(
        select(User).where(User.worker_id.in_(moving)))} if moving else {}
    with db.session.no_autoflush:
        for worker, unit, changes in plan.updates:
            moved = unit.id != worker.org_unit_id
            changed[worker.employee_no] = sorted([*changes, "org_unit"] if moved else changes)
            if moved:
                events.append({"worker_id": worker.id, "kind": "moved", "on_date": today,
                               "detail": f"{worker.org_unit.code} → {unit.code}"})
                services.account_follows_move(worker, worker.org_unit, unit,
                                              account=accounts.get(worker.id), audit=False)
                worker.org_unit = unit
            new_status = changes.get("status")
            if new_status == WorkerStatus.LEFT and worker.status != WorkerStatus.LEFT:
                events.append({"worker_id": worker.id, "kind": "left",
                               "on_date": changes["leave_date"],
                               "detail": changes.get("leave_reason")})
                leaving.append(worker.id)
            elif new_status == WorkerStatus.ACTIVE and worker.status == WorkerStatus.LEFT:
                events.append({"worker_id": worker.id, "kind": "returned", "on_date": today,
                               "detail": worker.leave_reason})
            for key, value in changes.items():
                setattr(worker, key, value)
    db.session.flush()

    created = [row.employee_no for row, _unit in plan.creates]
    if plan.creates:
        db.session.execute(insert(Worker), [{
            "employee_no": row.employee_no, "name": row.values["name"],
            "org_unit_id": unit.id, "employment_type": row.values["employment_type"],
            "employer": row.values.get("employer"), "hire_date": row.values["hire_date"],
            "post": row.values.get("post"),
            "status": row.values.get("status", WorkerStatus.ACTIVE),
            "leave_date": row.values.get("leave_date"),
            "leave_reason": row.values.get("leave_reason"),
        } for row, unit in plan.creates])
        ids: dict[str, int] = {}
        for chunk in _chunks(created):
            ids.update((no, worker_id) for no, worker_id in db.session.execute(
                select(Worker.employee_no, Worker.id).where(Worker.employee_no.in_(chunk))))
        for row, _unit in plan.creates:
            values = row.values
            events.append({"worker_id": ids[row.employee_no], "kind": "hired",
                           "on_date": values["hire_date"], "detail": None})
            if values.get("status") == WorkerStatus.LEFT:
                events.append({"worker_id": ids[row.employee_no], "kind": "left",
                               "on_date": values["leave_date"],
                               "detail": values.get("leave_reason")})
    if events:
        for event in events:
            event["actor_id"] = actor_id
        db.session.execute(insert(WorkerEvent), events)
    # Leavers lose their accounts (DB50/T 1603); rare, so one query for all of them.
    for chunk in _chunks(leaving):
        for account in db.session.scalars(select(User).where(User.worker_id.in_(chunk))):
            if account.active:
                set_active(account, False)
    return created, changed


def import_roster(data: bytes, filename: str, *, scope: OrgUnit, dry_run: bool,
                  progress: Callable[[int, int], None] | None = None,
                  actor: Any = None) -> ImportReport:
    """Validate every row; write (upsert by employee number) only if all rows are valid.

    ``progress(done, total)`` is called while rows are checked, before anything is written
    (a job's progress callback may commit). ``actor`` defaults to the signed-in user.
    """
    report = ImportReport(dry_run=dry_run)
    table = _read_table(data, filename)
    header = next(table, None)
    if header is None or not any(_text(v) for v in header[1]):
        raise ValidationFailed(_("The file has no header row: the first row must hold the "
                                 "column headers (download the template)."))
    index, header_errors = _map_headers(header[1])
    if header_errors:
        report.errors = header_errors
        return report

    checker = _RowChecker(index, date.today())
    rows: list[_Row] = []
    raw_rows: list[tuple[int, list[Any]]] = []
    empty_run = 0
    for number, cells in table:
        if not any(_text(v) for v in cells):
            empty_run += 1
            if empty_run >= MAX_EMPTY_RUN:
                break
            continue
        empty_run = 0
        raw_rows.append((number, cells))
        if len(raw_rows) > MAX_ROWS:
            raise ValidationFailed(_("The file has more than %(n)d rows: split it into "
                                     "several files.", n=MAX_ROWS))
    total = len(raw_rows)
    for done, (number, cells) in enumerate(raw_rows, start=1):
        row, errors = checker.check(number, cells)
        rows.append(row)
        report.errors.extend(errors)
        if progress is not None and done % 200 == 0:
            progress(done // 2, total)
    if progress is not None:
        progress(total // 2, total)

    plan = _plan(rows, scope, report.errors)
    report.errors.sort(key=lambda e: (e.row, _column_order(e.column)))
    report.created = len(plan.creates)
    report.updated = len(plan.updates)
    report.unchanged = plan.unchanged
    if report.errors:
        report.created = report.updated = report.unchanged = 0
        return report
    if dry_run:
        return report
    created, changed = _apply(plan, actor)
    worker_changed.send(None, employee_nos=[*created, *changed])
    record("roster_imported", actor=actor, target_type="roster", target_label=filename[:255],
           org_path=scope.path, after={
               "file": filename, "created": report.created, "updated": report.updated,
               "unchanged": report.unchanged, "created_employee_nos": created,
               "changed_fields": changed,
           })
    db.session.flush()
    return report


def _column_order(header: str) -> int:
    for position, column in enumerate(COLUMNS):
        if column.header == header:
            return position
    return -1


# ---------------------------------------------------------------- the template


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "", str(text))[:31] or "Sheet"


def column_help() -> list[tuple[str, str, str]]:
    """(header, required?, explanation) of every column, for the template and the page."""
    yes, no = _("Required"), _("Optional")
    return [
        ("工号", yes, _("The employee number; unique. Rows are matched to existing staff by "
                        "this number (existing staff are updated).")),
        ("姓名", yes, _("Full name, at most 64 characters.")),
        ("所属单位编码", yes, _("The code of the org unit (see the sheet of unit codes); it "
                              "must be one of your own org units.")),
        ("用工性质", yes, _("One of 在编公务员 (civil servant), 事业编制 (public institution "
                            "staff) or 劳务派遣合同 (contract, labour dispatch).")),
        ("劳务公司", _("Required for contract staff"),
         _("The labour dispatch company employing contract staff.")),
        ("入职日期", yes, _("Hire date, e.g. 2024-03-01, 2024/3/1 or 2024年3月1日; not in the "
                            "future.")),
        ("岗位", no, _("The post, e.g. 综合窗口.")),
        ("状态", no, _("在职 (active, the default) or 离职 (left).")),
        ("离职日期", _("Required when 离职"), _("The leave date; not before the hire date.")),
        ("离职原因", no, _("Why the person left.")),
    ]


def roster_template_xlsx(units: Iterable[tuple[str, str]] | None = None) -> bytes:
    """The import template: headers and an example row, instructions, and unit codes."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    units = list(units or [])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _sheet_title(_("Roster"))
    sheet.append([c.header for c in COLUMNS])
    example_unit = units[0][0] if units else "S01"
    sheet.append(["GZ0001", "张三", example_unit, "劳务派遣合同", "某某人力资源服务有限公司",
                  date(2024, 3, 1), "综合窗口", "在职", None, None])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDE6F3")
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    sheet["F2"].number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHIJ", (12, 10, 14, 14, 26, 12, 14, 8, 12, 20),
                             strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    lists = (("D", "在编公务员,事业编制,劳务派遣合同"), ("H", "在职,离职"))
    for letter, options in lists:
        validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)

    notes = book.create_sheet(_sheet_title(_("Instructions")))
    notes.append([_("Column"), _("Required"), _("Explanation")])
    for cell in notes[1]:
        cell.font = bold
    for row in column_help():
        notes.append(list(row))
    notes.append([])
    for line in (
        _("The first row must hold the column headers; the order of the columns is free."),
        _("Delete the grey example row before importing."),
        _("If any row has a problem, nothing is imported: fix the rows listed and upload "
          "the file again."),
        _("CSV files may be saved as UTF-8 or GBK."),
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 18
    notes.column_dimensions["C"].width = 90

    if units:
        codes = book.create_sheet(_sheet_title(_("Org unit codes")))
        codes.append([_("Code"), _("Name")])
        for cell in codes[1]:
            cell.font = bold
        for code, name in units:
            codes.append([code, name])
        codes.column_dimensions["A"].width = 16
        codes.column_dimensions["B"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- preview and confirm


UPLOAD_TTL = timedelta(hours=24)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _upload_dir() -> Path:
    return Path(current_app.instance_path) / "uploads"


def _upload_paths(token: str) -> tuple[Path, Path]:
    base = _upload_dir() / f"roster-{token}"
    return base.with_suffix(".bin"), base.with_suffix(".json")


def stash_upload(data: bytes, filename: str, *, owner_id: int, rows: int) -> str:
    """Keep an uploaded file between preview and confirmation; returns its opaque token."""
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    token = secrets.token_urlsafe(32)
    blob, meta = _upload_paths(token)
    blob.write_bytes(data)
    meta.write_text(json.dumps({"owner_id": owner_id, "filename": filename, "rows": rows,
                                "created": time.time()}))
    return token


def load_upload(token: str, *, owner_id: int) -> tuple[bytes, dict] | None:
    """The stashed file and its metadata, if the token is valid and belongs to ``owner_id``."""
    if not token or not _TOKEN_RE.match(token):
        return None
    blob, meta_path = _upload_paths(token)
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("owner_id") != owner_id:
            return None
        if time.time() - float(meta.get("created", 0)) > UPLOAD_TTL.total_seconds():
            discard_upload(token)
            return None
        return blob.read_bytes(), meta
    except (OSError, ValueError, TypeError):
        return None


def discard_upload(token: str) -> None:
    """Delete a stashed file."""
    if not token or not _TOKEN_RE.match(token):
        return
    for path in _upload_paths(token):
        path.unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    """Forget uploads that were never confirmed."""
    limit = time.time() - UPLOAD_TTL.total_seconds()
    for path in folder.glob("roster-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def preview_roster(data: bytes, filename: str, *, scope: OrgUnit,
                   owner_id: int) -> tuple[ImportReport, str | None]:
    """A dry run; when the file is valid it is kept for confirmation under a token."""
    report = import_roster(data, filename, scope=scope, dry_run=True)
    token = None
    if not report.errors:
        rows = report.created + report.updated + report.unchanged
        token = stash_upload(data, filename, owner_id=owner_id, rows=rows)
    return report, token


def confirm_roster(token: str, *, user: Any) -> ImportReport | Job:
    """Import a previewed file for real: inline (an ImportReport) or as a job (a Job)."""
    from academy.jobs.runner import enqueue

    loaded = load_upload(token, owner_id=user.id)
    if loaded is None:
        raise NotFound(_("This upload has expired or was already imported. Please upload "
                         "the file again."))
    data, meta = loaded
    if int(meta.get("rows", 0)) > BACKGROUND_THRESHOLD:
        return enqueue("roster_import", {"token": token, "user_id": user.id},
                       created_by_id=user.id)
    try:
        return import_roster(data, str(meta.get("filename") or ""), scope=user.org_unit,
                             dry_run=False, actor=user)
    finally:
        discard_upload(token)


@job_handler("roster_import")
def run_import_job(ctx, *, token: str, user_id: int) -> dict:
    """The background import of a previewed roster file."""
    from academy.auth.models import User

    user = db.session.get(User, user_id)
    loaded = load_upload(token, owner_id=user_id) if user is not None else None
    if loaded is None:
        raise RuntimeError("the uploaded roster file is no longer available")
    data, meta = loaded
    try:
        report = import_roster(data, str(meta.get("filename") or ""), scope=user.org_unit,
                               dry_run=False, progress=ctx.progress, actor=user)
    finally:
        discard_upload(token)
    return report.as_dict()
