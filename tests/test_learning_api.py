"""GET /api/v1/workers/{employee_no}/progress."""

from __future__ import annotations

from sqlalchemy import select

from academy.learning import services
from academy.learning.models import LessonProgress
from academy.timeutil import utcnow
from tests.learning_factories import *  # noqa: F403  (the course and onboarding fixtures)


def test_progress_document(client, db, orgs, course, onboarding, make_worker, api_token):
    worker = make_worker(orgs["V1"], employee_no="P001")
    services.apply_rules()
    db.session.add(LessonProgress(worker_id=worker.id, course_id=course.id,
                                  module_slug="closing", lesson_slug="farewell",
                                  completed_at=utcnow()))
    db.session.commit()
    headers = api_token(("instructor",), orgs["S1"])
    body = client.get("/api/v1/workers/P001/progress", headers=headers).get_json()
    assert body["employee_no"] == "P001"
    (path,) = body["paths"]
    assert path["path"] == "ONBOARD" and path["title"] == "新入职岗前培训"
    assert path["progress"] == {"done": 1, "total": 3}
    assert path["overdue"] is False and path["completed_at"] is None
    assert path["modules"] == [
        {"course": "etiquette", "module": "reception", "title": "接待四步", "done": 0,
         "total": 2, "completed": False},
        {"course": "etiquette", "module": "closing", "title": "结束与送别", "done": 1,
         "total": 1, "completed": True},
    ]
    assert db.session.scalar(select(LessonProgress)) is not None


def test_progress_access(client, db, orgs, onboarding, make_worker, make_user, api_token):
    worker = make_worker(orgs["V1"], employee_no="P002")
    make_user("p002", unit=orgs["V1"], worker=worker)
    cases = [
        (api_token(("admin",), orgs["S2"]), 403),
        (api_token(("trainee",), orgs["S1"]), 403),
        (api_token(("assessor",), orgs["S1"]), 403),
        (api_token(("admin",), orgs["S1"]), 200),
        ({}, 401),
    ]
    for headers, status in cases:
        assert client.get("/api/v1/workers/P002/progress", headers=headers).status_code == status
    own = client.post("/api/v1/tokens", json={"username": "p002", "password": "Correct-Horse-42"})
    token = {"Authorization": f"Bearer {own.get_json()['token']}"}
    assert client.get("/api/v1/workers/P002/progress", headers=token).status_code == 200
    missing = client.get("/api/v1/workers/NOPE/progress", headers=token)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
