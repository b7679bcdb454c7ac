"""Grading arithmetic shared by the question types and the attempts: text normalisation,
numbers and tolerances, combining attempts, scaling a fraction to a mark.

Pure: no Flask, no database. Money-like arithmetic (marks) is done in ``Decimal`` so that
a mark never comes out as 0.30000000000000004.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

GRADING_METHODS = ("highest", "last", "average")

MARK_PLACES = Decimal("0.01")
# Fractions are kept to Moodle's 7 places: 3 × 33.33333% still rounds to a whole mark.
FRACTION_PLACES = Decimal("0.0000001")

# Largest and smallest magnitudes a numeric response may have (as Decimal.adjusted()):
# wide enough for any counter-side figure, narrow enough that arithmetic never overflows.
_MAX_EXPONENT = 15
_MIN_EXPONENT = -30
_MAX_NUMBER_CHARS = 40

_CJK = (
    "\u2e80-\u2fdf"  # radicals
    "\u3000-\u303f"  # CJK punctuation (。、「」)
    "\u3040-\u30ff"  # kana
    "\u3100-\u312f"  # bopomofo
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\uff00-\uffef"  # what NFKC leaves of the full-width block
)
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-"})


def normalise_text(text: str) -> str:
    """Fold a typed answer for comparison: width (NFKC), case, invisible characters, spaces.

    Full-width letters and digits become half-width (``ＡＢ岗`` → ``ab岗``), runs of
    whitespace (including the ideographic space U+3000) become one space, and a space
    next to a CJK character is dropped — Chinese is written without spaces, so
    ``一次性 告知`` and ``AB 岗`` are the same answers as ``一次性告知`` and ``AB岗``.
    """
    folded = text.translate(_INVISIBLE)
    # casefold() can produce text that NFKC changes again (and vice versa): repeat until
    # stable so that normalising twice is the same as normalising once.
    for _ in range(4):
        before = folded
        folded = unicodedata.normalize("NFKC", folded).casefold()
        if folded == before:
            break
    collapsed = " ".join(folded.split())
    return _SPACE_NEXT_TO_CJK.sub("", collapsed)


def to_decimal(value: Decimal | float | int | str) -> Decimal:
    """A number as an exact ``Decimal``; floats go through their shortest repr (0.1 → 0.1)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | str):
        return Decimal(value)
    raise TypeError(f"not a number: {type(value).__name__}")


def parse_number(raw: str | float | int | Decimal) -> Decimal:
    """A trainee's numeric response as a finite ``Decimal``, or ``ValueError`` saying why.

    Accepts full-width digits (``３０``), a Unicode minus sign and surrounding spaces; no
    units, no thousands separators, no fractions like 1/2.
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValueError("not a number")
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).translate(_MINUS_SIGNS).strip()
        if not text or len(text) > _MAX_NUMBER_CHARS:
            raise ValueError("not a number")
        if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?", text):
            raise ValueError("not a number")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern rules it out
            raise ValueError("not a number") from exc
    else:
        try:
            number = to_decimal(raw)
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise ValueError("not a number") from exc
    if not number.is_finite():
        raise ValueError("not a finite number")
    if number and not _MIN_EXPONENT <= number.adjusted() <= _MAX_EXPONENT:
        raise ValueError("number out of range")
    return number


def within_tolerance(response: Decimal, value: float | Decimal, tolerance: float | Decimal) -> bool:
    """``response`` is ``value`` ± ``tolerance`` (absolute, both ends included)."""
    return abs(to_decimal(response) - to_decimal(value)) <= abs(to_decimal(tolerance))


def within_range(response: Decimal, low: float | Decimal, high: float | Decimal) -> bool:
    """``low ≤ response ≤ high`` (the bounds may be given in either order)."""
    low_d, high_d = sorted((to_decimal(low), to_decimal(high)))
    return low_d <= to_decimal(response) <= high_d


def clamp_fraction(value: Decimal | float | int) -> float:
    """A raw total as a grade fraction: negative totals count as 0, never more than 1."""
    number = to_decimal(value)
    if not number.is_finite():
        raise ValueError("fraction is not finite")
    number = min(max(number, Decimal(0)), Decimal(1))
    return float(number.quantize(FRACTION_PLACES, rounding=ROUND_HALF_UP))


def combine_attempts(
    scores: Sequence[Decimal | float | int], method: str
) -> Decimal | None:
    """The quiz grade from the scores of finished attempts (in the order they were taken).

    ``highest`` takes the best, ``last`` the latest and ``average`` the mean, rounded
    half-up to 2 places. No attempts → ``None`` (not graded, which is not the same as 0).
    """
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r}; use one of {GRADING_METHODS}")
    values = [to_decimal(score) for score in scores]
    if any(not value.is_finite() for value in values):
        raise ValueError("scores must be finite numbers")
    if not values:
        return None
    if method == "highest":
        return max(values)
    if method == "last":
        return values[-1]
    return (sum(values, Decimal(0)) / len(values)).quantize(MARK_PLACES, rounding=ROUND_HALF_UP)


def scale(fraction: Decimal | float | int, max_mark: Decimal | float | int) -> Decimal:
    """The mark earned: ``fraction`` (0…1) of ``max_mark``, rounded half-up to 2 places."""
    share = to_decimal(fraction)
    mark = to_decimal(max_mark)
    if not share.is_finite() or not 0 <= share <= 1:
        raise ValueError("fraction must be between 0 and 1")
    if not mark.is_finite() or mark < 0:
        raise ValueError("max_mark must be a non-negative number")
    return (share * mark).quantize(MARK_PLACES, rounding=ROUND_HALF_UP)
