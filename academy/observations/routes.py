"""Pages: record an observation on a phone, the lists (with an XLSX export), one
observation with its chart, "My observations", and the admins' engagement pages."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required

from academy.errors import DomainError
from academy.extensions import db
from academy.forms import attach_errors
from academy.observations import export, services
from academy.observations.blueprint import bp
from academy.observations.forms import (
    DATETIME_FORMAT,
    EngagementForm,
    ObservationForm,
    kind_labels,
    note_field,
    observation_form,
    score_field,
)
from academy.observations.rubrics import KINDS
from academy.org import services as org_services
from academy.permissions import ADMIN, ASSESSOR, INSTRUCTOR, can_manage_unit, role_required
from academy.textutil import storable
from academy.timeutil import utcnow

OBSERVERS = (ADMIN, INSTRUCTOR, ASSESSOR)
PER_PAGE = 50


def _user():
    return current_user._get_current_object()


def _scope() -> services.Scope:
    """The signed-in user's observation scope, worked out once per request."""
    if "observation_scope" not in g:
        g.observation_scope = services.scope_for(_user())
    return g.observation_scope


def _text_arg(name: str, max_len: int) -> str:
    value = (request.args.get(name) or "").strip()[:max_len]
    return value if storable(value) else ""


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _page() -> int:
    return max(1, min(request.args.get("page", 1, type=int) or 1, 10**6))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"kind_label": lambda kind: kind_labels().get(kind, kind)}


# ---------------------------------------------------------------- the list


