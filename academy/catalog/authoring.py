"""Authoring: editing a course's draft (modules, lessons, images) in the browser.

Every write here changes the draft only and marks it changed (``Course.draft_changed_at``);
trainees keep reading the latest published CourseVersion until the draft is published.
Functions flush, never commit: the request is the transaction.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from academy.audit.services import record
from academy.auth.models import User
from academy.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Module, Skill
from academy.catalog.package import MAX_IMAGE_BYTES, asset_for, sniff_image
from academy.errors import Conflict, NotFound, ValidationFailed
from academy.extensions import db
from academy.timeutil import utcnow

SLUG_RE = re.compile(r"^[a-z0-9-]+$")
SLUG_MAX = 64
# Beyond this an image is a decompression bomb, not a lesson illustration.
MAX_IMAGE_PIXELS = 40_000_000
MAX_PREVIEW_CHARS = 200_000



# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class CourseRow:
    """A course of the authoring list with its publication status."""

    course: Course
    published_number: int | None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.course.draft_changed_at is not None


def list_courses() -> list[CourseRow]:
    """Every course (courses are district-wide), with its latest published version number."""
    latest = (select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
              .group_by(CourseVersion.course_id).subquery())
    rows = db.session.execute(
        select(Course, latest.c.number)
        .outerjoin(latest, latest.c.course_id == Course.id)
        .order_by(Course.title, Course.slug)
    ).all()
    return [CourseRow(course, number) for course, number in rows]


def skills() -> list[Skill]:
    """The skills a course may teach, in framework order."""
    return list(db.session.scalars(select(Skill).order_by(Skill.position, Skill.code)))


def get_course(slug: str) -> Course:
    """The course with ``slug`` (NotFound otherwise)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound(_("No such course."))
    return course


def outline(course: Course) -> list[Module]:
    """The draft's modules in order, each with its lessons loaded (one query for all)."""
    return list(db.session.scalars(
        select(Module).where(Module.course_id == course.id)
        .options(selectinload(Module.lessons)).order_by(Module.position, Module.id)))


def get_module(course: Course, module_id: int) -> Module:
    """A module of ``course`` by id (NotFound when it belongs to another course)."""
    module = db.session.get(Module, module_id)
    if module is None or module.course_id != course.id:
        raise NotFound(_("No such module."))
    return module


def get_lesson(course: Course, lesson_id: int) -> Lesson:
    """A lesson of ``course`` by id (NotFound when it belongs to another course)."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.module.course_id != course.id:
        raise NotFound(_("No such lesson."))
    return lesson


def get_asset(course: Course, name: str) -> CourseAsset:
    """An image of ``course`` by its generated name."""
    asset = db.session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                        CourseAsset.name == name))
    if asset is None:
        raise NotFound(_("No such image."))
    return asset


def latest_version(course: Course) -> CourseVersion | None:
    """The course's newest published version, if any."""
    return db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id)
                             .order_by(CourseVersion.number.desc()).limit(1))


def get_version(course: Course, number: int) -> CourseVersion:
    """A published version of ``course`` by number."""
    version = db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == course.id, CourseVersion.number == number))
    if version is None:
        raise NotFound(_("No such version."))
    return version


def version_history(course: Course) -> list[tuple[CourseVersion, User | None]]:
    """The course's versions, newest first, each with the account that published it."""
    versions = list(db.session.scalars(select(CourseVersion)
                                       .where(CourseVersion.course_id == course.id)
                                       .order_by(CourseVersion.number.desc())))
    ids = {v.published_by_id for v in versions if v.published_by_id is not None}
    users = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
             if ids else {})
    return [(v, users.get(v.published_by_id)) for v in versions]


def publisher(version: CourseVersion) -> User | None:
    """The account that published ``version``, if it still exists."""
    if version.published_by_id is None:
        return None
    return db.session.get(User, version.published_by_id)


