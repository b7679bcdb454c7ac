"""Activity types a module may carry: a registry, one class per type (as question types are).

A module's ``activities:`` list in course.yaml holds entries such as ``{type: reading,
minutes: 20}``. Each entry's ``type`` names a class registered here; that class checks the
rest of the entry and returns it normalised (plain data, stored in the module's JSON).
Quiz and scenario types are one class each; nothing else changes to add a type.

Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (the caller does, later)."""
    return message


@dataclass(frozen=True)
class ActivityProblem:
    """What is wrong with an entry; ``key`` names the offending key (None: the entry)."""

    key: str | None
    msgid: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)


class ActivityType:
    """Base class of an activity type."""

    #: The ``type:`` value in course.yaml.
    name: ClassVar[str]
    #: Keys an entry may have besides ``type``.
    keys: ClassVar[tuple[str, ...]] = ()
    #: The module field of the course API that shows this activity's id ("quiz",
    #: "scenario"), or None when the type has no id to show.
    api_field: ClassVar[str | None] = None

    def validate(self, entry: Mapping[str, Any]) -> list[ActivityProblem]:
        """Problems of ``entry`` (beyond unknown keys, which the package check reports)."""
        return []

    def normalise(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """The entry as stored: plain JSON-able data, ``type`` first."""
        return {"type": self.name, **{key: entry[key] for key in self.keys if key in entry}}

    def reference(self, entry: Mapping[str, Any]) -> Any:
        """The id the API shows under ``api_field`` (None until the type creates objects)."""
        return None

    def attach(self, entry: Mapping[str, Any], files: Any, where: Callable[[str], str],
               origin: tuple[str, int | None]) -> tuple[dict[str, Any] | None, list[Any]]:
        """Content the entry brings from the package's ``files`` (None: none), and the
        problems found reading it: ``Problem``s naming ``where(path)``, or ``origin``
        (course.yaml and the entry's line) for the entry itself."""
        return None, []


ACTIVITY_TYPES: dict[str, ActivityType] = {}


def register_activity_type(cls: type[ActivityType]) -> type[ActivityType]:
    """Class decorator: make ``cls`` available as ``type: <cls.name>`` in course.yaml."""
    if cls.name in ACTIVITY_TYPES:
        raise ValueError(f"activity type {cls.name!r} is registered twice")
    ACTIVITY_TYPES[cls.name] = cls()
    return cls


@register_activity_type
class Reading(ActivityType):
    """Read the module's lessons; ``minutes`` (optional, 1–600) is the time to allow."""

    name = "reading"
    keys = ("minutes",)

    def validate(self, entry: Mapping[str, Any]) -> list[ActivityProblem]:
        minutes = entry.get("minutes")
        if "minutes" in entry and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                   or not 1 <= minutes <= 600):
            return [ActivityProblem("minutes", N_("minutes must be a whole number from 1 to "
                                                  "600."))]
        return []


@register_activity_type
class ScenarioActivity(ActivityType):
    """Play a scenario (courses/README.md, "Scenarios"): ``file`` names its YAML file.

    The file is read and checked by :func:`academy.scenarios.loader.load_scenario`; the
    attachment carries the parsed definition (plain data), which the sync stores.
    """

    name = "scenario"
    keys = ("file",)
    api_field = "scenario"

    def validate(self, entry: Mapping[str, Any]) -> list[ActivityProblem]:
        value = entry.get("file")
        if not isinstance(value, str) or not value.strip():
            return [ActivityProblem(None, N_("A scenario activity needs file: (e.g. "
                                             "scenarios/elderly-no-smartphone.yaml)."))]
        if not value.endswith((".yaml", ".yml")) or _outside(value):
            return [ActivityProblem("file", N_("The scenario file %(path)s must be a .yaml "
                                               "file inside the package."), {"path": value})]
        return []

    def attach(self, entry: Mapping[str, Any], files: Any, where: Callable[[str], str],
               origin: tuple[str, int | None]) -> tuple[dict[str, Any] | None, list[Any]]:
        from academy.catalog.package import _plain, load_yaml, problem
        from academy.scenarios.loader import load_scenario

        path = posixpath.normpath(entry["file"])
        data, problems = _read(files, path, where, origin,
                               N_("Missing scenario file %(path)s."))
        if data is None:
            return None, problems
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, [problem(where(path), None, N_("The file is not UTF-8 text."))]
        scenario, problems = load_scenario(text, where(path))
        if scenario is None:
            return None, problems
        document, _ = load_yaml(text.encode("utf-8"), where(path))
        definition = _plain(document)
        return {"type": self.name, "slug": scenario.id, "title": scenario.title, "file": path,
                "definition": definition, "content_hash": content_hash(definition)}, []


def _read(files: Any, path: str, where: Callable[[str], str], origin: tuple[str, int | None],
          missing: str) -> tuple[bytes | None, list[Any]]:
    """The bytes of a file an activity names, or the problem: ``missing`` (a msgid with
    ``%(path)s``) at the entry's ``origin``, or the read error at the file."""
    from academy.catalog.package import READ_ERRORS, problem

    if path not in files:
        return None, [problem(*origin, missing, path=path)]
    try:
        return files.read(path), []
    except READ_ERRORS as exc:
        return None, [problem(where(path), None, N_("Cannot read the file: %(error)s."),
                              error=str(exc))]


def content_hash(definition: Any) -> str:
    """SHA-256 of a definition's canonical JSON: a re-sync of an unchanged file matches."""
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _outside(path: str) -> bool:
    if path.startswith("/") or "\\" in path or "\x00" in path:
        return True
    normal = posixpath.normpath(path)
    return normal in (".", "..") or normal.startswith("../")


@register_activity_type
class QuizActivity(ActivityType):
    """Take a quiz (courses/README.md, "Quizzes"): ``file`` names its settings file.

    The file is checked by :func:`academy.quizzes.settings.parse_quiz`; its questions come
    from the course's question bank (the package's ``banks/`` files), which the package
    check makes sure can fill every draw.
    """

    name = "quiz"
    keys = ("file",)
    api_field = "quiz"

    def validate(self, entry: Mapping[str, Any]) -> list[ActivityProblem]:
        value = entry.get("file")
        if not isinstance(value, str) or not value.strip():
            return [ActivityProblem(None, N_("A quiz activity needs file: (e.g. "
                                             "quizzes/pension-enrolment.yaml)."))]
        if not value.endswith((".yaml", ".yml")) or _outside(value):
            return [ActivityProblem("file", N_("The quiz file %(path)s must be a .yaml file "
                                               "inside the package."), {"path": value})]
        return []

    def attach(self, entry: Mapping[str, Any], files: Any, where: Callable[[str], str],
               origin: tuple[str, int | None]) -> tuple[dict[str, Any] | None, list[Any]]:
        from academy.catalog.package import _Check, _plain, load_yaml
        from academy.quizzes.settings import parse_quiz

        path = posixpath.normpath(entry["file"])
        data, problems = _read(files, path, where, origin, N_("Missing quiz file %(path)s."))
        if data is None:
            return None, problems
        document, problems = load_yaml(data, where(path))
        if document is None or problems:
            return None, problems
        settings = parse_quiz(document, _Check(where(path), problems))
        if settings is None:
            return None, problems
        definition = _plain(document)
        draw_lines = list(getattr(document.get("draw"), "item_lines", []))
        return {"type": self.name, "slug": settings.slug, "title": settings.title,
                "file": path, "definition": definition, "settings": settings.as_dict(),
                "draw_lines": draw_lines, "content_hash": content_hash(definition)}, []
