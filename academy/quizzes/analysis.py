"""Quiz item analysis: how a quiz and each of its questions performed over finished attempts.

The input is one ``AttemptResult`` per finished attempt, each listing the questions that
attempt met (``SlotResult``: the fraction earned, the question's maximum mark and what was
chosen). Attempts may meet different questions (random draws); a question's statistics are
taken over the attempts that met it.

Quiz level (``QuizAnalysis``):

- ``mean_percent`` / ``median_percent`` / ``sd_percent`` — of the attempts' scores as a
  percentage of their maximum (sample standard deviation, n − 1; 0 with fewer than 2);
- ``cronbach_alpha`` — internal consistency (Cronbach's alpha, which is KR-20 for right/wrong
  questions), when it can be computed at all.

Question level (``QuestionStats``), with Moodle's definitions:

- ``facility`` — mean fraction × 100: 0 nobody earned anything, 100 everybody full marks;
- ``sd`` — sample standard deviation of the fraction × 100;
- ``discrimination`` — Pearson correlation × 100 between the question's score and the score
  on the *rest* of the attempt (its total minus this question), over the attempts that met
  the question: high when those who did well on this question also did well elsewhere.
  The rest is in marks (weights count, as in Moodle); the question's side uses its
  fraction, which correlates exactly as its mark does and still works when ``max_mark`` is 0;
- ``options`` — how often each option id (or answer) was chosen;
- ``flags`` — problems worth a look, with an English reason per slug in ``FLAG_REASONS``:

  - ``negative_discrimination`` — discrimination < 0 (so at least 2 graded attempts whose
    scores vary): the stronger trainees did worse on it, often a wrong key;
  - ``nobody_right`` — facility exactly 0 (every graded fraction 0), at least 1 graded;
  - ``everybody_right`` — facility exactly 100 (every graded fraction 1), at least 1 graded;
  - ``low_discrimination`` — 0 ≤ discrimination < 20 (``LOW_DISCRIMINATION_BELOW``) with at
    least 10 graded attempts (``LOW_DISCRIMINATION_MIN_ATTEMPTS``): with fewer, the index is
    too noisy to judge.

Not graded yet (``fraction is None``, an essay waiting for its grader) means "left out":
the slot counts as met (``count``, option frequencies) but adds nothing to any score or
statistic. A question with ``max_mark`` 0 still has a facility (fractions) but adds nothing
to the attempt's score.

Fractions and maximum marks are taken to Moodle's 7 decimal places (rounded half-up, as
``grading.clamp_fraction`` keeps fractions); from there all arithmetic is in integers. It is
exact — equal scores really have zero variance, a correlation of 0.2 is exactly 20 — and
fast. Results are plain floats, not rounded: presenting them is the caller's business.

Pure: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from academy.quizzes.grading import FRACTION_PLACES, to_decimal

NEGATIVE_DISCRIMINATION = "negative_discrimination"
NOBODY_RIGHT = "nobody_right"
EVERYBODY_RIGHT = "everybody_right"
LOW_DISCRIMINATION = "low_discrimination"

# Slug → why the question deserves a look, in English; the caller translates.
FLAG_REASONS: dict[str, str] = {
    NEGATIVE_DISCRIMINATION: (
        "Trainees who did well on the rest of the quiz did worse on this question: "
        "check the key and the wording."
    ),
    NOBODY_RIGHT: (
        "Nobody earned any marks on this question: check the key, or whether it was taught."
    ),
    EVERYBODY_RIGHT: (
        "Everybody earned full marks on this question: it tells trainees apart from nobody."
    ),
    LOW_DISCRIMINATION: (
        "This question hardly separates stronger from weaker trainees: "
        "consider revising or replacing it."
    ),
}
# Flags always appear in this order.
FLAG_ORDER = (NEGATIVE_DISCRIMINATION, NOBODY_RIGHT, EVERYBODY_RIGHT, LOW_DISCRIMINATION)

# "Low discrimination": 0 ≤ discrimination < LOW_DISCRIMINATION_BELOW, judged only once
# LOW_DISCRIMINATION_MIN_ATTEMPTS graded attempts met the question (fewer is noise).
# "Nobody/everybody right" need 1 graded attempt; "negative" needs a discrimination at all.
LOW_DISCRIMINATION_BELOW = 20.0
LOW_DISCRIMINATION_MIN_ATTEMPTS = 10

# Fractions and maximum marks become whole numbers of 10⁻⁷ ("units"); a mark, fraction ×
# maximum, is then a whole number of 10⁻¹⁴.
_DIGITS = -FRACTION_PLACES.as_tuple().exponent
_ONE = 10**_DIGITS


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class SlotResult:
    """One question as one finished attempt met it.

    ``fraction`` is the share earned (0…1), ``None`` while not graded yet; ``max_mark`` the
    question's weight in the attempt (≥ 0); ``chosen`` the option ids or answers chosen
    (empty, or only ``""``: unanswered). A list is accepted for ``chosen`` and a single
    string is one answer.
    """

    question_id: int
    fraction: float | None
    max_mark: float
    chosen: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.fraction is not None and (
            not _is_number(self.fraction) or not 0 <= self.fraction <= 1
        ):
            raise ValueError(f"fraction must be between 0 and 1 or None, not {self.fraction!r}")
        if not _is_number(self.max_mark) or not 0 <= self.max_mark < math.inf:
            raise ValueError(f"max_mark must be a finite number ≥ 0, not {self.max_mark!r}")
        chosen = (self.chosen,) if isinstance(self.chosen, str) else tuple(self.chosen)
        if not all(isinstance(item, str) for item in chosen):
            raise ValueError("chosen must hold strings")
        object.__setattr__(self, "chosen", chosen)


@dataclass(frozen=True)
class AttemptResult:
    """One finished attempt: the questions it met, each once, in the order shown."""

    attempt_id: int
    slots: tuple[SlotResult, ...]

    def __post_init__(self) -> None:
        slots = tuple(self.slots)
        ids = [slot.question_id for slot in slots]
        if len(set(ids)) != len(ids):
            raise ValueError(f"attempt {self.attempt_id} meets a question more than once")
        object.__setattr__(self, "slots", slots)


@dataclass(frozen=True)
class OptionFrequency:
    """How many attempts that met the question chose ``option_id``, and what share."""

    option_id: str
    label: str | None
    count: int
    percent: float


@dataclass(frozen=True)
class QuestionStats:
    """Statistics of one question over the attempts that met it.

    ``count`` attempts met it, ``graded`` of them with a fraction (the statistics use
    these). ``facility`` is ``None`` without any graded attempt; ``sd`` is 0 with fewer
    than 2; ``discrimination`` is ``None`` with fewer than 2 or when the question's scores
    or the rest-of-attempt scores do not vary. ``unanswered`` counts attempts that chose
    nothing.
    """

    question_id: int
    count: int
    graded: int
    facility: float | None
    sd: float
    discrimination: float | None
    options: tuple[OptionFrequency, ...]
    unanswered: int
    flags: tuple[str, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The English reason of each flag, in the order of ``flags``."""
        return tuple(FLAG_REASONS[flag] for flag in self.flags)


