"""The results page (R9): before and after computing, the counts against the places, the
checks and their justification, by district and by cluster, the table (filters, sort,
pages) with each row's explanation, the Excel export of every row, the comparison with the
stored results ("一致" or the differences), and who may press which button."""
from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations.models import CycleResults, ParticipantTier
from evaluations.services.results import results_compute
from tests.evaluations.results_setup import build_reverification_cycle, district
from tests.evaluations.test_results_services import _hundred

pytestmark = pytest.mark.usefixtures("default_policy")


@pytest.fixture
def zh(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        return client
    return make


@pytest.fixture
def hundred(city_admin):
    return build_reverification_cycle(city_admin, _hundred(), fail_count=5).cycle


@pytest.fixture
def nine(city_admin):
    return build_reverification_cycle(city_admin, {
        "鼓楼区": district(3, top=90), "云龙区": district(3, top=80.5),
        "泉山区": district(3, top=70.25)}).cycle


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _url(name, cycle, **query):
    url = reverse(f"evaluations:{name}", args=[cycle.year])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_page_before_computing_offers_the_compute_button(hundred, city_admin, zh):
    response = zh(city_admin).get(_url("results", hundred))
    assert response.status_code == 200
    page = _text(response)
    assert "2025年度绩效评价结果" in page
    assert "评价结果尚未计算" in page
    assert 'data-testid="compute"' in response.content.decode()
    assert 'data-testid="results-table"' not in response.content.decode()


def test_compute_button_computes_and_the_page_shows_counts_checks_and_rows(hundred, city_admin,
                                                                           zh):
    client = zh(city_admin)
    response = client.post(_url("results_compute", hundred), follow=True)
    assert response.redirect_chain == [(_url("results", hundred), 302)]
    page = _text(response)
    assert "评价结果已计算：每家参评单位均已确定评价结果及其说明。" in page
    html = response.content.decode()
    counts = {tier: re.search(rf'data-testid="count-{tier}".*?fs-3 fw-semibold">(\d+)<', html,
                              re.S).group(1)
              for tier in ("excellent", "good", "qualified", "unqualified")}
    assert counts == {"excellent": "8", "good": "22", "qualified": "65", "unqualified": "5"}
    assert "优秀名额 8 个" in page and "良好名额 22 个" in page and "不少于 3 家" in page
    assert "公示前核查（第七条）" in page
    assert html.count('data-passed="true"') == 4
    # The policy's words, never the rule codes (a credit code may hold "R9": not a word).
    assert not re.search(r"\bR\d{1,2}\b", page)
    assert re.search(r'data-testid="by-district".*鼓楼区.*云龙区.*泉山区', html, re.S)
    assert 'data-testid="by-cluster"' in html
    assert html.count('data-testid="result-row"') == 50  # the first page of 100
    assert "初评A组（鼓楼区第1名）→ 会评得分 90.00，A组第1名" in page


def test_table_filters_by_tier_district_and_group(hundred, city_admin, zh):
    results_compute(cycle=hundred, actor=city_admin)
    client = zh(city_admin)
    html = client.get(_url("results", hundred, tier="excellent")).content.decode()
    assert re.findall(r'data-testid="result-row" data-tier="(\w+)"', html) == ["excellent"] * 8
    html = client.get(_url("results", hundred, tier="unqualified",
                           district=_district_pk("鼓楼区"))).content.decode()
    assert html.count('data-testid="result-row"') == 2  # 鼓楼区's 56.00 and 52.10
    html = client.get(_url("results", hundred, group="C")).content.decode()
    assert html.count('data-testid="result-row"') == 10
    assert "共 10 家" in _text(client.get(_url("results", hundred, group="C")))


def _district_pk(name):
    from institutions.models import District

    return District.objects.get(name=name).pk


def test_table_sorts_by_a_column_both_ways_and_pages(hundred, city_admin, zh):
    results_compute(cycle=hundred, actor=city_admin)
    client = zh(city_admin)

    def scores(**query):
        html = client.get(_url("results", hundred, group="C", **query)).content.decode()
        return re.findall(r'<td class="text-end">(\d+\.\d\d)</td>', html)

    assert scores(o="score") == sorted(scores(o="score"), key=float)
    assert scores(o="-score") == sorted(scores(o="score"), key=float, reverse=True)
    html = client.get(_url("results", hundred, o="score")).content.decode()
    assert 'aria-sort="ascending"' in html
    assert "o=-score" in html  # the header now sorts the other way
    first = client.get(_url("results", hundred)).content.decode()
    second = client.get(_url("results", hundred, page=2)).content.decode()
    codes = re.compile(r'<td class="credit-code small">(\w+)</td>')
    assert len(codes.findall(first)) == len(codes.findall(second)) == 50
    assert not set(codes.findall(first)) & set(codes.findall(second))


def test_export_has_every_row_with_its_explanation(hundred, city_admin, zh):
    results_compute(cycle=hundred, actor=city_admin)
    response = zh(city_admin).get(_url("results_export", hundred))
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "2025%E5%B9%B4%E5%BA%A6" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["评价结果", "汇总"]
    rows = list(workbook["评价结果"].iter_rows(values_only=True))
    assert rows[0] == ("统一社会信用代码", "机构名称", "地区", "产业集群", "初评分组", "地区排名",
                       "会评评分", "评价结果", "结果说明")
    assert len(rows) == 101
    assert {r[7] for r in rows[1:]} == {"优秀", "良好", "合格", "不合格"}
    c_row = next(r for r in rows[1:] if r[6] == 52.1)
    assert c_row[8] == ("初评C组（鼓楼区第40名）→ 会评得分 52.10，C组倒数第2名 → "
                        "不合格（不合格名额 5）")
    summary = {r[0]: r[1] for r in workbook["汇总"].iter_rows(values_only=True)
               if len(r) > 1}
    assert (summary["参评总数"], summary["优秀名额"], summary["优秀"]) == (100, 8, 8)
    filtered = zh(city_admin).get(_url("results_export", hundred, tier="good"))
    rows = list(load_workbook(io.BytesIO(filtered.content), read_only=True)["评价结果"]
                .iter_rows(values_only=True))
    assert len(rows) == 23


def test_recompute_says_identical_then_lists_a_tampered_tier(hundred, city_admin, zh):
    results = results_compute(cycle=hundred, actor=city_admin)
    client = zh(city_admin)
    partial = client.get(_url("results_recompute", hundred), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'data-identical="true"' in partial.content.decode()
    assert "一致" in _text(partial)
    tier = ParticipantTier.objects.filter(results=results, tier="good").select_related(
        "participant__institution").first()
    ParticipantTier.objects.filter(pk=tier.pk).update(tier="qualified")
    page = client.get(_url("results_recompute", hundred))
    assert "<html" in page.content.decode()
    text = _text(page)
    assert "不一致" in text
    assert f"{tier.participant.institution.name} 合格 良好" in text
    assert "保存的记录与其摘要不符" in text


def test_recompute_before_computing_says_so(hundred, city_admin, zh):
    response = zh(city_admin).get(_url("results_recompute", hundred), HTTP_HX_REQUEST="true")
    assert "评价结果尚未计算。" in _text(response)


def test_a_failed_check_shows_the_justification_form_then_the_justification(nine, city_admin,
                                                                            zh):
    results_compute(cycle=nine, actor=city_admin)
    client = zh(city_admin)
    html = client.get(_url("results", nine)).content.decode()
    assert 'data-testid="justify-form"' in html
    assert 'data-passed="false"' in html
    assert "有核查项未通过：市科技局记录评价结果成立的理由之后，方可进入公示。" in _text(
        client.get(_url("results", nine)))
    response = client.post(_url("results_justify", nine),
                           {"text": "各地区参评单位较少，未形成较差组。"}, follow=True)
    assert "理由说明已与评价结果一并保存。" in _text(response)
    html = response.content.decode()
    assert 'data-testid="justify-form"' not in html
    assert "各地区参评单位较少，未形成较差组。" in html
    assert CycleResults.objects.get(cycle=nine).justification == (
        "各地区参评单位较少，未形成较差组。")


def test_an_empty_justification_is_refused_with_a_message(nine, city_admin, zh):
    results_compute(cycle=nine, actor=city_admin)
    response = zh(city_admin).post(_url("results_justify", nine), {"text": ""}, follow=True)
    assert "请填写未通过核查项的理由说明。" in _text(response)
    assert CycleResults.objects.get(cycle=nine).justification == ""


def test_a_refused_compute_shows_why(city_admin, zh):
    cycle = build_reverification_cycle(city_admin, {"鼓楼区": district(10)}, draw=False).cycle
    response = zh(city_admin).post(_url("results_compute", cycle), follow=True)
    assert "尚未从合格组中随机抽取复核单位。" in _text(response)
    assert not CycleResults.objects.exists()


def test_the_organiser_reads_the_results_without_the_buttons(hundred, city_admin, users, zh):
    results_compute(cycle=hundred, actor=city_admin)
    html = zh(users["panel_organiser"]).get(_url("results", hundred)).content.decode()
    assert 'data-testid="results-table"' in html
    assert 'data-testid="compute"' not in html
    assert 'data-testid="recompute"' in html
    assert zh(users["panel_organiser"]).post(_url("results_compute", hundred)).status_code == 403


def test_the_page_in_english(hundred, city_admin, client_for):
    results_compute(cycle=hundred, actor=city_admin)
    client = client_for(city_admin)
    client.cookies["django_language"] = "en"
    page = _text(client.get(_url("results", hundred)))
    assert "2025 evaluation results" in page
    assert "Preliminary group A (鼓楼区, place 1) → Panel score 90.00, place 1 of group A" in page
