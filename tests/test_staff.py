"""Staff pages: the roster list and export, staff records, accounts, leaving, scope."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import event, select

from academy.audit.models import AuditEntry
from academy.auth.models import User
from academy.org.models import EmploymentType, Worker, WorkerStatus
from academy.org.roster import import_roster


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app, tmp_path, monkeypatch):
    """Stashed uploads go to a temporary instance folder, not the developer's."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@pytest.fixture
def admin(orgs, login_as):
    """An administrator of the whole district, signed in."""
    return login_as(roles=("admin",), unit=orgs["D"])


@pytest.fixture
def staff(orgs, make_worker):
    """A few staff across the tree."""
    return {
        "a": make_worker(orgs["V1"], "A001", name="张三", post="综合窗口"),
        "b": make_worker(orgs["V1"], "A002", name="李四", post="社保窗口",
                         employment_type="civil_servant"),
        "c": make_worker(orgs["S1"], "A003", name="王五", post="综合窗口",
                         employment_type="public_institution"),
        "d": make_worker(orgs["V2"], "B001", name="赵六", post="综合窗口"),
    }


def numbers(page: str) -> list[str]:
    return re.findall(r'/admin/workers/([A-Z]\d+)"', page)


# ---------------------------------------------------------------- the list


def test_list_shows_staff_of_the_subtree(client, admin, staff):
    page = client.get("/admin/workers").get_data(as_text=True)
    assert numbers(page) == ["A001", "A002", "A003", "B001"]
    assert "4 staff match" in page or "4" in page


def test_list_of_a_subdistrict_admin_stops_at_the_subtree(client, orgs, login_as, staff):
    login_as(roles=("admin",), unit=orgs["S1"])
    page = client.get("/admin/workers").get_data(as_text=True)
    assert numbers(page) == ["A001", "A002", "A003"]
    assert "B001" not in page


@pytest.mark.parametrize("query,expected", [
    ("q=李", ["A002"]),
    ("q=A00", ["A001", "A002", "A003"]),
    ("q=B001", ["B001"]),
    ("org_unit=S1", ["A001", "A002", "A003"]),
    ("org_unit=V1", ["A001", "A002"]),
    ("employment_type=civil_servant", ["A002"]),
    ("employment_type=contract", ["A001", "B001"]),
    ("post=社保窗口", ["A002"]),
    ("status=left", ["A003"]),
    ("status=active", ["A001", "A002", "B001"]),
    ("org_unit=S1&post=综合窗口&status=active", ["A001"]),
    ("status=bogus&employment_type=bogus", ["A001", "A002", "A003", "B001"]),
])
def test_list_filters(client, admin, staff, db, query, expected):
    staff["c"].status = WorkerStatus.LEFT
    staff["c"].leave_date = date(2024, 6, 1)
    db.session.commit()
    response = client.get(f"/admin/workers?{query}")
    assert response.status_code == 200
    assert numbers(response.get_data(as_text=True)) == expected


def test_list_counts_and_empty_state(client, admin, staff, db):
    staff["c"].status = WorkerStatus.LEFT
    staff["c"].leave_date = date(2024, 6, 1)
    db.session.commit()
    page = client.get("/admin/workers").get_data(as_text=True)
    counts = re.search(r'data-testid="counts">(.*?)</p>', page, re.S).group(1)
    assert [int(n) for n in re.findall(r"\d+", counts)] == [4, 3, 1]
    empty = client.get("/admin/workers?q=nobody").get_data(as_text=True)
    assert numbers(empty) == [] and "alert" in empty


def test_empty_roster_invites_an_import(client, admin):
    page = client.get("/admin/workers").get_data(as_text=True)
    assert "/admin/workers/import" in page and numbers(page) == []


def test_list_select_lists_the_unit_tree_and_posts(client, admin, staff):
    page = client.get("/admin/workers").get_data(as_text=True)
    for code in ("D", "S1", "S2", "V1", "V2"):
        assert f'<option value="{code}"' in page
    assert '<option value="社保窗口"' in page


