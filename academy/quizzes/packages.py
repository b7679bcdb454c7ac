"""Quizzes and question banks from course packages, and back into exported packages.

A course package's ``banks/`` files fill the course's own question bank (one per course,
its code derived from the course slug, its skill the course's); its ``quizzes/`` files,
named by ``{type: quiz, file: …}`` activities, become :class:`Quiz` rows by course and
slug. Functions flush, never commit. A re-sync of unchanged files changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from academy.audit.services import record
from academy.catalog.models import Course
from academy.catalog.package import BANKS_DIR, CourseSpec, dump_yaml
from academy.errors import ValidationFailed
from academy.extensions import db
from academy.quizzes.models import Question, QuestionBank, Quiz
from academy.quizzes.services import GIFT, MOODLE_XML, ImportReport, export_bank, store_questions

BANK_CODE_MAX = 32


def course_bank_code(slug: str) -> str:
    """The code of a course's bank: its slug in capitals (shortened with a hash if long)."""
    code = slug.upper()
    if len(code) <= BANK_CODE_MAX:
        return code
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:8].upper()
    return f"{code[:BANK_CODE_MAX - 9]}-{digest}"


def course_bank(course: Course, *, create: bool = False) -> QuestionBank | None:
    """The course's own bank (made on demand when ``create``)."""
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.course_id == course.id))
    if bank is None and create:
        code = course_bank_code(course.slug)
        bank = db.session.scalar(select(QuestionBank).where(QuestionBank.code == code))
        if bank is None:
            bank = QuestionBank(code=code, title=_("%(course)s question bank",
                                                   course=course.title),
                                skill_id=course.skill_id)
            db.session.add(bank)
        bank.course_id = course.id
        db.session.flush()
    return bank


def store_package(course: Course, spec: CourseSpec) -> None:
    """Store the package's questions and quizzes (called by the course sync and import)."""
    quizzes = [item for module in spec.modules for item in module.attachments
               if item.get("type") == "quiz"]
    if not spec.questions and not quizzes:
        return
    bank = course_bank(course, create=True)
    if spec.questions:
        report = ImportReport(format="package", dry_run=False)
        if store_questions(bank, spec.questions, report):
            record("question_bank.import", target_type="question_bank", target_id=bank.code,
                   target_label=bank.title, after={"format": "package",
                                                   "files": spec.bank_files,
                                                   "created": report.created})
    upsert_quizzes(course, bank, quizzes)


def upsert_quizzes(course: Course, bank: QuestionBank,
                   attachments: Iterable[dict[str, Any]]) -> list[Quiz]:
    from academy.catalog.services import upsert_attached

    return upsert_attached(
        Quiz, course.id, attachments,
        content=lambda item: {"title": item["title"], "definition": item["definition"],
                              "settings": item["settings"]},
        always=lambda item: {"source_file": item["file"], "bank_id": bank.id})


def quiz_ids_by_file(course_id: int) -> dict[str, int]:
    """The course's quiz ids by their package file (for the course API)."""
    return {file: id_ for id_, file in db.session.execute(
        select(Quiz.id, Quiz.source_file).where(Quiz.course_id == course_id))}


def package_files(course: Course, quiz_files: Iterable[str]) -> dict[str, bytes]:
    """What an export writes for the course's quizzes: each named quiz file and the bank."""
    wanted = set(quiz_files)
    out: dict[str, bytes] = {}
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)):
        if quiz.source_file in wanted:
            out[quiz.source_file] = dump_yaml(quiz.definition)
    bank = course_bank(course)
    if bank is not None and db.session.scalar(
            select(Question.id).where(Question.bank_id == bank.id).limit(1)) is not None:
        try:
            out[f"{BANKS_DIR}/{course.slug}.gift"] = export_bank(bank, GIFT)
        except ValidationFailed:  # e.g. an ordering question, which GIFT cannot write
            out[f"{BANKS_DIR}/{course.slug}.xml"] = export_bank(bank, MOODLE_XML)
    return out
