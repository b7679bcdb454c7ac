"""Roster import: file formats, every kind of row error, upserts, dry runs, the import page."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.errors import ValidationFailed
from academy.org.models import EmploymentType, Worker, WorkerEvent, WorkerStatus
from academy.org.roster import (
    BACKGROUND_THRESHOLD,
    UnsupportedFile,
    import_roster,
    parse_date,
    roster_template_xlsx,
)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app, tmp_path, monkeypatch):
    """Stashed uploads go to a temporary instance folder, not the developer's."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


HEADER = ["工号", "姓名", "所属单位编码", "用工性质", "劳务公司", "入职日期", "岗位", "状态",
          "离职日期", "离职原因"]


def row(no="E1", name="李四", unit="V1", etype="劳务派遣合同", employer="某劳务公司",
        hired="2024-03-01", post="综合窗口", status="在职", left="", reason=""):
    return [no, name, unit, etype, employer, hired, post, status, left, reason]


def csv_bytes(rows, header=HEADER, encoding="utf-8") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(data, scope, *, dry_run=False, filename="roster.csv"):
    return import_roster(data, filename, scope=scope, dry_run=dry_run)


def count(db, model=Worker) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def errors_of(report) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in report.errors]


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding(app, db, orgs, encoding):
    data = csv_bytes([row("E1"), row("E2", name="王五", unit="S1", etype="在编公务员",
                                    employer="")], encoding=encoding)
    report = run(data, orgs["D"])
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    db.session.commit()
    worker = db.session.scalar(select(Worker).where(Worker.employee_no == "E2"))
    assert worker.name == "王五" and worker.org_unit.code == "S1"
    assert worker.employment_type == EmploymentType.CIVIL_SERVANT and worker.employer is None
    assert [e.kind for e in worker.events] == ["hired"]


def test_xlsx_with_real_dates_numbers_and_english_headers(app, db, orgs):
    header = ["employee_no", "name", "org_unit", "employment_type", "employer", "hire_date",
              "post"]
    data = xlsx_bytes([[1001, "赵六", "V2", "public_institution", None,
                        datetime(2023, 5, 6), None],
                       ["E2", "钱七", "V1", "contract", "派遣公司", "2023年5月7日", "窗口"]],
                      header=header)
    report = run(data, orgs["D"], filename="花名册.xlsx")
    assert report.errors == [] and report.created == 2
    db.session.commit()
    first = db.session.scalar(select(Worker).where(Worker.employee_no == "1001"))
    assert first.hire_date == date(2023, 5, 6) and first.post is None
    assert first.employment_type == EmploymentType.PUBLIC_INSTITUTION


def test_content_decides_the_format_not_the_name(app, db, orgs):
    data = xlsx_bytes([row("E1")])
    assert run(data, orgs["D"], filename="roster.csv").created == 1


@pytest.mark.parametrize("data,filename,error", [
    (b"%PDF-1.4 binary", "roster.csv", UnsupportedFile),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "roster.xls", UnsupportedFile),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "roster.csv", UnsupportedFile),
    (b"abc", "roster.docx", UnsupportedFile),
    (b"\x00\x01\x02binary", "roster.csv", UnsupportedFile),
    (b"PK\x03\x04 not really a zip", "roster.xlsx", ValidationFailed),
    (b"", "roster.csv", ValidationFailed),
    (b"\n\n", "roster.csv", ValidationFailed),
])
def test_unreadable_files_are_refused(app, orgs, data, filename, error):
    with pytest.raises(error) as caught:
        run(data, orgs["D"], filename=filename)
    assert caught.value.message


def test_a_zip_that_is_not_a_workbook_is_unsupported(app, orgs):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<xml/>")
    with pytest.raises(UnsupportedFile) as caught:
        run(out.getvalue(), orgs["D"], filename="roster.xlsx")
    assert caught.value.http_status == 415 and caught.value.code == "unsupported_file"