def test_pagination_keeps_the_filters(client, admin, orgs, make_worker):
    for i in range(60):
        make_worker(orgs["V1"], f"P{i:03d}", post="综合窗口")
    first = client.get("/admin/workers?post=综合窗口&org_unit=V1").get_data(as_text=True)
    assert len(numbers(first)) == 50
    links = re.findall(r'href="([^"]*page=2[^"]*)"', first)
    assert links and all("org_unit=V1" in link and "post=" in link for link in links)
    second = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert numbers(second) == [f"P{i:03d}" for i in range(50, 60)]


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "page=99999", "q=" + "x" * 5000,
                                   "q=%25_%25", "post=" + "p" * 300])
def test_odd_list_input_never_fails(client, admin, staff, query):
    assert client.get(f"/admin/workers?{query}").status_code == 200
    assert client.get(f"/admin/workers.xlsx?{query}").status_code == 200


def test_unknown_org_unit_filter_is_404_and_foreign_one_403(client, orgs, login_as, staff):
    login_as(roles=("admin",), unit=orgs["S1"])
    assert client.get("/admin/workers?org_unit=NOPE").status_code == 404
    assert client.get("/admin/workers?org_unit=S2").status_code == 403
    assert client.get("/admin/workers.xlsx?org_unit=V2").status_code == 403


def test_list_query_count_does_not_grow_with_rows(client, app, db, admin, orgs, make_worker):
    def queries_for_list() -> int:
        seen = []

        def listener(*_args, **_kwargs):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/workers").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    for i in range(10):
        make_worker(orgs["V1" if i % 2 else "V2"], f"Q{i:03d}", post=f"岗位{i % 3}")
    small = queries_for_list()
    for i in range(10, 60):
        make_worker(orgs["V1" if i % 2 else "S2"], f"Q{i:03d}", post=f"岗位{i % 3}")
    large = queries_for_list()
    assert small == large
    assert small <= 10, small


# ---------------------------------------------------------------- export


def test_export_has_chinese_headers_and_the_filtered_rows(client, admin, staff, db):
    staff["c"].status = WorkerStatus.LEFT
    staff["c"].leave_date = date(2024, 7, 1)
    staff["c"].leave_reason = "调动"
    db.session.commit()
    response = client.get("/admin/workers.xlsx?org_unit=S1")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("工号", "姓名", "所属单位编码", "所属单位名称", "用工性质", "劳务公司",
                       "入职日期", "岗位", "状态", "离职日期", "离职原因")
    body = {r[0]: r for r in rows[1:]}
    assert set(body) == {"A001", "A002", "A003"}
    assert body["A002"][4] == "在编公务员" and body["A001"][4] == "劳务派遣合同"
    assert body["A001"][5] == "某劳务公司" and body["A001"][2] == "V1"
    assert body["A003"][8:] == ("离职", body["A003"][9], "调动")
    assert body["A003"][9].date() == date(2024, 7, 1)
    assert body["A001"][6].date() == date(2024, 3, 1)


def test_export_is_a_valid_import_that_changes_nothing(client, admin, staff, orgs, db):
    data = client.get("/admin/workers.xlsx").data
    report = import_roster(data, "export.xlsx", scope=orgs["D"], dry_run=True)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)


def test_export_does_not_turn_text_into_formulas(client, admin, orgs, make_worker):
    make_worker(orgs["V1"], "F1", name="=HYPERLINK(\"http://x\")", post="+1")
    data = client.get("/admin/workers.xlsx").data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("=")


def test_empty_export_has_the_header_only(client, admin):
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/admin/workers.xlsx").data)).active
    assert sheet.max_row == 1


# ---------------------------------------------------------------- one staff record


def test_detail_shows_fields_history_and_account_form(client, admin, staff):
    page = client.get("/admin/workers/A001").get_data(as_text=True)
    for text in ("张三", "A001", "某劳务公司", "2024-03-01", "综合窗口", "东一社区"):
        assert text in page
    assert "/admin/workers/A001/account" in page
    assert "/admin/workers/A001/leave" in page
    assert "<script>" not in page


