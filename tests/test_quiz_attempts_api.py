"""The Quizzes section of the API: start, autosave, submit, read back — and who may."""

from __future__ import annotations

import json

import pytest

from academy.extensions import db
from academy.quizzes import serialize
from academy.quizzes.models import AttemptSlot, QuizAttempt
from academy.quizzes.types import get_type
from tests.conftest import PASSWORD
from tests.quiz_packages import QUIZ, import_quiz_course

SECRET_KEYS = {"fraction", "feedback", "general_feedback", "right_answer", "correct", "review",
               "answers", "pairs"}


@pytest.fixture
def quiz(app):
    return import_quiz_course()


@pytest.fixture
def trainee(client, orgs, make_worker, make_user):
    user = make_user(worker=make_worker(orgs["V1"]), unit=orgs["V1"])
    token = client.post("/api/v1/tokens", json={"username": user.username,
                                                "password": PASSWORD}).get_json()["token"]
    user.headers = {"Authorization": f"Bearer {token}"}
    return user


def right_response(attempt_id: int, question_id: int):
    slot = db.session.query(AttemptSlot).filter_by(attempt_id=attempt_id,
                                                   question_id=question_id).one()
    spec = serialize.from_dict(slot.question)
    return get_type(spec.type).right_response(spec, slot.presented)


def keys_in(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def test_start_autosave_submit(client, quiz, trainee):
    started = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers)
    assert started.status_code == 201
    body = started.get_json()
    assert body["deadline"] and len(body["questions"]) == 4
    assert {"id", "type", "text"} <= set(body["questions"][0])
    # Nothing in what the trainee is shown gives the answer away.
    assert not keys_in(body["questions"]) & SECRET_KEYS
    resumed = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers)
    assert resumed.status_code == 200 and resumed.get_json()["id"] == body["id"]

    for question in body["questions"]:
        saved = client.put(f"/api/v1/attempts/{body['id']}/responses/{question['id']}",
                           headers=trainee.headers,
                           json={"response": right_response(body["id"], question["id"]),
                                 "sequence": 1})
        assert saved.status_code == 200, saved.get_json()
        assert saved.get_json()["sequence"] == 1

    first = client.post(f"/api/v1/attempts/{body['id']}/submit", headers=trainee.headers)
    assert first.status_code == 200
    result = first.get_json()
    assert (result["state"], result["score"], result["max_score"], result["passed"]) == \
        ("finished", 4.0, 4.0, True)
    again = client.post(f"/api/v1/attempts/{body['id']}/submit", headers=trainee.headers)
    assert again.get_json() == result
    read = client.get(f"/api/v1/attempts/{body['id']}", headers=trainee.headers).get_json()
    assert read["state"] == "finished" and read["questions"][0]["review"]["state"] == "correct"


def test_stale_sequence_is_409_with_what_is_saved(client, quiz, trainee):
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers).get_json()
    question = body["questions"][0]
    url = f"/api/v1/attempts/{body['id']}/responses/{question['id']}"
    response = right_response(body["id"], question["id"])
    assert client.put(url, headers=trainee.headers,
                      json={"response": response, "sequence": 5}).status_code == 200
    stale = client.put(url, headers=trainee.headers, json={"response": None, "sequence": 4})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "stale_sequence"
    assert stale.get_json()["current"] == {"question_id": question["id"], "response": response,
                                           "sequence": 5}


@pytest.mark.parametrize("payload, status", [
    ({"response": None}, 422),
    ({"response": None, "sequence": "x"}, 422),
    ({"response": None, "sequence": True}, 422),
    ({"response": None, "sequence": -1}, 422),
    ({"response": {"a": [1, 2]}, "sequence": 1}, 422),
])
def test_bad_responses_are_refused(client, app, trainee, payload, status):
    quiz = import_quiz_course(QUIZ.replace("count: 4", "count: 6"))  # every question
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers).get_json()
    single = next(q for q in body["questions"] if q["type"] == "single")
    url = f"/api/v1/attempts/{body['id']}/responses/{single['id']}"
    answer = client.put(url, headers=trainee.headers, json=payload)
    assert answer.status_code == status
    assert "error" in answer.get_json()


