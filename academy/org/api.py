"""API: org units (by ``code``) and staff records (by ``employee_no``), roster import.

Scope works as in the web UI: admins act within their own org subtree; anyone signed in
may read their own staff record. Out-of-scope objects answer 403, missing ones 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from academy.api.common import (
    NoFile,
    PageArgs,
    Text,
    UnsupportedUpload,
    documented_errors,
    list_envelope,
    paginate,
)
from academy.auth import services as auth_services
from academy.auth.models import ROLE_ORDER, User
from academy.errors import Conflict, Forbidden, ValidationFailed
from academy.extensions import db
from academy.org import services
from academy.org.models import EmploymentType, OrgLevel, OrgUnit, Worker, WorkerStatus
from academy.org.roster import import_roster
from academy.permissions import (
    ADMIN,
    can_manage_unit,
    can_manage_user,
    can_manage_worker,
    can_view_worker,
    restrict_units,
    role_required,
)

blp = Blueprint("org_api", __name__, description="Org units and staff")

ROLE_VALUES = [role.value for role in ROLE_ORDER]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Raw (non-multipart) import bodies: the content type names the file type.
RAW_IMPORT_TYPES = {"text/csv": "roster.csv", XLSX_MIME: "roster.xlsx",
                    "application/octet-stream": None}


def error_responses(*codes: int):
    """Document error responses (the ``{"error": {...}}`` shape) for an endpoint."""
    return documented_errors(blp, *codes)


# ---------------------------------------------------------------- schemas


class OrgUnitSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.Enum(OrgLevel, by_value=fields.String, required=True)
    parent = fields.String(allow_none=True, required=True,
                           metadata={"description": "The parent's code; null for a district."})


class OrgUnitCreateSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=32),
                metadata={"description": "Letters, digits, '-', '_' or '.'; unique."})
    name = Text(required=True, validate=validate.Length(min=1, max=120))
    level = fields.Enum(OrgLevel, by_value=fields.String, required=True,
                        metadata={"description": "A subdistrict sits under a district, "
                                                 "a village under a subdistrict."})
    parent = Text(required=True, allow_none=True, validate=validate.Length(min=1, max=32),
                  metadata={"description": "Code of the parent unit, within your subtree. "
                                           "Districts (no parent) cannot be created here."})


class WorkerSchema(Schema):
    employee_no = fields.String(required=True)
    name = fields.String(required=True)
    org_unit = fields.String(required=True, metadata={"description": "The org unit's code."})
    org_unit_name = fields.String(required=True)
    employment_type = fields.Enum(EmploymentType, by_value=fields.String, required=True)
    employer = fields.String(allow_none=True, required=True,
                             metadata={"description": "The labour company (contract staff)."})
    hire_date = fields.Date(required=True)
    post = fields.String(allow_none=True, required=True)
    status = fields.Enum(WorkerStatus, by_value=fields.String, required=True)
    leave_date = fields.Date(allow_none=True, required=True)
    leave_reason = fields.String(allow_none=True, required=True)
    roles = fields.List(fields.String(metadata={"enum": ROLE_VALUES}), required=True,
                        metadata={"description": "Roles of the linked account; [] if none."})


class WorkerChangeSchema(Schema):
    """Fields a PATCH may change; every one optional. ``employee_no`` never changes."""

    name = Text(validate=validate.Length(min=1, max=64))
    org_unit = Text(validate=validate.Length(min=1, max=32),
                    metadata={"description": "An org unit code within your subtree."})
    employment_type = fields.Enum(EmploymentType, by_value=fields.String)
    employer = Text(allow_none=True, validate=validate.Length(max=120),
                    metadata={"description": "Required for contract staff."})
    hire_date = fields.Date(metadata={"description": "YYYY-MM-DD, not in the future."})
    post = Text(allow_none=True, validate=validate.Length(max=64))
    status = fields.Enum(WorkerStatus, by_value=fields.String,
                         metadata={"description": "Setting `left` requires `leave_date` and "
                                                  "disables the linked account."})
    leave_date = fields.Date(allow_none=True,
                             metadata={"description": "Only with status `left`."})
    leave_reason = Text(allow_none=True, validate=validate.Length(max=255),
                        metadata={"description": "Only with status `left`."})
    roles = fields.List(Text(validate=validate.OneOf(ROLE_VALUES)),
                        metadata={"description": "Replaces the linked account's roles; an "
                                                 "account (username = employee_no, no password "
                                                 "yet) is created when there is none."})


class WorkerCreateSchema(WorkerChangeSchema):
    employee_no = Text(required=True, validate=validate.Length(min=1, max=32))
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    org_unit = Text(required=True, validate=validate.Length(min=1, max=32),
                    metadata={"description": "An org unit code within your subtree."})
    employment_type = fields.Enum(EmploymentType, by_value=fields.String, required=True)
    hire_date = fields.Date(required=True,
                            metadata={"description": "YYYY-MM-DD, not in the future."})


class WorkerListArgs(PageArgs):
    org_unit = Text(validate=validate.Length(max=32),
                    metadata={"description": "Only this unit's subtree (a code in your scope)."})
    q = Text(validate=validate.Length(max=64),
             metadata={"description": "Part of a name or employee number."})
    status = fields.Enum(WorkerStatus, by_value=fields.String)
    employment_type = fields.Enum(EmploymentType, by_value=fields.String)
    post = Text(validate=validate.Length(max=64))


class ImportArgs(Schema):
    dry_run = fields.Boolean(
        metadata={"description": "Validate only (the default). May also be sent as a "
                                 "multipart form field. Pass `false` to write."})
    filename = Text(validate=validate.Length(min=1, max=255),
                    metadata={"description": "For a raw (non-multipart) body: the file's "
                                             "name, whose extension tells CSV from XLSX."})


class ImportRowErrorSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "1-based; the header is row 1."})
    column = fields.String(required=True,
                           metadata={"description": "The column header, or '' for the file."})
    message = fields.String(required=True)


class ImportReportSchema(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    errors = fields.List(fields.Nested(ImportRowErrorSchema), required=True)
    dry_run = fields.Boolean(required=True,
                             metadata={"description": "True when nothing was written."})


IMPORT_BODY = {
    "required": True,
    "description": (
        "The roster (CSV in UTF-8 or GBK, or XLSX) with the Chinese headers 工号, 姓名, "
        "所属单位编码, 用工性质, 劳务公司, 入职日期, 岗位, 状态, 离职日期, 离职原因. Either "
        "multipart with a `file` part, or the raw file as the body (then pass `filename`)."
    ),
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "dry_run": {"type": "string", "enum": ["true", "false"]},
                },
                "required": ["file"],
            }
        },
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        XLSX_MIME: {"schema": {"type": "string", "format": "binary"}},
    },
}


# ---------------------------------------------------------------- loading and checks


def unit_in_scope(code: str | None, field: str) -> OrgUnit:
    """The unit named in the input: 422 on ``field`` if unknown, 403 if outside the scope."""
    unit = services.get_unit_by_code(code) if code else None
    if unit is None:
        msg = _("No org unit with code %(code)s.", code=code or "")
        raise ValidationFailed(msg, {field: [msg]})
    if not can_manage_unit(current_user, unit):
        raise Forbidden(_("The org unit %(code)s is outside your scope.", code=unit.code))
    return unit


def load_worker(employee_no: str, *, manage: bool) -> Worker:
    """The worker, if the caller may see it (or manage it); 404 missing, 403 out of scope."""
    worker = services.require_worker(employee_no)
    allowed = can_manage_worker if manage else can_view_worker
    if not allowed(current_user, worker):
        raise Forbidden(_("This staff record is outside your scope."))
    return worker


def check_leave_fields(worker: Worker | None, data: dict[str, Any]) -> None:
    """Leave details go with status ``left``; refuse combinations the services would drop."""
    current = worker.status if worker is not None else WorkerStatus.ACTIVE
    target = data.get("status", current)
    problems: dict[str, list[str]] = {}
    if target == WorkerStatus.LEFT and current != WorkerStatus.LEFT:
        if not data.get("leave_date"):
            problems["leave_date"] = [_("A leave date is required when a worker leaves.")]
    elif target == WorkerStatus.LEFT:
        # Already left: the services keep the recorded leave details unchanged.
        for key in ("leave_date", "leave_reason"):
            if key in data and (data[key] or None) != (getattr(worker, key) or None):
                problems[key] = [_("The leave details of a worker who has left cannot be "
                                   "changed.")]
    else:
        for key in ("leave_date", "leave_reason"):
            if data.get(key):
                problems[key] = [_("Only staff who have left have leave details.")]
    if problems:
        raise ValidationFailed(next(iter(problems.values()))[0], problems)


def apply_roles(worker: Worker, roles: list[str]) -> None:
    """Give the worker's account these roles, creating the account if needed."""
    account = worker.account
    if account is None:
        if not roles:
            return
        account = auth_services.create_user(
            username=worker.employee_no, display_name=worker.name, org_unit=worker.org_unit,
            roles=set(roles), password=None, worker=worker,
        )
        if worker.status == WorkerStatus.LEFT:
            auth_services.set_active(account, False)  # as when staff leave
        return
    if not can_manage_user(current_user, account):
        raise Forbidden(_("The account of this worker is outside your scope."))
    auth_services.set_roles(account, roles)


