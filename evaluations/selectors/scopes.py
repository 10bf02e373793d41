"""What each user may see (the city all, a district its own district's, an institution its own):
the querysets every page and file view looks its objects up in."""
from __future__ import annotations

from django.db.models import QuerySet

from institutions.models import User
from institutions.rules import (
    is_city_staff,
    is_expert,
)
from institutions.selectors import scoped_to_user

from ..models import (
    CreditRecord,
    Cycle,
    DistrictReview,
    FraudReport,
    Participant,
    Rectification,
    Submission,
)
from .panel import expert_seats, seat_assignments


def submissions_for_user(user: User, cycle: Cycle | None = None) -> QuerySet[Submission]:
    """Self-evaluations the user may see: the city all, a district its own district's, an
    institution its own, an expert those on its list in an open panel review (never one it
    has a conflict with, R6a)."""
    qs = Submission.objects.select_related("institution", "district", "cluster", "cycle")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    if is_expert(user):
        return qs.filter(participant__pk__in=expert_assignments(user))
    return scoped_to_user(qs, user, district_field="district_id",
                          institution_field="institution_id")


def expert_assignments(user: User) -> set[int]:
    """The participants the expert ``user`` scores now: on its panels' lists, accepted, in an
    open panel review, less its conflicts."""
    return {pk for seat in expert_seats(user) for pk in seat_assignments(seat)}


def district_reviews_for_user(user: User, cycle: Cycle | None = None
                              ) -> QuerySet[DistrictReview]:
    """District reviews the user may see: the city all, a district its own."""
    qs = DistrictReview.objects.select_related("cycle__policy_version", "district")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    return scoped_to_user(qs, user, district_field="district_id")


def participants_for_user(user: User, cycle: Cycle | None = None) -> QuerySet[Participant]:
    """Participants the user may review or read: the city all, a district its own."""
    qs = Participant.objects.select_related(
        "cycle__policy_version", "district_review__district", "district_review__cycle",
        "institution",
        "submission__cluster")
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    return scoped_to_user(qs, user, district_field="district_review__district_id")


def rectifications_for_user(user: User) -> QuerySet[Rectification]:
    """Rectification notices: the city all, a district its own, an institution its own."""
    qs = Rectification.objects.select_related(
        "participant__cycle", "participant__institution", "participant__district_review__district",
        "issued_by")
    return scoped_to_user(qs, user,
                          district_field="participant__district_review__district_id",
                          institution_field="participant__institution_id")


def fraud_reports_for_user(user: User) -> QuerySet[FraudReport]:
    """Fraud reports: the city all, a district its own (never the institution)."""
    qs = FraudReport.objects.select_related(
        "participant__cycle", "participant__institution",
        "participant__district_review__district", "reported_by", "decided_by")
    return scoped_to_user(
        qs, user, district_field="participant__district_review__district_id")


def credit_records_for_user(user: User) -> QuerySet[CreditRecord]:
    """Credit records (R8) are the city's."""
    qs = CreditRecord.objects.select_related("institution", "cycle", "fraud_report",
                                             "recorded_by")
    if user.is_authenticated and is_city_staff(user):
        return qs
    return qs.none()
