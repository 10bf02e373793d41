"""The preliminary review journey (Art 9, 10; R3, R4, issue 4 §5): a district reviewer reviews
two reports claim by claim, records a site visit, issues a rectification notice that the
institution answers in its own browser, ranks the district with one manual move and its
reason, generates the summary PDF, uploads its stamped scan and submits; the city returns it
with a reason and the district resubmits."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.enums import DistrictReviewStatus, RectificationStatus
from evaluations.models import Indicator, Participant
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    score_directly,
)
from tests.evaluations.self_evaluation_setup import PDF, PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def review(users, default_policy, settings, tmp_path, gulou, institution, sibling_institution):
    """鼓楼区 with four participants: ``institution`` and ``sibling_institution`` to review in
    the browser, two more already reviewed (85 and 40 points)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    extra = add_institutions(gulou, 2)
    cycle = open_preliminary_review(users["city_admin"],
                                    submitted=[institution, sibling_institution, *extra])
    review = district_review(cycle, gulou)
    for done, score in zip(extra, (85, 40), strict=True):
        score_directly(Participant.objects.get(cycle=cycle, institution=done), score)
    return review


def review_every_claim(page, participant, *, not_supported: str, minus: str) -> None:
    """Mark every claim supported with its full points, except ``not_supported`` (with a
    comment) and ``minus`` (one point less)."""
    for indicator in Indicator.objects.filter(category__cycle_id=participant.cycle_id) \
            .order_by("category__order", "order"):
        claim = page.get_by_test_id(f"claim-{indicator.code}")
        claim.scroll_into_view_if_needed()
        if indicator.code == not_supported:
            claim.locator("[data-claim-verdict][value=not_supported]").check()
            claim.locator("textarea").fill("佐证材料与申报数据不符。")
        else:
            claim.locator("[data-claim-verdict][value=supported]").check()
            points = indicator.points - (1 if indicator.code == minus else 0)
            claim.locator("[data-claim-score]").fill(str(points))
        claim.get_by_test_id("claim-save").click()
        expect(page.get_by_test_id(f"claim-{indicator.code}").get_by_test_id("claim-saved")) \
            .to_be_visible()