def test_a_truncated_workbook_is_a_clear_error(app, orgs):
    data = xlsx_bytes([row("E1")])
    with pytest.raises(ValidationFailed):
        run(data[: len(data) // 2], orgs["D"], filename="roster.xlsx")


@pytest.mark.parametrize("text,expected", [
    ("2024-03-01", date(2024, 3, 1)), ("2024/3/1", date(2024, 3, 1)),
    ("2024年3月1日", date(2024, 3, 1)), ("2024.03.01", date(2024, 3, 1)),
    ("20240301", date(2024, 3, 1)), ("2024-03-01 00:00:00", date(2024, 3, 1)),
    (datetime(2024, 3, 1, 0, 0), date(2024, 3, 1)), (45352, date(2024, 3, 1)),
    ("2024-02-30", None), ("yesterday", None), ("", None), ("1850-01-01", None),
])
def test_date_formats(text, expected):
    assert parse_date(text) == expected


# ---------------------------------------------------------------- row errors


def test_missing_required_header_is_one_error_on_row_1(app, db, orgs):
    header = [h for h in HEADER if h != "所属单位编码"]
    report = run(csv_bytes([["E1", "李四", "劳务派遣合同", "x", "2024-03-01", "", "在职", "",
                             ""]], header=header), orgs["D"])
    assert len(report.errors) == 1
    assert (report.errors[0].row, report.errors[0].column) == (1, "所属单位编码")
    assert count(db) == 0


def test_duplicated_header(app, orgs):
    report = run(csv_bytes([row() + ["x"]], header=HEADER + ["姓名"]), orgs["D"])
    assert (1, "姓名") in errors_of(report)


@pytest.mark.parametrize("values,column", [
    (row(unit="NOPE"), "所属单位编码"),
    (row(unit="V2"), "所属单位编码"),  # outside S1's subtree
    (row(name=""), "姓名"),
    (row(no=""), "工号"),
    (row(no="E 1"), "工号"),
    (row(no="A/B"), "工号"),
    (row(no="E" * 33), "工号"),
    (row(name="名" * 65), "姓名"),
    (row(post="岗" * 65), "岗位"),
    (row(employer="公" * 121), "劳务公司"),
    (row(reason="因" * 256, status="离职", left="2024-05-01"), "离职原因"),
    (row(etype="临时工"), "用工性质"),
    (row(etype=""), "用工性质"),
    (row(employer=""), "劳务公司"),
    (row(hired="2024-13-01"), "入职日期"),
    (row(hired="soon"), "入职日期"),
    (row(hired=""), "入职日期"),
    (row(hired=(date.today() + timedelta(days=2)).isoformat()), "入职日期"),
    (row(status="休假"), "状态"),
    (row(status="离职", left=""), "离职日期"),
    (row(status="离职", left="2024-02-01"), "离职日期"),  # before the hire date
    (row(status="离职", left="bad"), "离职日期"),
    (row(status="离职", left=(date.today() + timedelta(days=3)).isoformat()), "离职日期"),
    (row(status="在职", left="2024-05-01"), "离职日期"),
])
def test_each_kind_of_row_error(app, db, orgs, values, column):
    data = csv_bytes([row("OK1", unit="S1"), values])
    report = run(data, orgs["S1"])
    assert (3, column) in errors_of(report), report.errors
    assert all(e.message for e in report.errors)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert count(db) == 0  # the good row was not written either


def test_duplicate_employee_number_in_the_file(app, db, orgs):
    report = run(csv_bytes([row("E1"), row("E2"), row("E1", name="另一个")]), orgs["D"])
    assert errors_of(report) == [(4, "工号")]
    assert "2" in report.errors[0].message  # points at the first occurrence
    assert count(db) == 0


def test_errors_are_listed_per_row_and_column_in_order(app, orgs):
    report = run(csv_bytes([row("E1", name="", hired="x"), row("E2", unit="NOPE")]),
                 orgs["D"])
    assert errors_of(report) == [(2, "姓名"), (2, "入职日期"), (3, "所属单位编码")]


def test_every_problem_of_a_row_is_reported(app, orgs, make_worker):
    make_worker(orgs["V2"], "E9")
    report = run(csv_bytes([row("E9", name="", unit="NOPE", hired="x")]), orgs["S1"])
    assert errors_of(report) == [(2, "工号"), (2, "姓名"), (2, "所属单位编码"), (2, "入职日期")]


def test_empty_rows_are_skipped_but_rows_keep_their_numbers(app, orgs):
    data = csv_bytes([row("E1"), [""] * 10, ["", "", ""], row("E2", unit="NOPE")])
    report = run(data, orgs["D"])
    assert errors_of(report) == [(5, "所属单位编码")]


def test_worker_of_another_subtree_cannot_be_taken_over(app, db, orgs, make_worker):
    make_worker(orgs["V2"], "E9", name="原来的")
    report = run(csv_bytes([row("E9", unit="V1")]), orgs["S1"])
    assert errors_of(report) == [(2, "工号")]
    assert "outside your scope" in report.errors[0].message
    db.session.expire_all()
    assert db.session.scalar(select(Worker.name).where(Worker.employee_no == "E9")) == "原来的"


def test_short_and_english_values_are_accepted(app, db, orgs):
    rows = [row("E1", etype="公务员", employer=""), row("E2", etype="事业", employer=""),
            row("E3", etype="合同"), row("E4", etype="劳务派遣", status="active"),
            row("E5", status="left", left="2024/6/1")]
    report = run(csv_bytes(rows), orgs["D"])
    assert report.errors == [] and report.created == 5


def test_extra_columns_and_header_decorations_are_ignored(app, orgs):
    header = ["工号*", " 姓名 ", "所属单位编码", "备注", "用工性质", "劳务公司", "入职日期"]
    data = csv_bytes([["E1", "李四", "V1", "whatever", "合同", "公司", "2024-01-02"]],
                     header=header)
    assert run(data, orgs["D"]).created == 1


# ---------------------------------------------------------------- upserts


def test_reimport_is_idempotent(app, db, orgs):
    rows = [row(f"E{i}") for i in range(1, 6)] + [row("L1", status="离职", left="2024-06-30",
                                                       reason="合同到期")]
    data = xlsx_bytes(rows)
    first = run(data, orgs["D"], filename="r.xlsx")
    assert (first.created, first.updated, first.unchanged) == (6, 0, 0)
    db.session.commit()
    again = run(data, orgs["D"], filename="r.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    db.session.commit()
    assert count(db, WorkerEvent) == 7  # 6 hired + 1 left, nothing more


def test_updates_move_leave_and_return(app, db, orgs, make_worker, make_user):
    mover = make_worker(orgs["V1"], "M1", name="甲", post="综合窗口")
    leaver = make_worker(orgs["V1"], "L1", name="乙")
    account = make_user("L1", unit=orgs["V1"], worker=leaver)
    make_worker(orgs["V1"], "S1X", name="丙")
    returning = make_worker(orgs["V1"], "R1", name="丁")
    returning.status = WorkerStatus.LEFT
    returning.leave_date = date(2024, 5, 1)
    returning.leave_reason = "调走"
    db.session.commit()

    data = csv_bytes([
        row("M1", name="甲", unit="V2", post="综合窗口"),
        row("L1", name="乙", status="离职", left="2024-06-01", reason="辞职"),
        row("S1X", name="丙"),
        row("R1", name="丁"),
        row("N1", name="新人"),
    ])
    report = run(data, orgs["D"])
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (1, 3, 1)
    db.session.commit()
    db.session.expire_all()
    assert mover.org_unit.code == "V2"
    assert [e.kind for e in mover.events] == ["hired", "moved"]
    assert mover.events[-1].detail == "V1 → V2"
    assert leaver.status == WorkerStatus.LEFT and leaver.leave_reason == "辞职"
    assert [e.kind for e in leaver.events] == ["hired", "left"]
    assert account.active is False
    assert returning.status == WorkerStatus.ACTIVE and returning.leave_date is None
    assert [e.kind for e in returning.events] == ["hired", "returned"]

    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "roster_imported")))
    assert len(entries) == 1
    after = entries[0].after
    assert (after["created"], after["updated"], after["unchanged"]) == (1, 3, 1)
    assert after["changed_fields"]["M1"] == ["org_unit"]
    assert "user_disabled" in set(db.session.scalars(select(AuditEntry.action)))


