"""Oversight reports: the numbers, the scope, the export, and a constant query count."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import event, select

from academy.learning import services
from academy.learning.models import Assignment, LessonProgress
from academy.timeutil import utcnow
from tests.learning_factories import *  # noqa: F403  (the course and onboarding fixtures)

STATES = ("done", "in_progress", "not_started", "overdue")


def progress(db, worker, module, lesson, done=True):
    db.session.add(LessonProgress(worker_id=worker.id, course_id=1 if False else
                                  _course_id(db), module_slug=module, lesson_slug=lesson,
                                  completed_at=utcnow() if done else None))


def _course_id(db):
    from academy.catalog.models import Course

    return db.session.scalar(select(Course.id).where(Course.slug == "etiquette"))


@pytest.fixture
def district(db, orgs, onboarding, make_worker):
    """V1: one done, one in progress (module 1 done), one not started, one overdue;
    V2: one not started."""
    people = {name: make_worker(orgs["V1"], employee_no=name) for name in
              ("DONE", "PROG", "NONE", "LATE")}
    people["OTHER"] = make_worker(orgs["V2"], employee_no="OTHER")
    services.apply_rules()
    for module, lesson in (("reception", "smile"), ("reception", "explain"),
                           ("closing", "farewell")):
        progress(db, people["DONE"], module, lesson)
    progress(db, people["PROG"], "reception", "smile")
    progress(db, people["PROG"], "reception", "explain")
    progress(db, people["LATE"], "reception", "smile", done=False)
    rows = {a.worker.employee_no: a for a in db.session.scalars(select(Assignment))}
    rows["DONE"].completed_at = utcnow()
    rows["LATE"].due_date = date.today() - timedelta(days=3)
    db.session.commit()
    return people


def counts(html: str, code: str) -> dict[str, int]:
    row = html.split(f'data-testid="path-row-{code}"', 1)[1].split("</tr>", 1)[0]
    return {state: int(row.split(f'data-state="{state}">', 1)[1].split("<", 1)[0])
            for state in STATES}


def test_summary_counts_in_scope(client, orgs, district, login_as):
    login_as(("instructor",), orgs["D"])
    html = client.get("/learning/reports").get_data(as_text=True)
    assert counts(html, "ONBOARD") == {"done": 1, "in_progress": 1, "not_started": 2,
                                       "overdue": 1}
    assert "<svg" in html and "seg-overdue" in html
    html = client.get("/learning/reports?org_unit=V1").get_data(as_text=True)
    assert counts(html, "ONBOARD") == {"done": 1, "in_progress": 1, "not_started": 1,
                                       "overdue": 1}


def test_drill_down_modules_people_and_filter(client, orgs, district, login_as):
    login_as(("admin",), orgs["S1"])
    html = client.get("/learning/reports/ONBOARD").get_data(as_text=True)
    assert "OTHER" not in html  # outside S1
    modules = html.split('data-testid="module-row"')[1:]
    assert "2 / 4" in modules[0] and "1 / 4" in modules[1]
    assert html.count('data-testid="person-row"') == 4
    late = client.get("/learning/reports/ONBOARD?state=overdue").get_data(as_text=True)
    assert late.count('data-testid="person-row"') == 1 and "LATE" in late
    assert client.get("/learning/reports?org_unit=V2").status_code == 403


def test_export(client, orgs, district, login_as):
    login_as(("admin",), orgs["D"])
    response = client.get("/learning/reports/ONBOARD/export.xlsx?org_unit=V1")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    modules, people = book.worksheets
    assert [row[3] for row in modules.iter_rows(min_row=2, values_only=True)] == [2, 1]
    rows = {row[0]: row for row in people.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"DONE", "PROG", "NONE", "LATE"}
    assert rows["DONE"][4] == "Done" and rows["PROG"][5] == 2 and rows["LATE"][4] == "Overdue"


def test_trainees_and_assessors_may_not_see_reports(client, orgs, district, login_as):
    login_as(("trainee", "assessor"), orgs["S1"])
    assert client.get("/learning/reports").status_code == 403


def _queries(client, db, url) -> int:
    seen = []

    def count(*args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_query_count_does_not_grow_with_the_data(client, db, orgs, onboarding, make_worker,
                                                  login_as):
    login_as(("admin",), orgs["D"])
    urls = ["/learning/reports", "/learning/reports/ONBOARD", "/learning/reports/ONBOARD?page=1",
            "/learning/reports/ONBOARD/export.xlsx", "/learning"]
    make_worker(orgs["V1"])
    services.apply_rules()
    db.session.commit()
    small = [_queries(client, db, url) for url in urls]
    for index in range(30):
        worker = make_worker(orgs["V1" if index % 2 else "V2"])
        db.session.add(LessonProgress(worker_id=worker.id, course_id=_course_id(db),
                                      module_slug="reception", lesson_slug="smile",
                                      completed_at=utcnow()))
    services.apply_rules()
    db.session.commit()
    large = [_queries(client, db, url) for url in urls]
    assert large == small
