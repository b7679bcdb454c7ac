"""Signal receivers: staff changes and rule changes lead to assignments by rule; a passed
quiz completes its module."""

from __future__ import annotations

from academy import signals

_connected = False


def _on_worker_changed(_sender, *, employee_nos=(), **_extra) -> None:
    from academy.learning.services import apply_rules

    if employee_nos:
        apply_rules(list(employee_nos))


def _on_rules_changed(_sender, *, rule_ids=(), **_extra) -> None:
    from sqlalchemy import select

    from academy.extensions import db
    from academy.learning.models import AssignmentRule
    from academy.learning.services import apply_rules

    if not rule_ids:
        apply_rules()
        return
    rules = list(db.session.scalars(select(AssignmentRule)
                                    .where(AssignmentRule.id.in_(list(rule_ids)))))
    apply_rules(rules=rules)


def _on_quiz_graded(_sender, *, quiz_id, worker_id=None, quiz_passed=False, **_extra) -> None:
    if not quiz_passed or worker_id is None:
        return
    from academy.extensions import db
    from academy.learning.services import complete_quiz_modules
    from academy.org.models import Worker
    from academy.quizzes.models import Quiz

    quiz = db.session.get(Quiz, quiz_id)
    worker = db.session.get(Worker, worker_id)
    if quiz is not None and worker is not None:
        complete_quiz_modules(worker, quiz.course_id, quiz.source_file)


def connect() -> None:
    """Connect the receivers once (signals are process-wide; apps may be many in tests)."""
    global _connected
    if _connected:
        return
    signals.worker_changed.connect(_on_worker_changed)
    signals.assignment_rules_changed.connect(_on_rules_changed)
    signals.quiz_attempt_graded.connect(_on_quiz_graded)
    _connected = True