def test_detail_of_missing_worker_is_404(client, admin):
    assert client.get("/admin/workers/NOPE").status_code == 404
    assert client.get("/admin/workers/NOPE/edit").status_code == 404
    assert client.post("/admin/workers/NOPE/leave").status_code == 404


def test_create_account_for_a_worker(client, admin, staff, db):
    response = client.post("/admin/workers/A001/account", data={"password": "Window-Clerk-2024"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "A001"))
    assert user.worker_id == staff["a"].id and user.roles == {"trainee"}
    assert user.org_unit.code == "V1" and user.display_name == "张三"
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"user_created", "worker_account_created"} <= actions
    page = client.get("/admin/workers/A001").get_data(as_text=True)
    assert f"/admin/users/{user.id}" in page
    assert "/admin/workers/A001/account" not in page


def test_account_password_problems_show_on_the_form(client, admin, staff, db):
    response = client.post("/admin/workers/A001/account", data={"password": "password1"})
    assert response.status_code == 422
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "A001")) is None


def test_account_username_taken_is_reported(client, admin, staff, make_user, orgs):
    make_user("A001", unit=orgs["V1"])
    response = client.post("/admin/workers/A001/account", data={"password": "Window-Clerk-2024"})
    assert response.status_code == 422
    assert "A001" in response.get_data(as_text=True)


def test_mark_as_left_disables_the_account(client, admin, staff, make_user, orgs, db):
    account = make_user("clerk", unit=orgs["V1"], worker=staff["a"])
    response = client.post("/admin/workers/A001/leave",
                           data={"leave_date": "2024-09-30", "leave_reason": "合同到期"})
    assert response.status_code == 302
    db.session.expire_all()
    worker = db.session.get(Worker, staff["a"].id)
    assert worker.status == WorkerStatus.LEFT and worker.leave_date == date(2024, 9, 30)
    assert worker.leave_reason == "合同到期"
    assert [e.kind for e in worker.events] == ["hired", "left"]
    assert db.session.get(User, account.id).active is False
    page = client.get("/admin/workers/A001").get_data(as_text=True)
    assert "合同到期" in page and "2024-09-30" in page
    assert "/admin/workers/A001/leave" not in page


@pytest.mark.parametrize("data,field", [
    ({"leave_date": "2024-01-01", "leave_reason": "x"}, "leave_date"),  # before hire
    ({"leave_date": (date.today() + timedelta(days=5)).isoformat(), "leave_reason": "x"},
     "leave_date"),
    ({"leave_date": "not a date", "leave_reason": "x"}, "leave_date"),
    ({"leave_date": "2024-09-30", "leave_reason": ""}, "leave_reason"),
])
def test_mark_as_left_refuses_bad_input(client, admin, staff, db, data, field):
    response = client.post("/admin/workers/A001/leave", data=data)
    assert response.status_code == 422
    assert f'id="{field}"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Worker, staff["a"].id).status == WorkerStatus.ACTIVE


def test_leaving_twice_is_refused(client, admin, staff):
    data = {"leave_date": "2024-09-30", "leave_reason": "合同到期"}
    assert client.post("/admin/workers/A001/leave", data=data).status_code == 302
    assert client.post("/admin/workers/A001/leave", data=data).status_code == 422


def test_edit_worker_and_move_records_history(client, admin, staff, db):
    assert client.get("/admin/workers/A001/edit").status_code == 200
    response = client.post("/admin/workers/A001/edit", data={
        "name": "张三丰", "org_unit": "V2", "employment_type": "contract",
        "employer": "新劳务公司", "hire_date": "2024-03-01", "post": "",
    })
    assert response.status_code == 302
    db.session.expire_all()
    worker = db.session.get(Worker, staff["a"].id)
    assert (worker.name, worker.org_unit.code, worker.employer, worker.post) == \
        ("张三丰", "V2", "新劳务公司", None)
    assert [e.kind for e in worker.events] == ["hired", "moved"]
    assert "worker_updated" in set(db.session.scalars(select(AuditEntry.action)))


