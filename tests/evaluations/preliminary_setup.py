"""Shared set-up of the stage-2 tests: a cycle whose preliminary review is open, with
districts of any size, and quick ways to review and rank their participants.

Stage 1 is not replayed report by report (its own tests do that): the chosen reports are
marked submitted, the self-evaluation stage is closed with its service (R2) and the cycle
moves on with ``cycle_transition``, which opens the preliminary review.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone

from evaluations.enums import ClaimVerdict, CycleStatus, SubmissionStatus
from evaluations.models import (
    ClaimReview,
    Cycle,
    CycleStage,
    DistrictReview,
    Indicator,
    Participant,
    Submission,
)
from evaluations.services.cycles import cycle_stage_schedule, cycle_transition
from evaluations.services.preliminary import district_ranking_save, participant_rescore
from evaluations.services.self_evaluation import self_evaluation_close
from institutions.models import District, Institution
from tests.evaluations.self_evaluation_setup import open_cycle
from tests.factories import InstitutionFactory


def add_institutions(district: District, n: int) -> list[Institution]:
    """``n`` more institutions in ``district``, filed in 2021 (in the 2025 cohort, R1)."""
    return [InstitutionFactory(district=district, filing_date=dt.date(2021, 3, 1))
            for _ in range(n)]


def open_preliminary_review(actor, *, submitted: Iterable[Institution] | None = None,
                            year: int = 2025) -> Cycle:
    """A cycle in its preliminary review: self-evaluation opened, the reports of
    ``submitted`` (default: every invited institution) marked submitted, the stage closed with
    its service (the others become 未参评, R2), and the preliminary review opened."""
    cycle = open_cycle(actor, year=year)
    today = timezone.localdate()
    reports = cycle.submissions.all()
    if submitted is not None:
        reports = reports.filter(institution__in=list(submitted))
    reports.update(status=SubmissionStatus.SUBMITTED, submitted_at=timezone.now())
    yesterday = today - dt.timedelta(days=1)
    CycleStage.objects.filter(cycle=cycle, stage=CycleStatus.SELF_EVALUATION).update(
        opens_on=yesterday - dt.timedelta(days=30), closes_on=yesterday)
    Submission.objects.filter(cycle=cycle).update(deadline=yesterday)
    self_evaluation_close(cycle=cycle, actor=actor)
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.PRELIMINARY_REVIEW, opens_on=today,
                         closes_on=today + dt.timedelta(days=30), actor=actor)
    cycle_transition(cycle=cycle, to_status=CycleStatus.PRELIMINARY_REVIEW, actor=actor)
    cycle.refresh_from_db()
    return cycle


def score_directly(participant: Participant, total: Decimal | int | str, actor=None) -> None:
    """Review every claim of ``participant`` as supported so that the scores add up to
    ``total`` (filled from the first indicator on), without the per-claim service."""
    left = Decimal(str(total))
    rows = []
    for indicator in Indicator.objects.filter(category__cycle_id=participant.cycle_id) \
            .order_by("category__order", "order"):
        given = min(left, indicator.points)
        left -= given
        rows.append(ClaimReview(participant=participant, indicator=indicator,
                                verdict=ClaimVerdict.SUPPORTED, score=given, revision=1,
                                updated_by=actor))
    ClaimReview.objects.filter(participant=participant).delete()
    ClaimReview.objects.bulk_create(rows)
    participant_rescore(participant)


def district_review(cycle: Cycle, district: District) -> DistrictReview:
    return DistrictReview.objects.select_related("cycle", "district").get(cycle=cycle,
                                                                           district=district)


def rank_by_score(review: DistrictReview, actor, *, confirm_ties: bool = True):
    """Save the ranking in score order (best first), confirming every tie."""
    participants = list(review.participants.order_by("-score", "pk"))
    order = [p.pk for p in participants]
    return district_ranking_save(
        district_review=review, order=order, reasons={},
        tie_confirmed=set(order) if confirm_ties else set(), revision=review.revision,
        actor=actor)
