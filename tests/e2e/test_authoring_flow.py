"""An instructor writes a lesson with an image, watches the preview, and publishes (Chromium)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from academy.catalog.models import Skill
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def flow_chart_png() -> bytes:
    """A small picture of the reception steps: four boxes joined by arrows."""
    image = Image.new("RGB", (360, 80), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for i, color in enumerate([(31, 78, 140), (25, 135, 84), (255, 193, 7), (220, 53, 69)]):
        left = 10 + i * 90
        draw.rectangle([left, 20, left + 60, 60], fill=color)
        if i < 3:
            draw.line([left + 62, 40, left + 88, 40], fill=(0, 0, 0), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def etiquette_skill(db):
    skill = Skill(code="ETIQUETTE", name="服务礼仪", category="soft", level_descriptors={})
    db.session.add(skill)
    db.session.commit()
    return skill


def test_instructor_writes_lesson_with_image_and_publishes(page, phone_page, orgs, make_user,
                                                           etiquette_skill):
    make_user("teacher.liu", roles=("instructor",), unit=orgs["S1"])
    sign_in(page, "teacher.liu")
    page.get_by_role("button", name="教学").click()
    page.locator('nav a[href="/authoring/"]').click()

    page.locator("#new-course").click()
    page.locator("#slug").fill("reception-etiquette")
    page.locator("#title").fill("窗口接待礼仪")
    page.locator("#skill").select_option(str(etiquette_skill.id))
    page.locator("#target_level").select_option("2")
    page.locator("#create-course").click()
    expect(page.get_by_role("heading", name="窗口接待礼仪", level=1)).to_be_visible()

    page.locator("#new-module-title").fill("标准接待四步")
    page.locator("#add-module").click()
    module = page.get_by_test_id("module").filter(has_text="标准接待四步")
    module.get_by_test_id("new-lesson-title").fill("微笑与问候")
    module.get_by_test_id("add-lesson").click()

    # The lesson editor: type Markdown, the preview follows.
    source = page.locator("#body_md")
    preview = page.get_by_test_id("lesson-preview")
    source.fill("# 第一步：微笑\n\n"
                "群众走近窗口时，**起身微笑**，主动问候：“您好，请问办理什么业务？”\n")
    expect(preview.locator("h1")).to_have_text("第一步：微笑")
    expect(preview.locator("strong")).to_have_text("起身微笑")
    source.press("End")
    source.type("\n| 步骤 | 要点 |\n|---|---|\n| 微笑 | 目视对方 |\n")
    expect(preview.locator("table td").first).to_have_text("微笑")
    # Raw HTML typed into the lesson never becomes markup in the preview.
    source.press("End")
    source.type('\n<img src=x onerror="alert(1)">\n')
    expect(preview).to_contain_text('<img src=x onerror="alert(1)">')

    # Upload a picture without leaving the page: its Markdown lands in the text.
    page.locator("#image").set_input_files(
        files=[{"name": "接待流程.png", "mimeType": "image/png", "buffer": flow_chart_png()}])
    page.locator("#upload-image").click()
    expect(source).to_have_value(re.compile(r"!\[[^\]]*\]\(images/[0-9a-f]{16}\.png\)"))
    assert "接待流程" not in source.input_value()  # stored under a generated name
    picture = preview.locator("img")
    expect(picture).to_have_attribute(
        "src", re.compile(r"^/authoring/courses/reception-etiquette/images/[0-9a-f]{16}\.png$"))
    page.wait_for_function(
        "() => { const i = document.querySelector('#lesson-preview img');"
        " return i && i.complete && i.naturalWidth === 360; }")
    page.get_by_test_id("image-list").locator("img").first.wait_for()

    # Ctrl+S saves.
    with page.expect_navigation():
        source.press("Control+s")
    expect(source).to_have_value(re.compile(r"第一步：微笑[\s\S]*images/"))
    expect(page.locator("#save-state")).to_have_text("")
    page.screenshot(path="test-results/e2e-authoring-lesson.png", full_page=True)

    # Publish version 1 from the course editor.
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link",
                                                                 name="窗口接待礼仪").click()
    expect(page.get_by_test_id("unpublished-changes")).to_be_visible()
    page.locator("#note").fill("首次发布：标准接待四步")
    page.locator("#publish-button").click()
    expect(page.get_by_test_id("published-version")).to_contain_text("1")
    expect(page.get_by_test_id("unpublished-changes")).to_have_count(0)
    page.screenshot(path="test-results/e2e-authoring-published.png", full_page=True)

    # The published version shows the lesson with its picture, read-only.
    page.locator("#course-versions").click()
    page.get_by_test_id("version-list").get_by_role("link").first.click()
    lesson = page.get_by_test_id("version-lesson")
    expect(lesson.locator("h1")).to_have_text("第一步：微笑")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=version-lesson] img');"
        " return i && i.complete && i.naturalWidth === 360; }")

    # On a phone the editor stacks and does not scroll sideways.
    sign_in(phone_page, "teacher.liu")
    phone_page.goto(page.url.replace("/versions/1", ""))
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    phone_page.get_by_test_id("lesson").first.get_by_role("link").click()
    expect(phone_page.get_by_test_id("lesson-preview").locator("h1")).to_have_text(
        "第一步：微笑")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the lesson editor must not scroll sideways on a phone"
    phone_page.screenshot(path="test-results/e2e-authoring-phone.png", full_page=True)
