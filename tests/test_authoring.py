"""Authoring in the browser: course drafts, modules, lessons, images, preview, publishing."""

from __future__ import annotations

import hashlib
import io
import re
from html.parser import HTMLParser

import pytest
from PIL import Image
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Module, Skill

# ---------------------------------------------------------------- fixtures


@pytest.fixture
def skill(db):
    skill = Skill(code="SOCIAL_SECURITY", name="社会保险业务", category="business",
                  level_descriptors={"1": "入门", "2": "合格", "3": "熟练", "4": "带教"})
    db.session.add(skill)
    db.session.commit()
    return skill


@pytest.fixture
def instructor(orgs, login_as):
    return login_as(roles=("instructor",), unit=orgs["S1"])


@pytest.fixture
def make_course(client, skill):
    """Create a course through the page, as the signed-in author."""

    def make(slug="social-security", title="社会保险业务"):
        response = client.post("/authoring/courses/new", data={
            "slug": slug, "title": title, "skill": skill.id, "target_level": 2,
            "summary": "参保登记与社保卡"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return slug

    return make


def course(db, slug="social-security") -> Course:
    db.session.expire_all()
    return db.session.scalar(select(Course).where(Course.slug == slug))


def module_titles(db, slug="social-security") -> list[str]:
    return [m.title for m in sorted(course(db, slug).modules, key=lambda m: m.position)]


def png_bytes(size=(8, 6), color=(31, 78, 140)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def add_module(client, title, slug=""):
    return client.post("/authoring/courses/social-security/modules",
                       data={"title": title, "slug": slug})


def add_lesson(client, module_id, title, slug=""):
    return client.post(f"/authoring/courses/social-security/modules/{module_id}/lessons",
                       data={"title": title, "slug": slug})


def upload(client, data: bytes, filename: str, slug="social-security",
           follow_redirects=False, **headers):
    return client.post(f"/authoring/courses/{slug}/images",
                       data={"image": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", headers=headers,
                       follow_redirects=follow_redirects)


def flashes(response) -> str:
    return " ".join(re.findall(r'role="alert">\s*(.*?)\s*<button', response.get_data(as_text=True),
                               re.S))


# ---------------------------------------------------------------- courses


def test_instructor_creates_a_course_which_is_audited(client, db, instructor, make_course):
    make_course()
    created = course(db)
    assert created.title == "社会保险业务" and created.skill.code == "SOCIAL_SECURITY"
    assert created.target_level == 2 and created.source == "browser"
    assert created.created_by_id == instructor.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.create"))
    assert entry.target_id == "social-security" and entry.actor_id == instructor.id

    page = client.get("/authoring/").get_data(as_text=True)
    assert "社会保险业务" in page and "Not published" in page and "Unpublished changes" in page


@pytest.mark.parametrize("slug", ["Social", "with space", "下划线", "a_b", "", "x" * 65])
def test_bad_slugs_are_refused(client, db, instructor, skill, slug):
    response = client.post("/authoring/courses/new", data={
        "slug": slug, "title": "T", "skill": skill.id, "target_level": 1})
    assert response.status_code == 422
    assert db.session.scalar(select(Course)) is None


def test_duplicate_slug_and_unknown_skill_are_refused(client, db, instructor, make_course,
                                                      skill):
    make_course()
    again = client.post("/authoring/courses/new", data={
        "slug": "social-security", "title": "又一个", "skill": skill.id, "target_level": 1})
    assert again.status_code == 422 and "already exists" in again.get_data(as_text=True)
    bad_level = client.post("/authoring/courses/new", data={
        "slug": "other", "title": "T", "skill": skill.id, "target_level": 5})
    assert bad_level.status_code == 422
    bad_skill = client.post("/authoring/courses/new", data={
        "slug": "other", "title": "T", "skill": 9999, "target_level": 1})
    assert bad_skill.status_code == 422
    assert len(db.session.scalars(select(Course)).all()) == 1


def test_course_settings_are_saved_and_mark_the_draft(client, db, instructor, make_course,
                                                     skill):
    make_course()
    response = client.post("/authoring/courses/social-security/settings", data={
        "title": "社保业务（新）", "skill": skill.id, "target_level": 3, "summary": ""})
    assert response.status_code == 302
    changed = course(db)
    assert changed.title == "社保业务（新）" and changed.target_level == 3
    assert changed.summary is None and changed.draft_changed_at is not None


# ---------------------------------------------------------------- modules and lessons


def test_modules_add_rename_reorder_delete(client, db, instructor, make_course):
    make_course()
    for title in ("参保登记", "社保卡", "待遇领取"):
        assert add_module(client, title).status_code == 302
    assert module_titles(db) == ["参保登记", "社保卡", "待遇领取"]
    modules = sorted(course(db).modules, key=lambda m: m.position)
    assert [m.slug for m in modules] == ["module-1", "module-2", "module-3"]
    first, second, third = (m.id for m in modules)

    client.post(f"/authoring/courses/social-security/modules/{third}/move",
                data={"direction": "up"})
    assert module_titles(db) == ["参保登记", "待遇领取", "社保卡"]
    client.post(f"/authoring/courses/social-security/modules/{first}/move",
                data={"direction": "up"})  # already first: nothing moves
    assert module_titles(db) == ["参保登记", "待遇领取", "社保卡"]
    client.post(f"/authoring/courses/social-security/modules/{first}/move",
                data={"direction": "down"})
    assert module_titles(db) == ["待遇领取", "参保登记", "社保卡"]
    assert client.post(f"/authoring/courses/social-security/modules/{first}/move",
                       data={"direction": "sideways"}).status_code == 302
    assert module_titles(db) == ["待遇领取", "参保登记", "社保卡"]

    client.post(f"/authoring/courses/social-security/modules/{second}",
                data={"title": "社保卡业务", "summary": "申领与挂失"})
    assert "社保卡业务" in module_titles(db)

    client.post(f"/authoring/courses/social-security/modules/{third}/delete")
    assert module_titles(db) == ["参保登记", "社保卡业务"]
    assert [m.position for m in sorted(course(db).modules, key=lambda m: m.position)] == [1, 2]

    # A slug given by hand must be valid and unique within the course.
    assert add_module(client, "重复", "module-1").status_code == 302
    assert add_module(client, "坏", "Bad Slug").status_code == 302
    assert len(course(db).modules) == 2


def test_lessons_add_edit_reorder_delete_and_move(client, db, instructor, make_course):
    make_course()
    add_module(client, "参保登记", "enrolment")
    add_module(client, "社保卡", "card")
    enrolment, card = sorted(course(db).modules, key=lambda m: m.position)
    response = add_lesson(client, enrolment.id, "这是什么业务", "what-it-is")
    lesson_id = int(response.headers["Location"].rsplit("/", 1)[1])
    add_lesson(client, enrolment.id, "谁可以办理")
    add_lesson(client, enrolment.id, "所需材料")
    add_lesson(client, card.id, "申领", "what-it-is")  # same slug, other module: fine

    page = client.get(f"/authoring/courses/social-security/lessons/{lesson_id}")
    assert page.status_code == 200 and 'id="lesson-preview"' in page.get_data(as_text=True)
    saved = client.post(f"/authoring/courses/social-security/lessons/{lesson_id}",
                        data={"title": "业务简介", "body_md": "# 简介\r\n\r\n城乡居民养老保险"})
    assert saved.status_code == 302
    lesson = db.session.get(Lesson, lesson_id)
    assert lesson.title == "业务简介" and lesson.body_md == "# 简介\n\n城乡居民养老保险"
    unchanged = client.post(f"/authoring/courses/social-security/lessons/{lesson_id}",
                            data={"title": "业务简介", "body_md": "# 简介\n\n城乡居民养老保险"},
                            follow_redirects=True)
    assert "No changes to save" in flashes(unchanged)
    empty_title = client.post(f"/authoring/courses/social-security/lessons/{lesson_id}",
                              data={"title": "", "body_md": "x"})
    assert empty_title.status_code == 422

    def titles(module_id):
        db.session.expire_all()
        return [x.title for x in sorted(db.session.get(Module, module_id).lessons,
                                        key=lambda x: x.position)]

    assert titles(enrolment.id) == ["业务简介", "谁可以办理", "所需材料"]
    client.post(f"/authoring/courses/social-security/lessons/{lesson_id}/move",
                data={"direction": "down"})
    assert titles(enrolment.id) == ["谁可以办理", "业务简介", "所需材料"]

    # Moving into a module that already uses the slug gives it a free one.
    moved = client.post(f"/authoring/courses/social-security/lessons/{lesson_id}/module",
                        data={"module": card.id}, follow_redirects=True)
    assert "what-it-is-2" in flashes(moved)
    assert titles(enrolment.id) == ["谁可以办理", "所需材料"]
    assert titles(card.id) == ["申领", "业务简介"]
    assert sorted(x.slug for x in db.session.get(Module, card.id).lessons) == [
        "what-it-is", "what-it-is-2"]
    assert [x.position for x in sorted(db.session.get(Module, enrolment.id).lessons,
                                       key=lambda x: x.position)] == [1, 2]

    client.post(f"/authoring/courses/social-security/lessons/{lesson_id}/delete")
    assert titles(card.id) == ["申领"] and db.session.get(Lesson, lesson_id) is None


def test_other_courses_objects_are_not_reachable(client, db, instructor, make_course):
    make_course()
    make_course("housing-fund", "住房公积金")
    client.post("/authoring/courses/housing-fund/modules", data={"title": "缴存"})
    foreign = course(db, "housing-fund").modules[0]
    response = client.post(f"/authoring/courses/social-security/modules/{foreign.id}/delete")
    assert response.status_code == 404
    assert client.get("/authoring/courses/nope").status_code == 404
    assert course(db, "housing-fund").modules


# ---------------------------------------------------------------- preview and XSS


XSS = """# 标题

<script>alert(1)</script>
<img src=x onerror="alert(2)">
<a href="#" onclick="alert(3)">点我</a>
<iframe src="https://evil.example/"></iframe>

[链接](javascript:alert(4))
[另一个](JAVASCRIPT:alert(5))
![图](javascript:alert(6))
![远程](https://evil.example/x.png)
"""


class _Elements(HTMLParser):
    """Every start tag of an HTML fragment with its attributes, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


def assert_neutralised(html: str) -> None:
    """No script or frame element, no event handler, no javascript: URL, no remote image."""
    elements = _Elements(html).elements
    assert elements, html
    for tag, attrs in elements:
        assert tag not in {"script", "iframe", "object", "embed", "style"}, html
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            value = attrs.get(name, "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "http:", "https:", "//")) \
                or (name == "href" and value.startswith("http")), (tag, attrs)


def test_preview_renders_sanitised_html(client, instructor):
    response = client.post("/authoring/preview", json={"markdown": XSS})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<h1>标题</h1>" in html
    assert_neutralised(html)
    # Raw HTML shows as text, never as markup.
    assert "&lt;script&gt;" in html


def test_preview_requires_instructor_and_csrf(app, client, orgs, login_as):
    anonymous = client.post("/authoring/preview", json={"markdown": "x"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for role in ("trainee", "assessor"):
        login_as(roles=(role,), unit=orgs["S1"])
        assert client.post("/authoring/preview", json={"markdown": "x"}).status_code == 403
        client.post("/logout")
    login_as(roles=("admin",), unit=orgs["D"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/authoring/preview", json={"markdown": "**x**"})
        assert refused.status_code == 400
        page = client.get("/authoring/").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        accepted = client.post("/authoring/preview", json={"markdown": "**x**"},
                               headers={"X-CSRFToken": token})
        assert accepted.status_code == 200
        assert accepted.get_json() == {"html": "<p><strong>x</strong></p>\n"}
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_preview_refuses_bad_input(client, instructor):
    assert client.post("/authoring/preview", data="not json").status_code == 400
    assert client.post("/authoring/preview", json={"markdown": 5}).status_code == 400
    assert client.post("/authoring/preview", json={"markdown": "x" * 200_001}).status_code == 413
    missing = client.post("/authoring/preview", json={"markdown": "x", "course": "nope"})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_published_version_view_neutralises_xss(client, db, instructor, make_course):
    make_course()
    add_module(client, "模块")
    module = course(db).modules[0]
    lesson_id = int(add_lesson(client, module.id, "危险").headers["Location"].rsplit("/", 1)[1])
    client.post(f"/authoring/courses/social-security/lessons/{lesson_id}",
                data={"title": "<script>alert('t')</script>", "body_md": XSS})
    editor = client.get(f"/authoring/courses/social-security/lessons/{lesson_id}")
    assert_neutralised(editor.get_data(as_text=True).split('data-testid="lesson-preview">')[1]
                       .split("</div>")[0])
    client.post("/authoring/courses/social-security/publish", data={"note": "首版"})
    page = client.get("/authoring/courses/social-security/versions/1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    body = html.split('data-testid="version-lesson"')[1]
    assert_neutralised(body.split("</article>")[0])
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in body  # the title, escaped


# ---------------------------------------------------------------- images


def test_png_upload_is_stored_under_a_generated_name_and_served(client, db, instructor,
                                                                make_course):
    make_course()
    data = png_bytes()
    response = upload(client, data, "我的 流程图.png")
    assert response.status_code == 302
    asset = db.session.scalar(select(CourseAsset))
    digest = hashlib.sha256(data).hexdigest()
    assert asset.name == digest[:16] + ".png" and asset.sha256 == digest
    assert "流程图" not in asset.name and asset.mime == "image/png" and asset.data == data
    assert course(db).draft_changed_at is not None

    page = client.get("/authoring/courses/social-security/images").get_data(as_text=True)
    assert f"![Description](images/{asset.name})" in page

    served = client.get(f"/authoring/courses/social-security/images/{asset.name}")
    assert served.status_code == 200 and served.data == data
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/authoring/courses/social-security/images/x.png").status_code == 404

    # The same image again is stored once; as JSON (the editor's upload) it answers 201.
    again = upload(client, data, "copy.png", Accept="application/json")
    assert again.status_code == 201
    assert again.get_json()["snippet"] == f"![Description](images/{asset.name})"
    assert len(db.session.scalars(select(CourseAsset)).all()) == 1

    # The preview resolves the reference to the editors' route; unknown images are dropped.
    preview = client.post("/authoring/preview", json={
        "course": "social-security",
        "markdown": f"![图](images/{asset.name})\n\n![旧](../images/{asset.name})\n\n"
                    "![无](images/missing.png)"}).get_json()["html"]
    url = f"/authoring/courses/social-security/images/{asset.name}"
    assert preview.count(f'src="{url}"') == 2 and "missing.png" not in preview


@pytest.mark.parametrize("data,filename", [
    (b"just some text, not an image\n", "notes.png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "logo.svg"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "logo.png"),
    (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, "fake.png"),  # right magic, bad body
    (b"GIF89a<script>alert(1)</script>", "polyglot.gif"),
    (b"", "empty.png"),
])
def test_non_images_are_refused(client, db, instructor, make_course, data, filename):
    make_course()
    response = upload(client, data, filename, Accept="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert db.session.scalar(select(CourseAsset)) is None


def test_oversize_image_is_refused(client, db, instructor, make_course):
    make_course()
    too_big = png_bytes() + b"\0" * (5 * 1024 * 1024)
    response = upload(client, too_big, "big.png", follow_redirects=True)
    assert "larger than 5 MB" in flashes(response)
    assert db.session.scalar(select(CourseAsset)) is None


@pytest.mark.parametrize("fmt,mime", [("JPEG", "image/jpeg"), ("GIF", "image/gif"),
                                      ("WEBP", "image/webp")])
def test_other_image_types_are_accepted(client, db, instructor, make_course, fmt, mime):
    make_course()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buffer, format=fmt)
    assert upload(client, buffer.getvalue(), "x.bin").status_code == 302
    asset = db.session.scalar(select(CourseAsset))
    assert asset.mime == mime and asset.name.endswith({"JPEG": ".jpg", "GIF": ".gif",
                                                       "WEBP": ".webp"}[fmt])


# ---------------------------------------------------------------- publishing


def test_publish_versions_only_when_something_changed(client, db, instructor, make_course):
    make_course()
    add_module(client, "参保登记", "enrolment")
    module = course(db).modules[0]
    lesson_id = int(add_lesson(client, module.id, "这是什么业务", "what-it-is")
                    .headers["Location"].rsplit("/", 1)[1])
    client.post(f"/authoring/courses/social-security/lessons/{lesson_id}",
                data={"title": "这是什么业务", "body_md": "城乡居民养老保险。"})
    upload(client, png_bytes(), "a.png")

    refused = client.post("/authoring/courses/social-security/publish", data={"note": "  "},
                          follow_redirects=True)
    assert db.session.scalar(select(CourseVersion)) is None and flashes(refused)

    first = client.post("/authoring/courses/social-security/publish", data={"note": "首版"},
                        follow_redirects=True)
    assert "Published version 1" in flashes(first)
    published = course(db)
    assert published.draft_changed_at is None
    v1 = published.versions[0]
    assert v1.number == 1 and v1.note == "首版" and v1.published_by_id == instructor.id
    snapshot = v1.snapshot
    assert snapshot["title"] == "社会保险业务" and snapshot["skill"] == "SOCIAL_SECURITY"
    assert snapshot["modules"][0]["slug"] == "enrolment"
    assert snapshot["modules"][0]["lessons"] == [
        {"slug": "what-it-is", "title": "这是什么业务", "body_md": "城乡居民养老保险。"}]
    assert list(snapshot["assets"].values()) == [published.assets[0].sha256]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.publish"))

    same = client.post("/authoring/courses/social-security/publish", data={"note": "再来"},
                       follow_redirects=True)
    assert "Nothing changed" in flashes(same)
    assert [v.number for v in course(db).versions] == [1]

    # A save that changes nothing leaves the draft clean; a real change marks it.
    client.post(f"/authoring/courses/social-security/lessons/{lesson_id}",
                data={"title": "这是什么业务", "body_md": "城乡居民养老保险。"})
    assert course(db).draft_changed_at is None
    client.post(f"/authoring/courses/social-security/lessons/{lesson_id}",
                data={"title": "这是什么业务", "body_md": "城乡居民基本养老保险。"})
    assert course(db).draft_changed_at is not None
    listing = client.get("/authoring/").get_data(as_text=True)
    assert "Version 1" in listing and "Unpublished changes" in listing

    second = client.post("/authoring/courses/social-security/publish",
                         data={"note": "措辞修订"}, follow_redirects=True)
    assert "Published version 2" in flashes(second)
    assert [v.number for v in course(db).versions] == [2, 1]
    assert course(db).versions[1].snapshot["modules"][0]["lessons"][0]["body_md"] == \
        "城乡居民养老保险。"  # version 1 is untouched

    history = client.get("/authoring/courses/social-security/versions").get_data(as_text=True)
    assert "措辞修订" in history and "首版" in history and instructor.display_name in history
    old = client.get("/authoring/courses/social-security/versions/1").get_data(as_text=True)
    assert "城乡居民养老保险。" in old and "基本" not in old
    assert client.get("/authoring/courses/social-security/versions/3").status_code == 404


def test_every_draft_edit_marks_the_course_changed(client, db, instructor, make_course):
    make_course()
    client.post("/authoring/courses/social-security/publish", data={"note": "空课程"})
    assert course(db).draft_changed_at is None
    steps = [
        lambda: add_module(client, "一"),
        lambda: add_module(client, "二"),
        lambda: client.post(f"/authoring/courses/social-security/modules/{mid(1)}/move",
                            data={"direction": "down"}),
        lambda: client.post(f"/authoring/courses/social-security/modules/{mid(1)}",
                            data={"title": "一（改）"}),
        lambda: add_lesson(client, mid(1), "课"),
        lambda: client.post(f"/authoring/courses/social-security/modules/{mid(2)}/delete"),
        lambda: upload(client, png_bytes(color=(1, 2, 3)), "p.png"),
    ]

    def mid(position):
        return sorted(course(db).modules, key=lambda m: m.position)[position - 1].id

    for step in steps:
        assert step().status_code == 302
        assert course(db).draft_changed_at is not None
        client.post("/authoring/courses/social-security/publish", data={"note": "n"})
        assert course(db).draft_changed_at is None


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("role", ["trainee", "assessor"])
def test_trainees_and_assessors_are_refused(client, db, orgs, login_as, skill, role):
    login_as(roles=(role,), unit=orgs["S1"])
    assert client.get("/authoring/").status_code == 403
    response = client.post("/authoring/courses/new", data={
        "slug": "x", "title": "x", "skill": skill.id, "target_level": 1})
    assert response.status_code == 403
    assert db.session.scalar(select(Course)) is None


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/authoring/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_may_author_and_sees_the_nav_entry(client, orgs, login_as, make_course):
    login_as(roles=("admin",), unit=orgs["V2"])  # courses are district-wide
    make_course()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/authoring/"' in home and "Authoring" in home
    assert client.get("/authoring/courses/social-security").status_code == 200


def test_trainee_has_no_authoring_nav_entry(client, orgs, login_as):
    login_as(roles=("trainee",), unit=orgs["S1"])
    assert 'href="/authoring/"' not in client.get("/").get_data(as_text=True)
