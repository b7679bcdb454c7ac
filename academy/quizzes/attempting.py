"""Taking quizzes: start (or resume) an attempt, autosave responses, submit, finish on the
clock, grade essays, and keep each user's quiz grade.

The rules live in the pure :mod:`academy.quizzes.attempts`; this module stores them.
Functions flush, never commit: the request (or the periodic task) is the transaction.

Integrity, against concurrent requests on SQLite and PostgreSQL alike: every write to an
attempt begins with a conditional ``UPDATE quiz_attempts … WHERE state IN (open states)``.
That statement takes the attempt's row lock (PostgreSQL) or the write lock (SQLite), so an
autosave and a submit of the same attempt never interleave: a save that committed first
is graded, a save that comes after the submit finds the attempt finished (409). The submit
that changes the state grades; any other submit finds it finished and returns that grade.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from academy import signals
from academy.auth.models import User
from academy.catalog.models import Course
from academy.errors import Conflict, NotFound, ValidationFailed
from academy.extensions import db
from academy.jobs.periodic import periodic
from academy.org.models import Worker
from academy.quizzes import attempts as rules
from academy.quizzes import serialize
from academy.quizzes.models import (
    AttemptSlot,
    Question,
    Quiz,
    QuizAttempt,
    QuizGrade,
)
from academy.quizzes.rubrics import RubricError
from academy.quizzes.settings import QuizSettings
from academy.quizzes.types import Essay, ResponseError, get_type
from academy.timeutil import aware, utcnow

log = logging.getLogger(__name__)

# What an essay without a rubric of its own is graded on (criterion, points).
DEFAULT_ESSAY_RUBRIC = [
    {"criterion": "内容准确，符合政策和办事指南", "points": 4},
    {"criterion": "完整，一次讲清要点和材料", "points": 3},
    {"criterion": "表达清楚，用语文明规范", "points": 3},
]


class AttemptClosed(Conflict):
    """The attempt is finished (or past its deadline and grace): nothing more is saved."""

    code = "attempt_closed"


class StaleResponse(Conflict):
    """A response older than the one saved (its sequence number is not higher)."""

    code = "stale_sequence"

    def __init__(self, message: str, *, current: dict[str, Any]):
        super().__init__(message)
        self.current = current
        self.extra = {"current": current}


class CannotStart(Conflict):
    """The quiz cannot be started now (not open, closed, no attempts left, wait)."""

    code = "cannot_start"


# ---------------------------------------------------------------- quizzes


_SETTINGS: dict[tuple[int, str], QuizSettings] = {}


def settings_of(quiz: Quiz) -> QuizSettings:
    """The quiz's settings (parsed once per version of the quiz and process)."""
    key = (quiz.id, quiz.content_hash)
    found = _SETTINGS.get(key)
    if found is None:
        if len(_SETTINGS) > 512:
            _SETTINGS.clear()
        found = _SETTINGS[key] = QuizSettings.from_dict(quiz.settings)
    return found


def grace() -> timedelta:
    """How long after the deadline answers still arrive (network, a slow phone)."""
    return timedelta(seconds=current_app.config.get("QUIZ_GRACE_SECONDS", 120))


def get_quiz(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id) if 0 < quiz_id < 2**31 else None
    if quiz is None:
        raise NotFound(_("No such quiz."))
    return quiz


def module_quizzes(course_id: int, module: dict[str, Any]) -> list[Quiz]:
    """The quizzes a published module's activities name, in order."""
    files = [entry.get("file") for entry in module.get("activities") or []
             if entry.get("type") == "quiz"]
    if not files:
        return []
    found = {quiz.source_file: quiz for quiz in db.session.scalars(
        select(Quiz).where(Quiz.course_id == course_id, Quiz.source_file.in_(files)))}
    return [found[file] for file in files if file in found]


# ---------------------------------------------------------------- the clock


