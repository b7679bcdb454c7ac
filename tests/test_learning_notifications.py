"""Notices: on assignment, due within a week, overdue; idempotent; the bell and the page."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from academy.learning import services
from academy.learning.models import Assignment, Notification
from academy.learning.notifications import notify_due
from tests.learning_factories import *  # noqa: F403  (the course and onboarding fixtures)


def notices(db, **where) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Notification, key) == value)
    return list(db.session.scalars(stmt))


def test_due_and_overdue_notices_are_idempotent(db, orgs, onboarding, make_worker, make_user,
                                                runner):
    soon, late, later = (make_worker(orgs["V1"]) for _ in range(3))
    nobody = make_worker(orgs["V1"])  # no account: no notices
    for worker in (soon, late, later):
        make_user(unit=orgs["V1"], worker=worker)
    services.apply_rules()
    db.session.commit()
    due = {a.worker_id: a for a in db.session.scalars(select(Assignment))}
    due[soon.id].due_date = date.today() + timedelta(days=3)
    due[late.id].due_date = date.today() - timedelta(days=2)
    due[nobody.id].due_date = date.today() - timedelta(days=2)
    db.session.commit()
    assert len(notices(db, kind="assigned")) == 3

    result = runner.invoke(args=["academy", "notify-due"])
    assert result.exit_code == 0, result.output
    assert "Created 1 due-soon and 1 overdue notices." in result.output
    assert notify_due() == {"due_soon": 0, "overdue": 0}
    db.session.commit()
    assert len(notices(db)) == 5
    # A new due date is a new notice; completed paths get none.
    due[late.id].due_date = date.today() - timedelta(days=1)
    due[soon.id].completed_at = due[soon.id].assigned_at
    db.session.commit()
    assert notify_due() == {"due_soon": 0, "overdue": 1}


def test_bell_and_notifications_page(client, db, orgs, onboarding, make_worker, login_as):
    worker = make_worker(orgs["V1"])
    user = login_as(("trainee",), orgs["V1"], worker=worker)
    services.apply_rules()
    db.session.commit()
    page = client.get("/learning/notifications").get_data(as_text=True)
    assert "New learning path: 新入职岗前培训" in page
    assert 'data-testid="bell"' in page and "(1)" in page
    (notice,) = notices(db, user_id=user.id)
    response = client.post("/learning/notifications/read", data={"id": notice.id})
    assert response.headers["Location"].endswith("/learning/paths/ONBOARD")
    db.session.expire_all()
    assert notices(db)[0].read_at is not None
    db.session.add(Notification(user_id=user.id, kind="due_soon", message="x",
                                dedupe_key="k", params={"path": "P", "due": "2030-01-01"}))
    db.session.commit()
    assert client.post("/learning/notifications/read").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.read_at.is_(None))) == 0


def test_notices_are_shown_in_the_readers_language(client, db, orgs, onboarding, make_worker,
                                                   login_as, chinese):
    worker = make_worker(orgs["V1"])
    login_as(("trainee",), orgs["V1"], worker=worker)
    services.apply_rules()
    db.session.commit()
    # Untranslated msgids fall back to English; the parameters are filled in either way.
    assert "新入职岗前培训" in client.get("/learning/notifications").get_data(as_text=True)
