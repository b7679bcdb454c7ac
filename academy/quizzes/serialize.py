"""A :class:`~academy.quizzes.spec.Question` to and from JSON-ready plain data. Pure."""

from __future__ import annotations

import dataclasses
from typing import Any

from academy.quizzes.spec import Answer, Pair, Question

_FIELDS = {f.name for f in dataclasses.fields(Question)} - {"source_line"}
_ANSWER_FIELDS = {f.name for f in dataclasses.fields(Answer)}
_PAIR_FIELDS = {f.name for f in dataclasses.fields(Pair)}


def to_dict(question: Question) -> dict[str, Any]:
    """The question as a JSON-ready dict (without where it was read from)."""
    data = dataclasses.asdict(question)
    data.pop("source_line", None)
    return data


def from_dict(data: dict[str, Any]) -> Question:
    """The question a :func:`to_dict` dict describes; unknown keys are ignored."""
    values = {key: value for key, value in data.items() if key in _FIELDS}
    values["answers"] = [Answer(**{k: v for k, v in answer.items() if k in _ANSWER_FIELDS})
                         for answer in values.get("answers") or []]
    values["pairs"] = [Pair(**{k: v for k, v in pair.items() if k in _PAIR_FIELDS})
                       for pair in values.get("pairs") or []]
    values["tags"] = list(values.get("tags") or [])
    values["steps"] = list(values.get("steps") or [])
    values["rubric"] = [dict(item) for item in values.get("rubric") or []]
    values.setdefault("type", "")
    values.setdefault("text", "")
    return Question(**values)
