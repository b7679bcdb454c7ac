"""Pages: the course catalogue, the package import page, editing skills and profiles."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.catalog.models import Skill, WindowProfile
from tests.catalog_packages import course_files, make_zip, write_tree


@pytest.fixture
def curriculum(runner, tmp_path, orgs):
    result = runner.invoke(args=["academy", "courses", "sync", str(write_tree(tmp_path))])
    assert result.exit_code == 0, result.output


def test_anonymous_is_sent_to_sign_in(client, curriculum):
    for url in ("/catalog/courses", "/catalog/courses/social-security", "/catalog/import",
                "/catalog/framework"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_trainee_browses_courses(client, curriculum, login_as, orgs):
    login_as(("trainee",), orgs["V1"])
    page = client.get("/catalog/courses").get_data(as_text=True)
    assert "课程 social-security" in page and "课程 etiquette" in page
    assert "2 modules, 3 lessons" in page
    assert 'href="/catalog/courses"' in page  # the navigation entry
    assert "Skills &amp; profiles" not in page and "Import a course package" not in page
    page = client.get("/catalog/courses/social-security").get_data(as_text=True)
    assert "城乡居民养老保险参保登记" in page and "谁可以办理" in page
    assert "/export" not in page
    assert client.get("/catalog/courses/nope").status_code == 404
    assert client.get("/catalog/import").status_code == 403
    assert client.get("/catalog/framework").status_code == 403


def test_an_instructor_sees_the_export_link(client, curriculum, login_as, orgs):
    login_as(("instructor",), orgs["S1"])
    page = client.get("/catalog/courses/social-security").get_data(as_text=True)
    assert 'href="/api/v1/courses/social-security/export"' in page
    assert client.get("/catalog/framework").status_code == 403


def test_importing_a_package_through_the_page(client, curriculum, login_as, orgs):
    login_as(("instructor",), orgs["S1"])
    assert client.get("/catalog/import").status_code == 200
    bad = course_files("new-course", skill="NOPE")
    response = client.post("/catalog/import", data={
        "file": (io.BytesIO(make_zip(bad)), "new.zip")}, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Unknown skill NOPE." in page and "course.yaml" in page
    response = client.post("/catalog/import", data={
        "file": (io.BytesIO(make_zip(course_files("new-course"))), "new.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/catalog/courses/new-course")
    assert "imported as version 1" in client.get("/catalog/courses/new-course").get_data(
        as_text=True)


def test_problems_are_shown_in_chinese(client, curriculum, login_as, orgs, chinese):
    login_as(("admin",), orgs["D"])
    response = client.post("/catalog/import", data={
        "file": (io.BytesIO(b"not a zip"), "x.zip")}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_an_admin_edits_a_skill(client, curriculum, login_as, orgs, db):
    login_as(("admin",), orgs["D"])
    page = client.get("/catalog/framework").get_data(as_text=True)
    assert "社会保险业务" in page and "全科窗口" in page
    assert client.get("/catalog/framework/skills/SOCIAL_SECURITY").status_code == 200
    form = {"name": "社保业务", "standard_ref": "", "description": "新描述",
            "level_1": "一", "level_2": "二", "level_3": "三", "level_4": ""}
    response = client.post("/catalog/framework/skills/SOCIAL_SECURITY", data=form)
    assert response.status_code == 422  # every level needs a descriptor
    form["level_4"] = "四"
    response = client.post("/catalog/framework/skills/SOCIAL_SECURITY", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    skill = db.session.scalar(select(Skill).where(Skill.code == "SOCIAL_SECURITY"))
    assert skill.name == "社保业务" and skill.standard_ref is None
    assert skill.level_descriptors == {"1": "一", "2": "二", "3": "三", "4": "四"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "skill.update"))
    assert entry.after["name"] == "社保业务"
    assert client.get("/catalog/framework/skills/NOPE").status_code == 404


def test_an_admin_edits_a_profile(client, curriculum, login_as, orgs, db):
    login_as(("admin",), orgs["S2"])
    page = client.get("/catalog/framework/profiles/ALL_WINDOW").get_data(as_text=True)
    assert "服务礼仪" in page
    response = client.post("/catalog/framework/profiles/ALL_WINDOW", data={
        "name": "全科窗口（街镇）", "description": "",
        "require_SOCIAL_SECURITY": "3", "require_ETIQUETTE": ""})
    assert response.status_code == 302
    db.session.expire_all()
    profile = db.session.scalar(select(WindowProfile))
    assert profile.name == "全科窗口（街镇）"
    assert [(r.skill.code, r.level) for r in profile.requirements] == [("SOCIAL_SECURITY", 3)]
    response = client.post("/catalog/framework/profiles/ALL_WINDOW", data={
        "name": "x", "require_SOCIAL_SECURITY": "9"})
    assert response.status_code == 422


def test_the_admin_navigation(client, curriculum, login_as, orgs):
    login_as(("admin",), orgs["D"])
    page = client.get("/catalog/courses").get_data(as_text=True)
    assert 'href="/catalog/framework"' in page and "Import a course package" in page
