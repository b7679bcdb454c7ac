"""A quiz's settings: what it draws, its clock, its attempts, its pass mark and its review.

A course package carries a quiz as a YAML file (``quizzes/<name>.yaml``, see
courses/README.md, "Quizzes"); :func:`parse_quiz` checks one such document and returns a
:class:`QuizSettings` (plain data, stored as JSON by :meth:`QuizSettings.as_dict`) or the
problems, each naming its line. The same checks serve the browser's settings form.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from academy.catalog.package import SLUG_MAX, SLUG_RE, YDict, _Check
from academy.quizzes.formats import normalize_category
from academy.quizzes.spec import QUESTION_TYPES

GRADING_METHODS = ("highest", "last", "average")
REVIEW_LEVELS = ("score", "answers", "feedback")
REVIEW_AFTER = ("submit", "close")
WHEN_TIME_EXPIRES = ("submit", "abandon")
MAX_DRAW = 100
MAX_TIME_LIMIT = 600  # minutes
MAX_ATTEMPTS = 100
MAX_DELAY = 60 * 24 * 30  # minutes


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (the caller does, later)."""
    return message


@dataclass(frozen=True)
class DrawRule:
    """Draw ``count`` questions from a category (its subcategories included) having all
    ``tags``; no category means the whole bank."""

    count: int
    category: str | None = None
    tags: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # question types to draw (none: any)

    def matches(self, category: str, tags: tuple[str, ...] | list[str],
                kind: str | None = None) -> bool:
        if self.category and category != self.category and \
                not category.startswith(self.category + "/"):
            return False
        if self.types and kind not in self.types:
            return False
        return all(tag in tags for tag in self.tags)

    def describe(self) -> str:
        parts = [self.category or "*"]
        parts += [f"#{tag}" for tag in self.tags]
        if self.types:
            parts.append("(" + ", ".join(self.types) + ")")
        return " ".join(parts)


@dataclass(frozen=True)
class QuizSettings:
    """Everything a quiz decides, as authored."""

    slug: str
    title: str
    draw: tuple[DrawRule, ...]
    intro: str | None = None
    time_limit: int | None = None          # minutes; None: untimed
    open_at: datetime | None = None
    close_at: datetime | None = None
    max_attempts: int | None = None        # None: unlimited
    delay: int = 0                         # minutes between attempts
    pass_mark: float = 60.0                # percent of the maximum
    grading: str = "highest"
    shuffle: bool = True
    review: str = "feedback"               # score < answers < feedback
    review_after: str = "submit"
    when_time_expires: str = "submit"      # submit what was saved, or abandon the attempt

    @property
    def question_count(self) -> int:
        return sum(rule.count for rule in self.draw)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["draw"] = [{key: (list(value) if isinstance(value, tuple) else value)
                         for key, value in asdict(rule).items()
                         if value not in (None, ())} for rule in self.draw]
        for key in ("open_at", "close_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuizSettings:
        values = dict(data)
        values["draw"] = tuple(DrawRule(count=int(rule["count"]),
                                        category=rule.get("category"),
                                        tags=tuple(rule.get("tags") or ()),
                                        types=tuple(rule.get("types") or ()))
                               for rule in data.get("draw") or [])
        for key in ("open_at", "close_at"):
            values[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})


REQUIRED_KEYS = ("slug", "title", "draw")
OPTIONAL_KEYS = ("intro", "time_limit", "open", "close", "max_attempts", "delay", "pass_mark",
                 "grading", "shuffle", "review", "review_after", "when_time_expires")


