"""Progress of the self-evaluation (Art 9): how many invited institutions have not started, are
filling in, have submitted or did not participate (R2), by district and by industry cluster,
with the list behind each number and its Excel export.

The city sees every district, a district reviewer its own (``submissions_for_user``). Every
count comes from one aggregate query, so the page costs the same number of queries with ten
reports or twenty thousand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, DateTimeField, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from institutions.models import Cluster, District, User
from institutions.rules import is_district_reviewer
from institutions.views.mixins import RulesPermissionMixin

from ..enums import CycleStatus, SubmissionStatus
from ..exporters import XLSX_CONTENT_TYPE, progress_workbook
from ..models import Cycle, CycleStage, Extension, IndicatorResponse, Submission
from ..selectors import current_cycle, submissions_for_user

# The columns of every count, in the order of the stage, with their Bootstrap colour (the
# chart uses the same colours, see static/js/charts.js).
STATUSES = (SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS,
            SubmissionStatus.SUBMITTED, SubmissionStatus.NOT_PARTICIPATING)
TONES = {SubmissionStatus.NOT_STARTED: "secondary", SubmissionStatus.IN_PROGRESS: "warning",
         SubmissionStatus.SUBMITTED: "success", SubmissionStatus.NOT_PARTICIPATING: "danger"}
PAGE_SIZE = 25


# --- Reads ----------------------------------------------------------------------------------

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
            "progress_statuses": _status_columns(row),
            "progress_stage": CycleStage.objects.filter(
                cycle=cycle, stage=CycleStatus.SELF_EVALUATION).first()}


def _status_columns(row: ProgressRow) -> list[dict]:
    """One summary card per status: its label, count, share of the total and colour."""
    return [{"status": status, "label": SubmissionStatus(status).label, "count": n,
             "percent": n * 100 // row.total if row.total else 0, "tone": TONES[status]}
            for status, n in row.cells]


# --- Filters --------------------------------------------------------------------------------

class ProgressFilterForm(forms.Form):
    """District (city only), cluster and status of the list; choices come from rows already
    loaded, so the form costs no query of its own."""

    district = forms.TypedChoiceField(label=gettext_lazy("District"), required=False, coerce=int,
                                      empty_value=None,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    cluster = forms.TypedChoiceField(label=gettext_lazy("Industry cluster"), required=False,
                                     coerce=int, empty_value=None,
                                     widget=forms.Select(attrs={"class": "form-select"}))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data, *, districts: list[District] | None, clusters: list[Cluster]):
        super().__init__(data)
        if districts is None:
            del self.fields["district"]
        else:
            self.fields["district"].choices = [("", _("All districts")),
                                               *((d.pk, d.name) for d in districts)]
        self.fields["cluster"].choices = [("", _("All clusters")),
                                          *((c.pk, c.name) for c in clusters)]
        self.fields["status"].choices = [("", _("All statuses")),
                                         *((s, SubmissionStatus(s).label) for s in STATUSES)]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class ProgressMixin(RulesPermissionMixin):
    """The cycle of the URL, the user's scope and the filters of the query string."""

    permission_required = "evaluations.view_progress"

    def get_cycle(self) -> Cycle:
        if not hasattr(self, "_cycle"):
            self._cycle = get_object_or_404(Cycle, year=self.kwargs["year"])
        return self._cycle

    def load(self) -> None:
        user = self.request.user
        self.district_locked = is_district_reviewer(user)
        districts = list(District.objects.order_by("sort_order", "name"))
        if self.district_locked:
            districts = [d for d in districts if d.pk == user.district_id]
            user.district = districts[0]  # loaded already: the navigation shows it too
        self.districts = districts
        self.clusters = list(Cluster.objects.order_by("sort_order", "name"))
        self.form = ProgressFilterForm(self.request.GET or None,
                                       districts=None if self.district_locked else districts,
                                       clusters=self.clusters)
        self.filters = self.form.filters()
        self.scope = submissions_for_user(user, self.get_cycle())

    def counted(self) -> QuerySet[Submission]:
        """The reports the counts are over: the status filter narrows only the list (the
        counts are by status already)."""
        qs = self.scope
        if self.filters.get("district"):
            qs = qs.filter(district_id=self.filters["district"])
        if self.filters.get("cluster"):
            qs = qs.filter(cluster_id=self.filters["cluster"])
        return qs

    def listed(self) -> QuerySet[Submission]:
        qs = self.counted()
        if self.filters.get("status"):
            qs = qs.filter(status=self.filters["status"])
        return submission_status_list(qs)


