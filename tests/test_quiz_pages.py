"""The quiz pages: quiz, attempt (without JavaScript: the submit form carries the answers),
review, and the link from the module's lessons."""

from __future__ import annotations

import re

import pytest

from academy.extensions import db
from academy.quizzes import serialize
from academy.quizzes.models import QuizAttempt
from academy.quizzes.types import get_type
from tests.quiz_packages import QUIZ, import_quiz_course

ALL_QUESTIONS = QUIZ.replace("count: 4", "count: 6")  # every question but the essay
WITH_ESSAY = QUIZ.replace("count: 4", "count: 7")


@pytest.fixture
def trainee(login_as, orgs, make_worker):
    return login_as(unit=orgs["V1"], worker=make_worker(orgs["V1"]))


def form_for(attempt: QuizAttempt) -> dict:
    """The right answer to every question, as the attempt page's form sends it."""
    data: dict = {}
    for slot in attempt.slots:
        spec = serialize.from_dict(slot.question)
        right = get_type(spec.type).right_response(spec, slot.presented)
        key = f"q-{slot.question_id}"
        data[f"{key}-shown"] = "1"
        kind = slot.presented["type"]
        if kind == "matching":
            for prompt, choice in right.items():
                data[f"{key}-{prompt}"] = choice
        elif kind == "ordering":
            for rank, step in enumerate(right, start=1):
                data[f"{key}-{step}"] = str(rank)
        elif kind == "multiple":
            data[key] = right
        elif kind == "truefalse":
            data[key] = "true" if right else "false"
        elif kind == "essay":
            data[key] = "先核验身份证，再一次性告知。"
        else:
            data[key] = right
    return data


def test_take_a_quiz_without_javascript(client, app, trainee):
    quiz = import_quiz_course(WITH_ESSAY, essay=True)
    page = client.get(f"/quizzes/{quiz.id}")
    assert page.status_code == 200 and "参保登记小测" in page.get_data(as_text=True)
    started = client.post(f"/quizzes/{quiz.id}/start")
    assert started.status_code == 302
    attempt_url = started.headers["Location"]
    html = client.get(attempt_url).get_data(as_text=True)
    attempt = db.session.query(QuizAttempt).one()
    for slot in attempt.slots:
        assert f'data-qid="{slot.question_id}"' in html
    for kind in ("single", "multiple", "truefalse", "shortanswer", "numerical", "matching",
                 "essay"):
        assert f'data-type="{kind}"' in html
    assert 'id="quiz-timer"' in html
    done = client.post(f"/quizzes/attempts/{attempt.id}/submit", data=form_for(attempt))
    assert done.status_code == 302 and done.headers["Location"].endswith("/review")
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.needs_grading
    assert attempt.score == 6.0 and attempt.max_score == 7.0
    review = client.get(f"/quizzes/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "一次讲清，不让群众多跑。" in review  # general feedback shown
    # Once finished, the attempt page leads to the review.
    assert client.get(attempt_url).headers["Location"].endswith("/review")


def test_submit_saves_what_the_page_showed_over_autosave(client, app, trainee):
    quiz = import_quiz_course(ALL_QUESTIONS)
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.query(QuizAttempt).one()
    short = next(s for s in attempt.slots if s.presented["type"] == "shortanswer")
    saved = client.put(f"/api/v1/attempts/{attempt.id}/responses/{short.question_id}",
                       json={"response": "错的", "sequence": 3})
    assert saved.status_code == 200
    data = form_for(attempt)
    client.post(f"/quizzes/attempts/{attempt.id}/submit", data=data)
    db.session.refresh(short)
    assert short.response == "社会保障卡" and short.sequence == 4 and short.fraction == 1.0


def test_a_bad_form_answer_is_reported_and_the_rest_graded(client, app, trainee):
    quiz = import_quiz_course(ALL_QUESTIONS)
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.query(QuizAttempt).one()
    data = form_for(attempt)
    single = next(s for s in attempt.slots if s.presented["type"] == "single")
    data[f"q-{single.question_id}"] = "not-an-option"
    page = client.post(f"/quizzes/attempts/{attempt.id}/submit", data=data,
                       follow_redirects=True)
    assert page.status_code == 200
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.score == 5.0
    assert "unknown option" in page.get_data(as_text=True)


def test_others_cannot_open_an_attempt(client, app, trainee, make_user, orgs, make_worker,
                                       auth):
    quiz = import_quiz_course()
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.query(QuizAttempt).one()
    other = make_user(unit=orgs["V1"], worker=make_worker(orgs["V1"]))
    auth.logout()
    auth.login(other.username)
    assert client.get(f"/quizzes/attempts/{attempt.id}").status_code == 404
    assert client.get(f"/quizzes/attempts/{attempt.id}/review").status_code == 404
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 404
    assert db.session.get(QuizAttempt, attempt.id).state == "in_progress"


def test_the_lesson_page_links_the_module_quiz(client, app, trainee):
    quiz = import_quiz_course()
    html = client.get("/learning/social-security/pension/what-it-is").get_data(as_text=True)
    assert re.search(rf'href="/quizzes/{quiz.id}"[^>]*>[^<]*参保登记小测', html) or \
        f'/quizzes/{quiz.id}' in html


def test_chinese_labels(client, app, trainee, chinese):
    quiz = import_quiz_course()
    html = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "及格线" in html or "合格" in html


def test_a_long_attempt_keeps_a_valid_csrf_token(client, app, trainee, monkeypatch):
    """Autosave five hours after the page was loaded is still accepted (and a forged
    request without the token is not)."""
    import time

    quiz = import_quiz_course(ALL_QUESTIONS.replace("time_limit: 20", "time_limit: 600"))
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.query(QuizAttempt).one()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        html = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        later = time.time() + 5 * 3600
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
        url = f"/api/v1/attempts/{attempt.id}/responses/{attempt.slots[0].question_id}"
        assert client.put(url, json={"response": None, "sequence": 1}).status_code == 400
        saved = client.put(url, json={"response": None, "sequence": 1},
                           headers={"X-CSRFToken": token})
        assert saved.status_code == 200, saved.get_json()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
