"""Essay rubrics: criteria with maximum points, and an instructor's scores → a fraction.

A rubric is stored on the question (``Question.rubric``) as a list of plain dicts::

    [{"criterion": "一次性告知所需材料", "points": 4, "description": "…"},
     {"criterion": "文明用语", "points": 2}]

``name`` and ``max_points`` are accepted as aliases of ``criterion`` and ``points``.
Points may be fractional (half points); every criterion must be scored between 0 and its
maximum. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from academy.quizzes.grading import clamp_fraction, to_decimal

MAX_CRITERIA = 50
MAX_NAME_CHARS = 200


class RubricError(ValueError):
    """A rubric that cannot be used, or scores that do not fit it; ``problems`` lists why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Criterion:
    name: str
    max_points: Decimal
    description: str = ""


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[Criterion, ...]

    @property
    def total(self) -> Decimal:
        """The most points the rubric can give."""
        return sum((criterion.max_points for criterion in self.criteria), Decimal(0))

    def as_dicts(self) -> list[dict]:
        """The rubric back in its stored form (points as int when whole, else float)."""
        return [
            {"criterion": c.name, "points": _plain_number(c.max_points),
             **({"description": c.description} if c.description else {})}
            for c in self.criteria
        ]


def _plain_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _parse(raw: object) -> tuple[Rubric, list[str]]:
    problems: list[str] = []
    criteria: list[Criterion] = []
    if not isinstance(raw, list | tuple):
        return Rubric(()), ["the rubric must be a list of criteria"]
    if len(raw) > MAX_CRITERIA:
        problems.append(f"a rubric has at most {MAX_CRITERIA} criteria")
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            problems.append(f"criterion {number}: must be an object with a name and points")
            continue
        name = item.get("criterion", item.get("name", ""))
        points = _number(item.get("points", item.get("max_points")))
        description = item.get("description", "")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"criterion {number}: needs a name")
            continue
        name = name.strip()
        if len(name) > MAX_NAME_CHARS:
            problems.append(f"criterion {number}: the name is longer than {MAX_NAME_CHARS}")
        if name in seen:
            problems.append(f"criterion {number}: {name!r} appears twice")
        seen.add(name)
        if points is None or points <= 0:
            problems.append(f"criterion {name!r}: points must be a number above 0")
            continue
        if not isinstance(description, str):
            description = ""
        criteria.append(Criterion(name, points, description))
    return Rubric(tuple(criteria)), problems


def rubric_problems(raw: object) -> list[str]:
    """What is wrong with a stored rubric (empty list: usable). An empty rubric is fine:
    the essay is then marked as a whole."""
    return _parse(raw)[1]


def parse_rubric(raw: object) -> Rubric:
    """A stored rubric as a ``Rubric``, or ``RubricError`` listing its problems."""
    rubric, problems = _parse(raw)
    if problems:
        raise RubricError(problems)
    return rubric


def grade_with_rubric(rubric: Rubric | list[dict], scores_by_criterion: Mapping) -> float:
    """The fraction (0…1) an essay earns: points given over points possible.

    Every criterion must be scored, with a number between 0 and its maximum; a score for
    a criterion the rubric does not have is an error, not silently ignored.
    """
    if not isinstance(rubric, Rubric):
        rubric = parse_rubric(rubric)
    if not rubric.criteria:
        raise RubricError(["the rubric has no criteria"])
    if not isinstance(scores_by_criterion, Mapping):
        raise RubricError(["scores must map each criterion to points"])
    problems: list[str] = []
    known = {criterion.name for criterion in rubric.criteria}
    for name in scores_by_criterion:
        if name not in known:
            problems.append(f"{name!r} is not a criterion of this rubric")
    earned = Decimal(0)
    for criterion in rubric.criteria:
        if criterion.name not in scores_by_criterion:
            problems.append(f"{criterion.name!r} has no score")
            continue
        score = _number(scores_by_criterion[criterion.name])
        if score is None or not 0 <= score <= criterion.max_points:
            problems.append(
                f"{criterion.name!r}: the score must be between 0 and "
                f"{_plain_number(criterion.max_points)}"
            )
            continue
        earned += score
    if problems:
        raise RubricError(problems)
    return clamp_fraction(earned / rubric.total)
