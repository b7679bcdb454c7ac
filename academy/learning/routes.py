"""Pages: My learning, the lesson reader, notifications, path administration, reports."""

from __future__ import annotations

import io
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from academy.catalog.models import CourseAsset
from academy.catalog.rendering import render_markdown
from academy.errors import DomainError, Forbidden
from academy.extensions import db
from academy.forms import attach_errors
from academy.learning import notifications, reports, services
from academy.learning.blueprint import bp
from academy.learning.forms import AssignForm, RuleForm
from academy.learning.models import AssignmentRule, LearningPath
from academy.org import services as org_services
from academy.org.models import OrgUnit
from academy.permissions import ADMIN, INSTRUCTOR, in_scope, role_required

PER_PAGE = 50


def _worker():
    """The signed-in user's staff record (None for accounts without one)."""
    return current_user.worker if current_user.worker_id else None


# ---------------------------------------------------------------- my learning


@bp.get("/learning")
@login_required
def home():
    worker = _worker()
    views = services.worker_assignments(worker) if worker is not None else []
    target = services.continue_target(views)
    return render_template("learning/home.html", worker=worker, views=views, target=target)


@bp.get("/learning/paths/<code>")
@login_required
def path(code: str):
    worker = _worker()
    found = services.get_path(code) if worker is not None else None
    views = services.worker_assignments(worker, path_ids=[found.id]) if found else []
    if not views:
        abort(404)
    view = views[0]
    return render_template("learning/path.html", view=view,
                           target=view.resume_at if not view.completed else None)


def _lesson(course_slug: str, module_slug: str, lesson_slug: str):
    worker = _worker()
    path_obj, sequence = (services.path_sequence(worker, request.args.get("path"))
                          if worker is not None else (None, None))
    page = services.lesson_page(course_slug, module_slug, lesson_slug, sequence)
    return worker, path_obj, page


@bp.get("/learning/<course_slug>/<module_slug>/<lesson_slug>")
@login_required
def lesson(course_slug: str, module_slug: str, lesson_slug: str):
    worker, path_obj, page = _lesson(course_slug, module_slug, lesson_slug)
    if worker is not None:
        services.record_view(worker, page)
        db.session.commit()

    def image_url(src: str) -> str | None:
        name = src.rsplit("images/", 1)[-1] if "images/" in src else None
        if not name or "/" in name:
            return None
        return url_for("learning.asset", course_slug=page.course.slug, name=name)

    # render_markdown sanitises (nh3): the result is safe to insert as HTML.
    body = Markup(render_markdown(page.lesson.get("body_md") or "", image_url=image_url))  # noqa: S704
    return render_template("learning/lesson.html", page=page, body=body, worker=worker,
                           path=path_obj)


@bp.post("/learning/<course_slug>/<module_slug>/<lesson_slug>/done")
@login_required
def lesson_done(course_slug: str, module_slug: str, lesson_slug: str):
    worker, path_obj, page = _lesson(course_slug, module_slug, lesson_slug)
    if worker is None:
        raise Forbidden(_("Only staff with a learning record can mark lessons as done."))
    finished = services.complete_lesson(worker, page)
    db.session.commit()
    for assignment in finished:
        flash(_("Well done: you have completed %(path)s.", path=assignment.path.title),
              "success")
    args = {"path": path_obj.code} if path_obj is not None else {}
    if page.next is not None:
        return redirect(url_for("learning.lesson", course_slug=page.next.course_slug,
                                module_slug=page.next.module_slug,
                                lesson_slug=page.next.lesson_slug, **args))
    if path_obj is not None:
        return redirect(url_for("learning.path", code=path_obj.code))
    return redirect(url_for("learning.home"))


