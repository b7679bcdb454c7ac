"""Assignment by rule (on staff changes, imports, rule changes, the CLI) and by hand."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, func, select

from academy.audit.models import AuditEntry
from academy.learning import services
from academy.learning.models import Assignment, AssignmentRule, Notification
from academy.org import roster
from academy.org import services as org_services
from academy.org.models import EmploymentType, Worker
from tests.learning_factories import *  # noqa: F403  (the course and onboarding fixtures)

ROSTER_HEADER = "工号,姓名,所属单位编码,用工性质,劳务公司,入职日期,岗位"


def count(db, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(Assignment).where(*where))


def test_creating_a_worker_assigns_matching_paths(db, orgs, onboarding, make_user):
    worker = org_services.create_worker({
        "employee_no": "N001", "name": "新人", "org_unit": orgs["V1"],
        "employment_type": "contract", "employer": "某公司", "hire_date": date.today()})
    civil = org_services.create_worker({
        "employee_no": "N002", "name": "公务员", "org_unit": orgs["V1"],
        "employment_type": "civil_servant", "hire_date": date.today()})
    db.session.commit()
    found = db.session.scalars(select(Assignment)).all()
    assert [(a.worker_id, a.path.code, a.source) for a in found] == [
        (worker.id, "ONBOARD", "rule")]
    assert found[0].due_date == date.today() + timedelta(days=30)
    # A later change that makes the civil servant match assigns the path too.
    org_services.update_worker(civil, {"employment_type": EmploymentType.CONTRACT,
                                       "employer": "某公司"})
    db.session.commit()
    assert count(db) == 2


def test_rules_apply_once_and_ignore_leavers(db, orgs, onboarding, make_worker):
    make_worker(orgs["V1"])
    make_worker(orgs["V2"])
    left = make_worker(orgs["V2"])
    left.status = "left"
    db.session.commit()
    assert services.apply_rules() == 2
    assert services.apply_rules() == 0
    db.session.commit()
    assert count(db) == 2
    assert count(db, Assignment.worker_id == left.id) == 0


def test_due_from_hire_and_first_rule_wins(db, orgs, onboarding, make_worker):
    onboarding.rules[0].due_from = "hire"
    onboarding.rules.append(AssignmentRule(name="all", criteria={}, due_from="assignment"))
    db.session.commit()
    worker = make_worker(orgs["V1"], hire_date=date(2024, 3, 1))
    services.apply_rules()
    db.session.commit()
    (assignment,) = db.session.scalars(select(Assignment)).all()
    assert assignment.worker_id == worker.id
    assert assignment.rule_id == onboarding.rules[0].id
    assert assignment.due_date == date(2024, 3, 31)


def test_roster_import_assigns_set_based(db, orgs, onboarding, make_user):
    rows = [f"R{i:05d},员工{i},V1,劳务派遣合同,某公司,2024-01-01,综合窗口" for i in range(600)]
    data = ("\n".join([ROSTER_HEADER, *rows]) + "\n").encode()
    statements: list[str] = []

    def count_statements(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count_statements)
    try:
        report = roster.import_roster(data, "r.csv", scope=orgs["D"], dry_run=False)
    finally:
        event.remove(engine, "before_cursor_execute", count_statements)
    db.session.commit()
    assert report.created == 600 and not report.errors
    assert count(db) == 600
    assignment_statements = [s for s in statements if "assignments" in s]
    assert len(assignment_statements) <= 10, assignment_statements  # a few per 500 rows
    # Importing the same file again changes nothing and assigns nothing new.
    roster.import_roster(data, "r.csv", scope=orgs["D"], dry_run=False)
    db.session.commit()
    assert count(db) == 600


def test_new_assignment_notifies_the_account(db, orgs, onboarding, make_worker, make_user):
    worker = make_worker(orgs["V1"])
    user = make_user(unit=orgs["V1"], worker=worker)
    services.apply_rules()
    db.session.commit()
    (notice,) = db.session.scalars(select(Notification)).all()
    assert notice.user_id == user.id and notice.kind == "assigned"
    assert notice.link == "/learning/paths/ONBOARD"
    assert "新入职岗前培训" in notice.message


def test_cli_assign(runner, db, orgs, onboarding, make_worker):
    make_worker(orgs["V1"])
    result = runner.invoke(args=["academy", "assign"])
    assert result.exit_code == 0, result.output
    assert "Created 1 assignments." in result.output
    assert runner.invoke(args=["academy", "assign"]).output.strip() == "Created 0 assignments."


# ---------------------------------------------------------------- admin pages


def test_admin_adds_edits_and_deactivates_a_rule(client, db, orgs, onboarding, make_worker,
                                                  login_as):
    onboarding.rules[0].active = False
    db.session.commit()
    v1 = make_worker(orgs["V1"], employment_type="civil_servant")
    make_worker(orgs["V2"], employment_type="civil_servant")
    login_as(("admin",), orgs["S1"])
    page = client.get("/admin/learning/paths/ONBOARD")
    assert page.status_code == 200
    assert "新入职劳务派遣" not in page.get_data(as_text=True)  # an unlimited rule: not S1's
    response = client.post("/admin/learning/paths/ONBOARD/rules", data={
        "rule-name": "东街道全员", "rule-org_unit": "S1", "rule-due_from": "assignment",
        "rule-employment_type": "", "rule-org_level": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert [a.worker_id for a in db.session.scalars(select(Assignment))] == [v1.id]
    rule = db.session.scalar(select(AssignmentRule).where(AssignmentRule.name == "东街道全员"))
    assert rule.criteria == {"org_unit": "S1", "status": "active"}
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "assignment_rule_created")) is not None

    edit = client.post(f"/admin/learning/rules/{rule.id}", data={
        "rule-name": "东街道村级", "rule-org_unit": "S1", "rule-org_level": "village",
        "rule-due_from": "hire"})
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(AssignmentRule, rule.id).criteria["org_level"] == "village"
    assert client.post(f"/admin/learning/rules/{rule.id}/active",
                       data={"active": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(AssignmentRule, rule.id).active is False
    assert count(db) == 1  # deactivating keeps what was assigned


def test_sub_admin_cannot_write_an_unlimited_or_foreign_rule(client, db, orgs, onboarding,
                                                            login_as):
    login_as(("admin",), orgs["S1"])
    for unit in ("", "S2"):
        response = client.post("/admin/learning/paths/ONBOARD/rules", data={
            "rule-name": "x", "rule-org_unit": unit, "rule-due_from": "assignment"})
        assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 1
    assert client.get(f"/admin/learning/rules/{onboarding.rules[0].id}").status_code == 403


def test_manual_assignment_to_a_person_and_to_a_unit(client, db, orgs, onboarding, make_worker,
                                                     login_as):
    onboarding.rules[0].active = False
    db.session.commit()
    a = make_worker(orgs["V1"], employee_no="A1")
    b = make_worker(orgs["S1"], employee_no="B1")
    make_worker(orgs["V2"], employee_no="C1")
    login_as(("admin",), orgs["S1"])
    due = (date.today() + timedelta(days=5)).isoformat()
    response = client.post("/admin/learning/paths/ONBOARD/assign", data={
        "assign-target": "person", "assign-employee_no": "A1", "assign-due_date": due})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post("/admin/learning/paths/ONBOARD/assign", data={
        "assign-target": "unit", "assign-org_unit": "S1"})
    assert response.status_code == 302
    rows = {x.worker_id: x for x in db.session.scalars(select(Assignment))}
    assert set(rows) == {a.id, b.id}
    assert rows[a.id].due_date.isoformat() == due and rows[a.id].source == "manual"
    assert rows[b.id].due_date == date.today() + timedelta(days=30)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "path_assigned")) == 2
    # Someone outside the subtree, an unknown number, a past due date: refused.
    assert client.post("/admin/learning/paths/ONBOARD/assign", data={
        "assign-target": "person", "assign-employee_no": "C1"}).status_code == 403
    assert client.post("/admin/learning/paths/ONBOARD/assign", data={
        "assign-target": "person", "assign-employee_no": "nobody"}).status_code == 422
    assert client.post("/admin/learning/paths/ONBOARD/assign", data={
        "assign-target": "person", "assign-employee_no": "A1",
        "assign-due_date": "2000-01-01"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 2
    assert db.session.scalar(select(Worker).where(Worker.employee_no == "C1")) is not None
