"""The district's review pages (Art 9, 10; R3): the list of reports and who did not submit,
the review of one report (claims saved with htmx or a plain POST, the live total, conflicts
between two reviewers, the overall opinion) and site visits with their files."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header

from evaluations.enums import DistrictReviewStatus, EvidenceType, FraudKind
from evaluations.models import ClaimReview, DistrictReview, Participant, SiteVisit
from evaluations.services.findings import fraud_report_file, rectification_issue
from institutions.enums import Role
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    score_directly,
)
from tests.evaluations.review_setup import (
    give_answer,
    give_evidence,
    give_visit,
    indicators_of,
)
from tests.evaluations.self_evaluation_setup import PDF, PNG, docx_bytes, upload
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def absent(gulou, reference_data):
    """A 鼓楼区 institution of the cohort that does not submit (R2)."""
    return add_institutions(gulou, 1)[0]


@pytest.fixture
def cycle(users, default_policy, private_media, institution, sibling_institution,
          other_institution, absent):
    return open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


@pytest.fixture
def colleague(gulou):
    """A second reviewer of 鼓楼区, to load the same page."""
    return UserFactory(username="gulou2", full_name="王审核", role=Role.DISTRICT_REVIEWER,
                       district=gulou)


@pytest.fixture
def participant(cycle, institution) -> Participant:
    return Participant.objects.get(cycle=cycle, institution=institution)


@pytest.fixture
def indicators(participant):
    return indicators_of(participant)


@pytest.fixture
def first(indicators):
    """Indicator 1.1 (3 points)."""
    return indicators[0]


def english_client(client_for, user):
    client = client_for(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def client(client_for, reviewer):
    return english_client(client_for, reviewer)


def review_url(participant) -> str:
    return reverse("evaluations:participant_review", args=[participant.pk])


def claim_url(participant, indicator) -> str:
    return reverse("evaluations:claim_save", args=[participant.pk, indicator.pk])


def claim_data(indicator, *, verdict="supported", score="2", comment="", revision=0) -> dict:
    prefix = f"claim-{indicator.pk}"
    return {f"{prefix}-verdict": verdict, f"{prefix}-score": score,
            f"{prefix}-comment": comment, f"{prefix}-revision": revision}


def claim_row(participant, indicator):
    return ClaimReview.objects.filter(participant=participant, indicator=indicator).values(
        "verdict", "score", "comment", "revision", "updated_by__username").first()


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text_of(html: str) -> str:
    """The visible text of ``html`` with whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --- The district's list ------------------------------------------------------------------------

