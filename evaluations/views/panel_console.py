"""The organiser's console of the panel review (Art 11, R6): who has scored what, each
institution's statistics and each expert's calibration; the rankings of groups A and C with
their lines, where the organiser records the order of equal panel scores and the number of
不合格, reopens a submitted score and closes the stage; the scores in Excel; once closed, the
result table as a PDF for the experts to sign, and its signed scan; the city administrator's
report of fraud found during the panel review (R8).

The panel organiser acts; the city administrator reads every page, with no forms but the
fraud report's."""
from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from reports.excel import xlsx_response

from ..enums import CycleStatus, ReportStatus
from ..forms.base import FormTokenForm
from ..forms.panel import FailCountForm, ReopenForm, ResultTableScanForm, TiebreakForm
from ..models import ExpertScore, Indicator, PanelResultTable, Participant
from ..selectors.panel_console import Cell, Console, matrix_page, panel_console
from ..services.findings import fraud_report_problem
from ..services.panel_close import (
    panel_fail_count_set,
    panel_review_close,
    panel_review_close_problems,
    panel_score_reopen,
    panel_tiebreak_set,
)
from ..services.panel_table import panel_table_request, panel_table_scan_upload
from .findings import REPORT_FRAUD, StageFraudReportMixin
from .panel import PanelCycleMixin
from .self_evaluation import file_response

MANAGE = "evaluations.manage_panel"


def _can_manage(request, console: Console) -> bool:
    stage = console.cycle.stage_of(CycleStatus.PANEL_REVIEW)
    return (request.user.has_perm(MANAGE) and console.cycle.status == CycleStatus.PANEL_REVIEW
            and not (stage and stage.is_closed))


class PanelConsoleView(PanelCycleMixin, TemplateView):
    """The progress matrix (institutions × experts of each panel: submitted, not yet,
    conflict, declined) a page of institutions at a time (``?page=``; ``?below=1`` lists only
    those with fewer than the minimum of submitted scores), with the counts of the whole
    cycle, each institution's statistics and flags, and each expert's calibration as a chart
    with its figures.

    The organiser reopens a submitted score from its cell: the cell links to this page with
    ``?reopen=<score>``, which shows the one reopen form of the page filled for that score
    (the page's script fills it in place, without reloading)."""

    template_name = "evaluations/panel_console.html"

    def get_context_data(self, **kwargs):
        console = panel_console(self.get_cycle())
        below_only = self.request.GET.get("below") == "1"
        matrix = matrix_page(console, self.request.GET.get("page"), below_only=below_only)
        can_manage = _can_manage(self.request, console)
        chart = {"labels": [c.seat.expert.name for c in console.experts
                            if c.calibration is not None],
                 "data": [float(c.calibration_shown) for c in console.experts
                          if c.calibration is not None],
                 "label": _("Mean gap to the panel score")}
        reopen = None
        chosen = self.request.GET.get("reopen", "")
        if can_manage and chosen.isdigit():
            reopen = (ExpertScore.objects.filter(
                pk=int(chosen), participant__cycle=console.cycle, submitted_at__isnull=False)
                .select_related("seat__expert", "participant__institution").first())
        # This page of the matrix again, with the form filled for a score (its id appended).
        here = [("below", "1")] if below_only else []
        reopen_href = "?" + urlencode([*here, ("page", matrix.page.number), ("reopen", "")])
        return super().get_context_data(
            cycle=console.cycle, console=console, states=Cell.ORDER, chart=chart,
            matrix=matrix, page=matrix.page, query=urlencode(here), reopen_href=reopen_href,
            can_manage=can_manage, reopen=reopen, reopen_form=ReopenForm(), **kwargs)


class PanelRankingView(PanelCycleMixin, TemplateView):
    """Group A in panel order with the line of the re-verification list, group C lowest first
    with the line of the 不合格, the ties that block a line, the forms that decide them, and
    what still keeps the stage from closing."""

    template_name = "evaluations/panel_ranking.html"

    def get_context_data(self, **kwargs):
        console = panel_console(self.get_cycle())
        can_manage = _can_manage(self.request, console)
        tiebreaks = []
        if can_manage:
            for ranking in (console.a, console.c):
                if ranking.tie:
                    pks = [row.participant_pk for row in ranking.blocking]
                    tiebreaks.append((ranking, TiebreakForm(
                        participants=pks,
                        initial={f"place-{pk}": n for n, pk in enumerate(pks, start=1)})))
        problems = panel_review_close_problems(console.cycle, console)
        return super().get_context_data(
            cycle=console.cycle, console=console, can_manage=can_manage, tiebreaks=tiebreaks,
            c_lowest_first=list(reversed(console.c.ranked)),
            c_line_place=len(console.c.ranked) - console.c.line,
            fail_form=FailCountForm(initial={"chosen": console.chosen
                                             if console.chosen is not None
                                             else console.quotas.F}),
            problems=problems, closed=console.outcome.is_closed,
            can_report_fraud=(self.request.user.has_perm(REPORT_FRAUD, console.cycle)
                              and not fraud_report_problem(console.cycle,
                                                           CycleStatus.PANEL_REVIEW)),
            results=console.outcome.results.select_related("participant__institution")
            if console.outcome.pk and console.outcome.is_closed else [],
            can_sign_off=self.request.user.has_perm(MANAGE) and console.outcome.is_closed,
            result_table=console.outcome.result_tables.select_related(
                "requested_by", "scan_uploaded_by").first() if console.outcome.pk else None,
            scan_form=ResultTableScanForm(), **kwargs)


