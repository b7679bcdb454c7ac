"""Admin pages: the staff roster, staff records, their accounts, and the roster import."""

from __future__ import annotations

import io
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from academy.errors import DomainError
from academy.extensions import db
from academy.forms import attach_errors
from academy.jobs.models import Job
from academy.jobs.services import get_job
from academy.org import export, roster, services  # roster registers the roster_import job
from academy.org.blueprint import bp
from academy.org.models import EmploymentType, Worker, WorkerStatus
from academy.org.routes import load_unit
from academy.org.services import WorkerFilters
from academy.org.staff_forms import (
    AccountForm,
    ConfirmImportForm,
    ImportForm,
    LeaveForm,
    NewWorkerForm,
    WorkerForm,
    employment_type_choices,
)
from academy.permissions import ADMIN, can_manage_worker, role_required

PER_PAGE = 50


def load_worker(employee_no: str) -> Worker:
    """The staff record if the current admin may manage it (404 missing, 403 out of scope)."""
    worker = services.get_worker(employee_no)
    if worker is None:
        abort(404)
    if not can_manage_worker(current_user, worker):
        abort(403)
    return worker


def _unit_choices() -> list[tuple[str, str]]:
    return [(u.code, "\u3000" * depth + f"{u.name} ({u.code})")
            for u, depth in services.unit_tree(current_user.org_unit)]


@bp.context_processor
def _labels():
    def employment_type_label(value) -> str:
        labels = dict(employment_type_choices())
        return str(labels.get(getattr(value, "value", value), value))

    def status_label(value) -> str:
        return _("Left") if getattr(value, "value", value) == "left" else _("Active")

    def event_label(kind: str) -> str:
        return {"hired": _("Hired"), "moved": _("Moved"), "left": _("Left"),
                "returned": _("Returned")}.get(kind, kind)

    return {"employment_type_label": employment_type_label, "status_label": status_label,
            "event_label": event_label}


# ---------------------------------------------------------------- the roster


def _filters() -> tuple[WorkerFilters, dict[str, str]]:
    """The list filters from the query string, and their values to keep in links."""
    args = request.args
    q = (args.get("q") or "").strip()[:64]
    code = (args.get("org_unit") or "").strip()[:32]
    status = args.get("status") or ""
    status = status if status in {s.value for s in WorkerStatus} else ""
    etype = args.get("employment_type") or ""
    etype = etype if etype in {e.value for e in EmploymentType} else ""
    post = (args.get("post") or "").strip()[:64]
    filters = WorkerFilters(q=q or None, org_unit=load_unit(code) if code else None,
                            status=status or None, employment_type=etype or None,
                            post=post or None)
    kept = {"q": q, "org_unit": code, "status": status, "employment_type": etype, "post": post}
    return filters, {k: v for k, v in kept.items() if v}


@bp.get("/workers")
@role_required(ADMIN)
def workers():
    filters, args = _filters()
    stmt = services.worker_query(current_user.org_unit, filters)
    page = db.paginate(stmt, page=max(1, request.args.get("page", 1, type=int) or 1),
                       per_page=PER_PAGE, error_out=False)
    return render_template(
        "org/workers.html", page=page, args=args, filters=filters,
        status_counts=services.count_by_status(stmt), units=_unit_choices(),
        posts=services.distinct_posts(current_user.org_unit),
        employment_types=employment_type_choices(),
    )


@bp.get("/workers.xlsx")
@role_required(ADMIN)
def workers_export():
    filters, _args = _filters()
    data = export.workers_xlsx(current_user.org_unit, filters)
    return send_file(io.BytesIO(data), mimetype=export.XLSX_MIME, as_attachment=True,
                     download_name=f"staff-{date.today():%Y%m%d}.xlsx")


# ---------------------------------------------------------------- one staff record


def _render_detail(worker: Worker, *, leave_form: LeaveForm | None = None,
                   account_form: AccountForm | None = None, status: int = 200):
    leave_form = leave_form or LeaveForm(formdata=None, data={"leave_date": date.today()})
    account_form = account_form or AccountForm(formdata=None)
    return render_template("org/worker_detail.html", worker=worker, account=worker.account,
                           events=worker.events, leave_form=leave_form,
                           account_form=account_form), status


@bp.get("/workers/<employee_no>")
@role_required(ADMIN)
def worker_detail(employee_no: str):
    return _render_detail(load_worker(employee_no))


def _form_values(form: WorkerForm) -> dict:
    return {
        "name": form.name.data,
        "org_unit": load_unit(form.org_unit.data),
        "employment_type": EmploymentType(form.employment_type.data),
        "employer": (form.employer.data or "").strip() or None,
        "hire_date": form.hire_date.data,
        "post": (form.post.data or "").strip() or None,
    }


