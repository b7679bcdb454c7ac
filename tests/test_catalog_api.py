"""API: skills, window profiles, courses; importing and exporting course packages."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Course, CourseVersion
from tests.catalog_packages import course_files, make_zip, write_tree

READ_URLS = ["/api/v1/skills", "/api/v1/window-profiles", "/api/v1/courses",
             "/api/v1/courses/social-security"]


@pytest.fixture
def curriculum(runner, tmp_path, orgs):
    result = runner.invoke(args=["academy", "courses", "sync", str(write_tree(tmp_path))])
    assert result.exit_code == 0, result.output
    return tmp_path


@pytest.fixture
def instructor(api_token, orgs):
    return api_token(roles=("instructor",), unit=orgs["S1"])


def versions(db, slug: str = "social-security") -> list[CourseVersion]:
    db.session.expire_all()
    return db.session.scalars(select(CourseVersion).join(Course).where(Course.slug == slug)
                              .order_by(CourseVersion.number)).all()


@pytest.mark.parametrize("url", [*READ_URLS, "/api/v1/courses/social-security/export"])
def test_anonymous_gets_401(client, curriculum, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_anonymous_cannot_import(client, curriculum):
    response = client.post("/api/v1/courses/import", data=make_zip(course_files()),
                           content_type="application/zip")
    assert response.status_code == 401


def test_a_trainee_reads_but_neither_imports_nor_exports(client, curriculum, api_token, orgs,
                                                        db):
    headers = api_token(roles=("trainee",), unit=orgs["V1"])
    for url in READ_URLS:
        assert client.get(url, headers=headers).status_code == 200, url
    assert client.get("/api/v1/courses/social-security/export",
                      headers=headers).status_code == 403
    response = client.post("/api/v1/courses/import", headers=headers,
                           data=make_zip(course_files("new-course")),
                           content_type="application/zip")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert db.session.scalar(select(func.count()).select_from(Course)) == 2


def test_skills_and_profiles(client, curriculum, instructor):
    skills = client.get("/api/v1/skills", headers=instructor).get_json()
    assert skills["total"] == 2 and skills["page"] == 1
    first = skills["items"][0]
    assert first["code"] == "SOCIAL_SECURITY" and first["category"] == "business"
    assert first["levels"]["4"] == "带教" and first["standard_ref"] == "DB42/T 2327—2024"
    profiles = client.get("/api/v1/window-profiles", headers=instructor).get_json()
    (profile,) = profiles["items"]
    assert profile["code"] == "ALL_WINDOW" and profile["org_level"] == "subdistrict"
    assert {(r["skill"], r["level"]) for r in profile["requirements"]} == {
        ("SOCIAL_SECURITY", 2), ("ETIQUETTE", 2)}


def test_course_list_is_paginated(client, curriculum, instructor):
    page = client.get("/api/v1/courses?per_page=1&page=2", headers=instructor).get_json()
    assert page["total"] == 2 and page["per_page"] == 1 and len(page["items"]) == 1
    item = page["items"][0]
    assert item["slug"] == "social-security"  # by title: 课程 e… before 课程 s…
    assert item["module_count"] == 2 and item["lesson_count"] == 3 and item["version"] == 1


def test_course_detail_lists_modules_with_quiz_and_scenario(client, curriculum, instructor):
    body = client.get("/api/v1/courses/social-security", headers=instructor).get_json()
    assert body["skill"] == "SOCIAL_SECURITY" and body["version"] == 1
    assert len(body["content_hash"]) == 64
    pension, card = body["modules"]
    assert pension["slug"] == "pension" and pension["quiz"] is None
    assert pension["scenario"] is None
    assert pension["activities"] == [{"type": "reading", "minutes": 20}]
    assert [lesson["slug"] for lesson in pension["lessons"]] == ["what-it-is", "who-may-apply"]
    assert card["lessons"] == [{"slug": "apply", "title": "申领"}]


def test_unknown_course_is_404(client, curriculum, instructor):
    for url in ("/api/v1/courses/nope", "/api/v1/courses/nope/export",
                "/api/v1/courses/" + "x" * 300):
        response = client.get(url, headers=instructor)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"


def test_export_import_export_is_byte_identical(client, curriculum, instructor, db, runner):
    first = client.get("/api/v1/courses/social-security/export", headers=instructor)
    assert first.status_code == 200 and first.mimetype == "application/zip"
    assert "social-security.zip" in first.headers["Content-Disposition"]
    # Change the course (version 2), then import the export of version 1 (version 3).
    lesson = curriculum / "social-security/card/01-apply.md"
    lesson.write_text("改过的课文。\n", encoding="utf-8")
    assert runner.invoke(args=["academy", "courses", "sync", str(curriculum)]).exit_code == 0
    response = client.post("/api/v1/courses/import", headers=instructor,
                           data=first.get_data(), content_type="application/zip")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"slug": "social-security", "status": "updated",
                                   "version": 3}
    v1, v2, v3 = versions(db)
    assert v3.content_hash == v1.content_hash != v2.content_hash
    second = client.get("/api/v1/courses/social-security/export", headers=instructor)
    assert second.get_data() == first.get_data()
    # Importing it again changes nothing.
    again = client.post("/api/v1/courses/import", headers=instructor,
                        data=second.get_data(), content_type="application/zip")
    assert again.get_json()["status"] == "unchanged" and len(versions(db)) == 3


def test_the_export_reads_like_the_package_format(client, curriculum, instructor):
    data = client.get("/api/v1/courses/social-security/export", headers=instructor).get_data()
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == sorted(names)
    assert "course.yaml" in names and "pension/01-what-it-is.md" in names
    (image,) = [n for n in names if n.startswith("images/")]
    lesson = archive.read("pension/01-what-it-is.md").decode()
    assert f"](../{image})" in lesson
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())


def test_import_a_new_course_as_multipart(client, curriculum, instructor, db):
    response = client.post("/api/v1/courses/import", headers=instructor,
                           data={"file": (io.BytesIO(make_zip(course_files("new-course"))),
                                          "new.zip")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"slug": "new-course", "status": "created", "version": 1}
    assert client.get("/api/v1/courses/new-course", headers=instructor).status_code == 200


def test_an_invalid_package_is_422_with_every_problem(client, curriculum, instructor, db):
    files = course_files("new-course", skill="NOPE")
    files["pension/01-what-it-is.md"] = "![x](https://example.com/x.png)\n"
    response = client.post("/api/v1/courses/import", headers=instructor,
                           data=make_zip(files), content_type="application/zip")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"]["code"] == "invalid_package"
    assert {"file": "course.yaml", "line": 3, "message": "Unknown skill NOPE."} \
        in body["errors"]
    assert any(e["file"] == "pension/01-what-it-is.md" and e["line"] == 1
               and e["message"].startswith("Remote images") for e in body["errors"])
    assert db.session.scalar(select(func.count()).select_from(Course)) == 2


def test_zip_slip_is_refused(client, curriculum, instructor, db):
    files = {**course_files("new-course"), "../x": "escape"}
    response = client.post("/api/v1/courses/import", headers=instructor,
                           data=make_zip(files), content_type="application/zip")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"file": "../x", "line": None, "message": "Unsafe path in the archive: refused."}]
    assert db.session.scalar(select(func.count()).select_from(Course)) == 2


def test_not_a_zip(client, curriculum, instructor):
    response = client.post("/api/v1/courses/import", headers=instructor,
                           data=b"just text", content_type="application/zip")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["message"] == "This is not a .zip file."
    response = client.post("/api/v1/courses/import", headers=instructor,
                           data=b"just text", content_type="text/plain")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    response = client.post("/api/v1/courses/import", headers=instructor, data={},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_browser_edits_are_not_overwritten(client, curriculum, instructor, db):
    course = db.session.scalar(select(Course).where(Course.slug == "social-security"))
    from academy.timeutil import utcnow

    course.draft_changed_at = utcnow()
    db.session.commit()
    response = client.post("/api/v1/courses/import", headers=instructor,
                           data=make_zip(course_files()), content_type="application/zip")
    assert response.status_code == 422
    assert "unpublished changes" in response.get_json()["errors"][0]["message"]
