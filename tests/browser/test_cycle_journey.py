"""The city administrator opens an evaluation cycle: creates it, plans self-evaluation, checks
and edits the indicator system, looks at the cohort (R1) and confirms the opening."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.enums import CycleStatus
from evaluations.models import Cycle, Indicator
from institutions.enums import FilingStatus
from tests.conftest import PASSWORD
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HELP = "以评价期末在职人数为准，持股比例以工商登记为准。"


def test_city_admin_creates_plans_and_opens_the_2025_cycle(page, live_server, users, gulou,
                                                          yunlong, default_policy, login, shot):
    # ``users`` brings two institutions filed in 2021 (in the 2025 cohort); add some left out.
    InstitutionFactory(district=gulou, name="鼓楼新近备案研究院", filing_date=dt.date(2024, 4, 1))
    InstitutionFactory(district=yunlong, name="云龙已放弃研究院", filing_date=dt.date(2021, 4, 1),
                       status=FilingStatus.ABANDONED)
    InstitutionFactory(district=yunlong, name="云龙二〇二三研究院", filing_date=dt.date(2023, 4, 1))
    today = timezone.localdate()
    closes = today + dt.timedelta(days=60)

    login(page, "city", PASSWORD)
    expect(page.get_by_test_id("current-cycle")).to_contain_text(
        re.compile("暂无评价周期|尚未创建评价周期|No evaluation cycle"))
    page.get_by_role("link", name=re.compile("^(评价周期|Evaluation cycles)$")).first.click()
    expect(page.get_by_test_id("cycle-table")).to_be_visible()
    page.get_by_test_id("cycle-create").click()
    page.fill("#id_year", "2025")
    shot(page, "cycle-01-create")
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_contain_text("2025")
    expect(page.get_by_test_id("cycle-status")).to_have_attribute("data-status", "draft")
    shot(page, "cycle-02-detail-draft")

    page.get_by_test_id("cycle-stages-link").click()
    page.fill("#id_self_evaluation_opens_on", today.isoformat())
    page.fill("#id_self_evaluation_closes_on", closes.isoformat())
    shot(page, "cycle-03-stage-dates")
    page.click("main form button[type=submit]")
    expect(page.locator("tr[data-stage=self_evaluation]")).to_contain_text(
        f"{today:%Y-%m-%d} – {closes:%Y-%m-%d}")

    page.get_by_test_id("cycle-indicators-link").click()
    expect(page.get_by_test_id("indicator-total")).to_have_text("100")
    expect(page.get_by_test_id("indicator-total-warning")).to_have_count(0)
    expect(page.get_by_test_id("category")).to_have_count(8)
    shot(page, "cycle-04-indicators")

    page.locator("[data-testid=indicator][data-code='1.1'] [data-testid=indicator-edit]").click()
    expect(page.locator("#id_points")).to_have_value("3.00")
    page.fill("#id_help_text", HELP)
    shot(page, "cycle-05-indicator-edit")
    page.click("main form button[type=submit]")
    expect(page.locator("[data-testid=indicator][data-code='1.1'] [data-testid=indicator-help]")) \
        .to_have_text(HELP)
    expect(page.get_by_test_id("indicator-total")).to_have_text("100")
    assert Indicator.objects.get(category__cycle__year=2025, code="1.1").help_text == HELP

    page.get_by_role("link", name="2025").first.click()
    page.get_by_test_id("cycle-transition-link").click()
    expect(page.get_by_test_id("cohort-summary")).to_contain_text("3")
    expect(page.get_by_test_id("cohort-by-district")).to_contain_text("鼓楼区")
    expect(page.get_by_test_id("cohort-by-district")).to_contain_text("云龙区")
    excluded = page.get_by_test_id("cohort-excluded")
    expect(excluded.locator("tr", has_text="鼓楼新近备案研究院")).to_contain_text(
        re.compile("奇偶|parity"))
    expect(excluded.locator("tr", has_text="云龙已放弃研究院")).to_contain_text(
        re.compile("备案.*有效|not active"))
    expect(page.get_by_test_id("transition-problems")).to_have_count(0)
    shot(page, "cycle-06-transition-cohort")

    page.check("#id_confirm")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=transition-form] button[type=submit]")

    expect(page.get_by_test_id("cycle-status")).to_have_attribute("data-status",
                                                                  "self_evaluation")
    expect(page.get_by_test_id("cycle-status")).to_have_text(re.compile("自评|Self-evaluation"))
    expect(page.get_by_test_id("submission-counts")).to_contain_text("3")
    shot(page, "cycle-07-detail-open")
    cycle = Cycle.objects.get(year=2025)
    assert (cycle.status, cycle.submissions.count()) == (CycleStatus.SELF_EVALUATION, 3)

    page.get_by_test_id("cycle-indicators-link").click()
    expect(page.get_by_test_id("indicator-edit")).to_have_count(0)
    shot(page, "cycle-08-indicators-locked")

    # Self-evaluation cannot close before its closing date; one institution gets more time.
    page.get_by_role("link", name="2025").first.click()
    page.get_by_test_id("cycle-close-link").click()
    expect(page.get_by_test_id("close-problems")).to_contain_text(closes.isoformat())
    expect(page.get_by_test_id("close-form")).to_have_count(0)
    expect(page.get_by_test_id("non-submitter")).to_have_count(3)
    shot(page, "cycle-09-close-blocked")
    page.get_by_test_id("non-submitter").filter(has_text="云龙二〇二三研究院") \
        .get_by_role("link").click()
    later = closes + dt.timedelta(days=14)
    page.fill("#id_new_deadline", later.isoformat())
    page.fill("#id_reason", "法定代表人变更，报告需重新盖章。")
    shot(page, "cycle-10-extension")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text(later.isoformat())
    expect(page.get_by_test_id("non-submitter").filter(has_text="云龙二〇二三研究院")) \
        .to_contain_text(later.isoformat())
    shot(page, "cycle-11-after-extension")

    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("current-cycle").get_by_test_id("cycle-status")) \
        .to_have_attribute("data-status", "self_evaluation")
    shot(page, "cycle-12-dashboard")