class PanelFraudReportView(StageFraudReportMixin, PanelCycleMixin, View):
    """The city reports 虚报 or 虚构 (R8) found during the panel review on a participant of
    the cycle (linked from each institution of groups A and C on the rankings), with its
    evidence; it decides on the report's page. Confirmed, the institution is 不合格: in group
    C whatever its panel score, in group A its place on the re-verification list is empty."""

    stage = CycleStatus.PANEL_REVIEW

    def get_participant(self) -> Participant:
        if not hasattr(self, "_participant"):
            self._participant = get_object_or_404(
                Participant.objects.select_related("institution"), cycle=self.get_cycle(),
                pk=self.kwargs["pk"])
        return self._participant

    def crumbs(self) -> list[tuple[str, str]]:
        year = self.get_cycle().year
        return [(_("Panel review"), reverse("evaluations:panel_stage", args=[year])),
                (_("Rankings and closing"), self.back_url())]

    def back_url(self) -> str:
        return reverse("evaluations:panel_ranking", args=[self.get_cycle().year])


class PanelActionView(PanelCycleMixin, View):
    """A POST of the organiser's; every one goes back to the ranking with a message."""

    permission_required = MANAGE
    back = "evaluations:panel_ranking"

    def post(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        try:
            messages.success(request, self.act(cycle))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect(self.back, year=cycle.year)


class PanelFailCountView(PanelActionView):
    def act(self, cycle) -> str:
        form = FailCountForm(self.request.POST)
        if not form.is_valid():
            raise DomainError(_("Give the number of unqualified institutions of group C."))
        before = panel_console(cycle).fail_count
        panel_fail_count_set(cycle=cycle, chosen=form.cleaned_data["chosen"],
                             actor=self.request.user)
        after = panel_console(cycle).fail_count
        return _("The number of unqualified institutions of group C is confirmed: the line "
                 "now falls after the lowest %(after)s (it was %(before)s).") % {
            "after": after, "before": before}


class PanelTiebreakView(PanelActionView):
    def act(self, cycle) -> str:
        pks = [int(key[len("place-"):]) for key in self.request.POST
               if key.startswith("place-") and key[len("place-"):].isdigit()]
        form = TiebreakForm(self.request.POST, participants=pks)
        if not pks or not form.is_valid():
            errors = [e for errs in form.errors.values() for e in errs]
            raise DomainError(" ".join(errors) or _("Give each institution its place."))
        panel_tiebreak_set(cycle=cycle, order=form.order(), reason=form.cleaned_data["reason"],
                           actor=self.request.user)
        return _("The order of the institutions with equal panel scores is recorded.")


class PanelScoreReopenView(PanelActionView):
    back = "evaluations:panel_console"

    def act(self, cycle) -> str:
        form = ReopenForm(self.request.POST)
        if not form.is_valid():
            raise DomainError(_("Give the reason for reopening the score."))
        score = get_object_or_404(
            ExpertScore.objects.select_related("seat__expert", "participant__cycle"),
            pk=form.cleaned_data["score"], participant__cycle=cycle)
        panel_score_reopen(score=score, actor=self.request.user,
                           reason=form.cleaned_data["reason"])
        return _("The score of %(expert)s is reopened for the expert to change.") % {
            "expert": score.seat.expert.name}


class PanelCloseView(PanelActionView):
    def act(self, cycle) -> str:
        panel_review_close(cycle=cycle, actor=self.request.user)
        return _("The panel review is closed: the panel scores, the re-verification list and "
                 "the unqualified of group C are fixed.")


class PanelScoresExportView(PanelCycleMixin, View):
    """Every expert's scores, indicator by indicator, and the statistics, in Excel."""

    def get(self, request, *args, **kwargs):
        from ..exporters.panel import panel_scores_workbook

        cycle = self.get_cycle()
        indicators = list(Indicator.objects.filter(category__cycle=cycle))
        buffer = io.BytesIO()
        panel_scores_workbook(panel_console(cycle), indicators).save(buffer)
        return xlsx_response(buffer.getvalue(),
                             _("%(year)s panel review scores.xlsx") % {"year": cycle.year})


# --- The result table (会评结果表) -------------------------------------------------------------

class ResultTableMixin(PanelCycleMixin):
    """A result table of the URL's cycle, by ``pk``."""

    def get_table(self) -> PanelResultTable:
        if not hasattr(self, "_table"):
            self._table = get_object_or_404(
                PanelResultTable.objects.select_related("requested_by", "scan_uploaded_by"),
                pk=self.kwargs["pk"], outcome__cycle=self.get_cycle())
        return self._table


class ResultTableRequestView(PanelCycleMixin, View):
    """Queue the PDF of the result table; refused until the panel review is closed."""

    permission_required = MANAGE

    def post(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        try:
            panel_table_request(cycle=cycle, actor=request.user,
                                form_token=FormTokenForm.posted_token(request.POST))
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Requested; the result table PDF is queued for "
                                        "generation."))
        return redirect(reverse("evaluations:panel_ranking", kwargs={"year": cycle.year})
                        + "#result-table")


