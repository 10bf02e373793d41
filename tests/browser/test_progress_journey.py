"""Following the self-evaluation (issue 3 §5): the city drills down from the dashboard into a
district and exports the list; a district reviewer sees its own district only; the bell."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from evaluations.enums import SubmissionStatus
from evaluations.models import Extension
from institutions.models import Cluster, District, Notification
from tests.conftest import PASSWORD
from tests.evaluations.progress_data import invite, open_cycle
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NS, IP, S = (SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS,
             SubmissionStatus.SUBMITTED)
# (district, cluster, name, status), besides the fixtures' institutions.
REPORTS = [
    ("鼓楼区", "新材料", "鼓楼先进材料研究院", S),
    ("鼓楼区", "数字经济", "鼓楼工业互联网研究院", NS),
    ("鼓楼区", "医药健康", "鼓楼生物医药研究院", IP),
    ("云龙区", "新材料", "云龙碳基材料研究院", NS),
    ("云龙区", "数字经济", "云龙人工智能研究院", IP),
    ("铜山区", "工程机械", "铜山智能装备研究院", S),
    ("铜山区", "绿色低碳能源", "铜山氢能研究院", IP),
    ("邳州市", "食品及农副产品加工", "邳州绿色食品研究院", NS),
    ("徐州高新技术产业开发区", "安全应急", "高新区矿山安全研究院", S),
]


@pytest.fixture
def progress(users, institution, sibling_institution, other_institution):
    cycle = open_cycle(2026)
    invite(cycle, institution, IP)
    invite(cycle, sibling_institution, S)
    late = invite(cycle, other_institution, IP)
    for district, cluster, name, status in REPORTS:
        invite(cycle, InstitutionFactory(name=name, district=District.objects.get(name=district),
                                         cluster=Cluster.objects.get(name=cluster)), status)
    Extension.objects.create(submission=late, new_deadline=late.deadline + dt.timedelta(days=10),
                             reason="系统维护期间无法上传", granted_by=users["city_admin"])
    late.deadline += dt.timedelta(days=10)
    late.save(update_fields=["deadline"])
    return cycle


def _chart_drawn(page, canvas_id: str) -> bool:
    return page.evaluate(
        "(id) => typeof Chart !== 'undefined' && !!Chart.getChart(document.getElementById(id))",
        canvas_id)


def test_city_admin_drills_down_into_a_district_and_exports(page, live_server, users, login,
                                                            shot, progress, tmp_path):
    login(page, "city", PASSWORD)
    summary = page.get_by_test_id("progress-summary")
    expect(summary.get_by_test_id("summary-total")).to_have_text("12")
    shot(page, "progress-01-city-home")

    summary.get_by_test_id("progress-link").click()
    expect(page.get_by_test_id("progress-total")).to_have_text("12")
    expect(page.get_by_test_id("progress-submitted")).to_have_text("4")
    expect(page.get_by_test_id("progress-list-count")).to_contain_text("12")
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert _chart_drawn(page, "progress-district-chart")
    assert _chart_drawn(page, "progress-cluster-chart")
    shot(page, "progress-02-city")

    page.get_by_test_id("progress-by-district").get_by_role("link", name="云龙区").click()
    expect(page).to_have_url(re.compile(r"district=\d+"))
    rows = page.get_by_test_id("progress-row")
    expect(rows).to_have_count(3)
    list_table = page.get_by_test_id("progress-list")
    expect(list_table).to_contain_text("云龙人工智能研究院")
    expect(list_table).not_to_contain_text("鼓楼")
    expect(list_table.get_by_test_id("extended")).to_have_count(1)
    expect(page.get_by_test_id("progress-total")).to_have_text("3")
    expect(page.get_by_test_id("progress-district")).to_have_text("云龙区")
    shot(page, "progress-03-city-drilldown")

    page.select_option("#id_status", IP)
    page.get_by_test_id("progress-filter").locator("button[type=submit]").click()
    expect(rows).to_have_count(2)
    with page.expect_download() as info:
        page.get_by_test_id("progress-export").click()
    path = tmp_path / "progress.xlsx"
    info.value.save_as(path)
    workbook = load_workbook(path, read_only=True)
    names = sorted(row[0] for row in workbook.worksheets[0].iter_rows(min_row=2,
                                                                       values_only=True))
    workbook.close()
    assert names == sorted(["云龙新材料研究院", "云龙人工智能研究院"])
    assert info.value.suggested_filename.endswith(".xlsx")


def test_district_reviewer_follows_only_its_district(page, live_server, users, login, shot,
                                                     progress):
    login(page, "gulou", PASSWORD)
    expect(page.get_by_test_id("summary-total")).to_have_text("5")
    page.get_by_role("link", name=re.compile("填报进度|Self-evaluation progress")).first.click()
    expect(page.get_by_test_id("progress-total")).to_have_text("5")
    expect(page.get_by_test_id("progress-by-district")).to_have_count(0)
    list_table = page.get_by_test_id("progress-list")
    expect(page.get_by_test_id("progress-row")).to_have_count(5)
    expect(list_table).not_to_contain_text("云龙")
    expect(list_table).not_to_contain_text("铜山")
    expect(page.locator("#id_district")).to_have_count(0)
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert _chart_drawn(page, "progress-cluster-chart")
    shot(page, "progress-04-district")


def test_bell_counts_unread_notifications_until_read(page, live_server, users, login, shot):
    for subject in ("2026年度绩效评价自评已开启", "提醒：2026年度自评将于三天后截止"):
        Notification.objects.create(user=users["institution_filer"], subject=subject,
                                    body="请按时提交自评报告及佐证材料。", url="/self-evaluation/")
    login(page, "filer", PASSWORD)
    bell = page.get_by_test_id("notification-bell")
    expect(bell.get_by_test_id("unread-count")).to_have_text("2")
    bell.click()
    expect(page.get_by_test_id("notification")).to_have_count(2)
    shot(page, "notifications-01-list")
    page.get_by_test_id("read-all").click()
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    expect(page.locator("[data-testid=notification][data-read='0']")).to_have_count(0)
    shot(page, "notifications-02-read")
