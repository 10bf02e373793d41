"""Stage 2, the preliminary review (Art 10): where each role lands, the district's dashboard,
the city's dashboard of every district, and closing the stage.

A district reviewer lands on its own district's dashboard, city staff on the city's; another
district's dashboard is a 404 exactly like a missing one (``district_reviews_for_user``).
Every count comes from a few GROUP BY queries, so each page costs the same number of queries
with five participants or five thousand.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from institutions.rules import is_district_reviewer
from institutions.views.mixins import RulesPermissionMixin
from scoring import GroupSizes, district_split, rank_groups, score_order

from ..enums import (
    CycleStatus,
    DistrictReviewStatus,
    FraudStatus,
    PreliminaryGroup,
    RectificationStatus,
)
from ..models import (
    Cycle,
    CycleStage,
    DistrictReview,
    FraudReport,
    Participant,
    Rectification,
    SiteVisit,
)
from ..selectors import REVIEWED_STATUSES, district_reviews_for_user, preliminary_cycle
from ..services import preliminary as services

# The Bootstrap colour of each status of a district's review (badges, table rows).
STATUS_TONES = {
    DistrictReviewStatus.NOT_STARTED: "secondary",
    DistrictReviewStatus.IN_REVIEW: "primary",
    DistrictReviewStatus.SUBMITTED: "info",
    DistrictReviewStatus.RETURNED: "warning",
    DistrictReviewStatus.ACCEPTED: "success",
}
GROUPS = (PreliminaryGroup.A, PreliminaryGroup.B, PreliminaryGroup.C)
RECTIFICATION_STATUSES = (RectificationStatus.OPEN, RectificationStatus.ANSWERED,
                          RectificationStatus.CLOSED)
BIN_WIDTH = 10  # points per bar of the score histogram (scores run from 0 to 100)


# --- Reads ----------------------------------------------------------------------------------

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


def review_progress(reviews: list[DistrictReview],
                    today: dt.date | None = None) -> list[ReviewProgress]:
    """The progress of each district review of ``reviews`` (all of one cycle), from three
    grouped queries whatever the number of districts and participants."""
    today = today or timezone.localdate()
    rows = {review.pk: ReviewProgress(review) for review in reviews}
    ids = list(rows)
    for group in (Participant.objects.filter(district_review_id__in=ids).order_by()
                  .values("district_review_id", "group")
                  .annotate(n=Count("pk"), scored=Count("pk", filter=Q(score__isnull=False)))):
        row = rows[group["district_review_id"]]
        row.n += group["n"]
        row.reviewed += group["scored"]
        if group["group"]:
            row.assigned[group["group"]] += group["n"]
    for group in (SiteVisit.objects.filter(participant__district_review_id__in=ids).order_by()
                  .values("participant__district_review_id")
                  .annotate(visits=Count("pk"), visited=Count("participant_id", distinct=True))):
        row = rows[group["participant__district_review_id"]]
        row.visits, row.visited = group["visits"], group["visited"]
    overdue = Q(status=RectificationStatus.OPEN, deadline__lt=today)
    for group in (Rectification.objects.filter(participant__district_review_id__in=ids)
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
            "cuts": [{"score": str(cut.score), "label": f"{cut.upper} | {cut.lower}"}
                     for cut in self.cuts if cut.score is not None],
            "label": _("Institutions"),
        }


def score_distribution(review: DistrictReview) -> ScoreDistribution:
    """One query: every participant's score and rank."""
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


def preliminary_stage(cycle: Cycle) -> CycleStage | None:
    return CycleStage.objects.filter(cycle=cycle, stage=CycleStatus.PRELIMINARY_REVIEW).first()


def pending_fraud_reports(cycle: Cycle, review: DistrictReview | None = None) -> int:
    """Fraud reports of the cycle (of one district) awaiting the city's decision (R8)."""
    qs = FraudReport.objects.filter(participant__cycle=cycle, status=FraudStatus.REPORTED)
    if review is not None:
        qs = qs.filter(participant__district_review=review)
    return qs.count()