def _now(now: datetime | None) -> datetime:
    """``now`` (the current time if None) in UTC, as the database stores times: SQLite keeps
    no offset, so a time in another zone would be read back hours off."""
    return now.astimezone(UTC) if now else utcnow()


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


def effective_state(attempt: QuizAttempt, now: datetime | None = None) -> str:
    return rules.current_state(attempt.state, aware(attempt.deadline), _now(now), grace())


def settle(attempt: QuizAttempt, now: datetime | None = None) -> QuizAttempt:
    """Bring a stored attempt up to the clock: mark it overdue, or finish (or abandon) it
    once the grace period is over. Call before showing or changing an attempt."""
    now = _now(now)
    state = effective_state(attempt, now)
    if state == "expired":
        finish(attempt, by="clock", now=now)
    elif state == rules.OVERDUE and attempt.state == rules.IN_PROGRESS:
        db.session.execute(update(QuizAttempt).where(
            QuizAttempt.id == attempt.id, QuizAttempt.state == rules.IN_PROGRESS)
            .values(state=rules.OVERDUE))
        db.session.refresh(attempt)
    return attempt


def finish_expired(now: datetime | None = None) -> int:
    """Finish every open attempt whose grace period is over; returns how many."""
    now = _now(now)
    cutoff = now - grace()
    ids = list(db.session.scalars(select(QuizAttempt.id).where(
        QuizAttempt.state.in_(rules.OPEN_STATES), QuizAttempt.deadline.is_not(None),
        QuizAttempt.deadline < cutoff)))
    for attempt_id in ids:
        attempt = db.session.get(QuizAttempt, attempt_id)
        if attempt is not None:
            finish(attempt, by="clock", now=now)
    return len(ids)


@periodic("quiz-finish-expired", 60)
def _finish_expired_task() -> None:
    finished = finish_expired()
    if finished:
        log.info("finished %d expired quiz attempts", finished)


# ---------------------------------------------------------------- starting


@dataclass
class QuizStatus:
    """What the quiz page shows a user: their attempts, what they may do, their grade."""

    quiz: Quiz
    settings: QuizSettings
    attempts: list[QuizAttempt]
    open_attempt: QuizAttempt | None
    refusal: str | None
    grade: QuizGrade | None
    review_levels: dict[int, str] = field(default_factory=dict)

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and self.refusal is None


def _refusal_text(reason: tuple[str, dict] | None) -> str | None:
    if reason is None:
        return None
    key, values = reason
    if key == "not_open":
        return _("The quiz opens at %(at)s.", at=format_datetime(values["at"]))
    if key == "closed":
        return _("The quiz closed at %(at)s.", at=format_datetime(values["at"]))
    if key == "no_attempts_left":
        return _("You have used all %(n)d attempts.", n=values["n"])
    return _("You may start another attempt at %(at)s.", at=format_datetime(values["at"]))


def user_attempts(quiz: Quiz, user: User) -> list[QuizAttempt]:
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)
        .order_by(QuizAttempt.number)))


def quiz_status(quiz: Quiz, user: User, now: datetime | None = None, *,
                with_grade: bool = True) -> QuizStatus:
    """What ``user`` may do with ``quiz`` now; ``with_grade=False`` leaves ``grade`` None
    (starting an attempt does not need it)."""
    now = _now(now)
    settings = settings_of(quiz)
    attempts = [settle(a, now) for a in user_attempts(quiz, user)]
    open_attempt = next((a for a in attempts if a.state in rules.OPEN_STATES), None)
    past = [rules.PastAttempt(a.number, a.state, aware(a.finished_at)) for a in attempts]
    grade = db.session.scalar(select(QuizGrade).where(
        QuizGrade.quiz_id == quiz.id, QuizGrade.user_id == user.id)) if with_grade else None
    status = QuizStatus(quiz, settings, attempts, open_attempt,
                        _refusal_text(rules.start_refusal(settings, past, now)), grade)
    status.review_levels = {a.id: rules.review_level(settings, a.state, now) for a in attempts}
    return status


