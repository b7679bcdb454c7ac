"""A trainee takes a timed quiz on a phone: answers, reloads, loses the connection, submits
and sees the review (Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from academy.extensions import db
from academy.quizzes.models import AttemptSlot, QuizAttempt
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE
from tests.quiz_packages import QUIZ, import_quiz_course

pytestmark = pytest.mark.e2e

ALL = QUIZ.replace("count: 4", "count: 6")  # every question but the essay, 20 minutes


@pytest.fixture
def english_phone_page(browser, live_server):
    """A phone whose own language is English (the site itself is in Chinese)."""
    context = browser.new_context(base_url=live_server, locale="en-US", viewport=PHONE,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_timed_quiz_on_a_phone_survives_reload_and_lost_connection(english_phone_page, orgs,
                                                                    make_worker, make_user):
    page = english_phone_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    quiz = import_quiz_course(ALL)
    make_user("clerk.li", unit=orgs["V1"], worker=make_worker(orgs["V1"], name="李窗口"))
    page.goto("/login")
    page.get_by_label("用户名").fill("clerk.li")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.goto(f"/quizzes/{quiz.id}")
    expect(page.get_by_test_id("quiz-facts")).to_contain_text("限时 20 分钟")
    page.get_by_test_id("quiz-start").click()
    expect(page.get_by_test_id("quiz-timer")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))

    # Answer the true/false and the short-answer questions.
    truefalse = page.locator('fieldset[data-type="truefalse"]')
    truefalse.get_by_text("对", exact=True).click()
    short = page.locator('fieldset[data-type="shortanswer"] input[type="text"]')
    short.fill("社会保障卡")
    # Saved at a 24-hour time in the page's language (not "10:53:13 AM" from the browser's).
    expect(page.get_by_test_id("quiz-status")).to_have_text(
        re.compile(r"已于 \d{1,2}:\d{2}:\d{2} 保存"), timeout=10_000)
    page.wait_for_timeout(1500)  # let the debounced short answer go out
    expect(page.get_by_test_id("quiz-status")).to_contain_text("已于")

    page.reload()
    expect(truefalse.locator('input[value="true"]')).to_be_checked()
    expect(short).to_have_value("社会保障卡")

    # No connection: the answer waits on the phone with a visible banner, then goes out.
    page.context.set_offline(True)
    page.locator('fieldset[data-type="numerical"] input[type="text"]').fill("3")
    expect(page.get_by_test_id("quiz-unsaved")).to_be_visible(timeout=10_000)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id("quiz-unsaved")).to_be_hidden(timeout=10_000)
    db.session.expire_all()
    numerical = db.session.query(AttemptSlot).join(QuizAttempt).filter(
        AttemptSlot.presented["type"].as_string() == "numerical").one()
    assert numerical.response == "3"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("quiz-submit").click()
    expect(page.get_by_test_id("quiz-result")).to_be_visible()
    expect(page.get_by_test_id("quiz-score")).to_have_text(re.compile(r"\d+(\.\d)?%"))
    expect(page.get_by_test_id("review-1")).to_be_visible()
    db.session.expire_all()
    attempt = db.session.query(QuizAttempt).one()
    assert attempt.state == "finished" and attempt.score >= 3.0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    assert not errors, errors
