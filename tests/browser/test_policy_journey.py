"""Policy versions (R13): the city administrator writes them; a cycle freezes the one it uses."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.models import PolicyVersion
from tests.conftest import PASSWORD
from tests.factories import CycleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "2027年修订参数"
# By address, not by text: a missing link must not pass because its text changed.
NEW_LINK = "main a[href='/policy/new/']"
EDIT_LINK = "main a[href$='/edit/']"


def test_city_admin_creates_edits_and_a_cycle_freezes_a_version(page, live_server, users,
                                                               default_policy, login, shot):
    effective = timezone.localdate() + dt.timedelta(days=365)
    login(page, "city", PASSWORD)
    page.get_by_role("link", name=re.compile("^(政策版本|Policy versions)$")).first.click()
    expect(page.get_by_test_id("policy-table")).to_contain_text(default_policy.name)
    shot(page, "policy-01-list")

    page.locator(NEW_LINK).click()
    # The form starts from the version in force.
    expect(page.locator("#id_top_tier_cap")).to_have_value("30")
    page.fill("#id_name", NAME)
    page.fill("#id_document_number", "徐科发〔2027〕3号")
    page.fill("#id_effective_date", effective.isoformat())
    page.fill("#id_top_tier_cap", "25")
    page.fill("#id_spot_check_share", "5")
    shot(page, "policy-02-create-form")
    page.locator("main form button[type=submit]").click()

    expect(page.locator("h1")).to_have_text(NAME)
    expect(page.locator(".alert-success")).to_contain_text(NAME)
    shot(page, "policy-03-detail")
    version = PolicyVersion.objects.get(name=NAME)
    assert (version.effective_date, version.top_tier_cap, version.spot_check_share,
            version.excellent_share) == (effective, 25, 5, default_policy.excellent_share)

    page.get_by_role("link", name=re.compile("^(政策版本|Policy versions)$")).first.click()
    row = page.get_by_test_id("policy-table").locator("tr", has_text=NAME)
    expect(row).to_contain_text(effective.strftime("%Y-%m-%d"))
    row.get_by_role("link", name=NAME).click()

    page.locator(EDIT_LINK).click()
    page.fill("#id_notes", "集中抽查比例提高至 5%。")
    shot(page, "policy-04-edit-form")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_have_text(re.compile("修改已保存|changes were saved"))
    expect(page.locator("main dl")).to_contain_text("集中抽查比例提高至 5%。")
    version.refresh_from_db()
    assert version.notes == "集中抽查比例提高至 5%。"

    CycleFactory(year=effective.year, policy_version=version)
    page.reload()
    expect(page.locator("h1")).to_have_text(NAME)
    expect(page.locator(EDIT_LINK)).to_have_count(0)
    expect(page.locator("main")).to_contain_text(re.compile("只读|read-only"))
    shot(page, "policy-05-read-only")

    page.goto(f"{live_server.url}/policy/{version.pk}/edit/")
    expect(page).to_have_url(f"{live_server.url}/policy/{version.pk}/")
    expect(page.locator(".alert-danger")).to_contain_text(re.compile("不能再修改|no longer be"))
    shot(page, "policy-06-edit-refused")


def test_panel_organiser_sees_versions_read_only(page, live_server, users, default_policy, login,
                                                 shot):
    login(page, "organiser", PASSWORD)
    page.get_by_role("link", name=re.compile("^(政策版本|Policy versions)$")).first.click()
    expect(page.get_by_test_id("policy-table")).to_contain_text(default_policy.name)
    expect(page.locator(NEW_LINK)).to_have_count(0)
    shot(page, "policy-07-organiser-list")

    page.get_by_role("link", name=default_policy.name).click()
    expect(page.locator("h1")).to_have_text(default_policy.name)
    expect(page.locator(EDIT_LINK)).to_have_count(0)
    shot(page, "policy-08-organiser-detail")
    assert page.request.get(f"{live_server.url}/policy/new/").status == 403
    assert page.request.get(f"{live_server.url}/policy/{default_policy.pk}/edit/").status == 403