def test_malformed_body_and_unknown_question(client, quiz, trainee):
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers).get_json()
    url = f"/api/v1/attempts/{body['id']}/responses/999999"
    assert client.put(url, headers=trainee.headers,
                      json={"response": None, "sequence": 1}).status_code == 404
    raw = client.put(f"/api/v1/attempts/{body['id']}/responses/{body['questions'][0]['id']}",
                     headers={**trainee.headers, "Content-Type": "application/json"},
                     data="{not json")
    assert raw.status_code in (400, 422)


def test_others_cannot_read_or_write_an_attempt(client, quiz, trainee, make_user, orgs,
                                                make_worker, api_token):
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers).get_json()
    other = api_token(roles=("trainee",), unit=orgs["V1"], worker=make_worker(orgs["V1"]))
    assert client.get(f"/api/v1/attempts/{body['id']}", headers=other).status_code == 404
    question = body["questions"][0]["id"]
    assert client.put(f"/api/v1/attempts/{body['id']}/responses/{question}", headers=other,
                      json={"response": None, "sequence": 1}).status_code == 404
    assert client.post(f"/api/v1/attempts/{body['id']}/submit",
                       headers=other).status_code == 404
    outside = api_token(roles=("instructor",), unit=orgs["S2"])
    assert client.get(f"/api/v1/attempts/{body['id']}", headers=outside).status_code == 404
    inside = api_token(roles=("instructor",), unit=orgs["S1"])
    assert client.get(f"/api/v1/attempts/{body['id']}", headers=inside).status_code == 200
    # Staff may read, never answer for the trainee.
    assert client.put(f"/api/v1/attempts/{body['id']}/responses/{question}", headers=inside,
                      json={"response": None, "sequence": 1}).status_code == 404
    assert db.session.get(QuizAttempt, body["id"]).state == "in_progress"


def test_review_after_close_hides_answers_until_the_quiz_closes(client, app, trainee):
    quiz = import_quiz_course(QUIZ.replace("review: feedback", "review: answers\n"
                                           "review_after: close\n"
                                           "close: 2099-01-01T00:00:00+08:00"))
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers).get_json()
    client.post(f"/api/v1/attempts/{body['id']}/submit", headers=trainee.headers)
    read = client.get(f"/api/v1/attempts/{body['id']}", headers=trainee.headers).get_json()
    assert read["review_level"] == "score" and read["percent"] == 0.0
    assert not keys_in(read["questions"]) & SECRET_KEYS


def test_quiz_resource_and_refusals(client, app, trainee):
    quiz = import_quiz_course(QUIZ.replace("max_attempts: 3", "max_attempts: 1"))
    info = client.get(f"/api/v1/quizzes/{quiz.id}", headers=trainee.headers).get_json()
    assert info["can_start"] and info["questions"] == 4 and info["time_limit"] == 20
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers).get_json()
    client.post(f"/api/v1/attempts/{body['id']}/submit", headers=trainee.headers)
    refused = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "cannot_start"
    assert client.get("/api/v1/quizzes/999999", headers=trainee.headers).status_code == 404
    assert client.post("/api/v1/quizzes/1/attempts").status_code == 401


def test_openapi_documents_the_quiz_endpoints(client):
    spec = json.loads(client.get("/api/v1/openapi.json").data)
    for path in ("/api/v1/quizzes/{quiz_id}/attempts",
                 "/api/v1/attempts/{attempt_id}/responses/{question_id}",
                 "/api/v1/attempts/{attempt_id}/submit", "/api/v1/attempts/{attempt_id}"):
        assert path in spec["paths"], path


def test_a_matching_question_can_be_answered_from_what_the_api_shows(client, app, trainee):
    quiz = import_quiz_course(QUIZ.replace("count: 4", "count: 6"))
    body = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=trainee.headers).get_json()
    matching = next(q for q in body["questions"] if q["type"] == "matching")
    answer = {prompt["id"]: matching["choices"][0]["id"] for prompt in matching["prompts"]}
    saved = client.put(f"/api/v1/attempts/{body['id']}/responses/{matching['id']}",
                       headers=trainee.headers, json={"response": answer, "sequence": 1})
    assert saved.status_code == 200, saved.get_json()
