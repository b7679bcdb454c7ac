"""GIFT reading and writing (academy.quizzes.formats.gift): a pure core, no app needed."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.quizzes.formats import ExportProblems
from academy.quizzes.formats.gift import dump_gift, parse_gift
from academy.quizzes.spec import (
    ESSAY,
    MATCHING,
    MULTIPLE,
    NUMERICAL,
    ORDERING,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    Pair,
    Question,
)


def one(text: str) -> Question:
    questions, problems = parse_gift(text)
    assert problems == []
    assert len(questions) == 1
    return questions[0]


def problem_lines(text: str) -> list[tuple[int | None, str]]:
    questions, problems = parse_gift(text)
    assert problems, "expected a problem"
    return [(p.line, p.message) for p in problems]


def without_lines(questions: list[Question]) -> list[Question]:
    return [dataclasses.replace(q, source_line=None) for q in questions]


# Reading: one case per construct ---------------------------------------------------------


def test_essay_with_title_and_comment():
    q = one("// an essay\n::E1:: 请描述你的服务流程。 {}")
    assert (q.type, q.name, q.text_format) == (ESSAY, "E1", "moodle")
    assert q.text == "请描述你的服务流程。"
    assert q.source_line == 2


def test_essay_general_feedback():
    q = one("::E:: Explain {####[html]A model answer.}")
    assert q.type == ESSAY
    assert q.general_feedback == "A model answer."


def test_single_choice_with_feedback_and_formats():
    q = one(
        "::Colour:: Which colour means stop?\n{\n"
        "    =red # right\n    ~green # [html]no, go\n    ~[plain]amber # wait\n}"
    )
    assert q.type == SINGLE
    assert [(a.text, a.fraction, a.feedback) for a in q.answers] == [
        ("red", 1.0, "right"),
        ("green", 0.0, "no, go"),
        ("amber", 0.0, "wait"),
    ]


def test_multiple_choice_weights_and_negative_marks():
    q = one("::M:: Pick {~%50%a #yes ~%-100%b ~%50%c ~%-100%d}")
    assert q.type == MULTIPLE
    assert [a.fraction for a in q.answers] == [0.5, -1.0, 0.5, -1.0]


def test_multiple_choice_with_one_full_weight_and_penalties_stays_multiple():
    # No "=" anywhere: Moodle makes it a multiple-response question.
    q = one("::M:: Pick {~%100%a ~%-50%b ~%-50%c}")
    assert q.type == MULTIPLE
    assert [a.fraction for a in q.answers] == [1.0, -0.5, -0.5]


def test_fractional_weights_sum_within_rounding():
    q = one("Pick {~%33.33333%a ~%33.33333%b ~%33.33333%c ~d}")
    assert q.answers[0].fraction == pytest.approx(0.3333333)


def test_missing_word_question():
    q = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert q.text == "Grant is _____ in Grant's tomb."
    assert q.type == SINGLE
    assert q.name == "Grant is _____ in Grant's tomb."


@pytest.mark.parametrize(
    ("answer", "correct"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False),
                            ("true", True)]
)
def test_true_false_spellings(answer, correct):
    q = one(f"::TF:: The sky is blue.{{{answer}}}")
    assert (q.type, q.correct) == (TRUEFALSE, correct)


def test_true_false_feedback_goes_to_the_response_it_answers():
    q = one("::TF:: 42 is the answer to everything.{\nFALSE#It is 42.#You were right.}")
    assert q.correct is False
    assert q.feedback_true == "It is 42."  # shown to whoever answered "true" (wrong)
    assert q.feedback_false == "You were right."
    q = one("::TF:: Water is wet.{TRUE#Think again.#Yes.####Always.}")
    assert (q.feedback_true, q.feedback_false, q.general_feedback) == (
        "Yes.", "Think again.", "Always.")


def test_short_answer_weights_wildcard_and_general_feedback():
    q = one(
        "::SA::Best animal?{\n  =Frog#Good!\n  =%50%Cat#Hmm\n  =%0%*#Wrong\n"
        "  ####[html]General!\n}"
    )
    assert q.type == SHORTANSWER
    assert [(a.text, a.fraction, a.feedback) for a in q.answers] == [
        ("Frog", 1.0, "Good!"), ("Cat", 0.5, "Hmm"), ("*", 0.0, "Wrong")]
    assert q.general_feedback == "General!"


def test_matching_with_distractor_and_formats():
    q = one(
        "::Match::[html]Match the <b>office</b>.{\n"
        "  =[html]Passports -> 出入境\n  =[markdown]Licences -> 交警\n  = -> 税务\n}"
    )
    assert q.type == MATCHING
    assert q.text == "Match the <b>office</b>."
    assert q.text_format == "html"
    assert q.pairs == [Pair("Passports", "出入境"), Pair("Licences", "交警"), Pair("", "税务")]


def test_numerical_tolerance_and_wrong_feedback():
    q = one("::N:: A number from 1 to 5? {#3:2~#Completely wrong}")
    assert q.type == NUMERICAL
    assert [(a.value, a.tolerance, a.fraction) for a in q.answers[:1]] == [(3.0, 2.0, 1.0)]
    assert (q.answers[1].text, q.answers[1].fraction, q.answers[1].feedback) == (
        "*", 0.0, "Completely wrong")


def test_numerical_range_and_partial_credit_alternatives():
    q = one("::N:: When? {#\n  =1822:0#exact\n  =%50%1820..1824#close\n  =%25%-1.5e3\n}")
    assert [(a.value, a.tolerance, a.low, a.high, a.fraction, a.feedback) for a in q.answers] == [
        (1822.0, 0.0, None, None, 1.0, "exact"),
        (None, 0.0, 1820.0, 1824.0, 0.5, "close"),
        (-1500.0, 0.0, None, None, 0.25, ""),
    ]


def test_escapes_everywhere():
    q = one(r"::a\:b:: 1 \~ 2 \= 3 \# 4 \{5\} \\ x\ny {=\=\~#fb \#1 ~b}")
    assert q.name == "a:b"
    assert q.text == "1 ~ 2 = 3 # 4 {5} \\ x\ny"
    assert q.answers[0].text == "=~"
    assert q.answers[0].feedback == "fb #1"


def test_double_backslash_stays_single_backslash():
    q = one("::bs:: A \\\\ B \\\\\\\\ C{}")
    assert q.text == "A \\ B \\\\ C"


def test_escaped_braces_in_multiline_html():
    q = one("::Q::[html]<pre>\nvoid f() \\{\n  g();\n\\}\n</pre>\n{}")
    assert q.text == "<pre>\nvoid f() {\n  g();\n}\n</pre>"
    assert q.text_format == "html"


def test_categories_apply_to_the_questions_after_them():
    questions, problems = parse_gift(
        "::A:: one {}\n\n$CATEGORY: $course$/top/窗口/礼仪\n\n::B:: two {}\n\n"
        "$CATEGORY: other\n::C:: three {}\n"
    )
    assert problems == []
    assert [(q.name, q.category) for q in questions] == [
        ("A", ""), ("B", "窗口/礼仪"), ("C", "other")]


def test_comments_are_ignored_and_tags_read():
    questions, problems = parse_gift(
        "// only a comment\n\n// tags: [tag:礼仪] [tag: speech ]\n::A:: one {}\n"
        "// a comment inside the block\n"
    )
    assert problems == []
    assert questions[0].tags == ["礼仪", "speech"]
    assert questions[0].text == "one"


def test_crlf_and_bom_tolerated():
    questions, problems = parse_gift("\ufeff::A:: one {T}\r\n\r\n::B:: two {F}\r\n")
    assert problems == []
    assert [(q.name, q.correct, q.source_line) for q in questions] == [
        ("A", True, 1), ("B", False, 3)]


def test_text_format_markers():
    assert one("::Q::[markdown]**bold**{}").text_format == "markdown"
    assert one("::Q::[plain]x{}").text_format == "plain"
    q = one("::Q::[unknown]x{}")
    assert (q.text_format, q.text) == ("moodle", "[unknown]x")


def test_untitled_question_named_from_its_text():
    assert one("What is 窗口学院? {}").name == "What is 窗口学院?"


# Reading: problems with their lines ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("::A:: ok {}\n\n::B:: open {=a ~b\n", 3, "'{' is never closed"),
        ("::A:: open {=a\n\n~b}", 1, "'{' is never closed"),
        ("::B:: no open =a ~b}", 1, "'}' without an opening '{'"),
        ("::B:: two {T} and {F}", 1, "only one {…} answer block"),
        ("::B:: plain description", 1, "needs a {…} block"),
        ("::B title never closed {T}", 1, "not closed with '::'"),
        ("::A:: q {\n  ~%150%a\n  ~b\n}", 2, "weight %150% is outside -100..100"),
        ("::A:: q {\n  ~%abc%a\n  ~b\n}", 2, "weight %abc% is not a number"),
        ("::A:: q {~%50 a ~b}", 1, "has no closing %"),
        ("\n\n::A:: q {~}", 3, "answer 1 is empty"),
        ("::A:: q {~a}", 1, "at least 2 answers"),
        ("::A:: q {=}", 1, "answer 1 is empty"),
        ("::A:: q {TRUE junk}", 1, "true/false answer must be TRUE, FALSE, T or F"),
        ("::A:: q {Paris}", 1, "unknown question type"),
        ("::A:: q {#three}", 1, "'three' is not a number"),
        ("::A:: q {#\n=1..x}", 2, "'x' is not a number"),
        ("::A:: q {#}", 1, "at least 1 number"),
        ("::A:: q {#5 ~#a ~#b}", 1, "only one ~"),
        ("::A:: q {\n  =Canada -> Ottawa\n  =Italy Rome\n}", 3, "has no '->'"),
        ("::A:: q {~a ~b ~c}", 1, "no answer gives 100%"),
        ("::A:: q {~%50%a ~%25%b}", 1, "positive weights add up to 75%, not 100%"),
        ("::A:: q {=%50%a ~b}", 1, "'=' marks a right answer"),
        ("::A:: q {=%50%a =%20%b}", 1, "no answer gives 100%"),
        ("::A:: q {=%-50%a =b}", 1, "negative weight"),
        ("::A:: q {#5:-1}", 1, "tolerance -1 is negative"),
        ("::A:: q {#5..1}", 1, "low end above its high end"),
        ("::A:: q {=a -> 1}", 1, "at least 2 pairs"),
        ("::A:: {T}", 1, "question text is empty"),
        ("::A:: q {junk ~a =b}", 1, "must start with = or ~"),
    ],
)
def test_problems_name_their_line(text, line, needle):
    found = problem_lines(text)
    assert any(found_line == line and needle in message for found_line, message in found), found
    assert all(message.startswith(f"line {found_line}: ") for found_line, message in found)


def test_every_problem_is_reported_and_good_questions_still_listed():
    questions, problems = parse_gift("::A:: ok {T}\n\n::B:: bad {~%150%a ~b}\n\n::C:: q {Paris}")
    assert [q.name for q in questions] == ["A"]
    assert [p.line for p in problems] == [3, 5]


# Writing ---------------------------------------------------------------------------------


def test_dump_is_canonical_moodle_style():
    questions, _ = parse_gift(
        "// [tag:x]\n::Q2:: Between orange and green?\n{ =yellow # yes\n ~red ~%-50%blue }\n\n"
        "$CATEGORY: 窗口\n::N:: n {#3:2 =%50%1..5 ~#no}\n\n::T:: t {T#wrong#right####gf}"
    )
    assert dump_gift(questions) == (
        "// [tag:x]\n::Q2::Between orange and green?{\n\t=yellow#yes\n\t~red\n\t~%-50%blue\n}\n"
        "\n$CATEGORY: 窗口\n"
        "\n::N::n{#\n\t=3:2\n\t=%50%1..5\n\t~#no\n}\n"
        "\n::T::t{TRUE#wrong#right####gf}\n"
    )


def test_dump_escapes_and_format_markers_round_trip():
    q = Question(
        type=SINGLE,
        text="[html] is literal: {a} ~b =c #d \\ e\nf",
        name="名字::x",
        answers=[Answer("%5% of it", 0.0), Answer("[plain]", 1.0, "fb#")],
    )
    text = dump_gift([q])
    assert "~%0%%5% of it" in text
    assert "[moodle][html] is literal" in text
    assert without_lines(parse_gift(text)[0]) == [q]


def test_dump_refuses_ordering_questions():
    q = Question(type=ORDERING, text="Order", name="O", steps=["a", "b"])
    with pytest.raises(ExportProblems) as caught:
        dump_gift([q])
    assert "ordering questions cannot be written in GIFT" in caught.value.problems[0].message


def test_dump_refuses_arrow_in_matching_prompt():
    q = Question(type=MATCHING, text="M", pairs=[Pair("a->b", "1"), Pair("c", "2")])
    with pytest.raises(ExportProblems):
        dump_gift([q])


def test_category_reset_written_and_read():
    qs = [Question(type=ESSAY, text="a", name="a", category="x/y"),
          Question(type=ESSAY, text="b", name="b")]
    text = dump_gift(qs)
    assert "$CATEGORY:\n" in text
    assert without_lines(parse_gift(text)[0]) == qs


# Round-trip properties -------------------------------------------------------------------

# No "%" (a leading one is a weight), no ">" ("->" is the matching arrow), no "\r".
ALPHABET = "abcXYZ 019窗口学院办理材料~=#{}:\\[]()_-.,!?/*\n\t"
text_st = st.text(ALPHABET, min_size=1, max_size=12).map(str.strip).filter(bool)
opt_text = st.one_of(st.just(""), text_st)
fractions = st.sampled_from([0.0, 0.1, 0.25, 1 / 3, 0.5, 0.07, 1.0, -0.5, -1.0, -1 / 3])
numbers = st.one_of(
    st.integers(-10**6, 10**6).map(float),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
)


@st.composite
def questions_st(draw):
    kind = draw(st.sampled_from([SINGLE, MULTIPLE, TRUEFALSE, SHORTANSWER, NUMERICAL,
                                 MATCHING, ESSAY]))
    q = Question(
        type=kind,
        text=draw(text_st),
        name=draw(opt_text),
        text_format=draw(st.sampled_from(["moodle", "html", "markdown", "plain"])),
        category=draw(st.sampled_from(["", "窗口", "窗口/礼仪", "a/b c"])),
        tags=draw(st.lists(st.sampled_from(["礼仪", "t]x", "a b"]), max_size=2)),
        general_feedback=draw(opt_text),
    )
    if kind in (SINGLE, MULTIPLE):
        count = draw(st.integers(2, 4))
        texts = draw(st.lists(text_st, min_size=count, max_size=count))
        if kind == SINGLE:
            weights = [1.0] + draw(st.lists(st.sampled_from([0.0, 0.5, -0.5]),
                                            min_size=count - 1, max_size=count - 1))
        else:
            weights = [0.5, 0.5] + [-1.0] * (count - 2)
        q.answers = [Answer(t, w, draw(opt_text)) for t, w in zip(texts, weights, strict=True)]
        if kind == SINGLE and draw(st.booleans()):
            q.answers.reverse()
    elif kind == TRUEFALSE:
        q.correct = draw(st.booleans())
        q.feedback_true, q.feedback_false = draw(opt_text), draw(opt_text)
    elif kind == SHORTANSWER:
        q.answers = [Answer(draw(text_st), 1.0, draw(opt_text))] + [
            Answer(t, draw(st.sampled_from([0.0, 0.5, 1 / 3])), draw(opt_text))
            for t in draw(st.lists(text_st, max_size=2))
        ]
    elif kind == NUMERICAL:
        q.answers = [Answer(fraction=1.0, value=draw(numbers), tolerance=abs(draw(numbers)))]
        if draw(st.booleans()):
            low = draw(numbers)
            q.answers.append(Answer(fraction=draw(fractions.map(abs)), low=low,
                                    high=low + abs(draw(numbers)), feedback=draw(opt_text)))
        if draw(st.booleans()):
            q.answers.append(Answer(text="*", fraction=0.0, feedback=draw(opt_text)))
    elif kind == MATCHING:
        q.pairs = [Pair(draw(text_st), draw(text_st)) for _ in range(draw(st.integers(2, 3)))]
        if draw(st.booleans()):
            q.pairs.append(Pair("", draw(text_st)))
    return q


@settings(max_examples=150, deadline=None)
@given(st.lists(questions_st(), min_size=1, max_size=4))
def test_dump_then_parse_gives_the_same_questions(questions):
    text = dump_gift(questions)
    parsed, problems = parse_gift(text)
    assert problems == []
    assert without_lines(parsed) == questions


@settings(max_examples=150, deadline=None)
@given(st.lists(questions_st(), min_size=1, max_size=4))
def test_dump_parse_dump_is_byte_identical(questions):
    text = dump_gift(questions)
    assert dump_gift(parse_gift(text)[0]) == text


@settings(max_examples=200, deadline=None)
@given(st.text("::{}~=#%\\->TF 1.ab\n", max_size=40))
def test_parse_never_crashes_and_reparse_is_stable(text):
    questions, problems = parse_gift(text)
    assert all(p.line is not None for p in problems)
    if questions:
        again, again_problems = parse_gift(dump_gift(questions))
        assert again_problems == []
        assert without_lines(again) == without_lines(questions)
