"""Question banks: creating them, importing questions from files, exporting them.

Imports validate everything first (the format reader's problems and every question
type's own checks, each with its line or row) and write nothing when anything is wrong.
Questions are matched by (category, name): a match is updated, anything else created.
Exports are deterministic (category path, then position), so export → import into an
empty bank → export gives the same bytes.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from academy.audit.services import record
from academy.catalog.models import Skill
from academy.errors import Conflict, DomainError, NotFound, ValidationFailed
from academy.extensions import db
from academy.quizzes import serialize
from academy.quizzes.formats import ExportProblems, normalize_category
from academy.quizzes.models import Question, QuestionBank, QuestionCategory
from academy.quizzes.spec import FormatProblem
from academy.quizzes.spec import Question as QuestionSpec
from academy.quizzes.types import validate_question

log = logging.getLogger(__name__)

CODE_RE = re.compile(r"^[A-Z0-9_-]{1,32}$")
MAX_NAME = 255
MAX_PATH = 255

GIFT = "gift"
MOODLE_XML = "moodle-xml"
XLSX = "xlsx"
IMPORT_FORMATS = (GIFT, MOODLE_XML, XLSX)
EXPORT_FORMATS = (GIFT, MOODLE_XML)
_EXTENSIONS = {".gift": GIFT, ".txt": GIFT, ".xml": MOODLE_XML, ".xlsx": XLSX}
MIMETYPES = {GIFT: "text/plain; charset=utf-8", MOODLE_XML: "application/xml",
             XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
EXTENSIONS = {GIFT: "gift.txt", MOODLE_XML: "xml", XLSX: "xlsx"}


class UnknownFormat(DomainError):
    """A question file format we neither read nor write."""

    code = "unsupported_media_type"
    http_status = 415


# ---------------------------------------------------------------- banks


def banks_query() -> Select:
    """Every question bank, by code."""
    return select(QuestionBank).order_by(QuestionBank.code)


def question_counts() -> dict[int, int]:
    """The number of (unarchived) questions of each bank, by bank id."""
    rows = db.session.execute(
        select(Question.bank_id, func.count()).where(Question.archived.is_(False))
        .group_by(Question.bank_id))
    return {bank_id: count for bank_id, count in rows}


def get_bank(code: str) -> QuestionBank:
    """The bank with ``code``, or NotFound."""
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.code == code))
    if bank is None:
        raise NotFound(_("There is no question bank %(code)s.", code=code))
    return bank


def create_bank(*, code: str, title: str, skill: Skill | None,
                description: str | None = None) -> QuestionBank:
    """Add a question bank for a skill (flushes, never commits)."""
    code = (code or "").strip().upper()
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not CODE_RE.match(code):
        errors["code"] = [_("Use 1–32 capital letters, digits, '_' or '-'.")]
    if not title:
        errors["title"] = [_("Give the bank a title.")]
    if skill is None:
        errors["skill"] = [_("Choose a skill.")]
    if errors:
        raise ValidationFailed(_("The question bank could not be created."), errors)
    if db.session.scalar(select(QuestionBank.id).where(QuestionBank.code == code)):
        message = _("A question bank with code %(code)s already exists.", code=code)
        raise Conflict(message, {"code": [message]})
    bank = QuestionBank(code=code, title=title[:120], skill=skill,
                        description=(description or "").strip() or None)
    db.session.add(bank)
    db.session.flush()
    record("question_bank.create", target_type="question_bank", target_id=bank.code,
           target_label=bank.title, after={"code": bank.code, "title": bank.title,
                                           "skill": skill.code})
    return bank


def bank_questions(bank: QuestionBank) -> list[Question]:
    """The bank's current questions in export order: category path, position, id."""
    stmt = (select(Question).join(Question.category)
            .where(Question.bank_id == bank.id, Question.archived.is_(False))
            .order_by(QuestionCategory.path, Question.position, Question.id))
    return list(db.session.scalars(stmt))


def questions_by_category(bank: QuestionBank) -> list[tuple[str, list[Question]]]:
    """The bank's questions grouped by category path, in export order."""
    groups: dict[str, list[Question]] = {}
    for row in bank_questions(bank):
        groups.setdefault(row.category.path, []).append(row)
    return list(groups.items())


def question_spec(row: Question) -> QuestionSpec:
    """A stored question as plain data; its columns are the truth for name, category, tags."""
    spec = serialize.from_dict(row.data or {})
    spec.type = row.type
    spec.name = row.name
    spec.category = row.category.path
    spec.tags = list(row.tags or [])
    return spec


# ---------------------------------------------------------------- importing


