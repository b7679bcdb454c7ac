"""GIFT, Moodle's plain-text question format: read it with line-numbered problems, write
it canonically.

What is read (following Moodle's importer and its tests):

* questions are separated by blank lines; ``//`` lines are comments, and
  ``[tag:…]`` inside them tags the question;
* ``$CATEGORY: a/b`` sets the category of the questions after it (its own line; the rest
  of its block, if any, is read as a question);
* ``::title::`` names a question; without one the name comes from the text;
* ``\\~ \\= \\# \\{ \\} \\: \\\\`` are literal characters and ``\\n`` a line break;
* ``[html]``, ``[markdown]``, ``[plain]`` or ``[moodle]`` starting a text sets its format;
  the question's format is kept, a marker on an answer or feedback is dropped;
* ``{…}`` holds the answers; text after it makes a missing-word question (``_____``);
* ``{}`` essay; ``{T}``/``{TRUE}``/``{F}``/``{FALSE}`` true/false (``#wrong#right``
  feedback); ``{=a ~b}`` single choice, ``{~%50%a ~%50%b ~%-100%c}`` multiple choice;
  ``{=a =%50%b}`` short answer; ``{=a -> 1 =b -> 2 = -> 3}`` matching with a distractor;
  ``{#3:0.5 =%50%1..5 ~#feedback}`` numerical; ``#`` answer feedback, ``####`` general
  feedback.

Where Moodle guesses, this reader reports a problem instead: answers that start with
neither ``=``, ``~`` nor ``#`` (Moodle would make them a short answer), weights that are
not numbers or lie outside -100..100, text before the first answer, a second ``{…}``.

Ordering questions and rubrics have no GIFT form: writing an ordering question raises
:class:`~academy.quizzes.formats.ExportProblems`; a rubric is left out. Marks are not
written either (GIFT has none; every question reads back with mark 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

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

__all__ = ["dump_gift", "parse_gift"]

# Escapes are swapped for two private-use characters (a marker and a filler) so that
# offsets, and so line numbers, stay the same while the structure is parsed.
_ESCAPABLE = "\\~=#{}:n"
_FILLER = "\ue0ff"
_MARKERS = {ch: chr(0xE000 + i) for i, ch in enumerate(_ESCAPABLE)}
_REVEAL = {ord(marker): ("\n" if ch == "n" else ch) for ch, marker in _MARKERS.items()}
_REVEAL[ord(_FILLER)] = None
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_FORMAT_RE = re.compile(r"\[(moodle|html|plain|markdown)\]")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WEIGHT_RE = re.compile(r"-?\d+(?:\.\d+)?")
_TAG_RE = re.compile(r"\[tag:((?:\\.|[^\]\\])*)\]")
_TRUE = ("T", "TRUE")
_FALSE = ("F", "FALSE")


class _Problem(Exception):
    """One problem that stops reading the current question."""

    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


def _hide(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _MARKERS[m.group(1)] + _FILLER, text)


def _reveal(text: str) -> str:
    return text.translate(_REVEAL)


def _shown(text: str, limit: int = 40) -> str:
    text = " ".join(_reveal(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_and_format(text: str) -> tuple[str | None, str]:
    """Split a leading ``[format]`` off a (hidden) text; Moodle trims before and after."""
    text = text.strip()
    match = _FORMAT_RE.match(text)
    if match:
        return match.group(1), _reveal(text[match.end() :]).strip()
    return None, _reveal(text).strip()


def _plain(text: str) -> str:
    return _text_and_format(text)[1]


def _split(text: str, offset: int, markers: str) -> tuple[str, list[tuple[str, str, int]]]:
    """Cut ``text`` before each marker character: (lead, [(marker, piece, piece_offset)])."""
    pieces: list[tuple[str, str, int]] = []
    lead_end = len(text)
    start = None
    for i, ch in enumerate(text):
        if ch in markers:
            if start is None:
                lead_end = i
            else:
                pieces.append((text[start], text[start + 1 : i], offset + start + 1))
            start = i
    if start is not None:
        pieces.append((text[start], text[start + 1 :], offset + start + 1))
    return text[:lead_end], pieces


def _weight(piece: str, offset: int) -> tuple[float | None, str, int]:
    """Read a leading ``%weight%``: (fraction or None, rest, rest_offset)."""
    stripped = piece.lstrip()
    offset += len(piece) - len(stripped)
    if not stripped.startswith("%"):
        return None, stripped, offset
    end = stripped.find("%", 1)
    if end < 0:
        raise _Problem(offset, f"weight {_shown(stripped, 12)} has no closing %")
    raw = stripped[1:end].strip()
    if not _WEIGHT_RE.fullmatch(raw):
        raise _Problem(offset, f"weight %{_shown(raw, 12)}% is not a number")
    fraction = fraction_from_percent(raw)
    if not -1.0 <= fraction <= 1.0:
        raise _Problem(offset, f"weight %{raw}% is outside -100..100")
    return fraction, stripped[end + 1 :], offset + end + 1


def _feedback(piece: str) -> tuple[str, str]:
    """``answer#feedback`` → both texts (formats dropped)."""
    answer, _, feedback = piece.partition("#")
    return _plain(answer), _plain(feedback)