@contextmanager
def conflicts_as_409() -> Iterator[None]:
    """A unique constraint hit by a concurrent request is a 409, not a server error."""
    try:
        yield
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("Someone else changed the same records at the same time; "
                         "please retry.")) from None


# ---------------------------------------------------------------- serialising


def unit_dict(unit: OrgUnit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "level": unit.level,
            "parent": unit.parent.code if unit.parent is not None else None}


def roles_by_worker(workers: list[Worker]) -> dict[int, list[str]]:
    """The linked accounts' roles for a page of workers (users, then roles: two queries)."""
    ids = [worker.id for worker in workers]
    if not ids:
        return {}
    accounts = db.session.scalars(select(User).where(User.worker_id.in_(ids)))
    return {account.worker_id: account.sorted_roles for account in accounts}


def worker_dict(worker: Worker, roles: list[str]) -> dict[str, Any]:
    return {
        "employee_no": worker.employee_no,
        "name": worker.name,
        "org_unit": worker.org_unit.code,
        "org_unit_name": worker.org_unit.name,
        "employment_type": worker.employment_type,
        "employer": worker.employer,
        "hire_date": worker.hire_date,
        "post": worker.post,
        "status": worker.status,
        "leave_date": worker.leave_date,
        "leave_reason": worker.leave_reason,
        "roles": roles,
    }


