"""Moodle XML reading and writing (academy.quizzes.formats.moodle_xml): a pure core."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.quizzes.formats import ExportProblems
from academy.quizzes.formats.gift import dump_gift, parse_gift
from academy.quizzes.formats.moodle_xml import dump_moodle_xml, parse_moodle_xml
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

MOODLE_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category>
      <text>$course$/top/窗口/礼仪</text>
    </category>
  </question>
  <question type="multichoice">
    <name><text>Colours</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Which means <b>stop</b>?</p>]]></text>
    </questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <answer fraction="100" format="html">
      <text>red</text>
      <feedback format="html"><text>Right</text></feedback>
    </answer>
    <answer fraction="0" format="html">
      <text>green</text>
      <feedback format="html"><text></text></feedback>
    </answer>
    <tags><tag><text>交通</text></tag></tags>
  </question>
  <question type="truefalse">
    <name><text>TF</text></name>
    <questiontext format="moodle_auto_format"><text>Sky is green.</text></questiontext>
    <answer fraction="0"><text>true</text><feedback><text>No.</text></feedback></answer>
    <answer fraction="100"><text>false</text><feedback><text>Yes.</text></feedback></answer>
  </question>
  <question type="numerical">
    <name><text>N</text></name>
    <questiontext format="plain_text"><text>1 to 5?</text></questiontext>
    <answer fraction="100"><text>3</text><tolerance>2</tolerance>
      <feedback><text>ok</text></feedback></answer>
    <answer fraction="0"><text>*</text><tolerance>0</tolerance>
      <feedback><text>no</text></feedback></answer>
    <units></units>
  </question>
  <question type="matching">
    <name><text>M</text></name>
    <questiontext format="markdown"><text>Match</text></questiontext>
    <subquestion format="html"><text>Passports</text>
      <answer><text>出入境</text></answer></subquestion>
    <subquestion format="html"><text>Licences</text><answer><text>交警</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>税务</text></answer></subquestion>
  </question>
  <question type="shortanswer">
    <name><text>SA</text></name>
    <questiontext format="html"><text>Animal?</text></questiontext>
    <usecase>0</usecase>
    <answer fraction="100"><text>Frog</text><feedback><text></text></feedback></answer>
    <answer fraction="50"><text>Cat</text><feedback><text>meh</text></feedback></answer>
  </question>
  <question type="essay">
    <name><text>E</text></name>
    <questiontext format="html"><text>Describe.</text></questiontext>
    <responseformat>editor</responseformat>
  </question>
  <question type="ordering">
    <name><text>O</text></name>
    <questiontext format="html"><text>Order</text></questiontext>
    <answer fraction="2.0000000"><text>second</text></answer>
    <answer fraction="1.0000000"><text>first</text></answer>
    <answer fraction="3.0000000"><text>third</text></answer>
  </question>
</quiz>
""".encode()


def without_lines(questions):
    return [dataclasses.replace(q, source_line=None) for q in questions]


def test_reads_a_moodle_export():
    questions, problems = parse_moodle_xml(MOODLE_EXPORT)
    assert problems == []
    mc, tf, num, match, sa, essay, order = questions
    assert (mc.type, mc.name, mc.text, mc.text_format, mc.default_mark, mc.tags) == (
        SINGLE, "Colours", "<p>Which means <b>stop</b>?</p>", "html", 2.0, ["交通"])
    assert mc.category == "窗口/礼仪"
    assert [(a.text, a.fraction, a.feedback) for a in mc.answers] == [
        ("red", 1.0, "Right"), ("green", 0.0, "")]
    assert (tf.type, tf.correct, tf.feedback_true, tf.feedback_false) == (
        TRUEFALSE, False, "No.", "Yes.")
    assert num.type == NUMERICAL and num.text_format == "plain"
    assert [(a.value, a.tolerance, a.text) for a in num.answers] == [(3.0, 2.0, ""),
                                                                     (None, 0.0, "*")]
    assert match.pairs == [Pair("Passports", "出入境"), Pair("Licences", "交警"), Pair("", "税务")]
    assert match.text_format == "markdown"
    assert [(a.text, a.fraction) for a in sa.answers] == [("Frog", 1.0), ("Cat", 0.5)]
    assert essay.type == ESSAY
    assert (order.type, order.steps) == (ORDERING, ["first", "second", "third"])
    assert [q.source_line for q in questions] == [9, 31, 37, 46, 54, 61, 66]