def image_reference(value: str) -> str | None:
    """The asset name an image reference in lesson Markdown points at, if it is one.

    Lessons written in the browser use ``images/<name>``; lessons synced from files use
    ``../images/<name>`` (relative to the module folder). Both name the course's images.
    """
    ref = value.strip()
    while ref.startswith(("./", "../")):
        ref = ref.split("/", 1)[1]
    if not ref.startswith("images/"):
        return None
    name = ref.removeprefix("images/")
    return name if name and "/" not in name and "\\" not in name else None


def image_resolver(names: set[str] | dict[str, str],
                   url_for_name: Callable[[str], str]) -> Callable[[str], str | None]:
    """An ``image_url`` for render_markdown: known images → their URL, anything else dropped."""

    def resolve(value: str) -> str | None:
        name = image_reference(value)
        return url_for_name(name) if name is not None and name in names else None

    return resolve


# ---------------------------------------------------------------- courses


def _touch(course: Course) -> None:
    """Mark the draft as differing from the published version, and as the app's own now."""
    course.draft_changed_at = utcnow()
    course.source = "browser"


def _check_slug(slug: str, field: str = "slug") -> str:
    slug = (slug or "").strip()
    if not SLUG_RE.fullmatch(slug) or len(slug) > SLUG_MAX:
        msg = _("Use lower-case letters a–z, digits and '-' (at most %(n)d).", n=SLUG_MAX)
        raise ValidationFailed(msg, {field: [msg]})
    return slug


def _get_skill(skill_id: int) -> Skill:
    skill = db.session.get(Skill, skill_id)
    if skill is None:
        msg = _("Choose a skill.")
        raise ValidationFailed(msg, {"skill": [msg]})
    return skill


def _check_level(level: int) -> int:
    if level not in (1, 2, 3, 4):
        msg = _("The target level is 1 to 4.")
        raise ValidationFailed(msg, {"target_level": [msg]})
    return level


def create_course(*, slug: str, title: str, skill_id: int, target_level: int,
                  summary: str | None, author: User) -> Course:
    """Create an empty browser-authored course (audited)."""
    slug = _check_slug(slug)
    if db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        msg = _("A course with this slug already exists.")
        raise Conflict(msg, {"slug": [msg]})
    course = Course(slug=slug, title=title.strip(), skill=_get_skill(skill_id),
                    target_level=_check_level(target_level),
                    summary=(summary or "").strip() or None, source="browser",
                    created_by_id=author.id, draft_changed_at=utcnow())
    db.session.add(course)
    db.session.flush()
    record("course.create", target_type="course", target_id=course.slug,
           target_label=course.title, actor=author,
           after={"slug": course.slug, "title": course.title, "skill": course.skill.code,
                  "target_level": course.target_level})
    return course


def update_course(course: Course, *, title: str, skill_id: int, target_level: int,
                  summary: str | None) -> None:
    """Change the course's title, skill, target level and summary (in the draft)."""
    course.title = title.strip()
    course.skill = _get_skill(skill_id)
    course.target_level = _check_level(target_level)
    course.summary = (summary or "").strip() or None
    _touch(course)
    db.session.flush()


# ---------------------------------------------------------------- modules and lessons


