"""A trainee on a phone plays the example scenario to an ending and reads the report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.scenarios.models import ScenarioDef
from tests.conftest import PASSWORD
from tests.learning_factories import get_skill
from tests.scenario_factories import EXAMPLE_COURSE, WORST_PATH

pytestmark = pytest.mark.e2e

# A mixed path: a good start, then the phone brush-off, then back on track.
PATH = ["arrive-greet", "seat-welcome", "need-manual", "loss-both-hands", "materials-all",
        "form-help", "issue-handover", "farewell-closing"]


def test_trainee_plays_a_scenario_on_a_phone(app, phone_page, orgs, make_worker, make_user):
    get_skill("ETIQUETTE")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["academy", "courses", "sync", str(EXAMPLE_COURSE)])
    assert result.exit_code == 0, result.output
    scenario_id = db.session.scalar(select(ScenarioDef.id).where(
        ScenarioDef.slug == "elderly-no-smartphone"))
    worker = make_worker(orgs["V1"], name="王小丽")
    make_user("wang.xl", unit=orgs["V1"], worker=worker)

    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/login")
    page.get_by_label("用户名").fill("wang.xl")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # The lesson of the module links the practice.
    page.goto("/learning/service-etiquette/reception-steps/special-groups")
    page.get_by_test_id("scenario-practice").filter(has_text="王大爷").click()
    page.get_by_test_id("scenario-start").click()
    assert "姑娘，门口那个机器让我扫码" in page.get_by_test_id("scenario-chat").inner_text()

    for index, choice in enumerate(PATH):
        button = page.locator(f"button[name=choice][value='{choice}']")
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300, "big buttons to tap"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if index == 3:
            page.screenshot(path="test-results/e2e-phone-scenario-chat.png", full_page=True)
            page.reload()  # a reload resumes the same run, path and all
            assert page.locator(".scenario-clerk").count() == 3
            assert page.locator(f"button[name=choice][value='{choice}']").is_visible()
            button = page.locator(f"button[name=choice][value='{choice}']")
        button.click()

    report = page.get_by_test_id("scenario-report")
    assert report.is_visible()
    assert page.get_by_test_id("scenario-score").inner_text() == "100"
    assert page.get_by_test_id("scenario-bars").locator("rect").count() >= 8
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path="test-results/e2e-phone-scenario-report.png", full_page=True)

    # Play again, badly: the report names the taboo phrase and the better choice.
    page.locator("form[action$='/play'] button[type=submit]").last.click()
    for choice in WORST_PATH:
        page.locator(f"button[name=choice][value='{choice}']").click()
    assert page.get_by_test_id("scenario-flags").is_visible()
    assert page.get_by_test_id("scenario-mistake").count() == 2
    page.screenshot(path="test-results/e2e-phone-scenario-mistakes.png", full_page=True)
    assert not errors, errors
    assert scenario_id