@bp.get("/learning/assets/<course_slug>/images/<name>")
@login_required
def asset(course_slug: str, name: str):
    course = services.get_course(course_slug)
    found = db.session.scalar(select(CourseAsset).where(
        CourseAsset.course_id == course.id, CourseAsset.name == name)) if course else None
    if found is None:
        abort(404)
    response = send_file(io.BytesIO(found.data), mimetype=found.mime, max_age=3600,
                         etag=found.sha256, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


# ---------------------------------------------------------------- notifications


@bp.get("/learning/notifications")
@login_required
def notifications_page():
    page = db.paginate(notifications.notifications_for(current_user.id),
                       page=max(1, request.args.get("page", 1, type=int) or 1),
                       per_page=PER_PAGE, error_out=False)
    return render_template("learning/notifications.html", page=page,
                           text=notifications.message_text)


@bp.post("/learning/notifications/read")
@login_required
def notifications_read():
    notification_id = request.form.get("id", type=int)
    found = notifications.mark_read(current_user.id, notification_id)
    db.session.commit()
    if found is not None and found.link and found.link.startswith("/"):
        return redirect(found.link)
    return redirect(url_for("learning.notifications_page"))


@bp.app_context_processor
def _bell():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return notifications.unread_count(current_user.id)

    return {"unread_notifications": unread_notifications}


# ---------------------------------------------------------------- path administration


def _load_path(code: str) -> LearningPath:
    found = services.get_path(code)
    if found is None:
        abort(404)
    return found


def _load_rule(rule_id: int) -> AssignmentRule:
    rule = db.session.get(AssignmentRule, rule_id)
    if rule is None:
        abort(404)
    if not services.can_manage_rule(current_user, rule):
        abort(403)
    return rule


def _unit_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [("", blank)] if blank else []
    return choices + [(u.code, "\u3000" * depth + f"{u.name} ({u.code})")
                      for u, depth in org_services.unit_tree(current_user.org_unit)]


def _rule_form(rule: AssignmentRule | None = None) -> RuleForm:
    data = None
    if rule is not None:
        criteria = rule.criteria or {}
        data = {"name": rule.name, "due_from": rule.due_from,
                "employment_type": criteria.get("employment_type") or "",
                "hired_within_days": criteria.get("hired_within_days"),
                "org_level": criteria.get("org_level") or "",
                "org_unit": criteria.get("org_unit") or "", "post": criteria.get("post") or ""}
    form = RuleForm(prefix="rule", data=data)
    top = current_user.org_unit.parent_id is None
    form.org_unit.choices = _unit_choices(_("All staff") if top else None)
    return form


def _criteria(form: RuleForm) -> dict:
    return services.clean_criteria({
        "employment_type": form.employment_type.data, "org_level": form.org_level.data,
        "hired_within_days": form.hired_within_days.data, "org_unit": form.org_unit.data,
        "post": form.post.data}, current_user.org_unit)


def _assign_form() -> AssignForm:
    form = AssignForm(prefix="assign")
    form.org_unit.choices = _unit_choices()
    return form


def _criteria_labels() -> dict[str, str]:
    return {"employment_type": _("Employment type"), "hired_within_days": _("Hired within (days)"),
            "org_level": _("Org level"), "org_unit": _("Org unit"), "post": _("Post"),
            "status": _("Status")}


@bp.app_template_filter("criterion_value")
def _criterion_value(value, key: str) -> str:
    """A rule criterion's value as people read it (contract → 劳务派遣合同人员, …)."""
    from academy.org.services import level_label

    names = {
        "employment_type": {"civil_servant": _("Civil servant"),
                            "public_institution": _("Public institution staff"),
                            "contract": _("Contract (labour dispatch)")},
        "status": {"active": _("Active"), "left": _("Left")},
        "org_level": {level: level_label(level)
                      for level in ("district", "subdistrict", "village")},
    }.get(key, {})
    values = value if isinstance(value, list | tuple) else [value]
    return " / ".join(str(names.get(str(v), v)) for v in values)


def _render_path_admin(found: LearningPath, *, rule_form=None, assign_form=None,
                       status: int = 200):
    outlines = services.path_outlines([found])[found.id]
    visible = [r for r in found.rules if services.can_manage_rule(current_user, r)]
    return render_template(
        "learning/admin_path.html", path=found, outlines=outlines, rules=visible,
        rule_form=rule_form or _rule_form(), assign_form=assign_form or _assign_form(),
        criteria_labels=_criteria_labels()), status


@bp.get("/admin/learning/paths")
@role_required(ADMIN)
def admin_paths():
    paths = services.list_paths()
    outlines = services.path_outlines(paths)
    rules = {p.id: [r for r in p.rules if services.can_manage_rule(current_user, r)]
             for p in paths}
    return render_template("learning/admin_paths.html", paths=paths, outlines=outlines,
                           rules=rules, criteria_labels=_criteria_labels())


@bp.get("/admin/learning/paths/<code>")
@role_required(ADMIN)
def admin_path(code: str):
    return _render_path_admin(_load_path(code))


@bp.post("/admin/learning/paths/<code>/rules")
@role_required(ADMIN)
def rule_create(code: str):
    found = _load_path(code)
    form = _rule_form()
    if form.validate_on_submit():
        try:
            rule, created = services.create_rule(
                found, name=form.name.data, criteria=_criteria(form),
                due_from=form.due_from.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Rule %(name)s added: %(n)d new assignments.", name=rule.name, n=created),
                  "success")
            return redirect(url_for("learning.admin_path", code=found.code))
    return _render_path_admin(found, rule_form=form, status=422)


@bp.route("/admin/learning/rules/<int:rule_id>", methods=["GET", "POST"])
@role_required(ADMIN)
def rule_edit(rule_id: int):
    rule = _load_rule(rule_id)
    form = _rule_form(rule)
    if form.validate_on_submit():
        try:
            created = services.update_rule(rule, name=form.name.data, criteria=_criteria(form),
                                           due_from=form.due_from.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Rule saved: %(n)d new assignments.", n=created), "success")
            return redirect(url_for("learning.admin_path", code=rule.path.code))
    status = 422 if form.errors else 200
    return render_template("learning/rule_form.html", form=form, rule=rule), status


@bp.post("/admin/learning/rules/<int:rule_id>/active")
@role_required(ADMIN)
def rule_active(rule_id: int):
    rule = _load_rule(rule_id)
    active = request.form.get("active", "0" if rule.active else "1") == "1"
    created = services.set_rule_active(rule, active, actor=current_user)
    db.session.commit()
    if active:
        flash(_("Rule activated: %(n)d new assignments.", n=created), "success")
    else:
        flash(_("Rule deactivated. Existing assignments stay."), "success")
    return redirect(url_for("learning.admin_path", code=rule.path.code))


@bp.post("/admin/learning/paths/<code>/assign")
@role_required(ADMIN)
def assign(code: str):
    found = _load_path(code)
    form = _assign_form()
    if form.validate_on_submit():
        worker = unit = None
        if form.target.data == "person":
            worker = org_services.get_worker((form.employee_no.data or "").strip())
            if worker is None:
                form.employee_no.errors = [_("No staff member with this employee number.")]
        else:
            unit = org_services.get_unit_by_code(form.org_unit.data or "")
            if unit is None or not in_scope(current_user, unit):
                form.org_unit.errors = [_("Choose one of your org units.")]
        if not form.errors:
            try:
                result = services.assign_manually(found, actor=current_user, worker=worker,
                                                  unit=unit, due=form.due_date.data)
            except Forbidden:
                db.session.rollback()
                raise
            except DomainError as exc:
                db.session.rollback()
                attach_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Assigned: %(created)d new, %(updated)d due dates changed, "
                        "%(unchanged)d already assigned.", created=result.created,
                        updated=result.updated, unchanged=result.unchanged), "success")
                return redirect(url_for("learning.admin_path", code=found.code))
    return _render_path_admin(found, assign_form=form, status=422)