def _insert_or_nothing(model):
    """An INSERT of the database's dialect, which knows ON CONFLICT DO NOTHING."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def start_attempt(quiz: Quiz, user: User, now: datetime | None = None,
                  rng: random.Random | None = None) -> tuple[QuizAttempt, bool]:
    """Resume the user's open attempt, or start a new one; returns (attempt, created)."""
    now = _now(now)
    status = quiz_status(quiz, user, now, with_grade=False)
    if status.open_attempt is not None:
        return status.open_attempt, False
    if status.refusal:
        raise CannotStart(status.refusal)
    settings = status.settings
    rng = rng or random.Random(secrets.randbits(64))
    # The bank's questions in one query (the draw needs their category, tags and type; the
    # drawn ones are copied into the attempt).
    rows = {row.id: row for row in db.session.scalars(
        select(Question).where(Question.bank_id == quiz.bank_id, Question.archived.is_(False))
        .order_by(Question.position, Question.id))}
    candidates = [rules.Candidate(row.id, row.category.path, tuple(row.tags or ()), row.type)
                  for row in rows.values()]
    drawn = rules.draw(settings, candidates, rng)
    if not drawn:
        raise CannotStart(_("This quiz has no questions yet. Please tell your instructor."))
    values = {"quiz_id": quiz.id, "user_id": user.id, "worker_id": user.worker_id,
              "number": len(status.attempts) + 1, "state": rules.IN_PROGRESS,
              "started_at": now, "deadline": _utc(rules.deadline_for(settings, now))}
    slots = []
    for position, question_id in enumerate(drawn, start=1):
        row = rows[question_id]
        # The stored data is serialize.to_dict of the spec less its name, category and tags.
        snapshot = {**row.data, "name": row.name, "category": row.category.path,
                    "tags": list(row.tags or [])}
        if row.type == Essay.key and not snapshot.get("rubric"):
            snapshot["rubric"] = list(DEFAULT_ESSAY_RUBRIC)
        spec = serialize.from_dict(snapshot)
        presented = get_type(spec.type).present(spec, rng, shuffle=settings.shuffle)
        slots.append({"position": position, "question_id": question_id, "question": snapshot,
                      "presented": presented, "mark": spec.default_mark, "sequence": 0})
    # The same user starting twice at once: both want this attempt number; the first
    # INSERT wins, the other inserts nothing and resumes the winner's attempt.
    attempt = db.session.scalar(
        _insert_or_nothing(QuizAttempt).values(**values).on_conflict_do_nothing()
        .returning(QuizAttempt))
    if attempt is None:
        existing = db.session.scalars(select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id,
            QuizAttempt.state.in_(rules.OPEN_STATES))).first()
        if existing is None:  # and already finished: the page is out of date
            raise CannotStart(_("Too many requests. Please wait a moment and try again."))
        return existing, False
    # One INSERT … RETURNING for every slot; they become the attempt's loaded collection.
    inserted = db.session.scalars(insert(AttemptSlot).returning(AttemptSlot), [
        {**slot, "attempt_id": attempt.id} for slot in slots]).all()
    set_committed_value(attempt, "slots", sorted(inserted, key=lambda slot: slot.position))
    return attempt, True


# ---------------------------------------------------------------- access


def can_view_attempt(user: User, attempt: QuizAttempt) -> bool:
    """The trainee who took it, or staff who may see that worker's progress."""
    if attempt.user_id == user.id:
        return True
    if attempt.worker_id is None:
        return False
    from academy.learning.services import can_view_progress

    worker = db.session.get(Worker, attempt.worker_id)
    return worker is not None and can_view_progress(user, worker)


