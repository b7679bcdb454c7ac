"""The demo's learning: paths assigned by rule, a spread of progress, idempotent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from academy.learning.models import Assignment, LessonProgress, Notification
from tests.learning_factories import make_path, publish_course


def _counts(db) -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Assignment, LessonProgress, Notification))


def test_demo_without_courses_prints_a_hint(app, runner):
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0, result.output
    assert "flask academy courses sync" in result.output


def test_demo_assigns_and_spreads_progress_once(app, db, runner):
    course = publish_course("etiquette")
    make_path("ONBOARD", [(course, "reception"), (course, "closing")], due_days=30,
              rules=[{"name": "contract", "criteria": {"employment_type": "contract",
                                                       "status": "active"}}])
    db.session.commit()
    result = runner.invoke(args=["academy", "demo"])
    assert result.exit_code == 0, result.output
    assert "Learning:" in result.output
    today = date.today()
    rows = list(db.session.scalars(select(Assignment)))
    assert len(rows) > 200
    done = sum(1 for a in rows if a.completed_at is not None)
    overdue = sum(1 for a in rows if a.completed_at is None and a.due_date < today)
    assert done > 20 and overdue > 5 and len(rows) - done - overdue > 20
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) > 100
    before = _counts(db)
    again = runner.invoke(args=["academy", "demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert _counts(db) == before
