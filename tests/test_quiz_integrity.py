"""Attempt integrity as properties: random interleavings of autosave (in order, out of
order, repeated), reload, clock, deadline, submit and double submit.

Whatever happens, the last answer the server acknowledged for each question is the one
graded, and each attempt is graded exactly once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from academy import signals
from academy.errors import ValidationFailed
from academy.extensions import db
from academy.quizzes import attempting, serialize
from academy.quizzes.attempting import AttemptClosed, StaleResponse
from academy.quizzes.models import QuizAttempt
from academy.quizzes.types import get_type
from academy.timeutil import utcnow
from tests.quiz_packages import QUIZ, import_quiz_course

# Every question but the essay (so that finishing grades at once), 20 minutes.
ALL = QUIZ.replace("count: 4", "count: 6").replace("max_attempts: 3", "max_attempts: 100")


def candidates(slot) -> list:
    """A few responses for a slot: none, the right one, and some wrong ones."""
    spec = serialize.from_dict(slot.question)
    kind = get_type(spec.type)
    right = kind.right_response(spec, slot.presented)
    out = [None, right]
    presented = slot.presented
    if presented["type"] in ("single", "truefalse"):
        out += [option["id"] for option in presented["options"]]
    elif presented["type"] == "multiple":
        out += [[option["id"]] for option in presented["options"]]
    elif presented["type"] in ("shortanswer", "numerical"):
        out += ["3", "错的", " 社会保障卡 "]
    elif presented["type"] == "matching":
        first = presented["prompts"][0]["id"]
        out += [{first: choice["id"]} for choice in presented["choices"]]
    return out


class AttemptMachine(RuleBasedStateMachine):
    """One attempt at a time; the model is what the server acknowledged."""

    def __init__(self):
        super().__init__()
        self.now = utcnow()
        self.graded: list[int] = []
        signals.quiz_attempt_graded.connect(self._on_graded)

    def _on_graded(self, _sender, **kwargs):
        self.graded.append(kwargs["attempt_id"])

    def teardown(self):
        signals.quiz_attempt_graded.disconnect(self._on_graded)
        db.session.rollback()
        attempt_id = getattr(self, "attempt_id", None)
        if attempt_id is not None:  # the next example starts afresh
            attempting.submit(db.session.get(QuizAttempt, attempt_id), now=self.now)
            db.session.commit()

    @initialize()
    def start(self):
        from academy.auth.models import User
        from academy.quizzes.models import Quiz

        quiz = db.session.get(Quiz, QUIZ_STATE["quiz"])
        user = db.session.get(User, QUIZ_STATE["user"])
        attempt, created = attempting.start_attempt(quiz, user, now=self.now)
        assert created
        db.session.commit()
        self.attempt_id = attempt.id
        self.deadline = attempt.deadline if attempt.deadline.tzinfo else \
            attempt.deadline.replace(tzinfo=self.now.tzinfo)
        self.questions = [(slot.question_id, candidates(slot)) for slot in attempt.slots]
        self.acked: dict[int, tuple[object, int]] = {qid: (None, 0) for qid, _ in self.questions}
        self.finished_result = None

    def attempt(self) -> QuizAttempt:
        return db.session.get(QuizAttempt, self.attempt_id)

    def closed_by_clock(self) -> bool:
        return self.now > self.deadline + attempting.grace()

    @rule(index=st.integers(0, 1), choice=st.integers(0, 8), step=st.integers(-1, 1))
    def autosave(self, index, choice, step):
        qid, options = self.questions[index % len(self.questions)]
        response = options[choice % len(options)]
        saved_response, saved_seq = self.acked[qid]
        sequence = max(1, saved_seq + step)
        attempt = self.attempt()
        try:
            slot = attempting.save_response(attempt, qid, response, sequence, now=self.now)
        except StaleResponse as exc:
            db.session.rollback()
            assert sequence <= saved_seq
            assert exc.current["sequence"] == saved_seq
            return
        except AttemptClosed:
            db.session.rollback()
            assert self.finished_result is not None or self.closed_by_clock()
            return
        except ValidationFailed:  # e.g. words for a number: refused, nothing changes
            db.session.rollback()
            return
        db.session.commit()
        assert self.finished_result is None and not self.closed_by_clock()
        assert sequence > saved_seq or (sequence == saved_seq and
                                        slot.response == saved_response)
        self.acked[qid] = (slot.response, sequence)

    @rule()
    def reload(self):
        """A page reload: the session forgets everything; the database must remember."""
        db.session.expire_all()
        db.session.remove()
        attempt = self.attempt()
        for slot in attempt.slots:
            assert (slot.response, slot.sequence) == self.acked[slot.question_id]

    @rule(seconds=st.sampled_from([1, 30, 119, 300, 1199, 1260]))
    def clock(self, seconds):
        self.now += timedelta(seconds=seconds)

    @rule(twice=st.booleans())
    def submit(self, twice):
        attempt = self.attempt()
        attempting.submit(attempt, now=self.now)
        if twice:
            attempting.submit(attempt, now=self.now + timedelta(seconds=1))
        db.session.commit()
        self.check_finished(attempt)

    @precondition(lambda self: self.closed_by_clock())
    @rule()
    def periodic_task(self):
        attempting.finish_expired(now=self.now)
        db.session.commit()
        self.check_finished(self.attempt())

    def check_finished(self, attempt: QuizAttempt):
        assert attempt.state == "finished"
        result = (attempt.score, attempt.percent, attempt.passed, attempt.finished_at)
        if self.finished_result is not None:
            assert result == self.finished_result  # never a second grade
        self.finished_result = result
        expected = 0.0
        for slot in attempt.slots:
            response, _sequence = self.acked[slot.question_id]
            assert slot.response == response  # the last acknowledged answer is graded
            spec = serialize.from_dict(slot.question)
            grade = get_type(spec.type).grade(spec, slot.presented, response)
            assert slot.fraction == grade.fraction
            expected += grade.fraction * slot.mark
        assert attempt.score == round(expected, 2)

    @invariant()
    def graded_at_most_once(self):
        assert len(self.graded) == len(set(self.graded))
        if self.finished_result is not None:
            assert self.graded.count(self.attempt_id) == 1


QUIZ_STATE: dict = {}


@pytest.fixture
def quiz_state(app, orgs, make_worker, make_user):
    QUIZ_STATE["quiz"] = import_quiz_course(ALL).id
    QUIZ_STATE["user"] = make_user(worker=make_worker(orgs["V1"]), unit=orgs["V1"]).id
    yield QUIZ_STATE
    QUIZ_STATE.clear()


def test_attempt_integrity(quiz_state):
    AttemptMachine.TestCase.settings = settings(
        max_examples=30, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    AttemptMachine.TestCase().runTest()