def get_attempt(attempt_id: int, user: User, *, own: bool = False) -> QuizAttempt:
    """The attempt if ``user`` may see it (only their own with ``own``), else NotFound."""
    attempt = db.session.get(QuizAttempt, attempt_id) if 0 < attempt_id < 2**31 else None
    if attempt is None or not (attempt.user_id == user.id if own
                               else can_view_attempt(user, attempt)):
        raise NotFound(_("No such attempt."))
    return attempt


# ---------------------------------------------------------------- saving


def _claim_open(attempt: QuizAttempt, now: datetime) -> tuple[str, datetime | None] | None:
    """Lock the attempt for this transaction if it is open and return its (state,
    deadline) as locked (either may have changed since the attempt loaded); None if it is
    not open."""
    return db.session.execute(update(QuizAttempt).where(
        QuizAttempt.id == attempt.id, QuizAttempt.state.in_(rules.OPEN_STATES))
        .values(last_saved_at=now)
        .returning(QuizAttempt.state, QuizAttempt.deadline)).first()


def save_response(attempt: QuizAttempt, question_id: int, raw: Any, sequence: int,
                  now: datetime | None = None) -> AttemptSlot:
    """Save a response if its ``sequence`` is newer than the saved one.

    Resending the saved response with its own sequence is fine (a retry); an older or
    conflicting one raises StaleResponse carrying what is saved; a closed attempt or a
    response after the deadline and its grace raises AttemptClosed.
    """
    now = _now(now)
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 < sequence < 2**31:
        raise ValidationFailed(_("sequence must be a positive whole number."),
                               fields={"sequence": [_("Not a valid sequence number.")]})
    claimed = _claim_open(attempt, now)
    if claimed is None:
        raise AttemptClosed(_("This attempt is finished: nothing more can be saved."))
    state, deadline = claimed
    if not rules.accepts_answers(state, aware(deadline), now, grace()):
        raise AttemptClosed(_("The time for this attempt is over: the answer was not saved."))
    slot = db.session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id,
                                                       AttemptSlot.question_id == question_id))
    if slot is None:
        raise NotFound(_("This question is not part of the attempt."))
    spec = serialize.from_dict(slot.question)
    try:
        response = get_type(spec.type).normalise_response(spec, slot.presented, raw)
    except ResponseError as exc:
        raise ValidationFailed(_("This answer does not fit the question: %(error)s",
                                 error=str(exc)), fields={"response": [str(exc)]}) from exc
    if sequence <= slot.sequence:
        if sequence == slot.sequence and response == slot.response:
            return slot
        raise StaleResponse(_("A newer answer to this question is already saved."),
                            current={"question_id": question_id, "response": slot.response,
                                     "sequence": slot.sequence})
    slot.response = response
    slot.sequence = sequence
    slot.saved_at = now
    db.session.flush()
    return slot


def save_form_response(attempt: QuizAttempt, question_id: int, raw: Any,
                       now: datetime | None = None) -> AttemptSlot | None:
    """Save a response sent with the submit form (no sequence: it is what the page showed
    when the trainee pressed "Submit", so the newest) when it differs from the stored one."""
    slot = db.session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id,
                                                       AttemptSlot.question_id == question_id))
    if slot is None:
        return None
    spec = serialize.from_dict(slot.question)
    try:
        response = get_type(spec.type).normalise_response(spec, slot.presented, raw)
    except ResponseError as exc:
        raise ValidationFailed(_("This answer does not fit the question: %(error)s",
                                 error=str(exc))) from exc
    if response == slot.response:
        return slot
    return save_response(attempt, question_id, response, slot.sequence + 1, now=now)


# ---------------------------------------------------------------- finishing and grading


def submit(attempt: QuizAttempt, now: datetime | None = None) -> QuizAttempt:
    """Finish the attempt now (idempotent: a finished attempt is returned as it is)."""
    now = _now(now)
    if effective_state(attempt, now) == "expired":
        return finish(attempt, by="clock", now=now)
    return finish(attempt, by="trainee", now=now)