def parse_quiz(document: Any, check: _Check) -> QuizSettings | None:
    """Check a quiz file's YAML document; problems go to ``check`` (None if any)."""
    before = len(check.problems)
    root = check.mapping(document, 1, "quiz")
    if root is None:
        return None
    check.keys(root, REQUIRED_KEYS, OPTIONAL_KEYS)
    slug = check.required_text(root, "slug")
    if slug is not None and (not SLUG_RE.fullmatch(slug) or len(slug) > SLUG_MAX):
        check.add(root.line_of("slug"), N_("Bad slug %(slug)s: use a–z, 0–9 and '-' (at most "
                                           "%(n)d characters)."), slug=slug, n=SLUG_MAX)
    title = check.required_text(root, "title", 200)
    intro = check.text(root, "intro", 2000)
    draw = _draw(root, check)
    values: dict[str, Any] = {}
    for key, low, high in (("time_limit", 1, MAX_TIME_LIMIT), ("max_attempts", 1, MAX_ATTEMPTS),
                           ("delay", 0, MAX_DELAY)):
        if root.get(key) is not None:
            values[key] = check.integer(root, key, low, high)
    if "pass_mark" in root:
        mark = root.get("pass_mark")
        if isinstance(mark, bool) or not isinstance(mark, int | float) or not 0 <= mark <= 100:
            check.add(root.line_of("pass_mark"), N_("pass_mark must be a percentage from 0 to "
                                                    "100."))
        else:
            values["pass_mark"] = float(mark)
    for key, choices in (("grading", GRADING_METHODS), ("review", REVIEW_LEVELS),
                         ("review_after", REVIEW_AFTER),
                         ("when_time_expires", WHEN_TIME_EXPIRES)):
        if key in root:
            values[key] = check.choice(root, key, choices)
    if "shuffle" in root:
        if not isinstance(root["shuffle"], bool):
            check.add(root.line_of("shuffle"), N_("shuffle must be true or false."))
        else:
            values["shuffle"] = root["shuffle"]
    for key, target in (("open", "open_at"), ("close", "close_at")):
        if root.get(key) is not None:
            values[target] = _moment(root, key, check)
    open_at, close_at = values.get("open_at"), values.get("close_at")
    if open_at and close_at and close_at <= open_at:
        check.add(root.line_of("close"), N_("close must come after open."))
    if values.get("review_after") == "close" and "close" not in root:
        check.add(root.line_of("review_after"), N_("review_after: close needs a close date."))
    if len(check.problems) > before or None in (slug, title, draw):
        return None
    return QuizSettings(slug=slug, title=title, intro=intro, draw=draw,
                        **{key: value for key, value in values.items() if value is not None})


def _draw(root: YDict, check: _Check) -> tuple[DrawRule, ...] | None:
    items = check.items(root, "draw")
    if "draw" in root and not items:
        check.add(root.line_of("draw"), N_("draw needs at least one rule, e.g. "
                                           "{category: 参保登记, count: 5}."))
        return None
    rules = []
    ok = True
    for item, line in items:
        entry = check.mapping(item, line, "draw")
        if entry is None:
            ok = False
            continue
        before = len(check.problems)
        check.keys(entry, ("count",), ("category", "tags", "types"))
        count = check.integer(entry, "count", 1, MAX_DRAW) if "count" in entry else None
        category = check.text(entry, "category", 255)
        tags = _words(entry, "tags")
        if tags is None:
            check.add(entry.line_of("tags"), N_("tags must be a list of words."))
        types = _words(entry, "types", strip=False)
        if types is None or (entry.get("types") is not None and not types) \
                or any(kind not in QUESTION_TYPES for kind in types):
            check.add(entry.line_of("types"), N_("types must be a list of question types "
                                                 "(%(known)s)."),
                      known=", ".join(QUESTION_TYPES))
        if len(check.problems) > before or count is None:
            ok = False
            continue
        rules.append(DrawRule(count=count, category=_category(category), tags=tags or (),
                              types=types or ()))
    if sum(rule.count for rule in rules) > MAX_DRAW:
        check.add(root.line_of("draw"), N_("A quiz draws at most %(n)d questions."), n=MAX_DRAW)
        ok = False
    return tuple(rules) if ok else None


def _words(entry: YDict, key: str, *, strip: bool = True) -> tuple[str, ...] | None:
    """A list of words (one word alone will do); () when absent, None when malformed."""
    raw = entry.get(key)
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(word, str) and word.strip()
                                            for word in raw):
        return None
    return tuple(word.strip() if strip else word for word in raw)


def _category(value: str | None) -> str | None:
    return normalize_category(value) or None if value else None


def _moment(root: YDict, key: str, check: _Check) -> datetime | None:
    raw = root.get(key)
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            value = None
    if value is None or value.tzinfo is None:
        check.add(root.line_of(key), N_("%(key)s must be a date and time with its offset, e.g. "
                                        "2026-12-01T09:00:00+08:00."), key=key)
        return None
    return value


def draw_shortfalls(settings: QuizSettings, questions: list[tuple[str, list[str], str]],
                    ) -> list[tuple[DrawRule, int]]:
    """Rules that cannot be met from ``questions`` (category, tags, type), with what they
    find.

    Rules draw in order and never the same question twice, as an attempt does.
    """
    used: set[int] = set()
    short = []
    for rule in settings.draw:
        found = [i for i, (category, tags, kind) in enumerate(questions)
                 if i not in used and rule.matches(category, tags, kind)]
        used.update(found[:rule.count])
        if len(found) < rule.count:
            short.append((rule, len(found)))
    return short
