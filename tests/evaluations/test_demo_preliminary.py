"""The demo's 2025 cycle (issue 4 §5): its preliminary review with the districts in every
state, made through the services, deterministic and idempotent."""
from __future__ import annotations

from collections import Counter

import pytest
from auditlog.context import disable_auditlog
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from evaluations.demo import preliminary as demo
from evaluations.demo import registry as registry_demo
from evaluations.demo import self_evaluation as cycle_demo
from evaluations.enums import (
    CycleStatus,
    DistrictReviewStatus,
    FraudStatus,
    RectificationStatus,
    ReportStatus,
    SubmissionStatus,
)
from evaluations.models import (
    ClaimReview,
    CreditRecord,
    Cycle,
    DistrictReview,
    DistrictSummaryFile,
    FraudReport,
    Participant,
    Rectification,
    SiteVisit,
    Submission,
)
from evaluations.services.preliminary import district_ranking_problems
from institutions.enums import FilingStatus
from institutions.models import Cluster, District, Institution, Notification, User
from institutions.reference_data import ensure_reference_data


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeding takes a while: once for the module, in a transaction rolled back at the end
    (each test runs in a savepoint inside it); its files go to a temporary media directory."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), \
            transaction.atomic():
        with disable_auditlog():
            ensure_reference_data(District, Cluster)
        registry_demo.seed_registry()
        registry_demo.seed_accounts()
        cycle_demo.seed_cycle()
        yield demo.seed_preliminary()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return _seeded_once


@pytest.fixture
def cycle(seeded):
    return Cycle.objects.get(year=demo.DEMO_YEAR)


def _review(cycle, name: str) -> DistrictReview:
    return DistrictReview.objects.get(cycle=cycle, district__name=name)


def _state() -> dict:
    return {
        "cycles": list(Cycle.objects.order_by("year").values_list("year", "status")),
        "submissions": Counter(Submission.objects.values_list("cycle__year", "status")),
        "reviews": sorted(DistrictReview.objects.values_list(
            "district__name", "status", "revision", "return_reason")),
        "participants": sorted(Participant.objects.values_list("pk", "score", "rank", "group")),
        "claims": ClaimReview.objects.count(),
        "visits": SiteVisit.objects.count(),
        "rectifications": Counter(Rectification.objects.values_list("status", flat=True)),
        "fraud": Counter(FraudReport.objects.values_list("status", flat=True)),
        "credit_records": CreditRecord.objects.count(),
        "summaries": DistrictSummaryFile.objects.count(),
        "users": User.objects.count(),
        "notifications": Notification.objects.count(),
        "filings": Counter(Institution.objects.values_list("status", flat=True)),
    }


def test_seed_preliminary_puts_the_districts_in_every_state_and_is_idempotent(seeded, cycle):
    assert (seeded.created, seeded.districts) == (True, len(demo.PLANS))
    assert cycle.status == CycleStatus.PRELIMINARY_REVIEW
    statuses = Counter(cycle.district_reviews.values_list("status", flat=True))
    assert set(statuses) == set(DistrictReviewStatus.values)
    assert {name: _review(cycle, name).status for name in demo.PLANS} == {
        "鼓楼区": DistrictReviewStatus.IN_REVIEW, "铜山区": DistrictReviewStatus.IN_REVIEW,
        "云龙区": DistrictReviewStatus.SUBMITTED, "贾汪区": DistrictReviewStatus.RETURNED,
        "泉山区": DistrictReviewStatus.ACCEPTED}
    before = _state()
    assert demo.seed_preliminary() == demo.PreliminarySeed(created=False, submitted=0,
                                                           districts=0)
    assert cycle_demo.seed_cycle() == cycle_demo.CycleSeed(created=False, partial=0,
                                                           submitted=0)
    assert _state() == before


def test_seed_preliminary_cohort_submitted_but_a_handful(seeded, cycle):
    statuses = Counter(cycle.submissions.values_list("status", flat=True))
    assert statuses == {SubmissionStatus.SUBMITTED: seeded.submitted,
                        SubmissionStatus.NOT_PARTICIPATING: demo.NOT_SUBMITTED}
    years = {s.institution.filing_date.year for s in cycle.submissions.all()}
    assert years == {2015, 2017, 2019, 2021, 2023}
    # R2: the non-submitters' filings are abandoned; they are no participants.
    abandoned = cycle.submissions.filter(status=SubmissionStatus.NOT_PARTICIPATING)
    assert {s.institution.status for s in abandoned} == {FilingStatus.ABANDONED}
    assert Participant.objects.filter(cycle=cycle).count() == seeded.submitted
    today = timezone.localdate()
    stage = cycle.stages.get(stage=CycleStatus.PRELIMINARY_REVIEW)
    assert ((stage.opens_on - today).days, (stage.closes_on - today).days) == (-5, 20)
    # The 2026 demo cycle is untouched: still in self-evaluation.
    assert Cycle.objects.get(year=cycle_demo.DEMO_YEAR).status == CycleStatus.SELF_EVALUATION


def test_seed_preliminary_gulou_is_in_review_with_rich_data(seeded, cycle):
    review = _review(cycle, "鼓楼区")
    participants = review.participants.all()
    reviewed = [p.reviewed for p in participants]
    assert sorted(p.score is not None for p in participants).count(True) == 2
    assert 0 < sum(reviewed) < 24 * len(reviewed)
    assert SiteVisit.objects.filter(participant__district_review=review).count() == 3
    notices = Rectification.objects.filter(participant__district_review=review)
    assert Counter(n.status for n in notices) == {RectificationStatus.OPEN: 2,
                                                  RectificationStatus.ANSWERED: 1,
                                                  RectificationStatus.CLOSED: 1}
    assert [n.is_overdue for n in notices if n.status == RectificationStatus.OPEN].count(
        True) == 1
    assert FraudReport.objects.get(participant__district_review=review).status == \
        FraudStatus.REPORTED


def test_seed_preliminary_demo_login_has_an_open_notice_to_answer(seeded, cycle):
    user = User.objects.get(username="inst_filer_2025")
    assert (user.institution.district.name, user.institution.filing_date.year % 2) == (
        "鼓楼区", 1)
    notice = Rectification.objects.get(participant__institution=user.institution)
    assert (notice.status, notice.is_overdue) == (RectificationStatus.OPEN, False)
    assert Notification.objects.filter(user=user).exists()


def test_seed_preliminary_submitted_districts_are_ranked_with_stamped_summaries(seeded,
                                                                                cycle):
    for name in ("云龙区", "贾汪区", "泉山区"):
        review = _review(cycle, name)
        assert district_ranking_problems(review) == []
        summary = review.summaries.get()
        assert (summary.status, bool(summary.file), bool(summary.scan)) == (
            ReportStatus.DONE, True, True)
        assert review.summary_id == summary.pk
        with summary.file.open("rb") as file:
            assert file.read(5) == b"%PDF-"
    assert _review(cycle, "贾汪区").return_reason == demo.RETURN_REASON


def test_seed_preliminary_leaves_one_fraud_report_for_the_city_and_one_credit_record(
        seeded, cycle):
    assert Counter(FraudReport.objects.values_list("status", flat=True)) == {
        FraudStatus.REPORTED: 1, FraudStatus.CONFIRMED: 1}
    record = CreditRecord.objects.get()
    assert (record.cycle, record.institution.district.name) == (cycle, "铜山区")