# --- Pages ----------------------------------------------------------------------------------

class ProgressView(ProgressMixin, TemplateView):
    template_name = "evaluations/progress.html"

    def get_context_data(self, **kwargs):
        self.load()
        cycle = self.get_cycle()
        progress = submission_progress(self.counted(), self.districts, self.clusters)
        district = self.filters.get("district")
        by_district = [row for row in progress.by_district if district in (None, row.pk)]
        page = Paginator(self.listed(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        for submission in page:
            submission.tone = TONES[submission.status]
        query = self.request.GET.copy()
        query.pop("page", None)
        url = reverse("evaluations:progress", kwargs={"year": cycle.year})
        export_url = reverse("evaluations:progress_export", kwargs={"year": cycle.year})
        _link_rows(by_district, url, "district", self.filters)
        _link_rows(progress.by_cluster, url, "cluster", self.filters)
        # The city drilled down into a district: name it, with the way back to all of them.
        scope_district = next((d for d in self.districts
                               if self.district_locked or d.pk == district), None)
        back = {k: v for k, v in self.filters.items() if k != "district"}
        return super().get_context_data(
            cycle=cycle, form=self.form, filters=self.filters, page=page,
            query=query.urlencode(), district_locked=self.district_locked,
            scope_district=scope_district,
            all_districts_url=(f"{url}?{urlencode(back)}" if back else url) if district else "",
            stage=CycleStage.objects.filter(cycle=cycle,
                                            stage=CycleStatus.SELF_EVALUATION).first(),
            today=timezone.localdate(),
            total=progress.total, statuses=_status_columns(progress.total),
            status_labels=[(s, SubmissionStatus(s).label, TONES[s]) for s in STATUSES],
            by_district=by_district if len(by_district) > 1 else [],
            by_cluster=progress.by_cluster,
            district_chart=_chart(by_district), cluster_chart=_chart(progress.by_cluster),
            export_url=f"{export_url}?{query.urlencode()}", **kwargs)


def _link_rows(rows: list[ProgressRow], url: str, key: str, filters: dict) -> None:
    """Drill-down: each row links to the list narrowed to it (other filters kept but the
    status, since the row shows every status)."""
    kept = {k: v for k, v in filters.items() if k not in (key, "status")}
    for row in rows:
        row.link = f"{url}?{urlencode({**kept, key: row.pk})}#progress-list"


def _chart(rows: list[ProgressRow]) -> dict:
    """The stacked bar chart's data; clicking a bar follows its row's link."""
    return {
        "labels": [row.name for row in rows],
        "links": [row.link for row in rows],
        "series": [{"status": status, "label": str(SubmissionStatus(status).label),
                    "data": [row.counts[status] for row in rows]} for status in STATUSES],
    }


class ProgressExportView(ProgressMixin, View):
    """The status list as the user sees it — same scope, same filters — as a workbook."""

    def get(self, request, *args, **kwargs):
        self.load()
        cycle = self.get_cycle()
        content = progress_workbook(self.listed(), cycle=cycle)
        filename = _("self-evaluation-progress-%(year)s-%(date)s.xlsx") % {
            "year": cycle.year, "date": f"{timezone.localdate():%Y-%m-%d}"}
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


class ProgressCurrentView(RulesPermissionMixin, View):
    """The navigation's link: the progress of the current cycle."""

    permission_required = "evaluations.view_progress"

    def get(self, request, *args, **kwargs):
        cycle = current_cycle()
        if cycle is None:
            messages.info(request, _("There is no evaluation cycle yet."))
            return redirect(settings.LOGIN_REDIRECT_URL)
        return redirect("evaluations:progress", year=cycle.year)


urlpatterns = [
    path("progress/", ProgressCurrentView.as_view(), name="progress_current"),
    path("cycles/<int:year>/progress/", ProgressView.as_view(), name="progress"),
    path("cycles/<int:year>/progress.xlsx", ProgressExportView.as_view(),
         name="progress_export"),
]
