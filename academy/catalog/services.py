"""The curriculum from files: framework and path sync, course upsert, .zip import and export.

Everything is validated before anything is written: a sync or an import with a single
problem changes nothing. Courses are upserted by slug into the draft (modules and lessons
matched by slug, so their rows survive) and then published through the authoring
service, which makes a new CourseVersion only when the content hash changed.
Functions flush, never commit: the CLI command or the request is the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import defer, selectinload

from academy.audit.services import record
from academy.auth.models import User
from academy.catalog import authoring
from academy.catalog.activities import ACTIVITY_TYPES, N_
from academy.catalog.models import (
    Course,
    CourseAsset,
    CourseVersion,
    Lesson,
    Module,
    ProfileRequirement,
    Skill,
    WindowProfile,
)
from academy.catalog.package import (
    LEVELS,
    CourseSpec,
    Framework,
    PathSpec,
    Problem,
    build_course_zip,
    parse_course_zip,
    parse_curriculum,
    problem,
)
from academy.errors import NotFound, ValidationFailed
from academy.extensions import db
from academy.learning.models import AssignmentRule, LearningPath, PathItem
from academy.timeutil import utcnow

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
KEPT = "kept"  # changed in the app, so the files no longer overwrite it


@dataclass
class Tally:
    """How many objects of a kind a sync created, updated and left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.kept:
            text += f", {self.kept} kept as changed in the app"
        return text


@dataclass(frozen=True)
class CourseOutcome:
    """What an upsert did to one course, and its latest published version number."""

    slug: str
    status: str
    version: int


@dataclass
class SyncReport:
    problems: list[Problem] = field(default_factory=list)
    skills: Tally = field(default_factory=Tally)
    profiles: Tally = field(default_factory=Tally)
    courses: Tally = field(default_factory=Tally)
    paths: Tally = field(default_factory=Tally)
    outcomes: list[CourseOutcome] = field(default_factory=list)
    rubrics: Tally = field(default_factory=Tally)  # observation rubrics (rubrics.yaml)


def translate(item: Problem) -> str:
    """A problem's message in the current language."""
    return _(item.msgid, **item.params) if item.msgid else item.message


