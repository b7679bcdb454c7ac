"""Course packages: every kind of validation problem, and the sync command."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from academy.catalog.activities import ACTIVITY_TYPES
from academy.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Skill
from academy.catalog.package import (
    build_course_zip,
    parse_course_zip,
    parse_curriculum,
)
from academy.learning.models import AssignmentRule, LearningPath, LessonProgress, PathItem
from tests.catalog_packages import (
    FRAMEWORK,
    course_files,
    course_yaml,
    make_zip,
    png,
    write_files,
    write_tree,
)


def problems_of(root: Path, **kwargs) -> list[tuple[str, int | None, str]]:
    _curriculum, problems = parse_curriculum(root, **kwargs)
    return [(p.file, p.line, p.message) for p in problems]


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(root: Path, name: str, needle: str) -> int:
    lines = (root / name).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


# ---------------------------------------------------------------- parsing


def test_a_clean_tree_parses_into_plain_data(tmp_path):
    curriculum, problems = parse_curriculum(write_tree(tmp_path))
    assert problems == []
    assert [s.code for s in curriculum.framework.skills] == ["SOCIAL_SECURITY", "ETIQUETTE"]
    assert curriculum.framework.skills[0].levels == {"1": "入门", "2": "合格", "3": "熟练",
                                                     "4": "带教"}
    assert curriculum.framework.profiles[0].requirements == {"SOCIAL_SECURITY": 2,
                                                             "ETIQUETTE": 2}
    course = next(c for c in curriculum.courses if c.slug == "social-security")
    assert [m.slug for m in course.modules] == ["pension", "card"]
    assert course.modules[0].activities == [{"type": "reading", "minutes": 20}]
    (name,) = course.assets
    assert name.endswith(".png") and len(name) == 20  # generated, never "flow.png"
    assert f"![流程](images/{name})" in course.modules[0].lessons[0].body_md
    (path,) = curriculum.paths
    assert path.modules == [("social-security", "pension"), ("etiquette", "reception")]
    assert path.rules[0].criteria == {"employment_type": "contract", "hired_within_days": 90,
                                      "status": "active"}


def test_bad_yaml_is_reported_with_its_line(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "target_level: 2", "target_level: 2: 3")
    assert problems_of(tmp_path) == [
        ("social-security/course.yaml", 4,
         "Invalid YAML: mapping values are not allowed here.")]


def test_a_half_quoted_value_gets_a_hint(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "summary: 示例教材",
         'summary: "好差评"制度')
    ((file, line, message),) = problems_of(tmp_path)
    assert (file, line) == ("social-security/course.yaml", 5)
    assert "must be quoted as a whole" in message


def test_duplicate_yaml_key(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "target_level: 2",
         "target_level: 2\ntarget_level: 3")
    assert ("social-security/course.yaml", 5, "Duplicate key target_level.") \
        in problems_of(tmp_path)


def test_unknown_skill(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "skill: SOCIAL_SECURITY", "skill: NOPE")
    assert problems_of(tmp_path) == [("social-security/course.yaml", 3, "Unknown skill NOPE.")]


def test_a_skill_already_in_the_database_is_known(tmp_path):
    write_files(tmp_path, {f"c/{k}": v for k, v in course_files(skill="OLD").items()})
    assert problems_of(tmp_path) == [("c/course.yaml", 3, "Unknown skill OLD.")]
    assert problems_of(tmp_path, known_skills={"OLD"}) == []


def test_unknown_skill_in_a_profile(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "framework.yaml", "      ETIQUETTE: 2", "      MISSING: 2")
    assert problems_of(tmp_path) == [("framework.yaml",
                                      line_of(tmp_path, "framework.yaml", "MISSING"),
                                      "Unknown skill MISSING.")]


def test_missing_lesson_file(tmp_path):
    write_tree(tmp_path)
    (tmp_path / "social-security/card/01-apply.md").unlink()
    line = line_of(tmp_path, "social-security/course.yaml", "file: card/01-apply.md")
    assert problems_of(tmp_path) == [("social-security/course.yaml", line,
                                      "Missing lesson file card/01-apply.md.")]


def test_lesson_file_outside_the_package(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "file: card/01-apply.md",
         "file: ../etiquette/card/01-apply.md")
    (problem,) = problems_of(tmp_path)
    assert "outside the package" in problem[2]


def test_duplicate_course_slug(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "etiquette/course.yaml", "slug: etiquette", "slug: social-security")
    assert problems_of(tmp_path) == [
        ("social-security/course.yaml", 1,
         "Duplicate course slug social-security (also in etiquette/course.yaml).")]


def test_duplicate_module_and_lesson_slugs(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "- slug: card", "- slug: pension")
    edit(tmp_path, "social-security/course.yaml", "- slug: who-may-apply",
         "- slug: what-it-is")
    found = problems_of(tmp_path)
    assert ("social-security/course.yaml",
            line_of(tmp_path, "social-security/course.yaml", "- slug: what-it-is") + 3,
            "Duplicate lesson slug what-it-is in module pension.") in found
    assert ("social-security/course.yaml", 20, "Duplicate module slug pension.") in found
    assert len(found) == 2


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("social-security/course.yaml", "target_level: 2", "target_level: 5",
     "Bad level 5: levels are 1 to 4."),
    ("framework.yaml", "      SOCIAL_SECURITY: 2", "      SOCIAL_SECURITY: 7",
     "Bad level 7: levels are 1 to 4."),
    ("framework.yaml", "      4: 带教\n  - code: ETIQUETTE", "      5: 带教\n  - code: ETIQUETTE",
     "Bad level 5: levels are 1 to 4."),
])
def test_bad_level(tmp_path, name, old, new, message):
    write_tree(tmp_path)
    edit(tmp_path, name, old, new)
    found = problems_of(tmp_path)
    assert found and found[0][0] == name and found[0][2] == message
    assert found[0][1] == line_of(tmp_path, name, new.strip().split("\n")[0])


def test_missing_level_descriptor(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "framework.yaml", "      4: 带教\n  - code: ETIQUETTE",
         "  - code: ETIQUETTE")
    assert problems_of(tmp_path) == [("framework.yaml", 8,
                                      "Describe every level 1–4 (missing: 4).")]


def test_broken_image_link(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/pension/01-what-it-is.md", "../images/flow.png",
         "../images/nope.png")
    assert problems_of(tmp_path) == [
        ("social-security/pension/01-what-it-is.md", 5,
         "Broken image link: images/nope.png does not exist.")]


def test_image_link_leaving_the_package(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/pension/01-what-it-is.md", "../images/flow.png",
         "../../etiquette/images/flow.png")
    (problem,) = problems_of(tmp_path)
    assert problem[1] == 5 and "outside the package" in problem[2]


@pytest.mark.parametrize("src", ["https://example.com/a.png", "//cdn.example.com/a.png",
                                 "data:image/png;base64,AAAA"])
def test_remote_image(tmp_path, src):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/pension/01-what-it-is.md", "../images/flow.png", src)
    (problem,) = problems_of(tmp_path)
    assert problem[:2] == ("social-security/pension/01-what-it-is.md", 5)
    assert problem[2].startswith("Remote images are not allowed")


def test_a_file_posing_as_an_image(tmp_path):
    write_tree(tmp_path)
    (tmp_path / "social-security/images/flow.png").write_text("<svg/>")
    (problem,) = problems_of(tmp_path)
    assert problem == ("social-security/images/flow.png", None,
                       "Not a PNG, JPEG, GIF or WebP image.")


@pytest.mark.parametrize("slug", ["Social-Security", "social_security", "-x", "a--b", "社保"])
def test_bad_slug(tmp_path, slug):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "slug: social-security", f"slug: {slug}")
    (problem,) = problems_of(tmp_path, known_modules={})
    assert problem[:2] == ("social-security/course.yaml", 1)
    assert problem[2].startswith(f"Bad slug {slug}")


def test_missing_required_key(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "title: 课程 social-security\n", "")
    assert problems_of(tmp_path) == [("social-security/course.yaml", 1,
                                      "Missing required key title.")]


def test_unknown_key_and_activity_type(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "social-security/course.yaml", "summary: 示例教材", "sumary: 示例教材")
    edit(tmp_path, "social-security/course.yaml", "type: reading\n        minutes: 20",
         "type: reading\n        minutes: 0")
    edit(tmp_path, "social-security/course.yaml", "activities: []",
         "activities: [{type: dance}]")
    found = problems_of(tmp_path)
    assert ("social-security/course.yaml", 5, "Unknown key sumary.") in found
    assert ("social-security/course.yaml", line_of(tmp_path, "social-security/course.yaml",
                                                   "minutes: 0"),
            "minutes must be a whole number from 1 to 600.") in found
    assert ("social-security/course.yaml", line_of(tmp_path, "social-security/course.yaml",
                                                   "type: dance"),
            "Unknown activity type dance (known: "
            f"{', '.join(sorted(ACTIVITY_TYPES))}).") in found


def test_paths_must_name_existing_modules(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "paths.yaml", "- etiquette/reception", "- etiquette/nowhere")
    assert problems_of(tmp_path) == [("paths.yaml", 7,
                                      "Course etiquette has no module nowhere.")]


def test_paths_criteria_are_checked(tmp_path):
    write_tree(tmp_path)
    edit(tmp_path, "paths.yaml", "employment_type: contract", "employment_type: intern")
    edit(tmp_path, "paths.yaml", "due_from: hire", "due_from: someday")
    messages = [p[2] for p in problems_of(tmp_path)]
    assert messages == ["due_from must be one of hire, assignment.",
                        "employment_type must be one of civil_servant, public_institution, "
                        "contract."]


# ---------------------------------------------------------------- zip archives


def test_zip_with_an_unsafe_path_is_refused():
    files = {**course_files(), "../x": "boom"}
    spec, problems = parse_course_zip(make_zip(files))
    assert spec is None
    assert [(p.file, p.message) for p in problems] == [("../x",
                                                       "Unsafe path in the archive: refused.")]


def test_not_a_zip():
    spec, problems = parse_course_zip(b"hello, not a zip")
    assert spec is None and [p.message for p in problems] == ["This is not a .zip file."]


def test_zip_in_a_single_top_folder():
    files = {f"social-security/{k}": v for k, v in course_files().items()}
    spec, problems = parse_course_zip(make_zip(files), known_skills={"SOCIAL_SECURITY"})
    assert problems == [] and spec.slug == "social-security"


def test_export_is_deterministic_and_reads_back_the_same():
    spec, problems = parse_course_zip(make_zip(course_files()))
    assert problems == []
    snapshot = {
        "title": spec.title, "summary": spec.summary, "skill": spec.skill,
        "target_level": spec.target_level,
        "modules": [{"slug": m.slug, "title": m.title, "summary": m.summary,
                     "activities": m.activities,
                     "lessons": [{"slug": lesson.slug, "title": lesson.title,
                                  "body_md": lesson.body_md} for lesson in m.lessons]}
                    for m in spec.modules],
    }
    images = {name: asset.data for name, asset in spec.assets.items()}
    first = build_course_zip(spec.slug, snapshot, images)
    assert first == build_course_zip(spec.slug, snapshot, images)
    again, problems = parse_course_zip(first)
    assert problems == []
    assert [m.lessons for m in again.modules] == [m.lessons for m in spec.modules]
    assert again.assets.keys() == spec.assets.keys()


# ---------------------------------------------------------------- the sync command


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def sync(runner, path: Path, *args: str):
    return runner.invoke(args=["academy", "courses", "sync", str(path), *args])


def test_sync_loads_everything(db, runner, tmp_path):
    result = sync(runner, write_tree(tmp_path))
    assert result.exit_code == 0, result.output
    assert "skills: 2 created, 0 updated, 0 unchanged" in result.output
    assert "profiles: 1 created" in result.output
    assert "courses: 2 created" in result.output
    assert "paths: 1 created" in result.output
    assert count(db, Skill) == 2 and count(db, Course) == 2 and count(db, CourseVersion) == 2
    course = db.session.scalar(select(Course).where(Course.slug == "social-security"))
    assert course.source == "files" and course.skill.code == "SOCIAL_SECURITY"
    (asset,) = course.assets
    assert asset.data == png() and asset.mime == "image/png"
    version = course.versions[0]
    assert version.number == 1 and version.snapshot["assets"] == {asset.name: asset.sha256}
    path = db.session.scalar(select(LearningPath))
    assert [(i.course.slug, i.module_slug) for i in path.items] == [
        ("social-security", "pension"), ("etiquette", "reception")]
    assert path.rules[0].due_from == "hire"


@pytest.mark.parametrize(("name", "old", "new"), [
    ("paths.yaml", "- etiquette/reception", "- etiquette/nowhere"),
    ("framework.yaml", "category: soft", "category: hard"),
    ("etiquette/course.yaml", "target_level: 2", "target_level: 9"),
])
def test_sync_writes_nothing_on_any_error(db, runner, tmp_path, name, old, new):
    write_tree(tmp_path)
    edit(tmp_path, name, old, new)
    result = sync(runner, tmp_path)
    assert result.exit_code == 1
    line = line_of(tmp_path, name, new.split("\n")[0].strip())
    assert f"{name}:{line}: " in result.output
    assert "nothing was written" in result.output
    for model in (Skill, Course, CourseVersion, Lesson, CourseAsset, LearningPath, PathItem,
                  AssignmentRule):
        assert count(db, model) == 0, model


def table_rows(db) -> dict[str, list[tuple]]:
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns))
        out[table.name] = [tuple(row) for row in rows]
    return out


def test_sync_twice_changes_nothing(db, runner, tmp_path):
    write_tree(tmp_path)
    assert sync(runner, tmp_path).exit_code == 0
    before = table_rows(db)
    db.session.rollback()
    result = sync(runner, tmp_path)
    assert result.exit_code == 0, result.output
    for kind in ("skills", "profiles", "courses", "paths"):
        assert f"{kind}: 0 created, 0 updated" in result.output
    db.session.rollback()
    assert table_rows(db) == before


def test_dry_run_writes_nothing(db, runner, tmp_path):
    result = sync(runner, write_tree(tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "courses: 2 created" in result.output and "dry run" in result.output
    assert count(db, Course) == 0


def test_a_changed_lesson_is_a_new_version_and_progress_stays(db, runner, tmp_path, orgs,
                                                              make_worker):
    write_tree(tmp_path)
    assert sync(runner, tmp_path).exit_code == 0
    course = db.session.scalar(select(Course).where(Course.slug == "social-security"))
    worker = make_worker(orgs["V1"])
    db.session.add(LessonProgress(worker_id=worker.id, course_id=course.id,
                                  module_slug="pension", lesson_slug="what-it-is"))
    db.session.commit()
    progress_before = [tuple(r) for r in db.session.execute(select(LessonProgress.__table__))]
    lesson_ids = set(db.session.scalars(select(Lesson.id)))

    edit(tmp_path, "social-security/card/01-apply.md", "申领社保卡。", "线上申领社保卡。")
    result = sync(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert "courses: 0 created, 1 updated, 1 unchanged" in result.output
    assert "social-security: updated, version 2" in result.output
    db.session.expire_all()
    versions = db.session.scalars(select(CourseVersion).where(
        CourseVersion.course_id == course.id).order_by(CourseVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].content_hash != versions[1].content_hash
    assert "线上申领" in versions[1].snapshot["modules"][1]["lessons"][0]["body_md"]
    assert [tuple(r) for r in db.session.execute(select(LessonProgress.__table__))] \
        == progress_before
    assert set(db.session.scalars(select(Lesson.id))) == lesson_ids  # updated in place


def test_a_new_image_is_stored_by_content(db, runner, tmp_path):
    write_tree(tmp_path)
    assert sync(runner, tmp_path).exit_code == 0
    (tmp_path / "social-security/images/flow.png").write_bytes(png(b"\xff\x00\x00"))
    assert sync(runner, tmp_path).exit_code == 0
    names = db.session.scalars(select(CourseAsset.name).join(Course).where(
        Course.slug == "social-security")).all()
    assert len(names) == 2  # the old image stays: version 1 still shows it


def test_sync_of_fifteen_courses_is_fast(db, runner, tmp_path):
    files: dict[str, str | bytes] = {"framework.yaml": FRAMEWORK}
    for n in range(15):
        slug = f"course-{n:02d}"
        yaml = course_yaml(slug)
        extra = "".join(
            f"  - slug: extra-{m}\n    title: 模块 {m}\n    lessons:\n"
            + "".join(f"      - slug: l{k}\n        title: 第{k}课\n"
                      f"        file: card/01-apply.md\n" for k in range(5))
            for m in range(4))
        for name, content in course_files(slug).items():
            files[f"{slug}/{name}"] = yaml + extra if name == "course.yaml" else content
    write_files(tmp_path, files)
    started = time.perf_counter()
    result = sync(runner, tmp_path)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "courses: 15 created" in result.output
    assert elapsed < 5, elapsed
    started = time.perf_counter()
    assert "courses: 0 created, 0 updated, 15 unchanged" in sync(runner, tmp_path).output
    assert time.perf_counter() - started < 5


def test_sync_assigns_the_new_rules_to_existing_staff(db, runner, tmp_path, orgs, make_worker):
    """Rules loaded from paths.yaml take effect at once, not at the next staff change."""
    from datetime import date, timedelta

    from academy.learning.models import Assignment

    recent = make_worker(orgs["V1"], employee_no="NEW1", employment_type="contract",
                         hire_date=date.today() - timedelta(days=10))
    make_worker(orgs["V1"], employee_no="OLD1", employment_type="contract",
                hire_date=date.today() - timedelta(days=400))
    result = sync(runner, write_tree(tmp_path))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assigned = db.session.scalars(select(Assignment)).all()
    assert [a.worker.employee_no for a in assigned] == ["NEW1"]
    assert assigned[0].due_date == recent.hire_date + timedelta(days=30)
    assert sync(runner, tmp_path).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def test_changes_made_in_the_app_survive_a_sync(db, runner, tmp_path, orgs, make_user):
    """Files are the shipped default: what admins and authors change in the app is kept."""
    from academy.catalog import authoring, services
    from academy.learning import services as learning
    from academy.learning.models import AssignmentRule

    write_tree(tmp_path)
    assert sync(runner, tmp_path).exit_code == 0
    admin = make_user(roles=("admin", "instructor"), unit=orgs["D"])
    skill = db.session.scalar(select(Skill).where(Skill.code == "SOCIAL_SECURITY"))
    services.update_skill(skill, name="社保（本区）", description=None, standard_ref=None,
                          levels={str(n): f"第{n}级" for n in range(1, 5)}, user=admin)
    course = db.session.scalar(select(Course).where(Course.slug == "etiquette"))
    lesson = course.modules[0].lessons[0]
    authoring.update_lesson(lesson, title=lesson.title, body_md="本区改写的内容")
    path = db.session.scalar(select(LearningPath))
    shipped = path.rules[0]
    learning.set_rule_active(shipped, False, actor=admin)
    learning.create_rule(path, name="本区规则", criteria={"org_level": "village"},
                         due_from="assignment", actor=admin)
    db.session.commit()
    drafts = {lesson.slug: lesson.body_md for module in course.modules
              for lesson in module.lessons}

    result = sync(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert "kept as changed in the app" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Skill).where(Skill.code == "SOCIAL_SECURITY")).name == \
        "社保（本区）"
    course = db.session.scalar(select(Course).where(Course.slug == "etiquette"))
    assert course.source == "browser"
    assert {lesson.slug: lesson.body_md for module in course.modules
            for lesson in module.lessons} == drafts
    rules = {rule.name: rule for rule in db.session.scalars(select(AssignmentRule))}
    assert rules[shipped.name].active is False
    assert rules["本区规则"].active is True
