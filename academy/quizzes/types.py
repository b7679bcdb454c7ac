"""The question types: a registry with one class per type (like CTFd's CHALLENGE_CLASSES).

Each class knows, for one ``Question.type``:

- ``validate(question)`` — authoring problems, as messages (empty: fine);
- ``present(question, rng)`` — what the trainee sees, JSON-able, options shuffled with the
  given ``random.Random``; never any fraction, feedback or "correct" flag;
- ``normalise_response(question, presented, raw)`` — a client's response checked strictly
  against what was presented, or ``ResponseError``;
- ``grade(question, presented, response)`` — a ``Grade``;
- ``right_response(question, presented)`` — the response that earns full marks (review,
  tests);
- ``template`` — the template that renders it.

``None`` is "not answered" for every type: it is a valid response and grades 0.

Option ids are a hash of the option's text and of how many options before it have the
same text, so they say nothing about which option is right nor where it was authored —
the trainee could compute them from the text they already see.

Adding a type is one class here with ``@register`` plus its template, nothing else.
Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from academy.quizzes import spec
from academy.quizzes.grading import (
    clamp_fraction,
    normalise_text,
    parse_number,
    to_decimal,
    within_range,
    within_tolerance,
)
from academy.quizzes.rubrics import Rubric, grade_with_rubric, parse_rubric, rubric_problems
from academy.quizzes.spec import Answer, Question

MAX_SHORT_ANSWER_CHARS = 500
MAX_ESSAY_CHARS = 20_000
# Multiple-response fractions may be written as 33.333% × 3: this much off 100% is fine.
FRACTION_SUM_SLACK = Decimal("0.01")


class ResponseError(ValueError):
    """A response that does not fit the question as presented (bad shape, unknown id…)."""


class UnknownQuestionType(LookupError):
    """No class is registered for this ``Question.type``."""


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one response.

    ``fraction`` is clamped to 0…1 (a negative total counts as 0); ``feedback`` holds the
    feedback of what was chosen; ``needs_manual`` marks an essay waiting for its grader;
    ``right_answer`` describes the correct answer for the review.
    """

    fraction: float
    feedback: list[str] = field(default_factory=list)
    general_feedback: str = ""
    needs_manual: bool = False
    right_answer: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fraction", clamp_fraction(self.fraction))

    @property
    def state(self) -> str:
        """``pending``, ``correct``, ``partial`` or ``incorrect``, for the review."""
        if self.needs_manual:
            return "pending"
        if self.fraction >= 1:
            return "correct"
        return "partial" if self.fraction > 0 else "incorrect"


