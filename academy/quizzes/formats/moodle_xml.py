"""Moodle XML: read it (safely, with line-numbered problems) and write it deterministically.

The shapes are Moodle's own (``question/format/xml``): ``<quiz>`` holding
``<question type="…">`` elements — ``category``, ``multichoice`` (``<single>`` tells
single from multiple), ``truefalse``, ``shortanswer``, ``numerical``, ``matching``,
``essay`` — and qtype_ordering's ``ordering``, whose ``<answer>`` elements come in the
right order with ``fraction`` 1, 2, 3… holding the position.

Two things Moodle has no element for travel in extra elements that Moodle ignores:
a numerical ``min..max`` range (written as Moodle's centre ± tolerance, plus
``<academy_range low="…" high="…"/>``) and an essay rubric
(``<academy_rubric><criterion points="…">…</criterion></academy_rubric>``).

The XML is read with defusedxml: no DTDs, no entity expansion, no external resources.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler

import defusedxml.sax
from defusedxml import DefusedXmlException

from academy.quizzes.formats import (
    TEXT_FORMATS,
    ExportProblems,
    fraction_from_percent,
    is_catch_all,
    normalize_category,
    number_text,
    percent_text,
    question_problems,
)
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
    FormatProblem,
    Pair,
    Question,
)

__all__ = ["dump_moodle_xml", "parse_moodle_xml"]

_TO_MOODLE_FORMAT = {"moodle": "moodle_auto_format", "html": "html", "plain": "plain_text",
                     "markdown": "markdown"}
_FROM_MOODLE_FORMAT = {v: k for k, v in _TO_MOODLE_FORMAT.items()}
_MOODLE_TYPES = {SINGLE: "multichoice", MULTIPLE: "multichoice", TRUEFALSE: "truefalse",
                 SHORTANSWER: "shortanswer", NUMERICAL: "numerical", MATCHING: "matching",
                 ORDERING: "ordering", ESSAY: "essay"}
_NUMBER_RE = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# Reading ---------------------------------------------------------------------------------


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def find(self, *path: str) -> _Node | None:
        node: _Node | None = self
        for tag in path:
            node = next((c for c in node.children if c.tag == tag), None) if node else None
        return node

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def value(self, *path: str, default: str = "") -> str:
        """The ``<text>`` inside ``path`` (or the text of ``path`` itself when it has none)."""
        node = self.find(*path)
        if node is None:
            return default
        inner = node.find("text")
        return (inner or node).text


class _TreeBuilder(ContentHandler):
    def __init__(self):
        super().__init__()
        self.stack: list[_Node] = []
        self.root: _Node | None = None
        self.locator = None

    def setDocumentLocator(self, locator):  # noqa: N802 - SAX's name
        self.locator = locator

    def startElement(self, name, attrs):  # noqa: N802
        line = self.locator.getLineNumber() if self.locator else 0
        node = _Node(name, dict(attrs), line)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name):  # noqa: N802
        self.stack.pop()

    def characters(self, content):
        if self.stack:
            self.stack[-1].chunks.append(content)


class _Problem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _fraction(node: _Node, default: str = "0") -> float:
    raw = node.attrs.get("fraction", default).strip()
    try:
        return fraction_from_percent(raw)
    except ArithmeticError:
        raise _Problem(node.line, f"fraction {raw!r} is not a number") from None


def _float(node: _Node, raw: str, what: str) -> float:
    if not _NUMBER_RE.fullmatch(raw):
        raise _Problem(node.line, f"{what} {raw.strip()!r} is not a number")
    return float(raw)


def _bool(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes")


def _read_answers(q: Question, node: _Node) -> None:
    for answer_node in node.all("answer"):
        q.answers.append(Answer(text=answer_node.value(), fraction=_fraction(answer_node),
                                feedback=answer_node.value("feedback")))


def _read_numerical(q: Question, node: _Node) -> None:
    for answer_node in node.all("answer"):
        answer = Answer(fraction=_fraction(answer_node), feedback=answer_node.value("feedback"))
        raw = answer_node.value().strip()
        span = answer_node.find("academy_range")
        if raw == "*" or raw == "":
            answer.text = "*"
        elif span is not None:
            answer.low = _float(span, span.attrs.get("low", ""), "range end")
            answer.high = _float(span, span.attrs.get("high", ""), "range end")
        else:
            answer.value = _float(answer_node, raw, "answer")
            tolerance = answer_node.value("tolerance", default="0").strip() or "0"
            answer.tolerance = _float(answer_node, tolerance, "tolerance")
        q.answers.append(answer)


def _read_rubric(node: _Node) -> list[dict]:
    rubric = []
    for criterion in node.all("criterion"):
        points = _float(criterion, criterion.attrs.get("points", ""), "points")
        item: dict = {"criterion": criterion.value("name"),
                      "points": int(points) if points == int(points) else points}
        if criterion.find("description") is not None:
            item["description"] = criterion.value("description")
        rubric.append(item)
    return rubric


def _read_question(node: _Node, kind: str) -> Question:
    text_node = node.find("questiontext")
    fmt = _FROM_MOODLE_FORMAT.get((text_node.attrs if text_node else {}).get("format", ""),
                                  "moodle")
    q = Question(type=ESSAY, text=node.value("questiontext"), name=node.value("name"),
                 text_format=fmt, general_feedback=node.value("generalfeedback"),
                 source_line=node.line)
    grade = node.value("defaultgrade", default="1").strip() or "1"
    q.default_mark = _float(node.find("defaultgrade") or node, grade, "default grade")
    tags = node.find("tags")
    q.tags = [tag.value() for tag in tags.all("tag")] if tags else []
    if kind == "multichoice":
        q.type = SINGLE if _bool(node.value("single", default="true")) else MULTIPLE
        _read_answers(q, node)
    elif kind == "shortanswer":
        q.type = SHORTANSWER
        _read_answers(q, node)
    elif kind == "truefalse":
        q.type = TRUEFALSE
        for answer_node in node.all("answer"):
            said = answer_node.value().strip().lower()
            if said not in ("true", "false"):
                raise _Problem(answer_node.line, f"true/false answer {said!r} is neither")
            feedback = answer_node.value("feedback")
            if said == "true":
                q.feedback_true = feedback
                q.correct = _fraction(answer_node) == 1.0
            else:
                q.feedback_false = feedback
    elif kind == "numerical":
        q.type = NUMERICAL
        _read_numerical(q, node)
    elif kind == "matching":
        q.type = MATCHING
        q.pairs = [Pair(prompt=sub.value(), answer=sub.value("answer"))
                   for sub in node.all("subquestion")]
    elif kind == "ordering":
        q.type = ORDERING
        answers = node.all("answer")
        positions = [_fraction(a, default="0") * 100 for a in answers]
        q.steps = [a.value() for _, a in sorted(zip(positions, answers, strict=True),
                                                 key=lambda pair: pair[0])]
    elif kind == "essay":
        rubric = node.find("academy_rubric")
        q.rubric = _read_rubric(rubric) if rubric else []
    else:
        raise _Problem(node.line, f"question type {kind!r} is not supported")
    return q


def _tree(data: bytes) -> _Node:
    builder = _TreeBuilder()
    try:
        defusedxml.sax.parseString(data, builder, forbid_dtd=True, forbid_entities=True,
                                   forbid_external=True)
    except SAXParseException as error:
        message = f"not well-formed XML: {error.getMessage()}"
        raise _Problem(error.getLineNumber(), message) from None
    except DefusedXmlException as error:
        message = f"refused: {type(error).__name__} (DTDs and entities are not allowed)"
        raise _Problem(0, message) from None
    if builder.root is None or builder.root.tag != "quiz":
        raise _Problem(builder.root.line if builder.root else 1,
                       "the root element must be <quiz>")
    return builder.root


def parse_moodle_xml(data: bytes) -> tuple[list[Question], list[FormatProblem]]:
    """Read Moodle XML into questions; every problem carries its line (import none if any)."""
    try:
        root = _tree(data)
    except _Problem as problem:
        line = problem.line or None
        prefix = f"line {line}: " if line else ""
        return [], [FormatProblem(prefix + problem.message, line=line)]
    questions: list[Question] = []
    problems: list[FormatProblem] = []
    category = ""
    for node in root.all("question"):
        kind = node.attrs.get("type", "")
        if kind == "category":
            category = normalize_category(node.value("category"))
            continue
        try:
            question = _read_question(node, kind)
        except _Problem as problem:
            problems.append(FormatProblem(f"line {problem.line}: {problem.message}",
                                          line=problem.line))
            continue
        question.category = category
        found = question_problems(question)
        problems.extend(FormatProblem(f"line {node.line}: {message}", line=node.line)
                        for message in found)
        if not found:
            questions.append(question)
    return questions, problems


# Writing ---------------------------------------------------------------------------------


def _esc(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


def _text(tag: str, text: str, indent: str, fmt: str | None = None) -> str:
    attr = f' format="{_TO_MOODLE_FORMAT[fmt]}"' if fmt else ""
    return f"{indent}<{tag}{attr}>\n{indent}  <text>{_esc(text)}</text>\n{indent}</{tag}>"


def _answer(fraction: str, text: str, feedback: str, fmt: str, extra: Iterable[str] = ()) -> str:
    lines = [f'    <answer fraction="{fraction}" format="{_TO_MOODLE_FORMAT[fmt]}">',
             f"      <text>{_esc(text)}</text>",
             _text("feedback", feedback, "      ", fmt), *extra, "    </answer>"]
    return "\n".join(lines)


def _type_lines(q: Question) -> list[str]:
    fmt = q.text_format
    lines: list[str] = []
    if q.type in (SINGLE, MULTIPLE):
        lines += [f"    <single>{'true' if q.type == SINGLE else 'false'}</single>",
                  "    <shuffleanswers>true</shuffleanswers>",
                  "    <answernumbering>abc</answernumbering>"]
        lines += [_answer(percent_text(a.fraction), a.text, a.feedback, fmt) for a in q.answers]
    elif q.type == SHORTANSWER:
        lines.append("    <usecase>0</usecase>")
        lines += [_answer(percent_text(a.fraction), a.text, a.feedback, fmt) for a in q.answers]
    elif q.type == TRUEFALSE:
        lines.append(_answer("100" if q.correct else "0", "true", q.feedback_true, fmt))
        lines.append(_answer("0" if q.correct else "100", "false", q.feedback_false, fmt))
    elif q.type == NUMERICAL:
        for a in q.answers:
            extra = []
            if is_catch_all(a):
                number, tolerance = "*", "0"
            elif a.low is not None and a.high is not None:
                centre = (a.low + a.high) / 2
                number, tolerance = number_text(centre), number_text(a.high - centre)
                extra = [f'      <academy_range low="{number_text(a.low)}" '
                         f'high="{number_text(a.high)}"/>']
            else:
                number, tolerance = number_text(a.value or 0.0), number_text(a.tolerance)
            extra.insert(0, f"      <tolerance>{tolerance}</tolerance>")
            lines.append(_answer(percent_text(a.fraction), number, a.feedback, fmt, extra))
    elif q.type == MATCHING:
        lines.append("    <shuffleanswers>true</shuffleanswers>")
        for pair in q.pairs:
            lines += [f'    <subquestion format="{_TO_MOODLE_FORMAT[fmt]}">',
                      f"      <text>{_esc(pair.prompt)}</text>",
                      f"      <answer>\n        <text>{_esc(pair.answer)}</text>\n      </answer>",
                      "    </subquestion>"]
    elif q.type == ORDERING:
        lines += ["    <layouttype>VERTICAL</layouttype>", "    <selecttype>ALL</selecttype>",
                  "    <selectcount>0</selectcount>",
                  "    <gradingtype>ABSOLUTE_POSITION</gradingtype>",
                  "    <showgrading>SHOW</showgrading>",
                  "    <numberingstyle>none</numberingstyle>"]
        lines += [_answer(str(i), step, "", fmt) for i, step in enumerate(q.steps, 1)]
    elif q.type == ESSAY:
        lines += ["    <responseformat>editor</responseformat>",
                  "    <responserequired>1</responserequired>",
                  "    <responsefieldlines>15</responsefieldlines>",
                  "    <attachments>0</attachments>"]
        if q.rubric:
            lines.append("    <academy_rubric>")
            for item in q.rubric:
                points = float(item.get("points", item.get("max_points", 0)))
                lines.append(f'      <criterion points="{number_text(points)}">')
                lines.append(_text("name", str(item.get("criterion", item.get("name", ""))),
                                   "        "))
                if "description" in item:
                    lines.append(_text("description", str(item["description"]), "        "))
                lines.append("      </criterion>")
            lines.append("    </academy_rubric>")
    return lines


def _question_xml(q: Question) -> str:
    fmt = q.text_format
    lines = [f'  <question type="{_MOODLE_TYPES[q.type]}">',
             _text("name", q.name, "    "),
             _text("questiontext", q.text, "    ", fmt),
             _text("generalfeedback", q.general_feedback, "    ", fmt),
             f"    <defaultgrade>{number_text(q.default_mark)}</defaultgrade>",
             *_type_lines(q)]
    if q.tags:
        lines.append("    <tags>")
        lines += [f"      <tag>\n        <text>{_esc(tag)}</text>\n      </tag>" for tag in q.tags]
        lines.append("    </tags>")
    lines.append("  </question>")
    return "\n".join(lines)


def _export_problems(number: int, q: Question) -> list[str]:
    label = f"question {number} ({q.name or q.text[:30]!r})"
    problems = []
    if q.type not in _MOODLE_TYPES:
        problems.append(f"{label}: unknown question type {q.type!r}")
    if q.text_format not in TEXT_FORMATS:
        problems.append(f"{label}: unknown text format {q.text_format!r}")
    texts = [q.name, q.text, q.general_feedback, q.category, q.feedback_true, q.feedback_false,
             *q.tags, *q.steps, *(a.text + a.feedback for a in q.answers),
             *(p.prompt + p.answer for p in q.pairs)]
    if any(_XML_ILLEGAL.search(t) for t in texts):
        problems.append(f"{label}: a text has a control character XML cannot hold")
    numbers = [q.default_mark] + [n for a in q.answers
                                  for n in (a.value, a.low, a.high, a.tolerance, a.fraction)]
    if not all(n is None or math.isfinite(n) for n in numbers):
        problems.append(f"{label}: a number is not finite")
    return problems


def dump_moodle_xml(questions: Iterable[Question]) -> bytes:
    """Write questions as Moodle XML (UTF-8, same input → same bytes)."""
    questions = list(questions)
    problems = [FormatProblem(message) for number, q in enumerate(questions, 1)
                for message in _export_problems(number, q)]
    if problems:
        raise ExportProblems(problems)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    category = None
    for q in questions:
        wanted = normalize_category(q.category)
        if wanted != category:
            parts.append('  <question type="category">\n'
                         + _text("category", wanted, "    ") + "\n  </question>")
            category = wanted
        parts.append(_question_xml(q))
    parts.append("</quiz>\n")
    return "\n".join(parts).encode("utf-8")