# --- Mixins ---------------------------------------------------------------------------------

class DistrictReviewMixin(RulesPermissionMixin):
    """A district review the user may see, by ``pk`` (another district's is a 404)."""

    permission_required = "evaluations.view_district_review"

    def get_district_review(self) -> DistrictReview:
        if not hasattr(self, "_review"):
            self._review = get_object_or_404(district_reviews_for_user(self.request.user),
                                             pk=self.kwargs["pk"])
        return self._review

    def get_permission_object(self):
        return self.get_district_review()


class PreliminaryCycleMixin(RulesPermissionMixin):
    """The cycle of the URL's year; the permission is checked first, so a missing year is a
    404 only to those who may see the page at all."""

    def get_cycle(self) -> Cycle:
        if not hasattr(self, "_cycle"):
            self._cycle = get_object_or_404(Cycle.objects.select_related("policy_version"),
                                            year=self.kwargs["year"])
        return self._cycle


# --- Pages ----------------------------------------------------------------------------------

class ReviewHomeView(RulesPermissionMixin, TemplateView):
    """Where the navigation's "preliminary review" leads: a district reviewer to its district's
    dashboard, city staff to the city's; a friendly page while there is nothing to show."""

    permission_required = "evaluations.view_preliminary"
    template_name = "evaluations/preliminary_none.html"

    def get(self, request, *args, **kwargs):
        cycle = preliminary_cycle()
        if cycle is not None:
            if not is_district_reviewer(request.user):
                return redirect("evaluations:preliminary_city", year=cycle.year)
            review = district_reviews_for_user(request.user, cycle).first()
            if review is not None:
                return redirect("evaluations:district_dashboard", pk=review.pk)
        return self.render_to_response(self.get_context_data(cycle=cycle))


class DistrictDashboardView(DistrictReviewMixin, TemplateView):
    """The district's review at a glance: its status (and the city's reason when returned),
    the distribution of the preliminary scores with the group lines, how many reports are
    reviewed and institutions visited, the rectification notices and the overdue ones."""

    template_name = "evaluations/preliminary_district.html"

    def get_context_data(self, **kwargs):
        review = self.get_district_review()
        today = timezone.localdate()
        progress = review_progress([review], today)[0]
        distribution = score_distribution(review)
        overdue = list(Rectification.objects.filter(
            participant__district_review=review, status=RectificationStatus.OPEN,
            deadline__lt=today).select_related("participant__institution")
            .order_by("deadline", "pk"))
        for notice in overdue:
            notice.days_overdue = (today - notice.deadline).days
        return super().get_context_data(
            review=review, cycle=review.cycle, district=review.district, progress=progress,
            distribution=distribution, score_chart=distribution.chart(), overdue=overdue,
            rectification_cells=[(RectificationStatus(s), progress.rectifications[s])
                                 for s in RECTIFICATION_STATUSES],
            stage=preliminary_stage(review.cycle), today=today,
            pending_fraud=pending_fraud_reports(review.cycle, review), **kwargs)


