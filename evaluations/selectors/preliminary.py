"""Reads of stage 2, the district's preliminary review (Art 10; R3, R4): the review sheet of a
report and its live total, the ranking rows with their groups, the dashboards' progress and
score distribution, and the district's summary as plain data (what the summary page shows,
what the PDF and the Excel workbook print and what the content digest of a stamped scan is
computed from). Each reads in a fixed number of queries, whatever the district's size."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring import (
    Claim,
    GroupSizes,
    claim_reviewed,
    district_split,
    out_of_score_order,
    preliminary_score,
    rank_groups,
    score_order,
    tie_groups,
    unexplained_inversions,
)

from .. import completeness
from ..enums import STATUS_TONES as ENUM_TONES
from ..enums import (
    ClaimVerdict,
    CycleStatus,
    DistrictReviewStatus,
    FraudKind,
    FraudStatus,
    PreliminaryGroup,
    RectificationStatus,
)
from ..models import (
    ClaimReview,
    Cycle,
    CycleStage,
    DistrictReview,
    DistrictSummaryFile,
    FraudReport,
    Indicator,
    Participant,
    Rectification,
    SiteVisit,
)

STATUS_TONES = ENUM_TONES[DistrictReviewStatus]
GROUPS = (PreliminaryGroup.A, PreliminaryGroup.B, PreliminaryGroup.C)
RECTIFICATION_STATUSES = (RectificationStatus.OPEN, RectificationStatus.ANSWERED,
                          RectificationStatus.CLOSED)
BIN_WIDTH = 10  # points per bar of the score histogram (scores run from 0 to 100)


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
    # (date, finding, description) of each fraud report still awaiting the city (R8); the
    # finding as its code, so that the digest does not depend on the language
    pending_fraud: tuple[tuple[str, str, str], ...] = ()

    @property
    def pending_fraud_lines(self) -> list[str]:
        return [f"{date} {FraudKind(kind).label}: {description}".strip()
                for date, kind, description in self.pending_fraud]


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
    pending_fraud: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for report in FraudReport.objects.filter(participant__district_review=district_review,
                                             status=FraudStatus.REPORTED).order_by("pk"):
        pending_fraud[report.participant_id].append(
            (f"{timezone.localtime(report.reported_at):%Y-%m-%d}", report.kind,
             report.description))
    sizes = district_split(len(ids),
                           district_review.cycle.policy_version.as_params().district_shares)
    rows = tuple(
        SummaryRow(rank=p.rank, credit_code=p.institution.credit_code, name=p.institution.name,
                   cluster=p.submission.cluster.name, score=p.score, group=p.group,
                   opinion=p.comment, not_supported=tuple(not_supported[p.pk]),
                   reason=p.rank_reason, visits=tuple(visits[p.pk]),
                   open_rectifications=tuple(rectifications[p.pk]),
                   fraud=p.fraud_confirmed_at is not None,
                   pending_fraud=tuple(pending_fraud[p.pk]))
        for p in participants)
    return DistrictSummary(year=district_review.cycle.year,
                           district=district_review.district.name, n=len(ids),
                           sizes=(sizes.a, sizes.b, sizes.c), rows=rows)


@dataclass(frozen=True)
class SubmitWarning:
    """Something still open in the district that the city will see in the summary: not a
    reason to refuse the submission, but one to look at first."""

    kind: str  # "fraud", "overdue", "answer"
    institution: str
    text: str
    url: str


def district_submit_warnings(district_review: DistrictReview) -> list[SubmitWarning]:
    """What the submit page warns about (Art 10): fraud reports against the district's
    institutions still awaiting the city's decision (R8), rectification notices past their
    deadline without an answer, and answers the district has not checked yet."""
    warnings = [
        SubmitWarning(kind="fraud", institution=report.participant.institution.name,
                      text=_("Fraud report (%(finding)s) of %(date)s awaits the city's "
                             "decision.") % {
                          "finding": report.get_kind_display(),
                          "date": f"{timezone.localtime(report.reported_at):%Y-%m-%d}"},
                      url=reverse("evaluations:fraud_detail", args=[report.pk]))
        for report in FraudReport.objects.filter(
            participant__district_review=district_review, status=FraudStatus.REPORTED)
        .select_related("participant__institution").order_by("reported_at", "pk")]
    notices = (Rectification.objects.filter(participant__district_review=district_review)
               .filter(Q(status=RectificationStatus.OPEN, deadline__lt=timezone.localdate())
                       | Q(status=RectificationStatus.ANSWERED))
               .select_related("participant__institution").order_by("deadline", "pk"))
    for notice in notices:
        overdue = notice.status == RectificationStatus.OPEN
        text = (_("Rectification notice overdue since %(deadline)s, not answered.")
                if overdue else
                _("Rectification answer not checked yet (deadline %(deadline)s)."))
        warnings.append(SubmitWarning(
            kind="overdue" if overdue else "answer",
            institution=notice.participant.institution.name,
            text=text % {"deadline": f"{notice.deadline:%Y-%m-%d}"},
            url=reverse("evaluations:rectification_detail", args=[notice.pk])))
    return warnings


def _count_of(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT of ``queryset`` (filtered on ``participant=OuterRef("pk")``): one
    subquery per column, so several counts never multiply each other's rows."""
    counted = queryset.order_by().values("participant").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


