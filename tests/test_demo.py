"""The demo district: its shape, its sign-ins, and that building it twice changes nothing."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import func, select

from academy.demo import DEMO_PASSWORD, plan_demo
from academy.org.models import (
    EmploymentType,
    OrgLevel,
    OrgUnit,
    Worker,
    WorkerEvent,
    WorkerStatus,
)

SEED = 20261129
DEMO_LOGINS = ["admin", "instructor", "assessor", "trainee", "admin-s01"]


@pytest.fixture
def demo(app, runner):
    """Build the demo through its CLI command (the command is the transaction)."""
    started = time.perf_counter()
    result = runner.invoke(args=["academy", "demo", "--seed", str(SEED)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    return {"output": result.output, "seconds": elapsed}


def _count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _table_counts(db) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables
        }


def _worker_checksum(db) -> str:
    rows = db.session.execute(
        select(Worker.employee_no, Worker.name, OrgUnit.code, Worker.employment_type,
               Worker.employer, Worker.hire_date, Worker.post, Worker.status,
               Worker.leave_date, Worker.leave_reason, Worker.updated_at)
        .join(OrgUnit, Worker.org_unit_id == OrgUnit.id)
        .order_by(Worker.employee_no)
    ).all()
    return hashlib.sha256(repr([tuple(map(str, row)) for row in rows]).encode()).hexdigest()


def test_demo_builds_a_believable_district(demo, db):
    assert "created 37 org units" in demo["output"]
    levels = dict(db.session.execute(
        select(OrgUnit.level, func.count()).group_by(OrgUnit.level)).all())
    assert levels == {OrgLevel.DISTRICT: 1, OrgLevel.SUBDISTRICT: 6, OrgLevel.VILLAGE: 30}
    for centre in db.session.scalars(select(OrgUnit).where(OrgUnit.level == "subdistrict")):
        assert 4 <= len(centre.children) <= 6

    total = _count(db, Worker)
    assert 550 <= total <= 700
    left = _count(db, Worker, Worker.status == WorkerStatus.LEFT)
    assert 0.03 <= left / total <= 0.08
    assert _count(db, Worker, Worker.status == WorkerStatus.LEFT,
                  Worker.leave_date.is_(None) | Worker.leave_reason.is_(None)) == 0
    assert _count(db, Worker, Worker.leave_date < Worker.hire_date) == 0

    at_villages = (select(func.count()).select_from(Worker)
                   .join(OrgUnit, Worker.org_unit_id == OrgUnit.id)
                   .where(OrgUnit.level == OrgLevel.VILLAGE))
    village_total = db.session.scalar(at_villages)
    village_contract = db.session.scalar(
        at_villages.where(Worker.employment_type == EmploymentType.CONTRACT))
    assert village_contract / village_total >= 0.75
    # Every contract worker names a labour company, and there are only a few of them.
    assert _count(db, Worker, Worker.employment_type == EmploymentType.CONTRACT,
                  Worker.employer.is_(None)) == 0
    employers = set(db.session.scalars(select(Worker.employer).where(
        Worker.employer.is_not(None)).distinct()))
    assert 2 <= len(employers) <= 3
    assert all(name.endswith("有限公司") for name in employers)
    centre_types = set(db.session.scalars(
        select(Worker.employment_type).join(OrgUnit, Worker.org_unit_id == OrgUnit.id)
        .where(OrgUnit.level == OrgLevel.SUBDISTRICT).distinct()))
    assert centre_types == set(EmploymentType)
    posts = set(db.session.scalars(select(Worker.post).distinct()))
    assert {"综合窗口", "社保窗口", "帮办代办", "大厅引导"} <= posts
    # Each hire (and each departure) is in the employment history.
    assert _count(db, WorkerEvent) == total + left


def test_demo_accounts_sign_in_with_the_demo_password(demo, app, db):
    from academy.auth.models import User

    users = {u.username: u for u in db.session.scalars(select(User))}
    assert set(DEMO_LOGINS) <= set(users)
    assert users["admin"].roles == {"admin", "instructor"}
    assert users["admin"].org_unit.code == "D01"
    assert users["admin"].worker is not None
    assert users["admin"].worker.org_unit.code == "D01"
    assert users["instructor"].roles == {"instructor"}
    assert users["assessor"].roles == {"assessor"}
    assert users["admin-s01"].roles == {"admin"}
    assert users["admin-s01"].org_unit.code == "S01"
    trainee = users["trainee"]
    assert trainee.roles == {"trainee"}
    assert trainee.worker.employment_type == EmploymentType.CONTRACT
    assert trainee.worker.status == WorkerStatus.ACTIVE
    assert trainee.worker.org_unit.level == OrgLevel.VILLAGE
    assert trainee.org_unit_id == trainee.worker.org_unit_id

    for username in ["admin", "instructor", "assessor", "trainee"]:
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, (username, response.get_data(as_text=True)[:300])
        assert client.get("/").status_code == 200


def test_second_run_changes_nothing(demo, runner, db):
    counts, checksum = _table_counts(db), _worker_checksum(db)
    hashes = dict(db.session.execute(db.text("SELECT username, password_hash FROM users")).all())
    db.session.rollback()

    again = runner.invoke(args=["academy", "demo", "--seed", str(SEED)])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    assert _table_counts(db) == counts
    assert _worker_checksum(db) == checksum
    assert dict(db.session.execute(db.text("SELECT username, password_hash FROM users"))
                .all()) == hashes


def test_existing_passwords_are_never_reset(demo, runner, db):
    from academy.auth import passwords
    from academy.auth.services import get_user_by_username

    admin = get_user_by_username("admin")
    admin.password_hash = passwords.hash_password("Changed-By-Admin-1")
    db.session.commit()
    assert runner.invoke(args=["academy", "demo"]).exit_code == 0
    db.session.expire_all()
    assert passwords.verify_password(get_user_by_username("admin").password_hash,
                                     "Changed-By-Admin-1")


def test_demo_completes_a_partial_district(app, runner, db):
    from academy.org.services import create_unit

    create_unit(code="D01", name="丰澜区", level="district", parent=None)
    db.session.commit()
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0, result.output
    assert "created 36 org units" in result.output
    assert _count(db, OrgUnit) == 37


def test_demo_is_fast(demo):
    assert demo["seconds"] < 15  # about 1 s here; a generous bound against slow machines


def test_plan_is_deterministic_and_plausible():
    first, second = plan_demo(SEED), plan_demo(SEED)
    assert [vars(w) for w in first.workers] == [vars(w) for w in second.workers]
    assert [vars(w) for w in plan_demo(SEED + 1).workers] != [vars(w) for w in first.workers]
    names = [w.name for w in first.workers]
    assert all(2 <= len(name) <= 3 for name in names)
    assert len(set(names)) > 0.8 * len(names)
    numbers = [w.employee_no for w in first.workers]
    assert len(set(numbers)) == len(numbers)


def test_demo_engages_the_assessor_and_records_sample_observations_once(app, runner, db,
                                                                         tmp_path):
    import shutil

    from academy import ROOT
    from academy.observations.models import AssessorEngagement, Observation

    shutil.copy(ROOT / "courses" / "framework.yaml", tmp_path / "framework.yaml")
    shutil.copy(ROOT / "courses" / "rubrics.yaml", tmp_path / "rubrics.yaml")
    synced = runner.invoke(args=["academy", "courses", "sync", str(tmp_path)])
    assert synced.exit_code == 0, synced.output
    first = runner.invoke(args=["academy", "demo", "--seed", str(SEED)])
    assert first.exit_code == 0, first.output
    assert "Observations: 1 assessor engagements, 2 sample observations." in first.output
    (engagement,) = db.session.scalars(select(AssessorEngagement))
    assert engagement.assessor.username == "assessor" and engagement.org_unit.code == "S02"
    observations = list(db.session.scalars(select(Observation).order_by(Observation.id)))
    assert [(o.rubric_code, o.observer_role) for o in observations] == [
        ("counter-service", "assessor"), ("role-play", "instructor")]
    assert observations[0].org_unit.path.startswith(engagement.org_unit.path)
    assert observations[1].worker.account.username == "trainee"
    counts = _table_counts(db)
    db.session.rollback()

    again = runner.invoke(args=["academy", "demo", "--seed", str(SEED)])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert _table_counts(db) == counts

    client = app.test_client()
    client.post("/login", data={"username": "assessor", "password": DEMO_PASSWORD})
    page = client.get("/observations").get_data(as_text=True)
    assert observations[0].worker.name in page
    assert client.get(f"/observations/{observations[0].id}").status_code == 200


def test_demo_without_rubrics_says_how_to_add_observations(app, runner, db):
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0, result.output
    assert "No observation rubrics are loaded yet" in result.output