@dataclass(frozen=True)
class QuizAnalysis:
    """The quiz as a whole and its questions, in the order they first appear.

    ``attempts`` is every attempt given; ``scored`` those with a percentage (a graded
    maximum above 0), over which ``mean_percent``, ``median_percent`` (``None`` when there
    are none) and ``sd_percent`` (0 with fewer than 2) are taken.
    """

    attempts: int
    scored: int
    mean_percent: float | None
    median_percent: float | None
    sd_percent: float
    cronbach_alpha: float | None
    questions: tuple[QuestionStats, ...]

    def question(self, question_id: int) -> QuestionStats | None:
        return next((q for q in self.questions if q.question_id == question_id), None)


class _Met(NamedTuple):
    """One attempt meeting one question, in integers: ``share`` the fraction in units
    (``None``: not graded), ``rest`` the rest of the attempt's marks (units²). A named
    tuple rather than a dataclass: there is one per slot, and tuples are quick to make."""

    share: int | None
    rest: int
    chosen: tuple[str, ...]


def analyse(
    attempts: Sequence[AttemptResult],
    *,
    option_labels: Mapping[int, Mapping[str, str]] | None = None,
) -> QuizAnalysis:
    """Analyse finished attempts; ``option_labels`` maps question id → option id → label.

    No attempts gives an empty analysis (no questions, no mean), never an exception.
    """
    labels = option_labels or {}
    percents: list[float] = []
    complete: list[dict[int, int]] = []  # question id → mark, of the fully graded attempts
    met: dict[int, list[_Met]] = {}  # in the order the questions first appear
    for attempt in attempts:
        marks = {slot.question_id: _mark(slot) for slot in attempt.slots}
        earned = sum(marks.values())
        percent = _percent(attempt, earned)
        if percent is not None:
            percents.append(percent)
        if all(slot.fraction is not None for slot in attempt.slots):
            complete.append(marks)
        for slot in attempt.slots:
            met.setdefault(slot.question_id, []).append(
                _Met(_share(slot), earned - marks[slot.question_id], slot.chosen))
    numerators, denominator = _common_denominator(percents)
    return QuizAnalysis(
        attempts=len(attempts),
        scored=len(percents),
        mean_percent=_float_or_none(_mean(numerators, denominator)),
        median_percent=_float_or_none(_median(numerators, denominator)),
        sd_percent=_sample_sd(numerators, denominator),
        cronbach_alpha=_cronbach_alpha(complete),
        questions=tuple(
            _question_stats(question_id, slots, labels.get(question_id))
            for question_id, slots in met.items()
        ),
    )


