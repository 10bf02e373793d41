"""The results of a cycle (Art 7, 12, 13; R9), as the city science bureau lives them in the
browser.

The 2025 cycle is in its re-verification with every verdict in (100 participants in three
districts, written straight to the database): the city administrator opens the results
page, which says they have not been computed; computes them through the confirmation; sees
the counts against the places of Article 7 and the checks passing; opens the explanation of
an excellent institution, of a member of group B left out of the spot check and of an
unqualified member of group C; computes them again from the stored inputs and reads "一致";
and exports every row to Excel."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from evaluations.models import ParticipantTier, SpotCheckDraw
from tests.conftest import PASSWORD
from tests.evaluations.results_setup import build_reverification_cycle
from tests.evaluations.test_results_services import _hundred

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cycle(users, default_policy):
    return build_reverification_cycle(users["city_admin"], _hundred(), fail_count=5).cycle


def _open_explanation(page, row) -> str:
    row.get_by_text("查看结果说明").click()
    text = row.get_by_test_id("explanation-text")
    expect(text).to_be_visible()
    return text.inner_text()


def test_city_computes_explains_compares_and_exports_the_results(page, live_server, users,
                                                                 cycle, login, shot,
                                                                 tmp_path):
    login(page, "city", PASSWORD)
    page.goto(f"{live_server.url}/cycles/{cycle.year}/results/")
    expect(page.locator("h1")).to_have_text("2025年度绩效评价结果")
    expect(page.get_by_test_id("not-computed")).to_contain_text("评价结果尚未计算。")
    shot(page, "results-01-not-computed")

    # Compute, through the confirmation.
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_test_id("compute").click()
    page.wait_for_load_state()
    assert questions == [
        "按已记录的复核结论计算每家参评单位的评价结果？请先确认全部复核结论均已录入。"]
    expect(page.locator(".messages .alert-success")).to_contain_text(
        "评价结果已计算：每家参评单位均已确定评价结果及其说明。")
    for tier, count in (("excellent", "8"), ("good", "22"), ("qualified", "65"),
                        ("unqualified", "5")):
        expect(page.get_by_test_id(f"count-{tier}").locator(".fs-3")).to_have_text(count)
    expect(page.get_by_test_id("count-excellent")).to_contain_text("优秀名额 8 个")
    expect(page.get_by_test_id("check")).to_have_count(4)
    expect(page.locator("[data-testid=check][data-passed=true]")).to_have_count(4)
    expect(page.get_by_test_id("by-district")).to_contain_text("鼓楼区")
    expect(page.get_by_test_id("result-row")).to_have_count(50)
    shot(page, "results-02-computed")

    # Three explanations: the first excellent, a member of B not drawn, the second lowest of C.
    first = page.get_by_test_id("result-row").first
    assert _open_explanation(page, first) == (
        "初评A组（鼓楼区第1名）→ 会评得分 90.00，A组第1名 → 进入复核名单 → 实地复核：确认 → "
        "优秀（复核确认的第1至8名）")
    undrawn = ParticipantTier.objects.filter(
        results__cycle=cycle, participant__group="B").exclude(
        participant__institution__credit_code__in=SpotCheckDraw.objects.get(
            cycle=cycle).sample).select_related("participant__institution",
                                                "participant__district_review__district") \
        .order_by("participant__institution__name").first().participant
    page.get_by_label("搜索").fill(undrawn.institution.credit_code)
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("result-row")).to_have_count(1)
    assert _open_explanation(page, page.get_by_test_id("result-row").first) == (
        f"初评B组（{undrawn.district_review.district.name}第{undrawn.rank}名）→ "
        "随机抽查（种子 2025-xz-01）未抽中 → 合格")
    page.get_by_label("搜索").fill("")
    page.get_by_label("评价结果", exact=True).select_option(label="不合格")
    page.get_by_label("初评分组").select_option(label="较差组")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("result-row")).to_have_count(5)
    page.get_by_test_id("sort-score").click()  # lowest first
    second = page.get_by_test_id("result-row").nth(1)
    assert _open_explanation(page, second) == (
        "初评C组（鼓楼区第40名）→ 会评得分 52.10，C组倒数第2名 → 不合格（不合格名额 5）")
    shot(page, "results-03-explanations")

    # Compute again from the stored inputs: identical.
    page.get_by_test_id("recompute").click()
    result = page.get_by_test_id("recompute-result")
    expect(result).to_contain_text("一致")
    expect(result).to_have_attribute("data-identical", "true")
    shot(page, "results-04-identical")

    # Export: the rows the filters keep, then every row.
    with page.expect_download() as download:
        page.get_by_test_id("results-export").click()
    assert download.value.suggested_filename == "2025年度绩效评价结果.xlsx"
    path = tmp_path / "filtered.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path, read_only=True)["评价结果"].iter_rows(values_only=True))
    assert len(rows) == 6 and {r[7] for r in rows[1:]} == {"不合格"}
    page.get_by_role("link", name="清除").click()
    expect(page.get_by_test_id("row-count")).to_contain_text("100")
    with page.expect_download() as download:
        page.get_by_test_id("results-export").click()
    path = tmp_path / "all.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path, read_only=True)["评价结果"].iter_rows(values_only=True))
    assert len(rows) == 101
    assert {r[0] for r in rows[1:]} == set(cycle.participants.values_list(
        "institution__credit_code", flat=True))
