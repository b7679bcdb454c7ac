"""Instructor pages: the quizzes, grading essays with the rubric, and item analysis."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import event

from academy.extensions import db
from academy.quizzes import attempting, serialize
from academy.quizzes.models import AttemptSlot, QuizAttempt
from academy.quizzes.types import get_type
from tests.conftest import PASSWORD
from tests.quiz_packages import QUIZ, import_quiz_course

WITH_ESSAY = QUIZ.replace("count: 4", "count: 7")
NO_ESSAY = QUIZ.replace("count: 4", "count: 6")


def take(quiz, user, *, correct: bool, essay: str | None = None):
    attempt, _ = attempting.start_attempt(quiz, user)
    for slot in attempt.slots:
        spec = serialize.from_dict(slot.question)
        if spec.type == "essay":
            response = essay
        else:
            response = get_type(spec.type).right_response(spec, slot.presented) \
                if correct else None
        attempting.save_response(attempt, slot.question_id, response, 1)
    attempting.submit(attempt)
    db.session.commit()
    return attempt


@pytest.fixture
def people(orgs, make_worker, make_user):
    trainees = [make_user(worker=make_worker(orgs["V1"]), unit=orgs["V1"]) for _ in range(3)]
    return {"trainees": trainees,
            "outsider": make_user(worker=make_worker(orgs["V2"]), unit=orgs["V2"]),
            "instructor": make_user(roles=("instructor",), unit=orgs["S1"]),
            "other_admin": make_user(roles=("admin",), unit=orgs["S2"])}


def sign_in(client, user):
    client.post("/logout")
    assert client.post("/login", data={"username": user.username,
                                       "password": PASSWORD}).status_code == 302


def test_essay_grading_with_the_rubric(client, app, people):
    quiz = import_quiz_course(WITH_ESSAY, essay=True)
    attempt = take(quiz, people["trainees"][0], correct=True, essay="先核验身份证，再一次性告知。")
    assert attempt.needs_grading and attempt.passed is None
    sign_in(client, people["instructor"])
    queue = client.get("/quizzes/grading").get_data(as_text=True)
    assert f"/quizzes/attempts/{attempt.id}/grade" in queue
    page = client.get(f"/quizzes/attempts/{attempt.id}/grade").get_data(as_text=True)
    assert "先核验身份证" in page and "内容准确" in page
    essay = next(s for s in attempt.slots if s.presented["type"] == "essay")
    url = f"/quizzes/attempts/{attempt.id}/grade/{essay.question_id}"
    bad = client.post(url, data={"c0": "9", "c1": "3", "c2": "3"})
    assert bad.status_code == 422
    db.session.refresh(attempt)
    assert attempt.needs_grading
    done = client.post(url, data={"c0": "4", "c1": "3", "c2": "1.5", "comment": "要点齐全"})
    assert done.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    essay = db.session.get(AttemptSlot, essay.id)
    assert not attempt.needs_grading and essay.fraction == 0.85
    assert attempt.score == 6.85 and attempt.passed is True
    assert "要点齐全" in client.get(f"/quizzes/attempts/{attempt.id}/review").get_data(
        as_text=True)
    assert "grading-empty" in client.get("/quizzes/grading").get_data(as_text=True)


def test_grading_is_scoped_to_the_subtree(client, app, people):
    quiz = import_quiz_course(WITH_ESSAY, essay=True)
    attempt = take(quiz, people["trainees"][0], correct=True, essay="作答")
    sign_in(client, people["other_admin"])
    assert f"/quizzes/attempts/{attempt.id}/grade" not in client.get(
        "/quizzes/grading").get_data(as_text=True)
    assert client.get(f"/quizzes/attempts/{attempt.id}/grade").status_code == 404
    essay = next(s for s in attempt.slots if s.presented["type"] == "essay")
    refused = client.post(f"/quizzes/attempts/{attempt.id}/grade/{essay.question_id}",
                          data={"c0": "4", "c1": "3", "c2": "3"})
    assert refused.status_code == 404
    db.session.refresh(essay)
    assert essay.fraction is None


def test_statistics_flag_broken_questions_and_export(client, app, people):
    quiz = import_quiz_course(NO_ESSAY)
    for user, correct in zip(people["trainees"], (True, True, False), strict=True):
        take(quiz, user, correct=correct)
    take(quiz, people["outsider"], correct=False)
    sign_in(client, people["instructor"])
    html = client.get(f"/quizzes/{quiz.id}/statistics").get_data(as_text=True)
    assert 'data-testid="stats-summary"' in html and 'data-testid="stats-histogram"' in html
    # Three attempts in S1's subtree (the V2 one is not counted): 2 right, 1 wrong.
    assert '<div class="fs-4">3</div>' in html
    assert "66.7%" in html
    export = client.get(f"/quizzes/{quiz.id}/statistics.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    questions = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(questions) == 1 + 6
    assert {row[3] for row in questions[1:]} == {66.7}


def test_everybody_right_is_flagged(client, app, people):
    quiz = import_quiz_course(NO_ESSAY)
    for user in people["trainees"]:
        take(quiz, user, correct=True)
    sign_in(client, people["instructor"])
    html = client.get(f"/quizzes/{quiz.id}/statistics").get_data(as_text=True)
    assert html.count('data-testid="stats-flag"') == 6


def test_other_subtree_sees_no_statistics(client, app, people):
    quiz = import_quiz_course(NO_ESSAY)
    take(quiz, people["trainees"][0], correct=True)
    sign_in(client, people["other_admin"])
    assert 'data-testid="stats-empty"' in client.get(
        f"/quizzes/{quiz.id}/statistics").get_data(as_text=True)
    overview = client.get("/quizzes/").get_data(as_text=True)
    assert "参保登记小测" in overview


def test_statistics_query_count_is_constant(client, app, people, make_user, make_worker,
                                            orgs):
    quiz = import_quiz_course(NO_ESSAY)
    sign_in(client, people["instructor"])

    def queries() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/quizzes/{quiz.id}/statistics").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    take(quiz, people["trainees"][0], correct=True)
    few = queries()
    for _ in range(8):
        take(quiz, make_user(worker=make_worker(orgs["V1"]), unit=orgs["V1"]), correct=False)
    assert queries() == few