def _question_stats(
    question_id: int, met: Sequence[_Met], labels: Mapping[str, str] | None
) -> QuestionStats:
    """One question's statistics over the attempts that met it."""
    graded = [m for m in met if m.share is not None]
    shares = [m.share for m in graded]
    facility = _mean(shares, _ONE)
    discrimination = _correlation(shares, [m.rest for m in graded], scale=100)
    options, unanswered = _option_frequencies([m.chosen for m in met], labels)
    return QuestionStats(
        question_id=question_id,
        count=len(met),
        graded=len(graded),
        facility=None if facility is None else float(facility * 100),
        sd=_sample_sd(shares, _ONE) * 100,
        discrimination=discrimination,
        options=options,
        unanswered=unanswered,
        flags=_flags(shares, discrimination),
    )


def _option_frequencies(
    chosen: Sequence[tuple[str, ...]], labels: Mapping[str, str] | None
) -> tuple[tuple[OptionFrequency, ...], int]:
    """Option frequencies over what each attempt chose, and how many chose nothing.

    An id counts once per attempt (multiple response: every chosen id counts); ``""`` is
    no choice. Percentages are of all the attempts given. Sorted by count (most first),
    then label (the id when there is none), then id.
    """
    labels = labels or {}
    counts: dict[str, int] = {}
    unanswered = 0
    for answer in chosen:
        ids = {item for item in answer if item}
        if not ids:
            unanswered += 1
        for option_id in ids:
            counts[option_id] = counts.get(option_id, 0) + 1
    frequencies = [
        OptionFrequency(option_id=option_id, label=labels.get(option_id), count=count,
                        percent=count * 100 / len(chosen))
        for option_id, count in counts.items()
    ]
    frequencies.sort(key=lambda f: (-f.count, f.label if f.label is not None else f.option_id,
                                    f.option_id))
    return tuple(frequencies), unanswered


def _cronbach_alpha(complete: Sequence[Mapping[int, int]]) -> float | None:
    """Cronbach's alpha over the question marks: k/(k−1) · (1 − Σ var(question) / var(total)).

    For right/wrong questions this is KR-20. ``complete`` holds the marks of the fully
    graded attempts; they must all have met the same questions (random draws: ``None``),
    with at least 2 attempts, at least 2 questions and a total that varies. May be
    negative.
    """
    if len(complete) < 2:
        return None
    questions = complete[0].keys()
    if len(questions) < 2 or any(marks.keys() != questions for marks in complete):
        return None
    # Every variance is its co-moment over the same n·(n−1): the ratio needs no division.
    totals = [sum(marks.values()) for marks in complete]
    total = _co_moment(totals, totals)
    if not total:
        return None
    columns = [[marks[q] for marks in complete] for q in questions]
    items = sum(_co_moment(column, column) for column in columns)
    k = len(questions)
    return float(Fraction(k, k - 1) * (1 - Fraction(items, total)))