class PreliminaryCityView(PreliminaryCycleMixin, TemplateView):
    """The city's view of every district of the cycle: sizes (R4), progress, status, the
    groups assigned city-wide against the sizes, fraud reports waiting, and closing."""

    # City staff only: district reviewers may follow the stage, but only their own district.
    permission_required = ("evaluations.view_preliminary", "evaluations.view_cycle")
    template_name = "evaluations/preliminary_city.html"

    def get_template_names(self):
        if self.get_cycle().status not in REVIEWED_STATUSES:
            return ["evaluations/preliminary_none.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        if cycle.status not in REVIEWED_STATUSES:
            return super().get_context_data(cycle=cycle, not_open=True, **kwargs)
        reviews = list(district_reviews_for_user(self.request.user, cycle)
                       .order_by("district__sort_order", "district__name"))
        rows = review_progress(reviews)
        totals = ReviewProgress(review=None)
        for row in rows:
            totals.n += row.n
            totals.reviewed += row.reviewed
            totals.visited += row.visited
            totals.overdue += row.overdue
            for status in RECTIFICATION_STATUSES:
                totals.rectifications[status] += row.rectifications[status]
            for group in GROUPS:
                totals.assigned[group] += row.assigned[group]
        sizes = {PreliminaryGroup.A: sum(r.sizes.a for r in rows),
                 PreliminaryGroup.B: sum(r.sizes.b for r in rows),
                 PreliminaryGroup.C: sum(r.sizes.c for r in rows)}
        groups = [{"group": g, "label": g.label, "assigned": totals.assigned[g],
                   "size": sizes[g], "complete": totals.assigned[g] == sizes[g]}
                  for g in GROUPS]
        statuses = {status: 0 for status in DistrictReviewStatus}
        for row in rows:
            statuses[row.review.status] += 1
        problems = services.preliminary_review_close_problems(cycle)
        return super().get_context_data(
            cycle=cycle, rows=rows, totals=totals, groups=groups,
            statuses=[(DistrictReviewStatus(s), n, STATUS_TONES[s]) for s, n in statuses.items()],
            progress_chart=_progress_chart(rows), stage=preliminary_stage(cycle),
            pending_fraud=pending_fraud_reports(cycle),
            can_close=not problems and self.request.user.has_perm(
                "evaluations.close_preliminary_review"),
            **kwargs)


def _progress_chart(rows: list[ReviewProgress]) -> dict:
    """One stacked bar per district: reports fully reviewed and not yet; a click opens the
    district's dashboard."""
    return {
        "labels": [row.review.district.name for row in rows],
        "links": [reverse("evaluations:district_dashboard", args=[row.review.pk])
                  for row in rows],
        "series": [
            {"status": "reviewed", "label": _("Fully reviewed"),
             "data": [row.reviewed for row in rows]},
            {"status": "remaining", "label": _("Not fully reviewed"),
             "data": [row.n - row.reviewed for row in rows]},
        ],
    }


class PreliminaryCloseView(PreliminaryCycleMixin, TemplateView):
    """Confirms what closing the stage does, lists what keeps it from closing and, on POST,
    closes it (groups A/B/C fixed for the rest of the cycle, R4)."""

    permission_required = "evaluations.close_preliminary_review"
    template_name = "evaluations/preliminary_close.html"

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        counts = dict.fromkeys(GROUPS, 0)
        for row in (Participant.objects.filter(cycle=cycle).order_by().values("group")
                    .annotate(n=Count("pk"))):
            if row["group"]:
                counts[row["group"]] += row["n"]
        return super().get_context_data(
            cycle=cycle, problems=services.preliminary_review_close_problems(cycle),
            districts=DistrictReview.objects.filter(cycle=cycle).count(),
            participants=Participant.objects.filter(cycle=cycle).count(),
            group_counts=[(g.label, counts[g]) for g in GROUPS],
            stage=preliminary_stage(cycle), **kwargs)

    def post(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        try:
            count = services.preliminary_review_close(cycle=cycle, actor=request.user)
        except DomainError as exc:
            # Something changed since the page was shown: show it again as it is now.
            messages.error(request, str(exc))
            return redirect("evaluations:preliminary_close", year=cycle.year)
        messages.success(request, ngettext(
            "The %(year)s preliminary review is closed: the group of its %(count)s participant "
            "is fixed for the rest of the cycle.",
            "The %(year)s preliminary review is closed: the groups of its %(count)s "
            "participants are fixed for the rest of the cycle.", count)
            % {"year": cycle.year, "count": count})
        return redirect("evaluations:preliminary_city", year=cycle.year)


urlpatterns = [
    path("preliminary/", ReviewHomeView.as_view(), name="review_home"),
    path("cycles/<int:year>/preliminary/", PreliminaryCityView.as_view(),
         name="preliminary_city"),
    path("cycles/<int:year>/preliminary/close/", PreliminaryCloseView.as_view(),
         name="preliminary_close"),
    path("preliminary/<int:pk>/", DistrictDashboardView.as_view(), name="district_dashboard"),
]