def test_multiple_response_from_single_false():
    data = b"""<quiz><question type="multichoice"><name><text>m</text></name>
<questiontext><text>q</text></questiontext><single>false</single>
<answer fraction="50"><text>a</text></answer><answer fraction="50"><text>b</text></answer>
<answer fraction="-100"><text>c</text></answer></question></quiz>"""
    (q,), problems = parse_moodle_xml(data)
    assert problems == []
    assert q.type == MULTIPLE
    assert [a.fraction for a in q.answers] == [0.5, 0.5, -1.0]


@pytest.mark.parametrize(
    ("data", "line", "needle"),
    [
        (b"<quiz>\n<question type='essay'>\n<name>", 3, "not well-formed XML"),
        (b"<quiz>\n<question type='cloze'>\n</question></quiz>", 2, "'cloze' is not supported"),
        (b"<quiz>\n<question type='multichoice'><questiontext><text>q</text></questiontext>\n"
         b"<answer fraction='abc'><text>a</text></answer></question></quiz>", 3,
         "fraction 'abc' is not a number"),
        (b"<quiz>\n<question type='multichoice'><questiontext><text>q</text></questiontext>\n"
         b"<answer fraction='150'><text>a</text></answer><answer><text>b</text></answer>"
         b"</question></quiz>", 2, "weight 150% is outside -100..100"),
        (b"<quiz>\n\n<question type='multichoice'><questiontext><text>q</text></questiontext>"
         b"<answer fraction='0'><text>a</text></answer><answer><text>b</text></answer>"
         b"</question></quiz>", 3, "no answer gives 100%"),
        (b"<quiz>\n<question type='numerical'><questiontext><text>q</text></questiontext>\n"
         b"<answer fraction='100'><text>three</text></answer></question></quiz>", 3,
         "answer 'three' is not a number"),
        (b"<quiz>\n<question type='shortanswer'><questiontext><text>q</text></questiontext>"
         b"</question></quiz>", 2, "at least 1 answer"),
        (b"<quiz>\n<question type='truefalse'><questiontext><text>q</text></questiontext>\n"
         b"<answer fraction='100'><text>maybe</text></answer></question></quiz>", 3,
         "'maybe' is neither"),
        (b"<root/>", 1, "root element must be <quiz>"),
    ],
)
def test_problems_name_their_line(data, line, needle):
    _, problems = parse_moodle_xml(data)
    assert any(p.line == line and needle in p.message for p in problems), problems


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa">]><quiz>&a;</quiz>',
        b'<?xml version="1.0"?><!DOCTYPE q SYSTEM "file:///etc/passwd"><quiz/>',
    ],
)
def test_entities_and_dtds_are_refused(data):
    questions, problems = parse_moodle_xml(data)
    assert questions == []
    assert "refused" in problems[0].message


def test_writes_ordering_in_qtype_ordering_shape():
    q = Question(type=ORDERING, text="Order", name="O", steps=["受理", "审核", "办结"])
    data = dump_moodle_xml([q])
    assert b'<question type="ordering">' in data
    assert data.index("受理".encode()) < data.index("审核".encode()) < data.index("办结".encode())
    assert b'<answer fraction="1" format="moodle_auto_format">' in data
    assert without_lines(parse_moodle_xml(data)[0]) == [q]


def test_numerical_range_survives_and_moodle_sees_centre_and_tolerance():
    q = Question(type=NUMERICAL, text="n", answers=[Answer(fraction=1.0, low=1.0, high=5.0)])
    data = dump_moodle_xml([q])
    assert b"<text>3</text>" in data and b"<tolerance>2</tolerance>" in data
    assert without_lines(parse_moodle_xml(data)[0]) == [q]


def test_essay_rubric_round_trips():
    rubric = [{"criterion": "一次性告知", "points": 4, "description": "全部材料"},
              {"criterion": "文明用语", "points": 1.5}]
    q = Question(type=ESSAY, text="写一段答复", rubric=rubric)
    assert without_lines(parse_moodle_xml(dump_moodle_xml([q]))[0]) == [q]


