"""The city's side of the preliminary review (Art 10; R4, R8): the city administrator opens a
district's fraud report from the city dashboard and confirms it (the credit record appears),
accepts the two districts' stamped summaries, and closes the stage, which fixes the groups."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from evaluations.enums import CycleStatus, DistrictReviewStatus, FraudKind, FraudStatus
from evaluations.models import CreditRecord, Participant
from evaluations.services import findings, preliminary
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import (
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)
from tests.evaluations.ranking_setup import generated_summary
from tests.evaluations.self_evaluation_setup import upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(review, reviewer) -> None:
    """What the district does in its own journey: rank, generate, stamp, submit."""
    rank_by_score(review, reviewer)
    summary = generated_summary(review, reviewer)
    preliminary.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    preliminary.district_review_submit(district_review=review, actor=reviewer)


@pytest.fixture
def setting(users, default_policy, settings, tmp_path, gulou, yunlong, institution,
            sibling_institution, other_institution):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])
    for score, participant in zip((90, 70, 80), Participant.objects.filter(cycle=cycle)
                                  .order_by("pk"), strict=True):
        score_directly(participant, score)
    suspect = Participant.objects.get(cycle=cycle, institution=sibling_institution)
    report = findings.fraud_report_file(
        participant=suspect, kind=FraudKind.FABRICATED, description="申报的发明专利经检索不存在。",
        uploads=[upload("检索报告.pdf")], actor=users["district_reviewer"])
    return cycle, report


def test_city_confirms_fraud_accepts_the_districts_and_closes_the_stage(
        page, live_server, users, setting, gulou, yunlong, sibling_institution, login, shot):
    cycle, report = setting
    login(page, "city", PASSWORD)
    page.goto(f"{live_server.url}/cycles/{cycle.year}/preliminary/")
    expect(page.get_by_test_id("pending-fraud")).to_contain_text("1")
    shot(page, "city-preliminary-01-dashboard")

    # The fraud report: confirmed with the responsible person, twice confirmed.
    page.get_by_test_id("pending-fraud").click()
    page.get_by_test_id("fraud-list").locator("tr", has_text=sibling_institution.name) \
        .get_by_role("link").click()
    expect(page.get_by_test_id("description")).to_contain_text("发明专利经检索不存在")
    form = page.get_by_test_id("fraud-decision-form")
    form.locator("input[value=confirm]").check()
    form.locator("textarea").fill("经核实，专利信息系虚构。")
    expect(form.locator("input[name=person_role]")).to_have_value("法定代表人")
    form.locator("input[name=irreversible]").check()
    page.once("dialog", lambda dialog: dialog.accept())
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("credit-record")).to_be_visible()
    shot(page, "city-preliminary-02-fraud-confirmed")
    report.refresh_from_db()
    assert report.status == FraudStatus.CONFIRMED
    assert CreditRecord.objects.get(fraud_report=report).person_role == "法定代表人"

    # The districts submit their stamped summaries (their own journey is tested elsewhere).
    submit(district_review(cycle, gulou), users["district_reviewer"])
    submit(district_review(cycle, yunlong), users["district_reviewer_other"])

    # The city accepts both from the dashboard's decision links.
    for review in (district_review(cycle, gulou), district_review(cycle, yunlong)):
        page.goto(f"{live_server.url}/preliminary/{review.pk}/decision/")
        expect(page.get_by_test_id("submitted-file")).to_be_visible()
        page.locator("#id_confirm").check()
        page.get_by_test_id("decision-accept").click()
        expect(page.get_by_test_id("review-status")).to_have_attribute("data-status",
                                                                       "accepted")
    shot(page, "city-preliminary-03-accepted")

    # Closing, with its confirmation.
    page.goto(f"{live_server.url}/cycles/{cycle.year}/preliminary/")
    page.get_by_test_id("close-link").click()
    expect(page.get_by_test_id("close-effects")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("close-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("stage-closed")).to_be_visible()
    shot(page, "city-preliminary-04-closed")
    assert cycle.stages.get(stage=CycleStatus.PRELIMINARY_REVIEW).is_closed
    assert {dr.status for dr in cycle.district_reviews.all()} == {
        DistrictReviewStatus.ACCEPTED}
    assert Participant.objects.get(cycle=cycle, institution=sibling_institution) \
        .fraud_confirmed_at is not None