def one_worker(worker: Worker) -> dict[str, Any]:
    return worker_dict(worker, roles_by_worker([worker]).get(worker.id, []))


# ---------------------------------------------------------------- org units


@blp.route("/org-units")
class OrgUnits(MethodView):
    @role_required(ADMIN)
    @error_responses(401, 403)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, list_envelope(OrgUnitSchema, "OrgUnitPage"))
    def get(self, args):
        """The org units of the caller's subtree (admins), parents before children."""
        stmt = restrict_units(
            current_user, select(OrgUnit).options(joinedload(OrgUnit.parent))
        ).order_by(OrgUnit.path)
        page = paginate(stmt, args["page"], args["per_page"])
        page["items"] = [unit_dict(unit) for unit in page["items"]]
        return page

    @role_required(ADMIN)
    @error_responses(400, 401, 403, 409)
    @blp.arguments(OrgUnitCreateSchema)
    @blp.response(201, OrgUnitSchema)
    def post(self, data):
        """Create an org unit under a parent in the caller's subtree (codes are unique: 409)."""
        if data["parent"] is None:
            raise Forbidden(_("A district is the top of a tree and outside every admin's "
                              "scope."))
        parent = unit_in_scope(data["parent"], "parent")
        with conflicts_as_409():
            unit = services.create_unit(code=data["code"], name=data["name"],
                                        level=data["level"].value, parent=parent)
            db.session.commit()
        return unit_dict(unit)


# ---------------------------------------------------------------- workers


