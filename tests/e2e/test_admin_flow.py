"""An administrator organises the district and manages an account, in Chinese, in Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_admin_creates_unit_and_account_then_user_signs_in_on_phone(page, phone_page, orgs,
                                                                    make_user):
    make_user("district.admin", roles=("admin",), unit=orgs["D"])
    sign_in(page, "district.admin")
    page.get_by_role("button", name="管理").click()
    page.get_by_role("link", name="组织架构").first.click()
    page.get_by_role("button", name="新建单位").click()
    page.get_by_label("编码").fill("V7")
    page.get_by_label("名称").fill("滨河社区")
    page.get_by_label("层级").select_option("village")
    page.get_by_label("上级单位").select_option("S1")
    page.get_by_role("button", name="创建").click()
    assert page.get_by_text("滨河社区").first.is_visible()
    page.screenshot(path="test-results/e2e-units.png", full_page=True)

    page.get_by_role("button", name="管理").click()
    page.get_by_role("link", name="账号").first.click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill("li.ming")
    page.get_by_label("显示名称").fill("李明")
    page.get_by_label("所属单位").select_option("V7")
    page.get_by_label("学员").check()
    page.get_by_label("初始密码").fill("password1")  # too common: refused
    page.get_by_role("button", name="创建").click()
    assert page.get_by_text("过于常见").is_visible()
    page.get_by_label("初始密码").fill("Binhe-Window-2026")
    page.get_by_role("button", name="创建").click()
    assert page.get_by_role("heading", name="李明").is_visible()

    sign_in(phone_page, "li.ming", "Binhe-Window-2026")
    assert phone_page.get_by_role("heading", name="欢迎，李明").is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page must not scroll sideways on a phone"
    phone_page.screenshot(path="test-results/e2e-phone-home.png", full_page=True)
