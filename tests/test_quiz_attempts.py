"""Quizzes from course packages, and attempts: draw, clock, autosave, submit, grades."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from academy import signals
from academy.catalog.services import export_course_zip, import_course_zip
from academy.errors import NotFound, ValidationFailed
from academy.extensions import db
from academy.quizzes import attempting
from academy.quizzes.attempting import AttemptClosed, CannotStart, StaleResponse
from academy.quizzes.models import AttemptSlot, Question, QuestionBank, Quiz, QuizAttempt, QuizGrade
from academy.timeutil import aware, utcnow
from tests.catalog_packages import make_zip
from tests.quiz_packages import (
    BANK,
    CATEGORY,
    QUIZ,
    ensure_skill,
    import_quiz_course,
    quiz_course_files,
)


@pytest.fixture
def skill(app):
    return ensure_skill()


@pytest.fixture
def quiz(app):
    return import_quiz_course()


@pytest.fixture
def trainee(orgs, make_worker, make_user):
    worker = make_worker(orgs["V1"])
    return make_user(worker=worker, unit=orgs["V1"])


@pytest.fixture
def graded():
    """Every quiz_attempt_graded signal sent while the test runs."""
    sent: list[dict] = []

    def receiver(_sender, **kwargs):
        sent.append(kwargs)

    signals.quiz_attempt_graded.connect(receiver)
    yield sent
    signals.quiz_attempt_graded.disconnect(receiver)


def right(slot: AttemptSlot):
    from academy.quizzes import serialize
    from academy.quizzes.types import get_type

    spec = serialize.from_dict(slot.question)
    return get_type(spec.type).right_response(spec, slot.presented)


def answer_all(attempt, *, correctly: bool = True, now=None):
    for slot in attempt.slots:
        attempting.save_response(attempt, slot.question_id,
                                 right(slot) if correctly else None, slot.sequence + 1, now=now)


# ---------------------------------------------------------------- packages


def test_package_fills_the_course_bank_and_stores_the_quiz(quiz):
    bank = db.session.get(QuestionBank, quiz.bank_id)
    assert bank.code == "SOCIAL-SECURITY" and bank.course_id == quiz.course_id
    assert db.session.scalar(select(func.count()).select_from(Question)
                             .where(Question.bank_id == bank.id)) == 6
    assert quiz.settings["time_limit"] == 20 and quiz.settings["draw"] == [
        {"count": 4, "category": CATEGORY}]


def test_course_api_names_the_module_quiz(client, api_token, orgs, quiz):
    body = client.get("/api/v1/courses/social-security",
                      headers=api_token(unit=orgs["D"])).get_json()
    assert body["modules"][0]["quiz"] == quiz.id and body["modules"][1]["quiz"] is None


def test_reimporting_unchanged_changes_nothing(quiz):
    before = (quiz.content_hash, quiz.published_at,
              sorted((q.id, q.updated_at) for q in db.session.scalars(select(Question))))
    outcome, problems = import_course_zip(make_zip(quiz_course_files()), user=None)
    db.session.commit()
    assert not problems and outcome.status == "unchanged"
    db.session.refresh(quiz)
    after = (quiz.content_hash, quiz.published_at,
             sorted((q.id, q.updated_at) for q in db.session.scalars(select(Question))))
    assert after == before


def test_export_carries_the_quiz_and_bank_and_reimports_unchanged(quiz):
    from academy.catalog.models import Course

    course = db.session.get(Course, quiz.course_id)
    data = export_course_zip(course)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "quizzes/pension.yaml" in names and "banks/social-security.gift" in names
    outcome, problems = import_course_zip(data, user=None)
    db.session.commit()
    assert not problems and outcome.status == "unchanged"
    assert export_course_zip(course) == data


def test_a_draw_the_bank_cannot_fill_is_refused_with_its_line(skill):
    quiz = QUIZ.replace("count: 4", "count: 40")
    from tests.quiz_packages import quiz_course_files as files_of

    _outcome, problems = import_course_zip(make_zip(files_of(quiz)), user=None)
    assert [(p.file, p.line) for p in problems] == [("quizzes/pension.yaml", 5)]
    assert "40" in problems[0].message and "6" in problems[0].message
    assert db.session.scalar(select(func.count()).select_from(Quiz)) == 0


@pytest.mark.parametrize("change, line, words", [
    ("grading: highest", 10, "grading must be one of"),
    ("pass_mark: 60", 8, "pass_mark must be a percentage"),
    ("review: feedback", 11, "review must be one of"),
])
def test_bad_quiz_settings_are_refused_with_their_line(skill, change, line, words):
    bad = QUIZ.replace(change, change.split(":")[0] + ": 1000")
    _outcome, problems = import_course_zip(make_zip(quiz_course_files(bad)), user=None)
    assert [(p.file, p.line) for p in problems] == [("quizzes/pension.yaml", line)]
    assert words in problems[0].message


def test_a_broken_bank_file_is_refused_with_its_line(skill):
    bank = BANK.replace("{T#", "{X#")
    _outcome, problems = import_course_zip(make_zip(quiz_course_files(bank=bank)), user=None)
    assert problems and problems[0].file == "banks/social-security.gift"
    assert problems[0].line == 15
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_unknown_quiz_key_is_refused(skill):
    _outcome, problems = import_course_zip(
        make_zip(quiz_course_files(QUIZ + "time_limt: 5\n")), user=None)
    assert [str(p) for p in problems] == ["quizzes/pension.yaml:12: Unknown key time_limt."]


# ---------------------------------------------------------------- starting


def test_each_attempt_draws_from_the_category(quiz, trainee):
    attempt, created = attempting.start_attempt(quiz, trainee, rng=random.Random(1))
    assert created and len(attempt.slots) == 4
    bank_ids = set(db.session.scalars(select(Question.id)))
    assert {slot.question_id for slot in attempt.slots} <= bank_ids
    assert len({slot.question_id for slot in attempt.slots}) == 4


def test_draws_differ_between_attempts(quiz, make_user, orgs, make_worker):
    draws = set()
    for seed in range(6):
        user = make_user(worker=make_worker(orgs["V1"]), unit=orgs["V1"])
        attempt, _ = attempting.start_attempt(quiz, user, rng=random.Random(seed))
        draws.add(tuple(sorted(s.question_id for s in attempt.slots)))
    assert len(draws) > 1


def test_starting_again_resumes_the_open_attempt(quiz, trainee):
    first, _ = attempting.start_attempt(quiz, trainee)
    db.session.commit()
    again, created = attempting.start_attempt(quiz, trainee)
    assert again.id == first.id and not created


def test_two_starts_at_once_make_one_attempt(quiz, trainee, monkeypatch):
    first, created = attempting.start_attempt(quiz, trainee)
    db.session.commit()
    assert created
    # The second request read the attempts before the first one's INSERT was committed.
    monkeypatch.setattr(attempting, "user_attempts", lambda _quiz, _user: [])
    second, created = attempting.start_attempt(quiz, trainee)
    assert not created and second.id == first.id
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    assert db.session.scalar(select(func.count()).select_from(AttemptSlot)) == len(first.slots)


def test_the_deadline_is_the_time_limit(quiz, trainee):
    now = utcnow()
    attempt, _ = attempting.start_attempt(quiz, trainee, now=now)
    assert aware(attempt.deadline) == now + timedelta(minutes=20)


def test_max_attempts_and_delay(app, trainee):
    quiz = import_quiz_course(QUIZ.replace("max_attempts: 3", "max_attempts: 2\ndelay: 10"))
    now = utcnow()
    for n in range(2):
        attempt, _ = attempting.start_attempt(quiz, trainee, now=now)
        attempting.submit(attempt, now=now)
        db.session.commit()
        if n == 0:
            with pytest.raises(CannotStart, match="another attempt at"):
                attempting.start_attempt(quiz, trainee, now=now + timedelta(minutes=5))
            now += timedelta(minutes=11)
    with pytest.raises(CannotStart, match="all 2 attempts"):
        attempting.start_attempt(quiz, trainee, now=now + timedelta(days=1))


def test_open_and_close_dates(app, trainee):
    quiz = import_quiz_course(QUIZ + "open: 2030-01-01T09:00:00+08:00\n"
                                     "close: 2030-01-02T09:00:00+08:00\n")
    from datetime import datetime

    with pytest.raises(CannotStart, match="opens at"):
        attempting.start_attempt(quiz, trainee, now=datetime.fromisoformat(
            "2029-12-31T09:00:00+08:00"))
    with pytest.raises(CannotStart, match="closed at"):
        attempting.start_attempt(quiz, trainee, now=datetime.fromisoformat(
            "2030-01-03T09:00:00+08:00"))
    attempt, _ = attempting.start_attempt(quiz, trainee, now=datetime.fromisoformat(
        "2030-01-02T08:50:00+08:00"))
    # The close date cuts the 20-minute limit short, stored as that instant (in UTC: SQLite
    # keeps no offset).
    db.session.commit()
    db.session.expire(attempt)
    assert aware(attempt.deadline) == datetime.fromisoformat("2030-01-02T09:00:00+08:00")
    assert aware(attempt.started_at) == datetime.fromisoformat("2030-01-02T08:50:00+08:00")


# ---------------------------------------------------------------- autosave


def test_newer_sequence_saves_and_older_is_stale(quiz, trainee):
    attempt, _ = attempting.start_attempt(quiz, trainee)
    slot = attempt.slots[0]
    response = right(slot)
    attempting.save_response(attempt, slot.question_id, response, 2)
    # A retry of the same save is accepted; an older one is refused, carrying what is saved.
    attempting.save_response(attempt, slot.question_id, response, 2)
    with pytest.raises(StaleResponse) as caught:
        attempting.save_response(attempt, slot.question_id, None, 1)
    assert caught.value.current == {"question_id": slot.question_id, "response": response,
                                    "sequence": 2}
    with pytest.raises(StaleResponse):
        attempting.save_response(attempt, slot.question_id, None, 2)
    assert slot.response == response and slot.sequence == 2


def test_a_response_that_does_not_fit_is_refused(quiz, trainee):
    attempt, _ = attempting.start_attempt(quiz, trainee)
    single = next((s for s in attempt.slots if s.presented["type"] in ("single", "truefalse")),
                  attempt.slots[0])
    with pytest.raises(ValidationFailed):
        attempting.save_response(attempt, single.question_id, {"nonsense": 1}, 1)
    with pytest.raises(NotFound):
        attempting.save_response(attempt, 999999, None, 1)
    with pytest.raises(ValidationFailed):
        attempting.save_response(attempt, single.question_id, None, 0)


def test_answers_arriving_in_the_grace_period_are_saved(quiz, trainee):
    start = utcnow()
    attempt, _ = attempting.start_attempt(quiz, trainee, now=start)
    late = aware(attempt.deadline) + timedelta(seconds=30)
    slot = attempt.slots[0]
    attempting.save_response(attempt, slot.question_id, right(slot), 1, now=late)
    attempting.settle(attempt, now=late)
    assert attempt.state == "overdue"
    with pytest.raises(AttemptClosed):
        attempting.save_response(attempt, slot.question_id, None, 2,
                                 now=aware(attempt.deadline) + timedelta(minutes=5))


def test_expired_attempts_are_finished_with_what_was_saved(quiz, trainee, graded):
    start = utcnow() - timedelta(hours=1)
    attempt, _ = attempting.start_attempt(quiz, trainee, now=start)
    answer_all(attempt, now=start + timedelta(minutes=1))
    db.session.commit()
    assert attempting.finish_expired() == 1
    db.session.commit()
    db.session.refresh(attempt)
    assert attempt.state == "finished" and attempt.finished_by == "clock"
    assert attempt.percent == 100.0 and attempt.passed is True
    assert len(graded) == 1
    assert attempting.finish_expired() == 0


def test_abandon_mode_keeps_the_answers_but_counts_nothing(app, trainee, graded):
    quiz = import_quiz_course(QUIZ + "when_time_expires: abandon\n")
    start = utcnow() - timedelta(hours=1)
    attempt, _ = attempting.start_attempt(quiz, trainee, now=start)
    answer_all(attempt, now=start)
    attempting.finish_expired()
    assert attempt.state == "abandoned" and not graded
    assert all(slot.response is not None or slot.presented["type"] == "essay"
               for slot in attempt.slots)
    assert db.session.scalar(select(func.count()).select_from(QuizGrade)) == 0


# ---------------------------------------------------------------- submitting


def test_submit_grades_once_and_again_returns_the_same(quiz, trainee, graded):
    attempt, _ = attempting.start_attempt(quiz, trainee)
    answer_all(attempt)
    attempting.submit(attempt)
    first = (attempt.state, attempt.score, attempt.max_score, attempt.passed,
             aware(attempt.finished_at))
    attempting.submit(attempt, now=utcnow() + timedelta(minutes=3))
    assert (attempt.state, attempt.score, attempt.max_score, attempt.passed,
            aware(attempt.finished_at)) == first
    assert first[:4] == ("finished", 4.0, 4.0, True)
    assert len(graded) == 1
    with pytest.raises(AttemptClosed):
        attempting.save_response(attempt, attempt.slots[0].question_id, None, 99)


def test_the_signal_carries_the_evidence(quiz, trainee, graded):
    attempt, _ = attempting.start_attempt(quiz, trainee)
    answer_all(attempt)
    attempting.submit(attempt, now=aware(attempt.started_at) + timedelta(seconds=90))
    [sent] = graded
    assert sent["employee_no"] == trainee.worker.employee_no
    assert (sent["skill"], sent["level"], sent["score"], sent["passed"], sent["seconds"]) == \
        ("SOCIAL_SECURITY", 2, 100.0, True, 90)
    assert sent["quiz_passed"] is True and sent["course"] == "social-security"


def test_grading_methods(app, trainee):
    results = {}
    for method in ("highest", "last", "average"):
        db.session.rollback()
        quiz = import_quiz_course(QUIZ.replace("grading: highest", f"grading: {method}"))
        user = trainee
        db.session.execute(QuizGrade.__table__.delete())
        db.session.execute(AttemptSlot.__table__.delete())
        db.session.execute(QuizAttempt.__table__.delete())
        for correctly in (True, False):
            attempt, _ = attempting.start_attempt(quiz, user)
            answer_all(attempt, correctly=correctly)
            attempting.submit(attempt)
        grade = db.session.scalar(select(QuizGrade).where(QuizGrade.user_id == user.id))
        results[method] = (grade.percent, grade.passed, grade.attempts)
    assert results == {"highest": (100.0, True, 2), "last": (0.0, False, 2),
                       "average": (50.0, False, 2)}


# ---------------------------------------------------------------- essays


def test_essays_wait_for_the_grader_then_count(app, trainee, make_user, orgs, graded):
    quiz = import_quiz_course(QUIZ.replace("count: 4", "count: 7"), essay=True)
    attempt, _ = attempting.start_attempt(quiz, trainee)
    answer_all(attempt)
    essay = next(s for s in attempt.slots if s.presented["type"] == "essay")
    attempting.save_response(attempt, essay.question_id, "先核验身份证，再一次性告知材料。", 5)
    attempting.submit(attempt)
    assert attempt.needs_grading and attempt.passed is None and not graded
    assert essay.presented["criteria"] == [c["criterion"] for c in
                                           attempting.DEFAULT_ESSAY_RUBRIC]
    grader = make_user(roles=("instructor",), unit=orgs["D"])
    with pytest.raises(ValidationFailed):
        attempting.grade_essay(essay, scores={"nope": 1}, comment="", grader=grader)
    scores = {c["criterion"]: c["points"] for c in attempting.DEFAULT_ESSAY_RUBRIC}
    attempting.grade_essay(essay, scores=scores, comment="讲得清楚", grader=grader)
    assert essay.fraction == 1.0 and attempt.percent == 100.0 and attempt.passed is True
    assert not attempt.needs_grading and len(graded) == 1


# ---------------------------------------------------------------- modules


def test_passing_the_quiz_completes_its_module(app, trainee):
    from academy.learning.models import Assignment, LearningPath, PathItem
    from academy.learning.services import worker_assignments

    quiz = import_quiz_course()
    path = LearningPath(code="Q1", title="测验路径", due_days=30)
    path.items.append(PathItem(course_id=quiz.course_id, module_slug="pension", position=0))
    db.session.add(path)
    db.session.flush()
    db.session.add(Assignment(worker_id=trainee.worker_id, path_id=path.id,
                              due_date=utcnow().date() + timedelta(days=30)))
    db.session.commit()
    attempt, _ = attempting.start_attempt(quiz, trainee)
    answer_all(attempt, correctly=False)
    attempting.submit(attempt)
    [view] = worker_assignments(trainee.worker)
    assert not view.completed
    attempt, _ = attempting.start_attempt(quiz, trainee)
    answer_all(attempt)
    attempting.submit(attempt)
    [view] = worker_assignments(trainee.worker)
    assert view.completed and view.assignment.completed_at is not None


def test_a_draw_can_take_only_some_types(skill, trainee):
    quiz = import_quiz_course(QUIZ.replace("count: 4", "types: [essay]\n    count: 1"),
                              essay=True)
    attempt, _ = attempting.start_attempt(quiz, trainee)
    assert [slot.presented["type"] for slot in attempt.slots] == ["essay"]
    _outcome, problems = import_course_zip(make_zip(quiz_course_files(
        QUIZ.replace("count: 4", "types: [essay, poem]\n    count: 1"))), user=None)
    assert [p.line for p in problems] == [6] and "types must be" in problems[0].message


BUSINESS_COURSES = ["enterprise-startup", "household-residence", "housing-fund",
                    "marriage-birth", "medical-insurance", "real-estate", "social-security",
                    "subsistence-allowance"]


@pytest.mark.parametrize("slug", BUSINESS_COURSES)
def test_shipped_business_courses_carry_a_bank_and_module_quizzes(app, slug):
    from pathlib import Path

    from academy.catalog.package import DirectoryFiles, parse_course

    root = Path(__file__).resolve().parent.parent / "courses" / slug
    spec, problems = parse_course(DirectoryFiles(root), known_skills=None)
    assert not problems, [str(p) for p in problems]
    assert len(spec.questions) >= 20
    assert len({q.type for q in spec.questions}) >= 5  # a mix of types
    assert all(q.general_feedback for q in spec.questions)  # feedback that teaches
    for module in spec.modules:
        assert [a["type"] for a in module.attachments].count("quiz") == 1, module.slug
