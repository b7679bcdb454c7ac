"""Pages: take a quiz — its page, the attempt (autosaved by quiz.js through the API, and
complete without JavaScript: submitting posts every answer on the page), the review.

The attempt page works without JavaScript: the submit form carries every answer, and the
server saves those that differ from what autosave stored before grading, so what the
trainee sees when pressing "Submit" is what is graded.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.errors import DomainError
from academy.extensions import db
from academy.quizzes import attempting
from academy.quizzes import attempts as rules
from academy.quizzes.blueprint import bp
from academy.quizzes.models import QuizAttempt


def _user():
    return current_user._get_current_object()


@bp.app_template_global()
def quiz_practice(course_id: int, module: dict[str, Any]) -> list[dict[str, Any]]:
    """The quizzes a published module lists, with the signed-in user's grade, for links."""
    quizzes = attempting.module_quizzes(course_id, module)
    if not quizzes or not current_user.is_authenticated:
        return []
    grades = attempting.user_grades([quiz.id for quiz in quizzes], current_user.id)
    return [{"id": quiz.id, "title": quiz.title, "grade": grades.get(quiz.id)}
            for quiz in quizzes]


@bp.get("/<int:quiz_id>")
@login_required
def quiz(quiz_id: int):
    found = attempting.get_quiz(quiz_id)
    status = attempting.quiz_status(found, _user())
    db.session.commit()
    return render_template("quizzes/quiz.html", quiz=found, status=status,
                           settings=status.settings)


@bp.post("/<int:quiz_id>/start")
@login_required
def start(quiz_id: int):
    found = attempting.get_quiz(quiz_id)
    try:
        attempt, _created = attempting.start_attempt(found, _user())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("quizzes.quiz", quiz_id=quiz_id))
    db.session.commit()
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    found = attempting.get_attempt(attempt_id, _user(), own=True)
    attempting.settle(found)
    db.session.commit()
    if found.state not in rules.OPEN_STATES:
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    payload = attempting.attempt_payload(found, _user())
    return render_template("quizzes/attempt.html", attempt=found, data=payload,
                           settings=attempting.settings_of(found.quiz))


def form_response(question: dict[str, Any], form) -> tuple[bool, Any]:
    """(present, response) of one question as the attempt form sent it."""
    key = f"q-{question['id']}"
    kind = question["type"]
    if kind == "multiple":
        if f"{key}-shown" not in form:
            return False, None
        values = form.getlist(key)
        return True, values or None
    if kind == "matching":
        if f"{key}-shown" not in form:
            return False, None
        chosen = {p["id"]: form.get(f"{key}-{p['id']}") for p in question["prompts"]}
        chosen = {pid: value for pid, value in chosen.items() if value}
        return True, chosen or None
    if kind == "ordering":
        if f"{key}-shown" not in form:
            return False, None
        ranks = {}
        for step in question["steps"]:
            value = form.get(f"{key}-{step['id']}", "")
            if not value.isdigit():
                return True, None
            ranks[step["id"]] = int(value)
        if len(set(ranks.values())) != len(ranks):
            return True, None
        return True, sorted(ranks, key=ranks.get)
    if f"{key}-shown" not in form:
        return False, None
    value = form.get(key)
    if kind in ("shortanswer", "numerical", "essay"):
        return True, value if value and value.strip() else None
    return True, value or None


def save_form_answers(found: QuizAttempt, form) -> list[str]:
    """Save the answers the form carries that differ from what is stored; the problems."""
    problems = []
    payload = attempting.attempt_payload(found, _user())
    for question in payload["questions"]:
        present, response = form_response(question, form)
        if not present:
            continue
        try:
            with db.session.begin_nested():
                attempting.save_form_response(found, question["id"], response)
        except DomainError as exc:
            problems.append(_("Question %(n)d: %(error)s", n=question["position"],
                              error=exc.message))
    return problems


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    found = attempting.get_attempt(attempt_id, _user(), own=True)
    attempting.settle(found)
    if found.state in rules.OPEN_STATES:
        for problem in save_form_answers(found, request.form):
            flash(problem, "warning")
    attempting.submit(found)
    db.session.commit()
    return redirect(url_for("quizzes.review", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    user = _user()
    found = attempting.get_attempt(attempt_id, user)
    attempting.settle(found)
    db.session.commit()
    if found.state in rules.OPEN_STATES and found.user_id == user.id:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    data = attempting.attempt_payload(found, user)
    return render_template("quizzes/review.html", attempt=found, data=data,
                           settings=attempting.settings_of(found.quiz),
                           own=found.user_id == user.id)