def _assign(obj: Any, **values: Any) -> bool:
    """Set only the attributes that differ (so an unchanged row is never updated)."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def upsert_attached(model: Any, course_id: int, items: Iterable[dict[str, Any]], *,
                    content: Callable[[dict[str, Any]], dict[str, Any]],
                    always: Callable[[dict[str, Any]], dict[str, Any]]) -> list[Any]:
    """The course's rows of ``model`` (scenarios, quizzes) for what a package's activities
    brought, by slug: new ones created; the ``content`` fields replaced (and
    ``published_at`` set) only when the item's ``content_hash`` changed, so a re-sync of an
    unchanged file changes nothing; the ``always`` fields kept in step. Flushed."""
    existing = {row.slug: row for row in db.session.scalars(
        select(model).where(model.course_id == course_id))}
    out = []
    for item in items:
        row = existing.get(item["slug"])
        if row is None:
            row = existing[item["slug"]] = model(course_id=course_id, slug=item["slug"])
            db.session.add(row)
        if row.content_hash != item["content_hash"] or row.id is None:
            _assign(row, content_hash=item["content_hash"], **content(item))
            row.published_at = utcnow()
        _assign(row, **always(item))
        out.append(row)
    db.session.flush()
    return out


# ---------------------------------------------------------------- sync


def sync_curriculum(root: Path, *, user: User | None = None) -> SyncReport:
    """Validate the curriculum tree at ``root``; if it is clean, upsert all of it."""
    report = SyncReport()
    known_modules: dict[str, set[str]] = {}
    for course_slug, module_slug in db.session.execute(
            select(Course.slug, Module.slug).join(Module, Module.course_id == Course.id)):
        known_modules.setdefault(course_slug, set()).add(module_slug)
    known_skills = set(db.session.scalars(select(Skill.code)))
    curriculum, problems = parse_curriculum(
        root, known_skills=known_skills, known_modules=known_modules)
    # ---- observation rubrics (academy.observations): rubrics.yaml is checked with the rest
    from academy.observations import services as observations

    rubrics, found = observations.read_rubrics(root, known_skills | (
        curriculum.framework.declared if curriculum.framework is not None else set()))
    problems += found
    # ----
    owned_by_app = {course.slug: course for course in db.session.scalars(
        select(Course).where(Course.slug.in_([spec.slug for spec in curriculum.courses]),
                             Course.source != "files"))}
    problems += check_courses([spec for spec in curriculum.courses
                               if spec.slug not in owned_by_app])
    if problems:
        report.problems = problems
        return report
    if curriculum.framework is not None:
        apply_framework(curriculum.framework, report)
    note = _("Synced from files.")
    for spec in curriculum.courses:
        kept = owned_by_app.get(spec.slug)
        if kept is not None:
            latest = authoring.latest_version(kept)
            outcome = CourseOutcome(spec.slug, KEPT, latest.number if latest else 0)
        else:
            outcome = upsert_course(spec, user=user, note=note)
        report.courses.add(outcome.status)
        report.outcomes.append(outcome)
    if curriculum.paths is not None:
        apply_paths(curriculum.paths, report.paths, user)
    if rubrics is not None:  # observation rubrics (academy.observations)
        observations.apply_rubrics(rubrics, report.rubrics)
    return report


def check_courses(specs: Iterable[CourseSpec]) -> list[Problem]:
    """Checks needing the database: unpublished browser edits, images that do not decode."""
    specs = list(specs)
    if not specs:
        return []
    problems: list[Problem] = []
    existing = {course.slug: course for course in db.session.scalars(
        select(Course).where(Course.slug.in_([spec.slug for spec in specs])))}
    stored = set(db.session.execute(
        select(Course.slug, CourseAsset.name).join(CourseAsset,
                                                   CourseAsset.course_id == Course.id)
        .where(Course.slug.in_(list(existing))))) if existing else set()
    for spec in specs:
        course = existing.get(spec.slug)
        if course is not None and course.draft_changed_at is not None:
            problems.append(problem(spec.file, spec.slug_line, N_(
                "Course %(slug)s has unpublished changes made in the browser: publish or "
                "discard them first."), slug=spec.slug))
        for asset in spec.assets.values():
            if (spec.slug, asset.name) in stored:
                continue  # checked when it was first stored
            try:
                authoring.check_image(asset.data)
            except ValidationFailed as exc:
                problems.append(Problem(asset.file or spec.file, None, exc.message))
    return problems


def apply_framework(framework: Framework, report: SyncReport) -> None:
    """Upsert skills and window profiles by code (those not in the file are kept)."""
    skills = {skill.code: skill for skill in db.session.scalars(select(Skill))}
    for spec in framework.skills:
        skill = skills.get(spec.code)
        status = UNCHANGED
        if skill is not None and skill.source == "app":
            report.skills.add(KEPT)
            continue
        if skill is None:
            skill = skills[spec.code] = Skill(code=spec.code)
            db.session.add(skill)
            status = CREATED
        if _assign(skill, name=spec.name, category=spec.category,
                   description=spec.description, standard_ref=spec.standard_ref,
                   level_descriptors=spec.levels, position=spec.position) \
                and status != CREATED:
            status = UPDATED
        report.skills.add(status)
    db.session.flush()
    profiles = {profile.code: profile for profile in db.session.scalars(select(WindowProfile))}
    for spec in framework.profiles:
        profile = profiles.get(spec.code)
        status = UNCHANGED
        if profile is not None and profile.source == "app":
            report.profiles.add(KEPT)
            continue
        if profile is None:
            profile = WindowProfile(code=spec.code)
            db.session.add(profile)
            status = CREATED
        changed = _assign(profile, name=spec.name, description=spec.description,
                          org_level=spec.org_level)
        changed |= _set_requirements(
            profile, {skills[code]: level for code, level in spec.requirements.items()})
        if changed and status != CREATED:
            status = UPDATED
        report.profiles.add(status)
    db.session.flush()


def _set_requirements(profile: WindowProfile, wanted: dict[Skill, int]) -> bool:
    """Make the profile require exactly ``wanted`` (skill → level)."""
    by_id = {skill.id: level for skill, level in wanted.items()}
    changed = False
    for requirement in list(profile.requirements):
        level = by_id.get(requirement.skill_id)
        if level is None:
            profile.requirements.remove(requirement)
            changed = True
        elif requirement.level != level:
            requirement.level = level
            changed = True
    have = {requirement.skill_id for requirement in profile.requirements}
    for skill, level in wanted.items():
        if skill.id not in have:
            profile.requirements.append(ProfileRequirement(skill=skill, level=level))
            changed = True
    return changed


def upsert_course(spec: CourseSpec, *, user: User | None, note: str) -> CourseOutcome:
    """Make the course's draft equal ``spec`` (rows matched by slug), then publish it."""
    course = db.session.scalar(
        select(Course).where(Course.slug == spec.slug).options(
            selectinload(Course.modules).selectinload(Module.lessons),
            selectinload(Course.assets).options(defer(CourseAsset.data))))
    skill = db.session.scalar(select(Skill).where(Skill.code == spec.skill))
    created = course is None
    if course is None:
        course = Course(slug=spec.slug, created_by_id=user.id if user else None)
        db.session.add(course)
    if course.skill_id != skill.id:
        course.skill = skill
    _assign(course, title=spec.title, target_level=spec.target_level, summary=spec.summary,
            source="files")
    existing = {module.slug: module for module in course.modules}
    for position, module_spec in enumerate(spec.modules, start=1):
        module = existing.pop(module_spec.slug, None)
        if module is None:
            module = Module(slug=module_spec.slug)
            course.modules.append(module)
        _assign(module, title=module_spec.title, summary=module_spec.summary,
                position=position, activities=module_spec.activities)
        lessons = {lesson.slug: lesson for lesson in module.lessons}
        for lesson_position, lesson_spec in enumerate(module_spec.lessons, start=1):
            lesson = lessons.pop(lesson_spec.slug, None)
            if lesson is None:
                lesson = Lesson(slug=lesson_spec.slug)
                module.lessons.append(lesson)
            _assign(lesson, title=lesson_spec.title, body_md=lesson_spec.body_md,
                    position=lesson_position)
        for lesson in lessons.values():
            module.lessons.remove(lesson)
    for module in existing.values():
        course.modules.remove(module)
    stored = {asset.name for asset in course.assets}
    for asset in spec.assets.values():
        if asset.name not in stored:
            course.assets.append(CourseAsset(name=asset.name, mime=asset.mime,
                                             sha256=asset.sha256, data=asset.data))
    db.session.flush()
    _store_attachments(course, spec)
    result = authoring.publish_draft(course, note, user)
    status = CREATED if created else UPDATED if result.created else UNCHANGED
    return CourseOutcome(course.slug, status, result.version.number)


