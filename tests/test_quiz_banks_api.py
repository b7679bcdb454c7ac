"""API: /api/v1/question-banks — list, import (dry run, 422 with lines), export."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from academy.quizzes.models import Question
from tests.quiz_factories import GIFT_FILE, GIFT_WITH_ERROR, MOODLE_XML_FILE, make_bank


@pytest.fixture
def token(api_token, orgs):
    """A bearer token header for a new user of S1 with the given roles."""
    return lambda roles: api_token(roles=roles, unit=orgs["S1"])


def questions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Question))


def test_list_banks(app, token):
    make_bank()
    headers = token(("instructor",))
    body = app.test_client().get("/api/v1/question-banks", headers=headers).get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["code"], item["skill"], item["question_count"]) == ("SOCIAL-1", "SOCIAL", 0)


def test_trainees_are_refused(client, token):
    make_bank()
    headers = token(("trainee",))
    assert client.get("/api/v1/question-banks", headers=headers).status_code == 403
    response = client.post("/api/v1/question-banks/SOCIAL-1/import?format=gift",
                           data=GIFT_FILE.encode(), content_type="text/plain", headers=headers)
    assert response.status_code == 403


def test_import_raw_gift_then_export(client, db, token):
    make_bank()
    headers = token(("instructor",))
    response = client.post("/api/v1/question-banks/SOCIAL-1/import?format=gift",
                           data=GIFT_FILE.encode(), content_type="text/plain", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["imported"], body["errors"], body["dry_run"]) == (5, [], False)
    assert questions(db) == 5
    exported = client.get("/api/v1/question-banks/SOCIAL-1/export?format=gift", headers=headers)
    assert exported.status_code == 200
    assert exported.mimetype == "text/plain"
    assert "::参保材料::" in exported.get_data(as_text=True)
    xml = client.get("/api/v1/question-banks/SOCIAL-1/export?format=moodle-xml",
                     headers=headers)
    assert xml.mimetype == "application/xml" and xml.data.startswith(b"<?xml")


def test_multipart_upload_detects_the_format_from_the_name(client, db, token):
    make_bank()
    headers = token(("admin",))
    response = client.post("/api/v1/question-banks/SOCIAL-1/import",
                           data={"file": (io.BytesIO(MOODLE_XML_FILE.encode()), "医保.xml")},
                           content_type="multipart/form-data", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["categories"] == {"医保": 2}


def test_dry_run_writes_nothing(client, db, token):
    make_bank()
    headers = token(("instructor",))
    response = client.post("/api/v1/question-banks/SOCIAL-1/import?format=gift&dry_run=true",
                           data=GIFT_FILE.encode(), content_type="text/plain", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["imported"] == 5 and response.get_json()["dry_run"] is True
    assert questions(db) == 0


def test_problems_answer_422_with_lines_and_write_nothing(client, db, token):
    make_bank()
    headers = token(("instructor",))
    response = client.post("/api/v1/question-banks/SOCIAL-1/import?format=gift",
                           data=GIFT_WITH_ERROR.encode(), content_type="text/plain",
                           headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["imported"] == 0
    assert body["error"]["code"] == "invalid_file"
    assert [e["line"] for e in body["errors"]] == [9]
    assert questions(db) == 0


def test_unknown_bank_and_format(client, token):
    make_bank()
    headers = token(("instructor",))
    missing = client.post("/api/v1/question-banks/NOPE/import?format=gift", data=b"x",
                          content_type="text/plain", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    unknown = client.post("/api/v1/question-banks/SOCIAL-1/import?format=csv", data=b"x",
                          content_type="text/plain", headers=headers)
    assert unknown.status_code == 415
    guessless = client.post("/api/v1/question-banks/SOCIAL-1/import", data=b"x",
                            content_type="application/octet-stream", headers=headers)
    assert guessless.status_code == 415
    export = client.get("/api/v1/question-banks/SOCIAL-1/export?format=xlsx", headers=headers)
    assert export.status_code == 415
    nothing = client.post("/api/v1/question-banks/SOCIAL-1/import?format=gift",
                          headers=headers)
    assert nothing.status_code == 400
