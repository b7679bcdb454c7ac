"""Pages for instructors and admins: the quizzes, grading essays, and item analysis.

Everything here counts only attempts by staff of the viewer's org subtree.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from academy.errors import DomainError
from academy.extensions import db
from academy.permissions import ADMIN, INSTRUCTOR, role_required
from academy.quizzes import attempting, serialize
from academy.quizzes import attempts as rules
from academy.quizzes.analysis import FLAG_ORDER
from academy.quizzes.blueprint import bp
from academy.quizzes.models import AttemptSlot
from academy.quizzes.rubrics import parse_rubric

FLAG_LABELS = {
    "negative_discrimination": _l("Negative discrimination: stronger trainees did worse. "
                                  "Check the key."),
    "nobody_right": _l("Nobody got it right: check the key or the wording."),
    "everybody_right": _l("Everybody got it right: too easy to tell anyone apart."),
    "low_discrimination": _l("Low discrimination: it hardly separates stronger from weaker "
                             "trainees."),
}


def _user():
    return current_user._get_current_object()


@bp.get("/")
@role_required(INSTRUCTOR, ADMIN)
def quizzes():
    return render_template("quizzes/quizzes.html", rows=attempting.quiz_overview(_user()),
                           pending=attempting.grading_queue(_user(), per_page=1)[1])


@bp.get("/grading")
@role_required(INSTRUCTOR, ADMIN)
def grading():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = attempting.grading_queue(_user(), page=page, per_page=50)
    return render_template("quizzes/grading.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // 50)))


def _staff_attempt(attempt_id: int):
    found = attempting.get_attempt(attempt_id, _user())
    if found.user_id == _user().id:
        abort(404)  # nobody grades their own attempt
    return found


@bp.get("/attempts/<int:attempt_id>/grade")
@role_required(INSTRUCTOR, ADMIN)
def grade(attempt_id: int):
    found = _staff_attempt(attempt_id)
    return _grade_page(found)


def _grade_page(found, errors: dict | None = None, status: int = 200):
    essays = []
    for slot in found.slots:
        if slot.presented.get("type") != "essay":
            continue
        spec = serialize.from_dict(slot.question)
        rubric = parse_rubric(spec.rubric or attempting.DEFAULT_ESSAY_RUBRIC)
        essays.append({"slot": slot, "rubric": rubric,
                       "manual": (slot.outcome or {}).get("manual") or {}})
    worker = found.worker_id and db.session.get(attempting.Worker, found.worker_id)
    return render_template("quizzes/grade.html", attempt=found, essays=essays, worker=worker,
                           errors=errors or {}), status


@bp.post("/attempts/<int:attempt_id>/grade/<int:question_id>")
@role_required(INSTRUCTOR, ADMIN)
def grade_essay(attempt_id: int, question_id: int):
    found = _staff_attempt(attempt_id)
    slot = db.session.query(AttemptSlot).filter_by(attempt_id=found.id,
                                                   question_id=question_id).one_or_none()
    if slot is None or found.state != rules.FINISHED:
        abort(404)
    spec = serialize.from_dict(slot.question)
    rubric = parse_rubric(spec.rubric or attempting.DEFAULT_ESSAY_RUBRIC)
    scores = {}
    problems = []
    for index, criterion in enumerate(rubric.criteria):
        raw = (request.form.get(f"c{index}") or "").strip()
        try:
            scores[criterion.name] = float(raw)
        except ValueError:
            problems.append(_("Give a score for “%(name)s”.", name=criterion.name))
    comment = (request.form.get("comment") or "").strip()[:2000]
    if not problems:
        try:
            attempting.grade_essay(slot, scores=scores, comment=comment, grader=_user())
        except DomainError as exc:
            problems.append(exc.message)
    if problems:
        db.session.rollback()
        return _grade_page(found, {question_id: problems}, 422)
    from academy.audit.services import record

    record("quiz.essay_graded", target_type="quiz_attempt", target_id=str(found.id),
           target_label=found.quiz.title, actor=_user(),
           after={"question": question_id, "fraction": slot.fraction})
    db.session.commit()
    flash(_("Grade saved."), "success")
    if found.needs_grading:
        return redirect(url_for("quizzes.grade", attempt_id=found.id))
    following, _total = attempting.grading_queue(_user(), per_page=1)
    if following:
        return redirect(url_for("quizzes.grade", attempt_id=following[0][0].id))
    return redirect(url_for("quizzes.grading"))


def _stats_args():
    from academy.org.models import OrgUnit

    unit = None
    code = (request.args.get("org_unit") or "").strip()
    if code:
        unit = db.session.query(OrgUnit).filter_by(code=code).one_or_none()
        if unit is None or not unit.path.startswith(_user().org_unit.path):
            abort(404)
    return unit


@bp.get("/<int:quiz_id>/statistics")
@role_required(INSTRUCTOR, ADMIN)
def statistics(quiz_id: int):
    quiz = attempting.get_quiz(quiz_id)
    unit = _stats_args()
    stats = attempting.quiz_statistics(quiz, _user(), org_unit=unit)
    return render_template("quizzes/statistics.html", quiz=quiz, stats=stats, unit=unit,
                           flag_labels=FLAG_LABELS, flag_order=FLAG_ORDER)


@bp.get("/<int:quiz_id>/statistics.xlsx")
@role_required(INSTRUCTOR, ADMIN)
def statistics_xlsx(quiz_id: int):
    import openpyxl
    from openpyxl.styles import Font

    quiz = attempting.get_quiz(quiz_id)
    unit = _stats_args()
    stats = attempting.quiz_statistics(quiz, _user(), org_unit=unit)
    analysis = stats.analysis
    book = openpyxl.Workbook()
    summary = book.active
    summary.title = _("Quiz")[:31]
    for label, value in [(_("Quiz"), quiz.title), (_("Attempts"), analysis.attempts),
                         (_("Mean score %"), _round(analysis.mean_percent)),
                         (_("Median score %"), _round(analysis.median_percent)),
                         (_("Standard deviation"), _round(analysis.sd_percent)),
                         (_("Cronbach's alpha"), _round(analysis.cronbach_alpha, 3))]:
        summary.append([label, value])
    sheet = book.create_sheet(_("Questions")[:31])
    sheet.append([_("Question"), _("Type"), _("Attempts"), _("Facility index"),
                  _("Standard deviation"), _("Discrimination index"), _("Flags")])
    for q in analysis.questions:
        info = stats.questions.get(q.question_id, {})
        sheet.append([info.get("name") or info.get("text"), info.get("type"), q.count,
                      _round(q.facility), _round(q.sd), _round(q.discrimination),
                      "；".join(str(FLAG_LABELS[f]) for f in q.flags)])
    options = book.create_sheet(_("Answers chosen")[:31])
    options.append([_("Question"), _("Answer"), _("Count"), "%"])
    for q in analysis.questions:
        info = stats.questions.get(q.question_id, {})
        for option in q.options:
            options.append([info.get("name") or info.get("text"),
                            option.label or option.option_id, option.count,
                            _round(option.percent)])
    for ws in (summary, sheet, options):
        for cell in ws[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"quiz-{quiz.id}-statistics.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument."
                              "spreadsheetml.sheet")


def _round(value, places: int = 1):
    return round(value, places) if value is not None else None