def participant_rows(district_review: DistrictReview) -> list[Participant]:
    """The district's participants with what the list shows, in one query: ``n_visits``,
    ``n_open_rectifications`` (not yet rectified) and ``n_fraud_reported`` (awaiting the
    city's decision); ranked ones first in rank order."""
    mine = {"participant": OuterRef("pk")}
    return list(
        Participant.objects.filter(district_review=district_review)
        .select_related("institution", "submission__cluster")
        .annotate(
            n_visits=_count_of(SiteVisit.objects.filter(**mine)),
            n_open_rectifications=_count_of(Rectification.objects.filter(**mine).exclude(
                status=RectificationStatus.CLOSED)),
            n_fraud_reported=_count_of(FraudReport.objects.filter(
                **mine, status=FraudStatus.REPORTED)))
        .order_by(F("rank").asc(nulls_last=True), "institution__name", "pk"))


def claim_count(cycle_id: int) -> int:
    """The number of claims of a report: one per indicator of the cycle."""
    return Indicator.objects.filter(category__cycle_id=cycle_id).count()


@dataclass(frozen=True)
class LiveTotal:
    """The running preliminary score of a report (R3: supported claims only), out of the
    points of the indicator system, and how many of its claims are reviewed."""

    score: Decimal
    points: Decimal
    reviewed: int
    total: int

    @property
    def complete(self) -> bool:
        return self.reviewed == self.total


def live_total(points: dict[int, Decimal], claims: dict[int, ClaimReview]) -> LiveTotal:
    """``points`` maps each indicator of the cycle to its points, ``claims`` each reviewed
    indicator to its verdict."""
    values = []
    for pk, indicator_points in points.items():
        claim = claims.get(pk)
        supported = None if claim is None or not claim.verdict \
            else claim.verdict == ClaimVerdict.SUPPORTED
        values.append(Claim(points=indicator_points, supported=supported,
                            score=claim.score if claim else None))
    return LiveTotal(score=preliminary_score(values), points=sum(points.values(), Decimal(0)),
                     reviewed=sum(1 for v in values if claim_reviewed(v)), total=len(values))


def participant_total(participant: Participant) -> LiveTotal:
    points = dict(Indicator.objects.filter(category__cycle_id=participant.cycle_id)
                  .values_list("pk", "points"))
    claims = {c.indicator_id: c for c in ClaimReview.objects.filter(participant=participant)}
    return live_total(points, claims)


@dataclass(frozen=True)
class Sizes:
    """The group sizes of R4 for a district and the shares they come from."""

    n: int
    a: int
    b: int
    c: int
    shares: tuple[int, int, int]

    @property
    def shares_text(self) -> str:
        return "/".join(str(share) for share in self.shares)


def r4_sizes(review: DistrictReview, n: int) -> Sizes:
    """(a_d, b_d, c_d) of R4 for ``n`` participants with the shares of the cycle's policy."""
    shares = tuple(review.cycle.policy_version.as_params().district_shares)
    sizes = district_split(n, shares)
    return Sizes(n, sizes.a, sizes.b, sizes.c, shares)


def saved_order(participants: list[Participant]) -> list[int]:
    """The saved ranking (by rank), then those without a place yet in score order (R4: the
    scores guide the order)."""
    ranked = sorted((p for p in participants if p.rank is not None), key=lambda p: p.rank)
    unranked = score_order({p.pk: p.score for p in participants if p.rank is None})
    return [p.pk for p in ranked] + list(unranked)


@dataclass
class RankingRow:
    participant: Participant
    place: int
    group: str
    moved: bool  # against the score order (part of an inversion)
    needs_reason: bool  # part of an inversion that no written reason covers
    tie: int | None  # number of its group of equal scores, if any
    tie_confirmed: bool
    reason: str

    @property
    def group_label(self) -> str:
        return str(PreliminaryGroup(self.group).label)


