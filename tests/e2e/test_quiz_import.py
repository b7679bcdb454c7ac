"""An instructor imports a GIFT file with a mistake, sees its line, fixes it, imports (Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from academy.quizzes import services
from tests.conftest import PASSWORD
from tests.quiz_factories import GIFT_WITH_ERROR, make_bank

pytestmark = pytest.mark.e2e


def test_instructor_fixes_a_gift_file_and_imports_it(page, orgs, make_user, db, tmp_path):
    make_bank("SOCIAL-1")
    make_user("teacher.wang", roles=("instructor",), unit=orgs["S1"])
    page.goto("/login")
    page.get_by_label("用户名").fill("teacher.wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("button", name="教学").click()
    page.locator('nav a[href="/quizzes/banks"]').click()
    page.locator('a[href="/quizzes/banks/SOCIAL-1"]').click()
    page.locator("#import-questions").click()

    broken = tmp_path / "社保.gift"
    broken.write_text(GIFT_WITH_ERROR, encoding="utf-8")
    page.locator("#file").set_input_files(str(broken))
    page.locator("#check-file").click()
    expect(page.locator("#import-problems")).to_be_visible()
    expect(page.locator(".problem-place").first).to_have_text("9")
    expect(page.locator("#confirm-import")).to_have_count(0)

    fixed = tmp_path / "社保-改.gift"
    fixed.write_text(GIFT_WITH_ERROR.replace("\t对\n", "\t=对\n"), encoding="utf-8")
    page.locator("#file").set_input_files(str(fixed))
    page.locator("#check-file").click()
    expect(page.locator("#import-ok")).to_be_visible()
    page.locator("#confirm-import").click()

    expect(page.locator(".question-preview")).to_have_count(2)
    expect(page.get_by_text("第二题")).to_be_visible()
    db.session.expire_all()
    assert len(services.bank_questions(services.get_bank("SOCIAL-1"))) == 2


def test_after_importing_the_instructor_sees_the_statistics(page, orgs, make_user, make_worker,
                                                           db, tmp_path):
    """…then trainees take a quiz drawing from the bank and the statistics show it."""
    from academy.catalog.models import Course
    from academy.quizzes import attempting
    from academy.quizzes.models import Quiz
    from academy.quizzes.settings import DrawRule, QuizSettings
    from tests.learning_factories import publish_course

    bank = make_bank("SOCIAL-1")
    make_user("teacher.wang", roles=("instructor",), unit=orgs["S1"])
    page.goto("/login")
    page.get_by_label("用户名").fill("teacher.wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/quizzes/banks/SOCIAL-1")
    page.locator("#import-questions").click()
    fixed = tmp_path / "社保.gift"
    fixed.write_text(GIFT_WITH_ERROR.replace("\t对\n", "\t=对\n"), encoding="utf-8")
    page.locator("#file").set_input_files(str(fixed))
    page.locator("#check-file").click()
    page.locator("#confirm-import").click()
    expect(page.locator(".question-preview")).to_have_count(2)

    course = publish_course("stats-course", title="统计课程")
    settings = QuizSettings(slug="social-check", title="社保小测",
                            draw=(DrawRule(count=2, category="社保"),))
    quiz = Quiz(course_id=db.session.get(Course, course.id).id, bank_id=bank.id,
                slug="social-check", title="社保小测", source_file="quizzes/social.yaml",
                content_hash="1" * 64, definition={}, settings=settings.as_dict())
    db.session.add(quiz)
    db.session.commit()
    for _n in range(4):  # everybody answers the first question right, nobody the second
        trainee = make_user(unit=orgs["V1"], worker=make_worker(orgs["V1"]))
        attempt, _ = attempting.start_attempt(quiz, trainee)
        for slot in attempt.slots:
            pick = next(o["id"] for o in slot.presented["options"]
                        if o["text"] == ("对" if slot.question["name"] == "一" else "错"))
            attempting.save_response(attempt, slot.question_id, pick, 1)
        attempting.submit(attempt)
        db.session.commit()

    page.get_by_role("button", name="教学").click()
    page.locator('nav a[href="/quizzes/"]').click()
    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_test_id("stats-summary")).to_contain_text("4")
    expect(page.get_by_test_id("stats-flag")).to_have_count(2)  # everybody / nobody right
    expect(page.get_by_test_id("stats-questions")).to_contain_text("所有人都答对")
    expect(page.get_by_test_id("stats-questions")).to_contain_text("没有人答对")