def finish(attempt: QuizAttempt, *, by: str, now: datetime | None = None) -> QuizAttempt:
    """Close an open attempt and grade it exactly once; a closed one is returned as is.

    The clock abandons instead when the quiz says ``when_time_expires: abandon``.
    """
    now = _now(now)
    quiz = attempt.quiz
    settings = settings_of(quiz)
    target = rules.ABANDONED if by == "clock" and settings.when_time_expires == "abandon" \
        else rules.FINISHED
    deadline = aware(attempt.deadline)
    finished_at = min(now, deadline + grace()) if by == "clock" and deadline else now
    claimed = db.session.execute(update(QuizAttempt).where(
        QuizAttempt.id == attempt.id, QuizAttempt.state.in_(rules.OPEN_STATES))
        .values(state=target, finished_at=finished_at, finished_by=by)).rowcount == 1
    if not claimed:  # finished meanwhile by another request: show what that one stored
        db.session.refresh(attempt)
        return attempt
    for key, value in (("state", target), ("finished_at", finished_at), ("finished_by", by)):
        set_committed_value(attempt, key, value)
    _grade(attempt)
    db.session.flush()
    if target == rules.FINISHED and not attempt.needs_grading:
        _graded(attempt)
    return attempt


def _grade(attempt: QuizAttempt) -> None:
    score = 0.0
    max_score = 0.0
    pending = False
    for slot in attempt.slots:
        spec = serialize.from_dict(slot.question)
        grade = get_type(spec.type).grade(spec, slot.presented, slot.response)
        max_score += slot.mark
        slot.outcome = {"state": grade.state, "feedback": list(grade.feedback),
                        "general_feedback": grade.general_feedback,
                        "right_answer": grade.right_answer}
        if grade.needs_manual:
            slot.fraction = None
            pending = True
        else:
            slot.fraction = grade.fraction
            score += grade.fraction * slot.mark
    _totals(attempt, score, max_score, pending)


def _totals(attempt: QuizAttempt, score: float, max_score: float, pending: bool) -> None:
    attempt.score = round(score, 2)
    attempt.max_score = round(max_score, 2)
    attempt.percent = float(rules.percent(score, max_score))
    attempt.needs_grading = pending
    attempt.passed = None if pending else rules.passed(settings_of(attempt.quiz),
                                                       attempt.percent)


def grade_essay(slot: AttemptSlot, *, scores: dict[str, Any], comment: str,
                grader: User, now: datetime | None = None) -> AttemptSlot:
    """Record the grader's rubric scores for an essay; the attempt's grade follows."""
    attempt = slot.attempt
    if attempt.state != rules.FINISHED:
        raise Conflict(_("Only finished attempts are graded."))
    spec = serialize.from_dict(slot.question)
    if spec.type != Essay.key:
        raise ValidationFailed(_("Only essays are graded by hand."))
    try:
        grade = Essay.grade_manually(spec, scores=scores, feedback=comment)
    except (RubricError, ValueError) as exc:
        raise ValidationFailed(_("These scores do not fit the rubric: %(error)s",
                                 error=str(exc))) from exc
    slot.fraction = grade.fraction
    slot.outcome = {**(slot.outcome or {}), "state": grade.state,
                    "manual": {"scores": scores, "comment": comment, "grader_id": grader.id,
                               "graded_at": _now(now).isoformat()}}
    was_pending = attempt.needs_grading
    score = sum((s.fraction or 0) * s.mark for s in attempt.slots)
    pending = any(s.fraction is None for s in attempt.slots
                  if (s.outcome or {}).get("state") == "pending")
    _totals(attempt, score, sum(s.mark for s in attempt.slots), pending)
    db.session.flush()
    if not pending:
        _graded(attempt, regrade=not was_pending)
    return slot