def ranking_rows(participants: list[Participant], order: list[int], reasons: dict[int, str],
                 tie_confirmed: set[int], shares) -> list[RankingRow]:
    """The table of the ranking page for ``order`` (saved or as the user just posted it):
    each place's group, whether it is against the score order and needs a reason, and its
    group of equal scores (R4)."""
    by_id = {p.pk: p for p in participants}
    scores = {pid: by_id[pid].score for pid in order}
    groups = rank_groups(order, shares)
    moved = out_of_score_order(order, scores)
    unexplained = {pid for pair in unexplained_inversions(order, scores, reasons)
                   for pid in pair}
    ties = {pid: number for number, (_score, ids) in enumerate(tie_groups(scores), start=1)
            for pid in ids}
    return [RankingRow(participant=by_id[pid], place=place, group=groups[pid].value,
                       moved=pid in moved, needs_reason=pid in unexplained,
                       tie=ties.get(pid), tie_confirmed=pid in tie_confirmed,
                       reason=reasons.get(pid, ""))
            for place, pid in enumerate(order, start=1)]


def summary_is_current(summary_file: DistrictSummaryFile | None,
                       summary: DistrictSummary) -> bool:
    return summary_file is not None and summary_file.digest == summary.digest()


def percent(part: int, whole: int) -> int:
    """Whole percent rounded down (exact integer arithmetic)."""
    return part * 100 // whole if whole else 0


@dataclass
class ReviewProgress:
    """How far one district's review has come: reports fully reviewed, institutions visited,
    rectification notices by status (and how many are overdue), the groups assigned so far."""

    review: DistrictReview | None  # None for the city-wide total
    n: int = 0
    reviewed: int = 0
    visited: int = 0
    visits: int = 0
    rectifications: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(RECTIFICATION_STATUSES, 0))
    overdue: int = 0
    assigned: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))
    sizes: GroupSizes = GroupSizes(0, 0, 0)

    @property
    def tone(self) -> str:
        return STATUS_TONES[self.review.status]

    @property
    def reviewed_percent(self) -> int:
        return percent(self.reviewed, self.n)

    @property
    def visited_percent(self) -> int:
        return percent(self.visited, self.n)

    @property
    def open_rectifications(self) -> int:
        return self.rectifications[RectificationStatus.OPEN]


def review_progress(reviews: list[DistrictReview], today: dt.date | None = None, *,
                    participants: list[tuple] | None = None,
                    notices: list[Rectification] | None = None,
                    visits: tuple[int, int] | None = None) -> list[ReviewProgress]:
    """The progress of each district review of ``reviews`` (all of one cycle), from three
    grouped queries whatever the number of districts and participants.

    For one review whose rows the caller has read already (the district's dashboard):
    ``participants``, its ``(pk, score, rank, group)``, ``notices``, its rectification
    notices, and ``visits``, its site visits and institutions visited, are counted instead
    of queried."""
    today = today or timezone.localdate()
    rows = {review.pk: ReviewProgress(review) for review in reviews}
    ids = list(rows)
    if participants is not None:
        (row,) = rows.values()
        for _pk, score, _rank, group in participants:
            row.n += 1
            row.reviewed += score is not None
            if group:
                row.assigned[group] += 1
    for group in (() if participants is not None else
                  Participant.objects.filter(district_review_id__in=ids).order_by()
                  .values("district_review_id", "group")
                  .annotate(n=Count("pk"), scored=Count("pk", filter=Q(score__isnull=False)))):
        row = rows[group["district_review_id"]]
        row.n += group["n"]
        row.reviewed += group["scored"]
        if group["group"]:
            row.assigned[group["group"]] += group["n"]
    if visits is not None:
        (row,) = rows.values()
        row.visits, row.visited = visits
    for group in (() if visits is not None else
                  SiteVisit.objects.filter(participant__district_review_id__in=ids).order_by()
                  .values("participant__district_review_id")
                  .annotate(visits=Count("pk"), visited=Count("participant_id", distinct=True))):
        row = rows[group["participant__district_review_id"]]
        row.visits, row.visited = group["visits"], group["visited"]
    if notices is not None:
        (row,) = rows.values()
        for notice in notices:
            row.rectifications[notice.status] += 1
            row.overdue += notice.status == RectificationStatus.OPEN and notice.deadline < today
    overdue = Q(status=RectificationStatus.OPEN, deadline__lt=today)
    for group in (() if notices is not None else
                  Rectification.objects.filter(participant__district_review_id__in=ids)
                  .order_by().values("participant__district_review_id", "status")
                  .annotate(n=Count("pk"), overdue=Count("pk", filter=overdue))):
        row = rows[group["participant__district_review_id"]]
        row.rectifications[group["status"]] += group["n"]
        row.overdue += group["overdue"]
    for row in rows.values():
        row.sizes = district_split(row.n, row.review.cycle.policy_version.as_params()
                                   .district_shares)
    return list(rows.values())


