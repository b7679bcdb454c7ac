"""Periodic housekeeping: due-date notices happen without anyone running a command."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from academy.jobs import periodic
from academy.learning import services
from academy.learning.models import Assignment, Notification
from tests.learning_factories import *  # noqa: F403  (the course and onboarding fixtures)


def test_tasks_run_once_per_interval_and_a_failure_stays_contained(app, monkeypatch):
    calls = []
    monkeypatch.setattr(periodic, "PERIODIC", {
        "count": (100, lambda: calls.append("count")),
        "broken": (100, lambda: 1 / 0),
    })
    monkeypatch.setattr(periodic, "_last_run", {})
    assert periodic.run_due_tasks(app, now=1000.0) == ["count"]
    assert periodic.run_due_tasks(app, now=1050.0) == []
    assert periodic.run_due_tasks(app, now=1101.0) == ["count"]
    assert periodic.run_due_tasks(app, now=1102.0, force=True) == ["count"]
    assert calls == ["count"] * 3


def test_the_ticker_sends_overdue_notices(app, db, orgs, onboarding, make_worker, make_user,
                                          monkeypatch):
    assert "notify_due" in periodic.PERIODIC
    worker = make_worker(orgs["V1"])
    user = make_user(unit=orgs["V1"], worker=worker)
    services.apply_rules()
    db.session.commit()
    assignment = db.session.scalar(select(Assignment))
    assignment.due_date = date.today() - timedelta(days=1)
    db.session.commit()
    monkeypatch.setattr(periodic, "_last_run", {})
    assert "notify_due" in periodic.run_due_tasks(app)
    db.session.expire_all()
    kinds = [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id))]
    assert sorted(kinds) == ["assigned", "overdue"]


def test_tick_command_runs_every_task(runner, monkeypatch):
    monkeypatch.setattr(periodic, "PERIODIC", {"noop": (3600, lambda: None)})
    result = runner.invoke(args=["academy", "tick"])
    assert result.exit_code == 0 and "ran noop" in result.output