# ---------------------------------------------------------------- reports


def _report_scope() -> tuple[OrgUnit, dict[str, str]]:
    code = (request.args.get("org_unit") or "").strip()[:32]
    if not code:
        return current_user.org_unit, {}
    unit = org_services.get_unit_by_code(code)
    if unit is None:
        abort(404)
    if not in_scope(current_user, unit):
        abort(403)
    return unit, {"org_unit": code}


@bp.get("/learning/reports")
@role_required(ADMIN, INSTRUCTOR)
def reports_page():
    scope, args = _report_scope()
    return render_template("learning/reports.html", stats=reports.path_summary(scope),
                           scope=scope, args=args, units=_unit_choices(),
                           labels=reports.state_labels(), states=reports.STATES)


@bp.get("/learning/reports/<code>")
@role_required(ADMIN, INSTRUCTOR)
def report_path(code: str):
    found = _load_path(code)
    scope, args = _report_scope()
    state = request.args.get("state") or ""
    state = state if state in reports.STATES else ""
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    people = reports.people(found, scope, state=state or None, page=page_no, per_page=PER_PAGE)
    summary = next((s for s in reports.path_summary(scope) if s.path.id == found.id), None)
    return render_template("learning/report_path.html", path=found, scope=scope, args=args,
                           state=state, modules=reports.module_stats(found, scope),
                           people=people, summary=summary, units=_unit_choices(),
                           labels=reports.state_labels(), states=reports.STATES,
                           today=date.today())


@bp.get("/learning/reports/<code>/export.xlsx")
@role_required(ADMIN, INSTRUCTOR)
def report_export(code: str):
    found = _load_path(code)
    scope, _args = _report_scope()
    data = reports.path_xlsx(found, scope)
    return send_file(io.BytesIO(data), mimetype=reports.XLSX_MIME, as_attachment=True,
                     download_name=f"learning-{found.code}-{date.today():%Y%m%d}.xlsx")
