"""The review pages make as many SQL queries with a small district or report as with a big one:
3 or 12 participants on the list, 2 or 6 evidence files (and 1 or 3 site visits, claims
reviewed or not) on the review of one report."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import EvidenceType, FraudKind, SubmissionStatus
from evaluations.models import Participant, Submission
from evaluations.services.findings import fraud_report_file, rectification_issue
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    score_directly,
)
from tests.evaluations.review_setup import give_answer, give_evidence, give_visit, indicators_of

MAX_QUERIES = 20


def _count(client, url: str) -> int:
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _busy(participant: Participant, actor) -> None:
    """Give a participant everything the list counts: a score, a visit, an open
    rectification notice and a fraud report."""
    score_directly(participant, "80")
    give_visit(participant, actor)
    rectification_issue(participant=participant, problems="补充材料。",
                        deadline=timezone.localdate() + dt.timedelta(days=7), actor=actor)
    fraud_report_file(participant=participant, kind=FraudKind.FABRICATED,
                      description="虚构项目。", actor=actor)


@pytest.fixture
def setting(users, default_policy, private_media, gulou, institution, sibling_institution):
    """鼓楼区 with 3 submitted reports, and 10 more institutions that did not submit."""
    extra = add_institutions(gulou, 11)
    return open_preliminary_review(users["city_admin"],
                                   submitted=[institution, sibling_institution, extra[0]])


def _grow(review) -> None:
    """9 of those that did not submit become participants (12 in all, 1 left out)."""
    absent = list(Submission.objects.filter(cycle=review.cycle, district=review.district,
                                            status=SubmissionStatus.NOT_PARTICIPATING)
                  .order_by("pk")[:9])
    Submission.objects.filter(pk__in=[s.pk for s in absent]).update(
        status=SubmissionStatus.SUBMITTED)
    Participant.objects.bulk_create([
        Participant(cycle=review.cycle, submission=s, institution_id=s.institution_id,
                    district_review=review) for s in absent])


@pytest.mark.parametrize("role", ["district_reviewer", "city_admin"])
def test_participant_list_query_count_does_not_grow(client_for, users, setting, gulou, role):
    review = district_review(setting, gulou)
    reviewer = users["district_reviewer"]
    _busy(review.participants.first(), reviewer)
    client = client_for(users[role])
    url = reverse("evaluations:participant_list", args=[review.pk])
    small = _count(client, url)
    _grow(review)
    for participant in review.participants.order_by("pk")[1:6]:
        _busy(participant, reviewer)
    assert review.participants.count() == 12
    large = _count(client, url)
    assert small == large <= MAX_QUERIES


@pytest.mark.parametrize("role", ["district_reviewer", "city_admin"])
def test_participant_review_query_count_does_not_grow(client_for, users, setting, institution,
                                                      role):
    participant = Participant.objects.get(cycle=setting, institution=institution)
    reviewer = users["district_reviewer"]
    first, second, third = indicators_of(participant)[:3]
    give_evidence(give_answer(participant, first, narrative="说明"), reviewer, n=2)
    give_visit(participant, reviewer)
    client = client_for(users[role])
    url = reverse("evaluations:participant_review", args=[participant.pk])
    small = _count(client, url)
    give_evidence(give_answer(participant, second), reviewer, n=2, kind=EvidenceType.PNG)
    give_evidence(give_answer(participant, third), reviewer, n=2, kind=EvidenceType.DOCX)
    give_visit(participant, reviewer, files=3)
    give_visit(participant, reviewer, files=2, kind=EvidenceType.PNG)
    score_directly(participant, "90", actor=reviewer)
    rectification_issue(participant=participant, problems="补充材料。",
                        deadline=timezone.localdate() + dt.timedelta(days=7), actor=reviewer)
    fraud_report_file(participant=participant, kind=FraudKind.OVERSTATED,
                      description="虚报人数。", actor=reviewer)
    assert participant.submission.responses.filter(evidence__isnull=False).count() == 6
    large = _count(client, url)
    assert small == large <= MAX_QUERIES