@dataclass(frozen=True)
class CutLine:
    """Where one group ends in the order (R4): the score of its last member."""

    upper: str
    lower: str
    rank: int
    score: Decimal | None

    @property
    def upper_label(self) -> str:
        return str(PreliminaryGroup(self.upper).label)

    @property
    def lower_label(self) -> str:
        return str(PreliminaryGroup(self.lower).label)


@dataclass
class ScoreDistribution:
    """The district's preliminary scores as a histogram, and the A/B and B/C cut lines of
    the current ranking (of score order while the district has not ranked)."""

    bins: list[dict]
    unscored: int
    cuts: list[CutLine]
    ranked: bool

    def chart(self) -> dict:
        return {
            "bins": self.bins,
            "cuts": [{"score": str(cut.score), "label": f"{cut.upper_label} | {cut.lower_label}"}
                     for cut in self.cuts if cut.score is not None],
            "label": _("Institutions"),
        }


def score_distribution(review: DistrictReview,
                       rows: list[tuple] | None = None) -> ScoreDistribution:
    """One query (none when the caller passes ``rows``, each participant's ``(pk, score,
    rank)`` in pk order): every participant's score and rank."""
    if rows is None:
        rows = list(review.participants.order_by("pk").values_list("pk", "score", "rank"))
    counts = [0] * (100 // BIN_WIDTH)
    for _pk, score, _rank in rows:
        if score is not None:
            counts[min(int(score // BIN_WIDTH), len(counts) - 1)] += 1
    bins = [{"from": k * BIN_WIDTH, "to": (k + 1) * BIN_WIDTH, "count": n}
            for k, n in enumerate(counts)]
    ranked = bool(rows) and all(rank is not None for _pk, _score, rank in rows)
    scores = {pk: score for pk, score, _rank in rows}
    if ranked:
        order = [pk for pk, _score, rank in sorted(rows, key=lambda r: r[2])]
    else:
        order = score_order(scores)
    groups = rank_groups(order, review.cycle.policy_version.as_params().district_shares)
    sequence = [groups[pk] for pk in order]
    # A line wherever the group changes down the order: after the last A, after the last B.
    cuts = [CutLine(sequence[k - 1].value, sequence[k].value, k, scores[order[k - 1]])
            for k in range(1, len(order)) if sequence[k] != sequence[k - 1]]
    return ScoreDistribution(bins, sum(1 for s in scores.values() if s is None), cuts, ranked)


@dataclass
class DistrictDashboard:
    progress: ReviewProgress
    distribution: ScoreDistribution
    overdue: list[Rectification]  # open notices past their deadline, each ``days_overdue``
    pending_fraud: int  # fraud reports awaiting the city's decision (R8)


def district_dashboard(review: DistrictReview, today: dt.date) -> DistrictDashboard:
    """The district's dashboard from two reads of its rows (its participants, its notices)
    and one count of its visits and of its fraud reports awaiting the city, instead of one
    query for each figure."""
    participants = list(review.participants.order_by("pk")
                        .values_list("pk", "score", "rank", "group"))
    # Distinct counts: the two joins multiply each other's rows.
    counts = review.participants.aggregate(
        n_visits=Count("visits", distinct=True),
        n_visited=Count("pk", distinct=True, filter=Q(visits__isnull=False)),
        n_fraud=Count("fraud_reports", distinct=True,
                    filter=Q(fraud_reports__status=FraudStatus.REPORTED)))
    notices = list(Rectification.objects.filter(participant__district_review=review)
                   .select_related("participant__institution")
                   .only("status", "deadline", "problems", "participant__institution__name")
                   .order_by("deadline", "pk"))
    overdue = [notice for notice in notices
               if notice.status == RectificationStatus.OPEN and notice.deadline < today]
    for notice in overdue:
        notice.days_overdue = (today - notice.deadline).days
    return DistrictDashboard(
        progress=review_progress([review], today, participants=participants, notices=notices,
                                 visits=(counts["n_visits"], counts["n_visited"]))[0],
        distribution=score_distribution(review, [row[:3] for row in participants]),
        overdue=overdue, pending_fraud=counts["n_fraud"])


def preliminary_stage(cycle: Cycle) -> CycleStage | None:
    return CycleStage.objects.filter(cycle=cycle, stage=CycleStatus.PRELIMINARY_REVIEW).first()


def pending_fraud_reports(cycle: Cycle) -> int:
    """Fraud reports of the cycle awaiting the city's decision (R8)."""
    return FraudReport.objects.filter(participant__cycle=cycle,
                                      status=FraudStatus.REPORTED).count()
