"""A new clerk on a phone: My learning → continue → read → mark done → the bar moves."""

from __future__ import annotations

import pytest

from academy.extensions import db
from academy.learning import services
from tests.conftest import PASSWORD
from tests.learning_factories import make_path, publish_course

pytestmark = pytest.mark.e2e


def test_trainee_continues_a_path_on_a_phone(phone_page, orgs, make_worker, make_user):
    course = publish_course("etiquette")
    make_path("ONBOARD", [(course, "reception"), (course, "closing")], title="新入职岗前培训",
              rules=[{"name": "新人", "criteria": {"employment_type": "contract"}}])
    db.session.commit()
    worker = make_worker(orgs["V1"], name="王小丽")
    make_user("wang.xl", unit=orgs["V1"], worker=worker)
    services.apply_rules()
    db.session.commit()

    page = phone_page
    page.goto("/login")
    page.get_by_label("用户名").fill("wang.xl")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    card = page.get_by_test_id("path-card")
    assert "新入职岗前培训" in card.inner_text()
    assert page.get_by_test_id("progress").first.get_attribute("aria-valuenow") == "0"

    page.get_by_test_id("continue").click()
    assert page.get_by_role("heading", name="微笑与问候").is_visible()
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.lesson-body')).fontSize)")
    assert size >= 18, "lesson text is big enough to read on a phone"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path="test-results/e2e-phone-lesson.png", full_page=True)

    page.get_by_role("button", name="Mark as done").or_(
        page.locator("form[action*='/done'] button")).first.click()
    assert page.get_by_role("heading", name="一次性告知").is_visible()
    page.goto("/learning")
    assert page.get_by_test_id("progress").first.get_attribute("aria-valuenow") == "33"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path="test-results/e2e-phone-my-learning.png", full_page=True)
