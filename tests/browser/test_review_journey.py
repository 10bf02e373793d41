"""The district's review of one report (Art 9, 10; R3): a district reviewer opens the list of
the district's reports, opens one, previews a PDF of evidence inside the page, saves one claim
as supported and one as not supported (its score box disabled) and sees the live total follow,
then writes the overall opinion."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from evaluations.models import ClaimReview, Participant
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.evaluations.review_setup import give_answer, give_evidence, indicators_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def participant(users, default_policy, settings, tmp_path, institution, sibling_institution):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_preliminary_review(users["city_admin"],
                                    submitted=[institution, sibling_institution])
    participant = Participant.objects.get(cycle=cycle, institution=institution)
    first = indicators_of(participant)[0]
    give_evidence(give_answer(participant, first, narrative="团队由18人增至23人。",
                              self_score="2.5"), users["institution_filer"], name="团队名单")
    return participant


def test_district_reviewer_reviews_claims_and_sees_the_live_total(
        page, live_server, users, participant, login, shot):
    login(page, "gulou", PASSWORD)
    page.goto(f"{live_server.url}/preliminary/{participant.district_review_id}/reports/")
    row = page.get_by_test_id(f"participant-{participant.institution.credit_code}")
    expect(row.get_by_test_id("reviewed")).to_have_text("0 / 24")
    shot(page, "review-01-list")
    row.get_by_test_id("to-review").click()
    total = page.get_by_test_id("review-total-text")
    expect(total).to_contain_text("0 / 100")

    # The PDF of evidence opens inside the page.
    indicator = page.get_by_test_id("indicator-1.1")
    indicator.locator("details summary").click()
    expect(indicator.locator("iframe.rv-preview")).to_have_attribute(
        "src", re.compile(r"/self-evaluation/evidence/\d+/$"))

    # 1.1 supported with 2.5 points: saved with htmx, the total follows.
    claim = page.get_by_test_id("claim-1.1")
    claim.locator("[data-claim-verdict][value=supported]").check()
    claim.locator("[data-claim-score]").fill("2.5")
    claim.get_by_test_id("claim-save").click()
    expect(page.get_by_test_id("claim-1.1").get_by_test_id("claim-saved")).to_be_visible()
    expect(total).to_have_text(re.compile(r"2\.50 / 100\D+1\D+24"))

    # 1.2 not supported: its score box is disabled and nothing is added.
    claim = page.get_by_test_id("claim-1.2")
    claim.locator("[data-claim-verdict][value=not_supported]").check()
    expect(claim.locator("[data-claim-score]")).to_be_disabled()
    claim.locator("textarea").fill("无劳动合同。")
    claim.get_by_test_id("claim-save").click()
    expect(page.get_by_test_id("claim-1.2").get_by_test_id("claim-saved")).to_be_visible()
    expect(total).to_have_text(re.compile(r"2\.50 / 100\D+2\D+24"))
    shot(page, "review-02-claims")
    assert sorted(ClaimReview.objects.filter(participant=participant)
                  .values_list("indicator__code", "verdict", "score")) == [
        ("1.1", "supported", 2.5), ("1.2", "not_supported", None)]

    page.get_by_test_id("opinion-form").locator("textarea").fill("总体属实。")
    page.get_by_test_id("opinion-save").click()
    page.wait_for_url(re.compile(r"#opinion$"))
    participant.refresh_from_db()
    assert participant.comment == "总体属实。"