def _graded(attempt: QuizAttempt, *, regrade: bool = False) -> None:
    """The attempt has its final grade: update the quiz grade and tell the others."""
    grade = update_quiz_grade(attempt.quiz, attempt.user_id, attempt.worker_id)
    quiz = attempt.quiz
    course = db.session.get(Course, quiz.course_id)
    worker = db.session.get(Worker, attempt.worker_id) if attempt.worker_id else None
    started, finished = aware(attempt.started_at), aware(attempt.finished_at)
    signals.quiz_attempt_graded.send(
        current_app._get_current_object(), attempt_id=attempt.id, quiz_id=quiz.id,
        user_id=attempt.user_id, worker_id=attempt.worker_id,
        employee_no=worker.employee_no if worker else None,
        skill=course.skill.code if course else None,
        level=course.target_level if course else None,
        course=course.slug if course else None,
        score=attempt.percent, passed=bool(attempt.passed),
        quiz_passed=bool(grade.passed) if grade else False,
        seconds=int((finished - started).total_seconds()), finished_at=finished,
        regrade=regrade)


def update_quiz_grade(quiz: Quiz, user_id: int, worker_id: int | None) -> QuizGrade | None:
    """Recompute the user's quiz grade from their fully graded finished attempts."""
    settings = settings_of(quiz)
    percents = list(db.session.scalars(select(QuizAttempt.percent).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user_id,
        QuizAttempt.state == rules.FINISHED, QuizAttempt.needs_grading.is_(False))
        .order_by(QuizAttempt.number)))
    value = rules.quiz_grade(settings, percents)
    grade = db.session.scalar(select(QuizGrade).where(QuizGrade.quiz_id == quiz.id,
                                                      QuizGrade.user_id == user_id))
    if value is None:
        return grade
    if grade is None:
        grade = QuizGrade(quiz_id=quiz.id, user_id=user_id, worker_id=worker_id)
        db.session.add(grade)
    grade.percent = float(value)
    grade.passed = rules.passed(settings, value)
    grade.attempts = len(percents)
    db.session.flush()
    return grade


def user_grades(quiz_ids: list[int], user_id: int) -> dict[int, QuizGrade]:
    if not quiz_ids:
        return {}
    return {grade.quiz_id: grade for grade in db.session.scalars(select(QuizGrade).where(
        QuizGrade.quiz_id.in_(quiz_ids), QuizGrade.user_id == user_id))}


def passed_quiz_ids(user_id: int) -> set[int]:
    return set(db.session.scalars(select(QuizGrade.quiz_id).where(
        QuizGrade.user_id == user_id, QuizGrade.passed.is_(True))))


def pending_count(quiz_ids: list[int] | None = None) -> int:
    stmt = select(func.count()).select_from(QuizAttempt).where(
        QuizAttempt.needs_grading.is_(True), QuizAttempt.state == rules.FINISHED)
    if quiz_ids is not None:
        stmt = stmt.where(QuizAttempt.quiz_id.in_(quiz_ids))
    return db.session.scalar(stmt) or 0


# ---------------------------------------------------------------- what a viewer sees


def review_level_for(attempt: QuizAttempt, viewer: User, now: datetime | None = None) -> str:
    """The trainee's review level by the quiz's review options; staff see everything."""
    if attempt.user_id != viewer.id:
        return "feedback" if attempt.state in (rules.FINISHED, rules.ABANDONED) \
            else rules.REVIEW_NONE
    return rules.review_level(settings_of(attempt.quiz), attempt.state, _now(now))


def slot_payload(slot: AttemptSlot, level: str) -> dict[str, Any]:
    """A question of an attempt as shown (never a right answer before review allows)."""
    data = {"id": slot.question_id, "position": slot.position, "mark": slot.mark,
            **slot.presented, "response": slot.response, "sequence": slot.sequence}
    outcome = slot.outcome or {}
    if rules.shows(level, "answers") and outcome:
        data["review"] = {"state": outcome.get("state"), "fraction": slot.fraction,
                          "right_answer": outcome.get("right_answer")}
        if rules.shows(level, "feedback"):
            manual = outcome.get("manual") or {}
            data["review"].update(feedback=outcome.get("feedback") or [],
                                  general_feedback=outcome.get("general_feedback") or "",
                                  grader_comment=manual.get("comment") or None)
    return data