# --- helpers ----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _units(value: float) -> int:
    """A fraction or maximum mark in whole 10⁻⁷, rounded half-up (its printed decimals,
    not its binary expansion: 0.1 is 1 000 000)."""
    return int(to_decimal(value).scaleb(_DIGITS).to_integral_value(rounding=ROUND_HALF_UP))


def _share(slot: SlotResult) -> int | None:
    return None if slot.fraction is None else _units(slot.fraction)


def _mark(slot: SlotResult) -> int:
    """The mark earned in 10⁻¹⁴; 0 while not graded."""
    return 0 if slot.fraction is None else _units(slot.fraction) * _units(slot.max_mark)


def _percent(attempt: AttemptResult, earned: int) -> float | None:
    """The attempt's score as a percentage of the maximum of its graded questions;
    ``None`` when that maximum is 0 (nothing graded yet, or only questions worth 0)."""
    possible = sum(_units(slot.max_mark) for slot in attempt.slots
                   if slot.fraction is not None)
    return earned * 100 / (possible * _ONE) if possible else None  # int / int: rounded once


def _flags(shares: Sequence[int], discrimination: float | None) -> tuple[str, ...]:
    """Flags of a question from its graded shares and discrimination index (the
    thresholds are in the module docstring), in ``FLAG_ORDER``."""
    raised = set()
    if discrimination is not None and discrimination < 0:
        raised.add(NEGATIVE_DISCRIMINATION)
    if shares and all(share == 0 for share in shares):
        raised.add(NOBODY_RIGHT)
    if shares and all(share == _ONE for share in shares):
        raised.add(EVERYBODY_RIGHT)
    if (discrimination is not None and 0 <= discrimination < LOW_DISCRIMINATION_BELOW
            and len(shares) >= LOW_DISCRIMINATION_MIN_ATTEMPTS):
        raised.add(LOW_DISCRIMINATION)
    return tuple(flag for flag in FLAG_ORDER if flag in raised)


def _common_denominator(values: Sequence[float]) -> tuple[list[int], int]:
    """Floats as integers over one denominator, exactly (a power of 2: floats are binary)."""
    ratios = [value.as_integer_ratio() for value in values]
    denominator = max((d for _, d in ratios), default=1)
    return [n * (denominator // d) for n, d in ratios], denominator


def _float_or_none(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _mean(numerators: Sequence[int], denominator: int) -> Fraction | None:
    """The mean of ``numerators / denominator``; ``None`` for no values."""
    if not numerators:
        return None
    return Fraction(sum(numerators), len(numerators) * denominator)


def _median(numerators: Sequence[int], denominator: int) -> Fraction | None:
    if not numerators:
        return None
    ordered = sorted(numerators)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[middle], denominator)
    return Fraction(ordered[middle - 1] + ordered[middle], 2 * denominator)


def _co_moment(a: Sequence[int], b: Sequence[int]) -> int:
    """n·Σab − Σa·Σb, which is n · Σ (a − ā)(b − b̄), in integers."""
    return len(a) * sum(x * y for x, y in zip(a, b, strict=True)) - sum(a) * sum(b)


def _sample_sd(numerators: Sequence[int], denominator: int) -> float:
    """Sample standard deviation (n − 1) of ``numerators / denominator``; 0 for fewer than
    2 values."""
    n = len(numerators)
    if n < 2:
        return 0.0
    return math.sqrt(Fraction(_co_moment(numerators, numerators),
                              n * (n - 1) * denominator * denominator))


def _correlation(xs: Sequence[int], ys: Sequence[int], *, scale: int = 1) -> float | None:
    """Pearson's r × ``scale``, or ``None`` with fewer than 2 pairs or when either side is
    constant (the units of either side do not matter).

    Computed as sign · √(scale² · Sxy² / (Sxx · Syy)) from exact integers, so |r| ≤ 1 holds
    after rounding too, and a correlation of exactly 0.2 is exactly 20 on a scale of 100.
    """
    if len(xs) < 2:
        return None
    sxx, syy, sxy = _co_moment(xs, xs), _co_moment(ys, ys), _co_moment(xs, ys)
    if not sxx or not syy:
        return None
    r = math.sqrt(Fraction(scale * scale * sxy * sxy, sxx * syy))
    return -r if sxy < 0 else r
