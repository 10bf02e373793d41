"""Reads of stage 1, the self-evaluation (Art 9): the checklist of a report, what one indicator
still lacks, and the progress of the cohort by district and cluster, in a fixed number of
queries whatever the size."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, DateTimeField, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _

from institutions.models import Cluster, District, User

from .. import completeness
from ..enums import STATUS_TONES, CycleStatus, SubmissionStatus
from ..models import (
    Cycle,
    Extension,
    Indicator,
    IndicatorResponse,
    Submission,
)
from .scopes import submissions_for_user


def _spec(indicator: Indicator) -> completeness.IndicatorSpec:
    return completeness.IndicatorSpec(
        id=indicator.pk, code=indicator.code, name=indicator.name, points=indicator.points,
        evidence_required=indicator.evidence_required,
        fields=tuple(completeness.FieldSpec(f.key, f.label, f.kind, f.required)
                     for f in indicator.fields.all()))


def _answer(response: IndicatorResponse | None, evidence_count: int) -> completeness.Answer:
    if response is None:
        return completeness.Answer({}, "", None, evidence_count)
    return completeness.Answer(response.data, response.narrative, response.self_score,
                               evidence_count)


def indicator_gaps(submission: Submission, indicator: Indicator,
                   response: IndicatorResponse | None, evidence_count: int) -> list[str]:
    """What one indicator still lacks (the same check as the submit page's, for one row)."""
    found = completeness.gaps([_spec(indicator)], {indicator.pk: _answer(response,
                                                                         evidence_count)},
                              submission.cycle.period)
    return [gap.message for gap in found]


@dataclass
class ChecklistRow:
    indicator: Indicator
    response: IndicatorResponse | None
    evidence_count: int
    gaps: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.gaps

    @property
    def started(self) -> bool:
        return self.response is not None or self.evidence_count > 0


@dataclass
class Checklist:
    categories: list[tuple[object, list[ChecklistRow]]]
    done: int
    total: int
    self_score_total: object

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0


def checklist(submission: Submission) -> Checklist:
    """Every indicator of the cycle with its answer, its number of files and what it lacks,
    grouped by category, in a fixed number of queries whatever the size."""
    indicators = list(Indicator.objects.filter(category__cycle_id=submission.cycle_id)
                      .select_related("category").prefetch_related("fields")
                      .order_by("category__order", "order", "pk"))
    responses = {r.indicator_id: r for r in IndicatorResponse.objects.filter(
        submission=submission).order_by().annotate(n_evidence=Count("evidence"))}
    answers = {pk: _answer(r, r.n_evidence) for pk, r in responses.items()}
    gaps: dict[int, list[str]] = {}
    for gap in completeness.gaps([_spec(i) for i in indicators], answers,
                                 submission.cycle.period):
        gaps.setdefault(gap.indicator_id, []).append(gap.message)
    categories: list[tuple[object, list[ChecklistRow]]] = []
    for indicator in indicators:
        response = responses.get(indicator.pk)
        row = ChecklistRow(indicator, response, response.n_evidence if response else 0,
                           gaps.get(indicator.pk, []))
        if not categories or categories[-1][0] != indicator.category:
            categories.append((indicator.category, []))
        categories[-1][1].append(row)
    done = sum(1 for _category, rows in categories for row in rows if row.complete)
    total_score = sum((r.self_score for r in responses.values() if r.self_score is not None),
                      start=0)
    return Checklist(categories, done, len(indicators), total_score)


def answer_of(submission: Submission, indicator: Indicator) -> IndicatorResponse | None:
    return IndicatorResponse.objects.filter(submission=submission, indicator=indicator) \
        .select_related("updated_by").first()


# The columns of every count, in the order of the stage, with their Bootstrap colour (the
# chart uses the same colours, see static/js/charts.js).
STATUSES = (SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS,
            SubmissionStatus.SUBMITTED, SubmissionStatus.NOT_PARTICIPATING)


TONES = STATUS_TONES[SubmissionStatus]


PAGE_SIZE = 25


@dataclass
class ProgressRow:
    """The counts by status of one district, one cluster or the whole scope."""

    pk: int | None
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    link: str = ""  # the list filtered to this row

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[tuple[str, int]]:
        return [(status, self.counts[status]) for status in STATUSES]

    @property
    def submitted_percent(self) -> int | None:
        """Share submitted, whole percent rounded down (exact arithmetic, never a float)."""
        if not self.total:
            return None
        return self.counts[SubmissionStatus.SUBMITTED] * 100 // self.total


@dataclass
class Progress:
    """The counts of a scope: in total, by district and by cluster."""

    total: ProgressRow
    by_district: list[ProgressRow]
    by_cluster: list[ProgressRow]


def submission_progress(submissions: QuerySet[Submission], districts: list[District],
                        clusters: list[Cluster]) -> Progress:
    """Counts by status in total, per district and per cluster of ``submissions`` (already
    scoped and filtered), from one GROUP BY query. Every district and cluster given gets a
    row, with zeros where it has no report."""
    total = ProgressRow(None, _("Total"))
    by_district = {d.pk: ProgressRow(d.pk, d.name) for d in districts}
    by_cluster = {c.pk: ProgressRow(c.pk, c.name) for c in clusters}
    grouped = submissions.order_by().values("district_id", "cluster_id", "status") \
        .annotate(n=Count("pk"))
    for group in grouped:
        status, n = group["status"], group["n"]
        for row in (total, by_district.get(group["district_id"]),
                    by_cluster.get(group["cluster_id"])):
            if row is not None:
                row.counts[status] += n
    return Progress(total, list(by_district.values()), list(by_cluster.values()))


def submission_status_list(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    """The status list: each report with its institution, whether its deadline was extended
    (``extended``) and when it last changed (``last_update_at``: its own row or its latest
    answer, whichever is later). Subqueries, so a page of the list is one query."""
    latest_answer = IndicatorResponse.objects.filter(submission=OuterRef("pk")) \
        .order_by("-updated_at").values("updated_at")[:1]
    return submissions.select_related("institution", "district", "cluster").annotate(
        extended=Exists(Extension.objects.filter(submission=OuterRef("pk"))),
        last_update_at=Greatest("updated_at", Coalesce(
            Subquery(latest_answer, output_field=DateTimeField()), "updated_at")),
    ).order_by("district__sort_order", "institution__name", "pk")


def progress_summary(user: User, cycle: Cycle | None) -> dict:
    """The dashboard summary of ``cycle``'s self-evaluation as ``user`` may see it (two
    queries): ``progress_cycle``, and once self-evaluation has opened ``progress_total`` and
    ``progress_statuses``. Nothing for a user who may not follow the progress."""
    if cycle is None or not user.has_perm("evaluations.view_progress"):
        return {}
    if cycle.status == CycleStatus.DRAFT:
        return {"progress_cycle": cycle}
    counts = dict.fromkeys(STATUSES, 0)
    for group in submissions_for_user(user, cycle).order_by().values("status") \
            .annotate(n=Count("pk")):
        counts[group["status"]] = group["n"]
    row = ProgressRow(None, "", counts)
    return {"progress_cycle": cycle, "progress_total": row,
            "progress_statuses": status_columns(row),
            "progress_stage": cycle.stage_of(CycleStatus.SELF_EVALUATION)}


def status_columns(row: ProgressRow) -> list[dict]:
    """One summary card per status: its label, count, share of the total and colour."""
    return [{"status": status, "label": SubmissionStatus(status).label, "count": n,
             "percent": n * 100 // row.total if row.total else 0, "tone": TONES[status]}
            for status, n in row.cells]
