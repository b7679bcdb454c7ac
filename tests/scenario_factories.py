"""The example scenario (courses/service-etiquette), stored without a full course sync."""

from __future__ import annotations

from pathlib import Path

from academy.catalog.activities import ACTIVITY_TYPES
from academy.catalog.package import DirectoryFiles

EXAMPLE_COURSE = Path(__file__).resolve().parent.parent / "courses" / "service-etiquette"
EXAMPLE_FILE = "scenarios/elderly-no-smartphone.yaml"
# The best choice at every step: a successful visit scoring 100.
BEST_PATH = ["arrive-greet", "seat-welcome", "need-manual", "loss-both-hands", "materials-all",
             "form-help", "issue-handover", "farewell-closing"]
# The worst: a taboo phrase, then a complaint (an ending) two steps in.
WORST_PATH = ["arrive-guide", "angry-complain"]


def example_attachment() -> dict:
    """What the scenario activity type brings from the example's file."""
    attachment, problems = ACTIVITY_TYPES["scenario"].attach(
        {"type": "scenario", "file": EXAMPLE_FILE}, DirectoryFiles(EXAMPLE_COURSE), str,
        ("course.yaml", 1))
    assert not problems, problems
    return attachment


def store_example(course_id: int | None = None):
    """The example stored as a ScenarioDef (of ``course_id``, if given); flushed."""
    from academy.scenarios.services import upsert_definitions

    [definition] = upsert_definitions(course_id, [example_attachment()])
    return definition
