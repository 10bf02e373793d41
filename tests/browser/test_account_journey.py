"""The account journey: change the password and log out from the user menu, the lock-out after
repeated failures (django-axes), and the language switch of the navigation bar."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Pengcheng-road-2718"


def _open_user_menu(page) -> None:
    page.get_by_test_id("user-menu").click()
    expect(page.locator(".dropdown-menu.show")).to_be_visible()


def test_user_changes_password_logs_out_and_logs_in_again(page, live_server, users, login,
                                                          shot):
    login(page, "gulou", PASSWORD)
    expect(page.get_by_test_id("user-menu")).to_contain_text("gulou")
    _open_user_menu(page)
    shot(page, "account-01-user-menu")
    page.locator(".dropdown-menu.show").get_by_role(
        "link", name=re.compile("修改密码|Change password")).click()

    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    shot(page, "account-02-password-form")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_have_text(
        re.compile("密码已修改|password was changed"))
    shot(page, "account-03-password-changed")

    _open_user_menu(page)
    page.locator(".dropdown-menu.show").get_by_role(
        "button", name=re.compile("退出登录|Log out")).click()
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    expect(page.get_by_test_id("logged-out")).to_be_visible()
    shot(page, "account-04-logged-out")

    login(page, "gulou", PASSWORD)
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    expect(page.locator("main form .alert-danger")).to_be_visible()
    shot(page, "account-05-old-password-refused")
    login(page, "gulou", NEW_PASSWORD)
    expect(page.get_by_test_id("user-menu")).to_contain_text("gulou")


def test_five_wrong_passwords_lock_the_account(page, live_server, users, login, shot):
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(1, 5):
        login(page, "expert", f"wrong-password-{attempt}")
        expect(page.locator("input[name=password]")).to_be_visible()
    shot(page, "account-06-wrong-password")
    login(page, "expert", "wrong-password-5")
    expect(page.locator("main h1")).to_have_text(re.compile("登录失败次数过多|Too many"))
    expect(page.locator("input[name=password]")).to_have_count(0)
    shot(page, "account-07-locked-out")

    # Locked out: even the right password is refused.
    login(page, "expert", PASSWORD)
    expect(page.locator("main h1")).to_have_text(re.compile("登录失败次数过多|Too many"))
    expect(page.get_by_test_id("user-menu")).to_have_count(0)


def test_navbar_switches_the_language_and_back(page, live_server, users, login, shot):
    login(page, "city", PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    nav = page.get_by_role("navigation", name=re.compile("主导航|Main navigation"))
    expect(nav.get_by_role("link", name="备案名录")).to_be_visible()

    page.locator("button[name=language][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Registry", exact=True)).to_be_visible()
    shot(page, "account-08-english")

    page.locator("button[name=language][value=zh-hans]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(nav.get_by_role("link", name="备案名录")).to_be_visible()
    shot(page, "account-09-chinese")
