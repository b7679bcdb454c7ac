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
