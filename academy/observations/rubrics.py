"""Observation rubrics as data: read ``rubrics.yaml``, and check a set of scores against one.

A rubric is a list of criteria (the standard reception steps and service rules), each
scored 1–5 with a descriptor per score and, optionally, the framework skill it is
evidence for. ``parse_rubrics`` collects every problem of the file as
``Problem(file, line, message)`` like the rest of the curriculum sync; ``check_scores``
and ``mean_score`` are what recording an observation needs.

Pure: no Flask, no database. Messages are English msgids marked with ``N_``; callers
translate them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from academy.catalog.activities import N_
from academy.catalog.package import (
    CODE_RE,
    SKILL_CODE_MAX,
    Problem,
    YDict,
    _Check,
    load_yaml,
)

RUBRIC_FILE = "rubrics.yaml"
SCORES = (1, 2, 3, 4, 5)
#: What was observed: a staged role-play, or a real reception at the counter.
KINDS = ("role_play", "counter_session")
CRITERION_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CRITERION_CODE_MAX = 32
MAX_CRITERIA = 40


@dataclass(frozen=True)
class CriterionSpec:
    """One thing the observer scores, with what each score 1–5 means."""

    code: str
    name: str
    description: str | None
    skill: str | None  # the framework skill this criterion is evidence for
    levels: dict[str, str]  # {"1": descriptor, ..., "5": ...}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "description": self.description,
                "skill": self.skill, "levels": dict(self.levels)}


@dataclass(frozen=True)
class RubricSpec:
    code: str
    title: str
    description: str | None
    kind: str | None  # the kind of observation it is meant for (the form's default)
    criteria: tuple[CriterionSpec, ...]
    position: int = 0
    line: int = field(default=0, compare=False)

    def criteria_dicts(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.criteria]

    @property
    def content_hash(self) -> str:
        """SHA-256 of everything stored, so an unchanged rubric is never rewritten."""
        data = {"title": self.title, "description": self.description, "kind": self.kind,
                "criteria": self.criteria_dicts(), "position": self.position}
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- rubrics.yaml


def parse_rubrics(data: bytes, file: str = RUBRIC_FILE,
                  known_skills: Collection[str] | None = None,
                  ) -> tuple[list[RubricSpec], list[Problem]]:
    """The rubrics of a ``rubrics.yaml``; a criterion's ``skill`` must be in ``known_skills``.

    With ``known_skills`` None skill codes are only checked for their form.
    """
    document, problems = load_yaml(data, file)
    rubrics: list[RubricSpec] = []
    if document is None and problems:
        return rubrics, problems
    check = _Check(file, problems)
    root = check.mapping(document, 1, RUBRIC_FILE)
    if root is None:
        return rubrics, problems
    check.keys(root, ("rubrics",), ())
    seen: dict[str, int] = {}
    for position, (item, line) in enumerate(check.items(root, "rubrics")):
        entry = check.mapping(item, line, "rubrics")
        if entry is None:
            continue
        check.keys(entry, ("code", "title", "criteria"), ("description", "kind"))
        code = check.slug(entry, "code")
        if code is not None and code in seen:
            check.add(entry.line_of("code"), N_("Duplicate rubric code %(code)s (first on "
                                                "line %(first)d)."), code=code,
                      first=seen[code])
            code = None
        if code is not None:
            seen[code] = entry.line_of("code")
        title = check.required_text(entry, "title", 200)
        description = check.text(entry, "description")
        kind, kind_ok = None, True
        if entry.get("kind") is not None:
            kind = check.choice(entry, "kind", KINDS)
            kind_ok = kind is not None
        criteria = _criteria(check, entry, known_skills)
        if None not in (code, title, criteria) and kind_ok:
            rubrics.append(RubricSpec(code, title, description, kind, tuple(criteria),
                                      position, line))
    return rubrics, problems


def _criteria(check: _Check, entry: YDict,
              known_skills: Collection[str] | None) -> list[CriterionSpec] | None:
    items = check.items(entry, "criteria")
    if "criteria" in entry and isinstance(entry.get("criteria"), list) and not items:
        check.add(entry.line_of("criteria"), N_("A rubric needs at least one criterion."))
        return None
    if len(items) > MAX_CRITERIA:
        check.add(entry.line_of("criteria"), N_("A rubric has at most %(n)d criteria."),
                  n=MAX_CRITERIA)
        return None
    before = len(check.problems)
    criteria: list[CriterionSpec] = []
    seen: dict[str, int] = {}
    for item, line in items:
        data = check.mapping(item, line, "criteria")
        if data is None:
            continue
        check.keys(data, ("code", "name", "levels"), ("description", "skill"))
        code = _criterion_code(check, data)
        if code is not None and code in seen:
            check.add(data.line_of("code"), N_("Duplicate criterion code %(code)s (first on "
                                               "line %(first)d)."), code=code,
                      first=seen[code])
            code = None
        if code is not None:
            seen[code] = data.line_of("code")
        name = check.required_text(data, "name", 120)
        description = check.text(data, "description", 1000)
        skill = _skill(check, data, known_skills)
        levels = _levels(check, data)
        if None not in (code, name, levels):
            criteria.append(CriterionSpec(code, name, description, skill, levels))
    return criteria if len(check.problems) == before and criteria else None


def _criterion_code(check: _Check, data: YDict) -> str | None:
    value = check.required_text(data, "code")
    if value is None:
        return None
    if not CRITERION_CODE_RE.fullmatch(value) or len(value) > CRITERION_CODE_MAX:
        check.add(data.line_of("code"), N_("Bad criterion code %(code)s: use a–z, 0–9 and "
                                           "'_', starting with a letter (at most %(n)d "
                                           "characters)."), code=value,
                  n=CRITERION_CODE_MAX)
        return None
    return value


def _skill(check: _Check, data: YDict, known_skills: Collection[str] | None) -> str | None:
    if data.get("skill") is None:
        return None
    value = check.text(data, "skill")
    if value is None:
        return None
    if not CODE_RE.fullmatch(value) or len(value) > SKILL_CODE_MAX or (
            known_skills is not None and value not in known_skills):
        check.add(data.line_of("skill"), N_("Unknown skill %(code)s."), code=value)
        return None
    return value


def _levels(check: _Check, data: YDict) -> dict[str, str] | None:
    raw = data.get("levels")
    if raw is None:
        return None
    if not isinstance(raw, YDict):
        check.add(data.line_of("levels"), N_("levels must map each score 1–5 to its "
                                             "descriptor."))
        return None
    levels: dict[str, str] = {}
    ok = True
    for key in raw:
        score = _score_key(key)
        if score is None:
            check.add(raw.key_lines.get(key, raw.line),
                      N_("Bad score %(score)s: scores are 1 to 5."), score=str(key))
            ok = False
            continue
        text = check.text(raw, key, 500)
        if text is None:
            check.add(raw.line_of(key), N_("Describe score %(score)d."), score=score)
            ok = False
            continue
        levels[str(score)] = text
    missing = [str(score) for score in SCORES if str(score) not in levels]
    if ok and missing:
        check.add(raw.line, N_("Describe every score 1–5 (missing: %(scores)s)."),
                  scores=", ".join(missing))
        ok = False
    return levels if ok else None


def _score_key(key: Any) -> int | None:
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key)
    if isinstance(key, bool) or key not in SCORES:
        return None
    return int(key)


# ---------------------------------------------------------------- scores


MISSING = "missing"  # a criterion neither scored nor marked not observed
OUT_OF_RANGE = "out_of_range"  # not a whole number 1–5
UNKNOWN = "unknown"  # a code the rubric does not have
NOTHING_SCORED = "nothing_scored"  # every criterion marked not observed


@dataclass(frozen=True)
class ScoreProblem:
    """What is wrong with a set of scores; ``criterion`` is "" for the set as a whole."""

    criterion: str
    kind: str


def check_scores(criteria: Sequence[Mapping[str, Any]], scores: Mapping[str, Any],
                 ) -> tuple[dict[str, int | None], list[ScoreProblem]]:
    """Every criterion scored 1–5, or None for "not observed"; at least one scored.

    Returns the scores in the rubric's order (None for not observed) and the problems.
    """
    problems: list[ScoreProblem] = []
    clean: dict[str, int | None] = {}
    codes = [c["code"] for c in criteria]
    for code in codes:
        if code not in scores:
            problems.append(ScoreProblem(code, MISSING))
            continue
        value = scores[code]
        if value is None:
            clean[code] = None
        elif isinstance(value, bool) or not isinstance(value, int) or value not in SCORES:
            problems.append(ScoreProblem(code, OUT_OF_RANGE))
        else:
            clean[code] = value
    for code in scores:
        if code not in codes:
            problems.append(ScoreProblem(str(code), UNKNOWN))
    if not problems and all(value is None for value in clean.values()):
        problems.append(ScoreProblem("", NOTHING_SCORED))
    return clean, problems


def mean_score(scores: Mapping[str, int | None]) -> float | None:
    """The mean of the criteria scored (not observed ones left out), to two decimals."""
    values = [value for value in scores.values() if value is not None]
    return round(sum(values) / len(values), 2) if values else None


def skill_means(criteria: Sequence[Mapping[str, Any]],
                scores: Mapping[str, int | None]) -> dict[str, float]:
    """The mean score per skill over the criteria that name one and were scored."""
    by_skill: dict[str, list[int]] = {}
    for criterion in criteria:
        value = scores.get(criterion["code"])
        if criterion.get("skill") and value is not None:
            by_skill.setdefault(criterion["skill"], []).append(value)
    return {skill: round(sum(values) / len(values), 2) for skill, values in by_skill.items()}
