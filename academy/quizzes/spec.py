"""Questions as plain data: what the formats (GIFT, Moodle XML, XLSX) read and write and
what the question types grade. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The question types of the registry (academy.quizzes.types), by key.
SINGLE = "single"  # one right option (Moodle multichoice, single)
MULTIPLE = "multiple"  # several options with fractions, partial credit, negative marks
TRUEFALSE = "truefalse"
SHORTANSWER = "shortanswer"  # accepted answers; normalises width, spaces and case
NUMERICAL = "numerical"  # value ± tolerance, or a min..max range
MATCHING = "matching"
ORDERING = "ordering"  # put the steps in order; partial credit by position
ESSAY = "essay"  # graded by an instructor with a rubric

QUESTION_TYPES = (SINGLE, MULTIPLE, TRUEFALSE, SHORTANSWER, NUMERICAL, MATCHING, ORDERING,
                  ESSAY)


@dataclass
class Answer:
    """An option (single/multiple), an accepted answer (shortanswer) or a numeric answer.

    ``fraction`` is the share of the mark it earns, -1.0 … 1.0 (Moodle's %weights%).
    For numerical answers ``text`` is unused and ``value``/``tolerance`` or ``low``/``high``
    are set.
    """

    text: str = ""
    fraction: float = 0.0
    feedback: str = ""
    value: float | None = None
    tolerance: float = 0.0
    low: float | None = None
    high: float | None = None


@dataclass
class Pair:
    """A matching sub-question and its answer (a distractor has an empty ``prompt``)."""

    prompt: str
    answer: str


@dataclass
class Question:
    type: str
    text: str
    name: str = ""
    text_format: str = "moodle"  # moodle | markdown | html | plain
    category: str = ""  # "$CATEGORY: a/b" path, "/"-separated
    tags: list[str] = field(default_factory=list)
    general_feedback: str = ""
    default_mark: float = 1.0
    answers: list[Answer] = field(default_factory=list)
    # truefalse
    correct: bool | None = None
    feedback_true: str = ""  # shown when the response is "true"
    feedback_false: str = ""
    # matching
    pairs: list[Pair] = field(default_factory=list)
    # ordering: the steps in their correct order
    steps: list[str] = field(default_factory=list)
    # essay: the grading rubric (criteria with points), free text for the grader
    rubric: list[dict] = field(default_factory=list)
    # where it came from, for error messages: line (GIFT) or row (XLSX)
    source_line: int | None = None


@dataclass
class FormatProblem:
    """A problem found while reading a file: ``line`` for text formats, ``row`` for XLSX."""

    message: str
    line: int | None = None
    row: int | None = None