def _free_slug(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... whichever is free (within SLUG_MAX)."""
    if wanted not in taken:
        return wanted
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = wanted[:SLUG_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _renumber(items: list) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def _move(items: list, item, direction: str) -> bool:
    """Swap ``item`` with its neighbour up or down; False when it is already at that end."""
    if direction not in ("up", "down"):
        raise ValidationFailed(_("Move up or down."))
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(items):
        return False
    items[index], items[other] = items[other], items[index]
    _renumber(items)
    return True


def _ordered_modules(course: Course) -> list[Module]:
    return sorted(course.modules, key=lambda m: (m.position, m.id or 0))


def _ordered_lessons(module: Module) -> list[Lesson]:
    return sorted(module.lessons, key=lambda lesson: (lesson.position, lesson.id or 0))


def add_module(course: Course, *, title: str, slug: str | None = None) -> Module:
    """Append a module; without a slug it gets ``module-N``."""
    taken = {m.slug for m in course.modules}
    if slug:
        slug = _check_slug(slug)
        if slug in taken:
            msg = _("This course already has a module with this slug.")
            raise Conflict(msg, {"slug": [msg]})
    else:
        slug = _free_slug(f"module-{len(course.modules) + 1}", taken)
    module = Module(slug=slug, title=title.strip(), activities=[])
    ordered = _ordered_modules(course)
    course.modules.append(module)
    _renumber([*ordered, module])
    _touch(course)
    db.session.flush()
    return module


def update_module(module: Module, *, title: str, summary: str | None = None) -> None:
    """Rename a module and set its summary."""
    module.title = title.strip()
    module.summary = (summary or "").strip() or None
    _touch(module.course)
    db.session.flush()


def delete_module(module: Module) -> None:
    """Delete a module with its lessons; the others close up."""
    course = module.course
    course.modules.remove(module)
    _renumber(_ordered_modules(course))
    _touch(course)
    db.session.flush()


def move_module(module: Module, direction: str) -> bool:
    """Move a module one place up or down."""
    moved = _move(_ordered_modules(module.course), module, direction)
    if moved:
        _touch(module.course)
        db.session.flush()
    return moved


def add_lesson(module: Module, *, title: str, slug: str | None = None) -> Lesson:
    """Append an empty lesson to a module; without a slug it gets ``lesson-N``."""
    taken = {lesson.slug for lesson in module.lessons}
    if slug:
        slug = _check_slug(slug)
        if slug in taken:
            msg = _("This module already has a lesson with this slug.")
            raise Conflict(msg, {"slug": [msg]})
    else:
        slug = _free_slug(f"lesson-{len(module.lessons) + 1}", taken)
    lesson = Lesson(slug=slug, title=title.strip(), body_md="")
    ordered = _ordered_lessons(module)
    module.lessons.append(lesson)
    _renumber([*ordered, lesson])
    _touch(module.course)
    db.session.flush()
    return lesson


def update_lesson(lesson: Lesson, *, title: str, body_md: str) -> bool:
    """Save a lesson's title and Markdown; False (and the draft untouched) if unchanged."""
    title = title.strip()
    body_md = (body_md or "").replace("\r\n", "\n")
    if lesson.title == title and lesson.body_md == body_md:
        return False
    lesson.title = title
    lesson.body_md = body_md
    _touch(lesson.module.course)
    db.session.flush()
    return True


def delete_lesson(lesson: Lesson) -> None:
    """Delete a lesson; the others of its module close up."""
    module = lesson.module
    module.lessons.remove(lesson)
    _renumber(_ordered_lessons(module))
    _touch(module.course)
    db.session.flush()


def move_lesson(lesson: Lesson, direction: str) -> bool:
    """Move a lesson one place up or down within its module."""
    moved = _move(_ordered_lessons(lesson.module), lesson, direction)
    if moved:
        _touch(lesson.module.course)
        db.session.flush()
    return moved


def move_lesson_to_module(lesson: Lesson, target: Module) -> str:
    """Move a lesson to the end of another module of the same course.

    Its slug is kept unless the target module already uses it, in which case it gets a
    ``-2`` (``-3``, ...) suffix. Returns the slug the lesson ends up with.
    """
    source = lesson.module
    if target.course_id != source.course_id:
        raise ValidationFailed(_("A lesson can only move within its course."))
    if target.id == source.id:
        return lesson.slug
    new_slug = _free_slug(lesson.slug, {other.slug for other in target.lessons})
    ordered_target = _ordered_lessons(target)
    lesson.slug = new_slug
    lesson.module = target  # re-parented, so the delete-orphan cascade leaves it alone
    _renumber(_ordered_lessons(source))
    _renumber([*ordered_target, lesson])
    _touch(source.course)
    db.session.flush()
    return new_slug


# ---------------------------------------------------------------- images


def check_image(data: bytes) -> str:
    """The type of an uploaded image, judged by its content; ValidationFailed otherwise.

    The magic bytes must announce a PNG, JPEG, GIF or WebP, and Pillow must then open and
    decode the whole file as that same type (a file that only starts like an image, or an
    SVG, a text file or a polyglot, is refused).
    """
    from PIL import Image

    if len(data) > MAX_IMAGE_BYTES:
        msg = _("The image is larger than %(mb)d MB.", mb=MAX_IMAGE_BYTES // (1024 * 1024))
        raise ValidationFailed(msg, {"image": [msg]})
    kind = sniff_image(data)
    refused = _("Only PNG, JPEG, GIF or WebP images can be uploaded.")
    if kind is None:
        raise ValidationFailed(refused, {"image": [refused]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != kind:
                    raise ValueError(probe.format)
                if probe.width * probe.height > MAX_IMAGE_PIXELS:
                    raise ValueError("too many pixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() checks structure; load() proves it decodes
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        msg = _("This file is not a readable image.")
        raise ValidationFailed(msg, {"image": [msg]}) from exc
    return kind


def add_image(course: Course, data: bytes) -> CourseAsset:
    """Store an uploaded image under a generated, content-derived name.

    The uploader's file name is never used. The same image uploaded twice is stored once.
    """
    check_image(data)
    spec = asset_for(data)  # the same content-derived name as a synced package's image
    existing = db.session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                           CourseAsset.name == spec.name))
    if existing is not None:
        return existing
    asset = CourseAsset(name=spec.name, mime=spec.mime, sha256=spec.sha256, data=data)
    course.assets.append(asset)
    _touch(course)
    db.session.flush()
    return asset


def image_snippet(asset: CourseAsset) -> str:
    """The Markdown that shows ``asset`` in a lesson."""
    return f"![{_('Description')}](images/{asset.name})"


# ---------------------------------------------------------------- publishing
#
# The one way a draft becomes a version: the browser's Publish button and the file sync /
# zip import of academy.catalog.services both call publish_draft.


@dataclass(frozen=True)
class PublishResult:
    """What publishing did: the new version, or the unchanged latest one (created=False)."""

    version: CourseVersion | None
    created: bool


def draft_snapshot(course: Course) -> dict:
    """The draft as the plain JSON a CourseVersion freezes (see CourseVersion.snapshot)."""
    return {
        "title": course.title,
        "summary": course.summary,
        "skill": course.skill.code,
        "target_level": course.target_level,
        "modules": [
            {
                "slug": module.slug,
                "title": module.title,
                "summary": module.summary,
                "activities": list(module.activities or []),
                "lessons": [
                    {"slug": lesson.slug, "title": lesson.title, "body_md": lesson.body_md}
                    for lesson in _ordered_lessons(module)
                ],
            }
            for module in _ordered_modules(course)
        ],
        "assets": {asset.name: asset.sha256 for asset in course.assets},
    }


def snapshot_hash(snapshot: dict) -> str:
    """SHA-256 of the snapshot's canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def publish_draft(course: Course, note: str, user: User | None) -> PublishResult:
    """Freeze the draft into a new CourseVersion, unless it equals the latest one (audited)."""
    note = (note or "").strip()
    if not note:
        msg = _("Say what changed in this version.")
        raise ValidationFailed(msg, {"note": [msg]})
    snapshot = draft_snapshot(course)
    content_hash = snapshot_hash(snapshot)
    latest = latest_version(course)
    course.draft_changed_at = None
    if latest is not None and latest.content_hash == content_hash:
        db.session.flush()
        return PublishResult(latest, created=False)
    version = CourseVersion(course=course, number=(latest.number if latest else 0) + 1,
                            note=note, content_hash=content_hash, snapshot=snapshot,
                            published_by_id=user.id if user is not None else None)
    db.session.add(version)
    db.session.flush()
    record("course.publish", target_type="course", target_id=course.slug,
           target_label=course.title, actor=user,
           after={"version": version.number, "note": note, "content_hash": content_hash})
    return PublishResult(version, created=True)