def _filters(scope: services.Scope) -> tuple[services.ObservationFilters, dict[str, str]]:
    """The list filters from the query string, and their values to keep in links."""
    code = _text_arg("org_unit", 32)
    kind = request.args.get("kind") or ""
    kind = kind if kind in KINDS else ""
    since, until = _date_arg("since"), _date_arg("until")
    filters = services.ObservationFilters(
        org_unit=services.unit_in_scope(scope, code) if code else None,
        q=_text_arg("q", 64) or None, rubric=_text_arg("rubric", 64) or None,
        kind=kind or None, since=since, until=until)
    kept = {"org_unit": code, "q": filters.q or "", "rubric": filters.rubric or "",
            "kind": kind, "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else ""}
    return filters, {key: value for key, value in kept.items() if value}


def _unit_choices(scope: services.Scope) -> list[tuple[str, str]]:
    return [(unit.code, "\u3000" * depth + f"{unit.name} ({unit.code})")
            for unit, depth in services.scope_units(scope)]


@bp.get("/observations")
@role_required(*OBSERVERS)
def observations():
    scope = _scope()
    filters, args = _filters(scope)
    page = db.paginate(services.observation_query(scope, filters), page=_page(),
                       per_page=PER_PAGE, error_out=False)
    return render_template(
        "observations/list.html", page=page, args=args, scope=scope,
        units=_unit_choices(scope), rubrics=services.list_rubrics(), kinds=kind_labels(),
        engagements=services.active_engagements(_user()))


@bp.get("/observations/export.xlsx")
@role_required(*OBSERVERS)
def observations_export():
    scope = _scope()
    filters, _args = _filters(scope)
    data = export.observations_xlsx(services.observation_query(scope, filters))
    return send_file(io.BytesIO(data), mimetype=export.XLSX_MIME, as_attachment=True,
                     download_name=f"observations-{date.today():%Y%m%d}.xlsx")


@bp.get("/observations/mine")
@login_required
def mine():
    page = db.paginate(services.own_query(current_user.worker_id), page=_page(),
                       per_page=PER_PAGE, error_out=False)
    return render_template("observations/mine.html", page=page)


# ---------------------------------------------------------------- recording


@bp.get("/observations/new")
@role_required(*OBSERVERS)
def start():
    scope = _scope()
    rubrics = services.list_rubrics()
    q = _text_arg("q", 64)
    rubric = _text_arg("rubric", 64)
    if rubric not in {r.code for r in rubrics}:
        rubric = rubrics[0].code if rubrics else ""
    kind = request.args.get("kind") or ""
    if kind not in KINDS:
        kind = next((r.kind for r in rubrics if r.code == rubric and r.kind), KINDS[1])
    return render_template("observations/start.html", scope=scope, q=q, rubrics=rubrics,
                           rubric=rubric, kind=kind, kinds=kind_labels(),
                           workers=services.search_workers(scope, q),
                           engagements=services.active_engagements(_user()))


def _local_now() -> datetime:
    return to_user_timezone(utcnow()).replace(tzinfo=None, second=0, microsecond=0)


def _attach(form: ObservationForm, exc: DomainError) -> None:
    """Put the service's field errors (``scores.<code>`` ...) on the form's fields; the
    rest (such as "score at least one criterion") on the form itself."""
    for key, messages in exc.fields.items():
        if key.startswith("scores."):
            key = score_field(key.removeprefix("scores."))
        elif key.startswith("criterion_notes."):
            key = note_field(key.removeprefix("criterion_notes."))
        target = form._fields.get(key)
        if target is not None:
            target.errors = list(target.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
    if not exc.fields:
        form.form_errors.append(exc.message)


@bp.route("/observations/new/<employee_no>", methods=["GET", "POST"])
@role_required(*OBSERVERS)
def record(employee_no: str):
    scope = _scope()
    worker = services.observable_worker(scope, employee_no)
    rubrics = services.list_rubrics()
    code = (request.form.get("rubric") if request.method == "POST"
            else request.args.get("rubric")) or ""
    rubric = services.get_rubric(code[:64]) if code else None
    if rubric is None and not code and len(rubrics) == 1:
        rubric = rubrics[0]
    if rubric is None:
        if code:
            flash(_("There is no rubric %(code)s: choose one.", code=code[:64]), "warning")
        return render_template("observations/choose_rubric.html", worker=worker,
                               rubrics=rubrics), 422 if request.method == "POST" else 200
    form = observation_form(rubric.criteria)
    if request.method == "GET":
        kind = request.args.get("kind") or ""
        form.kind.data = kind if kind in KINDS else (rubric.kind or KINDS[1])
        form.observed_at.data = _local_now()
        form.rubric.data = rubric.code
    elif form.validate_on_submit() and _observed_at_ok(form):
        data = services.ObservationInput(
            kind=form.kind.data, observed_at=_from_local(form.observed_at.data),
            scores=form.scores(), criterion_notes=form.criterion_notes(),
            notes=form.notes.data)
        try:
            observation = services.record_observation(_user(), scope, worker, rubric, data)
        except DomainError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("Observation of %(name)s saved.", name=worker.name), "success")
            return redirect(url_for("observations.detail", observation_id=observation.id))
    status = 422 if request.method == "POST" else 200
    return render_template("observations/record.html", form=form, worker=worker,
                           rubric=rubric, rubrics=rubrics,
                           max_observed_at=_local_now().strftime(DATETIME_FORMAT),
                           role=scope.role_for(worker.org_unit)), status


def _from_local(value: datetime) -> datetime:
    """A datetime typed in the user's time zone, as aware UTC."""
    return to_utc(value).replace(tzinfo=UTC)


def _observed_at_ok(form: ObservationForm) -> bool:
    """False (with the field's error) for a time so early it cannot even be converted."""
    if form.observed_at.data.year < services.EARLIEST.year:
        form.observed_at.errors = [*form.observed_at.errors, _("That date is too long ago.")]
        return False
    return True


# ---------------------------------------------------------------- one observation


def score_bars(observation) -> list[dict[str, Any]]:
    """One bar per criterion: its label, score (None: not observed), width and tone."""
    bars = []
    for row in observation.rows():
        score = row["score"]
        tone = "none" if score is None else "good" if score >= 4 else \
            "fair" if score == 3 else "poor"
        bars.append({"code": row["code"], "label": row["name"], "score": score,
                     "width": 0 if score is None else score * 40, "tone": tone})
    return bars


@bp.get("/observations/<int:observation_id>")
@login_required
def detail(observation_id: int):
    observation = services.get_visible(_scope(), observation_id)
    return render_template("observations/detail.html", observation=observation,
                           worker=observation.worker, rows=observation.rows(),
                           bars=score_bars(observation))


# ---------------------------------------------------------------- engagements


def _engagement_form(**kwargs) -> EngagementForm:
    form = EngagementForm(**kwargs)
    form.assessor.choices = [(user.id, f"{user.display_name} ({user.username})")
                             for user in services.assessor_accounts()]
    form.org_unit.choices = [(unit.code, "\u3000" * depth + f"{unit.name} ({unit.code})")
                             for unit, depth in org_services.unit_tree(current_user.org_unit)]
    return form


def _render_engagements(form: EngagementForm, status: int = 200):
    page = db.paginate(services.engagements_query(_user()), page=_page(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("observations/engagements.html", page=page, form=form,
                           today=date.today()), status


@bp.get("/admin/engagements")
@role_required(ADMIN)
def engagements():
    today = date.today()
    form = _engagement_form(formdata=None,
                            data={"valid_from": today, "valid_to": today + timedelta(days=90)})
    return _render_engagements(form)


@bp.post("/admin/engagements")
@role_required(ADMIN)
def engagement_create():
    form = _engagement_form()
    if form.validate_on_submit():
        unit = org_services.get_unit_by_code(form.org_unit.data)
        assessor = services.get_account(form.assessor.data)
        if unit is None or assessor is None:
            abort(404)
        try:
            engagement = services.create_engagement(
                _user(), assessor=assessor, unit=unit, valid_from=form.valid_from.data,
                valid_to=form.valid_to.data, note=form.note.data)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s may now observe in %(unit)s until %(until)s.",
                    name=engagement.assessor.display_name, unit=unit.name,
                    until=engagement.valid_to.isoformat()), "success")
            return redirect(url_for("observations.engagements"))
    return _render_engagements(form, 422)


@bp.post("/admin/engagements/<int:engagement_id>/end")
@role_required(ADMIN)
def engagement_end(engagement_id: int):
    engagement = services.get_engagement(engagement_id)
    if engagement is None:
        abort(404)
    if not can_manage_unit(current_user, engagement.org_unit):
        abort(403)
    if services.end_engagement(_user(), engagement):
        db.session.commit()
        flash(_("The engagement of %(name)s for %(unit)s has ended.",
                name=engagement.assessor.display_name, unit=engagement.org_unit.name),
              "success")
    else:
        flash(_("This engagement is already over."), "info")
    return redirect(url_for("observations.engagements"))
