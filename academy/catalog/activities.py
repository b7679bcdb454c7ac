"""Activity types a module may carry: a registry, one class per type (as question types are).

A module's ``activities:`` list in course.yaml holds entries such as ``{type: reading,
minutes: 20}``. Each entry's ``type`` names a class registered here; that class checks the
rest of the entry and returns it normalised (plain data, stored in the module's JSON).
Quiz and scenario types join in their own issues: one class each, nothing else changes.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
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