def test_export_refuses_control_characters():
    with pytest.raises(ExportProblems):
        dump_moodle_xml([Question(type=ESSAY, text="bad \x01")])


def test_gift_to_xml_to_gift_is_identical():
    gift = ("::Q::Pick{\n\t=a#yes\n\t~%-50%b\n}\n\n$CATEGORY: 窗口\n\n"
            "::N::n{#\n\t=3:2\n\t=%50%1..5\n\t~#no\n}\n")
    questions, problems = parse_gift(gift)
    assert problems == []
    xml_questions, problems = parse_moodle_xml(dump_moodle_xml(questions))
    assert problems == []
    assert dump_gift(xml_questions) == gift


# Round-trip properties -------------------------------------------------------------------

ALPHABET = "abcXYZ 019窗口学院办理材料<>&\"'~=#{}:%\\[]\n\t\r"
any_text = st.text(ALPHABET, max_size=12)
text_st = any_text.filter(str.strip)
fractions = st.sampled_from([0.0, 0.1, 0.25, 1 / 3, 0.5, 0.07, 1.0])
numbers = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


@st.composite
def questions_st(draw):
    kind = draw(st.sampled_from([SINGLE, MULTIPLE, TRUEFALSE, SHORTANSWER, NUMERICAL,
                                 MATCHING, ORDERING, ESSAY]))
    q = Question(
        type=kind,
        text=draw(text_st),
        name=draw(any_text),
        text_format=draw(st.sampled_from(["moodle", "html", "markdown", "plain"])),
        category=draw(st.sampled_from(["", "窗口", "窗口/礼仪"])),
        tags=draw(st.lists(text_st, max_size=2)),
        general_feedback=draw(any_text),
        default_mark=draw(st.sampled_from([1.0, 2.0, 0.5, 10.0])),
    )
    if kind in (SINGLE, MULTIPLE):
        texts = draw(st.lists(text_st, min_size=2, max_size=4))
        weights = [1.0] + [0.0] * (len(texts) - 1) if kind == SINGLE else (
            [0.5, 0.5] + [-1 / 3] * (len(texts) - 2))
        q.answers = [Answer(t, w, draw(any_text)) for t, w in zip(texts, weights, strict=True)]
    elif kind == TRUEFALSE:
        q.correct = draw(st.booleans())
        q.feedback_true, q.feedback_false = draw(any_text), draw(any_text)
    elif kind == SHORTANSWER:
        q.answers = [Answer(draw(text_st), 1.0, draw(any_text))] + [
            Answer(t, draw(fractions), draw(any_text)) for t in draw(st.lists(text_st, max_size=2))
        ]
    elif kind == NUMERICAL:
        q.answers = [Answer(fraction=1.0, value=draw(numbers), tolerance=abs(draw(numbers)))]
        if draw(st.booleans()):
            low = draw(numbers)
            q.answers.append(Answer(fraction=draw(fractions), low=low,
                                    high=low + abs(draw(numbers))))
        if draw(st.booleans()):
            q.answers.append(Answer(text="*", fraction=0.0, feedback=draw(any_text)))
    elif kind == MATCHING:
        q.pairs = [Pair(draw(text_st), draw(text_st)) for _ in range(draw(st.integers(2, 3)))]
        if draw(st.booleans()):
            q.pairs.append(Pair("", draw(text_st)))
    elif kind == ORDERING:
        q.steps = draw(st.lists(text_st, min_size=2, max_size=4))
    elif kind == ESSAY:
        q.rubric = [{"criterion": draw(text_st), "points": draw(st.sampled_from([1, 2.5, 4]))}
                    for _ in range(draw(st.integers(0, 2)))]
    return q


@settings(max_examples=150, deadline=None)
@given(st.lists(questions_st(), min_size=1, max_size=4))
def test_dump_then_parse_gives_the_same_questions(questions):
    parsed, problems = parse_moodle_xml(dump_moodle_xml(questions))
    assert problems == []
    assert without_lines(parsed) == questions


@settings(max_examples=150, deadline=None)
@given(st.lists(questions_st(), min_size=1, max_size=4))
def test_dump_parse_dump_is_byte_identical(questions):
    data = dump_moodle_xml(questions)
    assert dump_moodle_xml(parse_moodle_xml(data)[0]) == data