def test_district_reviews_ranks_submits_and_resubmits_after_the_city_returns_it(
        page, browser, live_server, users, review, institution, sibling_institution, login,
        shot, tmp_path):
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    scan = tmp_path / "初评汇总盖章扫描件.pdf"
    scan.write_bytes(PDF)
    first = Participant.objects.get(district_review=review, institution=institution)
    second = Participant.objects.get(district_review=review, institution=sibling_institution)

    # The reviewer lands on the district's dashboard and opens the list of reports.
    login(page, "gulou", PASSWORD)
    page.get_by_role("link", name=re.compile("^(初评|Preliminary review)$")).first.click()
    expect(page).to_have_url(re.compile(rf"/preliminary/{review.pk}/$"))
    shot(page, "preliminary-01-district-dashboard")
    page.goto(f"{live_server.url}/preliminary/{review.pk}/reports/")
    shot(page, "preliminary-02-reports")

    # Two reports reviewed claim by claim: 1.2 not supported in the first (R3).
    page.get_by_test_id(f"participant-{institution.credit_code}") \
        .get_by_test_id("to-review").click()
    indicator_12 = Indicator.objects.get(category__cycle_id=first.cycle_id, code="1.2")
    review_every_claim(page, first, not_supported="1.2", minus="2.1")
    expected_first = 100 - indicator_12.points - 1
    expect(page.get_by_test_id("review-total-text")).to_contain_text(
        re.compile(rf"\b{int(expected_first)}(\.00)? / 100"))
    shot(page, "preliminary-03-first-report-reviewed")

    # A site visit with a photo.
    page.get_by_test_id("to-visit").click()
    page.fill("#id_visited_on", (timezone.localdate() - dt.timedelta(days=1)).isoformat())
    page.fill("#id_visitors", "王伟、李娜")
    page.fill("#id_findings", "研发场地与申报一致，设备运行正常。")
    page.set_input_files("#id_files", str(photo))
    page.get_by_test_id("visit-save").click()
    expect(page.get_by_test_id("visit")).to_contain_text("王伟、李娜")
    expect(page.get_by_test_id("visit-file")).to_contain_text("现场照片.png")

    # A rectification notice.
    page.get_by_test_id("to-rectification").click()
    page.fill("#id_problems", "请补充2024年度研发费用专项审计报告。")
    page.fill("#id_deadline", (timezone.localdate() + dt.timedelta(days=10)).isoformat())
    page.get_by_test_id("rectification-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("institution-name")).to_be_visible()
    notice = first.rectifications.get()

    # The second report: every claim supported, 2.1 one point short.
    page.goto(f"{live_server.url}/preliminary/{review.pk}/reports/")
    page.get_by_test_id(f"participant-{sibling_institution.credit_code}") \
        .get_by_test_id("to-review").click()
    review_every_claim(page, second, not_supported="", minus="2.1")
    expect(page.get_by_test_id("review-total-text")).to_contain_text(
        re.compile(r"\b99(\.00)? / 100"))

    # The institution answers the notice in its own browser.
    institution_context = browser.new_context(locale="zh-CN")
    inst = institution_context.new_page()
    login(inst, "filer", PASSWORD)
    inst.get_by_role("link", name=re.compile("^(整改通知|Rectification notices)$")).click()
    inst.get_by_test_id("rectification-row").filter(has_text="研发费用专项审计") \
        .get_by_role("link").click()
    expect(inst.get_by_test_id("problems")).to_contain_text("研发费用专项审计报告")
    inst.fill("#id_text", "已补充专项审计报告，见附件。")
    inst.set_input_files("#id_files", str(scan))
    inst.get_by_test_id("answer-form").locator("button[type=submit]").click()
    expect(inst.get_by_test_id("answer")).to_contain_text("已补充专项审计报告")
    shot(inst, "preliminary-04-institution-answered")
    institution_context.close()
    notice.refresh_from_db()
    assert notice.status == RectificationStatus.ANSWERED

    # The reviewer accepts the answer.
    page.goto(f"{live_server.url}/rectifications/{notice.pk}/")
    page.get_by_test_id("decision-form").locator("input[value=accept]").check()
    page.get_by_test_id("decision-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("status")).to_contain_text(re.compile("已整改|Rectified"))

    # Ranking: score order is 99 (second), 96 (first), 85, 40; the first report is moved to
    # the top with a reason.
    page.goto(f"{live_server.url}/preliminary/{review.pk}/ranking/")
    rows = page.locator("tr[data-pid]")
    expect(rows.nth(1)).to_have_attribute("data-pid", str(first.pk))
    page.locator(f"tr[data-pid='{first.pk}'] [data-move=up]").click()
    expect(rows.nth(0)).to_have_attribute("data-pid", str(first.pk))
    page.fill(f"#reason-{first.pk}", "现场考察核实成果转化成效突出")
    page.get_by_test_id("ranking-save").click()
    expect(page.get_by_test_id("ranking-ready")).to_be_visible()
    expect(rows.nth(0)).to_have_attribute("data-group", "A")
    shot(page, "preliminary-05-ranked")

    # The summary: PDF generated, downloaded, stamped scan uploaded, submitted.
    page.goto(f"{live_server.url}/preliminary/{review.pk}/summary/")
    page.get_by_test_id("summary-generate").click()
    expect(page.get_by_test_id("summary-box")).to_have_attribute("data-status", "done",
                                                                 timeout=60_000)
    with page.expect_download() as download:
        page.get_by_test_id("summary-download").click()
    pdf = tmp_path / "summary.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    page.set_input_files("#id_scan", str(scan))
    page.get_by_test_id("summary-scan-upload").click()
    expect(page.get_by_test_id("summary-scan-done")).to_be_visible()
    shot(page, "preliminary-06-summary-ready")
    page.locator("#id_confirm").check()
    page.get_by_test_id("district-submit").click()
    expect(page.get_by_test_id("review-status")).to_have_attribute("data-status", "submitted")
    review.refresh_from_db()
    assert review.status == DistrictReviewStatus.SUBMITTED

    # The city returns it with a reason.
    city_context = browser.new_context(locale="zh-CN")
    city = city_context.new_page()
    login(city, "city", PASSWORD)
    city.goto(f"{live_server.url}/preliminary/{review.pk}/decision/")
    expect(city.get_by_test_id("submitted-file")).to_be_visible()
    city.fill("#id_reason", "请补充第1名调整排序的书面依据材料。")
    city.get_by_test_id("decision-return").click()
    expect(city.get_by_test_id("review-status")).to_have_attribute("data-status", "returned")
    shot(city, "preliminary-07-city-returned")
    city_context.close()

    # The district sees the reason and resubmits.
    page.goto(f"{live_server.url}/preliminary/{review.pk}/summary/")
    expect(page.get_by_text("请补充第1名调整排序的书面依据材料。")).to_be_visible()
    page.locator("#id_confirm").check()
    page.get_by_test_id("district-submit").click()
    expect(page.get_by_test_id("review-status")).to_have_attribute("data-status", "submitted")
    shot(page, "preliminary-08-resubmitted")
    review.refresh_from_db()
    assert review.status == DistrictReviewStatus.SUBMITTED
    assert list(review.participants.order_by("rank").values_list("pk", "group")) == [
        (first.pk, "A"), (second.pk, "A"),
        *[(p.pk, "B") for p in review.participants.exclude(pk__in=[first.pk, second.pk])
          .order_by("-score")]]
