"""Every create form is idempotent (issue 9 §3): the page carries a one-time token in a hidden
input, and a second post of the same page (a double click, a request sent again) gets what the
first made instead of a second notice, visit, fraud report or PDF. The simultaneous posts are
in ``test_concurrency_races``."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import FraudKind
from evaluations.models import (
    DistrictReview,
    DistrictSummaryFile,
    FraudReport,
    Participant,
    Rectification,
    ReportFile,
    SiteVisit,
    SiteVisitFile,
)
from evaluations.services.findings import rectification_issue
from evaluations.services.self_evaluation import submission_pledge
from institutions.models import Notification
from tests.evaluations.preliminary_setup import open_preliminary_review, rank_by_score
from tests.evaluations.ranking_setup import scored
from tests.evaluations.self_evaluation_setup import fill, open_cycle, upload

TOKEN = re.compile(r'<input type="hidden" name="form_token" value="([A-Za-z0-9_-]+)"')


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cycle(users, default_policy, institution, sibling_institution):
    return open_preliminary_review(users["city_admin"],
                                   submitted=[institution, sibling_institution])


@pytest.fixture
def participant(cycle, institution) -> Participant:
    return Participant.objects.get(cycle=cycle, institution=institution)


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


def token_of(response) -> str:
    """The one-time token the page's form carries (a new one at every load)."""
    assert response.status_code == 200
    return TOKEN.search(response.content.decode()).group(1)


def post_twice(client, url, data: dict) -> tuple:
    return client.post(url, data), client.post(url, data)


def test_rectification_create_posted_twice_issues_one_notice_and_one_notification(
        participant, reviewer, client_for):
    client = client_for(reviewer)
    url = reverse("evaluations:rectification_create", args=[participant.pk])
    page = client.get(url)
    deadline = timezone.localdate() + dt.timedelta(days=10)
    first, second = post_twice(client, url, {"problems": "补充2023年审计报告",
                                             "deadline": deadline.isoformat(),
                                             "form_token": token_of(page)})
    notice = Rectification.objects.get()
    review_url = reverse("evaluations:participant_review", args=[participant.pk])
    assert [(r.status_code, r["Location"]) for r in (first, second)] == [(302, review_url)] * 2
    assert notice.form_token == token_of(page)
    notified = Notification.objects.filter(url=reverse("evaluations:rectification_detail",
                                                       args=[notice.pk]))
    assert notified.count() == participant.institution.users.filter(is_active=True).count()
    assert notified.count() > 0


def test_rectification_create_pages_carry_a_new_token_each_time(participant, reviewer,
                                                                client_for):
    client = client_for(reviewer)
    url = reverse("evaluations:rectification_create", args=[participant.pk])
    first, second = token_of(client.get(url)), token_of(client.get(url))
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    for token in (first, second):
        client.post(url, {"problems": "补充凭证", "deadline": deadline, "form_token": token})
    # Two pages are two notices: only the same page posted again is deduplicated.
    assert Rectification.objects.count() == 2 and first != second


def test_rectification_token_of_another_participant_is_refused(cycle, participant, reviewer,
                                                               sibling_institution):
    deadline = timezone.localdate() + dt.timedelta(days=10)
    rectification_issue(participant=participant, problems="补充凭证", deadline=deadline,
                        actor=reviewer, form_token="abc")
    sibling = Participant.objects.get(cycle=cycle, institution=sibling_institution)
    from institutions.exceptions import DomainError

    with pytest.raises(DomainError):
        rectification_issue(participant=sibling, problems="补充凭证", deadline=deadline,
                            actor=reviewer, form_token="abc")
    assert Rectification.objects.count() == 1


def test_site_visit_create_posted_twice_records_one_visit(participant, reviewer, client_for):
    client = client_for(reviewer)
    url = reverse("evaluations:site_visit_create", args=[participant.pk])
    token = token_of(client.get(url))
    responses = [client.post(url, {"visited_on": timezone.localdate().isoformat(),
                                   "visitors": "张三、李四", "findings": "场地与申报一致",
                                   "files": [upload("现场照片.pdf")], "form_token": token})
                 for _ in range(2)]
    assert [r.status_code for r in responses] == [302, 302]
    assert (SiteVisit.objects.count(), SiteVisitFile.objects.count()) == (1, 1)