def test_missing_optional_columns_leave_fields_alone(app, db, orgs, make_worker):
    worker = make_worker(orgs["V1"], "E1", name="李四", post="综合窗口")
    header = ["工号", "姓名", "所属单位编码", "用工性质", "劳务公司", "入职日期"]
    data = csv_bytes([["E1", "李四", "V1", "劳务派遣合同", "某劳务公司", "2024-03-01"]],
                     header=header)
    report = run(data, orgs["D"])
    assert (report.updated, report.unchanged) == (0, 1)
    db.session.commit()
    assert worker.post == "综合窗口"


def test_dry_run_writes_nothing(app, db, orgs, make_worker):
    make_worker(orgs["V1"], "E1", name="旧名")
    audits = count(db, AuditEntry)
    report = run(csv_bytes([row("E1", name="新名"), row("E2")]), orgs["D"], dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert report.dry_run is True
    db.session.commit()
    db.session.expire_all()
    assert count(db) == 1
    assert db.session.scalar(select(Worker.name).where(Worker.employee_no == "E1")) == "旧名"
    assert count(db, AuditEntry) == audits


def test_big_import_uses_few_queries(app, db, orgs):
    from sqlalchemy import event

    rows = [row(f"E{i:04d}", unit=("V1" if i % 2 else "V2")) for i in range(600)]
    data = csv_bytes(rows)
    statements = []

    def count_statement(*_args, **_kwargs):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        report = run(data, orgs["D"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count_statement)
    assert report.created == 600
    assert len(statements) < 20  # batched inserts, not one query per row


# ---------------------------------------------------------------- the template


def test_template_has_headers_example_and_help(app, orgs):
    with app.test_request_context():
        data = roster_template_xlsx(units=[("V1", "东一社区")])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["A2"].value and sheet["C2"].value == "V1"
    assert len(book.worksheets) == 3
    help_text = [c.value for c in book.worksheets[1]["A"]]
    assert "用工性质" in help_text and "离职日期" in help_text


def test_template_with_its_example_row_imports(app, orgs):
    with app.test_request_context():
        data = roster_template_xlsx(units=[("V1", "东一社区")])
    report = run(data, orgs["D"], filename="roster-template.xlsx", dry_run=True)
    assert report.errors == [] and report.created == 1


# ---------------------------------------------------------------- the import page


@pytest.fixture
def admin(orgs, login_as):
    return login_as(roles=("admin",), unit=orgs["D"])


def upload(client, data, filename="roster.csv"):
    return client.post("/admin/workers/import",
                       data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def token_of(page: str) -> str:
    import re

    match = re.search(r'name="token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def test_import_page_preview_then_confirm(client, db, admin, app):
    assert client.get("/admin/workers/import").status_code == 200
    response = upload(client, csv_bytes([row("E1"), row("E2")]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-count="created">2<' in page
    assert count(db) == 0  # a preview writes nothing
    token = token_of(page)
    confirmed = client.post("/admin/workers/import/confirm", data={"token": token})
    assert confirmed.status_code == 302
    assert count(db) == 2
    assert not list((__import__("pathlib").Path(app.instance_path) / "uploads").glob(
        f"roster-{token}*"))
    again = client.post("/admin/workers/import/confirm", data={"token": token})
    assert again.status_code == 302 and again.location.endswith("/admin/workers/import")
    assert count(db) == 2


def test_import_page_lists_every_problem(client, db, admin):
    response = upload(client, csv_bytes([row("E1", unit="NOPE"), row("E2", name="")]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "所属单位编码" in page and "NOPE" in page and "姓名" in page
    assert 'name="token"' not in page
    assert count(db) == 0


def test_import_page_refuses_wrong_types_and_bad_files(client, db, admin):
    assert upload(client, b"hello", "roster.pdf").status_code == 422
    response = upload(client, b"%PDF-1.4", "roster.csv")
    assert response.status_code == 422
    assert "not a CSV or XLSX" in response.get_data(as_text=True)
    assert client.post("/admin/workers/import", data={}).status_code == 422


def test_confirm_with_a_forged_token_is_refused(client, admin, db):
    for token in ("../../secret_key", "x" * 40, ""):
        response = client.post("/admin/workers/import/confirm", data={"token": token})
        assert response.status_code == 302
    assert count(db) == 0


def test_another_admins_token_is_refused(client, app, orgs, make_user, db):
    from tests.conftest import PASSWORD

    make_user("adm1", roles=("admin",), unit=orgs["D"])
    make_user("adm2", roles=("admin",), unit=orgs["D"])
    client.post("/login", data={"username": "adm1", "password": PASSWORD})
    token = token_of(upload(client, csv_bytes([row("E1")])).get_data(as_text=True))
    other = app.test_client()
    other.post("/login", data={"username": "adm2", "password": PASSWORD})
    other.post("/admin/workers/import/confirm", data={"token": token})
    assert count(db) == 0


def test_large_import_runs_as_a_job(client, db, admin):
    rows = [row(f"E{i:05d}") for i in range(BACKGROUND_THRESHOLD + 5)]
    page = upload(client, xlsx_bytes(rows), "big.xlsx").get_data(as_text=True)
    confirmed = client.post("/admin/workers/import/confirm", data={"token": token_of(page)})
    assert confirmed.status_code == 302 and "/admin/workers/import/jobs/" in confirmed.location
    job_page = client.get(confirmed.location)
    text = job_page.get_data(as_text=True)
    assert job_page.status_code == 200
    assert f'data-count="created">{BACKGROUND_THRESHOLD + 5}<' in text
    assert count(db) == BACKGROUND_THRESHOLD + 5
    job_id = confirmed.location.rsplit("/", 1)[1]
    status = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert status["state"] == "finished" and status["result"]["created"] == BACKGROUND_THRESHOLD + 5


def test_job_page_shows_progress_box_while_running(client, db, admin):
    from academy.jobs.models import Job

    job = Job(kind="roster_import", params={}, created_by_id=admin.id, state="running",
              total=10, done=3)
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/admin/workers/import/jobs/{job.id}").get_data(as_text=True)
    assert f'data-job-url="/api/v1/jobs/{job.id}"' in page
    assert "<script>" not in page


def test_someone_elses_job_page_is_404(client, db, orgs, admin, make_user):
    from academy.jobs.models import Job

    other = make_user(roles=("admin",), unit=orgs["D"])
    job = Job(kind="roster_import", params={}, created_by_id=other.id, state="finished")
    db.session.add(job)
    db.session.commit()
    assert client.get(f"/admin/workers/import/jobs/{job.id}").status_code == 404
    assert client.get("/admin/workers/import/jobs/nope").status_code == 404


def test_template_download(client, admin):
    response = client.get("/admin/workers/import/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book.worksheets[0][1]] == HEADER


def test_import_page_refuses_files_over_10_mb(client, db, admin):
    big = b"a" * (10 * 1024 * 1024 + 1)
    response = upload(client, big, "big.csv")
    assert response.status_code == 422
    assert "10 MB" in response.get_data(as_text=True)


def _count_queries(db, fn) -> int:
    from sqlalchemy import event

    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_moving_many_staff_with_accounts_costs_the_same_queries(db, orgs, make_worker,
                                                                make_user):
    """Accounts follow moved staff without one query per worker."""
    from academy.auth.models import User
    from academy.org.roster import import_roster

    def run(prefix: str, n: int) -> int:
        for i in range(n):
            worker = make_worker(orgs["V1"], employee_no=f"{prefix}{i:03d}", name="赵六",
                                 hire_date=date(2022, 5, 1), employer="某劳务公司",
                                 post="综合窗口")
            make_user(f"{prefix.lower()}{i}", unit=orgs["V1"], worker=worker)
        rows = "".join(f"{prefix}{i:03d},赵六,V2,劳务派遣合同,某劳务公司,2022-05-01,综合窗口\n"
                       for i in range(n))
        data = ("工号,姓名,所属单位编码,用工性质,劳务公司,入职日期,岗位\n" + rows).encode()

        def go():
            report = import_roster(data, "move.csv", scope=orgs["D"], dry_run=False)
            assert report.updated == n, report.as_dict()
            db.session.commit()

        return _count_queries(db, go)

    assert run("MA", 3) == run("MB", 30)
    db.session.expire_all()
    moved = db.session.scalars(db.select(User).where(User.username.like("mb%"))).all()
    assert {u.org_unit.code for u in moved} == {"V2"}
