"""Question file formats: GIFT (``gift``) and Moodle XML (``moodle_xml``).

Every reader returns ``(questions, problems)``: callers import only when ``problems`` is
empty (a dry run just shows both), so a file with any mistake imports nothing. Writers
raise :class:`ExportProblems` for questions the format cannot express. Pure: no Flask,
no database. This package holds the checks both formats share.
"""

from __future__ import annotations

import re
from decimal import Decimal

from academy.quizzes.spec import (
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    ORDERING,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    FormatProblem,
    Question,
)

TEXT_FORMATS = ("moodle", "html", "plain", "markdown")


class ExportProblems(ValueError):
    """Questions that cannot be written in a format; ``problems`` says which and why."""

    def __init__(self, problems: list[FormatProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def number_text(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` ("3", "0.1", "1e-20")."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def percent_text(fraction: float) -> str:
    """A fraction as an exact percentage text: 0.5 -> "50", 1/3 -> "33.33333333333333"."""
    percent = Decimal(repr(fraction)) * 100
    text = format(percent.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def fraction_from_percent(text: str) -> float:
    """The inverse of :func:`percent_text`, exact for the texts it writes."""
    return float(Decimal(text) / 100)


_CATEGORY_PREFIX = re.compile(r"^(?:\$[a-z0-9]+\$/)?(?:top(?:/|$))?")


def normalize_category(path: str) -> str:
    """A category path without Moodle's ``$course$/top/`` prefix, "/"-separated, trimmed."""
    path = _CATEGORY_PREFIX.sub("", path.strip(), count=1)
    return "/".join(part.strip() for part in path.split("/") if part.strip())


def question_problems(question: Question) -> list[str]:
    """What makes a question unusable whatever format it came from (empty when fine)."""
    q = question
    problems: list[str] = []
    if not q.text.strip():
        problems.append("the question text is empty")
    for answer in q.answers:
        if not -1.0 <= answer.fraction <= 1.0:
            problems.append(f"weight {percent_text(answer.fraction)}% is outside -100..100")
    if q.type in (SINGLE, MULTIPLE):
        if len(q.answers) < 2:
            problems.append("a choice question needs at least 2 answers")
        for number, answer in enumerate(q.answers, 1):
            if not answer.text.strip():
                problems.append(f"answer {number} is empty")
        if q.type == SINGLE and q.answers and max(a.fraction for a in q.answers) != 1.0:
            problems.append("no answer gives 100%")
        if q.type == MULTIPLE and q.answers:
            total = sum(a.fraction for a in q.answers if a.fraction > 0)
            if total <= 0:
                problems.append("no answer gives 100% (no answer has a positive weight)")
            elif round(total, 2) != 1.0:
                problems.append(
                    f"the positive weights add up to {percent_text(round(total, 4))}%, not 100%"
                )
    elif q.type == SHORTANSWER:
        if not q.answers:
            problems.append("a short-answer question needs at least 1 answer")
        for number, answer in enumerate(q.answers, 1):
            if not answer.text.strip():
                problems.append(f"answer {number} is empty")
            if answer.fraction < 0:
                problems.append(f"answer {number} has a negative weight")
        if q.answers and max(a.fraction for a in q.answers) != 1.0:
            problems.append("no answer gives 100%")
    elif q.type == NUMERICAL:
        graded = [a for a in q.answers if not is_catch_all(a)]
        if not graded:
            problems.append("a numerical question needs at least 1 number")
        for answer in q.answers:
            if answer.value is None and answer.low is None and not is_catch_all(answer):
                problems.append("a numerical answer has no number")
            if (answer.low is None) != (answer.high is None):
                problems.append("a numerical range needs both ends")
            if answer.fraction < 0:
                problems.append("a numerical answer has a negative weight")
            if answer.tolerance < 0:
                problems.append(f"tolerance {number_text(answer.tolerance)} is negative")
            if answer.low is not None and answer.high is not None and answer.low > answer.high:
                problems.append(
                    f"range {number_text(answer.low)}..{number_text(answer.high)} "
                    "has its low end above its high end"
                )
        if graded and max(a.fraction for a in q.answers) != 1.0:
            problems.append("no answer gives 100%")
    elif q.type == TRUEFALSE:
        if q.correct is None:
            problems.append("a true/false question needs its right answer")
    elif q.type == MATCHING:
        if sum(1 for p in q.pairs if p.prompt.strip()) < 2:
            problems.append("a matching question needs at least 2 pairs")
        for number, pair in enumerate(q.pairs, 1):
            if not pair.answer.strip():
                problems.append(f"pair {number} has no answer")
    elif q.type == ORDERING:
        if len(q.steps) < 2:
            problems.append("an ordering question needs at least 2 steps")
        if any(not step.strip() for step in q.steps):
            problems.append("a step is empty")
    elif q.type != ESSAY:
        problems.append(f"unknown question type {q.type!r}")
    return problems


def is_catch_all(answer) -> bool:
    """A numerical answer matching any response: Moodle's "*" (feedback for wrong answers)."""
    return answer.value is None and answer.low is None and answer.text.strip() == "*"