def attempt_payload(attempt: QuizAttempt, viewer: User, now: datetime | None = None,
                    ) -> dict[str, Any]:
    now = _now(now)
    level = review_level_for(attempt, viewer, now)
    deadline = aware(attempt.deadline)
    data: dict[str, Any] = {
        "id": attempt.id, "quiz": {"id": attempt.quiz_id, "title": attempt.quiz.title},
        "number": attempt.number, "state": attempt.state,
        "started_at": aware(attempt.started_at), "deadline": deadline,
        "grace_until": deadline + grace() if deadline else None, "server_time": now,
        "seconds_left": max(0, int((deadline - now).total_seconds())) if deadline else None,
        "finished_at": aware(attempt.finished_at), "review_level": level,
        "questions": [slot_payload(slot, level) for slot in attempt.slots],
    }
    if rules.shows(level, "score"):
        data.update(_result(attempt))
    return data


def _result(attempt: QuizAttempt) -> dict[str, Any]:
    return {"score": attempt.score, "max_score": attempt.max_score, "percent": attempt.percent,
            "passed": attempt.passed, "needs_grading": attempt.needs_grading}


def submit_payload(attempt: QuizAttempt, viewer: User) -> dict[str, Any]:
    """The answer to a submit: the state and, as far as review allows, the result."""
    level = review_level_for(attempt, viewer)
    data: dict[str, Any] = {"id": attempt.id, "state": attempt.state,
                            "finished_at": aware(attempt.finished_at)}
    if rules.shows(level, "score"):
        data.update(_result(attempt))
    return data


# ---------------------------------------------------------------- for instructors


def scoped_attempts(user: User):
    """A select of attempts whose trainee's staff record is in ``user``'s org subtree."""
    from academy.org.models import OrgUnit

    return (select(QuizAttempt).join(Worker, Worker.id == QuizAttempt.worker_id)
            .join(OrgUnit, OrgUnit.id == Worker.org_unit_id)
            .where(OrgUnit.path.startswith(user.org_unit.path)))


