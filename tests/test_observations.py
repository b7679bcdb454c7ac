"""Observations in the browser: who may observe whom (engagements, subtrees, one's own),
recording on the scoring form, the lists, the chart, the export, engagements, signals."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, func, select

from academy import ROOT, signals
from academy.audit.models import AuditEntry
from academy.observations import services
from academy.observations.models import AssessorEngagement, Observation
from tests.observation_factories import *  # noqa: F403  (the people and rubric fixtures)
from tests.observation_factories import CODES, form_data, make_rubrics, observe, sign_in


def count(db, model=Observation) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- an engaged assessor


def test_assessor_records_an_observation_and_cannot_open_anything_outside(
        client, db, people, rubric):
    """The assessor engaged for S1 observes V1-001 on the phone form, then finds V2 closed."""
    v2_observation = observe(people.user("admin-s2"), people.workers["V2-001"], rubric)
    sign_in(client, "assessor")

    # Find the worker, open the scoring form, save it.
    start = client.get("/observations/new?q=东一&rubric=test-counter&kind=counter_session")
    assert start.status_code == 200
    assert "东一张三" in text(start) and "西一王五" not in text(start)
    assert "/observations/new/V1-001?rubric=test-counter" in text(start)
    page = client.get("/observations/new/V1-001?rubric=test-counter")
    assert page.status_code == 200
    for fragment in ("微笑问候", "没有问候", "堪作示范", "Not observed", "csrf_token"):
        assert fragment in text(page)
    assert count(db) == 1  # a GET records nothing

    response = client.post("/observations/new/V1-001", data=form_data())
    assert response.status_code == 302, text(response)[:500]
    observation = db.session.scalar(select(Observation).where(
        Observation.worker_id == people.workers["V1-001"].id))
    assert response.headers["Location"].endswith(f"/observations/{observation.id}")
    assert observation.observer_role == "assessor"
    assert observation.org_unit.code == "V1"
    assert observation.scores == {"greeting": 4, "one_time_notice": 5, "closing": None}
    assert observation.mean_score == 4.5
    assert observation.criterion_notes == {"greeting": "起身问候"}
    assert observation.notes == "整体良好"
    assert observation.kind == "counter_session"
    assert observation.observed_at.replace(tzinfo=None).isoformat() == "2025-03-03T02:30:00"
    assert [c["code"] for c in observation.criteria] == CODES
    audit = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "observation.created", AuditEntry.target_id == str(observation.id)))
    assert audit.actor_name == "assessor" and audit.after["rubric"] == "test-counter"

    detail = client.get(f"/observations/{observation.id}")
    assert detail.status_code == 200
    assert "东一张三" in text(detail) and "4.5" in text(detail)
    listing = text(client.get("/observations"))
    assert "东一张三" in listing and "西一王五" not in listing

    # Nothing of V2 opens, whatever the way in.
    for url in ["/observations/new/V2-001?rubric=test-counter", "/observations/new/V2-001",
                f"/observations/{v2_observation.id}", "/observations?org_unit=V2",
                "/observations?org_unit=S2", "/observations/export.xlsx?org_unit=V2",
                "/observations/new/NO-SUCH?rubric=test-counter"]:
        assert client.get(url).status_code == 404, url
    assert client.post("/observations/new/V2-001", data=form_data()).status_code == 404
    assert "西一王五" not in text(client.get("/observations/new?q=西一"))
    assert "西一王五" not in text(client.get("/observations?q=西一"))
    # The admin pages stay closed: the assessor is not an admin anywhere.
    for url in ["/admin/workers", "/admin/units", "/admin/engagements", "/learning/reports"]:
        assert client.get(url).status_code == 403, url
    assert count(db) == 2


def test_an_assessor_sees_nothing_once_the_engagement_ends(client, db, people, rubric):
    mine = observe(people.user("assessor"), people.workers["V1-001"], rubric)
    sign_in(client, "assessor")
    assert client.get(f"/observations/{mine.id}").status_code == 200

    admin = client.application.test_client()
    sign_in(admin, "admin-s1")
    ended = admin.post(f"/admin/engagements/{people.engagement_id}/end")
    assert ended.status_code == 302
    assert db.session.get(AssessorEngagement, people.engagement_id).ended_at is not None
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "engagement.ended")) == "engagement.ended"

    listing = client.get("/observations")
    assert listing.status_code == 200
    assert 'data-testid="no-scope"' in text(listing) and "东一张三" not in text(listing)
    for url in [f"/observations/{mine.id}", "/observations/new/V1-001?rubric=test-counter",
                "/observations?org_unit=V1"]:
        assert client.get(url).status_code == 404, url
    assert client.post("/observations/new/V1-001", data=form_data()).status_code == 404
    assert "东一张三" not in text(client.get("/observations/new?q=东一"))
    book = openpyxl.load_workbook(io.BytesIO(client.get("/observations/export.xlsx").data))
    assert book.worksheets[0].max_row == 1  # headers only
    assert count(db) == 1


@pytest.mark.parametrize(("valid_from", "valid_to", "active"), [
    (-30, -1, False),  # expired yesterday
    (1, 30, False),  # not yet begun
    (0, 0, True),  # today only
])
def test_engagements_count_only_while_in_force(db, people, valid_from, valid_to, active):
    today = date.today()
    engagement = db.session.get(AssessorEngagement, people.engagement_id)
    engagement.valid_from = today + timedelta(days=valid_from)
    engagement.valid_to = today + timedelta(days=valid_to)
    db.session.commit()
    scope = services.scope_for(people.user("assessor"))
    assert scope.covers(people.units["V1"]) is active
    assert not scope.covers(people.units["V2"])
    assert scope.role_for(people.units["S1"]) == ("assessor" if active else None)


def test_an_assessor_without_engagement_has_no_scope(client, people, rubric):
    sign_in(client, "idle")
    page = client.get("/observations")
    assert page.status_code == 200 and 'data-testid="no-scope"' in text(page)
    assert client.get("/observations/new/V1-001").status_code == 404
    assert "东一张三" not in text(client.get("/observations/new?q=东一"))


def test_engagements_of_several_units_add_up(db, people):
    services.create_engagement(people.user("admin-s2"), assessor=people.user("assessor"),
                               unit=people.units["V2"], valid_from=date.today(),
                               valid_to=date.today(), note=None)
    db.session.commit()
    scope = services.scope_for(people.user("assessor"))
    assert [u.code for u in scope.roots] == ["S1", "V2"]
    assert scope.covers(people.units["V2"]) and not scope.covers(people.units["S2"])
    assert not scope.covers(people.units["D"])


# ---------------------------------------------------------------- instructors, admins, trainees


def test_instructors_and_admins_observe_in_their_subtree(client, db, people, rubric):
    sign_in(client, "instructor")
    assert client.post("/observations/new/V1-001", data=form_data()).status_code == 302
    assert client.get("/observations/new/V2-001").status_code == 404
    assert client.post("/observations/new/V2-001", data=form_data()).status_code == 404
    first = db.session.scalar(select(Observation))
    assert first.observer_role == "instructor"

    other = client.application.test_client()
    sign_in(other, "admin-s2")
    assert other.get(f"/observations/{first.id}").status_code == 404
    assert other.post("/observations/new/V2-001", data=form_data()).status_code == 302
    assert "东一张三" not in text(other.get("/observations"))

    district = client.application.test_client()
    sign_in(district, "admin-d")
    listing = text(district.get("/observations"))
    assert "东一张三" in listing and "西一王五" in listing
    assert "东一张三" not in text(district.get("/observations?org_unit=V2"))
    roles = set(db.session.scalars(select(Observation.observer_role)))
    assert roles == {"instructor", "admin"}


def test_trainees_read_their_own_observations_only(client, db, people, rubric):
    own = observe(people.user("instructor"), people.workers["V1-001"], rubric)
    other = observe(people.user("instructor"), people.workers["V1-002"], rubric)
    sign_in(client, "v1-001")
    assert client.get("/observations").status_code == 403
    assert client.get("/observations/new").status_code == 403
    assert client.post("/observations/new/V1-001", data=form_data()).status_code == 403
    mine = client.get("/observations/mine")
    assert mine.status_code == 200
    assert f"/observations/{own.id}" in text(mine) and f"/observations/{other.id}" not in text(mine)
    detail = client.get(f"/observations/{own.id}")
    assert detail.status_code == 200 and "测试接待量表" in text(detail)
    assert 'type="radio"' not in text(detail)  # read-only
    assert client.get(f"/observations/{other.id}").status_code == 404
    assert client.get("/observations/999999").status_code == 404
    assert count(db) == 2


def test_my_observations_without_a_staff_record(client, people, rubric):
    observe(people.user("instructor"), people.workers["V1-001"], rubric)
    sign_in(client, "idle")
    page = client.get("/observations/mine")
    assert page.status_code == 200 and "Nobody has observed you yet." in text(page)


def test_anonymous_is_sent_to_sign_in(client, people, rubric):
    for url in ["/observations", "/observations/mine", "/observations/new",
                "/observations/new/V1-001", "/admin/engagements"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


# ---------------------------------------------------------------- the scoring form


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"score_closing": None}, "closing",
     "Score this criterion from 1 to 5, or mark it not observed."),
    ({"score_greeting": "7"}, "greeting", "Not a valid choice"),
    ({"score_greeting": "na", "score_one_time_notice": "na", "score_closing": "na"}, None,
     "Score at least one criterion"),
    ({"observed_at": "2999-01-01T10:00"}, None, "An observation cannot be in the future."),
    ({"observed_at": "9999-12-31T23:59"}, None, "An observation cannot be in the future."),
    ({"observed_at": "0001-01-01T00:00"}, None, "That date is too long ago."),
    ({"observed_at": "1999-12-31T23:00"}, None, "That date is too long ago."),
    ({"observed_at": "yesterday"}, None, "Not a valid datetime value."),
    ({"kind": "interview"}, None, "Not a valid choice"),
    ({"note_greeting": "长" * 1001}, None, "1000"),
])
def test_the_form_explains_what_is_wrong_and_saves_nothing(client, db, people, rubric,
                                                          overrides, field, message):
    sign_in(client, "instructor")
    response = client.post("/observations/new/V1-001", data=form_data(**overrides))
    assert response.status_code == 422
    page = text(response)
    assert message in page, page[:3000]
    assert 'data-testid="form-errors"' in page
    if field:
        assert f'data-testid="error-{field}"' in page
    assert count(db) == 0
    # What was typed is kept.
    assert "整体良好" in page


def test_the_form_starts_with_the_rubric_kind_and_now(client, people, rubric):
    sign_in(client, "instructor")
    page = text(client.get("/observations/new/V1-001?rubric=test-counter"))
    assert re.search(r'value="counter_session"[^>]*checked|checked[^>]*value="counter_session"',
                     page)
    assert re.search(r'name="observed_at"[^>]*value="\d{4}-\d\d-\d\dT\d\d:\d\d"', page)
    page = text(client.get("/observations/new/V1-001?rubric=test-counter&kind=role_play"))
    assert re.search(r'value="role_play"[^>]*checked|checked[^>]*value="role_play"', page)


def test_several_rubrics_offer_a_choice(client, db, people, rubric):
    make_rubrics(Path(ROOT / "courses" / "rubrics.yaml").read_text())
    sign_in(client, "instructor")
    page = client.get("/observations/new/V1-001")
    assert page.status_code == 200 and 'data-testid="rubric-choices"' in text(page)
    assert "窗口接待现场观察" in text(page) and "情景演练观察" in text(page)
    unknown = client.get("/observations/new/V1-001?rubric=nope")
    assert unknown.status_code == 200 and "There is no rubric nope" in text(unknown)
    posted = client.post("/observations/new/V1-001", data=form_data("nope"))
    assert posted.status_code == 422 and count(db) == 0
    role_play = client.get("/observations/new/V1-001?rubric=role-play")
    assert "倾听与确认需求" in text(role_play)


def test_a_single_rubric_needs_no_choice(client, people, rubric):
    sign_in(client, "instructor")
    page = client.get("/observations/new/V1-001")
    assert page.status_code == 200 and 'data-testid="observation-form"' in text(page)


def test_no_rubrics_loaded_says_how_to_load_them(client, people):
    sign_in(client, "instructor")
    page = text(client.get("/observations/new"))
    assert "flask academy courses sync" in page


# ---------------------------------------------------------------- the pages


def test_detail_draws_an_svg_chart_without_inline_styles(client, people, rubric):
    observation = observe(people.user("instructor"), people.workers["V1-001"], rubric,
                          {"greeting": 5, "one_time_notice": 2, "closing": None})
    sign_in(client, "instructor")
    page = text(client.get(f"/observations/{observation.id}"))
    svg = re.search(r'<svg class="obs-bars".*?</svg>', page, re.S).group(0)
    assert "style=" not in svg
    assert 'class="obs-bar-good"' in svg and 'width="200"' in svg  # 5 of 5
    assert 'class="obs-bar-poor"' in svg and 'width="80"' in svg  # 2 of 5
    assert "Not observed" in svg
    templates = Path(ROOT / "templates" / "observations")
    for template in templates.glob("*.html"):
        assert "style=" not in template.read_text(), template.name


def test_list_filters(client, db, people, rubric):
    observe(people.user("instructor"), people.workers["V1-001"], rubric, kind="role_play")
    observe(people.user("instructor"), people.workers["V1-002"], rubric,
            observed_at=services.EARLIEST.replace(year=2024))
    sign_in(client, "admin-s1")

    def names(query: str) -> set[str]:
        page = text(client.get("/observations" + query))
        return {name for name in ("东一张三", "东一李四") if name in page}

    assert names("") == {"东一张三", "东一李四"}
    assert names("?q=V1-002") == {"东一李四"}
    assert names("?q=张三") == {"东一张三"}
    assert names("?kind=role_play") == {"东一张三"}
    assert names("?rubric=test-counter") == {"东一张三", "东一李四"}
    assert names("?rubric=other") == set()
    assert names("?since=2025-01-01") == {"东一张三"}
    assert names("?until=2024-12-31") == {"东一李四"}
    assert names("?since=2025-03-03&until=2025-03-03") == {"东一张三"}
    assert names("?org_unit=V1&q=%25") == set()  # a literal %, not a wildcard
    assert client.get("/observations?q=%00").status_code == 200
    for far in ("since=0001-01-01", "until=9999-12-31", "since=9999-12-31&until=0001-01-01"):
        assert client.get(f"/observations?{far}").status_code == 200, far
        assert client.get(f"/observations/export.xlsx?{far}").status_code == 200, far
    assert names("?since=0001-01-01&until=9999-12-31") == {"东一张三", "东一李四"}
    assert client.get("/observations?org_unit=NOPE").status_code == 404


def test_pages_are_paginated(client, db, people, rubric):
    for _ in range(53):
        observe(people.user("instructor"), people.workers["V1-001"], rubric)
    sign_in(client, "instructor")
    first, second = text(client.get("/observations")), text(client.get("/observations?page=2"))
    assert first.count('data-testid="observation-') == 50
    assert second.count('data-testid="observation-') == 3
    assert "53 observations match" in first


def test_export_xlsx(client, db, people, rubric):
    observe(people.user("instructor"), people.workers["V1-001"], rubric,
            {"greeting": 5, "one_time_notice": 3, "closing": None}, notes="=HYPERLINK(1)",
            criterion_notes={"closing": "没有机会观察"})
    observe(people.user("admin-s2"), people.workers["V2-001"], rubric)
    sign_in(client, "admin-s1")
    response = client.get("/observations/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    summary, scores = book.worksheets
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0][:4] == ("No.", "Observed at", "Employee number", "Full name")
    assert len(rows) == 2  # V2 is not admin-s1's
    row = rows[1]
    assert row[2:5] == ("V1-001", "东一张三", "东一社区")
    assert row[1].isoformat() == "2025-03-03T10:30:00"  # the district's wall-clock time
    assert row[9] == 4 and row[10] == 2 and row[11] == "=HYPERLINK(1)"
    assert summary.cell(row=2, column=12).data_type == "s"  # never a formula
    details = list(scores.iter_rows(values_only=True))[1:]
    assert [(r[5], r[6], r[7], r[8]) for r in details] == [
        ("greeting", "ETIQUETTE", 5, None), ("one_time_notice", "ONE_TIME_NOTIFICATION", 3, None),
        ("closing", None, "Not observed", "没有机会观察")]


def _queries(client, db, url: str) -> int:
    seen = []

    def counter(*args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200, url
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return len(seen)


def test_query_count_does_not_grow_with_the_rows(client, db, people, rubric):
    observe(people.user("instructor"), people.workers["V1-001"], rubric)
    sign_in(client, "assessor")
    urls = ["/observations", "/observations/export.xlsx", "/observations?q=东一",
            "/api/v1/observations"]
    small = [_queries(client, db, url) for url in urls]
    for index in range(20):
        worker = people.workers["V1-001" if index % 2 else "V1-002"]
        observer = people.user(["instructor", "admin-s1", "assessor"][index % 3])
        observe(observer, worker, rubric)
    large = [_queries(client, db, url) for url in urls]
    assert large == small
    owner = client.application.test_client()
    sign_in(owner, "v1-001")
    assert _queries(owner, db, "/observations/mine") == _queries(owner, db,
                                                                  "/observations/mine?page=1")


# ---------------------------------------------------------------- engagements


def engagement_form(people, **overrides) -> dict:
    data = {"assessor": people.users["idle"].id, "org_unit": "V1",
            "valid_from": date.today().isoformat(),
            "valid_to": (date.today() + timedelta(days=60)).isoformat(), "note": "年度测评"}
    data.update(overrides)
    return data


def test_admins_engage_assessors_for_their_units(client, db, people, rubric):
    sign_in(client, "admin-s1")
    page = text(client.get("/admin/engagements"))
    assert "assessor" in page and "東一" not in page
    assert "idle" in page  # a choice in the form
    response = client.post("/admin/engagements", data=engagement_form(people))
    assert response.status_code == 302, text(response)[:1000]
    engagement = db.session.scalar(select(AssessorEngagement).where(
        AssessorEngagement.assessor_id == people.users["idle"].id))
    assert engagement.org_unit.code == "V1" and engagement.note == "年度测评"
    assert engagement.created_by.username == "admin-s1"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "engagement.created"
                                                       ).order_by(AuditEntry.id.desc()))
    assert entry.after["assessor"] == "idle" and entry.after["org_unit"] == "V1"

    idle = client.application.test_client()
    sign_in(idle, "idle")
    assert idle.post("/observations/new/V1-001", data=form_data()).status_code == 302
    assert idle.get("/observations/new/V1-002").status_code == 200
    assert idle.get("/observations/new/V2-001").status_code == 404


@pytest.mark.parametrize(("overrides", "message"), [
    ({"valid_to": (date.today() - timedelta(days=1)).isoformat(),
      "valid_from": (date.today() - timedelta(days=5)).isoformat()},
     "The engagement would already be over."),
    ({"valid_to": date.today().isoformat(),
      "valid_from": (date.today() + timedelta(days=5)).isoformat()},
     "The end cannot be before the start."),
    ({"org_unit": "V2"}, "Not a valid choice"),
    ({"assessor": "0"}, "Not a valid choice"),
    ({"note": "长" * 300}, "255"),
])
def test_engagement_form_validation(client, db, people, overrides, message):
    before = count(db, AssessorEngagement)
    sign_in(client, "admin-s1")
    response = client.post("/admin/engagements", data=engagement_form(people, **overrides))
    assert response.status_code == 422
    assert message in text(response)
    assert count(db, AssessorEngagement) == before


def test_only_assessors_can_be_engaged(client, db, people):
    sign_in(client, "admin-s1")
    page = text(client.get("/admin/engagements"))
    assert f'value="{people.users["instructor"].id}"' not in page
    response = client.post("/admin/engagements", data=engagement_form(
        people, assessor=people.users["instructor"].id))
    assert response.status_code == 422 and count(db, AssessorEngagement) == 1


def test_overlapping_engagement_is_refused(client, db, people):
    sign_in(client, "admin-s1")
    response = client.post("/admin/engagements", data=engagement_form(
        people, assessor=people.users["assessor"].id, org_unit="S1"))
    assert response.status_code == 422
    assert "is already engaged for" in text(response)
    assert count(db, AssessorEngagement) == 1


def test_other_subtrees_cannot_end_or_see_an_engagement(client, db, people):
    sign_in(client, "admin-s2")
    assert "东街道" not in text(client.get("/admin/engagements"))
    assert client.post(f"/admin/engagements/{people.engagement_id}/end").status_code == 403
    assert client.post("/admin/engagements/999999/end").status_code == 404
    assert db.session.get(AssessorEngagement, people.engagement_id).ended_at is None
    sign_in(client, "instructor")
    assert client.post(f"/admin/engagements/{people.engagement_id}/end").status_code == 403


def test_ending_twice_changes_nothing(client, db, people):
    sign_in(client, "admin-s1")
    client.post(f"/admin/engagements/{people.engagement_id}/end")
    ended_at = db.session.get(AssessorEngagement, people.engagement_id).ended_at
    db.session.rollback()
    again = client.post(f"/admin/engagements/{people.engagement_id}/end", follow_redirects=True)
    assert "This engagement is already over." in text(again)
    assert db.session.get(AssessorEngagement, people.engagement_id).ended_at == ended_at
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "engagement.ended")) == 1


# ---------------------------------------------------------------- navigation


def test_navigation_by_role(client, people, rubric):
    sign_in(client, "assessor")
    page = text(client.get("/"))
    assert "/observations/new" in page and 'href="/observations"' in page
    assert "/admin/engagements" not in page
    admin = client.application.test_client()
    sign_in(admin, "admin-s1")
    page = text(admin.get("/"))
    assert "/admin/engagements" in page and 'href="/observations"' in page
    trainee = client.application.test_client()
    sign_in(trainee, "v1-001")
    page = text(trainee.get("/observations/mine"))
    assert 'href="/observations/mine"' in page and 'href="/observations"' not in page


# ---------------------------------------------------------------- evidence signals


def test_observation_recorded_signal(app, db, people, rubric):
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    signals.observation_recorded.connect(listener)
    try:
        observation = observe(people.user("assessor"), people.workers["V1-001"], rubric,
                              {"greeting": 5, "one_time_notice": 2, "closing": None})
    finally:
        signals.observation_recorded.disconnect(listener)
    (payload,) = received
    assert payload == {
        "observation_id": observation.id, "worker_id": people.workers["V1-001"].id,
        "employee_no": "V1-001", "rubric": "test-counter", "kind": "counter_session",
        "scores": [{"criterion": "greeting", "skill": "ETIQUETTE", "score": 5},
                   {"criterion": "one_time_notice", "skill": "ONE_TIME_NOTIFICATION",
                    "score": 2},
                   {"criterion": "closing", "skill": None, "score": None}],
        "skills": {"ETIQUETTE": 5.0, "ONE_TIME_NOTIFICATION": 2.0},
        "mean_score": 3.5, "observer_id": people.users["assessor"].id,
        "observer_role": "assessor", "observed_at": payload["observed_at"],
    }
    assert payload["observed_at"].tzinfo is not None
    assert payload["observed_at"].isoformat() == "2025-03-03T02:30:00+00:00"
    assert "evidence" in (signals.observation_recorded.__doc__ or "")


def test_scenario_run_finished_signal(app, db, runner, make_user, make_worker, orgs):
    from academy.scenarios import services as scenario_services
    from academy.scenarios.models import ScenarioDef
    from tests.learning_factories import get_skill
    from tests.scenario_factories import BEST_PATH, EXAMPLE_COURSE

    get_skill("ETIQUETTE")
    db.session.commit()
    result = runner.invoke(args=["academy", "courses", "sync", str(EXAMPLE_COURSE)])
    assert result.exit_code == 0, result.output
    definition = db.session.scalar(select(ScenarioDef).where(
        ScenarioDef.slug == "elderly-no-smartphone"))
    worker = make_worker(orgs["V1"], "T001")
    user = make_user("t001", unit=orgs["V1"], worker=worker)
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    signals.scenario_run_finished.connect(listener)
    try:
        run = scenario_services.start_run(definition, user)
        for choice in BEST_PATH:
            scenario_services.choose(run, choice)
        with pytest.raises(scenario_services.RunFinished):
            scenario_services.choose(run, BEST_PATH[-1])
    finally:
        signals.scenario_run_finished.disconnect(listener)
    (payload,) = received  # once, at the end
    assert payload["run_id"] == run.id and payload["user_id"] == user.id
    assert payload["worker_id"] == worker.id and payload["employee_no"] == "T001"
    assert payload["scenario_id"] == definition.id
    assert payload["scenario"] == "elderly-no-smartphone"
    assert payload["course"] == "service-etiquette" and payload["skill"] == "ETIQUETTE"
    assert payload["outcome"] == "success" and payload["score"] == 100
    assert payload["dimensions"] == run.score["dimensions"] and payload["dimensions"]
    assert payload["finished_at"].tzinfo is not None


def test_services_never_commit(app, db, people, rubric):
    """Recording flushes inside the caller's transaction: a rollback leaves nothing."""
    services.record_observation(
        people.user("instructor"), services.scope_for(people.user("instructor")),
        people.workers["V1-001"], rubric,
        services.ObservationInput(kind="role_play", observed_at=services.EARLIEST.replace(
            year=2025), scores=dict.fromkeys(CODES, 3)))
    db.session.rollback()
    assert count(db) == 0