@dataclass
class ImportProblem:
    """A problem of an import: ``line`` for GIFT and Moodle XML, ``row`` for XLSX."""

    message: str
    line: int | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        where = {"row": self.row} if self.row is not None else {"line": self.line}
        return {**where, "message": self.message}


@dataclass
class ImportReport:
    format: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    errors: list[ImportProblem] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)  # questions per category

    @property
    def imported(self) -> int:
        return 0 if self.errors else self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "created": self.created, "updated": self.updated,
                "dry_run": self.dry_run, "format": self.format,
                "categories": dict(self.categories),
                "errors": [problem.as_dict() for problem in self.errors]}


def format_for_filename(filename: str) -> str | None:
    """The import format a file name suggests (.gift/.txt, .xml, .xlsx), if any."""
    name = (filename or "").lower()
    for extension, fmt in _EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    return None


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_gift(data: bytes) -> tuple[list[QuestionSpec], list[FormatProblem]]:
    from academy.quizzes.formats.gift import parse_gift

    text = _decode(data)
    if text is None:
        return [], [FormatProblem(_("The file is not UTF-8 text."), line=1)]
    return parse_gift(text)


def _read_moodle_xml(data: bytes) -> tuple[list[QuestionSpec], list[FormatProblem]]:
    from academy.quizzes.formats.moodle_xml import parse_moodle_xml

    return parse_moodle_xml(data)


def _read_xlsx(data: bytes) -> tuple[list[QuestionSpec], list[FormatProblem]]:
    from academy.quizzes.formats.xlsx import parse_xlsx

    return parse_xlsx(data)


READERS: dict[str, Callable[[bytes], tuple[list[QuestionSpec], list[FormatProblem]]]] = {
    GIFT: _read_gift, MOODLE_XML: _read_moodle_xml, XLSX: _read_xlsx,
}


def _where(spec: QuestionSpec, fmt: str) -> dict[str, int | None]:
    return {"row": spec.source_line} if fmt == XLSX else {"line": spec.source_line}


def _prefixed(where: dict[str, int | None], message: str) -> str:
    if where.get("row") is not None:
        return _("row %(n)d: %(message)s", n=where["row"], message=message)
    if where.get("line") is not None:
        return _("line %(n)d: %(message)s", n=where["line"], message=message)
    return message


def check_questions(specs: list[QuestionSpec], fmt: str) -> list[ImportProblem]:
    """What the question types and the bank refuse in questions a reader accepted."""
    problems: list[ImportProblem] = []
    seen: dict[tuple[str, str], int | None] = {}
    for spec in specs:
        where = _where(spec, fmt)
        for message in validate_question(spec):
            problems.append(ImportProblem(_prefixed(where, message), **where))
        if len(spec.name) > MAX_NAME:
            problems.append(ImportProblem(_prefixed(where, _(
                "the question name is longer than %(n)d characters", n=MAX_NAME)), **where))
        if len(spec.category) > MAX_PATH:
            problems.append(ImportProblem(_prefixed(where, _(
                "the category path is longer than %(n)d characters", n=MAX_PATH)), **where))
        key = (spec.category, spec.name)
        if key in seen:
            first = seen[key]
            problems.append(ImportProblem(_prefixed(where, _(
                "another question in category “%(category)s” is already named “%(name)s” "
                "(at %(first)s); names must differ within a category",
                category=spec.category or "/", name=spec.name, first=first)), **where))
        else:
            seen[key] = spec.source_line
    return problems


def read_questions(data: bytes, fmt: str) -> tuple[list[QuestionSpec], list[ImportProblem]]:
    """Read and check a question file: its questions, and every problem with its place."""
    reader = READERS.get(fmt)
    if reader is None:
        raise UnknownFormat(_("Unknown question file format %(f)s: use gift, moodle-xml or "
                              "xlsx.", f=fmt))
    specs, found = reader(data)
    problems = [ImportProblem(p.message, line=p.line, row=p.row) for p in found]
    for spec in specs:
        spec.category = normalize_category(spec.category)
        spec.tags = [tag.strip() for tag in spec.tags if tag.strip()]
        spec.name = spec.name.strip() or " ".join(spec.text.split())[:80]
    problems += check_questions(specs, fmt)
    problems.sort(key=lambda p: (p.row or p.line or 0))
    return specs, problems


def _category(bank: QuestionBank, path: str, cache: dict[str, QuestionCategory]
              ) -> QuestionCategory:
    if path not in cache:
        category = QuestionCategory(bank=bank, path=path)
        db.session.add(category)
        cache[path] = category
    return cache[path]


