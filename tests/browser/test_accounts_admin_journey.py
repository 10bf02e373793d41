"""The account-management journey: the city administrator opens a district reviewer's account,
the reviewer follows the set-password link of the e-mail and logs in; the administrators of a
cohort in bulk; an institution administrator opens a filer's account; and the log-in page's
warning before the lock-out."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from playwright.sync_api import expect

from institutions.enums import Role
from institutions.models import User
from tests.conftest import PASSWORD
from tests.factories import CycleFactory, InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Yunlong-lake-2026"


def _open_user_menu(page) -> None:
    page.get_by_test_id("user-menu").click()
    expect(page.locator(".dropdown-menu.show")).to_be_visible()


def test_city_admin_opens_reviewer_account_and_reviewer_sets_password(
        page, live_server, users, login, shot, settings):
    # The e-mailed link points at the site the test serves.
    settings.SITE_URL = live_server.url
    login(page, "city", PASSWORD)
    _open_user_menu(page)
    shot(page, "accounts-01-user-menu")
    page.get_by_test_id("nav-accounts").click()
    expect(page.locator("main h1")).to_have_text(re.compile("账号管理|Accounts"))
    expect(page.get_by_test_id("account-table")).to_contain_text("instadmin")
    shot(page, "accounts-02-list")

    page.get_by_test_id("account-create-link").click()
    page.fill("#id_username", "gulou_chen")
    page.fill("#id_full_name", "陈审核")
    page.fill("#id_email", "chen@example.cn")
    page.fill("#id_phone", "0516-83830000")
    page.select_option("#id_role", Role.DISTRICT_REVIEWER)
    page.select_option("#id_district", label="鼓楼区")
    shot(page, "accounts-03-create-form")
    page.click("main form button[type=submit]")

    expect(page.locator(".alert-success")).to_contain_text("chen@example.cn")
    expect(page.get_by_test_id("account-role")).to_have_text("地区科技部门审核员")
    expect(page.get_by_test_id("password-pending")).to_be_visible()
    shot(page, "accounts-04-created")

    _open_user_menu(page)
    page.locator(".dropdown-menu.show").get_by_role(
        "button", name=re.compile("退出登录|Log out")).click()
    expect(page.get_by_test_id("logged-out")).to_be_visible()

    # The reviewer's mailbox.
    assert [m.to for m in mail.outbox] == [["chen@example.cn"]]
    link = re.search(rf"{re.escape(live_server.url)}/accounts/reset/\S+/",
                     mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.locator("main h1")).to_have_text(re.compile("设置新密码|Set a new password"))
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    shot(page, "accounts-05-set-password")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "accounts-06-password-set")

    login(page, "gulou_chen", NEW_PASSWORD)
    expect(page.get_by_test_id("user-menu")).to_contain_text("陈审核")
    shot(page, "accounts-07-reviewer-home")
    reviewer = User.objects.get(username="gulou_chen")
    assert (reviewer.district.name, reviewer.last_login is not None) == ("鼓楼区", True)

    # The link worked once.
    page.goto(link)
    expect(page.locator(".alert-warning")).to_be_visible()


def test_login_page_warns_before_the_last_attempt(page, live_server, users, login, shot):
    for attempt in range(1, django_settings.AXES_FAILURE_LIMIT - 1):
        login(page, "expert", f"wrong-password-{attempt}")
        expect(page.get_by_test_id("last-attempt-warning")).to_have_count(0)
    login(page, "expert", "wrong-password-last-but-one")
    expect(page.get_by_test_id("last-attempt-warning")).to_contain_text("还剩最后一次机会")
    shot(page, "accounts-08-last-attempt-warning")


def test_city_admin_creates_a_cohorts_administrators(page, live_server, users, login, shot,
                                                     default_policy, gulou):
    filed = dt.date(2022, 4, 1)
    InstitutionFactory(name="徐州鼓楼智能制造研究院", district=gulou, filing_date=filed,
                       contact_email="zhizao@example.cn")
    InstitutionFactory(name="徐州鼓楼新材料研究院", district=gulou, filing_date=filed,
                       contact_email="")
    CycleFactory(year=2026, policy_version=default_policy)
    login(page, "city", PASSWORD)
    page.goto(f"{live_server.url}/registry/accounts/")
    page.get_by_role("link", name=re.compile("批量开通单位管理员|Administrators for a cohort")) \
        .click()
    page.locator("[data-testid=cohort-filter] button[type=submit]").click()
    expect(page.get_by_test_id("count-to-create")).to_have_text("1")
    expect(page.get_by_test_id("plan-without-email")).to_contain_text("徐州鼓楼新材料研究院")
    shot(page, "accounts-09-cohort-preview")

    page.check("#id_confirm")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("bulk-create-button").click()
    expect(page.locator(".messages .alert-success")).to_have_text(
        re.compile("已开通1个单位管理员账号并发送设置密码的邮件；跳过1家机构。"))
    expect(page.get_by_test_id("plan-done")).to_be_visible()
    expect(page.get_by_test_id("plan-with-admin")).to_contain_text("徐州鼓楼智能制造研究院")
    shot(page, "accounts-10-cohort-created")
    with page.expect_download() as download:
        page.get_by_test_id("logins-export-link").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert [m.to for m in mail.outbox] == [["zhizao@example.cn"]]


def test_institution_admin_opens_a_filer_account(page, live_server, users, login, shot):
    login(page, "instadmin", PASSWORD)
    _open_user_menu(page)
    page.get_by_test_id("nav-accounts").click()
    expect(page.get_by_test_id("account-table")).to_contain_text("filer")
    expect(page.get_by_test_id("account-table")).not_to_contain_text("filer2")
    shot(page, "accounts-11-institution-list")
    page.get_by_test_id("account-create-link").click()
    page.fill("#id_username", "filer_zhou")
    page.fill("#id_full_name", "周填报")
    page.fill("#id_email", "zhou@example.cn")
    page.click("main form button[type=submit]")
    expect(page.get_by_test_id("account-role")).to_have_text("新型研发机构填报人")
    shot(page, "accounts-12-institution-filer-created")
    assert User.objects.get(username="filer_zhou").institution == users["institution_admin"] \
        .institution