def test_edit_requires_employer_for_contract_staff(client, admin, staff, db):
    response = client.post("/admin/workers/A002/edit", data={
        "name": "李四", "org_unit": "V1", "employment_type": "contract", "employer": "",
        "hire_date": "2024-03-01", "post": "社保窗口",
    })
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="employer"[^>]*', page) and "is-invalid" in page
    db.session.expire_all()
    assert db.session.get(Worker, staff["b"].id).employment_type == \
        EmploymentType.CIVIL_SERVANT


def test_create_worker(client, admin, orgs, db):
    assert client.get("/admin/workers/new").status_code == 200
    response = client.post("/admin/workers/new", data={
        "employee_no": "N001", "name": "新员工", "org_unit": "V1",
        "employment_type": "public_institution", "employer": "", "hire_date": "2025-01-02",
        "post": "综合窗口",
    })
    assert response.status_code == 302 and response.location.endswith("/admin/workers/N001")
    worker = db.session.scalar(select(Worker).where(Worker.employee_no == "N001"))
    assert worker.org_unit.code == "V1" and worker.hire_date == date(2025, 1, 2)
    assert [e.kind for e in worker.events] == ["hired"]


@pytest.mark.parametrize("changes,field", [
    ({"employee_no": "A001"}, "employee_no"),  # taken
    ({"employee_no": "a/b"}, "employee_no"),
    ({"employment_type": "contract", "employer": ""}, "employer"),
    ({"hire_date": (date.today() + timedelta(days=9)).isoformat()}, "hire_date"),
    ({"org_unit": "NOPE"}, "org_unit"),
    ({"employment_type": "boss"}, "employment_type"),
    ({"name": ""}, "name"),
])
def test_create_worker_errors_land_on_fields(client, admin, staff, db, changes, field):
    data = {"employee_no": "N002", "name": "新员工", "org_unit": "V1",
            "employment_type": "civil_servant", "employer": "", "hire_date": "2025-01-02",
            "post": ""} | changes
    response = client.post("/admin/workers/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'<[^>]*is-invalid[^>]*id="{field}"|id="{field}"[^>]*is-invalid', page)
    assert db.session.scalar(select(Worker).where(Worker.employee_no == "N002")) is None


def test_unit_choices_are_limited_to_the_subtree(client, orgs, login_as, staff, db):
    login_as(roles=("admin",), unit=orgs["S1"])
    page = client.get("/admin/workers/new").get_data(as_text=True)
    assert '<option value="V1"' in page and '<option value="V2"' not in page
    response = client.post("/admin/workers/new", data={
        "employee_no": "N003", "name": "越权", "org_unit": "V2",
        "employment_type": "civil_servant", "hire_date": "2025-01-02"})
    assert response.status_code == 422
    assert db.session.scalar(select(Worker).where(Worker.employee_no == "N003")) is None
    moved = client.post("/admin/workers/A001/edit", data={
        "name": "张三", "org_unit": "V2", "employment_type": "contract",
        "employer": "某劳务公司", "hire_date": "2024-03-01"})
    assert moved.status_code == 422


# ---------------------------------------------------------------- access


STAFF_PAGES = [
    ("GET", "/admin/workers"),
    ("GET", "/admin/workers.xlsx"),
    ("GET", "/admin/workers/new"),
    ("POST", "/admin/workers/new"),
    ("GET", "/admin/workers/import"),
    ("POST", "/admin/workers/import"),
    ("POST", "/admin/workers/import/confirm"),
    ("GET", "/admin/workers/import/template.xlsx"),
    ("GET", "/admin/workers/import/jobs/x"),
    ("GET", "/admin/workers/A001"),
    ("GET", "/admin/workers/A001/edit"),
    ("POST", "/admin/workers/A001/edit"),
    ("POST", "/admin/workers/A001/leave"),
    ("POST", "/admin/workers/A001/account"),
]
WORKER_PAGES = [(m, u) for m, u in STAFF_PAGES if "/A001" in u]


@pytest.mark.parametrize("method,url", STAFF_PAGES)
def test_anonymous_is_sent_to_sign_in(client, staff, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("roles", [("trainee",), ("instructor",), ("assessor",)])
@pytest.mark.parametrize("method,url", STAFF_PAGES)
def test_non_admins_are_refused(client, orgs, login_as, staff, roles, method, url):
    login_as(roles=roles, unit=orgs["D"])
    assert client.open(url, method=method).status_code == 403


@pytest.mark.parametrize("method,url", WORKER_PAGES + [
    ("GET", "/admin/workers?org_unit=V1"), ("GET", "/admin/workers.xlsx?org_unit=S1")])
def test_admin_of_another_subtree_is_refused(client, orgs, login_as, staff, db, method, url):
    login_as(roles=("admin",), unit=orgs["S2"])
    data = {"leave_date": "2024-09-30", "leave_reason": "x", "password": "Window-Clerk-2024",
            "name": "x", "org_unit": "V2", "employment_type": "civil_servant",
            "hire_date": "2024-03-01"}
    response = client.open(url, method=method, data=data if method == "POST" else None)
    assert response.status_code == 403
    db.session.expire_all()
    worker = db.session.get(Worker, staff["a"].id)
    assert worker.status == WorkerStatus.ACTIVE and worker.name == "张三"
    assert db.session.scalar(select(User).where(User.username == "A001")) is None


def test_admin_of_another_subtree_cannot_import_over_its_staff(client, orgs, login_as, staff):
    login_as(roles=("admin",), unit=orgs["S2"])
    body = "工号,姓名,所属单位编码,用工性质,劳务公司,入职日期\nA001,改名,V2,合同,公司,2024-03-01\n"
    response = client.post("/admin/workers/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(body.encode()), "r.csv")})
    page = response.get_data(as_text=True)
    assert "outside your scope" in page and 'name="token"' not in page


def test_admin_pages_are_usable_on_a_phone(client, admin, staff):
    page = client.get("/admin/workers").get_data(as_text=True)
    assert "table-responsive" in page and "hide-sm" in page
    assert 'name="viewport"' in page


def test_moving_a_worker_moves_their_account_scope(orgs, make_worker, make_user, db):
    """A moved worker's account follows, so a moved admin does not keep the old subtree."""
    from academy.auth.models import User
    from academy.org import services

    worker = make_worker(orgs["V1"], employee_no="MOVE1")
    make_user("mover", roles=("admin",), unit=orgs["V1"], worker=worker)
    services.update_worker(worker, {"org_unit": orgs["V2"]})
    db.session.commit()
    db.session.expire_all()
    account = db.session.scalar(db.select(User).where(User.username == "mover"))
    assert account.org_unit.code == "V2"


def test_roster_import_move_moves_the_account(orgs, make_worker, make_user, db):
    from academy.auth.models import User
    from academy.org.roster import import_roster

    worker = make_worker(orgs["V1"], employee_no="MOVE2", name="王五", hire_date=date(2023, 1, 5),
                         employer="某劳务公司", post="综合窗口")
    make_user("mover2", unit=orgs["V1"], worker=worker)
    csv = ("工号,姓名,所属单位编码,用工性质,劳务公司,入职日期,岗位\n"
           "MOVE2,王五,V2,劳务派遣合同,某劳务公司,2023-01-05,综合窗口\n").encode()
    report = import_roster(csv, "r.csv", scope=orgs["D"], dry_run=False)
    db.session.commit()
    assert report.updated == 1, report.as_dict()
    db.session.expire_all()
    assert db.session.scalar(db.select(User).where(User.username == "mover2")).org_unit.code == "V2"