def import_questions(bank: QuestionBank, data: bytes, *, fmt: str,
                     dry_run: bool = False) -> ImportReport:
    """Import a question file into ``bank``: all of it, or nothing when anything is wrong."""
    specs, problems = read_questions(data, fmt)
    report = ImportReport(format=fmt, dry_run=dry_run, errors=problems)
    if problems or dry_run:
        report.categories = dict(Counter(spec.category for spec in specs))
        existing = {(category, name) for category, name in db.session.execute(
            select(QuestionCategory.path, Question.name).join(Question.category)
            .where(Question.bank_id == bank.id))}
        report.updated = sum(1 for spec in specs if (spec.category, spec.name) in existing)
        report.created = len(specs) - report.updated
        return report
    store_questions(bank, specs, report)
    record("question_bank.import", target_type="question_bank", target_id=bank.code,
           target_label=bank.title, after={"format": fmt, "created": report.created,
                                           "updated": report.updated})
    log.info("imported %d questions into bank %s", report.imported, bank.code)
    return report


def store_questions(bank: QuestionBank, specs: list[QuestionSpec],
                    report: ImportReport) -> int:
    """Upsert checked questions into ``bank`` by (category, name); returns how many rows
    changed (a question identical to the stored one is left untouched)."""
    report.categories = dict(Counter(spec.category for spec in specs))
    categories = {c.path: c for c in db.session.scalars(
        select(QuestionCategory).where(QuestionCategory.bank_id == bank.id))}
    existing = {(row.category.path, row.name): row for row in db.session.scalars(
        select(Question).where(Question.bank_id == bank.id))}
    position = max((row.position for row in existing.values()), default=0)
    changed = 0
    for spec in specs:
        data_dict = serialize.to_dict(spec)
        for key in ("name", "category", "tags"):
            data_dict.pop(key, None)
        row = existing.get((spec.category, spec.name))
        if row is None:
            report.created += 1
            position += 1
            row = Question(bank_id=bank.id, name=spec.name, position=position)
            db.session.add(row)
            existing[(spec.category, spec.name)] = row
        else:
            report.updated += 1
            if (row.type, row.data, list(row.tags or []), row.archived) == \
                    (spec.type, data_dict, list(spec.tags), False):
                continue
        changed += 1
        row.category = _category(bank, spec.category, categories)
        row.type = spec.type
        row.data = data_dict
        row.tags = list(spec.tags)
        row.archived = False
    db.session.flush()
    return changed


# ---------------------------------------------------------------- exporting


def export_bank(bank: QuestionBank, fmt: str) -> bytes:
    """The bank's questions in ``fmt`` (gift or moodle-xml): same bank, same bytes.

    Raises ValidationFailed when a question cannot be written in the format (an ordering
    question in GIFT).
    """
    specs = [question_spec(row) for row in bank_questions(bank)]
    try:
        if fmt == GIFT:
            from academy.quizzes.formats.gift import dump_gift

            return dump_gift(specs).encode("utf-8")
        if fmt == MOODLE_XML:
            from academy.quizzes.formats.moodle_xml import dump_moodle_xml

            return dump_moodle_xml(specs)
        if fmt == XLSX:
            from academy.quizzes.formats.xlsx import dump_xlsx

            return dump_xlsx(specs)
    except ExportProblems as exc:
        raise ValidationFailed(
            _("Some questions cannot be written in this format: %(problems)s",
              problems=str(exc))) from exc
    raise UnknownFormat(_("Unknown question file format %(f)s: use gift or moodle-xml.",
                          f=fmt))


def export_filename(bank: QuestionBank, fmt: str) -> str:
    """The download name of an export, e.g. ``SOCIAL.gift.txt``."""
    return f"{bank.code}.{EXTENSIONS[fmt]}"


# ---------------------------------------------------------------- preview, then confirm


def preview_import(bank: QuestionBank, data: bytes, filename: str, *, fmt: str,
                   owner_id: int) -> tuple[ImportReport, str | None]:
    """A dry run; a clean file is kept (like a roster upload) for confirmation by token."""
    from academy.org.roster import stash_upload

    report = import_questions(bank, data, fmt=fmt, dry_run=True)
    token = None
    if not report.errors:
        token = stash_upload(data, filename, owner_id=owner_id,
                             rows=report.created + report.updated)
    return report, token


def confirm_import(bank: QuestionBank, token: str, *, fmt: str, owner_id: int) -> ImportReport:
    """Import a previewed file for real (its report lists errors if it no longer passes)."""
    from academy.org.roster import discard_upload, load_upload

    loaded = load_upload(token, owner_id=owner_id)
    if loaded is None:
        raise NotFound(_("This upload has expired or was already imported. Please upload "
                         "the file again."))
    data, _meta = loaded
    report = import_questions(bank, data, fmt=fmt, dry_run=False)
    if not report.errors:
        discard_upload(token)
    return report
