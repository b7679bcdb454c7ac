"""Quiz item analysis: hand-computed statistics, flags, option frequencies, awkward inputs,
and property tests over generated attempts (no Flask, no database)."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.quizzes.analysis import (
    EVERYBODY_RIGHT,
    FLAG_ORDER,
    FLAG_REASONS,
    LOW_DISCRIMINATION,
    NEGATIVE_DISCRIMINATION,
    NOBODY_RIGHT,
    AttemptResult,
    OptionFrequency,
    QuizAnalysis,
    SlotResult,
    analyse,
)


def attempts_from(columns: dict[int, list], *, marks: dict[int, float] | None = None,
                  chosen: dict[int, list[tuple[str, ...]]] | None = None) -> list[AttemptResult]:
    """Attempts from one column of fractions per question (row i = attempt i + 1); a
    question absent from an attempt is written ``"-"``."""
    marks = marks or {}
    chosen = chosen or {}
    rows = len(next(iter(columns.values())))
    attempts = []
    for row in range(rows):
        slots = tuple(
            SlotResult(question_id=qid, fraction=column[row], max_mark=marks.get(qid, 1.0),
                       chosen=chosen[qid][row] if qid in chosen else ())
            for qid, column in columns.items()
            if column[row] != "-"
        )
        attempts.append(AttemptResult(attempt_id=row + 1, slots=slots))
    return attempts


# Four attempts, five questions worth 1 mark each.
#
#              Q1    Q3    Q4   Q5   Q2  | total  percent
#   attempt 1  1     0.5   1    0    1   |  3.5     70
#   attempt 2  0.5   0     1    0    0.5 |  2       40
#   attempt 3  0.5   0.5   1    0    0.5 |  2.5     50
#   attempt 4  0     1     1    0    0   |  2       40
#
# Q1 and Q2 go with the rest of the quiz, Q3 against it, everybody gets Q4, nobody Q5.
# (Q1 is listed before Q3 and Q2 last on purpose: questions come in first-seen order.)
HAND = {
    1: [1, 0.5, 0.5, 0],
    3: [0.5, 0, 0.5, 1],
    4: [1, 1, 1, 1],
    5: [0, 0, 0, 0],
    2: [1, 0.5, 0.5, 0],
}


@pytest.fixture
def hand() -> QuizAnalysis:
    return analyse(attempts_from(HAND))


def test_quiz_level_statistics_by_hand(hand):
    assert hand.attempts == 4
    assert hand.scored == 4
    # mean (70 + 40 + 50 + 40) / 4 = 200 / 4 = 50
    assert hand.mean_percent == pytest.approx(50)
    # median of 40, 40, 50, 70 = (40 + 50) / 2 = 45
    assert hand.median_percent == pytest.approx(45)
    # deviations 20, −10, 0, −10 → squares 400 + 100 + 0 + 100 = 600; 600 / (4 − 1) = 200;
    # √200 = 14.1421…
    assert hand.sd_percent == pytest.approx(math.sqrt(200))


def test_question_order_is_first_appearance(hand):
    assert [q.question_id for q in hand.questions] == [1, 3, 4, 5, 2]


def test_facility_and_sd_by_hand(hand):
    q1 = hand.question(1)
    assert (q1.count, q1.graded) == (4, 4)
    # facility: (1 + 0.5 + 0.5 + 0) / 4 = 0.5 → 50
    assert q1.facility == pytest.approx(50)
    # deviations 0.5, 0, 0, −0.5 → Σ² = 0.5; 0.5 / 3 = 0.1667; √ = 0.40825 → 40.825
    assert q1.sd == pytest.approx(40.824829, abs=1e-6)
    assert hand.question(4).facility == pytest.approx(100)
    assert hand.question(4).sd == 0
    assert hand.question(5).facility == 0


def test_discrimination_by_hand(hand):
    # Q1: x = 1, 0.5, 0.5, 0 (mean 0.5, dx = 0.5, 0, 0, −0.5, Sxx = 0.5)
    #     rest = total − Q1 = 2.5, 1.5, 2, 2 (mean 2, dy = 0.5, −0.5, 0, 0, Syy = 0.5)
    #     Sxy = 0.25 + 0 + 0 + 0 = 0.25 → r = 0.25 / √(0.5 × 0.5) = 0.5 → 50
    assert hand.question(1).discrimination == pytest.approx(50)
    # Q3: x = 0.5, 0, 0.5, 1 (mean 0.5, dx = 0, −0.5, 0, 0.5, Sxx = 0.5)
    #     rest = 3, 2, 2, 1 (mean 2, dy = 1, 0, 0, −1, Syy = 2)
    #     Sxy = 0 + 0 + 0 − 0.5 = −0.5 → r = −0.5 / √(0.5 × 2) = −0.5 → −50
    assert hand.question(3).discrimination == pytest.approx(-50)
    # Q4 and Q5 do not vary: no correlation to speak of.
    assert hand.question(4).discrimination is None
    assert hand.question(5).discrimination is None


def test_flags_by_hand(hand):
    assert hand.question(1).flags == ()
    assert hand.question(2).flags == ()
    assert hand.question(3).flags == (NEGATIVE_DISCRIMINATION,)
    assert hand.question(4).flags == (EVERYBODY_RIGHT,)
    assert hand.question(5).flags == (NOBODY_RIGHT,)
    assert hand.question(3).reasons == (FLAG_REASONS[NEGATIVE_DISCRIMINATION],)
    assert hand.question(1).reasons == ()


def test_nearly_everybody_or_nobody_right_is_not_flagged():
    # Facility 87.5 (1, 1, 1, 0.5) and 12.5 (0, 0, 0, 0.5): only exactly 100 / 0 count.
    analysis = analyse(attempts_from({1: [1, 1, 1, 0.5], 2: [0, 0, 0, 0.5]}))
    assert analysis.question(1).facility == pytest.approx(87.5)
    assert analysis.question(2).facility == pytest.approx(12.5)
    assert EVERYBODY_RIGHT not in analysis.question(1).flags
    assert NOBODY_RIGHT not in analysis.question(2).flags
    # Every graded attempt right, a pending one does not spoil it.
    pending = analyse(attempts_from({1: [1, None, 1]}))
    assert pending.question(1).flags == (EVERYBODY_RIGHT,)


def test_every_flag_has_an_english_reason():
    assert set(FLAG_REASONS) == set(FLAG_ORDER)
    assert all(reason.strip() and reason.isascii() for reason in FLAG_REASONS.values())


def test_cronbach_alpha_by_hand(hand):
    # Sums of squares: Q1, Q2, Q3 0.5 each, Q4 and Q5 0 → Σ = 1.5;
    # totals 3.5, 2, 2.5, 2 (mean 2.5) → 1 + 0.25 + 0 + 0.25 = 1.5;
    # alpha = 5/4 × (1 − 1.5/1.5) = 0
    assert hand.cronbach_alpha == pytest.approx(0, abs=1e-12)


def test_cronbach_alpha_three_questions_by_hand():
    # Q1 1,1,0,0 (Σ² 1); Q2 1,0,1,0 (Σ² 1); Q3 1,1,1,0 (mean 0.75, Σ² 3×0.0625 + 0.5625 = 0.75)
    # totals 3, 2, 2, 0 (mean 1.75): 1.5625 + 0.0625 + 0.0625 + 3.0625 = 4.75
    # alpha = 3/2 × (1 − 2.75 / 4.75) = 3/2 × 2/4.75 = 12/19
    attempts = attempts_from({1: [1, 1, 0, 0], 2: [1, 0, 1, 0], 3: [1, 1, 1, 0]})
    assert analyse(attempts).cronbach_alpha == pytest.approx(12 / 19)


def test_cronbach_alpha_is_one_for_questions_that_agree_perfectly():
    # Σ² per question 1 + 1 = 2; totals 2, 0, 2, 0 → Σ² 4; alpha = 2 × (1 − 2/4) = 1
    attempts = attempts_from({1: [1, 0, 1, 0], 2: [1, 0, 1, 0]})
    assert analyse(attempts).cronbach_alpha == pytest.approx(1)


def test_cronbach_alpha_is_not_computed_for_random_draws():
    attempts = attempts_from({1: [1, 0, 1, 0], 2: [1, 0, "-", 0], 3: ["-", "-", 1, "-"]})
    assert analyse(attempts).cronbach_alpha is None


def test_cronbach_alpha_leaves_out_attempts_with_pending_questions():
    # Attempts 1, 2, 4, 5 are the 12/19 example above; attempt 3 waits for Q2's grader.
    attempts = attempts_from({1: [1, 1, 1, 0, 0], 2: [1, 0, None, 1, 0], 3: [1, 1, 0, 1, 0]})
    assert analyse(attempts).cronbach_alpha == pytest.approx(12 / 19)


def test_rest_of_attempt_is_in_marks_not_fractions():
    # Q2 is worth 1, Q3 worth 3. For Q1 (x = 1, 0, 0, 0) the rest is
    # Q2 + Q3 marks = 1+0, 1+0, 0+3, 0+3 = 1, 1, 3, 3 (in fractions it would be 1,1,1,1:
    # constant, no discrimination at all).
    # dx = 0.75, −0.25, −0.25, −0.25 (Sxx 0.75); dy = −1, −1, 1, 1 (Syy 4)
    # Sxy = −0.75 + 0.25 − 0.25 − 0.25 = −1 → r = −1 / √(0.75 × 4) = −1/√3 → −57.735
    attempts = attempts_from({1: [1, 0, 0, 0], 2: [1, 1, 0, 0], 3: [0, 0, 1, 1]},
                             marks={3: 3.0})
    q1 = analyse(attempts).question(1)
    assert q1.discrimination == pytest.approx(-100 / math.sqrt(3))
    assert NEGATIVE_DISCRIMINATION in q1.flags


def test_quiz_percent_weighs_questions_by_their_marks():
    # attempt 1: 1×1 + 0×3 = 1 of 4 → 25; attempt 2: 0×1 + 1×3 = 3 of 4 → 75
    analysis = analyse(attempts_from({1: [1, 0], 2: [0, 1]}, marks={2: 3.0}))
    assert analysis.mean_percent == pytest.approx(50)
    assert analysis.median_percent == pytest.approx(50)
    # deviations −25, 25 → 1250 / 1 → √1250 = 35.355
    assert analysis.sd_percent == pytest.approx(math.sqrt(1250))


def test_pending_fractions_are_left_out_of_the_statistics():
    # Q2 is an essay waiting for its grader in attempt 3.
    attempts = attempts_from({1: [1, 0, 1], 2: [1, 0, None]},
                             chosen={1: [("a",), ("b",), ("a",)], 2: [("x",), ("",), ("x",)]})
    analysis = analyse(attempts)
    q2 = analysis.question(2)
    assert (q2.count, q2.graded) == (3, 2)
    # facility over the two graded: (1 + 0) / 2 → 50, not (1 + 0 + 0) / 3
    assert q2.facility == pytest.approx(50)
    # Frequencies are of everyone who met it: "x" chosen 2 of 3 times.
    assert q2.options == (OptionFrequency("x", None, 2, pytest.approx(200 / 3)),)
    assert q2.unanswered == 1
    # Attempt 3 scores 1 of 1 (the essay's mark is not counted yet): 100, 0, 100.
    assert analysis.mean_percent == pytest.approx(200 / 3)
    # Q1's rest: Q2's mark where graded, nothing for the pending one → 1, 0, 0.
    # x = 1, 0, 1 (mean 2/3, dx = 1/3, −2/3, 1/3, Sxx = 2/3); dy = 2/3, −1/3, −1/3 (Syy 2/3)
    # Sxy = 2/9 + 2/9 − 1/9 = 1/3 → r = (1/3) / (2/3) = 0.5 → 50
    assert analysis.question(1).discrimination == pytest.approx(50)


def test_an_attempt_with_nothing_graded_has_no_percentage():
    attempts = attempts_from({1: [None, 0.5]})
    analysis = analyse(attempts)
    assert (analysis.attempts, analysis.scored) == (2, 1)
    assert analysis.mean_percent == pytest.approx(50)
    assert analysis.sd_percent == 0
    q1 = analysis.question(1)
    assert (q1.count, q1.graded, q1.facility, q1.sd, q1.discrimination) == (2, 1, 50, 0, None)


def test_a_question_nobody_has_graded_yet_has_no_statistics_and_no_flags():
    q1 = analyse(attempts_from({1: [None, None], 2: [1, 0]})).question(1)
    assert (q1.count, q1.graded) == (2, 0)
    assert (q1.facility, q1.sd, q1.discrimination, q1.flags) == (None, 0, None, ())


def test_a_question_worth_nothing_still_has_a_facility_and_discrimination():
    # Q0 is worth 0 marks: it adds nothing to the percentages, but its fractions
    # 1, 0, 1, 0 correlate perfectly with the rest (Q1 marks 1, 0, 1, 0) → 100.
    attempts = attempts_from({0: [1, 0, 1, 0], 1: [1, 0, 1, 0]}, marks={0: 0.0})
    analysis = analyse(attempts)
    q0 = analysis.question(0)
    assert q0.facility == pytest.approx(50)
    assert q0.discrimination == pytest.approx(100)
    assert analysis.mean_percent == pytest.approx(50)  # 100, 0, 100, 0 — from Q1 alone
    # Q1's rest is Q0's mark: always 0 → constant → no discrimination.
    assert analysis.question(1).discrimination is None


def test_only_zero_mark_questions_gives_no_quiz_percentages():
    analysis = analyse(attempts_from({1: [1, 0, 1]}, marks={1: 0.0}))
    assert (analysis.attempts, analysis.scored) == (3, 0)
    assert (analysis.mean_percent, analysis.median_percent, analysis.sd_percent) == (None, None, 0)
    assert analysis.question(1).facility == pytest.approx(200 / 3)


def test_random_draws_use_only_the_attempts_that_met_the_question():
    # Q9 met by attempts 1, 2 and 4 only; Q7 first appears in attempt 2.
    #              Q1   Q9   Q7
    #   attempt 1  1    1    -      total 2
    #   attempt 2  0    0    0      total 0
    #   attempt 3  1    -    1      total 2
    #   attempt 4  0    1    -      total 1
    attempts = attempts_from({1: [1, 0, 1, 0], 9: [1, 0, "-", 1], 7: ["-", 0, 1, "-"]})
    analysis = analyse(attempts)
    assert [q.question_id for q in analysis.questions] == [1, 9, 7]
    q9 = analysis.question(9)
    assert (q9.count, q9.graded) == (3, 3)
    # facility (1 + 0 + 1) / 3 → 66.67
    assert q9.facility == pytest.approx(200 / 3)
    # x = 1, 0, 1; rest = 2−1, 0−0, 1−1 = 1, 0, 0
    # same numbers as the pending example: r = 0.5 → 50
    assert q9.discrimination == pytest.approx(50)
    assert analysis.question(7).count == 2
    # attempt percents 100, 0, 100, 50 → mean 62.5, median 75
    assert analysis.mean_percent == pytest.approx(62.5)
    assert analysis.median_percent == pytest.approx(75)


def test_no_attempts_is_an_empty_analysis():
    analysis = analyse([])
    assert analysis == QuizAnalysis(attempts=0, scored=0, mean_percent=None,
                                    median_percent=None, sd_percent=0.0,
                                    cronbach_alpha=None, questions=())
    assert analysis.question(1) is None


def test_one_attempt():
    analysis = analyse(attempts_from({1: [1], 2: [0.25]}))
    # 1.25 of 2 → 62.5
    assert (analysis.attempts, analysis.mean_percent, analysis.median_percent) == (1, 62.5, 62.5)
    assert analysis.sd_percent == 0
    assert analysis.cronbach_alpha is None
    q2 = analysis.question(2)
    assert (q2.facility, q2.sd, q2.discrimination, q2.flags) == (25, 0, None, ())
    assert analysis.question(1).flags == (EVERYBODY_RIGHT,)


def test_an_attempt_that_met_no_questions():
    analysis = analyse([AttemptResult(attempt_id=1, slots=())])
    assert (analysis.attempts, analysis.scored, analysis.questions) == (1, 0, ())


def test_fractions_are_taken_to_seven_places_half_up():
    # 0.99999995 → 1.0000000 (half-up), 0.00000004 → 0.0000000: full marks and none, as
    # Moodle stores them; 0.99999994 stays short of full marks.
    analysis = analyse(attempts_from({1: [1, 0.99999995], 2: [0, 0.00000004],
                                      3: [1, 0.99999994]}))
    assert analysis.question(1).flags == (EVERYBODY_RIGHT,)
    assert analysis.question(2).flags == (NOBODY_RIGHT,)
    assert EVERYBODY_RIGHT not in analysis.question(3).flags


def test_float_noise_does_not_make_a_score_vary():
    # The rest of Q1 is 0.1 + 0.2 in attempt 1 and 0.3 + 0 in attempt 2: the same 0.3,
    # though 0.1 + 0.2 == 0.30000000000000004 in floats. A constant rest: no
    # discrimination (raw floats would report ±100).
    attempts = attempts_from({1: [1, 0], 2: [0.1, 0.3], 3: [0.2, 0]})
    assert analyse(attempts).question(1).discrimination is None


# --- option frequencies -----------------------------------------------------------------


def test_option_frequencies_counts_percents_labels_and_order():
    chosen = [("b",), ("a",), ("b",), ("c",), (), ("",), ("b",), ("a",)]
    attempts = attempts_from({1: [1, 0, 1, 0, 0, 0, 1, 0]}, chosen={1: chosen})
    labels = {1: {"a": "Zebra", "b": "Beta", "c": "Able", "d": "Never chosen"}}
    q1 = analyse(attempts, option_labels=labels).question(1)
    # b 3 of 8 = 37.5 %; a and c 2 and 1 of 8… a: 2 → 25 %, c: 1 → 12.5 %
    assert q1.options == (
        OptionFrequency("b", "Beta", 3, 37.5),
        OptionFrequency("a", "Zebra", 2, 25.0),
        OptionFrequency("c", "Able", 1, 12.5),
    )
    assert q1.unanswered == 2  # () and ("",)


def test_option_frequency_ties_are_sorted_by_label_not_id():
    chosen = [("a",), ("c",), ("b",)]
    attempts = attempts_from({1: [1, 0, 0]}, chosen={1: chosen})
    labels = {1: {"a": "Zebra", "b": "Mango", "c": "Able"}}
    q1 = analyse(attempts, option_labels=labels).question(1)
    assert [f.option_id for f in q1.options] == ["c", "b", "a"]
    assert all(f.percent == pytest.approx(100 / 3) for f in q1.options)


def test_option_frequencies_without_labels_sort_by_id():
    chosen = [("o2",), ("o1",), ("o3",), ("o3",)]
    q1 = analyse(attempts_from({1: [1, 0, 0, 0]}, chosen={1: chosen})).question(1)
    assert [(f.option_id, f.label, f.count) for f in q1.options] == [
        ("o3", None, 2), ("o1", None, 1), ("o2", None, 1)]


def test_labels_of_another_question_are_not_used():
    q1 = analyse(attempts_from({1: [1]}, chosen={1: [("a",)]}),
                 option_labels={2: {"a": "Other"}}).question(1)
    assert q1.options == (OptionFrequency("a", None, 1, 100.0),)


def test_multiple_response_counts_each_option_once_per_attempt():
    chosen = [("a", "b"), ("a", "a"), ("b", "c", "")]
    q1 = analyse(attempts_from({1: [1, 0.5, 0]}, chosen={1: chosen})).question(1)
    # a in attempts 1 and 2, b in 1 and 3, c in 3 — of 3 attempts
    assert [(f.option_id, f.count) for f in q1.options] == [("a", 2), ("b", 2), ("c", 1)]
    assert q1.options[0].percent == pytest.approx(200 / 3)
    assert q1.unanswered == 0


# --- low discrimination -----------------------------------------------------------------


def test_low_discrimination_needs_ten_attempts():
    # Q1 1,1,1,1,1,0,0,0,0,0 and Q2 1,1,0,0,0,1,1,0,0,0: Σxy = 2 = n·x̄·ȳ = 10 × 0.5 × 0.4
    # → Sxy = 0 → discrimination 0 for both (each is the other's rest): low, not negative.
    ten = attempts_from({1: [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], 2: [1, 1, 0, 0, 0, 1, 1, 0, 0, 0]})
    analysis = analyse(ten)
    assert analysis.question(1).discrimination == pytest.approx(0, abs=1e-12)
    assert analysis.question(1).flags == (LOW_DISCRIMINATION,)
    assert analysis.question(2).flags == (LOW_DISCRIMINATION,)
    # Eight attempts, again Sxy = 2 − 8 × 0.5 × 0.5 = 0, but too few to judge.
    eight = attempts_from({1: [1, 1, 1, 1, 0, 0, 0, 0], 2: [1, 1, 0, 0, 1, 1, 0, 0]})
    assert analyse(eight).question(1).discrimination == pytest.approx(0, abs=1e-12)
    assert analyse(eight).question(1).flags == ()


def test_discrimination_of_exactly_twenty_is_not_low():
    # x = five 1s then five 0s; y has five 1s, j of them among the first five:
    # Sxy = j − 10 × 0.5 × 0.5 = j − 2.5; Sxx = Syy = 2.5 → r = (j − 2.5) / 2.5.
    # j = 3 → r = 0.2 → 20, just outside "low" (0 ≤ d < 20).
    x = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    y = [1, 1, 1, 0, 0, 1, 1, 0, 0, 0]
    q1 = analyse(attempts_from({1: x, 2: y})).question(1)
    assert q1.discrimination == 20  # exactly: the arithmetic is exact
    assert q1.flags == ()
    # j = 2 → r = −0.2 → −20: negative, not low.
    y = [1, 1, 0, 0, 0, 1, 1, 1, 0, 0]
    q1 = analyse(attempts_from({1: x, 2: y})).question(1)
    assert q1.discrimination == -20
    assert q1.flags == (NEGATIVE_DISCRIMINATION,)


def test_a_perfect_discriminator_is_not_flagged():
    x = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    q1 = analyse(attempts_from({1: x, 2: x})).question(1)
    assert q1.discrimination == 100  # exactly: the arithmetic is exact
    assert q1.flags == ()


# --- input checks -----------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [-0.1, 1.5, math.nan, math.inf, True, "1"])
def test_a_fraction_outside_0_to_1_is_refused(fraction):
    with pytest.raises(ValueError, match="fraction"):
        SlotResult(question_id=1, fraction=fraction, max_mark=1)


@pytest.mark.parametrize("max_mark", [-1, math.nan, math.inf, None, False])
def test_a_bad_max_mark_is_refused(max_mark):
    with pytest.raises(ValueError, match="max_mark"):
        SlotResult(question_id=1, fraction=1, max_mark=max_mark)


def test_chosen_is_kept_as_a_tuple_of_strings():
    assert SlotResult(1, 1, 1, ["a", "b"]).chosen == ("a", "b")
    assert SlotResult(1, 1, 1, "a").chosen == ("a",)
    assert SlotResult(1, 1, 1, "").chosen == ("",)
    with pytest.raises(ValueError, match="chosen"):
        SlotResult(1, 1, 1, (1,))


def test_an_attempt_meets_a_question_once():
    slot = SlotResult(question_id=1, fraction=1, max_mark=1)
    with pytest.raises(ValueError, match="more than once"):
        AttemptResult(attempt_id=7, slots=(slot, slot))


# --- properties -------------------------------------------------------------------------

CHOICES = [(), ("",), ("a",), ("b",), ("c",)]


@st.composite
def attempt_lists(draw, fractions=None, max_marks=None):
    """Attempts that each meet their own subset of questions 1…6, single choice."""
    fractions = st.none() | st.floats(0, 1) if fractions is None else fractions
    max_marks = st.floats(0, 10) if max_marks is None else max_marks
    count = draw(st.integers(0, 12))
    attempts = []
    for attempt_id in range(count):
        question_ids = draw(st.lists(st.integers(1, 6), unique=True, max_size=6))
        slots = tuple(
            SlotResult(question_id=qid, fraction=draw(fractions), max_mark=draw(max_marks),
                       chosen=draw(st.sampled_from(CHOICES)))
            for qid in question_ids
        )
        attempts.append(AttemptResult(attempt_id=attempt_id, slots=slots))
    return attempts


@settings(max_examples=300, deadline=None)
@given(attempt_lists())
def test_statistics_stay_in_range(attempts):
    analysis = analyse(attempts)
    assert analysis.attempts == len(attempts)
    met = {}
    for attempt in attempts:
        for slot in attempt.slots:
            met[slot.question_id] = met.get(slot.question_id, 0) + 1
    assert [q.question_id for q in analysis.questions] == list(met)
    for q in analysis.questions:
        assert q.count == met[q.question_id]
        assert 0 <= q.graded <= q.count
        assert q.facility is None or 0 <= q.facility <= 100
        assert q.facility is not None or q.graded == 0
        assert q.discrimination is None or -100 <= q.discrimination <= 100
        assert q.sd >= 0
        # Single choice: each attempt chose at most one option.
        assert sum(f.count for f in q.options) + q.unanswered == q.count
        assert sum(f.count for f in q.options) <= q.count
        assert all(0 < f.percent <= 100 for f in q.options)
        assert set(q.flags) <= set(FLAG_REASONS)
        assert not ({EVERYBODY_RIGHT, NOBODY_RIGHT} <= set(q.flags))
    for value in (analysis.mean_percent, analysis.median_percent):
        assert value is None or 0 <= value <= 100
    assert (analysis.mean_percent is None) == (analysis.scored == 0)
    assert analysis.sd_percent >= 0
    assert analysis.cronbach_alpha is None or analysis.cronbach_alpha <= 1


# Quarters and whole marks: every float sum below is exact, so the standard library's
# correlation can serve as an independent check.
QUARTERS = st.none() | st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])
WHOLE_MARKS = st.sampled_from([0.0, 1.0, 2.0, 3.0])


@settings(max_examples=300, deadline=None)
@given(attempt_lists(fractions=QUARTERS, max_marks=WHOLE_MARKS))
def test_discrimination_and_facility_agree_with_the_standard_library(attempts):
    analysis = analyse(attempts)
    for q in analysis.questions:
        xs, rests = [], []
        for attempt in attempts:
            mine = next((s for s in attempt.slots if s.question_id == q.question_id), None)
            if mine is None or mine.fraction is None:
                continue
            xs.append(mine.fraction)
            rests.append(sum(s.fraction * s.max_mark for s in attempt.slots
                             if s is not mine and s.fraction is not None))
        assert q.graded == len(xs)
        if xs:
            assert q.facility == pytest.approx(statistics.fmean(xs) * 100)
        if len(xs) >= 2:
            assert q.sd == pytest.approx(statistics.stdev(xs) * 100)
        try:
            expected = statistics.correlation(xs, rests) * 100
        except statistics.StatisticsError:
            expected = None
        if expected is None:
            assert q.discrimination is None
        else:
            assert q.discrimination == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(attempt_lists(fractions=QUARTERS, max_marks=WHOLE_MARKS), st.randoms())
def test_the_order_of_attempts_changes_only_the_order_of_questions(attempts, rng):
    shuffled = list(attempts)
    rng.shuffle(shuffled)
    one, other = analyse(attempts), analyse(shuffled)
    assert sorted(one.questions, key=lambda q: q.question_id) == sorted(
        other.questions, key=lambda q: q.question_id)
    assert (one.mean_percent, one.median_percent, one.cronbach_alpha) == (
        other.mean_percent, other.median_percent, other.cronbach_alpha)
    assert one.sd_percent == pytest.approx(other.sd_percent)
