"""The district's summary (Art 10) as plain data: what the summary page shows, what the PDF
and the Excel workbook print and what the content digest of a stamped scan is computed from.

``district_summary`` reads everything in a fixed number of queries, whatever the district's
size.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from scoring import district_split

from . import completeness
from .enums import ClaimVerdict, PreliminaryGroup, RectificationStatus
from .models import ClaimReview, DistrictReview, Participant, Rectification, SiteVisit


@dataclass(frozen=True)
class SummaryRow:
    rank: int | None
    credit_code: str
    name: str
    cluster: str
    score: Decimal | None
    group: str
    opinion: str
    not_supported: tuple[str, ...]  # "code name: comment" of each claim not supported (R3)
    reason: str  # the written reason for a place away from score order (R4)
    visits: tuple[str, ...]
    open_rectifications: tuple[str, ...]  # "deadline: problems" of each notice not closed
    fraud: bool


@dataclass(frozen=True)
class DistrictSummary:
    year: int
    district: str
    n: int
    sizes: tuple[int, int, int]  # (a_d, b_d, c_d) of R4
    rows: tuple[SummaryRow, ...] = field(default_factory=tuple)

    def digest(self) -> str:
        """The fingerprint of the content: a stamped scan belongs to exactly one content."""
        return completeness.content_digest(asdict(self))

    def group_label(self, group: str) -> str:
        return str(PreliminaryGroup(group).label) if group else ""


def district_summary(district_review: DistrictReview) -> DistrictSummary:
    """The district's ranked participants with everything the summary prints (Art 10)."""
    participants = list(
        Participant.objects.filter(district_review=district_review)
        .select_related("institution", "submission__cluster")
        .order_by("rank", "-score", "institution__credit_code"))
    ids = [p.pk for p in participants]
    not_supported: dict[int, list[str]] = defaultdict(list)
    for claim in (ClaimReview.objects.filter(participant__district_review=district_review,
                                             verdict=ClaimVerdict.NOT_SUPPORTED)
                  .select_related("indicator")
                  .order_by("indicator__category__order", "indicator__order")):
        not_supported[claim.participant_id].append(
            f"{claim.indicator.code} {claim.indicator.name}: {claim.comment}".strip())
    visits: dict[int, list[str]] = defaultdict(list)
    for visit in SiteVisit.objects.filter(participant__district_review=district_review) \
            .order_by("visited_on", "pk"):
        visits[visit.participant_id].append(
            f"{visit.visited_on:%Y-%m-%d} {visit.visitors}: {visit.findings}")
    rectifications: dict[int, list[str]] = defaultdict(list)
    for notice in Rectification.objects.filter(
            participant__district_review=district_review).exclude(
            status=RectificationStatus.CLOSED).order_by("deadline", "pk"):
        rectifications[notice.participant_id].append(
            f"{notice.deadline:%Y-%m-%d}: {notice.problems}")
    sizes = district_split(len(ids),
                           district_review.cycle.policy_version.as_params().district_shares)
    rows = tuple(
        SummaryRow(rank=p.rank, credit_code=p.institution.credit_code, name=p.institution.name,
                   cluster=p.submission.cluster.name, score=p.score, group=p.group,
                   opinion=p.comment, not_supported=tuple(not_supported[p.pk]),
                   reason=p.rank_reason, visits=tuple(visits[p.pk]),
                   open_rectifications=tuple(rectifications[p.pk]),
                   fraud=p.fraud_confirmed_at is not None)
        for p in participants)
    return DistrictSummary(year=district_review.cycle.year,
                           district=district_review.district.name, n=len(ids),
                           sizes=(sizes.a, sizes.b, sizes.c), rows=rows)