@bp.route("/workers/new", methods=["GET", "POST"])
@role_required(ADMIN)
def worker_new():
    form = NewWorkerForm()
    form.org_unit.choices = _unit_choices()
    if form.validate_on_submit():
        try:
            worker = services.create_worker(
                {"employee_no": form.employee_no.data, **_form_values(form)})
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Staff record %(no)s created.", no=worker.employee_no), "success")
            return redirect(url_for("org.worker_detail", employee_no=worker.employee_no))
    status = 422 if form.errors else 200
    return render_template("org/worker_form.html", form=form, worker=None), status


@bp.route("/workers/<employee_no>/edit", methods=["GET", "POST"])
@role_required(ADMIN)
def worker_edit(employee_no: str):
    worker = load_worker(employee_no)
    form = WorkerForm(data={
        "name": worker.name, "org_unit": worker.org_unit.code,
        "employment_type": worker.employment_type.value, "employer": worker.employer,
        "hire_date": worker.hire_date, "post": worker.post,
    })
    form.org_unit.choices = _unit_choices()
    if form.validate_on_submit():
        try:
            changed = services.update_worker(worker, _form_values(form))
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("org.worker_detail", employee_no=worker.employee_no))
    status = 422 if form.errors else 200
    return render_template("org/worker_form.html", form=form, worker=worker), status


@bp.post("/workers/<employee_no>/leave")
@role_required(ADMIN)
def worker_leave(employee_no: str):
    worker = load_worker(employee_no)
    form = LeaveForm()
    if form.validate_on_submit():
        try:
            services.mark_left(worker, form.leave_date.data, form.leave_reason.data)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s is recorded as having left; the account was disabled.",
                    name=worker.name), "success")
            return redirect(url_for("org.worker_detail", employee_no=worker.employee_no))
    return _render_detail(worker, leave_form=form, status=422)


@bp.post("/workers/<employee_no>/account")
@role_required(ADMIN)
def worker_account(employee_no: str):
    worker = load_worker(employee_no)
    form = AccountForm()
    if form.validate_on_submit():
        try:
            services.create_account_for_worker(worker, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Account %(u)s created.", u=worker.employee_no), "success")
            return redirect(url_for("org.worker_detail", employee_no=worker.employee_no))
    return _render_detail(worker, account_form=form, status=422)


# ---------------------------------------------------------------- the roster import


@bp.route("/workers/import", methods=["GET", "POST"])
@role_required(ADMIN)
def workers_import():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report, token = roster.preview_roster(
                upload.read(), upload.filename or "", scope=current_user.org_unit,
                owner_id=current_user.id)
        except DomainError as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, exc.message]
        else:
            db.session.rollback()  # a dry run: nothing to keep
            return render_template(
                "org/import_preview.html", report=report, filename=upload.filename,
                confirm=ConfirmImportForm(formdata=None, token=token) if token else None,
                form=ImportForm(formdata=None), background=roster.BACKGROUND_THRESHOLD)
    status = 422 if form.errors else 200
    return render_template("org/import.html", form=form, columns=roster.column_help()), status


@bp.post("/workers/import/confirm")
@role_required(ADMIN)
def workers_import_confirm():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash(_("This upload has expired or was already imported. Please upload the file "
                "again."), "warning")
        return redirect(url_for("org.workers_import"))
    try:
        outcome = roster.confirm_roster(form.token.data, user=current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("org.workers_import"))
    if isinstance(outcome, Job):
        db.session.commit()  # the job starts once it is committed
        return redirect(url_for("org.workers_import_job", job_id=outcome.id))
    if outcome.errors:  # the data changed since the preview
        db.session.rollback()
        return render_template("org/import_preview.html", report=outcome, filename=None,
                               confirm=None, form=ImportForm(formdata=None),
                               background=roster.BACKGROUND_THRESHOLD), 409
    db.session.commit()
    flash(_("Roster imported: %(c)d created, %(u)d updated, %(n)d unchanged.",
            c=outcome.created, u=outcome.updated, n=outcome.unchanged), "success")
    return redirect(url_for("org.workers"))


@bp.get("/workers/import/jobs/<job_id>")
@role_required(ADMIN)
def workers_import_job(job_id: str):
    job = get_job(job_id)
    if job is None or job.kind != "roster_import" or job.created_by_id != current_user.id:
        abort(404)
    return render_template("org/import_job.html", job=job,
                           job_url=url_for("jobs_api.JobStatus", job_id=job.id))


@bp.get("/workers/import/template.xlsx")
@role_required(ADMIN)
def workers_import_template():
    data = roster.roster_template_xlsx(
        units=[(u.code, u.name) for u, _depth in services.unit_tree(current_user.org_unit)])
    return send_file(io.BytesIO(data), mimetype=export.XLSX_MIME, as_attachment=True,
                     download_name="roster-template.xlsx")
