"""The question-type registry: validation, presentation, responses and grading per type,
plus property tests over generated questions (no Flask, no database)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.quizzes import spec
from academy.quizzes.rubrics import RubricError
from academy.quizzes.spec import Answer, Pair, Question
from academy.quizzes.types import (
    QUESTION_TYPES,
    Essay,
    Grade,
    QuestionType,
    ResponseError,
    UnknownQuestionType,
    get_type,
    option_ids,
    register,
    validate_question,
)

RNG_SEED = 20240601


def present(question: Question, seed: int = RNG_SEED) -> dict:
    return get_type(question.type).present(question, random.Random(seed))


def answer(question: Question, raw, presented: dict | None = None) -> Grade:
    """Normalise and grade a raw response, the way an attempt does."""
    cls = get_type(question.type)
    presented = presented if presented is not None else present(question)
    return cls.grade(question, presented, cls.normalise_response(question, presented, raw))


def ids_by_text(presented: dict, key: str = "options") -> dict[str, str]:
    return {entry["text"]: entry["id"] for entry in presented[key]}


# --- the registry -----------------------------------------------------------------------


def test_every_spec_type_has_exactly_one_class():
    assert set(QUESTION_TYPES) == set(spec.QUESTION_TYPES)
    for key, cls in QUESTION_TYPES.items():
        assert cls.key == key
        assert cls.template == f"quizzes/types/{key}.html"
        assert issubclass(cls, QuestionType)


def test_register_refuses_a_second_class_for_a_key():
    class Again(QuestionType):
        key = spec.SINGLE

    with pytest.raises(ValueError, match="twice"):
        register(Again)
    assert QUESTION_TYPES[spec.SINGLE] is not Again


def test_unknown_type():
    with pytest.raises(UnknownQuestionType):
        get_type("hotspot")
    assert validate_question(Question(type="hotspot", text="?")) == [
        "unknown question type 'hotspot'"]


def test_common_validation():
    problems = validate_question(Question(type=spec.TRUEFALSE, text=" ", correct=True,
                                          default_mark=0))
    assert "the question has no text" in problems
    assert "the default mark must be a number above 0" in problems


# --- single choice ----------------------------------------------------------------------


def single() -> Question:
    return Question(
        type=spec.SINGLE,
        text="群众来办事材料不齐，窗口人员应当？",
        general_feedback="一次性告知制度",
        answers=[
            Answer("一次性告知所缺材料", 1.0, "正确：一次性告知"),
            Answer("让群众回去再问", 0.0, "这是推诿"),
            Answer("告知部分材料", 0.5, "不完整"),
            Answer("拒绝受理且不说明理由", -1.0, "服务禁忌"),
        ],
    )


def test_single_choice_grading():
    question = single()
    presented = present(question)
    ids = ids_by_text(presented)
    right = answer(question, ids["一次性告知所缺材料"], presented)
    assert right.fraction == 1.0
    assert right.feedback == ["正确：一次性告知"]
    assert right.general_feedback == "一次性告知制度"
    assert right.right_answer == "一次性告知所缺材料"
    assert right.state == "correct"
    partial = answer(question, ids["告知部分材料"], presented)
    assert (partial.fraction, partial.state) == (0.5, "partial")
    negative = answer(question, ids["拒绝受理且不说明理由"], presented)
    assert negative.fraction == 0.0  # a negative option never takes the grade below 0
    assert negative.feedback == ["服务禁忌"]
    blank = answer(question, None, presented)
    assert (blank.fraction, blank.feedback, blank.state) == (0.0, [], "incorrect")


@pytest.mark.parametrize("raw", ["o123", 1, ["x"], {"id": "x"}, True, 0.5])
def test_single_choice_refuses_bad_responses(raw):
    question = single()
    with pytest.raises(ResponseError):
        get_type(spec.SINGLE).normalise_response(question, present(question), raw)


def test_single_choice_validation():
    assert validate_question(single()) == []
    two_right = single()
    two_right.answers[1].fraction = 1.0
    assert any("exactly one 100%" in p for p in validate_question(two_right))
    none_right = single()
    none_right.answers[0].fraction = 0.9
    assert any("exactly one 100%" in p for p in validate_question(none_right))
    lonely = Question(type=spec.SINGLE, text="?", answers=[Answer("a", 1.0)])
    assert any("at least 2 options" in p for p in validate_question(lonely))
    same = Question(type=spec.SINGLE, text="?", answers=[Answer("a", 1.0), Answer("a", 0)])
    assert "two options have the same text" in validate_question(same)
    too_much = single()
    too_much.answers[3].fraction = -2
    assert any("between -100% and 100%" in p for p in validate_question(too_much))


# --- multiple response ------------------------------------------------------------------


def multiple() -> Question:
    return Question(
        type=spec.MULTIPLE,
        text="首问负责制要求首问人员？（多选）",
        answers=[
            Answer("属于本窗口的当场办理", 0.5, "对"),
            Answer("不属于的引导到正确窗口", 0.5, "对"),
            Answer("让群众自己去找", -0.5, "推诿"),
            Answer("下班了不管", -0.5, ""),
            Answer("记录联系方式", 0.0, "可以，但不是要点"),
        ],
    )


@pytest.mark.parametrize(
    ("chosen", "fraction"),
    [
        (["属于本窗口的当场办理", "不属于的引导到正确窗口"], 1.0),
        (["属于本窗口的当场办理"], 0.5),
        (["属于本窗口的当场办理", "让群众自己去找"], 0.0),  # 50% - 50%
        (["属于本窗口的当场办理", "不属于的引导到正确窗口", "让群众自己去找"], 0.5),
        (["让群众自己去找"], 0.0),  # -50% is clamped at 0
        (["让群众自己去找", "下班了不管"], 0.0),  # -100% too
        (["属于本窗口的当场办理", "不属于的引导到正确窗口", "记录联系方式"], 1.0),
        ([], 0.0),
        (None, 0.0),
    ],
)
def test_multiple_response_partial_credit_and_negative_marks(chosen, fraction):
    question = multiple()
    presented = present(question)
    ids = ids_by_text(presented)
    raw = None if chosen is None else [ids[text] for text in chosen]
    assert answer(question, raw, presented).fraction == fraction


def test_multiple_response_feedback_per_chosen_option():
    question = multiple()
    presented = present(question)
    ids = ids_by_text(presented)
    chosen = [ids["让群众自己去找"], ids["下班了不管"], ids["属于本窗口的当场办理"]]
    grade = answer(question, chosen, presented)
    assert sorted(grade.feedback) == ["对", "推诿"]  # empty feedback is left out
    assert grade.right_answer == "属于本窗口的当场办理\n不属于的引导到正确窗口"


def test_multiple_response_thirds_earn_full_marks():
    question = Question(type=spec.MULTIPLE, text="?", answers=[
        Answer("a", 0.33333), Answer("b", 0.33333), Answer("c", 0.33333), Answer("d", -1)])
    assert validate_question(question) == []
    presented = present(question)
    ids = ids_by_text(presented)
    assert answer(question, [ids["a"], ids["b"], ids["c"]], presented).fraction == 1.0
    assert answer(question, [ids["a"]], presented).fraction == pytest.approx(1 / 3, abs=1e-6)


@pytest.mark.parametrize(
    "raw", ["a", [1], ["nope"], [None], [["x"]], {"a": 1}, 3, True],
)
def test_multiple_response_refuses_bad_responses(raw):
    question = multiple()
    with pytest.raises(ResponseError):
        get_type(spec.MULTIPLE).normalise_response(question, present(question), raw)


def test_multiple_response_refuses_an_option_chosen_twice():
    question = multiple()
    presented = present(question)
    first = presented["options"][0]["id"]
    with pytest.raises(ResponseError, match="twice"):
        get_type(spec.MULTIPLE).normalise_response(question, presented, [first, first])


def test_multiple_response_validation():
    assert validate_question(multiple()) == []
    short = multiple()
    short.answers[1].fraction = 0.25
    assert any("add up to 100%, not 75%" in p for p in validate_question(short))


# --- true/false -------------------------------------------------------------------------


def truefalse(correct: bool = False) -> Question:
    return Question(type=spec.TRUEFALSE, text="群众材料不齐时可以让其多次往返补交。",
                    correct=correct, feedback_true="错：应一次性告知", feedback_false="对")


@pytest.mark.parametrize(
    ("raw", "fraction", "feedback"),
    [(False, 1.0, ["对"]), ("false", 1.0, ["对"]), (True, 0.0, ["错：应一次性告知"]),
     ("true", 0.0, ["错：应一次性告知"]), (None, 0.0, [])],
)
def test_truefalse(raw, fraction, feedback):
    grade = answer(truefalse(), raw)
    assert (grade.fraction, grade.feedback, grade.right_answer) == (fraction, feedback, "False")


@pytest.mark.parametrize("raw", ["True", "yes", 1, 0, [], "对"])
def test_truefalse_refuses_bad_responses(raw):
    question = truefalse()
    with pytest.raises(ResponseError):
        get_type(spec.TRUEFALSE).normalise_response(question, present(question), raw)


def test_truefalse_needs_to_know_the_truth():
    assert any("whether the statement is true" in p
               for p in validate_question(Question(type=spec.TRUEFALSE, text="?")))


# --- short answer -----------------------------------------------------------------------


def shortanswer() -> Question:
    return Question(
        type=spec.SHORTANSWER,
        text="材料不齐时应当____告知所需材料。",
        answers=[
            Answer("一次性告知", 1.0, "对"),
            Answer("一次性", 1.0, "对"),
            Answer("告知", 0.5, "还差“一次性”"),
        ],
    )


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [
        ("一次性告知", 1.0),
        ("一次性告知 ", 1.0),
        ("  一次性  告知\n", 1.0),
        ("一次性", 1.0),
        ("　一次性　", 1.0),  # full-width spaces
        ("告知", 0.5),
        ("多次告知", 0.0),
        ("一次", 0.0),
        ("", 0.0),
        (None, 0.0),
    ],
)
def test_shortanswer_accepts_normalised_answers(typed, fraction):
    assert answer(shortanswer(), typed).fraction == fraction


@pytest.mark.parametrize("typed", ["ＡＢ岗", "AB岗", "ab岗", "Ａｂ 岗", " AB岗 "])
def test_shortanswer_folds_width_and_case(typed):
    question = Question(type=spec.SHORTANSWER, text="“综合窗口”的工作模式是____工作制。",
                        answers=[Answer("AB岗", 1.0)])
    assert answer(question, typed).fraction == 1.0


def test_shortanswer_feedback_and_right_answer():
    grade = answer(shortanswer(), "告知")
    assert grade.feedback == ["还差“一次性”"]
    assert grade.right_answer == "一次性告知\n一次性"


def test_shortanswer_wildcard():
    question = Question(type=spec.SHORTANSWER, text="?", answers=[
        Answer("首问*制", 1.0), Answer("*", 0.0, "再想想")])
    assert answer(question, "首问负责制").fraction == 1.0
    assert answer(question, "首问制").fraction == 1.0
    wrong = answer(question, "限时办结制")
    assert (wrong.fraction, wrong.feedback) == (0.0, ["再想想"])


@pytest.mark.parametrize("raw", [1, ["一次性告知"], {"text": "x"}, "x" * 501, "a\x00b", True])
def test_shortanswer_refuses_bad_responses(raw):
    question = shortanswer()
    with pytest.raises(ResponseError):
        get_type(spec.SHORTANSWER).normalise_response(question, present(question), raw)


def test_shortanswer_validation():
    assert validate_question(shortanswer()) == []
    no_full = Question(type=spec.SHORTANSWER, text="?", answers=[Answer("a", 0.5)])
    assert any("worth 100%" in p for p in validate_question(no_full))
    blank = Question(type=spec.SHORTANSWER, text="?", answers=[Answer("a", 1), Answer(" ", 0)])
    assert "every accepted answer needs a text" in validate_question(blank)


# --- numerical --------------------------------------------------------------------------


def numerical() -> Question:
    # 30 exactly is full marks; within 28…32 earns half.
    return Question(type=spec.NUMERICAL, text="法定办结时限是多少个工作日？", answers=[
        Answer(value=30, tolerance=0, fraction=1.0, feedback="对"),
        Answer(low=28, high=32, fraction=0.5, feedback="接近"),
    ])


@pytest.mark.parametrize(
    ("typed", "fraction", "feedback"),
    [("30", 1.0, ["对"]), ("30.0", 1.0, ["对"]), ("３０", 1.0, ["对"]), (30, 1.0, ["对"]),
     (" 30 ", 1.0, ["对"]), ("30.01", 0.5, ["接近"]), ("28", 0.5, ["接近"]),
     ("32", 0.5, ["接近"]), ("27.99", 0.0, []), ("-30", 0.0, []), (None, 0.0, []),
     ("", 0.0, [])],
)
def test_numerical_exact_value_with_partial_credit_alternative(typed, fraction, feedback):
    grade = answer(numerical(), typed)
    assert (grade.fraction, grade.feedback) == (fraction, feedback)
    assert grade.right_answer == "30"


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [("3", 1.0), ("5", 1.0), ("4.2", 1.0), ("2.999", 0.0), ("5.001", 0.0)],
)
def test_numerical_range(typed, fraction):
    question = Question(type=spec.NUMERICAL, text="?", answers=[Answer(low=3, high=5,
                                                                       fraction=1.0)])
    grade = answer(question, typed)
    assert grade.fraction == fraction
    assert grade.right_answer == "3 – 5"


def test_numerical_catch_all_gives_its_feedback():
    # GIFT's "~#feedback" and Moodle XML's "*" answer: anything else, 0%, with feedback.
    question = numerical()
    question.answers.append(Answer(text="*", fraction=0.0, feedback="请查阅办事指南"))
    assert validate_question(question) == []
    assert answer(question, "7").feedback == ["请查阅办事指南"]
    assert answer(question, "30").feedback == ["对"]
    assert answer(question, "7").fraction == 0.0


def test_numerical_tolerance_is_exact():
    question = Question(type=spec.NUMERICAL, text="?", answers=[
        Answer(value=0.3, tolerance=0, fraction=1.0)])
    assert answer(question, "0.3").fraction == 1.0
    assert answer(question, 0.1 + 0.2).fraction == 0.0  # the float really is 0.30000000000000004
    tolerant = Question(type=spec.NUMERICAL, text="?", answers=[
        Answer(value=2.5, tolerance=0.1, fraction=1.0)])
    assert answer(tolerant, "2.4").fraction == 1.0
    assert answer(tolerant, "2.6").fraction == 1.0
    assert answer(tolerant, "2.61").fraction == 0.0
    assert tolerant.answers and get_type(spec.NUMERICAL).right_answer(tolerant) == "2.5 ± 0.1"


@pytest.mark.parametrize("raw", ["thirty", "30天", "3,5", "nan", "1e99", True, [30], {"v": 1},
                                 float("inf"), "1" * 60])
def test_numerical_refuses_bad_responses(raw):
    question = numerical()
    with pytest.raises(ResponseError):
        get_type(spec.NUMERICAL).normalise_response(question, present(question), raw)


def test_numerical_validation():
    assert validate_question(numerical()) == []
    nothing = Question(type=spec.NUMERICAL, text="?", answers=[Answer(fraction=1.0)])
    assert any("needs a value or a range" in p for p in validate_question(nothing))
    assert any("needs an answer" in p
               for p in validate_question(Question(type=spec.NUMERICAL, text="?")))
    backwards = Question(type=spec.NUMERICAL, text="?", answers=[Answer(low=5, high=3,
                                                                        fraction=1)])
    assert any("high to low" in p for p in validate_question(backwards))
    negative = Question(type=spec.NUMERICAL, text="?", answers=[Answer(value=1, tolerance=-1,
                                                                       fraction=1)])
    assert any("tolerance is negative" in p for p in validate_question(negative))
    half = Question(type=spec.NUMERICAL, text="?", answers=[Answer(value=1, fraction=0.5)])
    assert any("worth 100%" in p for p in validate_question(half))


# --- matching ---------------------------------------------------------------------------


def matching() -> Question:
    return Question(type=spec.MATCHING, text="把制度与含义配对", pairs=[
        Pair("首问负责制", "第一个被询问的人负责到底"),
        Pair("一次性告知制", "一次讲清所需全部材料"),
        Pair("限时办结制", "在承诺时限内办完"),
        Pair("AB岗工作制", "一人不在岗时由另一人顶岗"),
        Pair("", "让群众自己想办法"),  # a distractor
    ])


def test_matching_presents_prompts_and_shuffled_choices_with_distractors():
    question = matching()
    presented = present(question)
    assert [p["text"] for p in presented["prompts"]] == [
        "首问负责制", "一次性告知制", "限时办结制", "AB岗工作制"]
    assert sorted(c["text"] for c in presented["choices"]) == sorted(
        p.answer for p in question.pairs)


@pytest.mark.parametrize("right_pairs", [4, 3, 2, 1, 0])
def test_matching_partial_credit_is_the_share_of_right_pairs(right_pairs):
    question = matching()
    presented = present(question)
    prompts = ids_by_text(presented, "prompts")
    choices = ids_by_text(presented, "choices")
    response = {}
    for n, pair in enumerate(question.pairs[:4]):
        chosen = pair.answer if n < right_pairs else "让群众自己想办法"
        response[prompts[pair.prompt]] = choices[chosen]
    assert answer(question, response, presented).fraction == right_pairs / 4


def test_matching_unanswered_prompts_count_as_wrong_and_shared_answers_show_once():
    question = Question(type=spec.MATCHING, text="哪些属于窗口服务禁忌？", pairs=[
        Pair("“不知道”", "禁忌"), Pair("“请稍等”", "文明用语"), Pair("“这不归我管”", "禁忌")])
    presented = present(question)
    assert sorted(c["text"] for c in presented["choices"]) == ["文明用语", "禁忌"]
    prompts = ids_by_text(presented, "prompts")
    choices = ids_by_text(presented, "choices")
    grade = answer(question, {prompts["“不知道”"]: choices["禁忌"], prompts["“请稍等”"]: None},
                   presented)
    assert grade.fraction == pytest.approx(1 / 3, abs=1e-6)
    assert grade.right_answer.splitlines()[0] == "“不知道” → 禁忌"


@pytest.mark.parametrize("raw", [["a"], "x", {"nope": None}, 5])
def test_matching_refuses_bad_responses(raw):
    question = matching()
    with pytest.raises(ResponseError):
        get_type(spec.MATCHING).normalise_response(question, present(question), raw)


def test_matching_refuses_unknown_choices():
    question = matching()
    presented = present(question)
    prompt = presented["prompts"][0]["id"]
    for bad in ("c0", 3, ["x"]):
        with pytest.raises(ResponseError, match="unknown choice"):
            get_type(spec.MATCHING).normalise_response(question, presented, {prompt: bad})


def test_matching_validation():
    assert validate_question(matching()) == []
    one = Question(type=spec.MATCHING, text="?", pairs=[Pair("a", "1"), Pair("", "2")])
    assert any("at least 2 pairs" in p for p in validate_question(one))
    same = Question(type=spec.MATCHING, text="?", pairs=[Pair("a", "1"), Pair("a", "2")])
    assert "two pairs have the same prompt" in validate_question(same)


# --- ordering ---------------------------------------------------------------------------

STEPS = ["起身迎接、微笑问候", "询问来意", "审核材料", "一次性告知缺件", "办结并礼貌道别"]


def ordering() -> Question:
    return Question(type=spec.ORDERING, text="把接待群众的标准步骤排序", steps=list(STEPS))


@pytest.mark.parametrize(
    ("order", "fraction"),
    [
        ([0, 1, 2, 3, 4], 1.0),
        ([1, 0, 2, 3, 4], 3 / 5),  # one swap: the other three steps are still in place
        ([4, 1, 2, 3, 0], 3 / 5),
        ([1, 2, 3, 4, 0], 0.0),  # everything one place off: by position, nothing is right
        ([4, 3, 2, 1, 0], 1 / 5),  # reversed: only the middle step is in place
    ],
)
def test_ordering_partial_credit_by_position(order, fraction):
    question = ordering()
    presented = present(question)
    ids = ids_by_text(presented, "steps")
    grade = answer(question, [ids[STEPS[i]] for i in order], presented)
    assert grade.fraction == pytest.approx(fraction, abs=1e-7)
    assert grade.right_answer.splitlines()[0] == "1. 起身迎接、微笑问候"


def test_ordering_never_presents_the_answer():
    question = Question(type=spec.ORDERING, text="?", steps=["先", "后"])
    for seed in range(20):
        assert [s["text"] for s in present(question, seed)["steps"]] == ["后", "先"]


@pytest.mark.parametrize("drop", [True, False])
def test_ordering_requires_every_step_exactly_once(drop):
    question = ordering()
    presented = present(question)
    ids = [s["id"] for s in presented["steps"]]
    raw = ids[:-1] if drop else ids + ids[:1]
    with pytest.raises(ResponseError, match="exactly once"):
        get_type(spec.ORDERING).normalise_response(question, presented, raw)


def test_ordering_validation():
    assert validate_question(ordering()) == []
    one = Question(type=spec.ORDERING, text="?", steps=["a", "a"])
    assert any("at least 2 distinct steps" in p for p in validate_question(one))


def test_ordering_steps_with_the_same_text_are_interchangeable():
    question = Question(type=spec.ORDERING, text="?", steps=["核对材料", "录入", "核对材料"])
    assert validate_question(question) == []
    presented = present(question)
    ids = [s["id"] for s in presented["steps"]]
    assert len(set(ids)) == 3
    check = [s["id"] for s in presented["steps"] if s["text"] == "核对材料"]
    enter = next(s["id"] for s in presented["steps"] if s["text"] == "录入")
    assert answer(question, [check[1], enter, check[0]], presented).fraction == 1.0
    assert answer(question, [enter, check[1], check[0]], presented).fraction == pytest.approx(
        1 / 3, abs=1e-7)


# --- essay ------------------------------------------------------------------------------

RUBRIC = [{"criterion": "一次性告知", "points": 3}, {"criterion": "文明用语", "points": 2}]


def essay(rubric: list | None = None) -> Question:
    return Question(type=spec.ESSAY, text="群众情绪激动时你会怎么做？",
                    rubric=list(RUBRIC) if rubric is None else rubric,
                    general_feedback="保持冷静，先安抚情绪")


def test_essay_waits_for_its_grader():
    question = essay()
    presented = present(question)
    assert presented["criteria"] == ["一次性告知", "文明用语"]
    written = answer(question, "先请群众坐下，倒杯水……", presented)
    assert (written.needs_manual, written.fraction, written.state) == (True, 0.0, "pending")
    assert written.right_answer == "一次性告知 (3)\n文明用语 (2)"
    assert answer(question, "   ", presented).needs_manual is False
    assert answer(question, None, presented).needs_manual is False


def test_essay_graded_with_the_rubric():
    graded = Essay.grade_manually(essay(), scores={"一次性告知": 3, "文明用语": 1},
                                  feedback="用语还可以更规范")
    assert graded.fraction == pytest.approx(0.8)
    assert graded.needs_manual is False
    assert graded.feedback == ["用语还可以更规范"]
    with pytest.raises(RubricError):
        Essay.grade_manually(essay(), scores={"一次性告知": 4, "文明用语": 1})
    with pytest.raises(ValueError):
        Essay.grade_manually(essay())


def test_essay_without_a_rubric_is_graded_as_a_whole():
    assert Essay.grade_manually(essay([]), fraction=0.75).fraction == 0.75
    with pytest.raises(ValueError):
        Essay.grade_manually(essay([]), fraction=1.5)


def test_essay_validation_and_length():
    assert validate_question(essay()) == []
    assert any(p.startswith("rubric: ") for p in validate_question(essay([{"points": 1}])))
    question = essay()
    with pytest.raises(ResponseError, match="longer"):
        Essay.normalise_response(question, present(question), "字" * 20_001)


# --- option ids -------------------------------------------------------------------------


def test_option_ids_are_unique_stable_and_independent_of_correctness():
    assert option_ids(["a", "b", "a"]) == option_ids(["a", "b", "a"])
    assert len(set(option_ids(["a", "a", "a"]))) == 3
    # The id of an option depends on its text only, not on where it was authored.
    assert option_ids(["a", "b"]) == list(reversed(option_ids(["b", "a"])))
    right_first = single()
    right_last = single()
    right_last.answers.reverse()
    assert {o["id"] for o in present(right_first)["options"]} == {
        o["id"] for o in present(right_last)["options"]}


# === property tests ====================================================================

# Realistic answer text: CJK, Latin, digits, full-width forms, spaces and punctuation.
ALPHABET = st.sampled_from(
    list("一次性告知首问负责制窗口材料群众岗abcXYZ019ＡＢ１２　 ，。、?-()"))
TEXT = st.text(ALPHABET, min_size=1, max_size=12).filter(lambda t: t.strip() and "*" not in t)
FEEDBACK_MARK = "§FB"
GENERAL_MARK = "§GF"


def _distinct(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in texts))


@st.composite
def choice_question(draw, qtype: str) -> Question:
    texts = draw(st.lists(TEXT, min_size=2, max_size=6).map(_distinct).filter(
        lambda ts: len(ts) >= 2))
    answers = [Answer(t, 0.0, f"{FEEDBACK_MARK}{n}") for n, t in enumerate(texts)]
    if qtype == spec.SINGLE:
        right = draw(st.integers(0, len(answers) - 1))
        for n, item in enumerate(answers):
            item.fraction = 1.0 if n == right else draw(
                st.sampled_from([0.0, 0.5, 0.25, -0.5, -1.0]))
    else:
        positive = draw(st.sets(st.integers(0, len(answers) - 1), min_size=1))
        weights = {n: draw(st.integers(1, 5)) for n in positive}
        for n, item in enumerate(answers):
            item.fraction = (weights[n] / sum(weights.values()) if n in positive
                             else draw(st.sampled_from([0.0, -0.25, -0.5, -1.0])))
    return Question(type=qtype, text="?", answers=answers, general_feedback=GENERAL_MARK)


@st.composite
def shortanswer_question(draw) -> Question:
    texts = draw(st.lists(TEXT, min_size=1, max_size=4))
    answers = [Answer(t, 1.0 if n == 0 else draw(st.sampled_from([1.0, 0.5, 0.0])),
                      f"{FEEDBACK_MARK}{n}") for n, t in enumerate(texts)]
    return Question(type=spec.SHORTANSWER, text="?", answers=answers,
                    general_feedback=GENERAL_MARK)


NUMBER = st.decimals(min_value=-10**6, max_value=10**6, places=2).map(float)


@st.composite
def numerical_question(draw) -> Question:
    answers = []
    for n in range(draw(st.integers(1, 3))):
        fraction = 1.0 if n == 0 else draw(st.sampled_from([0.5, 0.25, 0.0]))
        if draw(st.booleans()):
            answers.append(Answer(value=draw(NUMBER), tolerance=draw(st.sampled_from(
                [0.0, 0.5, 1.0, 10.0])), fraction=fraction, feedback=f"{FEEDBACK_MARK}{n}"))
        else:
            low, high = sorted((draw(NUMBER), draw(NUMBER)))
            answers.append(Answer(low=low, high=high, fraction=fraction,
                                  feedback=f"{FEEDBACK_MARK}{n}"))
    return Question(type=spec.NUMERICAL, text="?", answers=answers,
                    general_feedback=GENERAL_MARK)


@st.composite
def matching_question(draw) -> Question:
    prompts = draw(st.lists(TEXT, min_size=2, max_size=5).map(_distinct).filter(
        lambda ps: len(ps) >= 2))
    pairs = [Pair(p, draw(TEXT)) for p in prompts]
    pairs += [Pair("", draw(TEXT)) for _ in range(draw(st.integers(0, 2)))]
    return Question(type=spec.MATCHING, text="?", pairs=pairs, general_feedback=GENERAL_MARK)


@st.composite
def ordering_question(draw) -> Question:
    # Repeated steps are allowed (interchangeable); two distinct ones are needed.
    steps = draw(st.lists(TEXT.map(str.strip), min_size=2, max_size=6).filter(
        lambda ss: len(set(ss)) >= 2))
    return Question(type=spec.ORDERING, text="?", steps=steps, general_feedback=GENERAL_MARK)


def essay_question() -> st.SearchStrategy[Question]:
    rubric = st.lists(st.integers(1, 5), max_size=4).map(
        lambda points: [{"criterion": f"c{n}", "points": p} for n, p in enumerate(points)])
    return rubric.map(lambda r: Question(type=spec.ESSAY, text="?", rubric=r,
                                         general_feedback=GENERAL_MARK))


GRADED_QUESTIONS = st.one_of(
    choice_question(spec.SINGLE),
    choice_question(spec.MULTIPLE),
    st.booleans().map(lambda c: Question(type=spec.TRUEFALSE, text="?", correct=c,
                                         feedback_true=FEEDBACK_MARK + "t",
                                         feedback_false=FEEDBACK_MARK + "f",
                                         general_feedback=GENERAL_MARK)),
    shortanswer_question(),
    numerical_question(),
    matching_question(),
    ordering_question(),
)
QUESTIONS = st.one_of(GRADED_QUESTIONS, essay_question())
SEEDS = st.integers(0, 2**32 - 1)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(QUESTIONS)
def test_generated_questions_are_valid(question):
    assert validate_question(question) == []


@FAST
@given(GRADED_QUESTIONS, SEEDS)
def test_the_right_answer_always_earns_full_marks(question, seed):
    cls = get_type(question.type)
    presented = cls.present(question, random.Random(seed))
    right = cls.right_response(question, presented)
    # The right response is itself a valid response to what was presented…
    normalised = cls.normalise_response(question, presented, json.loads(json.dumps(right)))
    grade = cls.grade(question, presented, normalised)
    assert grade.fraction == 1.0
    assert grade.state == "correct"
    assert grade.general_feedback == GENERAL_MARK


def _all_keys_and_strings(value, keys: set, strings: list) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            keys.add(key)
            _all_keys_and_strings(item, keys, strings)
    elif isinstance(value, list):
        for item in value:
            _all_keys_and_strings(item, keys, strings)
    elif isinstance(value, str):
        strings.append(value)


FORBIDDEN_KEYS = {"fraction", "feedback", "general_feedback", "correct", "is_correct",
                  "right", "answer", "answers", "value", "tolerance", "low", "high", "points",
                  "pairs", "rubric", "feedback_true", "feedback_false"}


@FAST
@given(QUESTIONS, SEEDS)
def test_present_never_leaks_how_it_is_graded(question, seed):
    presented = get_type(question.type).present(question, random.Random(seed))
    assert json.loads(json.dumps(presented)) == presented  # JSON-able, nothing lost
    keys: set = set()
    strings: list = []
    _all_keys_and_strings(presented, keys, strings)
    assert not keys & FORBIDDEN_KEYS
    assert not any(FEEDBACK_MARK in s or GENERAL_MARK in s for s in strings)
    if question.type == spec.NUMERICAL:
        assert set(presented) == {"type", "text", "text_format"}


@FAST
@given(st.sampled_from([spec.SINGLE, spec.MULTIPLE]).flatmap(choice_question), SEEDS)
def test_option_ids_do_not_depend_on_which_option_is_right(question, seed):
    shuffled_fractions = [a.fraction for a in question.answers]
    random.Random(seed).shuffle(shuffled_fractions)
    other = Question(type=question.type, text=question.text, answers=[
        Answer(a.text, f) for a, f in zip(question.answers, shuffled_fractions, strict=True)])
    cls = get_type(question.type)
    assert cls.present(question, random.Random(seed)) == cls.present(other, random.Random(seed))


@FAST
@given(QUESTIONS, SEEDS)
def test_same_seed_same_presentation(question, seed):
    cls = get_type(question.type)
    assert cls.present(question, random.Random(seed)) == cls.present(question, random.Random(seed))


def _shown(question: Question, presented: dict) -> tuple[list[str], list[str]]:
    """(texts shown, texts authored) for the part of a question that gets shuffled."""
    if question.type in (spec.SINGLE, spec.MULTIPLE):
        return [o["text"] for o in presented["options"]], [a.text for a in question.answers]
    if question.type == spec.MATCHING:
        return ([c["text"] for c in presented["choices"]],
                list(dict.fromkeys(p.answer for p in question.pairs)))
    if question.type == spec.ORDERING:
        return [s["text"] for s in presented["steps"]], list(question.steps)
    return [], []


@FAST
@given(QUESTIONS, SEEDS)
def test_shuffling_never_loses_or_duplicates_an_option(question, seed):
    presented = get_type(question.type).present(question, random.Random(seed))
    shown, authored = _shown(question, presented)
    assert sorted(shown) == sorted(authored)
    for key in ("options", "choices", "steps", "prompts"):
        ids = [entry["id"] for entry in presented.get(key, [])]
        assert len(ids) == len(set(ids))


@FAST
@given(ordering_question(), SEEDS)
def test_ordering_is_never_presented_in_the_right_order(question, seed):
    presented = get_type(spec.ORDERING).present(question, random.Random(seed))
    assert [s["text"] for s in presented["steps"]] != question.steps


@st.composite
def question_and_valid_response(draw):
    question = draw(GRADED_QUESTIONS)
    cls = get_type(question.type)
    presented = cls.present(question, random.Random(draw(SEEDS)))
    kind = question.type
    if kind == spec.SINGLE:
        raw = draw(st.none() | st.sampled_from([o["id"] for o in presented["options"]]))
    elif kind == spec.MULTIPLE:
        raw = draw(st.lists(st.sampled_from([o["id"] for o in presented["options"]]),
                            unique=True))
    elif kind == spec.TRUEFALSE:
        raw = draw(st.sampled_from([True, False, "true", "false", None]))
    elif kind == spec.SHORTANSWER:
        raw = draw(st.none() | TEXT | st.sampled_from([a.text for a in question.answers]))
    elif kind == spec.NUMERICAL:
        raw = draw(st.none() | NUMBER | NUMBER.map(str) | st.integers(-10**9, 10**9))
    elif kind == spec.MATCHING:
        choices = [c["id"] for c in presented["choices"]]
        raw = {p["id"]: draw(st.none() | st.sampled_from(choices)) for p in presented["prompts"]
               if draw(st.booleans())}
    else:
        raw = draw(st.permutations([s["id"] for s in presented["steps"]]))
    return question, presented, raw


@FAST
@given(question_and_valid_response())
def test_grade_is_always_between_0_and_1(case):
    question, presented, raw = case
    cls = get_type(question.type)
    grade = cls.grade(question, presented, cls.normalise_response(question, presented, raw))
    assert 0.0 <= grade.fraction <= 1.0
    assert isinstance(grade.right_answer, str) and grade.right_answer
    assert all(isinstance(line, str) and line for line in grade.feedback)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUESTIONS, SEEDS, JSONISH)
def test_normalise_response_only_ever_raises_response_error(question, seed, raw):
    cls = get_type(question.type)
    presented = cls.present(question, random.Random(seed))
    try:
        response = cls.normalise_response(question, presented, raw)
    except ResponseError as exc:
        assert str(exc)
        return
    json.dumps(response)  # whatever is accepted can be stored
    assert 0.0 <= cls.grade(question, presented, response).fraction <= 1.0


@FAST
@given(GRADED_QUESTIONS, SEEDS,
       st.lists(st.text(max_size=12), min_size=1, max_size=3) | st.dictionaries(
           st.text(max_size=8), st.text(max_size=8), min_size=1, max_size=3))
def test_guessed_ids_are_refused(question, seed, raw):
    """Made-up option ids never get through, whatever shape they come in."""
    cls = get_type(question.type)
    presented = cls.present(question, random.Random(seed))
    if question.type in (spec.SINGLE, spec.MULTIPLE, spec.ORDERING, spec.MATCHING):
        with pytest.raises(ResponseError):
            cls.normalise_response(question, presented, raw)
