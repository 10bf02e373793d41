"""The city administrator's registry journey, clicked through as a bureau employee would."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from institutions.enums import FilingStatus
from institutions.models import Institution
from tests.conftest import PASSWORD
from tests.factories import make_credit_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_admin_registers_edits_and_abandons_an_institution(page, live_server, users, login,
                                                                shot):
    login(page, "city", PASSWORD)
    expect(page.get_by_test_id("count-total")).to_have_text("2")
    shot(page, "city-01-dashboard")

    page.get_by_role("link", name=re.compile("登记新型研发机构|Register an institution")).first \
        .click()
    code = make_credit_code(777)
    page.fill("#id_name", "徐州智能装备产业技术研究院")
    page.fill("#id_credit_code", code.lower())
    page.select_option("#id_district", label="铜山区")
    page.select_option("#id_cluster", label="工程机械")
    page.fill("#id_filing_date", "2023-03-15")
    page.fill("#id_legal_representative", "王强")
    page.fill("#id_contact_person", "刘敏")
    page.fill("#id_contact_phone", "0516-87654321")
    shot(page, "city-02-create-form")
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_have_text("徐州智能装备产业技术研究院")
    expect(page.locator(".credit-code").first).to_have_text(code)
    shot(page, "city-03-detail")

    page.get_by_role("link", name=re.compile("变更备案状态|Change filing status")).click()
    page.select_option("#id_to_status", FilingStatus.ABANDONED)
    page.fill("#id_reason", "应参评未参评，经市科技局确认视为自动放弃备案资格。")
    page.check("#id_confirm")
    page.once("dialog", lambda dialog: dialog.accept())
    shot(page, "city-04-status-form")
    page.click("main form button[type=submit]")

    expect(page.get_by_test_id("filing-status")).to_contain_text(re.compile("放弃|Abandoned"))
    expect(page.get_by_test_id("status-history")).to_contain_text("自动放弃备案资格")
    shot(page, "city-05-after-status")
    assert Institution.objects.get(credit_code=code).status == FilingStatus.ABANDONED

    page.get_by_role("link", name=re.compile("操作日志|Audit log")).first.click()
    expect(page.get_by_test_id("audit-table")).to_contain_text("徐州智能装备产业技术研究院")
    shot(page, "city-06-audit")


def test_district_reviewer_sees_only_its_district(page, live_server, users, institution,
                                                  other_institution, login, shot):
    login(page, "gulou", PASSWORD)
    page.get_by_role("link", name=re.compile("本地区|my district|名录|Registry")).first.click()
    table = page.locator("table")
    expect(table).to_contain_text(institution.name)
    expect(table).not_to_contain_text(other_institution.name)
    shot(page, "district-01-list")
    response = page.request.get(f"{live_server.url}/registry/{other_institution.pk}/")
    assert response.status == 404


def test_institution_user_sees_its_own_record(page, live_server, users, institution, login, shot):
    login(page, "filer", PASSWORD)
    expect(page.locator("h1")).to_have_text(institution.name)
    shot(page, "institution-01-home")
    page.get_by_role("link", name=re.compile("本单位|Our institution")).first.click()
    expect(page.get_by_test_id("filing-status")).to_contain_text(re.compile("备案有效|Active"))
    shot(page, "institution-02-record")
