"""Published courses and learning paths for tests, built directly in the database.

The catalog's own loader is not used here: these write the draft rows (Course, Module,
Lesson, CourseAsset) and a CourseVersion whose snapshot has the documented shape.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Module, Skill
from academy.extensions import db
from academy.learning.models import AssignmentRule, LearningPath, PathItem

__all__ = ["course", "onboarding"]

_counter = itertools.count(1)

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005c2d1ae10000000049454e44ae426082")

ModuleSpec = tuple[str, str, list[tuple[str, str, str]]]


def default_modules(prefix: str = "") -> list[ModuleSpec]:
    return [
        (f"{prefix}reception", "接待四步", [
            ("smile", "微笑与问候", "# 微笑\n\n起身或先行问候，**微笑**并目视对方。"),
            ("explain", "一次性告知", "把所需材料**一次讲清**。\n\n![流程](images/flow.png)"),
        ]),
        (f"{prefix}closing", "结束与送别", [
            ("farewell", "送别用语", "请慢走，再见。"),
        ]),
    ]


def get_skill(code: str = "ETIQUETTE") -> Skill:
    skill = db.session.scalar(select(Skill).where(Skill.code == code))
    if skill is None:
        skill = Skill(code=code, name="服务礼仪", category="soft", level_descriptors={})
        db.session.add(skill)
        db.session.flush()
    return skill


def publish_course(slug: str | None = None, modules: list[ModuleSpec] | None = None,
                   title: str = "服务礼仪", assets: dict[str, tuple[str, bytes]] | None = None
                   ) -> Course:
    """Create (or re-publish) a course: draft rows plus a new CourseVersion snapshot."""
    slug = slug or f"course-{next(_counter)}"
    modules = default_modules() if modules is None else modules
    assets = {"flow.png": ("image/png", PNG)} if assets is None else assets
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        course = Course(slug=slug, title=title, skill=get_skill(), target_level=1,
                        source="files")
        db.session.add(course)
        db.session.flush()
    course.modules = []
    db.session.flush()
    snapshot_modules: list[dict[str, Any]] = []
    for position, (module_slug, module_title, lessons) in enumerate(modules):
        module = Module(slug=module_slug, title=module_title, position=position, activities=[])
        module.lessons = [Lesson(slug=s, title=t, body_md=b, position=i)
                          for i, (s, t, b) in enumerate(lessons)]
        course.modules.append(module)
        snapshot_modules.append({
            "slug": module_slug, "title": module_title, "summary": None, "activities": [],
            "lessons": [{"slug": s, "title": t, "body_md": b} for s, t, b in lessons]})
    have = {a.name for a in course.assets}
    for name, (mime, data) in assets.items():
        if name not in have:
            course.assets.append(CourseAsset(name=name, mime=mime, data=data,
                                             sha256=hashlib.sha256(data).hexdigest()))
    number = (db.session.scalar(select(func.max(CourseVersion.number))
                                .where(CourseVersion.course_id == course.id)) or 0) + 1
    snapshot = {"title": title, "summary": None, "skill": "ETIQUETTE", "target_level": 1,
                "modules": snapshot_modules,
                "assets": {n: hashlib.sha256(d).hexdigest() for n, (_m, d) in assets.items()}}
    db.session.add(CourseVersion(course_id=course.id, number=number, snapshot=snapshot,
                                 content_hash=hashlib.sha256(repr(snapshot).encode()).hexdigest()))
    db.session.flush()
    return course


def make_path(code: str | None = None, items: list[tuple[Course, str]] | None = None,
              due_days: int = 30, rules: list[dict[str, Any]] | None = None,
              title: str | None = None) -> LearningPath:
    """A path over (course, module slug) items, with rules given as dicts
    ({"criteria": {...}, "due_from": "hire", "name": ...})."""
    code = code or f"PATH{next(_counter)}"
    path = LearningPath(code=code, title=title or f"岗前培训 {code}", due_days=due_days)
    for position, (course, module_slug) in enumerate(items or []):
        path.items.append(PathItem(course_id=course.id, module_slug=module_slug,
                                   position=position))
    for spec in rules or []:
        path.rules.append(AssignmentRule(name=spec.get("name", "rule"),
                                         criteria=spec.get("criteria", {}),
                                         due_from=spec.get("due_from", "assignment"),
                                         active=spec.get("active", True)))
    db.session.add(path)
    db.session.flush()
    return path


@pytest.fixture
def course(app):
    """A published course with two modules (2 + 1 lessons) and one image."""
    found = publish_course("etiquette")
    db.session.commit()
    return found


@pytest.fixture
def onboarding(app, course):
    """Path ONBOARD over both modules; its rule: active contract staff, due from assignment."""
    path = make_path("ONBOARD", [(course, "reception"), (course, "closing")], due_days=30,
                     rules=[{"name": "新入职劳务派遣", "criteria": {"employment_type": "contract",
                                                                 "status": "active"}}],
                     title="新入职岗前培训")
    db.session.commit()
    return path
