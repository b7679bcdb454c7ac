"""The pure grading arithmetic and essay rubrics (no Flask, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from academy.quizzes.grading import (
    clamp_fraction,
    combine_attempts,
    normalise_text,
    parse_number,
    scale,
    within_range,
    within_tolerance,
)
from academy.quizzes.rubrics import (
    RubricError,
    grade_with_rubric,
    parse_rubric,
    rubric_problems,
)

# --- normalise_text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [
        ("一次性告知 ", "一次性告知"),
        ("　一次性告知　", "一次性告知"),  # ideographic spaces
        ("一次性 告知", "一次性告知"),  # Chinese is written without spaces
        ("ＡＢ岗", "AB岗"),  # full-width letters
        ("ab岗", "AB岗"),
        ("AB 岗", "AB岗"),
        ("１２３４５", "12345"),
        ("Hello   World", "hello world"),
        ("hello\tworld\n", "Hello World"),
        ("STRASSE", "straße"),  # casefold, not lower
        ("首\u200b问负责制", "首问负责制"),  # zero-width space
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana
    ],
)
def test_normalise_text_makes_equivalent_answers_equal(typed, accepted):
    assert normalise_text(typed) == normalise_text(accepted)


@pytest.mark.parametrize(
    ("one", "other"),
    [("一次性告知", "一次告知"), ("AB岗", "A岗"), ("hello world", "helloworld"), ("12", "1 2")],
)
def test_normalise_text_keeps_different_answers_apart(one, other):
    assert normalise_text(one) != normalise_text(other)


@given(st.text())
def test_normalise_text_is_idempotent_and_trimmed(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert once == once.strip()
    assert "  " not in once


# --- numbers and tolerances -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("30", "30"), (" 30 ", "30"), ("３０", "30"), ("-3.5", "-3.5"), ("\u22123.5", "-3.5"),
     ("0.1", "0.1"), (".5", "0.5"), ("1e3", "1000"), (30, "30"), (0.1, "0.1"), ("+2", "2")],
)
def test_parse_number(raw, expected):
    assert parse_number(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw",
    ["", "  ", "abc", "3,5", "1/2", "30元", "nan", "inf", "1e999", float("nan"),
     float("inf"), True, None, [], {}, "1" * 41, "1e20"],
)
def test_parse_number_refuses(raw):
    with pytest.raises(ValueError):
        parse_number(raw)


def test_tolerance_and_range_are_inclusive_and_exact():
    assert within_tolerance(Decimal("30"), 30.0, 0)
    assert not within_tolerance(Decimal("30.01"), 30.0, 0)
    assert within_tolerance(Decimal("29.5"), 30.0, 0.5)
    assert within_tolerance(Decimal("30.5"), 30.0, 0.5)
    assert not within_tolerance(Decimal("30.51"), 30.0, 0.5)
    # 0.1 + 0.2 is exactly 0.3 in Decimal, even with no tolerance at all.
    assert within_tolerance(Decimal("0.1") + Decimal("0.2"), 0.3, 0)
    assert within_range(Decimal(3), 3, 5)
    assert within_range(Decimal(5), 3, 5)
    assert within_range(Decimal(4), 5, 3)  # bounds in either order
    assert not within_range(Decimal("5.0001"), 3, 5)
    assert not within_range(Decimal("2.9999"), 3, 5)


def test_clamp_fraction():
    assert clamp_fraction(-0.5) == 0.0
    assert clamp_fraction(1.5) == 1.0
    assert clamp_fraction(Decimal("0.9999999")) == 0.9999999
    assert clamp_fraction(Decimal(1) / 3) == 0.3333333
    with pytest.raises(ValueError):
        clamp_fraction(float("nan"))


# --- combining attempts and scaling -----------------------------------------------------


def test_combine_attempts_by_method():
    scores = [6, 9.5, 7]
    assert combine_attempts(scores, "highest") == Decimal("9.5")
    assert combine_attempts(scores, "last") == Decimal(7)
    assert combine_attempts(scores, "average") == Decimal("7.50")
    assert combine_attempts([1, 2, 2], "average") == Decimal("1.67")  # half-up, 2 places
    assert combine_attempts([0.1, 0.2], "average") == Decimal("0.15")
    assert combine_attempts([], "highest") is None
    with pytest.raises(ValueError, match="grading method"):
        combine_attempts([1], "best")
    with pytest.raises(ValueError):
        combine_attempts([float("nan")], "highest")


@given(st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1))
def test_combined_grade_lies_between_the_worst_and_the_best(scores):
    for method in ("highest", "last", "average"):
        combined = combine_attempts(scores, method)
        assert min(scores) <= combined <= max(scores)


def test_scale_rounds_to_two_places_in_decimal():
    assert scale(0.1, 3) == Decimal("0.30")  # not 0.30000000000000004
    assert str(scale(0.1, 3)) == "0.30"
    assert scale(1, 2) == Decimal("2.00")
    assert scale(0.5, 1) == Decimal("0.50")
    assert scale(Decimal(1) / 3, 10) == Decimal("3.33")
    assert scale(0.125, 1) == Decimal("0.13")  # half-up, not banker's rounding
    assert scale(0, 5) == Decimal("0.00")
    for bad_fraction in (-0.1, 1.1, float("nan")):
        with pytest.raises(ValueError):
            scale(bad_fraction, 1)
    with pytest.raises(ValueError):
        scale(0.5, -1)


@given(st.floats(min_value=0, max_value=1), st.decimals(min_value=0, max_value=1000, places=2))
def test_scaled_mark_never_exceeds_the_maximum(fraction, max_mark):
    mark = scale(fraction, max_mark)
    assert Decimal(0) <= mark <= max_mark
    assert mark == mark.quantize(Decimal("0.01"))


# --- rubrics ----------------------------------------------------------------------------

RUBRIC = [
    {"criterion": "一次性告知所需材料", "points": 4, "description": "列全材料"},
    {"criterion": "文明用语", "points": 2},
    {"name": "首问负责", "max_points": 2.5},  # aliases are accepted
]


def test_rubric_parses_with_aliases_and_totals():
    rubric = parse_rubric(RUBRIC)
    assert [c.name for c in rubric.criteria] == ["一次性告知所需材料", "文明用语", "首问负责"]
    assert rubric.total == Decimal("8.5")
    assert rubric.as_dicts()[2] == {"criterion": "首问负责", "points": 2.5}
    assert rubric_problems([]) == []


def test_grade_with_rubric():
    scores = {"一次性告知所需材料": 4, "文明用语": 1, "首问负责": 2.5}
    assert grade_with_rubric(RUBRIC, scores) == pytest.approx(7.5 / 8.5, abs=1e-7)
    full = {"一次性告知所需材料": 4, "文明用语": 2, "首问负责": 2.5}
    assert grade_with_rubric(RUBRIC, full) == 1.0
    nothing = dict.fromkeys(full, 0)
    assert grade_with_rubric(RUBRIC, nothing) == 0.0


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"一次性告知所需材料": 5, "文明用语": 2, "首问负责": 2}, "between 0 and 4"),
        ({"一次性告知所需材料": -1, "文明用语": 2, "首问负责": 2}, "between 0 and 4"),
        ({"一次性告知所需材料": 4, "文明用语": 2}, "has no score"),
        ({"一次性告知所需材料": 4, "文明用语": 2, "首问负责": 2, "态度": 1}, "not a criterion"),
        ({"一次性告知所需材料": True, "文明用语": 2, "首问负责": 2}, "between 0 and 4"),
        ({"一次性告知所需材料": "4", "文明用语": None, "首问负责": 2}, "between 0 and 2"),
    ],
)
def test_grade_with_rubric_refuses_scores_that_do_not_fit(scores, message):
    with pytest.raises(RubricError, match=message):
        grade_with_rubric(RUBRIC, scores)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("criteria", "must be a list"),
        ([{"points": 2}], "needs a name"),
        ([{"criterion": "a", "points": 0}], "above 0"),
        ([{"criterion": "a", "points": "many"}], "above 0"),
        ([{"criterion": "a", "points": 1}, {"criterion": "a", "points": 1}], "appears twice"),
        (["a"], "must be an object"),
    ],
)
def test_rubric_problems(raw, problem):
    assert any(problem in message for message in rubric_problems(raw))
    with pytest.raises(RubricError):
        parse_rubric(raw)


def test_an_empty_rubric_cannot_grade():
    with pytest.raises(RubricError, match="no criteria"):
        grade_with_rubric([], {})


@given(
    st.lists(st.integers(min_value=1, max_value=10), min_size=1, max_size=6).flatmap(
        lambda maxima: st.tuples(
            st.just(maxima),
            st.tuples(*[st.integers(min_value=0, max_value=m) for m in maxima]),
        )
    )
)
def test_rubric_fraction_is_the_share_of_points(case):
    maxima, given_points = case
    rubric = [{"criterion": f"c{i}", "points": m} for i, m in enumerate(maxima)]
    fraction = grade_with_rubric(rubric, {f"c{i}": p for i, p in enumerate(given_points)})
    assert 0.0 <= fraction <= 1.0
    assert fraction == pytest.approx(sum(given_points) / sum(maxima), abs=1e-7)
