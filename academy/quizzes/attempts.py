"""The rules of quiz attempts, apart from storage: the draw, the clock, the states, who may
start, what the review shows and the quiz grade.

States (Moodle's, with the server owning the clock):

``in_progress``
    answers are saved; the deadline (if any) is ahead.
``overdue``
    the deadline has passed but the grace period has not: answers sent now are still
    saved (they were typed in time and are arriving late), and the attempt can be
    submitted. After the grace period nothing more is accepted.
``finished``
    submitted by the trainee, or finished automatically after the grace period with every
    answer saved so far. Graded exactly once.
``abandoned``
    the quiz says ``when_time_expires: abandon`` and the time ran out unsubmitted: the
    answers are kept but the attempt does not count.

Pure: no Flask, no database.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from academy.quizzes.grading import combine_attempts
from academy.quizzes.settings import QuizSettings

IN_PROGRESS = "in_progress"
OVERDUE = "overdue"
FINISHED = "finished"
ABANDONED = "abandoned"
OPEN_STATES = (IN_PROGRESS, OVERDUE)
STATES = (IN_PROGRESS, OVERDUE, FINISHED, ABANDONED)

#: Review levels, weakest first; each shows everything the ones before it show.
REVIEW_NONE = "none"
REVIEW_ORDER = (REVIEW_NONE, "score", "answers", "feedback")


@dataclass(frozen=True)
class Candidate:
    """A question of the bank as the draw sees it."""

    id: int
    category: str
    tags: tuple[str, ...] = ()
    type: str | None = None


def draw(settings: QuizSettings, candidates: Sequence[Candidate], rng: random.Random,
         ) -> list[int]:
    """The question ids of one attempt: each rule in turn draws its count at random from the
    matching questions not drawn yet (fewer if the bank has fewer); shuffled if asked."""
    taken: list[int] = []
    used: set[int] = set()
    for rule in settings.draw:
        pool = [c.id for c in candidates
                if c.id not in used and rule.matches(c.category, c.tags, c.type)]
        chosen = rng.sample(pool, min(rule.count, len(pool)))
        if not settings.shuffle:
            chosen.sort(key=pool.index)
        taken += chosen
        used.update(chosen)
    if settings.shuffle:
        rng.shuffle(taken)
    return taken


def deadline_for(settings: QuizSettings, started_at: datetime) -> datetime | None:
    """When time runs out: the time limit from the start, but never after the quiz closes."""
    ends = [moment for moment in (
        started_at + timedelta(minutes=settings.time_limit) if settings.time_limit else None,
        settings.close_at) if moment is not None]
    return min(ends) if ends else None


def current_state(state: str, deadline: datetime | None, now: datetime,
                  grace: timedelta) -> str:
    """The state an attempt is really in at ``now``; ``expired`` means "open, but past the
    grace period: finish (or abandon) it now"."""
    if state not in OPEN_STATES or deadline is None or now <= deadline:
        return state
    return OVERDUE if now <= deadline + grace else "expired"


def accepts_answers(state: str, deadline: datetime | None, now: datetime,
                    grace: timedelta) -> bool:
    """Whether a response sent at ``now`` may be saved."""
    return current_state(state, deadline, now, grace) in OPEN_STATES


@dataclass(frozen=True)
class PastAttempt:
    number: int
    state: str
    finished_at: datetime | None


def start_refusal(settings: QuizSettings, past: Sequence[PastAttempt], now: datetime,
                  ) -> tuple[str, dict] | None:
    """Why a new attempt cannot start now (a message id and its values), or None.

    An open attempt is not a refusal here: the caller resumes it instead.
    """
    if settings.open_at and now < settings.open_at:
        return "not_open", {"at": settings.open_at}
    if settings.close_at and now >= settings.close_at:
        return "closed", {"at": settings.close_at}
    counted = [a for a in past if a.state != ABANDONED]
    if settings.max_attempts is not None and len(counted) >= settings.max_attempts:
        return "no_attempts_left", {"n": settings.max_attempts}
    finished = [a.finished_at for a in past if a.finished_at is not None]
    if settings.delay and finished:
        wait_until = max(finished) + timedelta(minutes=settings.delay)
        if now < wait_until:
            return "wait", {"at": wait_until}
    return None


def review_level(settings: QuizSettings, state: str, now: datetime) -> str:
    """How much of a finished attempt its trainee may see at ``now``."""
    if state not in (FINISHED, ABANDONED):
        return REVIEW_NONE
    if settings.review_after == "close" and (settings.close_at is None
                                             or now < settings.close_at):
        return "score"
    return settings.review


def shows(level: str, what: str) -> bool:
    """Whether review ``level`` includes ``what`` (score, answers or feedback)."""
    return REVIEW_ORDER.index(level) >= REVIEW_ORDER.index(what)


def percent(score: Decimal | float, max_score: Decimal | float) -> Decimal:
    """``score`` as a percentage of ``max_score`` (0 when nothing can be scored)."""
    if not max_score:
        return Decimal(0)
    return (Decimal(str(score)) * 100 / Decimal(str(max_score))).quantize(Decimal("0.01"))


def passed(settings: QuizSettings, percentage: Decimal | float) -> bool:
    return Decimal(str(percentage)) >= Decimal(str(settings.pass_mark))


def quiz_grade(settings: QuizSettings, percentages: Sequence[Decimal | float]) -> Decimal | None:
    """The trainee's grade for the quiz (a percentage) by its grading method; None: none yet."""
    return combine_attempts(list(percentages), settings.grading)