def _store_attachments(course: Course, spec: CourseSpec) -> None:
    """Hand what the activities brought from other files (scenarios, quizzes and the
    question banks) to their feature."""
    from academy.quizzes.packages import store_package
    from academy.scenarios.services import upsert_definitions

    attachments = [item for module in spec.modules for item in module.attachments]
    if any(item.get("type") == "scenario" for item in attachments):
        upsert_definitions(course.id, attachments)
    store_package(course, spec)


def apply_paths(specs: list[PathSpec], tally: Tally, user: User | None) -> None:
    """Upsert learning paths by code: their modules in order, and their rules by name.

    Rules no longer listed are deactivated rather than deleted (assignments point at them).
    """
    paths = {path.code: path for path in db.session.scalars(
        select(LearningPath).options(selectinload(LearningPath.rules)))}
    course_ids = {slug: id_ for slug, id_ in db.session.execute(select(Course.slug, Course.id))}
    for spec in specs:
        path = paths.get(spec.code)
        status = UNCHANGED
        if path is None:
            path = LearningPath(code=spec.code)
            db.session.add(path)
            status = CREATED
        changed = _assign(path, title=spec.title, description=spec.description,
                          due_days=spec.due_days, active=True)
        items = {(item.course_id, item.module_slug): item for item in path.items}
        for position, (course_slug, module_slug) in enumerate(spec.modules, start=1):
            key = (course_ids[course_slug], module_slug)
            item = items.pop(key, None)
            if item is None:
                path.items.append(PathItem(course_id=key[0], module_slug=module_slug,
                                           position=position))
                changed = True
            else:
                changed |= _assign(item, position=position)
        for item in items.values():
            path.items.remove(item)
            changed = True
        rules = {rule.name: rule for rule in path.rules}
        for rule_spec in spec.rules:
            rule = rules.pop(rule_spec.name, None)
            if rule is not None and rule.source == "app":
                continue  # an admin changed it here: the file no longer governs it
            if rule is None:
                path.rules.append(AssignmentRule(
                    name=rule_spec.name, criteria=rule_spec.criteria,
                    due_from=rule_spec.due_from, active=True,
                    created_by_id=user.id if user else None))
                changed = True
            else:
                changed |= _assign(rule, criteria=rule_spec.criteria,
                                   due_from=rule_spec.due_from, active=True)
        for rule in rules.values():
            if rule.source == "files":  # rules added by admins are theirs to keep
                changed |= _assign(rule, active=False)
        if changed and status != CREATED:
            status = UPDATED
        tally.add(status)
    db.session.flush()