QUESTION_TYPES: dict[str, type[QuestionType]] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: add a question type to ``QUESTION_TYPES`` under its ``key``."""
    if not cls.key:
        raise ValueError(f"{cls.__name__} has no key")
    if cls.key in QUESTION_TYPES:
        raise ValueError(f"question type {cls.key!r} is registered twice")
    QUESTION_TYPES[cls.key] = cls
    return cls


def get_type(key: str) -> type[QuestionType]:
    """The class for a question type key, or ``UnknownQuestionType``."""
    try:
        return QUESTION_TYPES[key]
    except (KeyError, TypeError):
        raise UnknownQuestionType(f"unknown question type {key!r}") from None


def validate_question(question: Question) -> list[str]:
    """Authoring problems of any question, including an unknown type."""
    try:
        cls = get_type(question.type)
    except UnknownQuestionType as exc:
        return [str(exc)]
    return cls.validate(question)


# --- helpers ----------------------------------------------------------------------------


def option_ids(texts: Sequence[str], prefix: str = "o") -> list[str]:
    """Stable, unique ids for option texts that reveal nothing but the text itself."""
    ids: list[str] = []
    seen_texts: dict[str, int] = {}
    taken: set[str] = set()
    for text in texts:
        occurrence = seen_texts.get(text, 0)
        seen_texts[text] = occurrence + 1
        digest = hashlib.sha256(f"{text}\x00{occurrence}".encode()).hexdigest()
        length = 10
        candidate = prefix + digest[:length]
        while candidate in taken:  # a 40-bit collision: practically never, but stay unique
            length += 2
            candidate = prefix + digest[:length]
        taken.add(candidate)
        ids.append(candidate)
    return ids


def _shuffled(items: list, rng: random.Random, shuffle: bool) -> list:
    items = list(items)
    if shuffle:
        rng.shuffle(items)
    return items


def _presented_ids(presented: dict, key: str) -> list[str]:
    entries = presented.get(key) or []
    return [entry["id"] for entry in entries]


def _fraction_problems(answers: Sequence[Answer]) -> list[str]:
    problems = []
    for number, answer in enumerate(answers, start=1):
        fraction = answer.fraction
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            problems.append(f"answer {number}: the fraction must be a number")
        elif not -1 <= fraction <= 1:
            problems.append(f"answer {number}: the fraction must be between -100% and 100%")
    return problems


def _text_or_none(raw: Any, limit: int) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ResponseError("the answer must be text")
    if len(raw) > limit:
        raise ResponseError(f"the answer is longer than {limit} characters")
    if "\x00" in raw:
        raise ResponseError("the answer contains a NUL character")
    return raw if raw.strip() else None


def _full_marks(fraction: float) -> bool:
    return isinstance(fraction, int | float) and not isinstance(fraction, bool) and fraction >= 1


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    number = to_decimal(value)
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


# --- the types --------------------------------------------------------------------------


class QuestionType:
    """The behaviour every question type provides; see the module docstring."""

    key: ClassVar[str] = ""
    template: ClassVar[str] = ""

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        """Authoring problems common to every type; subclasses add their own."""
        problems = []
        if question.type != cls.key:
            problems.append(f"the question is of type {question.type!r}, not {cls.key!r}")
        if not isinstance(question.text, str) or not question.text.strip():
            problems.append("the question has no text")
        mark = question.default_mark
        if isinstance(mark, bool) or not isinstance(mark, int | float) or not mark > 0:
            problems.append("the default mark must be a number above 0")
        return problems

    @classmethod
    def _base_presentation(cls, question: Question) -> dict:
        return {"type": cls.key, "text": question.text, "text_format": question.text_format}

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        """What the trainee sees (JSON-able)."""
        return cls._base_presentation(question)

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> Any:
        """The response checked against ``presented``, or ``ResponseError``."""
        raise NotImplementedError

    @classmethod
    def grade(cls, question: Question, presented: dict, response: Any) -> Grade:
        """Grade a response already passed through ``normalise_response``."""
        raise NotImplementedError

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> Any:
        """A response that earns full marks (``None`` when there is none, as for essays)."""
        raise NotImplementedError

    @classmethod
    def right_answer(cls, question: Question) -> str:
        """The correct answer, described for the review."""
        raise NotImplementedError


class _ChoiceType(QuestionType):
    """Options with fractions and feedback: shared by single and multiple choice."""

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question)
        if len(question.answers) < 2:
            problems.append("a choice question needs at least 2 options")
        if any(not isinstance(a.text, str) or not a.text.strip() for a in question.answers):
            problems.append("every option needs a text")
        texts = [a.text.strip() for a in question.answers if isinstance(a.text, str)]
        if len(set(texts)) != len(texts):
            problems.append("two options have the same text")
        return problems + _fraction_problems(question.answers)

    @classmethod
    def _options(cls, question: Question) -> dict[str, Answer]:
        ids = option_ids([answer.text for answer in question.answers])
        return dict(zip(ids, question.answers, strict=True))

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        options = [{"id": oid, "text": answer.text}
                   for oid, answer in cls._options(question).items()]
        return {**cls._base_presentation(question), "options": _shuffled(options, rng, shuffle)}


@register
class SingleChoice(_ChoiceType):
    """One option to pick; exactly one earns 100% (others may earn partial or negative)."""

    key = spec.SINGLE
    template = "quizzes/types/single.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question)
        full = [a for a in question.answers if _full_marks(a.fraction)]
        if len(full) != 1:
            problems.append(f"a single-choice question needs exactly one 100% option, "
                            f"not {len(full)}")
        return problems

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise ResponseError("choose one option id")
        if raw not in _presented_ids(presented, "options"):
            raise ResponseError("unknown option")
        return raw

    @classmethod
    def grade(cls, question: Question, presented: dict, response: str | None) -> Grade:
        answer = cls._options(question).get(response) if response is not None else None
        return Grade(
            fraction=answer.fraction if answer else 0.0,
            feedback=[answer.feedback] if answer and answer.feedback else [],
            general_feedback=question.general_feedback,
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> str | None:
        best = max(cls._options(question).items(), key=lambda item: item[1].fraction,
                   default=None)
        return best[0] if best else None

    @classmethod
    def right_answer(cls, question: Question) -> str:
        best = max(question.answers, key=lambda answer: answer.fraction, default=None)
        return best.text if best else ""


@register
class MultipleResponse(_ChoiceType):
    """Any number of options; each chosen option adds its fraction (wrong ones may subtract).

    The total is divided by the sum of the positive fractions (so 33.333% × 3 earns full
    marks) and a negative total counts as 0.
    """

    key = spec.MULTIPLE
    template = "quizzes/types/multiple.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question)
        if _fraction_problems(question.answers):
            return problems
        positive = sum((to_decimal(a.fraction) for a in question.answers if a.fraction > 0),
                       Decimal(0))
        if abs(positive - 1) > FRACTION_SUM_SLACK:
            problems.append(f"the positive fractions must add up to 100%, not "
                            f"{_fmt(float(positive * 100))}%")
        return problems

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> list | None:
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise ResponseError("choose a list of option ids")
        shown = _presented_ids(presented, "options")
        if any(item not in shown for item in raw):
            raise ResponseError("unknown option")
        if len(set(raw)) != len(raw):
            raise ResponseError("an option is chosen twice")
        return [oid for oid in shown if oid in raw]

    @classmethod
    def grade(cls, question: Question, presented: dict, response: list | None) -> Grade:
        options = cls._options(question)
        chosen = [options[oid] for oid in response or [] if oid in options]
        positive = sum((to_decimal(a.fraction) for a in question.answers if a.fraction > 0),
                       Decimal(0))
        total = sum((to_decimal(a.fraction) for a in chosen), Decimal(0))
        return Grade(
            fraction=total / positive if positive > 0 else 0,
            feedback=[answer.feedback for answer in chosen if answer.feedback],
            general_feedback=question.general_feedback,
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> list:
        options = cls._options(question)
        return [oid for oid in _presented_ids(presented, "options")
                if oid in options and options[oid].fraction > 0]

    @classmethod
    def right_answer(cls, question: Question) -> str:
        return "\n".join(a.text for a in question.answers if a.fraction > 0)


@register
class TrueFalse(QuestionType):
    """A statement that is true or false; the response is ``True``/``False``."""

    key = spec.TRUEFALSE
    template = "quizzes/types/truefalse.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question)
        if not isinstance(question.correct, bool):
            problems.append("a true/false question must say whether the statement is true")
        return problems

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        # Always true then false: shuffling the two would only confuse.
        return {**cls._base_presentation(question),
                "options": [{"id": "true", "text": "True"}, {"id": "false", "text": "False"}]}

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> bool | None:
        if raw is None or isinstance(raw, bool):
            return raw
        if raw in ("true", "false"):
            return raw == "true"
        raise ResponseError("answer true or false")

    @classmethod
    def grade(cls, question: Question, presented: dict, response: bool | None) -> Grade:
        if response is None:
            feedback = ""
        else:
            feedback = question.feedback_true if response else question.feedback_false
        right = response is not None and response == question.correct
        return Grade(
            fraction=1.0 if right else 0.0,
            feedback=[feedback] if feedback else [],
            general_feedback=question.general_feedback,
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> bool | None:
        return question.correct

    @classmethod
    def right_answer(cls, question: Question) -> str:
        return {True: "True", False: "False"}.get(question.correct, "")


@register
class ShortAnswer(QuestionType):
    """Typed text compared with the accepted answers after ``normalise_text`` (width,
    spaces, case). ``*`` in an accepted answer matches any text, as in Moodle; the best
    matching answer counts.
    """

    key = spec.SHORTANSWER
    template = "quizzes/types/shortanswer.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question) + _fraction_problems(question.answers)
        if not any(_full_marks(a.fraction) for a in question.answers):
            problems.append("a short-answer question needs an accepted answer worth 100%")
        if any(not isinstance(a.text, str) or not normalise_text(a.text)
               for a in question.answers):
            problems.append("every accepted answer needs a text")
        return problems

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        return {**cls._base_presentation(question), "max_length": MAX_SHORT_ANSWER_CHARS}

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> str | None:
        text = _text_or_none(raw, MAX_SHORT_ANSWER_CHARS)
        return text.strip() if text is not None else None

    @staticmethod
    def matches(accepted: str, response: str) -> bool:
        """Whether a response matches an accepted answer (both normalised; ``*`` = anything)."""
        pattern = normalise_text(accepted)
        typed = normalise_text(response)
        if "*" not in pattern:
            return typed == pattern
        pieces = pattern.split("*")
        if not typed.startswith(pieces[0]) or not typed.endswith(pieces[-1]):
            return False
        if len(pieces[0]) + len(pieces[-1]) > len(typed):
            return False
        position = len(pieces[0])
        end = len(typed) - len(pieces[-1])
        for piece in pieces[1:-1]:
            found = typed.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    @classmethod
    def _best_match(cls, question: Question, response: str | None) -> Answer | None:
        if response is None:
            return None
        matching = [a for a in question.answers if cls.matches(a.text, response)]
        return max(matching, key=lambda answer: answer.fraction, default=None)

    @classmethod
    def grade(cls, question: Question, presented: dict, response: str | None) -> Grade:
        answer = cls._best_match(question, response)
        return Grade(
            fraction=answer.fraction if answer else 0.0,
            feedback=[answer.feedback] if answer and answer.feedback else [],
            general_feedback=question.general_feedback,
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> str | None:
        best = max(question.answers, key=lambda answer: answer.fraction, default=None)
        # Any letter stands in for a wildcard ("首问*制" → "首问x制").
        return best.text.replace("*", "x") if best else None

    @classmethod
    def right_answer(cls, question: Question) -> str:
        return "\n".join(a.text for a in question.answers if _full_marks(a.fraction))


def _numeric_kind(answer: Answer) -> str | None:
    """``value``, ``range``, ``any`` (Moodle XML's ``*`` catch-all) or None (unusable)."""
    if answer.low is not None and answer.high is not None:
        return "range"
    if answer.value is not None:
        return "value"
    if answer.text.strip() == "*":
        return "any"
    return None


@register
class Numerical(QuestionType):
    """A number: right when within ``value ± tolerance`` (absolute) or ``low…high``
    (inclusive). Several answers give partial credit (30 → 100%, 28…32 → 50%); the best
    matching one counts. Compared in ``Decimal``: 0.1 + 0.2 is 0.3 here.
    """

    key = spec.NUMERICAL
    template = "quizzes/types/numerical.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question) + _fraction_problems(question.answers)
        if not question.answers:
            problems.append("a numerical question needs an answer")
        for number, answer in enumerate(question.answers, start=1):
            kind = _numeric_kind(answer)
            if kind is None:
                problems.append(f"answer {number}: needs a value or a range")
                continue
            numbers = [answer.value, answer.tolerance] if kind == "value" else (
                [answer.low, answer.high] if kind == "range" else [])
            for item in numbers:
                try:
                    parse_number(item)
                except ValueError:
                    problems.append(f"answer {number}: {item!r} is not a usable number")
                    break
            else:
                if kind == "range" and answer.low > answer.high:
                    problems.append(f"answer {number}: the range runs from high to low")
                if kind == "value" and answer.tolerance < 0:
                    problems.append(f"answer {number}: the tolerance is negative")
        if not any(_full_marks(a.fraction) and _numeric_kind(a) in ("value", "range")
                   for a in question.answers):
            problems.append("a numerical question needs an answer worth 100%")
        return problems

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        return {**cls._base_presentation(question)}

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> str | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            number = parse_number(raw)
        except ValueError as exc:
            raise ResponseError(f"enter a number ({exc})") from None
        # Stored as text so that no float ever rounds it.
        return format(number, "f")

    @staticmethod
    def accepts(answer: Answer, number: Decimal) -> bool:
        """Whether one numeric answer accepts a number."""
        kind = _numeric_kind(answer)
        try:
            if kind == "range":
                return within_range(number, parse_number(answer.low), parse_number(answer.high))
            if kind == "value":
                return within_tolerance(number, parse_number(answer.value),
                                        parse_number(answer.tolerance or 0))
        except ValueError:
            return False
        return kind == "any"

    @classmethod
    def grade(cls, question: Question, presented: dict, response: str | None) -> Grade:
        answer = None
        if response is not None:
            number = parse_number(response)
            matching = [a for a in question.answers if cls.accepts(a, number)]
            answer = max(matching, key=lambda a: a.fraction, default=None)
        return Grade(
            fraction=answer.fraction if answer else 0.0,
            feedback=[answer.feedback] if answer and answer.feedback else [],
            general_feedback=question.general_feedback,
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def _best(cls, question: Question) -> Answer | None:
        usable = [a for a in question.answers if _numeric_kind(a) in ("value", "range")]
        return max(usable, key=lambda a: a.fraction, default=None)

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> str | None:
        best = cls._best(question)
        if best is None:
            return None
        if _numeric_kind(best) == "range":
            return _fmt(best.low)
        return _fmt(best.value)

    @classmethod
    def right_answer(cls, question: Question) -> str:
        best = cls._best(question)
        if best is None:
            return ""
        if _numeric_kind(best) == "range":
            return f"{_fmt(best.low)} – {_fmt(best.high)}"
        if best.tolerance:
            return f"{_fmt(best.value)} ± {_fmt(best.tolerance)}"
        return _fmt(best.value)


@register
class Matching(QuestionType):
    """Match each prompt with an answer. Answers are shuffled (distractors — pairs without
    a prompt — among them, repeated answers shown once); partial credit is the share of
    prompts matched correctly.
    """

    key = spec.MATCHING
    template = "quizzes/types/matching.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question)
        real = [p for p in question.pairs if p.prompt.strip()]
        if len(real) < 2:
            problems.append("a matching question needs at least 2 pairs")
        if any(not p.answer.strip() for p in question.pairs):
            problems.append("every pair needs an answer")
        prompts = [p.prompt.strip() for p in real]
        if len(set(prompts)) != len(prompts):
            problems.append("two pairs have the same prompt")
        return problems

    @classmethod
    def _prompts(cls, question: Question) -> dict[str, str]:
        """Prompt id → the answer text that belongs to it."""
        real = [p for p in question.pairs if p.prompt.strip()]
        ids = option_ids([p.prompt for p in real], prefix="p")
        return {pid: pair.answer for pid, pair in zip(ids, real, strict=True)}

    @classmethod
    def _choices(cls, question: Question) -> dict[str, str]:
        """Choice id → answer text, each distinct answer text once."""
        texts = list(dict.fromkeys(p.answer for p in question.pairs))
        return dict(zip(option_ids(texts, prefix="c"), texts, strict=True))

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        real = [p for p in question.pairs if p.prompt.strip()]
        prompts = [{"id": pid, "text": pair.prompt}
                   for pid, pair in zip(cls._prompts(question), real, strict=True)]
        choices = [{"id": cid, "text": text} for cid, text in cls._choices(question).items()]
        return {**cls._base_presentation(question), "prompts": prompts,
                "choices": _shuffled(choices, rng, shuffle)}

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> dict | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise ResponseError("match prompts to choices: an object of prompt id → choice id")
        prompts = _presented_ids(presented, "prompts")
        choices = _presented_ids(presented, "choices")
        response = {}
        for prompt_id, choice_id in raw.items():
            if prompt_id not in prompts:
                raise ResponseError("unknown prompt")
            if choice_id is None:
                continue
            if not isinstance(choice_id, str) or choice_id not in choices:
                raise ResponseError("unknown choice")
            response[prompt_id] = choice_id
        return {pid: response[pid] for pid in prompts if pid in response}

    @classmethod
    def grade(cls, question: Question, presented: dict, response: dict | None) -> Grade:
        prompts = cls._prompts(question)
        choices = cls._choices(question)
        response = response or {}
        right = sum(1 for pid, answer in prompts.items()
                    if pid in response and choices.get(response[pid]) == answer)
        return Grade(
            fraction=Decimal(right) / len(prompts) if prompts else 0,
            general_feedback=question.general_feedback,
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> dict:
        by_text = {text: cid for cid, text in cls._choices(question).items()}
        return {pid: by_text[answer] for pid, answer in cls._prompts(question).items()}

    @classmethod
    def right_answer(cls, question: Question) -> str:
        return "\n".join(f"{p.prompt} → {p.answer}" for p in question.pairs if p.prompt.strip())


@register
class Ordering(QuestionType):
    """Put the steps of a procedure in order; the response lists every step id once.

    Partial credit by position: the share of positions holding the step that belongs
    there (steps with the same text are interchangeable). One swap of two steps in a
    five-step procedure earns 3/5.
    """

    key = spec.ORDERING
    template = "quizzes/types/ordering.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        problems = super().validate(question)
        steps = [s.strip() for s in question.steps if isinstance(s, str)]
        if len(steps) != len(question.steps) or not all(steps):
            problems.append("every step needs a text")
        if len(set(steps)) < 2:
            problems.append("an ordering question needs at least 2 distinct steps")
        return problems

    @classmethod
    def _steps(cls, question: Question) -> dict[str, str]:
        return dict(zip(option_ids(question.steps, prefix="s"), question.steps, strict=True))

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        steps = [{"id": sid, "text": text} for sid, text in cls._steps(question).items()]
        shown = _shuffled(steps, rng, shuffle)
        if shuffle and [s["text"] for s in shown] == list(question.steps):
            # Never hand out the answer: rotating by one changes any order that has two
            # distinct steps.
            shown = shown[1:] + shown[:1]
        return {**cls._base_presentation(question), "steps": shown}

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> list | None:
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise ResponseError("give the step ids in order")
        shown = _presented_ids(presented, "steps")
        if any(item not in shown for item in raw):
            raise ResponseError("unknown step")
        if len(set(raw)) != len(raw) or len(raw) != len(shown):
            raise ResponseError("list every step exactly once")
        return list(raw)

    @classmethod
    def grade(cls, question: Question, presented: dict, response: list | None) -> Grade:
        steps = cls._steps(question)
        placed = [steps.get(sid) for sid in response or []]
        right = sum(1 for position, text in enumerate(question.steps)
                    if position < len(placed) and placed[position] == text)
        return Grade(
            fraction=Decimal(right) / len(question.steps) if question.steps else 0,
            general_feedback=question.general_feedback,
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> list:
        return list(cls._steps(question))

    @classmethod
    def right_answer(cls, question: Question) -> str:
        return "\n".join(f"{n}. {step}" for n, step in enumerate(question.steps, start=1))


@register
class Essay(QuestionType):
    """Free text graded by an instructor, with the question's rubric when it has one.

    ``grade`` marks a written essay ``needs_manual`` (fraction 0 until graded); a blank
    essay needs no grader and earns 0. ``grade_manually`` turns the grader's rubric scores
    (or, without a rubric, a fraction) into the final ``Grade``.
    """

    key = spec.ESSAY
    template = "quizzes/types/essay.html"

    @classmethod
    def validate(cls, question: Question) -> list[str]:
        return super().validate(question) + [
            f"rubric: {problem}" for problem in rubric_problems(question.rubric)]

    @classmethod
    def present(cls, question: Question, rng: random.Random, *, shuffle: bool = True) -> dict:
        # The criteria (not their points) are shown so trainees know what is looked for.
        criteria = [criterion.name for criterion in _usable_rubric(question).criteria]
        return {**cls._base_presentation(question), "max_length": MAX_ESSAY_CHARS,
                "criteria": criteria}

    @classmethod
    def normalise_response(cls, question: Question, presented: dict, raw: Any) -> str | None:
        return _text_or_none(raw, MAX_ESSAY_CHARS)

    @classmethod
    def grade(cls, question: Question, presented: dict, response: str | None) -> Grade:
        return Grade(
            fraction=0.0,
            general_feedback=question.general_feedback,
            needs_manual=response is not None and bool(response.strip()),
            right_answer=cls.right_answer(question),
        )

    @classmethod
    def grade_manually(cls, question: Question, *, scores: dict | None = None,
                       fraction: float | None = None, feedback: str = "") -> Grade:
        """The grader's verdict: rubric ``scores`` when the question has a rubric, else a
        ``fraction``. Raises ``RubricError``/``ValueError`` on scores that do not fit."""
        rubric = parse_rubric(question.rubric)
        if rubric.criteria:
            if scores is None:
                raise ValueError("score every criterion of the rubric")
            earned = grade_with_rubric(rubric, scores)
        else:
            if isinstance(fraction, bool) or not isinstance(fraction, int | float) \
                    or not 0 <= fraction <= 1:
                raise ValueError("give a fraction between 0 and 1")
            earned = fraction
        return Grade(fraction=earned, feedback=[feedback] if feedback else [],
                     general_feedback=question.general_feedback,
                     right_answer=cls.right_answer(question))

    @classmethod
    def right_response(cls, question: Question, presented: dict) -> None:
        return None

    @classmethod
    def right_answer(cls, question: Question) -> str:
        return "\n".join(f"{criterion.name} ({criterion.max_points})"
                         for criterion in _usable_rubric(question).criteria)


def _usable_rubric(question: Question) -> Rubric:
    """The question's rubric, or an empty one when it is broken (``validate`` says why)."""
    return Rubric(()) if rubric_problems(question.rubric) else parse_rubric(question.rubric)
