"""Pages: play a scenario as a chat (one POST form per step, works without JS), and the
report of a finished run; for instructors and admins, the scenarios with their graph and
editor, a play-test with the variables in view, and the statistics of their subtree."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from academy.catalog.package import dump_yaml
from academy.errors import DomainError
from academy.extensions import db
from academy.org import services as org_services
from academy.permissions import ADMIN, INSTRUCTOR, in_scope, role_required
from academy.scenarios import authoring, graph, services, stats
from academy.scenarios.blueprint import bp
from academy.scenarios.forms import (
    SCORE_FIELDS,
    DeleteForm,
    EndingForm,
    NewEndingForm,
    NewNodeForm,
    NodeForm,
    SettingsForm,
    SourceForm,
    node_data,
    outcome_choices,
    settings_data,
    step_choices,
)

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
    outdated = view is None and services.has_outdated_run(definition, _user())
    return render_template("scenarios/play.html", definition=definition, view=view,
                           scenario=services.scenario_of(definition), outdated=outdated,
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
    except services.RunOutdated:
        # The scenario was edited since the run began: the player says so and restarts.
        db.session.rollback()
        return redirect(url_for("scenarios.play", scenario_id=run.scenario_id))
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
    view = services.report_view(run)
    return render_template("scenarios/report.html", view=view, report=view.report,
                           outdated=not view.history,
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


# ================================================================ for instructors and admins
#
# Scenarios are district-wide like the courses they belong to: every instructor and admin
# may edit any of them. Statistics count only the runs of the viewer's org subtree.

authors_only = role_required(INSTRUCTOR, ADMIN)

#: The words of the drawn graph (graph.DEFAULT_LABELS), translated.
GRAPH_LABELS = {
    "graph": _l("Scenario graph"),
    "start": _l("start"),
    "unreachable": _l("unreachable"),
    "citizen": _l("Citizen"),
    "success": _l("success"),
    "partial": _l("partial"),
    "failure": _l("failure"),
    "when": _l("when"),
    "otherwise": _l("otherwise"),
    "offered": _l("offered when"),
    "chosen": _l("chosen"),
}
SECTION_LABELS = {"scenario": _l("The scenario"), "variables": _l("Variables")}


def _graph(scenario, **kwargs) -> dict[str, Any]:
    """The SVG of the scenario and a size class (how wide it must stay on a phone)."""
    width = graph.layout(scenario).width
    size = "sm" if width <= 420 else "md" if width <= 720 else "lg" if width <= 1100 else "xl"
    labels = {key: str(value) for key, value in GRAPH_LABELS.items()}
    return {"svg": graph.render_svg(scenario, labels=labels, **kwargs), "size": size}


def _targets(definition: dict[str, Any]) -> list[tuple[str, str]]:
    """Where a choice may lead: the nodes, then the endings, as select options."""
    return ([(n, f"{n}") for n in authoring.node_ids(definition)]
            + [(e, f"{e} ({_('ending')})") for e in authoring.ending_ids(definition)])


def _link_options(definition: dict[str, Any]) -> list[tuple[str, str]]:
    return [("", _("— none —"))] + [
        (choice, f"{node} › {choice}: {text[:40]}")
        for node, choice, text in authoring.linkable_choices(definition)]


def _problem_text(problem) -> str:
    from academy.catalog.services import translate

    return translate(problem)


def _edit_page(row, *, posted: tuple[str, str | None, Any] | None = None,
               problems: list[authoring.Located] | None = None, message: str | None = None,
               status: int = 200, source_problems: list[tuple[int | None, str]] | None = None,
               preview=None):
    """The editor: the graph, then a form per part; ``posted`` is a form sent back."""
    definition = row.definition
    scenario = services.scenario_of(row)
    base = row.content_hash
    kind, key, sent = posted or (None, None, None)
    targets = _targets(definition)
    steps = step_choices(DIMENSION_LABELS)
    outcomes = outcome_choices(OUTCOME_LABELS)

    def form(what: str, which: str | None, make):
        if kind == what and key == which:
            return sent
        built = make()
        built.base.data = base
        return built

    settings = form("settings", None, lambda: SettingsForm(
        formdata=None, data=settings_data(definition), prefix="settings"))
    settings.start.choices = [(n, n) for n in authoring.node_ids(definition)]
    nodes = []
    for node in definition.get("nodes") or []:
        node_form = form("node", node["id"], lambda node=node: NodeForm(
            formdata=None, data=node_data(node), prefix=f"n-{node['id']}"))
        node_form.setup(targets, steps)
        nodes.append((node, node_form))
    endings = []
    for ending in definition.get("endings") or []:
        ending_form = form("ending", ending["id"], lambda ending=ending: EndingForm(
            formdata=None, data=ending, prefix=f"e-{ending['id']}"))
        ending_form.outcome.choices = outcomes
        endings.append((ending, ending_form))
    new_node = form("new_node", None, lambda: NewNodeForm(formdata=None, prefix="new-node"))
    new_node.link_from.choices = _link_options(definition)
    new_node.choice_next.choices = targets
    new_ending = form("new_ending", None, lambda: NewEndingForm(formdata=None,
                                                                prefix="new-ending"))
    new_ending.link_from.choices = _link_options(definition)
    new_ending.outcome.choices = outcomes
    source = form("source", None, lambda: SourceForm(
        formdata=None, data={"source": dump_yaml(definition).decode("utf-8")},
        prefix="source"))
    redirects = [("", _("— nowhere (fix them yourself) —")), *targets]
    by_part: dict[str, list[authoring.Located]] = {}
    for item in problems or []:
        by_part.setdefault(item.anchor, []).append(item)
    course = services.course_of(row)
    return render_template(
        "scenarios/edit.html", row=row, scenario=scenario, course=course, base=base,
        graph=_graph(scenario), settings=settings, nodes=nodes, endings=endings,
        new_node=new_node, new_ending=new_ending, source=source, redirects=redirects,
        problems=problems or [], by_part=by_part, message=message,
        anchors={"scenario-settings", *(f"node-{n}" for n in authoring.node_ids(definition)),
                 *(f"ending-{e}" for e in authoring.ending_ids(definition))},
        source_problems=source_problems or [], preview=preview, posted_kind=kind,
        posted_key=key, dimension_labels=DIMENSION_LABELS, outcome_labels=OUTCOME_LABELS,
        section_labels=SECTION_LABELS, score_fields=SCORE_FIELDS), status


def _save(row, posted: tuple[str, str | None, Any], build, *, anchor: str, change: str,
          sent=None):
    """Validate the posted form, build the new definition, save it if it loads cleanly.

    ``posted`` is (part, id, form) as the page shows it again on failure; ``sent`` is the
    form actually sent when that is another one (a delete button's).
    """
    form = sent or posted[2]
    if not form.validate_on_submit():
        return _edit_page(row, posted=posted, message=_("Please correct the marked fields."),
                          status=422)
    try:
        definition = build()
        changed = services.save_definition(row, definition, user=_user(),
                                           base_hash=form.base.data or None, change=change)
    except services.ScenarioInvalid as exc:
        db.session.rollback()
        located = authoring.locate(exc.definition, exc.problems, _problem_text)
        return _edit_page(row, posted=posted, problems=located, message=exc.message,
                          status=422)
    except DomainError as exc:  # EditError, ScenarioChanged
        db.session.rollback()
        for name, errors in exc.fields.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, *errors]
        return _edit_page(row, posted=posted, message=exc.message, status=exc.http_status)
    db.session.commit()
    if changed:
        flash(_("Saved. The scenario was checked and trainees now play this version."),
              "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("scenarios.edit", scenario_id=row.id, _anchor=anchor))


def _node_or_404(row, node_id: str) -> None:
    if node_id not in authoring.node_ids(row.definition):
        abort(404)


def _ending_or_404(row, ending_id: str) -> None:
    if ending_id not in authoring.ending_ids(row.definition):
        abort(404)


@bp.get("/")
@authors_only
def index():
    return render_template("scenarios/index.html", rows=stats.scenario_overview(_user()))


@bp.get("/<int:scenario_id>/edit")
@authors_only
def edit(scenario_id: int):
    return _edit_page(services.get_definition(scenario_id))


@bp.post("/<int:scenario_id>/settings")
@authors_only
def edit_settings(scenario_id: int):
    row = services.get_definition(scenario_id)
    form = SettingsForm(prefix="settings")
    form.start.choices = [(n, n) for n in authoring.node_ids(row.definition)]
    return _save(row, ("settings", None, form), lambda: authoring.update_settings(
        row.definition, title=form.title.data, summary=form.summary.data,
        start=form.start.data, max_steps=form.max_steps.data,
        variables=[entry.form.edit() for entry in form.variables]),
        anchor="scenario-settings", change="settings")


@bp.post("/<int:scenario_id>/nodes/<node_id>")
@authors_only
def edit_node(scenario_id: int, node_id: str):
    row = services.get_definition(scenario_id)
    _node_or_404(row, node_id)
    form = NodeForm(prefix=f"n-{node_id}").setup(_targets(row.definition),
                                                 step_choices(DIMENSION_LABELS))
    return _save(row, ("node", node_id, form), lambda: authoring.update_node(
        row.definition, node_id, situation=form.situation.data, citizen=form.citizen.data,
        choices=form.edits()), anchor=f"node-{node_id}", change=f"node {node_id}")


@bp.post("/<int:scenario_id>/nodes")
@authors_only
def add_node(scenario_id: int):
    row = services.get_definition(scenario_id)
    form = NewNodeForm(prefix="new-node")
    form.link_from.choices = _link_options(row.definition)
    form.choice_next.choices = _targets(row.definition)
    return _save(row, ("new_node", None, form), lambda: authoring.add_node(
        row.definition, node_id=form.id.data, situation=form.situation.data,
        citizen=form.citizen.data, choice_text=form.choice_text.data,
        choice_next=form.choice_next.data, link_from=form.link_from.data or None),
        anchor=f"node-{(form.id.data or '').strip()}", change="new node")


@bp.post("/<int:scenario_id>/nodes/<node_id>/delete")
@authors_only
def delete_node(scenario_id: int, node_id: str):
    row = services.get_definition(scenario_id)
    _node_or_404(row, node_id)
    form = DeleteForm()
    node = next(n for n in row.definition["nodes"] if n.get("id") == node_id)
    shown = NodeForm(formdata=None, data=node_data(node), prefix=f"n-{node_id}").setup(
        _targets(row.definition), step_choices(DIMENSION_LABELS))
    shown.base.data = row.content_hash
    return _save(row, ("node", node_id, shown), lambda: authoring.delete_node(
        row.definition, node_id, redirect=(form.redirect.data or "").strip() or None),
        anchor="scenario-graph", change=f"node {node_id} deleted", sent=form)


@bp.post("/<int:scenario_id>/endings/<ending_id>")
@authors_only
def edit_ending(scenario_id: int, ending_id: str):
    row = services.get_definition(scenario_id)
    _ending_or_404(row, ending_id)
    form = EndingForm(prefix=f"e-{ending_id}")
    form.outcome.choices = outcome_choices(OUTCOME_LABELS)
    return _save(row, ("ending", ending_id, form), lambda: authoring.update_ending(
        row.definition, ending_id, title=form.title.data, outcome=form.outcome.data,
        text=form.text.data), anchor=f"ending-{ending_id}", change=f"ending {ending_id}")


@bp.post("/<int:scenario_id>/endings")
@authors_only
def add_ending(scenario_id: int):
    row = services.get_definition(scenario_id)
    form = NewEndingForm(prefix="new-ending")
    form.link_from.choices = _link_options(row.definition)
    form.outcome.choices = outcome_choices(OUTCOME_LABELS)
    return _save(row, ("new_ending", None, form), lambda: authoring.add_ending(
        row.definition, ending_id=form.id.data, title=form.title.data,
        outcome=form.outcome.data, text=form.text.data, link_from=form.link_from.data or None),
        anchor=f"ending-{(form.id.data or '').strip()}", change="new ending")


@bp.post("/<int:scenario_id>/endings/<ending_id>/delete")
@authors_only
def delete_ending(scenario_id: int, ending_id: str):
    row = services.get_definition(scenario_id)
    _ending_or_404(row, ending_id)
    form = DeleteForm()
    ending = next(e for e in row.definition["endings"] if e.get("id") == ending_id)
    shown = EndingForm(formdata=None, data=ending, prefix=f"e-{ending_id}")
    shown.outcome.choices = outcome_choices(OUTCOME_LABELS)
    shown.base.data = row.content_hash
    return _save(row, ("ending", ending_id, shown), lambda: authoring.delete_ending(
        row.definition, ending_id, redirect=(form.redirect.data or "").strip() or None),
        anchor="scenario-graph", change=f"ending {ending_id} deleted", sent=form)


@bp.post("/<int:scenario_id>/source")
@authors_only
def edit_source(scenario_id: int):
    row = services.get_definition(scenario_id)
    form = SourceForm(prefix="source")
    posted = ("source", None, form)
    if not form.validate_on_submit():
        return _edit_page(row, posted=posted, message=_("Please correct the marked fields."),
                          status=422)
    # Line ends made plain, but no line dropped: the problems name lines of this text.
    text = form.source.data.replace("\r\n", "\n").replace("\r", "\n")
    definition, problems = services.parse_source(text, row.source_file)
    if definition is None or services.id_problem(row, definition):
        found = ([(p.line, _problem_text(p)) for p in problems] if definition is None
                 else [(None, services.id_problem(row, definition))])
        return _edit_page(row, posted=posted, source_problems=found, status=422,
                          message=_("Nothing was saved: the file has %(n)d problem(s).",
                                    n=len(found)))
    if form.action.data != "save":
        scenario, _problems = services.check_definition(definition, row.source_file)
        return _edit_page(row, posted=posted, preview=_graph(scenario),
                          message=_("No problems found. Not saved yet: look at the preview, "
                                    "then save."))
    return _save(row, posted, lambda: definition, anchor="scenario-source", change="file")


# ---------------------------------------------------------------- play-test


MAX_TEST_PATH = 400


@bp.get("/<int:scenario_id>/test")
@authors_only
def playtest(scenario_id: int):
    row = services.get_definition(scenario_id)
    scenario = services.scenario_of(row)
    raw = (request.args.get("path") or "")[:MAX_TEST_PATH * 65]
    path = [part for part in raw.split(",") if part][:MAX_TEST_PATH]
    test = authoring.playtest(scenario, path)
    report = services.report_dict(test.report)
    return render_template("scenarios/test.html", row=row, test=test, report=report,
                           bars=_bars(report), dimension_labels=DIMENSION_LABELS,
                           outcome_labels=OUTCOME_LABELS, step_labels=DIMENSION_LABELS,
                           deduction_labels=DEDUCTION_LABELS)


# ---------------------------------------------------------------- statistics


def _stats_filters():
    """The org unit (within the viewer's subtree) and the local dates asked for."""
    code = (request.args.get("org_unit") or "").strip()[:32]
    unit = None
    if code:
        unit = org_services.get_unit_by_code(code)
        if unit is None:
            abort(404)
        if not in_scope(_user(), unit):
            abort(403)
    zone = ZoneInfo(str(get_timezone() or "UTC"))

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat((request.args.get(name) or "")[:10])
        except ValueError:
            return None

    first, last = day("from"), day("to")
    since = datetime.combine(first, time.min, zone).astimezone(UTC) if first else None
    until = (datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
             if last else None)
    args = {k: v for k, v in (("org_unit", code), ("from", first and first.isoformat()),
                              ("to", last and last.isoformat())) if v}
    return unit, since, until, args


def _statistics(scenario_id: int):
    row = services.get_definition(scenario_id)
    scenario = services.scenario_of(row)
    unit, since, until, args = _stats_filters()
    found = stats.scenario_statistics(row, scenario, _user(), unit=unit, since=since,
                                      until=until)
    return row, scenario, found, args


@bp.get("/<int:scenario_id>/statistics")
@authors_only
def statistics(scenario_id: int):
    row, scenario, found, args = _statistics(scenario_id)
    units = [(u.code, "\u3000" * depth + f"{u.name} ({u.code})")
             for u, depth in org_services.unit_tree(_user().org_unit)]
    return render_template(
        "scenarios/statistics.html", row=row, scenario=scenario, stats=found, args=args,
        units=units, graph=_graph(scenario, counts=found.counts),
        dimension_labels=DIMENSION_LABELS, outcome_labels=OUTCOME_LABELS,
        dimension_bars=[{"key": s.key, "label": DIMENSION_LABELS.get(s.key, s.key),
                         "value": round(s.value), "count": s.count,
                         "tone": _tone(s.value)} for s in found.dimensions])


def _tone(value: float) -> str:
    return "good" if value >= 80 else "fair" if value >= 50 else "poor"


@bp.get("/<int:scenario_id>/statistics.xlsx")
@authors_only
def statistics_xlsx(scenario_id: int):
    import openpyxl
    from openpyxl.styles import Font

    row, scenario, found, args = _statistics(scenario_id)
    book = openpyxl.Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    for label, value in [(_("Scenario"), row.title), (_("Org unit"), args.get("org_unit", "")),
                         (_("From"), args.get("from", "")), (_("To"), args.get("to", "")),
                         (_("Runs"), found.runs), (_("Finished runs"), found.finished),
                         (_("People"), found.people),
                         (_("Average score"), _round(found.average))]:
        summary.append([label, value])
    summary.append([])
    summary.append([_("Dimension"), _("Average score"), _("Runs")])
    for share in found.dimensions:
        summary.append([str(DIMENSION_LABELS.get(share.key, share.key)), _round(share.value),
                        share.count])
    summary.append([])
    summary.append([_("Outcome"), _("Runs"), "%"])
    for share in found.outcomes:
        summary.append([str(OUTCOME_LABELS.get(share.key, share.key)), share.count,
                        _round(share.value)])
    choices = book.create_sheet(_("Choices")[:31])
    choices.append([_("Node"), _("Choice"), _("What the clerk says or does"), _("Times chosen"),
                    "%", _("Best choice")])
    for node in found.nodes:
        for item in node.choices:
            choices.append([node.node.id, item.choice.id, item.choice.text, item.count,
                            _round(item.percent), _("yes") if item.best else ""])
    wrong = book.create_sheet(_("Wrong turns")[:31])
    wrong.append([_("Node"), _("Choice"), _("What the clerk says or does"), _("Runs"),
                  _("Share of finished runs, percent"), _("Taboo"), _("Better"), _("Feedback")])
    for turn in found.wrong_turns:
        wrong.append([turn.node, turn.choice, turn.text, turn.runs, _round(turn.percent),
                      _("yes") if turn.taboo else "", turn.better_text or "", turn.feedback])
    for sheet in (choices, wrong):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True,
                     download_name=f"scenario-{row.id}-statistics.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument."
                              "spreadsheetml.sheet")


def _round(value: float | None, places: int = 1) -> float | None:
    return round(value, places) if value is not None else None
