"""Scoped reads of policy versions, cycles and self-evaluations."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from institutions.enums import FilingStatus
from institutions.models import Institution, User
from institutions.rules import (
    is_city_staff,
    is_district_reviewer,
    is_institution_user,
)
from scoring import OutOfCohort, out_of_cohort_reason

from ..enums import CycleStatus
from ..models import (
    CreditRecord,
    Cycle,
    DistrictReview,
    FraudReport,
    Participant,
    PolicyVersion,
    Rectification,
    Submission,
)


def policy_version_in_force(on: dt.date | None = None) -> PolicyVersion | None:
    """The version with the latest effective date on or before ``on`` (R13)."""
    on = on or timezone.localdate()
    return PolicyVersion.objects.filter(effective_date__lte=on).order_by("-effective_date").first()


def current_cycle() -> Cycle | None:
    """The cycle the dashboards show: the latest one not yet final, else the latest."""
    return (Cycle.objects.exclude(status=CycleStatus.FINAL).order_by("-year").first()
            or Cycle.objects.order_by("-year").first())


@dataclass
class Cohort:
    """Who a cycle evaluates (R1) and who it leaves out, with the reason."""

    included: list[Institution] = field(default_factory=list)
    excluded: list[tuple[Institution, OutOfCohort]] = field(default_factory=list)

    def included_by(self, attribute: str) -> list[tuple[str, int]]:
        counts = Counter(getattr(i, attribute).name for i in self.included)
        order = {getattr(i, attribute).name: getattr(i, attribute).sort_order
                 for i in self.included}
        return sorted(counts.items(), key=lambda item: order[item[0]])

    def excluded_by_reason(self) -> list[tuple[OutOfCohort, int]]:
        counts = Counter(reason for _, reason in self.excluded)
        return [(reason, counts[reason]) for reason in OutOfCohort if counts[reason]]


def cycle_cohort(cycle: Cycle) -> Cohort:
    """The institutions that should participate in ``cycle`` (R1) as the registry stands now:
    filing active, filing year of the cycle's parity and at least the policy's minimum age."""
    min_age = cycle.policy_version.cohort_min_age_years
    cohort = Cohort()
    institutions = Institution.objects.select_related("district", "cluster").order_by(
        "district__sort_order", "name")
    for institution in institutions:
        reason = out_of_cohort_reason(institution.filing_year, cycle.year,
                                      active=institution.status == FilingStatus.ACTIVE,
                                      min_age_years=min_age)
        if reason is None:
            cohort.included.append(institution)
        else:
            cohort.excluded.append((institution, reason))
    return cohort


def submissions_for_user(user: User, cycle: Cycle | None = None) -> QuerySet[Submission]:
    """Self-evaluations the user may see: the city all, a district its own district's, an
    institution its own. (Experts see the ones assigned to them from the panel stage on.)"""
    qs = Submission.objects.select_related("institution", "district", "cluster", "cycle")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    if not user.is_authenticated:
        return qs.none()
    if is_city_staff(user):
        return qs
    if is_district_reviewer(user):
        return qs.filter(district_id=user.district_id)
    if is_institution_user(user):
        return qs.filter(institution_id=user.institution_id)
    return qs.none()


# --- Stage 2, the preliminary review ---------------------------------------------------------

REVIEWED_STATUSES = (CycleStatus.PRELIMINARY_REVIEW, CycleStatus.PANEL_REVIEW,
                     CycleStatus.REVERIFICATION, CycleStatus.PUBLIC_NOTICE, CycleStatus.FINAL)


def preliminary_cycle() -> Cycle | None:
    """The cycle the preliminary-review pages show: the latest one whose preliminary review
    has opened."""
    return Cycle.objects.filter(status__in=REVIEWED_STATUSES).order_by("-year").first()


def _scoped(qs: QuerySet, user: User, district_field: str,
            institution_field: str | None = None) -> QuerySet:
    if not user.is_authenticated:
        return qs.none()
    if is_city_staff(user):
        return qs
    if is_district_reviewer(user):
        return qs.filter(**{district_field: user.district_id})
    if institution_field and is_institution_user(user):
        return qs.filter(**{institution_field: user.institution_id})
    return qs.none()


def district_reviews_for_user(user: User, cycle: Cycle | None = None
                              ) -> QuerySet[DistrictReview]:
    """District reviews the user may see: the city all, a district its own."""
    qs = DistrictReview.objects.select_related("cycle__policy_version", "district")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    return _scoped(qs, user, "district_id")


def participants_for_user(user: User, cycle: Cycle | None = None) -> QuerySet[Participant]:
    """Participants the user may review or read: the city all, a district its own."""
    qs = Participant.objects.select_related(
        "cycle__policy_version", "district_review__district", "district_review__cycle",
        "institution",
        "submission__cluster")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    return _scoped(qs, user, "district_review__district_id")


def rectifications_for_user(user: User) -> QuerySet[Rectification]:
    """Rectification notices: the city all, a district its own, an institution its own."""
    qs = Rectification.objects.select_related(
        "participant__cycle", "participant__institution", "participant__district_review__district",
        "issued_by")
    return _scoped(qs, user, "participant__district_review__district_id",
                   "participant__institution_id")


def fraud_reports_for_user(user: User) -> QuerySet[FraudReport]:
    """Fraud reports: the city all, a district its own (never the institution)."""
    qs = FraudReport.objects.select_related(
        "participant__cycle", "participant__institution",
        "participant__district_review__district", "reported_by", "decided_by")
    return _scoped(qs, user, "participant__district_review__district_id")


def credit_records_for_user(user: User) -> QuerySet[CreditRecord]:
    """Credit records (R8) are the city's."""
    qs = CreditRecord.objects.select_related("institution", "cycle", "fraud_report",
                                             "recorded_by")
    if user.is_authenticated and is_city_staff(user):
        return qs
    return qs.none()