def test_participant_list_shows_the_reports_and_who_did_not_submit(
        client, cycle, gulou, participant, reviewer, institution, sibling_institution,
        other_institution, absent):
    sibling = Participant.objects.get(cycle=cycle, institution=sibling_institution)
    score_directly(sibling, "87.5")
    give_visit(participant, reviewer)
    give_visit(participant, reviewer)
    rectification_issue(participant=participant, problems="补充研发投入凭证。",
                        deadline=timezone.localdate() + dt.timedelta(days=10), actor=reviewer)
    fraud_report_file(participant=participant, kind=FraudKind.OVERSTATED,
                      description="研发人员数虚报。", actor=reviewer)
    review = district_review(cycle, gulou)
    response = client.get(reverse("evaluations:participant_list", args=[review.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    rows = {
        code: text_of(match) for code, match in re.findall(
            r'<tr data-testid="participant-(\w+)">(.*?)</tr>', html, re.S)}
    assert set(rows) == {institution.credit_code, sibling_institution.credit_code}
    own = rows[institution.credit_code]
    assert (f"{institution.name} {institution.credit_code} {institution.cluster.name} "
            f"0 / 24 not fully reviewed 2 1 Fraud reported Review") in own
    assert "24 / 24 87.50 0 0 Review" in rows[sibling_institution.credit_code]
    absent_rows = re.findall(r'data-testid="absent-(\w+)"', html)
    assert absent_rows == [absent.credit_code]
    assert other_institution.name not in html


def test_participant_list_is_read_only_for_the_city(client_for, users, cycle, gulou):
    review = district_review(cycle, gulou)
    response = english_client(client_for, users["city_admin"]).get(
        reverse("evaluations:participant_list", args=[review.pk]))
    assert response.status_code == 200
    assert re.findall(r'data-testid="to-review">(\w+)<', response.content.decode()) == [
        "View", "View"]


# --- Reading a report ---------------------------------------------------------------------------

def test_review_page_shows_data_narrative_self_score_and_evidence(
        client, participant, first, reviewer):
    response = give_answer(participant, first, narrative="团队稳定，\n新增博士2人。",
                           self_score=Decimal("2.5"))
    pdf, = give_evidence(response, reviewer, kind=EvidenceType.PDF, name="团队名单")
    png, = give_evidence(response, reviewer, kind=EvidenceType.PNG, name="合影")
    docx, = give_evidence(response, reviewer, kind=EvidenceType.DOCX, name="说明")
    page = client.get(review_url(participant))
    assert page.status_code == 200
    html = page.content.decode()
    block = html.split('data-testid="indicator-1.1"')[1].split('data-testid="indicator-1.2"')[0]
    assert "team_size-2023" in block and "team_share-2024" in block
    assert "团队稳定，\n新增博士2人。" in block
    assert re.search(r'data-testid="self-score">2.50</strong> / 3', block)
    preview = reverse("evaluations:evidence_preview", args=[pdf.pk])
    assert f'<iframe class="rv-preview" data-src="{preview}"' in block
    image = reverse("evaluations:evidence_preview", args=[png.pk])
    assert f'<img class="rv-preview-img" data-src="{image}"' in block
    download = reverse("evaluations:evidence_download", args=[docx.pk])
    assert f'<a href="{download}">' in block
    # The evidence is served to the district through the stage-1 view.
    served = client.get(preview)
    assert (served.status_code, served["Content-Type"]) == (200, "application/pdf")


def test_review_page_has_a_claim_form_per_indicator_and_the_links(client, participant,
                                                                  indicators):
    html = client.get(review_url(participant)).content.decode()
    assert len(re.findall(r"<form id=\"claim-\d+\"", html)) == len(indicators) == 24
    for name in ("evaluations:rectification_create", "evaluations:fraud_report_create",
                 "evaluations:site_visit_create"):
        assert reverse(name, args=[participant.pk]) in html
    assert reverse("evaluations:ranking", args=[participant.district_review_id]) in html
    assert "Preliminary score: 0 / 100, 0 of 24 claims reviewed" in text_of(html)


def test_city_reads_the_review_without_forms(client_for, users, participant, first, reviewer):
    give_answer(participant, first)
    client = english_client(client_for, users["city_admin"])
    client_for(reviewer).post(claim_url(participant, first),
                              claim_data(first, score="2.5", comment="材料齐全"), **HTMX)
    html = client.get(review_url(participant)).content.decode()
    assert 'data-testid="read-only"' in html
    assert "<form id=\"claim-" not in html and 'data-testid="opinion-form"' not in html
    block = html.split('data-testid="claim-1.1"')[1].split("</div>\n</div>")[0]
    assert "Supported" in block and "2.5" in block and "材料齐全" in block


# --- Saving a claim -----------------------------------------------------------------------------

def test_claim_saved_with_htmx_returns_its_form_and_the_live_total(client, participant,
                                                                   first, reviewer):
    response = client.post(claim_url(participant, first), claim_data(first, score="2.5"),
                           **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<form id="claim-{first.pk}"')
    assert f'name="claim-{first.pk}-revision" value="1"' in html
    assert 'data-testid="claim-saved"' in html
    opening = re.search(r'<div id="review-total"[^>]*>', html).group(0)
    assert 'hx-swap-oob="true"' in opening
    total = html.split(opening)[1]
    assert "Preliminary score: 2.50 / 100, 1 of 24 claims reviewed" in text_of(total)
    assert claim_row(participant, first) == {
        "verdict": "supported", "score": Decimal("2.50"), "comment": "", "revision": 1,
        "updated_by__username": "gulou"}


def test_claim_saved_without_htmx_redirects_back_with_a_message(client, participant, first):
    response = client.post(claim_url(participant, first), claim_data(first, score="3"))
    assert response.status_code == 302
    assert response["Location"] == f"{review_url(participant)}#claim-{first.pk}"
    assert message_texts(response) == ["1.1 人才团队人数及持股比例: the verdict was saved."]
    assert claim_row(participant, first)["score"] == Decimal("3.00")
    page = client.get(review_url(participant)).content.decode()
    assert "Preliminary score: 3 / 100, 1 of 24 claims reviewed" in text_of(page)


def test_claim_not_supported_ignores_the_score_and_counts_nothing(client, participant,
                                                                  indicators):
    first, second = indicators[:2]
    client.post(claim_url(participant, first), claim_data(first, score="3"), **HTMX)
    # The score box of a claim not supported is ignored, even out of range.
    response = client.post(claim_url(participant, second),
                           claim_data(second, verdict="not_supported", score="99",
                                      comment="无劳动合同"), **HTMX)
    assert response.status_code == 200
    assert claim_row(participant, second) == {
        "verdict": "not_supported", "score": None, "comment": "无劳动合同", "revision": 1,
        "updated_by__username": "gulou"}
    assert "Preliminary score: 3 / 100, 2 of 24 claims reviewed" in text_of(
        response.content.decode())


def test_every_claim_reviewed_gives_the_preliminary_score_without_the_unsupported(
        client, participant, indicators):
    for k, indicator in enumerate(indicators):
        data = claim_data(indicator, verdict="not_supported", comment="无支撑材料") if k == 0 \
            else claim_data(indicator, score=str(indicator.points))
        assert client.post(claim_url(participant, indicator), data, **HTMX).status_code == 200
    participant.refresh_from_db()
    assert (participant.score, participant.reviewed) == (Decimal(100) - indicators[0].points,
                                                         24)
    page = client.get(review_url(participant)).content.decode()
    assert "Preliminary score: 97 / 100, 24 of 24 claims reviewed" in text_of(page)


def test_claim_not_supported_without_a_comment_is_refused_with_the_input_kept(
        client, participant, first):
    response = client.post(claim_url(participant, first),
                           claim_data(first, verdict="not_supported", score="1.5"), **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Say why the claim is not supported." in html
    checked = re.findall(rf'<input type="radio" name="claim-{first.pk}-verdict" '
                         r'value="(\w+)"[^>]*checked>', html)
    assert checked == ["not_supported"]
    assert 'value="1.5"' in html
    assert claim_row(participant, first) is None


def test_invalid_score_is_refused_with_what_was_typed(client, participant, first):
    response = client.post(claim_url(participant, first),
                           claim_data(first, score="4", comment="偏高"), **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The score must be between 0 and 3." in html
    assert 'value="4"' in html and "偏高</textarea>" in html
    assert claim_row(participant, first) is None


def test_claim_posted_without_its_revision_is_refused_as_out_of_date(client, participant,
                                                                     first):
    data = claim_data(first)
    del data[f"claim-{first.pk}-revision"]
    response = client.post(claim_url(participant, first), data, **HTMX)
    assert response.status_code == 400
    assert "The page is out of date; reload it." in response.content.decode()
    assert claim_row(participant, first) is None


def test_refused_claim_without_htmx_shows_the_page_with_the_typed_copy(client, participant,
                                                                       first):
    response = client.post(claim_url(participant, first),
                           claim_data(first, score="abc", comment="我的意见"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="save-error"' in html and "The score must be a number." in html
    assert 'value="abc"' in html and "我的意见</textarea>" in html


def test_second_reviewer_on_the_same_revision_is_refused_with_the_first_ones_name(
        client, client_for, colleague, participant, first):
    other = english_client(client_for, colleague)
    # Both open the page at revision 0.
    for c in (client, other):
        assert f'name="claim-{first.pk}-revision" value="0"' in c.get(
            review_url(participant)).content.decode()
    assert other.post(claim_url(participant, first), claim_data(first, score="3"),
                      **HTMX).status_code == 200
    response = client.post(claim_url(participant, first),
                           claim_data(first, verdict="not_supported", comment="缺材料"),
                           **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "王审核 changed this indicator at" in html
    assert 'data-state="conflict"' in html and 'data-testid="reload"' in html
    assert "缺材料</textarea>" in html  # the refused copy is still there to copy from
    assert f'name="claim-{first.pk}-revision" value="0"' in html  # and cannot overwrite
    assert claim_row(participant, first) == {
        "verdict": "supported", "score": Decimal("3.00"), "comment": "", "revision": 1,
        "updated_by__username": "gulou2"}


def test_conflict_without_htmx_shows_the_page_with_the_typed_copy(client, client_for,
                                                                  colleague, participant,
                                                                  first):
    client_for(colleague).post(claim_url(participant, first), claim_data(first, score="3"))
    response = client.post(claim_url(participant, first),
                           claim_data(first, score="1", comment="我的版本"))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="save-error"' in html and "王审核 changed this indicator" in html
    assert "我的版本</textarea>" in html
    assert claim_row(participant, first)["score"] == Decimal("3.00")


def test_locked_review_shows_why_and_refuses_claims(client, cycle, gulou, participant, first):
    DistrictReview.objects.filter(pk=participant.district_review_id).update(
        status=DistrictReviewStatus.SUBMITTED)
    html = client.get(review_url(participant)).content.decode()
    assert 'data-testid="edit-problem"' in html and "<form id=\"claim-" not in html
    response = client.post(claim_url(participant, first), claim_data(first), **HTMX)
    assert response.status_code == 422
    assert "The district&#x27;s summary is submitted" in response.content.decode()
    # Without htmx: the page again, with the refused verdict as typed.
    response = client.post(claim_url(participant, first), claim_data(first, comment="迟了"))
    assert response.status_code == 422
    html = response.content.decode()
    assert len(re.findall(r"<form id=\"claim-", html)) == 1 and "迟了</textarea>" in html
    assert claim_row(participant, first) is None


def test_indicator_of_another_cycle_is_a_404(client, participant, users):
    other_cycle = open_preliminary_review(users["city_admin"], submitted=[], year=2027)
    foreign = other_cycle.categories.first().indicators.first()
    assert client.post(claim_url(participant, foreign), claim_data(foreign),
                       **HTMX).status_code == 404


# --- The overall opinion --------------------------------------------------------------------------

def test_opinion_is_saved_and_shown(client, participant):
    response = client.post(reverse("evaluations:participant_comment", args=[participant.pk]),
                           {"comment": "  总体真实，建议补充财务凭证。 "})
    assert response.status_code == 302
    assert response["Location"] == f"{review_url(participant)}#opinion"
    assert message_texts(response) == ["The overall opinion was saved."]
    participant.refresh_from_db()
    assert participant.comment == "总体真实，建议补充财务凭证。"
    assert "总体真实，建议补充财务凭证。</textarea>" in client.get(
        review_url(participant)).content.decode()


def test_second_reviewer_saving_the_opinion_from_an_old_page_is_refused(
        client, client_for, colleague, participant):
    """Two reviewers open the page on the same (empty) opinion; the second save does not
    silently replace the first: it is refused, names who wrote what, keeps the typed text,
    and a second, deliberate save replaces it."""
    url = reverse("evaluations:participant_comment", args=[participant.pk])
    other = english_client(client_for, colleague)
    assert client.post(url, {"comment": "材料齐全", "loaded": ""}).status_code == 302
    response = other.post(url, {"comment": "建议实地核查", "loaded": ""})
    assert response.status_code == 409
    html = response.content.decode()
    assert "gulou" in html and "材料齐全" in html and "建议实地核查</textarea>" in html
    participant.refresh_from_db()
    assert (participant.comment, participant.comment_by.username) == ("材料齐全", "gulou")
    # The re-rendered form now carries the newer text as loaded: saving again is deliberate.
    assert 'name="loaded" value="材料齐全"' in html
    assert other.post(url, {"comment": "建议实地核查", "loaded": "材料齐全"}).status_code == 302
    participant.refresh_from_db()
    assert (participant.comment, participant.comment_by) == ("建议实地核查", colleague)


def test_opinion_refused_when_locked_keeps_the_text(client, participant):
    DistrictReview.objects.filter(pk=participant.district_review_id).update(
        status=DistrictReviewStatus.ACCEPTED)
    response = client.post(reverse("evaluations:participant_comment", args=[participant.pk]),
                           {"comment": "迟到的意见"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "The city has accepted the district&#x27;s summary" in html
    assert 'data-testid="opinion-error"' in html and "迟到的意见</textarea>" in html
    participant.refresh_from_db()
    assert participant.comment == ""


# --- Site visits ----------------------------------------------------------------------------------

def visit_data(**overrides) -> dict:
    data = {"visited_on": timezone.localdate().isoformat(), "visitors": "张三、李四",
            "findings": "实验室与申报一致。\n设备在用。",
            "files": [upload("现场.pdf", PDF), upload("照片.png", PNG)]}
    data.update(overrides)
    return data


def test_site_visit_with_files_is_recorded_and_listed(client, participant):
    url = reverse("evaluations:site_visit_create", args=[participant.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, visit_data())
    assert response.status_code == 302
    assert response["Location"] == f"{review_url(participant)}#visits"
    assert message_texts(response) == [
        f"The site visit of {timezone.localdate().isoformat()} was recorded with 2 files."]
    visit = SiteVisit.objects.get(participant=participant)
    assert ([(f.original_name, f.kind) for f in visit.files.all()],
            visit.visitors, visit.recorded_by.username) == (
        [("现场.pdf", "pdf"), ("照片.png", "png")], "张三、李四", "gulou")
    html = client.get(review_url(participant)).content.decode()
    for f in visit.files.all():
        assert reverse("evaluations:site_visit_file", args=[f.pk]) in html
    assert "实验室与申报一致。\n设备在用。" in html


def test_site_visit_without_files_is_fine(client, participant):
    response = client.post(reverse("evaluations:site_visit_create", args=[participant.pk]),
                           visit_data(files=[]))
    assert response.status_code == 302
    assert SiteVisit.objects.get(participant=participant).files.count() == 0


def test_site_visit_in_the_future_is_refused_with_the_input_kept(client, participant):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("evaluations:site_visit_create", args=[participant.pk]),
                           visit_data(visited_on=tomorrow))
    assert response.status_code == 422
    html = response.content.decode()
    assert "A visit cannot be recorded before it takes place." in html
    assert "Choose the files again" in html
    assert f'value="{tomorrow}"' in html and "张三、李四" in html
    assert not SiteVisit.objects.exists()


def test_site_visit_files_are_served_inline_or_as_download(client, participant, reviewer):
    pdf = give_visit(participant, reviewer, kind=EvidenceType.PDF).files.get()
    docx = give_visit(participant, reviewer, kind=EvidenceType.DOCX).files.get()
    shown = client.get(reverse("evaluations:site_visit_file", args=[pdf.pk]))
    assert (shown.status_code, shown["Content-Type"], shown["Content-Disposition"]) == (
        200, "application/pdf", content_disposition_header(False, "现场照片0.pdf"))
    assert b"".join(shown.streaming_content) == PDF
    saved = client.get(reverse("evaluations:site_visit_file", args=[docx.pk]))
    assert saved["Content-Disposition"].startswith("attachment;")
    assert b"".join(saved.streaming_content) == docx_bytes()


@pytest.mark.parametrize("role, status", [
    ("city_admin", 200), ("panel_organiser", 200), ("district_reviewer", 200),
    ("district_reviewer_other", 404), ("expert", 404), ("institution_filer", 404),
    ("institution_admin", 404), ("institution_filer_other", 404),
])
def test_site_visit_files_are_served_only_in_scope(client_for, users, participant, reviewer,
                                                   role, status):
    attachment = give_visit(participant, reviewer).files.get()
    response = client_for(users[role]).get(
        reverse("evaluations:site_visit_file", args=[attachment.pk]))
    assert response.status_code == status