# ---------------------------------------------------------------- import and export


def import_course_zip(data: bytes, *, user: User | None,
                      ) -> tuple[CourseOutcome | None, list[Problem]]:
    """Validate a course package (.zip) and, if clean, upsert and publish it."""
    spec, problems = parse_course_zip(data, known_skills=set(db.session.scalars(
        select(Skill.code))))
    if spec is not None:
        problems += check_courses([spec])
    if problems or spec is None:
        return None, problems
    outcome = upsert_course(spec, user=user, note=_("Imported from a course package."))
    record("course.import", target_type="course", target_id=spec.slug,
           target_label=spec.title, actor=user,
           after={"status": outcome.status, "version": outcome.version})
    return outcome, []


def export_course_zip(course: Course) -> bytes:
    """The course's latest published version as a course package (.zip)."""
    version = authoring.latest_version(course)
    if version is None:
        raise NotFound(_("This course has no published version yet."))
    names = list(version.snapshot.get("assets") or {})
    rows = db.session.execute(select(CourseAsset.name, CourseAsset.data).where(
        CourseAsset.course_id == course.id, CourseAsset.name.in_(names))) if names else []
    images = {name: data for name, data in rows}
    from academy.quizzes.packages import package_files as quiz_files
    from academy.scenarios.services import package_files

    def named(kind: str) -> list[str]:
        return [entry["file"] for module in version.snapshot.get("modules", [])
                for entry in module.get("activities") or []
                if entry.get("type") == kind and entry.get("file")]

    files = package_files(course.id, named("scenario"))
    files.update(quiz_files(course, named("quiz")))
    return build_course_zip(course.slug, version.snapshot, images, files)


# ---------------------------------------------------------------- reading


def skills_query() -> Select:
    """Skills in framework order."""
    return select(Skill).order_by(Skill.position, Skill.code)


def profiles_query() -> Select:
    """Window profiles by code (requirements load with them)."""
    return select(WindowProfile).order_by(WindowProfile.code)


def published_courses_query() -> Select:
    """Courses with at least one published version, by title."""
    has_version = select(CourseVersion.id).where(CourseVersion.course_id == Course.id).exists()
    return select(Course).where(has_version).order_by(Course.title, Course.slug)


def latest_versions(course_ids: Iterable[int]) -> dict[int, CourseVersion]:
    """The latest published version of each course (one query)."""
    ids = list(course_ids)
    if not ids:
        return {}
    newest = (select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
              .where(CourseVersion.course_id.in_(ids)).group_by(CourseVersion.course_id)
              .subquery())
    versions = db.session.scalars(select(CourseVersion).join(
        newest, (newest.c.course_id == CourseVersion.course_id)
        & (newest.c.number == CourseVersion.number)))
    return {version.course_id: version for version in versions}


@dataclass(frozen=True)
class PublishedCourse:
    """A course with its latest published version."""

    course: Course
    version: CourseVersion

    @property
    def modules(self) -> list[dict[str, Any]]:
        return list(self.version.snapshot.get("modules") or [])

    @property
    def lesson_count(self) -> int:
        return sum(len(module.get("lessons") or []) for module in self.modules)


def published_courses(courses: Iterable[Course]) -> list[PublishedCourse]:
    """Pair each course with its latest version (courses without one are left out)."""
    courses = list(courses)
    versions = latest_versions(course.id for course in courses)
    return [PublishedCourse(course, versions[course.id]) for course in courses
            if course.id in versions]


