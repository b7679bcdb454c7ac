"""The trainee's journey: My learning, continue, the lesson reader, completion."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from academy.learning import services
from academy.learning.models import Assignment, LessonProgress
from tests.learning_factories import *  # noqa: F403  (the course and onboarding fixtures)
from tests.learning_factories import publish_course

LESSON = "/learning/etiquette/reception/smile"


@pytest.fixture
def trainee(db, orgs, onboarding, make_worker, login_as):
    worker = make_worker(orgs["V1"], employee_no="T001", name="李学员")
    services.apply_rules()
    db.session.commit()
    login_as(("trainee",), orgs["V1"], worker=worker)
    return worker


def continue_href(html: str) -> str:
    return re.search(r'href="([^"]+)"\s*>[^<]*Continue', html.replace("&amp;", "&"))[1]


def test_home_shows_the_path_and_continue_starts_at_the_first_lesson(client, trainee):
    html = client.get("/").get_data(as_text=True)
    assert "My learning" in html
    assert continue_href(html) == LESSON + "?path=ONBOARD"
    html = client.get("/learning").get_data(as_text=True)
    assert "新入职岗前培训" in html
    assert "0 of 3 lessons done" in html
    assert continue_href(html) == LESSON + "?path=ONBOARD"


def test_reading_marking_done_and_resuming(client, db, trainee):
    page = client.get(LESSON + "?path=ONBOARD")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<strong>微笑</strong>" in html and "Lesson 1 of 3" in html
    progress = db.session.scalar(select(LessonProgress))
    assert progress.first_viewed_at and progress.completed_at is None

    done = client.post(LESSON + "/done?path=ONBOARD")
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/learning/etiquette/reception/explain?path=ONBOARD")
    home = client.get("/learning").get_data(as_text=True)
    assert "1 of 3 lessons done" in home and 'aria-valuenow="33"' in home
    assert continue_href(home) == "/learning/etiquette/reception/explain?path=ONBOARD"

    # Viewing a later lesson without finishing it: continue resumes there.
    client.get("/learning/etiquette/closing/farewell?path=ONBOARD")
    home = client.get("/learning").get_data(as_text=True)
    assert continue_href(home) == "/learning/etiquette/closing/farewell?path=ONBOARD"


def test_completing_every_lesson_completes_the_path(client, db, trainee):
    for lesson in ("reception/smile", "reception/explain", "closing/farewell"):
        response = client.post(f"/learning/etiquette/{lesson}/done?path=ONBOARD")
        assert response.status_code == 302
    assert response.headers["Location"].endswith("/learning/paths/ONBOARD")
    assignment = db.session.scalar(select(Assignment))
    assert assignment.completed_at is not None
    html = client.get("/learning/paths/ONBOARD").get_data(as_text=True)
    assert "Completed" in html and "3 of 3 lessons done" in html
    assert 'data-testid="continue"' not in client.get("/learning").get_data(as_text=True)
    # Marking a finished lesson again changes nothing.
    client.post("/learning/etiquette/closing/farewell/done?path=ONBOARD")
    assert db.session.scalar(select(Assignment)).completed_at == assignment.completed_at


def test_a_new_version_keeps_progress_by_slug(client, db, trainee):
    client.post(LESSON + "/done")
    publish_course("etiquette", modules=[
        ("reception", "接待四步（新版）", [("smile", "微笑", "新内容"), ("new", "新课", "x")]),
        ("closing", "结束", [("farewell", "送别", "再见")]),
    ])
    db.session.commit()
    html = client.get("/learning").get_data(as_text=True)
    assert "1 of 3 lessons done" in html
    lesson = client.get(LESSON).get_data(as_text=True)
    assert "新内容" in lesson


def test_overdue_path_is_highlighted(client, db, trainee):
    db.session.scalar(select(Assignment)).due_date = date.today() - timedelta(days=1)
    db.session.commit()
    html = client.get("/learning").get_data(as_text=True)
    assert "Overdue since" in html and "border-danger" in html


def test_images_are_served_with_their_type_and_nosniff(client, trainee):
    html = client.get("/learning/etiquette/reception/explain").get_data(as_text=True)
    assert 'src="/learning/assets/etiquette/images/flow.png"' in html
    image = client.get("/learning/assets/etiquette/images/flow.png")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/learning/assets/etiquette/images/none.png").status_code == 404


def test_markdown_is_sanitised(client, db, trainee):
    publish_course("etiquette", modules=[("reception", "m", [
        ("smile", "x", "<script>alert(1)</script>\n\n[a](javascript:alert(1)) ![r](http://evil/x.png)")
    ])])
    db.session.commit()
    html = client.get(LESSON).get_data(as_text=True)
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "evil" not in html


def test_unknown_lessons_and_unassigned_paths_are_not_found(client, trainee):
    assert client.get("/learning/etiquette/reception/nope").status_code == 404
    assert client.get("/learning/nope/reception/smile").status_code == 404
    assert client.get("/learning/paths/NOPE").status_code == 404


def test_an_account_without_a_staff_record_sees_a_friendly_empty_state(client, orgs, course,
                                                                       login_as):
    login_as(("trainee",), orgs["V1"])
    assert client.get("/").status_code == 200
    html = client.get("/learning").get_data(as_text=True)
    assert "not linked to a staff record" in html
    assert client.get(LESSON).status_code == 200  # reading is open; nothing recorded
    assert client.post(LESSON + "/done").status_code == 403


def test_a_worker_with_nothing_assigned(client, orgs, make_worker, login_as):
    login_as(("trainee",), orgs["V1"], worker=make_worker(orgs["V1"]))
    assert "Nothing assigned yet" in client.get("/learning").get_data(as_text=True)