@blp.route("/workers")
class Workers(MethodView):
    @role_required(ADMIN)
    @error_responses(401, 403)
    @blp.arguments(WorkerListArgs, location="query")
    @blp.response(200, list_envelope(WorkerSchema, "WorkerPage"))
    def get(self, args):
        """Staff in the caller's subtree (or the `org_unit` subtree), by employee number."""
        filters = services.WorkerFilters(
            q=args.get("q") or None,
            org_unit=unit_in_scope(args["org_unit"], "org_unit") if args.get("org_unit")
            else None,
            status=args["status"].value if "status" in args else None,
            employment_type=args["employment_type"].value if "employment_type" in args
            else None,
            post=args.get("post") or None,
        )
        stmt = services.worker_query(current_user.org_unit, filters)
        page = paginate(stmt, args["page"], args["per_page"])
        roles = roles_by_worker(page["items"])
        page["items"] = [worker_dict(w, roles.get(w.id, [])) for w in page["items"]]
        return page

    @role_required(ADMIN)
    @error_responses(400, 401, 403, 409)
    @blp.arguments(WorkerCreateSchema)
    @blp.response(201, WorkerSchema)
    def post(self, data):
        """Create a staff record (duplicate employee number: 409); `roles` adds an account."""
        check_leave_fields(None, data)
        unit = unit_in_scope(data["org_unit"], "org_unit")
        roles = data.pop("roles", None)
        leaving = {key: data.pop(key) for key in ("status", "leave_date", "leave_reason")
                   if key in data}
        with conflicts_as_409():
            worker = services.create_worker({**data, "org_unit": unit})
            if roles:
                apply_roles(worker, roles)
            if leaving.get("status") == WorkerStatus.LEFT:
                services.update_worker(worker, leaving)  # also disables the new account
            db.session.commit()
        return one_worker(worker)


@blp.route("/workers/<string:employee_no>")
class WorkerItem(MethodView):
    @role_required()
    @error_responses(401, 403, 404)
    @blp.response(200, WorkerSchema)
    def get(self, employee_no: str):
        """One staff record: admins within their subtree, anyone their own."""
        return one_worker(load_worker(employee_no, manage=False))

    @role_required(ADMIN)
    @error_responses(400, 401, 403, 404, 409)
    @blp.arguments(WorkerChangeSchema)
    @blp.response(200, WorkerSchema)
    def patch(self, data, employee_no: str):
        """Change some fields of a staff record (the employee number never changes)."""
        worker = load_worker(employee_no, manage=True)
        check_leave_fields(worker, data)
        roles = data.pop("roles", None)
        if "org_unit" in data:
            data["org_unit"] = unit_in_scope(data["org_unit"], "org_unit")
        with conflicts_as_409():
            services.update_worker(worker, data)
            if roles is not None:
                apply_roles(worker, roles)
            db.session.commit()
        return one_worker(worker)


# ---------------------------------------------------------------- roster import


def _flag(raw: str, field: str) -> bool:
    try:
        return fields.Boolean().deserialize(raw)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], {field: list(exc.messages)}) from None


def read_upload(args: dict[str, Any]) -> tuple[bytes, str, bool]:
    """The uploaded file's bytes and name, and the dry-run flag, from either body style."""
    dry_run = args.get("dry_run")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if "dry_run" in request.form:
            from_form = _flag(request.form["dry_run"], "dry_run")
            if dry_run is not None and dry_run != from_form:
                msg = _("dry_run was given twice with different values.")
                raise ValidationFailed(msg, {"dry_run": [msg]})
            dry_run = from_form
        if upload is None or not upload.filename:
            raise NoFile(_("Attach the roster as a multipart part named file."))
        data, filename = upload.read(), upload.filename
    elif request.mimetype in RAW_IMPORT_TYPES:
        filename = args.get("filename") or RAW_IMPORT_TYPES[request.mimetype]
        if not filename:
            msg = _("Pass the file's name (filename=...) so its type is known.")
            raise UnsupportedUpload(msg, {"filename": [msg]})
        data = request.get_data(cache=False)
    elif not request.content_length and not request.mimetype:
        raise NoFile(_("No file was sent."))
    else:
        raise UnsupportedUpload(_("Send the roster as multipart/form-data, text/csv or "
                                     "XLSX."))
    if not data:
        raise NoFile(_("The file is empty."))
    return data, filename, True if dry_run is None else dry_run


@blp.route("/workers/import")
class WorkerImport(MethodView):
    @role_required(ADMIN)
    @error_responses(400, 401, 403, 413, 415)
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.arguments(ImportArgs, location="query")
    @blp.response(200, ImportReportSchema)
    def post(self, args):
        """Import a roster (upsert by 工号) into the caller's subtree.

        A dry run (the default) only validates. Any readable file answers 200 with the
        report; when it lists errors nothing was written, whatever `dry_run` said.
        An unreadable file is 422, an unsupported type 415, no file 400, over 20 MB 413.
        """
        data, filename, dry_run = read_upload(args)
        report = import_roster(data, filename, scope=current_user.org_unit, dry_run=dry_run)
        if dry_run or report.errors:
            db.session.rollback()
        else:
            db.session.commit()
        return report.as_dict()