def _number(raw: str, offset: int) -> float:
    shown = _reveal(raw).strip()
    if not _NUMBER_RE.fullmatch(shown):
        raise _Problem(offset, f"{shown!r} is not a number")
    return float(shown)


class _Reader:
    def __init__(self, block: str, first_line: int):
        self.block = block
        self.first_line = first_line

    def line(self, offset: int) -> int:
        return self.first_line + self.block.count("\n", 0, max(offset, 0))

    def question(self) -> Question:
        block = self.block
        start = len(block) - len(block.lstrip())
        name: str | None = None
        body_start = start
        if block.startswith("::", start):
            end = block.find("::", start + 2)
            if end < 0:
                raise _Problem(start, "the title after '::' is not closed with '::'")
            name = _reveal(block[start + 2 : end]).strip()
            body_start = end + 2
        body = block[body_start:]
        opening, closing = body.find("{"), body.find("}")
        if opening < 0 and closing < 0:
            raise _Problem(start, "no answers: the question needs a {…} block")
        if opening < 0 or 0 <= closing < opening:
            raise _Problem(body_start + closing, "'}' without an opening '{'")
        if closing < 0:
            raise _Problem(
                body_start + opening, "'{' is never closed (a blank line ends a question)"
            )
        for extra in (body.find("{", closing + 1), body.find("}", closing + 1)):
            if extra >= 0:
                raise _Problem(body_start + extra, "only one {…} answer block is allowed")
        before, after = body[:opening], body[closing + 1 :]
        text = before + "_____" + after if after.strip() else before
        text_format, question_text = _text_and_format(text)
        inner_offset = body_start + opening + 1
        inner = body[opening + 1 : closing]
        general = ""
        general_at = inner.rfind("####")
        if general_at >= 0:
            general = _plain(inner[general_at + 4 :])
            inner = inner[:general_at]
        if name is None:
            name = _default_name(question_text)
        question = Question(
            type=ESSAY,
            text=question_text,
            name=name,
            text_format=text_format or "moodle",
            general_feedback=general,
            source_line=self.line(start),
        )
        self.answers(question, inner, inner_offset)
        return question

    def answers(self, q: Question, inner: str, offset: int) -> None:
        stripped = inner.strip()
        offset += len(inner) - len(inner.lstrip())
        if not stripped:
            q.type = ESSAY
        elif stripped.startswith("#"):
            q.type = NUMERICAL
            self.numerical(q, stripped[1:], offset + 1)
        elif "~" in stripped:
            self.choice(q, stripped, offset)
        elif "=" in stripped and "->" in stripped:
            q.type = MATCHING
            self.matching(q, stripped, offset)
        else:
            head = stripped.split("#", 1)[0].strip()
            if head.upper() in _TRUE + _FALSE:
                q.type = TRUEFALSE
                self.truefalse(q, stripped)
            elif stripped.startswith("="):
                q.type = SHORTANSWER
                self.shortanswer(q, stripped, offset)
            elif head.split() and head.split()[0].upper() in _TRUE + _FALSE:
                raise _Problem(
                    offset,
                    f"true/false answer must be TRUE, FALSE, T or F, not {_shown(head)!r}",
                )
            else:
                raise _Problem(
                    offset,
                    f"unknown question type: {_shown(stripped)!r} — answers start with "
                    "=, ~ or #, or are TRUE/FALSE",
                )

    def _no_lead(self, lead: str, offset: int, what: str) -> None:
        if lead.strip():
            raise _Problem(
                offset, f"{_shown(lead)!r} must start with {what} to be an answer"
            )

    def choice(self, q: Question, text: str, offset: int) -> None:
        lead, pieces = _split(text, offset, "~=")
        self._no_lead(lead, offset, "= or ~")
        q.type = SINGLE if any(marker == "=" for marker, _, _ in pieces) else MULTIPLE
        for number, (marker, piece, at) in enumerate(pieces, 1):
            fraction, rest, at = _weight(piece, at)
            if marker == "=":
                if fraction is not None:
                    raise _Problem(
                        at, "'=' marks a right answer; write ~%50%… for a partial weight"
                    )
                fraction = 1.0
            answer, feedback = _feedback(rest)
            if not answer:
                raise _Problem(at, f"answer {number} is empty")
            q.answers.append(Answer(text=answer, fraction=fraction or 0.0, feedback=feedback))
        if len(q.answers) < 2:
            raise _Problem(offset, "a choice question needs at least 2 answers")

    def shortanswer(self, q: Question, text: str, offset: int) -> None:
        _, pieces = _split(text, offset, "=")
        for number, (_, piece, at) in enumerate(pieces, 1):
            fraction, rest, at = _weight(piece, at)
            answer, feedback = _feedback(rest)
            if not answer:
                raise _Problem(at, f"answer {number} is empty")
            q.answers.append(
                Answer(text=answer, fraction=1.0 if fraction is None else fraction,
                       feedback=feedback)
            )

    def matching(self, q: Question, text: str, offset: int) -> None:
        lead, pieces = _split(text, offset, "=")
        self._no_lead(lead, offset, "=")
        for _, piece, at in pieces:
            arrow = piece.find("->")
            if arrow < 0:
                raise _Problem(at, f"matching pair {_shown(piece)!r} has no '->'")
            q.pairs.append(Pair(prompt=_plain(piece[:arrow]),
                                answer=_reveal(piece[arrow + 2 :]).strip()))

    def truefalse(self, q: Question, text: str) -> None:
        parts = text.split("#", 2) + ["", ""]
        q.correct = parts[0].strip().upper() in _TRUE
        wrong, right = _plain(parts[1]), _plain(parts[2])
        if q.correct:
            q.feedback_true, q.feedback_false = right, wrong
        else:
            q.feedback_true, q.feedback_false = wrong, right

    def numerical(self, q: Question, text: str, offset: int) -> None:
        tilde = text.find("~")
        wrong = text[tilde:] if tilde >= 0 else ""
        text = text[:tilde] if tilde >= 0 else text
        lead, pieces = _split(text, offset, "=")
        if lead.strip():
            pieces.insert(0, ("=", lead, offset))
        if not pieces:
            raise _Problem(offset, "a numerical question needs at least 1 number")
        for _, piece, at in pieces:
            fraction, rest, at = _weight(piece, at)
            raw, _, feedback = rest.partition("#")
            answer = Answer(fraction=1.0 if fraction is None else fraction,
                            feedback=_plain(feedback))
            raw = raw.strip()
            dots, colon = raw.find(".."), raw.find(":")
            if raw == "*":
                answer.text = "*"
            elif dots > 0:
                answer.low = _number(raw[:dots], at)
                answer.high = _number(raw[dots + 2 :], at)
            elif colon > 0:
                answer.value = _number(raw[:colon], at)
                answer.tolerance = _number(raw[colon + 1 :], at)
            else:
                answer.value = _number(raw, at)
            q.answers.append(answer)
        if wrong:
            at = offset + tilde
            if wrong.count("~") > 1:
                raise _Problem(at, "a numerical question takes only one ~ (wrong-answer feedback)")
            before, _, feedback = wrong[1:].partition("#")
            if before.strip():
                raise _Problem(at, "after ~ only #feedback may follow in a numerical question")
            q.answers.append(Answer(text="*", fraction=0.0, feedback=_plain(feedback)))