class ResultTableStatusView(ResultTableMixin, TemplateView):
    """The box of a result table (polled by htmx while it is being generated)."""

    template_name = "evaluations/_panel_result_table.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cycle=self.get_cycle(), table=self.get_table(), scan_form=ResultTableScanForm(),
            can_sign_off=self.request.user.has_perm(MANAGE), **kwargs)


class ResultTableFileView(ResultTableMixin, View):
    def get(self, request, *args, **kwargs):
        table = self.get_table()
        if table.status != ReportStatus.DONE:
            raise Http404
        name = _("%(year)s panel review result table.pdf") % {"year": self.get_cycle().year}
        return file_response(table.file, name=name, kind="pdf", inline=False)


class ResultTableScanView(ResultTableMixin, View):
    """Upload the scan of the printed table the experts signed."""

    permission_required = MANAGE

    def post(self, request, *args, **kwargs):
        table = self.get_table()
        form = ResultTableScanForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose the scanned file to upload."))
        else:
            try:
                panel_table_scan_upload(table=table, upload=form.cleaned_data["scan"],
                                        actor=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The signed scan of the result table was "
                                            "uploaded."))
        return redirect(reverse("evaluations:panel_ranking",
                                kwargs={"year": self.get_cycle().year}) + "#result-table")


class ResultTableScanFileView(ResultTableMixin, View):
    def get(self, request, *args, **kwargs):
        table = self.get_table()
        if not table.scan:
            raise Http404
        return file_response(table.scan, name=table.scan_name, kind=table.scan_kind,
                             inline=True)


urlpatterns = [
    path("cycles/<int:year>/panels/console/", PanelConsoleView.as_view(), name="panel_console"),
    path("cycles/<int:year>/panels/ranking/", PanelRankingView.as_view(), name="panel_ranking"),
    path("cycles/<int:year>/panels/scores.xlsx", PanelScoresExportView.as_view(),
         name="panel_scores_export"),
    path("cycles/<int:year>/panels/fail-count/", PanelFailCountView.as_view(),
         name="panel_fail_count"),
    path("cycles/<int:year>/panels/tiebreak/", PanelTiebreakView.as_view(),
         name="panel_tiebreak"),
    path("cycles/<int:year>/panels/reopen/", PanelScoreReopenView.as_view(),
         name="panel_score_reopen"),
    path("cycles/<int:year>/panels/close/", PanelCloseView.as_view(), name="panel_close"),
    path("cycles/<int:year>/panels/participants/<int:pk>/fraud/",
         PanelFraudReportView.as_view(), name="panel_fraud_report"),
    path("cycles/<int:year>/panels/result-table/", ResultTableRequestView.as_view(),
         name="panel_table_request"),
    path("cycles/<int:year>/panels/result-table/<int:pk>/", ResultTableStatusView.as_view(),
         name="panel_table_status"),
    path("cycles/<int:year>/panels/result-table/<int:pk>/pdf/", ResultTableFileView.as_view(),
         name="panel_table_file"),
    path("cycles/<int:year>/panels/result-table/<int:pk>/scan/", ResultTableScanView.as_view(),
         name="panel_table_scan"),
    path("cycles/<int:year>/panels/result-table/<int:pk>/scan/file/",
         ResultTableScanFileView.as_view(), name="panel_table_scan_file"),
]