def test_fraud_report_create_posted_twice_files_one_report(participant, reviewer, client_for):
    client = client_for(reviewer)
    url = reverse("evaluations:fraud_report_create", args=[participant.pk])
    token = token_of(client.get(url))
    responses = [client.post(url, {"kind": FraudKind.OVERSTATED, "description": "研发费用虚报",
                                   "files": [upload("审计底稿.pdf")], "confirm": "on",
                                   "form_token": token})
                 for _ in range(2)]
    report = FraudReport.objects.get()
    detail = reverse("evaluations:fraud_detail", args=[report.pk])
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, detail)] * 2
    assert Notification.objects.filter(url=detail).count() == 1  # the one city admin


def test_report_pdf_requested_twice_queues_one_pdf(users, default_policy, institution,
                                                   client_for):
    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=institution)
    fill(submission, users["institution_filer"])
    submission_pledge(submission=submission, actor=users["institution_admin"])
    client = client_for(users["institution_filer"])
    page = client.get(reverse("evaluations:submission_submit", args=[submission.pk]))
    url = reverse("evaluations:report_request", args=[submission.pk])
    post_twice(client, url, {"form_token": token_of(page)})
    assert ReportFile.objects.filter(submission=submission).count() == 1


def test_summary_pdf_requested_twice_queues_one_pdf(cycle, reviewer, gulou, client_for):
    review = DistrictReview.objects.get(cycle=cycle, district=gulou)
    scored(review, [90, 80])
    rank_by_score(review, reviewer)
    client = client_for(reviewer)
    page = client.get(reverse("evaluations:district_summary", args=[review.pk]))
    url = reverse("evaluations:district_summary_request", args=[review.pk])
    post_twice(client, url, {"form_token": token_of(page)})
    assert DistrictSummaryFile.objects.filter(district_review=review).count() == 1


def test_extension_posted_twice_grants_one_extension(users, default_policy, institution,
                                                     client_for):
    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=institution)
    client = client_for(users["city_admin"])
    url = reverse("evaluations:cycle_extension", args=[cycle.year, submission.pk])
    new_deadline = submission.deadline + dt.timedelta(days=7)
    first, second = post_twice(client, url, {"new_deadline": new_deadline.isoformat(),
                                             "reason": "疫情封控", "form_token":
                                             token_of(client.get(url))})
    # The second is not told that the deadline must be later than the one it just set.
    assert (first.status_code, second.status_code) == (302, 302)
    assert list(submission.extensions.values_list("new_deadline", flat=True)) == [
        new_deadline]


def test_rectification_answer_posted_twice_sends_one_answer(participant, reviewer, users,
                                                            client_for):
    from evaluations.models import RectificationAnswer

    notice = rectification_issue(participant=participant, problems="补充凭证",
                                 deadline=timezone.localdate() + dt.timedelta(days=10),
                                 actor=reviewer)
    client = client_for(users["institution_filer"])
    page = client.get(reverse("evaluations:rectification_detail", args=[notice.pk]))
    url = reverse("evaluations:rectification_answer", args=[notice.pk])
    responses = [client.post(url, {"text": "已补充2023年审计报告",
                                   "files": [upload("审计报告.pdf")],
                                   "form_token": token_of(page)}) for _ in range(2)]
    # The second is not told that the answer is already with the district: it is that answer.
    assert [r.status_code for r in responses] == [302, 302]
    assert RectificationAnswer.objects.filter(rectification=notice).count() == 1


def test_evidence_uploaded_twice_is_stored_once(users, default_policy, institution,
                                                client_for):
    from evaluations.models import EvidenceFile, Indicator

    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=institution)
    indicator = Indicator.objects.filter(category__cycle=cycle, evidence_required=True) \
        .order_by("category__order", "order").first()
    client = client_for(users["institution_filer"])
    url = reverse("evaluations:evidence_upload", args=[submission.pk, indicator.pk])
    for _ in range(2):
        client.post(url, {"files": upload("研发费用明细.pdf")})
    assert EvidenceFile.objects.filter(response__submission=submission).count() == 1
