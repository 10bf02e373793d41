"""The results of a cycle (Art 7, 13; R9): the counts of each tier against its places, by
district and by cluster, the checks before publication with their justification, every
participant's tier with its explanation, the Excel export; the city administrator computes
the results (and computes them again), checks that the stored inputs give the same tiers,
and justifies a failed check. City staff read; nobody else sees the results before the
public notice."""
from __future__ import annotations

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from institutions.views.mixins import RulesPermissionMixin
from reports.excel import xlsx_response

from ..enums import CycleStatus, Tier
from ..forms.results import JustificationForm, TierFilter
from ..models import Cycle
from ..selectors.results import (
    TIER_TONES,
    cycle_results,
    explanation_text,
    export_rows,
    results_summary,
    tier_rows,
)
from ..services.results import results_compute, results_justify, results_recompute_compare

VIEW = "evaluations.view_results"
COMPUTE = "evaluations.compute_results"
PAGE_SIZE = 50


class ResultsCycleMixin(RulesPermissionMixin):
    """The cycle of the URL's year, looked up after the permission check (a role without it
    gets 403 whatever the year)."""

    permission_required = VIEW

    def get_cycle(self) -> Cycle:
        if not hasattr(self, "_cycle"):
            self._cycle = get_object_or_404(Cycle.objects.select_related("policy_version"),
                                            year=self.kwargs["year"])
        return self._cycle

    def can_compute(self) -> bool:
        return (self.request.user.has_perm(COMPUTE)
                and self.get_cycle().status == CycleStatus.REVERIFICATION)


COLUMNS = (  # the table's columns, each sortable: key of ``SORTS``, title, numeric
    ("code", lambda: _("Unified social credit code"), False),
    ("name", lambda: _("Institution"), False),
    ("district", lambda: _("District"), False),
    ("group", lambda: _("Preliminary group"), False),
    ("rank", lambda: _("District rank"), True),
    ("score", lambda: _("Panel score"), True),
    ("tier", lambda: _("Tier"), False),
)


def _columns(request, current: str) -> list[dict]:
    """For each column: its title, the query that sorts by it (descending when it is the
    ascending sort already) and how it sorts now ("asc", "desc" or "")."""
    columns = []
    for key, title, numeric in COLUMNS:
        query = request.GET.copy()
        query.pop("page", None)
        query["o"] = f"-{key}" if current == key else key
        columns.append({"key": key, "title": title(), "numeric": numeric,
                        "query": query.urlencode(),
                        "state": "asc" if current == key
                        else "desc" if current == f"-{key}" else ""})
    return columns


class ResultsView(ResultsCycleMixin, TemplateView):
    """The results page: the counts against the places, the checks and their justification,
    by district and by cluster; the table of every participant (filter, sort, pages), each
    row opening its explanation."""

    template_name = "evaluations/results.html"

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        results = cycle_results(cycle)
        context = {"cycle": cycle, "results": results, "can_compute": self.can_compute(),
                   "can_justify": self.can_compute()}
        if results is not None:
            filters = TierFilter(self.request.GET or None, queryset=tier_rows(results))
            page = Paginator(filters.qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
            query = self.request.GET.copy()
            query.pop("page", None)
            current = filters.form.cleaned_data.get("o") if filters.is_bound \
                and filters.form.is_valid() else None
            current = current[0] if current else ""
            context.update(
                summary=results_summary(results), filter=filters, page=page,
                query=query.urlencode(), columns=_columns(self.request, current),
                rows=[(row, explanation_text(row.explanation), TIER_TONES[row.tier])
                      for row in page.object_list],
                justify_form=JustificationForm())
        return super().get_context_data(**context, **kwargs)


class ResultsActionView(ResultsCycleMixin, View):
    """A POST of the city administrator's; every one goes back to the results page."""

    permission_required = COMPUTE

    def post(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        try:
            messages.success(request, self.act(cycle))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("evaluations:results", year=cycle.year)


class ResultsComputeView(ResultsActionView):
    def act(self, cycle) -> str:
        results = results_compute(cycle=cycle, actor=self.request.user)
        if not results.checks.get("passed"):
            return _("The results are computed; a check failed: record its justification "
                     "before the public notice.")
        return _("The results are computed: every participant has its tier and its "
                 "explanation.")


class ResultsJustifyView(ResultsActionView):
    def act(self, cycle) -> str:
        form = JustificationForm(self.request.POST)
        if not form.is_valid():
            raise DomainError(_("Write the justification of the failed checks."))
        results_justify(cycle=cycle, text=form.cleaned_data["text"], actor=self.request.user)
        return _("The justification is recorded with the results.")


class ResultsRecomputeView(ResultsCycleMixin, TemplateView):
    """Compute the tiers again from the stored inputs and say whether they are the stored
    ones ("一致") or which differ. With htmx only the answer's box is sent."""

    def get_template_names(self):
        if self.request.htmx:
            return ["evaluations/_results_recompute.html"]
        return ["evaluations/results_recompute.html"]

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        try:
            comparison, error = results_recompute_compare(cycle=cycle), ""
        except DomainError as exc:
            comparison, error = None, str(exc)
        labels = dict(Tier.choices)
        differences = [(d, labels.get(d.stored, "—"), labels.get(d.recomputed, "—"))
                       for d in (comparison.differences if comparison else ())]
        return super().get_context_data(cycle=cycle, comparison=comparison, error=error,
                                        differences=differences, **kwargs)


class ResultsExportView(ResultsCycleMixin, View):
    """The table's rows as a workbook: every row the filters keep (not one page), with the
    summary sheet."""

    def get(self, request, *args, **kwargs):
        from ..exporters.results import results_workbook

        cycle = self.get_cycle()
        results = cycle_results(cycle)
        if results is None:
            messages.error(request, _("The results have not been computed yet."))
            return redirect("evaluations:results", year=cycle.year)
        filters = TierFilter(request.GET or None, queryset=tier_rows(results))
        buffer = io.BytesIO()
        results_workbook(results_summary(results), export_rows(filters.qs)).save(buffer)
        return xlsx_response(buffer.getvalue(),
                             _("%(year)s evaluation results.xlsx") % {"year": cycle.year})


urlpatterns = [
    path("cycles/<int:year>/results/", ResultsView.as_view(), name="results"),
    path("cycles/<int:year>/results/compute/", ResultsComputeView.as_view(),
         name="results_compute"),
    path("cycles/<int:year>/results/recompute/", ResultsRecomputeView.as_view(),
         name="results_recompute"),
    path("cycles/<int:year>/results/justify/", ResultsJustifyView.as_view(),
         name="results_justify"),
    path("cycles/<int:year>/results.xlsx", ResultsExportView.as_view(), name="results_export"),
]
