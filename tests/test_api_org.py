"""JSON API: org units, staff records and the roster import (/api/v1)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from tests.conftest import PASSWORD

WORKER_KEYS = {"employee_no", "name", "org_unit", "org_unit_name", "employment_type", "employer",
               "hire_date", "post", "status", "leave_date", "leave_reason", "roles"}


def assert_problem(response, status: int, *fields: str) -> dict:
    """The response is an API error of ``status`` naming (at least) ``fields``.

    Nested problems are reported per element ("roles.0"), which counts for "roles".
    """
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] and error["message"]
    named = {key.split(".")[0] for key in error["fields"]}
    for field in fields:
        assert field in named, error
    return error


@pytest.fixture
def admin(orgs, api_token):
    """Bearer headers of an admin of S1 (S1 and V1 are in scope; D, S2 and V2 are not)."""
    return api_token(roles=("admin",), unit=orgs["S1"])


def new_worker(**overrides) -> dict:
    body = {"employee_no": "N001", "name": "李四", "org_unit": "V1",
            "employment_type": "contract", "employer": "某劳务公司", "hire_date": "2023-05-01",
            "post": "综合窗口"}
    body.update(overrides)
    return body


# ---------------------------------------------------------------- access matrix


ENDPOINTS = [
    ("get", "/api/v1/org-units", None),
    ("post", "/api/v1/org-units", {"code": "X1", "name": "x", "level": "village",
                                   "parent": "S1"}),
    ("get", "/api/v1/workers", None),
    ("post", "/api/v1/workers", new_worker()),
    ("patch", "/api/v1/workers/W1", {"post": "x"}),
    ("post", "/api/v1/workers/import", None),
]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_anonymous_gets_401_problem(client, orgs, method, url, body):
    response = getattr(client, method)(url, json=body)
    assert_problem(response, 401)


@pytest.mark.parametrize("roles", [("trainee",), ("instructor",), ("assessor",)])
@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_non_admins_get_403(client, orgs, make_worker, api_token, roles, method, url, body):
    make_worker(orgs["V1"], "W1")
    headers = api_token(roles=roles, unit=orgs["D"])
    response = getattr(client, method)(url, json=body, headers=headers)
    assert_problem(response, 403)


# ---------------------------------------------------------------- org units


def test_admin_lists_units_of_own_subtree(client, orgs, admin):
    response = client.get("/api/v1/org-units", headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 50
    assert body["items"] == [
        {"code": "S1", "name": "东街道", "level": "subdistrict", "parent": "D"},
        {"code": "V1", "name": "东一社区", "level": "village", "parent": "S1"},
    ]


def test_unit_list_pages(client, orgs, api_token):
    headers = api_token(unit=orgs["D"])
    second = client.get("/api/v1/org-units?page=2&per_page=2", headers=headers).get_json()
    assert second["total"] == 5 and second["page"] == 2 and second["per_page"] == 2
    assert len(second["items"]) == 2
    everything = client.get("/api/v1/org-units?per_page=500", headers=headers).get_json()
    assert [u["code"] for u in everything["items"]][0] == "D"
    assert {u["code"] for u in everything["items"]} == {"D", "S1", "S2", "V1", "V2"}
    beyond = client.get("/api/v1/org-units?page=9", headers=headers).get_json()
    assert beyond["items"] == [] and beyond["total"] == 5


@pytest.mark.parametrize(("query", "field"), [
    ("per_page=501", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"),
    ("page=abc", "page"), ("per_page=1.5", "per_page"),
])
def test_bad_paging_is_422(client, orgs, admin, query, field):
    assert_problem(client.get(f"/api/v1/org-units?{query}", headers=admin), 422, field)
    assert_problem(client.get(f"/api/v1/workers?{query}", headers=admin), 422, field)


def test_create_unit(client, orgs, admin):
    response = client.post("/api/v1/org-units", headers=admin, json={
        "code": "V3", "name": "东二社区", "level": "village", "parent": "S1"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"code": "V3", "name": "东二社区", "level": "village",
                                   "parent": "S1"}
    listed = client.get("/api/v1/org-units", headers=admin).get_json()
    assert "V3" in {u["code"] for u in listed["items"]}


def test_create_unit_duplicate_code_is_409(client, orgs, admin):
    response = client.post("/api/v1/org-units", headers=admin, json={
        "code": "V2", "name": "重复", "level": "village", "parent": "S1"})
    assert_problem(response, 409, "code")


@pytest.mark.parametrize(("body", "fields"), [
    ({}, ("code", "name", "level", "parent")),
    ({"code": "V3", "name": "x", "level": "hamlet", "parent": "S1"}, ("level",)),
    ({"code": "V3", "name": "x", "level": "subdistrict", "parent": "S1"}, ("parent",)),
    ({"code": "V3", "name": "x", "level": "district", "parent": "S1"}, ("parent",)),
    ({"code": "V3", "name": "x", "level": "village", "parent": "NOPE"}, ("parent",)),
    ({"code": "V 3", "name": "x", "level": "village", "parent": "S1"}, ("code",)),
    ({"code": "V3", "name": "  ", "level": "village", "parent": "S1"}, ("name",)),
    ({"code": "V3", "name": "x" * 121, "level": "village", "parent": "S1"}, ("name",)),
    ({"code": "V3", "name": "a\x00b", "level": "village", "parent": "S1"}, ("name",)),
    ({"code": 5, "name": ["x"], "level": None, "parent": 1}, ("code", "name", "level", "parent")),
    ({"code": "V3", "name": "x", "level": "village", "parent": "S1", "extra": 1}, ("extra",)),
])
def test_create_unit_invalid_is_422(client, orgs, admin, body, fields):
    assert_problem(client.post("/api/v1/org-units", headers=admin, json=body), 422, *fields)


def test_create_unit_outside_scope_is_403(client, orgs, admin):
    for parent in ("S2", "D", None):
        response = client.post("/api/v1/org-units", headers=admin, json={
            "code": "X9", "name": "x", "level": "village", "parent": parent})
        assert_problem(response, 403)


def test_malformed_json_is_400(client, orgs, admin):
    response = client.post("/api/v1/org-units", headers=admin, data="{nope",
                           content_type="application/json")
    assert_problem(response, 400)
    response = client.patch("/api/v1/workers/W1", headers=admin, data="[1,",
                            content_type="application/json")
    assert response.status_code in {400, 404}
    assert "error" in response.get_json()


def test_json_that_is_not_an_object_is_422(client, orgs, admin):
    assert_problem(client.post("/api/v1/org-units", headers=admin, json=["V3"]), 422)
    assert_problem(client.post("/api/v1/workers", headers=admin, json="x"), 422)


# ---------------------------------------------------------------- listing workers


@pytest.fixture
def staff(orgs, make_worker, make_user):
    """Workers across the tree; W1 has an account with two roles."""
    w1 = make_worker(orgs["V1"], "W1", name="张一", post="综合窗口")
    make_user("W1", roles=("trainee", "instructor"), unit=orgs["V1"], worker=w1)
    make_worker(orgs["S1"], "W2", name="张二", employment_type="civil_servant", post="审批岗")
    make_worker(orgs["V2"], "W3", name="王三")
    make_worker(orgs["D"], "W4", name="赵四")
    return w1


def test_list_workers_of_own_subtree(client, staff, admin):
    body = client.get("/api/v1/workers", headers=admin).get_json()
    assert body["total"] == 2 and body["page"] == 1
    assert [w["employee_no"] for w in body["items"]] == ["W1", "W2"]
    first = body["items"][0]
    assert set(first) == WORKER_KEYS
    assert first == {
        "employee_no": "W1", "name": "张一", "org_unit": "V1", "org_unit_name": "东一社区",
        "employment_type": "contract", "employer": "某劳务公司", "hire_date": "2024-03-01",
        "post": "综合窗口", "status": "active", "leave_date": None, "leave_reason": None,
        "roles": ["trainee", "instructor"],
    }
    assert body["items"][1]["roles"] == [] and body["items"][1]["employer"] is None


@pytest.mark.parametrize(("query", "expected"), [
    ("org_unit=V1", ["W1"]),
    ("org_unit=S1", ["W1", "W2"]),
    ("q=张二", ["W2"]),
    ("q=W1", ["W1"]),
    ("q=nobody", []),
    ("status=active", ["W1", "W2"]),
    ("status=left", []),
    ("employment_type=civil_servant", ["W2"]),
    ("post=综合窗口", ["W1"]),
    ("org_unit=", ["W1", "W2"]),
    ("q=%25", ["W1", "W2"]),
])
def test_worker_filters(client, staff, admin, query, expected):
    body = client.get(f"/api/v1/workers?{query}", headers=admin).get_json()
    assert [w["employee_no"] for w in body["items"]] == expected
    assert body["total"] == len(expected)


def test_worker_filter_errors(client, staff, admin):
    assert_problem(client.get("/api/v1/workers?org_unit=NOPE", headers=admin), 422, "org_unit")
    assert_problem(client.get("/api/v1/workers?org_unit=V2", headers=admin), 403)
    assert_problem(client.get("/api/v1/workers?org_unit=D", headers=admin), 403)
    assert_problem(client.get("/api/v1/workers?status=gone", headers=admin), 422, "status")
    assert_problem(client.get("/api/v1/workers?employment_type=x", headers=admin), 422,
                   "employment_type")
    assert_problem(client.get("/api/v1/workers?q=a%00b", headers=admin), 422, "q")


def test_district_admin_sees_everyone_paged(client, staff, api_token, orgs):
    headers = api_token(unit=orgs["D"])
    body = client.get("/api/v1/workers?per_page=3&page=2", headers=headers).get_json()
    assert body["total"] == 4 and body["per_page"] == 3
    assert [w["employee_no"] for w in body["items"]] == ["W4"]


def test_worker_list_does_not_query_per_row(app, client, orgs, make_worker, make_user, api_token,
                                            db):
    headers = api_token(unit=orgs["D"])

    def statements_for_listing() -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            response = client.get("/api/v1/workers?per_page=500", headers=headers)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        assert response.status_code == 200
        return count

    for i in range(2):
        worker = make_worker(orgs["V1"], f"A{i:03d}")
        make_user(f"A{i:03d}", roles=("trainee",), unit=orgs["V1"], worker=worker)
    few = statements_for_listing()
    for i in range(2, 25):
        unit = orgs["V1"] if i % 2 else orgs["V2"]
        worker = make_worker(unit, f"A{i:03d}")
        make_user(f"A{i:03d}", roles=("trainee", "assessor"), unit=unit, worker=worker)
    many = statements_for_listing()
    assert many == few


# ---------------------------------------------------------------- one worker


def test_get_worker(client, staff, admin):
    response = client.get("/api/v1/workers/W1", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["roles"] == ["trainee", "instructor"]
    assert_problem(client.get("/api/v1/workers/W3", headers=admin), 403)
    assert_problem(client.get("/api/v1/workers/W4", headers=admin), 403)
    assert_problem(client.get("/api/v1/workers/NOPE", headers=admin), 404)
    assert_problem(client.get("/api/v1/workers/" + "x" * 300, headers=admin), 404)
    assert_problem(client.get("/api/v1/workers/a%00b", headers=admin), 404)
    assert_problem(client.get("/api/v1/workers/W1"), 401)


def test_trainee_reads_own_record_only(client, orgs, make_worker, api_token):
    me = make_worker(orgs["V1"], "T1")
    make_worker(orgs["V1"], "T2")
    headers = api_token(roles=("trainee",), unit=orgs["V1"], worker=me)
    own = client.get("/api/v1/workers/T1", headers=headers)
    assert own.status_code == 200 and own.get_json()["roles"] == ["trainee"]
    assert_problem(client.get("/api/v1/workers/T2", headers=headers), 403)
    assert_problem(client.get("/api/v1/workers/NOPE", headers=headers), 404)
    assert_problem(client.patch("/api/v1/workers/T1", headers=headers, json={"post": "x"}), 403)


# ---------------------------------------------------------------- creating workers


def test_create_worker(client, orgs, admin):
    response = client.post("/api/v1/workers", headers=admin, json=new_worker())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body == {
        "employee_no": "N001", "name": "李四", "org_unit": "V1", "org_unit_name": "东一社区",
        "employment_type": "contract", "employer": "某劳务公司", "hire_date": "2023-05-01",
        "post": "综合窗口", "status": "active", "leave_date": None, "leave_reason": None,
        "roles": [],
    }
    assert client.get("/api/v1/workers/N001", headers=admin).get_json() == body


def test_create_worker_with_roles_creates_account(client, orgs, admin, db):
    from academy.auth.services import get_user_by_username

    response = client.post("/api/v1/workers", headers=admin,
                           json=new_worker(roles=["trainee", "instructor"]))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["roles"] == ["trainee", "instructor"]
    account = get_user_by_username("N001")
    assert account.worker.employee_no == "N001" and account.org_unit.code == "V1"
    assert account.password_hash is None and account.active
    assert client.get("/api/v1/workers/N001", headers=admin).get_json()["roles"] == [
        "trainee", "instructor"]


def test_create_worker_who_has_left(client, orgs, admin):
    from academy.auth.services import get_user_by_username

    response = client.post("/api/v1/workers", headers=admin, json=new_worker(
        roles=["trainee"], status="left", leave_date="2024-01-31", leave_reason="合同到期"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "left" and body["leave_date"] == "2024-01-31"
    assert body["leave_reason"] == "合同到期"
    assert not get_user_by_username("N001").active


def test_create_worker_duplicate_is_409(client, staff, admin):
    response = client.post("/api/v1/workers", headers=admin, json=new_worker(employee_no="W3"))
    assert_problem(response, 409, "employee_no")


def test_create_worker_username_taken_is_409(client, orgs, admin, make_user):
    make_user("N001", unit=orgs["V1"])
    response = client.post("/api/v1/workers", headers=admin, json=new_worker(roles=["trainee"]))
    assert_problem(response, 409)
    assert_problem(client.get("/api/v1/workers/N001", headers=admin), 404)  # rolled back


@pytest.mark.parametrize(("overrides", "fields"), [
    ({"employee_no": None, "name": None, "org_unit": None, "employment_type": None,
      "hire_date": None}, ("employee_no", "name", "org_unit", "employment_type", "hire_date")),
    ({"employee_no": ""}, ("employee_no",)),
    ({"employee_no": "x" * 33}, ("employee_no",)),
    ({"name": "x" * 65}, ("name",)),
    ({"employment_type": "intern"}, ("employment_type",)),
    ({"employer": None}, ("employer",)),
    ({"employer": ""}, ("employer",)),
    ({"hire_date": "2023-13-01"}, ("hire_date",)),
    ({"hire_date": "01/05/2023"}, ("hire_date",)),
    ({"hire_date": (date.today() + timedelta(days=3)).isoformat()}, ("hire_date",)),
    ({"org_unit": "NOPE"}, ("org_unit",)),
    ({"roles": ["superuser"]}, ("roles",)),
    ({"roles": "admin"}, ("roles",)),
    ({"status": "left"}, ("leave_date",)),
    ({"status": "gone"}, ("status",)),
    ({"leave_date": "2024-01-01"}, ("leave_date",)),
    ({"status": "left", "leave_date": "2020-01-01"}, ("leave_date",)),
    ({"leave_reason": "x" * 256}, ("leave_reason",)),
    ({"post": "x" * 65}, ("post",)),
    ({"name": "\ud800"}, ("name",)),
    ({"employee_no": "N\x00"}, ("employee_no",)),
    ({"id": 7}, ("id",)),
    ({"org_unit_name": "x"}, ("org_unit_name",)),
])
def test_create_worker_invalid_is_422(client, orgs, admin, overrides, fields):
    body = new_worker()
    for key, value in overrides.items():
        if value is None and key in {"employee_no", "name", "org_unit", "employment_type",
                                     "hire_date"}:
            body.pop(key)
        else:
            body[key] = value
    response = client.post("/api/v1/workers", headers=admin, json=body)
    assert_problem(response, 422, *fields)
    assert client.get("/api/v1/workers", headers=admin).get_json()["total"] == 0


def test_create_worker_outside_scope_is_403(client, orgs, admin):
    for unit in ("V2", "D"):
        response = client.post("/api/v1/workers", headers=admin, json=new_worker(org_unit=unit))
        assert_problem(response, 403)


# ---------------------------------------------------------------- changing workers


def test_patch_worker_fields(client, staff, admin):
    response = client.patch("/api/v1/workers/W1", headers=admin, json={
        "name": " 张一一 ", "post": "审批岗", "org_unit": "S1", "employment_type": "civil_servant",
        "employer": None, "hire_date": "2022-02-02"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "张一一" and body["post"] == "审批岗" and body["org_unit"] == "S1"
    assert body["employment_type"] == "civil_servant" and body["employer"] is None
    assert body["hire_date"] == "2022-02-02" and body["employee_no"] == "W1"
    assert body["roles"] == ["trainee", "instructor"]
    assert client.get("/api/v1/workers/W1", headers=admin).get_json() == body


def test_empty_patch_changes_nothing(client, staff, admin):
    before = client.get("/api/v1/workers/W1", headers=admin).get_json()
    response = client.patch("/api/v1/workers/W1", headers=admin, json={})
    assert response.status_code == 200 and response.get_json() == before


def test_patch_marks_worker_left_and_disables_account(client, orgs, make_worker, api_token,
                                                      admin):
    worker = make_worker(orgs["V1"], "L1")
    own_token = api_token(roles=("trainee",), unit=orgs["V1"], worker=worker)
    assert client.get("/api/v1/workers/L1", headers=own_token).status_code == 200
    response = client.patch("/api/v1/workers/L1", headers=admin, json={
        "status": "left", "leave_date": "2025-01-31", "leave_reason": "辞职"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["leave_date"], body["leave_reason"]) == (
        "left", "2025-01-31", "辞职")
    assert client.get("/api/v1/workers/L1", headers=own_token).status_code == 401
    # Repeating the same values is harmless; changing them afterwards is refused.
    again = client.patch("/api/v1/workers/L1", headers=admin, json={
        "status": "left", "leave_date": "2025-01-31", "leave_reason": "辞职"})
    assert again.status_code == 200
    assert_problem(client.patch("/api/v1/workers/L1", headers=admin,
                                json={"leave_date": "2025-02-01"}), 422, "leave_date")
    back = client.patch("/api/v1/workers/L1", headers=admin, json={"status": "active"})
    assert back.status_code == 200
    assert back.get_json()["status"] == "active" and back.get_json()["leave_date"] is None


@pytest.mark.parametrize(("body", "fields"), [
    ({"employee_no": "W9"}, ("employee_no",)),
    ({"status": "left"}, ("leave_date",)),
    ({"status": "left", "leave_date": None}, ("leave_date",)),
    ({"status": "left", "leave_date": "2000-01-01"}, ("leave_date",)),
    ({"leave_reason": "x"}, ("leave_reason",)),
    ({"name": ""}, ("name",)),
    ({"name": None}, ("name",)),
    ({"org_unit": "NOPE"}, ("org_unit",)),
    ({"employer": ""}, ("employer",)),
    ({"hire_date": "yesterday"}, ("hire_date",)),
    ({"roles": ["root"]}, ("roles",)),
    ({"roles": None}, ("roles",)),
    ({"employment_type": None}, ("employment_type",)),
])
def test_patch_invalid_is_422(client, staff, admin, body, fields):
    before = client.get("/api/v1/workers/W1", headers=admin).get_json()
    assert_problem(client.patch("/api/v1/workers/W1", headers=admin, json=body), 422, *fields)
    assert client.get("/api/v1/workers/W1", headers=admin).get_json() == before


def test_patch_scope(client, staff, admin):
    assert_problem(client.patch("/api/v1/workers/W1", headers=admin,
                                json={"org_unit": "V2"}), 403)
    assert_problem(client.patch("/api/v1/workers/W3", headers=admin, json={"post": "x"}), 403)
    assert_problem(client.patch("/api/v1/workers/NOPE", headers=admin, json={"post": "x"}), 404)
    assert client.get("/api/v1/workers/W1", headers=admin).get_json()["org_unit"] == "V1"


def test_patch_roles(client, staff, admin):
    from academy.auth.services import get_user_by_username

    changed = client.patch("/api/v1/workers/W1", headers=admin, json={"roles": ["assessor"]})
    assert changed.status_code == 200 and changed.get_json()["roles"] == ["assessor"]
    created = client.patch("/api/v1/workers/W2", headers=admin,
                           json={"roles": ["trainee", "admin"]})
    assert created.status_code == 200 and created.get_json()["roles"] == ["trainee", "admin"]
    account = get_user_by_username("W2")
    assert account.worker.employee_no == "W2" and account.org_unit.code == "S1"
    cleared = client.patch("/api/v1/workers/W2", headers=admin, json={"roles": []})
    assert cleared.get_json()["roles"] == []
    assert get_user_by_username("W2") is not None  # the account stays, without roles


def test_patch_roles_without_account_and_empty_list_creates_nothing(client, staff, admin):
    from academy.auth.services import get_user_by_username

    response = client.patch("/api/v1/workers/W2", headers=admin, json={"roles": []})
    assert response.status_code == 200 and response.get_json()["roles"] == []
    assert get_user_by_username("W2") is None


# ---------------------------------------------------------------- token vs session


def test_session_cookie_works_for_reads_and_csrf_guards_writes(app, client, orgs, make_user,
                                                               api_token, monkeypatch):
    make_user("boss", roles=("admin",), unit=orgs["S1"])
    assert client.post("/login", data={"username": "boss", "password": PASSWORD}).status_code \
        == 302
    assert client.get("/api/v1/workers").status_code == 200  # session auth

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post("/api/v1/workers", json=new_worker())
    error = assert_problem(refused, 400)
    assert error["code"] == "csrf_failed"
    assert_problem(client.patch("/api/v1/workers/N001", json={"post": "x"}), 400)

    other = app.test_client()  # no session: the bearer token alone needs no CSRF token
    headers = api_token(unit=orgs["S1"])
    created = other.post("/api/v1/workers", json=new_worker(), headers=headers)
    assert created.status_code == 201, created.get_json()


def test_bad_and_revoked_tokens_are_401(client, orgs, admin):
    assert_problem(client.get("/api/v1/workers", headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(client.get("/api/v1/workers", headers={"Authorization": "Basic abc"}), 401)
    assert client.delete("/api/v1/tokens/current", headers=admin).status_code == 204
    assert_problem(client.get("/api/v1/workers", headers=admin), 401)


# ---------------------------------------------------------------- roster import

HEADER = "工号,姓名,所属单位编码,用工性质,劳务公司,入职日期,岗位,状态,离职日期,离职原因"
GOOD_ROWS = [
    "R001,李四,V1,劳务派遣合同,某劳务公司,2023-05-01,综合窗口,在职,,",
    "R002,王五,S1,在编公务员,,2020-01-15,审批岗,在职,,",
]


def roster(*rows: str, encoding: str = "utf-8") -> bytes:
    return "\n".join([HEADER, *rows]).encode(encoding) + b"\n"


def upload(client, headers, data: bytes, filename: str = "roster.csv", **form):
    return client.post("/api/v1/workers/import", headers=headers,
                       data={"file": (io.BytesIO(data), filename), **form},
                       content_type="multipart/form-data")


def total(client, headers) -> int:
    return client.get("/api/v1/workers", headers=headers).get_json()["total"]


def test_import_is_a_dry_run_by_default(client, orgs, admin):
    response = upload(client, admin, roster(*GOOD_ROWS))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"created": 2, "updated": 0, "unchanged": 0, "errors": [],
                                   "dry_run": True}
    assert total(client, admin) == 0


def test_import_writes_when_asked(client, orgs, make_worker, admin):
    make_worker(orgs["V1"], "R003", name="赵六", employment_type="civil_servant",
                hire_date=date(2021, 6, 1), post="综合窗口")
    rows = [*GOOD_ROWS, "R003,赵六,V1,在编公务员,,2021-06-01,综合窗口,在职,,"]
    response = upload(client, admin, roster(*rows), dry_run="false")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 1)
    assert body["errors"] == [] and body["dry_run"] is False
    assert total(client, admin) == 3
    r001 = client.get("/api/v1/workers/R001", headers=admin).get_json()
    assert r001["employment_type"] == "contract" and r001["employer"] == "某劳务公司"

    renamed = roster("R001,李四四,V1,劳务派遣合同,某劳务公司,2023-05-01,综合窗口,在职,,")
    body = upload(client, admin, renamed, dry_run="false").get_json()
    assert (body["created"], body["updated"]) == (0, 1)
    assert client.get("/api/v1/workers/R001", headers=admin).get_json()["name"] == "李四四"


def test_import_with_row_errors_writes_nothing(client, orgs, admin):
    rows = [*GOOD_ROWS, "R004,钱七,V1,外包,,2022-01-01,综合窗口,在职,,"]
    response = upload(client, admin, roster(*rows), dry_run="false")
    assert response.status_code == 200
    body = response.get_json()
    assert body["errors"] and all(set(e) == {"row", "column", "message"} for e in body["errors"])
    assert {"row": 4, "column": "用工性质"} in [
        {"row": e["row"], "column": e["column"]} for e in body["errors"]]
    assert total(client, admin) == 0


def test_import_rows_outside_scope_are_errors(client, orgs, admin):
    response = upload(client, admin, roster("R005,孙八,V2,在编公务员,,2022-01-01,,在职,,"),
                      dry_run="false")
    assert response.status_code == 200
    errors = response.get_json()["errors"]
    assert errors and errors[0]["row"] == 2 and errors[0]["column"] == "所属单位编码"
    assert client.get("/api/v1/workers?per_page=500",
                      headers=admin).get_json()["total"] == 0


def test_import_gbk_csv_as_raw_body(client, orgs, admin):
    response = client.post("/api/v1/workers/import?dry_run=false&filename=roster.csv",
                           headers=admin, data=roster(*GOOD_ROWS, encoding="gbk"),
                           content_type="text/csv")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 2
    assert client.get("/api/v1/workers/R002", headers=admin).get_json()["name"] == "王五"


def test_import_xlsx(client, orgs, admin):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in GOOD_ROWS:
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, admin, buffer.getvalue(), "名册.xlsx")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 2


def test_import_unreadable_file_is_422(client, orgs, admin):
    response = upload(client, admin, b"PK\x03\x04 not really a workbook", "roster.xlsx")
    assert_problem(response, 422)


def test_import_unsupported_type_is_415(client, orgs, admin):
    assert_problem(upload(client, admin, b"%PDF-1.4", "roster.pdf"), 415)
    response = client.post("/api/v1/workers/import", headers=admin, json={"rows": []})
    assert_problem(response, 415)
    response = client.post("/api/v1/workers/import", headers=admin, data=b"abc",
                           content_type="application/octet-stream")
    assert_problem(response, 415, "filename")


def test_import_without_file_is_400(client, orgs, admin):
    assert_problem(client.post("/api/v1/workers/import", headers=admin), 400)
    response = client.post("/api/v1/workers/import", headers=admin, data={"dry_run": "true"},
                           content_type="multipart/form-data")
    assert_problem(response, 400)
    assert_problem(upload(client, admin, b""), 400)


def test_import_bad_dry_run_is_422(client, orgs, admin):
    assert_problem(upload(client, admin, roster(*GOOD_ROWS), dry_run="maybe"), 422, "dry_run")
    response = client.post("/api/v1/workers/import?dry_run=maybe", headers=admin,
                           data=roster(*GOOD_ROWS), content_type="text/csv")
    assert_problem(response, 422, "dry_run")
    response = client.post("/api/v1/workers/import?dry_run=true", headers=admin,
                           data={"file": (io.BytesIO(roster(*GOOD_ROWS)), "r.csv"),
                                 "dry_run": "false"}, content_type="multipart/form-data")
    assert_problem(response, 422, "dry_run")


def test_import_too_large_is_413(app, client, orgs, admin, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    big = roster(*GOOD_ROWS * 40)
    assert len(big) > 1024
    assert_problem(upload(client, admin, big), 413)
    response = client.post("/api/v1/workers/import?filename=r.csv", headers=admin, data=big,
                           content_type="text/csv")
    assert_problem(response, 413)


# ---------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid_and_complete(client):
    import schemathesis

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()  # against the OpenAPI 3.0 meta-schema
    paths = document["paths"]
    expected = {
        "/api/v1/org-units": {"get", "post"},
        "/api/v1/workers": {"get", "post"},
        "/api/v1/workers/{employee_no}": {"get", "patch"},
        "/api/v1/workers/import": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"]
            assert "security" not in operation  # the document-wide bearerAuth applies
            for status in ("401", "403"):
                assert status in operation["responses"], (path, method, status)
    assert document["security"] == [{"bearerAuth": []}]
    error = document["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"code", "message", "fields"}
    worker = document["components"]["schemas"]["Worker"]
    assert set(worker["properties"]) == WORKER_KEYS
    assert worker["properties"]["hire_date"]["format"] == "date"
    assert "409" in paths["/api/v1/workers"]["post"]["responses"]
    assert "404" in paths["/api/v1/workers/{employee_no}"]["patch"]["responses"]
    assert "multipart/form-data" in paths["/api/v1/workers/import"]["post"]["requestBody"][
        "content"]