def get_published_course(slug: str) -> PublishedCourse:
    """The course with ``slug`` and its latest published version (NotFound otherwise)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug)) \
        if len(slug) <= 64 else None
    version = authoring.latest_version(course) if course is not None else None
    if version is None:
        raise NotFound(_("No such course."))
    return PublishedCourse(course, version)


def module_references(module: dict[str, Any], course_id: int | None = None,
                      ) -> dict[str, Any]:
    """The ids a module's activities expose to the API (``quiz``, ``scenario``; else None).

    A scenario's (quiz's) id is that of the course's stored scenario (quiz) loaded from
    its file.
    """
    refs: dict[str, Any] = {"quiz": None, "scenario": None}
    scenario_ids: dict[str, int] | None = None
    quiz_ids: dict[str, int] | None = None
    for entry in module.get("activities") or []:
        kind = ACTIVITY_TYPES.get(entry.get("type")) if isinstance(entry, dict) else None
        if kind is None or not kind.api_field or refs.get(kind.api_field) is not None:
            continue
        refs[kind.api_field] = kind.reference(entry)
        if kind.api_field == "scenario" and course_id is not None:
            if scenario_ids is None:
                from academy.scenarios.services import scenario_ids_by_file

                scenario_ids = scenario_ids_by_file(course_id)
            refs["scenario"] = scenario_ids.get(entry.get("file"))
        if kind.api_field == "quiz" and course_id is not None:
            if quiz_ids is None:
                from academy.quizzes.packages import quiz_ids_by_file

                quiz_ids = quiz_ids_by_file(course_id)
            refs["quiz"] = quiz_ids.get(entry.get("file"))
    return refs


def get_skill(code: str) -> Skill:
    """The skill with ``code`` (NotFound otherwise)."""
    skill = db.session.scalar(select(Skill).where(Skill.code == code)) \
        if len(code) <= 32 else None
    if skill is None:
        raise NotFound(_("No such skill."))
    return skill


def get_profile(code: str) -> WindowProfile:
    """The window profile with ``code`` (NotFound otherwise)."""
    profile = db.session.scalar(select(WindowProfile).where(WindowProfile.code == code)) \
        if len(code) <= 32 else None
    if profile is None:
        raise NotFound(_("No such window profile."))
    return profile


# ---------------------------------------------------------------- editing the framework


def update_skill(skill: Skill, *, name: str, description: str | None,
                 standard_ref: str | None, levels: dict[str, str],
                 user: User | None) -> bool:
    """Change a skill's name, description, standard clause and level descriptors (audited)."""
    name = (name or "").strip()
    if not name:
        msg = _("A name is required.")
        raise ValidationFailed(msg, {"name": [msg]})
    cleaned = {str(level): (levels.get(str(level)) or "").strip() for level in LEVELS}
    missing = [key for key, text in cleaned.items() if not text]
    if missing:
        msg = _("Describe every level 1–4.")
        raise ValidationFailed(msg, {f"level_{key}": [msg] for key in missing})
    before = _skill_state(skill)
    changed = _assign(skill, name=name, description=(description or "").strip() or None,
                      standard_ref=(standard_ref or "").strip() or None,
                      level_descriptors=cleaned)
    if changed:
        skill.source = "app"
        db.session.flush()
        record("skill.update", target_type="skill", target_id=skill.code,
               target_label=skill.name, actor=user, before=before, after=_skill_state(skill))
    return changed


def _skill_state(skill: Skill) -> dict[str, Any]:
    return {"name": skill.name, "description": skill.description,
            "standard_ref": skill.standard_ref, "levels": dict(skill.level_descriptors or {})}


def update_profile(profile: WindowProfile, *, name: str, description: str | None,
                   requirements: dict[str, int | None], user: User | None) -> bool:
    """Change a profile's name, description and required levels (skill code → 1–4 or None)."""
    name = (name or "").strip()
    if not name:
        msg = _("A name is required.")
        raise ValidationFailed(msg, {"name": [msg]})
    skills = {skill.code: skill for skill in db.session.scalars(
        select(Skill).where(Skill.code.in_(list(requirements))))}
    wanted: dict[Skill, int] = {}
    for code, level in requirements.items():
        if level is None:
            continue
        if code not in skills or level not in LEVELS:
            msg = _("Levels are 1 to 4.")
            raise ValidationFailed(msg, {code: [msg]})
        wanted[skills[code]] = level
    before = _profile_state(profile)
    changed = _assign(profile, name=name, description=(description or "").strip() or None)
    changed |= _set_requirements(profile, wanted)
    if changed:
        profile.source = "app"
        db.session.flush()
        record("profile.update", target_type="window_profile", target_id=profile.code,
               target_label=profile.name, actor=user, before=before,
               after=_profile_state(profile))
    return changed


def _profile_state(profile: WindowProfile) -> dict[str, Any]:
    return {"name": profile.name, "description": profile.description,
            "requirements": {req.skill.code: req.level for req in profile.requirements
                             if req.skill is not None}}