def _default_name(text: str) -> str:
    words = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return words[:80].rstrip()


def _blocks(text: str) -> Iterable[tuple[int, list[str]]]:
    """The blank-line separated blocks of ``text``: (first line number, lines)."""
    block: list[str] = []
    first = 1
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _tags(comment: str) -> list[str]:
    return [
        re.sub(r"\\(.)", r"\1", raw).strip()
        for raw in _TAG_RE.findall(comment)
        if raw.strip()
    ]


def parse_gift(text: str) -> tuple[list[Question], list[FormatProblem]]:
    """Read GIFT text into questions; every problem carries its line (import none if any)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[Question] = []
    problems: list[FormatProblem] = []
    category = ""
    for first, lines in _blocks(text):
        tags: list[str] = []
        content = list(lines)
        seen_content = False
        for i, line in enumerate(lines):
            stripped = line.strip()
            if stripped.startswith("//"):
                tags.extend(_tags(stripped))
                content[i] = ""
            elif not seen_content and stripped.startswith("$CATEGORY:"):
                category = normalize_category(stripped[len("$CATEGORY:") :])
                content[i] = ""
            elif stripped:
                seen_content = True
        block = "\n".join(content)
        if not block.strip():
            continue
        reader = _Reader(_hide(block), first)
        try:
            question = reader.question()
        except _Problem as problem:
            line = reader.line(problem.offset)
            problems.append(FormatProblem(f"line {line}: {problem.message}", line=line))
            continue
        question.category = category
        question.tags = tags
        found = question_problems(question)
        line = question.source_line
        problems.extend(FormatProblem(f"line {line}: {message}", line=line) for message in found)
        if not found:
            questions.append(question)
    return questions, problems


# Writing ---------------------------------------------------------------------------------


def _escape(text: str) -> str:
    text = text.strip().replace("\r", "")
    text = text.replace("\\", "\\\\")
    for ch in "~=#{}:":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _with_format(text: str, text_format: str, always: bool = False) -> str:
    """A text with a leading format marker when one is needed to read it back as is."""
    text = text.strip()
    if always or _FORMAT_RE.match(text):
        return f"[{text_format}]{_escape(text)}"
    return _escape(text)


def _percent(fraction: float) -> str:
    return f"%{percent_text(fraction)}%"


def _export_problems(number: int, q: Question) -> list[str]:
    label = f"question {number} ({q.name or q.text[:30]!r})"
    problems = []
    if q.type == ORDERING:
        problems.append(f"{label}: ordering questions cannot be written in GIFT")
    if q.text_format not in TEXT_FORMATS:
        problems.append(f"{label}: unknown text format {q.text_format!r}")
    if "\n" in q.category or any("\n" in tag for tag in q.tags):
        problems.append(f"{label}: a category or tag has a line break")
    if q.type == MATCHING and any("->" in pair.prompt for pair in q.pairs):
        problems.append(f"{label}: a matching prompt contains '->'")
    if q.type == SHORTANSWER and any("->" in a.text + a.feedback for a in q.answers):
        problems.append(f"{label}: a short answer or its feedback contains '->'")
    if q.type == SINGLE and any(
        a.fraction == 1.0 and a.text.strip().startswith("%") for a in q.answers
    ):
        problems.append(f"{label}: a right answer starts with '%'")
    if q.type == SINGLE and not any(a.fraction == 1.0 for a in q.answers):
        problems.append(f"{label}: a single-choice question needs an answer giving 100%")
    if q.type == NUMERICAL:
        numbers = [n for a in q.answers for n in (a.value, a.low, a.high, a.tolerance)]
        if not all(n is None or math.isfinite(n) for n in numbers):
            problems.append(f"{label}: a numerical answer is not a finite number")
    return problems


def _answer_lines(q: Question) -> list[str]:
    fmt = q.text_format
    lines = []
    if q.type in (SINGLE, MULTIPLE):
        for a in q.answers:
            text = _with_format(a.text, fmt)
            if q.type == SINGLE and a.fraction == 1.0:
                mark = "="
            elif a.fraction == 0.0 and not text.startswith("%"):
                mark = "~"
            else:
                mark = "~" + _percent(a.fraction)
            feedback = "#" + _with_format(a.feedback, fmt) if a.feedback.strip() else ""
            lines.append(f"\t{mark}{text}{feedback}")
    elif q.type == SHORTANSWER:
        for a in q.answers:
            text = _with_format(a.text, fmt)
            weight = "" if a.fraction == 1.0 and not text.startswith("%") else _percent(a.fraction)
            feedback = "#" + _with_format(a.feedback, fmt) if a.feedback.strip() else ""
            lines.append(f"\t={weight}{text}{feedback}")
    elif q.type == MATCHING:
        for pair in q.pairs:
            prompt = _with_format(pair.prompt, fmt)
            lines.append(f"\t={prompt} -> {_escape(pair.answer)}")
    elif q.type == NUMERICAL:
        for i, a in enumerate(q.answers):
            feedback = "#" + _with_format(a.feedback, fmt) if a.feedback.strip() else ""
            if is_catch_all(a):
                if i == len(q.answers) - 1 and a.fraction == 0.0:
                    lines.append(f"\t~{feedback}")
                    continue
                number = "*"
            elif a.low is not None and a.high is not None:
                number = f"{number_text(a.low)}..{number_text(a.high)}"
            else:
                number = number_text(a.value or 0.0)
                if a.tolerance:
                    number += ":" + number_text(a.tolerance)
            weight = "" if a.fraction == 1.0 else _percent(a.fraction)
            lines.append(f"\t={weight}{number}{feedback}")
    return lines


def _question_gift(q: Question) -> str:
    fmt = q.text_format
    out = []
    tags = [tag.strip() for tag in q.tags if tag.strip()]
    if tags:
        out.append("// " + " ".join(
            "[tag:" + tag.replace("\\", "\\\\").replace("]", "\\]") + "]" for tag in tags
        ))
    head = f"::{_escape(q.name)}::{_with_format(q.text, fmt, always=fmt != 'moodle')}"
    general = (
        "####" + _with_format(q.general_feedback, fmt) if q.general_feedback.strip() else ""
    )
    if q.type == ESSAY:
        out.append(f"{head}{{{general}}}")
    elif q.type == TRUEFALSE:
        right, wrong = q.feedback_true, q.feedback_false
        if not q.correct:
            right, wrong = wrong, right
        answer = "TRUE" if q.correct else "FALSE"
        if wrong.strip():
            answer += "#" + _with_format(wrong, fmt)
        elif right.strip():
            answer += "#"
        if right.strip():
            answer += "#" + _with_format(right, fmt)
        out.append(f"{head}{{{answer}{general}}}")
    else:
        out.append(head + ("{#" if q.type == NUMERICAL else "{"))
        out.extend(_answer_lines(q))
        if general:
            out.append("\t" + general)
        out.append("}")
    return "\n".join(out) + "\n"


def dump_gift(questions: Iterable[Question]) -> str:
    """Write questions as canonical GIFT; raise ExportProblems for what GIFT cannot hold."""
    questions = list(questions)
    problems = [
        FormatProblem(message)
        for number, q in enumerate(questions, 1)
        for message in _export_problems(number, q)
    ]
    if problems:
        raise ExportProblems(problems)
    blocks = []
    category = ""
    for q in questions:
        wanted = normalize_category(q.category)
        if wanted != category:
            blocks.append(f"$CATEGORY: {wanted}\n" if wanted else "$CATEGORY:\n")
            category = wanted
        blocks.append(_question_gift(q))
    return "\n".join(blocks)
