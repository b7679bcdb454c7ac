"""Pages: play a scenario as a chat (one POST form per step, works without JS), and the
report of a finished run."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from academy.errors import DomainError
from academy.extensions import db
from academy.scenarios import services
from academy.scenarios.blueprint import bp

#: Dimension and step names as shown (the engine's keys stay English).
DIMENSION_LABELS = {
    "greeting": _l("Smile and greeting"),
    "welcome": _l("Welcome"),
    "explanation": _l("Explaining the service"),
    "closing": _l("Closing words"),
    "notification": _l("Telling everything at once"),
    "patience": _l("Patience and composure"),
    "handover": _l("First-contact responsibility"),
}
OUTCOME_LABELS = {
    "success": _l("Success"),
    "partial": _l("Partly done"),
    "failure": _l("Failed"),
    "timeout": _l("Ran out of steps"),
}
DEDUCTION_LABELS = {"missing": _l("step missing"), "out_of_order": _l("step out of order")}


def _user():
    return current_user._get_current_object()


@bp.app_template_global()
def scenario_practice(course_id: int, module: dict[str, Any]) -> list[tuple[int, str]]:
    """(id, title) of the scenarios a published module lists, for "Practice" links."""
    return services.module_scenarios(course_id, module)


@bp.get("/<int:scenario_id>/play")
@login_required
def play(scenario_id: int):
    definition = services.get_definition(scenario_id)
    run = services.latest_unfinished_run(definition, _user())
    view = services.run_view(run) if run is not None else None
    return render_template("scenarios/play.html", definition=definition, view=view,
                           scenario=services.scenario_of(definition),
                           last=services.latest_finished_run(definition, _user()))


@bp.post("/<int:scenario_id>/play")
@login_required
def start(scenario_id: int):
    definition = services.get_definition(scenario_id)
    services.resume_or_start(definition, _user())
    db.session.commit()
    return redirect(url_for("scenarios.play", scenario_id=definition.id, _anchor="now"))


@bp.post("/runs/<int:run_id>/choose")
@login_required
def choose(run_id: int):
    run = services.get_run(run_id, _user())
    try:
        services.choose(run, request.form.get("choice", "")[:64])
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        if run.finished_at is not None:
            return redirect(url_for("scenarios.report", run_id=run.id))
        return redirect(url_for("scenarios.play", scenario_id=run.scenario_id, _anchor="now"))
    db.session.commit()
    if run.finished_at is not None:
        return redirect(url_for("scenarios.report", run_id=run.id))
    return redirect(url_for("scenarios.play", scenario_id=run.scenario_id, _anchor="now"))


@bp.get("/runs/<int:run_id>/report")
@login_required
def report(run_id: int):
    run = services.get_run(run_id, _user())
    if run.finished_at is None:
        return redirect(url_for("scenarios.play", scenario_id=run.scenario_id, _anchor="now"))
    view = services.run_view(run)
    return render_template("scenarios/report.html", view=view, report=view.report,
                           bars=_bars(view.report), dimension_labels=DIMENSION_LABELS,
                           outcome_labels=OUTCOME_LABELS, deduction_labels=DEDUCTION_LABELS)


def _bars(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One horizontal bar per dimension: label, score (0–100) and a colour by band."""
    bars = []
    for key, value in (report.get("dimensions") or {}).items():
        tone = "good" if value >= 80 else "fair" if value >= 50 else "poor"
        bars.append({"key": key, "label": DIMENSION_LABELS.get(key, key), "value": value,
                     "tone": tone})
    return bars
