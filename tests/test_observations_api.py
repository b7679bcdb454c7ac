"""POST/GET /api/v1/observations: create, list in scope, and every error without a trace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from academy.observations.models import Observation
from tests.observation_factories import *  # noqa: F403  (the people and rubric fixtures)
from tests.observation_factories import CODES, observe, token

BODY = {"employee_no": "V1-001", "rubric": "test-counter",
        "scores": {"greeting": 4, "one_time_notice": 5, "closing": None},
        "notes": "整体良好"}


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Observation))


def test_create_returns_the_observation(client, db, people, rubric):
    headers = token(client, "assessor")
    body = {**BODY, "criterion_notes": {"greeting": "起身问候"}, "kind": "role_play",
            "observed_at": "2025-03-03T10:30:00+08:00"}
    response = client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["employee_no"] == "V1-001" and data["name"] == "东一张三"
    assert data["org_unit"] == "V1" and data["rubric"] == "test-counter"
    assert data["rubric_title"] == "测试接待量表" and data["kind"] == "role_play"
    assert data["observer"] == "assessor" and data["observer_role"] == "assessor"
    assert data["scores"] == {"greeting": 4, "one_time_notice": 5, "closing": None}
    assert data["mean_score"] == 4.5 and data["notes"] == "整体良好"
    assert datetime.fromisoformat(data["observed_at"]) == datetime(2025, 3, 3, 2, 30,
                                                                   tzinfo=UTC)
    assert data["criteria"][0] == {"code": "greeting", "name": "微笑问候", "skill": "ETIQUETTE",
                                   "score": 4, "note": "起身问候"}
    assert [c["code"] for c in data["criteria"]] == CODES
    stored = db.session.get(Observation, data["id"])
    assert stored.observer.username == "assessor"
    # What the API gave is what the list and the item give.
    listed = client.get("/api/v1/observations", headers=headers).get_json()
    assert listed["items"] == [data] and listed["total"] == 1
    assert client.get(f"/api/v1/observations/{data['id']}", headers=headers).get_json() == data


def test_defaults_kind_from_the_rubric_and_time_now(client, db, people, rubric):
    before = datetime.now(UTC)
    response = client.post("/api/v1/observations", json=BODY,
                           headers=token(client, "instructor"))
    assert response.status_code == 201
    data = response.get_json()
    assert data["kind"] == "counter_session" and data["observer_role"] == "instructor"
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(data["observed_at"]) \
        <= datetime.now(UTC)


@pytest.mark.parametrize(("change", "fields"), [
    ({"scores": {"greeting": 4, "one_time_notice": 5}}, {"scores.closing"}),
    ({"scores": {"greeting": 6, "one_time_notice": 0, "closing": 3}},
     {"scores.greeting", "scores.one_time_notice"}),
    ({"scores": {"greeting": 4, "one_time_notice": 5, "closing": 3, "smile": 5}},
     {"scores.smile"}),
    ({"scores": dict.fromkeys(CODES)}, {"scores"}),
    ({"scores": {"greeting": "4", "one_time_notice": 5, "closing": 3}}, {"scores.greeting.value"}),
    ({"scores": {"greeting": 4.5, "one_time_notice": 5, "closing": 3}},
     {"scores.greeting.value"}),
    ({"scores": [4, 5, 3]}, {"scores"}),
    ({"rubric": "no-such-rubric"}, {"rubric"}),
    ({"kind": "interview"}, {"kind"}),
    ({"observed_at": "2999-01-01T00:00:00+00:00"}, {"observed_at"}),
    ({"observed_at": "1999-12-31T00:00:00+00:00"}, {"observed_at"}),
    ({"observed_at": "yesterday"}, {"observed_at"}),
    ({"notes": "x" * 4001}, {"notes"}),
    ({"notes": "a\x00b"}, {"notes"}),
    ({"criterion_notes": {"greeting": "长" * 1001}}, {"criterion_notes.greeting"}),
    ({"criterion_notes": {"nope": "?"}}, {"criterion_notes.nope"}),
    ({"employee_no": ""}, {"employee_no"}),
    ({"scores": None}, {"scores"}),
])
def test_invalid_data_is_422_with_fields_and_writes_nothing(client, db, people, rubric, change,
                                                            fields):
    response = client.post("/api/v1/observations", json={**BODY, **change},
                           headers=token(client, "instructor"))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert fields <= set(error["fields"]), error
    assert all(error["fields"][name] for name in fields)
    assert count(db) == 0


def test_missing_fields(client, db, people, rubric):
    response = client.post("/api/v1/observations", json={},
                           headers=token(client, "instructor"))
    assert response.status_code == 422
    assert {"employee_no", "rubric", "scores"} <= set(response.get_json()["error"]["fields"])


@pytest.mark.parametrize("payload", [b"{", b"[]", b"null", b"\xff"])
def test_malformed_bodies_never_fail(client, db, people, rubric, payload):
    response = client.post("/api/v1/observations", data=payload,
                           content_type="application/json", headers=token(client, "instructor"))
    assert response.status_code in {400, 422}
    assert count(db) == 0


@pytest.mark.parametrize(("user", "employee_no"), [
    ("assessor", "V2-001"),  # engaged for S1 only
    ("instructor", "V2-001"),
    ("admin-s2", "V1-001"),
    ("idle", "V1-001"),  # an assessor with no engagement
    ("instructor", "NO-SUCH"),
])
def test_workers_out_of_scope_are_not_found(client, db, people, rubric, user, employee_no):
    response = client.post("/api/v1/observations", json={**BODY, "employee_no": employee_no},
                           headers=token(client, user))
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    # Same words whether the record exists elsewhere or not at all.
    assert error["message"] == (f"No staff member with employee number {employee_no} in your "
                                "units.")
    assert count(db) == 0


def test_an_out_of_scope_worker_is_404_before_the_rubric_is_checked(client, people, rubric):
    response = client.post("/api/v1/observations",
                           json={**BODY, "employee_no": "V2-001", "rubric": "no-such"},
                           headers=token(client, "assessor"))
    assert response.status_code == 404


def test_roles(client, db, people, rubric):
    assert client.post("/api/v1/observations", json=BODY).status_code == 401
    assert client.post("/api/v1/observations", json=BODY,
                       headers=token(client, "v1-001")).status_code == 403
    assert count(db) == 0


def test_list_is_scoped_and_paginated(client, db, people, rubric):
    for _ in range(3):
        observe(people.user("instructor"), people.workers["V1-001"], rubric)
    observe(people.user("instructor"), people.workers["V1-002"], rubric)
    v2 = observe(people.user("admin-s2"), people.workers["V2-001"], rubric)

    def listing(user: str, query: str = "") -> dict:
        response = client.get("/api/v1/observations" + query, headers=token(client, user))
        assert response.status_code == 200
        return response.get_json()

    assert listing("admin-d")["total"] == 5
    assert listing("assessor")["total"] == 4
    assert {i["employee_no"] for i in listing("assessor")["items"]} == {"V1-001", "V1-002"}
    assert listing("admin-s2")["total"] == 1
    assert listing("admin-s2", "?employee_no=V1-001")["total"] == 0
    assert listing("idle")["items"] == []
    page = listing("instructor", "?employee_no=V1-001&page=2&per_page=2")
    assert page["total"] == 3 and page["page"] == 2 and page["per_page"] == 2
    assert len(page["items"]) == 1
    own = listing("v1-001")  # a trainee: their own only
    assert own["total"] == 3 and {i["employee_no"] for i in own["items"]} == {"V1-001"}
    assert listing("v2-001")["items"][0]["id"] == v2.id
    bad = client.get("/api/v1/observations?per_page=501", headers=token(client, "admin-d"))
    assert bad.status_code == 422


def test_item_outside_the_scope_is_not_found(client, people, rubric):
    v2 = observe(people.user("admin-s2"), people.workers["V2-001"], rubric)
    for user in ("assessor", "instructor", "admin-s1", "v1-001", "idle"):
        response = client.get(f"/api/v1/observations/{v2.id}", headers=token(client, user))
        assert response.status_code == 404, user
    assert client.get(f"/api/v1/observations/{v2.id}",
                      headers=token(client, "v2-001")).status_code == 200
    assert client.get("/api/v1/observations/0", headers=token(client, "admin-d")).status_code \
        == 404
    assert client.get(f"/api/v1/observations/{2**40}",
                      headers=token(client, "admin-d")).status_code == 404


def test_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/observations"]["post"]
    assert {"201", "404", "422"} <= set(post["responses"])
    assert "scores" in spec["components"]["schemas"]["ObservationCreate"]["properties"]
    assert "get" in spec["paths"]["/api/v1/observations/{observation_id}"]


# ---------------------------------------------------------------- wild bodies, deeper


def test_wild_bodies_never_fail_on_the_server(app, client, db, people, rubric):
    """Plausible requests (real workers, the real rubric) with wild values mixed in."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    headers = token(client, "admin-d")
    values = st.one_of(st.none(), st.integers(-10, 10), st.integers(), st.floats(),
                       st.booleans(), st.text(max_size=5), st.lists(st.integers(), max_size=2))
    keys = st.one_of(st.sampled_from([*CODES, "x"]), st.text(max_size=8))
    body = st.fixed_dictionaries({
        "employee_no": st.sampled_from(["V1-001", "V2-001", "NOPE", "", "V1-001\x00"]),
        "rubric": st.sampled_from(["test-counter", "nope", ""]),
        "scores": st.one_of(st.dictionaries(keys, values, max_size=5),
                            st.fixed_dictionaries({code: st.integers(1, 5) for code in CODES})),
    }, optional={
        "notes": st.one_of(st.none(), st.text(max_size=20)),
        "kind": st.sampled_from(["role_play", "counter_session", "x"]),
        "observed_at": st.one_of(
            st.datetimes(timezones=st.sampled_from([UTC, None])).map(lambda d: d.isoformat()),
            st.sampled_from(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
                             "2024-02-30T00:00:00Z", "", "now"])),
        "criterion_notes": st.dictionaries(keys, st.one_of(st.none(), st.text(max_size=5),
                                                           st.integers()), max_size=3),
    })

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              print_blob=False, suppress_health_check=list(HealthCheck))
    @given(payload=body)
    def run(payload):
        response = client.post("/api/v1/observations", json=payload, headers=headers)
        assert response.status_code in {201, 404, 422}, (payload, response.get_json())
        if response.status_code != 201:
            assert set(response.get_json()["error"]) == {"code", "message", "fields"}

    run()