def grading_queue(user: User, *, page: int = 1, per_page: int = 50,
                  ) -> tuple[list[tuple[QuizAttempt, Worker]], int]:
    """Finished attempts in scope with essays waiting for a grader, oldest first."""
    stmt = scoped_attempts(user).where(QuizAttempt.state == rules.FINISHED,
                                       QuizAttempt.needs_grading.is_(True))
    total = db.session.scalar(select(func.count()).select_from(
        stmt.order_by(None).subquery())) or 0
    rows = db.session.execute(stmt.add_columns(Worker).order_by(QuizAttempt.finished_at)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return [(attempt, worker) for attempt, worker in rows], total


def quiz_overview(user: User) -> list[dict[str, Any]]:
    """Every quiz with its course, and counts over the attempts in ``user``'s subtree."""
    from academy.org.models import OrgUnit

    scoped = (select(QuizAttempt.quiz_id,
                     func.count().label("attempts"),
                     func.count(func.distinct(QuizAttempt.user_id)).label("people"),
                     func.avg(QuizAttempt.percent).label("mean"),
                     func.sum(case((QuizAttempt.needs_grading.is_(True), 1), else_=0))
                     .label("pending"))
              .join(Worker, Worker.id == QuizAttempt.worker_id)
              .join(OrgUnit, OrgUnit.id == Worker.org_unit_id)
              .where(OrgUnit.path.startswith(user.org_unit.path),
                     QuizAttempt.state == rules.FINISHED)
              .group_by(QuizAttempt.quiz_id)).subquery()
    rows = db.session.execute(
        select(Quiz, Course.title, Course.slug, scoped.c.attempts, scoped.c.people,
               scoped.c.mean, scoped.c.pending)
        .join(Course, Course.id == Quiz.course_id)
        .outerjoin(scoped, scoped.c.quiz_id == Quiz.id)
        .order_by(Course.title, Quiz.title)).all()
    return [{"quiz": quiz, "course": title, "course_slug": slug, "attempts": attempts or 0,
             "people": people or 0, "mean": float(mean) if mean is not None else None,
             "pending": int(pending or 0)}
            for quiz, title, slug, attempts, people, mean, pending in rows]


def chosen_of(slot: AttemptSlot) -> tuple[str, ...]:
    """What a response chose, as the item analysis counts it."""
    response = slot.response
    kind = slot.presented.get("type")
    if response is None or kind == "essay":
        return ()
    if kind == "truefalse":
        return ("true" if response else "false",)
    if kind == "multiple":
        return tuple(response)
    if kind == "matching":
        return tuple(f"{prompt}→{choice}" for prompt, choice in response.items())
    if kind == "ordering":
        return (" › ".join(response),)
    return (str(response).strip(),)


def option_labels_of(slot: AttemptSlot) -> dict[str, str]:
    presented = slot.presented
    kind = presented.get("type")
    if kind in ("single", "multiple"):
        return {o["id"]: o["text"] for o in presented.get("options", [])}
    if kind == "truefalse":
        return {"true": _("True"), "false": _("False")}
    if kind == "matching":
        prompts = {p["id"]: p["text"] for p in presented.get("prompts", [])}
        choices = {c["id"]: c["text"] for c in presented.get("choices", [])}
        return {f"{p}→{c}": f"{prompts[p]} → {choices[c]}" for p in prompts for c in choices}
    if kind == "ordering" and slot.response:
        steps = {s["id"]: s["text"] for s in presented.get("steps", [])}
        return {" › ".join(slot.response): " › ".join(steps.get(s, s) for s in slot.response)}
    return {}


@dataclass
class QuizStatistics:
    quiz: Quiz
    analysis: Any  # academy.quizzes.analysis.QuizAnalysis
    questions: dict[int, dict[str, Any]]  # question id → {"name", "type", "text"}
    histogram: list[int]  # attempts per 10-point band, 0–9 … 90–100


def quiz_statistics(quiz: Quiz, user: User, *, org_unit=None) -> QuizStatistics:
    """Item analysis of the quiz over the finished attempts in scope (two queries)."""
    from sqlalchemy.orm import selectinload

    from academy.org.models import OrgUnit
    from academy.quizzes.analysis import AttemptResult, SlotResult, analyse

    stmt = scoped_attempts(user).where(QuizAttempt.quiz_id == quiz.id,
                                       QuizAttempt.state == rules.FINISHED)
    if org_unit is not None:
        stmt = stmt.where(OrgUnit.path.startswith(org_unit.path))
    attempts = list(db.session.scalars(stmt.options(selectinload(QuizAttempt.slots))
                                       .order_by(QuizAttempt.id)))
    labels: dict[int, dict[str, str]] = {}
    questions: dict[int, dict[str, Any]] = {}
    results = []
    for attempt in attempts:
        slots = []
        for slot in attempt.slots:
            slots.append(SlotResult(slot.question_id, slot.fraction, slot.mark,
                                    chosen_of(slot)))
            labels.setdefault(slot.question_id, {}).update(option_labels_of(slot))
            questions.setdefault(slot.question_id, {
                "name": slot.question.get("name") or "", "type": slot.presented.get("type"),
                "text": slot.presented.get("text") or ""})
        results.append(AttemptResult(attempt.id, tuple(slots)))
    histogram = [0] * 10
    for attempt in attempts:
        if attempt.percent is not None and not attempt.needs_grading:
            histogram[min(9, int(attempt.percent // 10))] += 1
    return QuizStatistics(quiz, analyse(results, option_labels=labels), questions, histogram)
