"""Stage 1, the self-evaluation (Art 9): the institution's checklist, the indicator form with
autosave and evidence files, the submit page (what is missing, the pledge, the generated PDF
and its stamped scan), the submitted versions, and the views that serve the files.

Every object is looked up through ``submissions_for_user``: another institution's or another
district's report, file or PDF is a 404, exactly like a missing one. City staff and the
district open the same pages read-only (``evaluations.view_submission``); only the
institution's own accounts change anything (``evaluations.edit_submission``).
"""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from institutions.exceptions import DomainError
from institutions.models import Cluster, District
from institutions.rules import is_district_reviewer
from institutions.views.mixins import RulesPermissionMixin
from reports.excel import xlsx_response

from .. import completeness
from ..enums import CycleStatus, EvidenceType, ReportStatus, SubmissionStatus
from ..exporters.self_evaluation import progress_workbook
from ..forms.base import FormTokenForm
from ..forms.self_evaluation import (
    EvidenceUploadForm,
    IndicatorResponseForm,
    PledgeForm,
    ProgressFilterForm,
    ScanUploadForm,
)
from ..models import (
    Cycle,
    CycleStage,
    EvidenceFile,
    Indicator,
    ReportFile,
    Submission,
)
from ..selectors.cycles import current_cycle
from ..selectors.scopes import submissions_for_user
from ..selectors.self_evaluation import (
    PAGE_SIZE,
    STATUSES,
    TONES,
    ProgressRow,
    answer_of,
    checklist,
    indicator_gaps,
    status_columns,
    submission_progress,
    submission_status_list,
)
from ..services import self_evaluation as services
from ..services import uploads
from ..services.uploads import CONTENT_TYPES, PREVIEWABLE

VIEW = "evaluations.view_submission"
EDIT = "evaluations.edit_submission"


# --- Reading ---------------------------------------------------------------------------------


def _deadline_context(submission: Submission) -> dict:
    today = timezone.localdate()
    return {"days_left": (submission.deadline - today).days,
            "deadline_passed": today > submission.deadline}


def _can_withdraw(user, submission: Submission) -> bool:
    return (user.has_perm(EDIT, submission)
            and not services.submission_withdraw_problem(submission))


def can_change(user, submission: Submission) -> tuple[bool, str]:
    """(may ``user`` change the report now, why not): only the institution's own accounts,
    and only while the service would accept the change."""
    if not user.has_perm(EDIT, submission):
        return False, ""
    problem = services.submission_editable_problem(submission)
    return not problem, problem


def evidence_context(request, submission: Submission, indicator: Indicator, **extra) -> dict:
    """The evidence box of an indicator: its files, the upload form, the submission's quota
    and what the indicator still lacks (re-rendered after every upload or deletion)."""
    response = answer_of(submission, indicator)
    evidence = list(response.evidence.select_related("uploaded_by")) if response else []
    used = services.submission_evidence_bytes(submission)
    quota = settings.EVIDENCE_MAX_SUBMISSION_BYTES
    return {
        "submission": submission, "indicator": indicator, "evidence": evidence,
        "can_edit": can_change(request.user, submission)[0],
        "upload_form": EvidenceUploadForm(indicator=indicator),
        "accepted_types": "、".join(str(EvidenceType(kind).label)
                                   for kind in indicator.evidence_types),
        "max_file_mb": settings.EVIDENCE_MAX_FILE_BYTES // 2**20,
        "quota_used": used, "quota": quota,
        "quota_percent": min(100, used * 100 // quota) if quota else 0,
        "gaps": indicator_gaps(submission, indicator, response, len(evidence)),
        "previewable": PREVIEWABLE, **extra,
    }


def indicator_of(submission: Submission, pk: int) -> Indicator:
    """An indicator of the report's cycle (404 for another cycle's)."""
    return get_object_or_404(
        Indicator.objects.filter(category__cycle_id=submission.cycle_id)
        .select_related("category").prefetch_related("fields"), pk=pk)


# --- Mixins ----------------------------------------------------------------------------------

class SubmissionMixin(RulesPermissionMixin):
    """A report the user may see, by ``pk`` (404 outside the user's scope)."""

    permission_required = VIEW

    def get_submission(self) -> Submission:
        if not hasattr(self, "_submission"):
            self._submission = get_object_or_404(submissions_for_user(self.request.user),
                                                 pk=self.kwargs["pk"])
        return self._submission

    def get_permission_object(self):
        return self.get_submission()

    def base_context(self) -> dict:
        submission = self.get_submission()
        can_edit, problem = can_change(self.request.user, submission)
        return {"submission": submission, "cycle": submission.cycle,
                "institution": submission.institution, "can_edit": can_edit,
                "edit_problem": problem,
                "is_owner": self.request.user.has_perm(EDIT, submission),
                **_deadline_context(submission)}


class IndicatorMixin(SubmissionMixin):
    """One indicator of the report's cycle, by ``indicator``."""

    def get_indicator(self) -> Indicator:
        if not hasattr(self, "_indicator"):
            self._indicator = indicator_of(self.get_submission(), self.kwargs["indicator"])
        return self._indicator


# --- The institution's entry point and the checklist -----------------------------------------

class MySubmissionView(RulesPermissionMixin, TemplateView):
    """The institution's report of the current cycle (where the notices link to)."""

    permission_required = "evaluations.fill_submission"
    template_name = "evaluations/submission_none.html"

    def get(self, request, *args, **kwargs):
        cycle = current_cycle()
        submission = submissions_for_user(request.user, cycle).first() if cycle else None
        if submission is not None:
            return redirect("evaluations:submission_detail", pk=submission.pk)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        past = submissions_for_user(self.request.user).order_by("-cycle__year")
        return super().get_context_data(cycle=current_cycle(), past=past, **kwargs)


class SubmissionDetailView(SubmissionMixin, TemplateView):
    """The checklist: every indicator with its progress; once submitted, the locked report
    with its versions (and the withdraw button until the deadline)."""

    template_name = "evaluations/submission_detail.html"

    def get_context_data(self, **kwargs):
        submission = self.get_submission()
        versions = list(submission.versions.select_related("submitted_by", "withdrawn_by",
                                                           "report"))
        return super().get_context_data(
            **self.base_context(), checklist=checklist(submission), versions=versions,
            can_withdraw=_can_withdraw(self.request.user, submission), **kwargs)


# --- One indicator: the form (autosaved) and its evidence ------------------------------------

class SubmissionIndicatorView(IndicatorMixin, TemplateView):
    """GET shows the answer to one indicator; POST saves it (autosave with htmx, or the save
    button). A stale copy is refused with the conflict, never written over the newer one."""

    template_name = "evaluations/submission_indicator.html"

    def get_permission_required(self):
        return (EDIT,) if self.request.method == "POST" else (VIEW,)

    def get(self, request, *args, **kwargs):
        response = answer_of(self.get_submission(), self.get_indicator())
        return self.page(self.form(response), response)

    def form(self, response, data=None) -> IndicatorResponseForm:
        submission = self.get_submission()
        return IndicatorResponseForm(data, indicator=self.get_indicator(), response=response,
                                     period=submission.cycle.period,
                                     disabled=not can_change(self.request.user, submission)[0])

    def page(self, form: IndicatorResponseForm, response, status: int = 200, **extra):
        submission, indicator = self.get_submission(), self.get_indicator()
        siblings = list(Indicator.objects.filter(category__cycle_id=submission.cycle_id)
                        .order_by("category__order", "order", "pk").values_list("pk", "code"))
        index = [pk for pk, _code in siblings].index(indicator.pk)
        context = self.get_context_data(
            **{**self.base_context(), **evidence_context(self.request, submission, indicator)},
            form=form, response=response, rows=form.bound_rows(),
            previous=siblings[index - 1] if index > 0 else None,
            next=siblings[index + 1] if index + 1 < len(siblings) else None, **extra)
        return self.render_to_response(context, status=status)

    def post(self, request, *args, **kwargs):
        submission, indicator = self.get_submission(), self.get_indicator()
        response = answer_of(submission, indicator)
        form = self.form(response, request.POST)
        editable, problem = can_change(request.user, submission)
        if not editable:
            return self.refused(form, response, problem, 422)
        if not form.is_valid():  # a value too long, or a broken revision
            return self.refused(form, response, form.refusal(),
                                400 if list(form.errors) == ["revision"] else 422)
        if form.unchanged(response):
            saved = response  # nothing new: no write, and this copy is up to date again
        else:
            try:
                saved = services.response_save(
                    submission=submission, indicator=indicator, data=form.answer_data(),
                    narrative=form.cleaned_data["narrative"],
                    self_score=form.cleaned_data["self_score"],
                    revision=form.cleaned_data["revision"], actor=request.user)
            except services.EditConflict as exc:
                return self.refused(form, response, str(exc), 409, conflict=True)
            except DomainError as exc:
                return self.refused(form, response, str(exc), 422)
        if request.POST.get("beacon"):  # sent as the page closes: nobody reads the answer
            return HttpResponse(status=204)
        if request.htmx:
            evidence_count = saved.evidence.count() if saved else 0
            return HttpResponse(render_to_string("evaluations/_save_status.html", {
                "saved": saved, "revision": saved.revision if saved else 0,
                "gaps": indicator_gaps(submission, indicator, saved, evidence_count),
                "oob": True}, request=request))
        if saved is not None:
            messages.success(request, _("Saved at %(time)s.") % {
                "time": timezone.localtime(saved.updated_at).strftime("%H:%M:%S")})
        if request.POST.get("then") == "checklist":
            return redirect("evaluations:submission_detail", pk=submission.pk)
        return redirect("evaluations:submission_indicator", pk=submission.pk,
                        indicator=indicator.pk)

    def refused(self, form, response, message: str, status: int, conflict: bool = False):
        """The save was refused: say why, and leave what the user typed in the page."""
        if self.request.POST.get("beacon"):
            return HttpResponse(status=status)
        if self.request.htmx:
            return HttpResponse(render_to_string("evaluations/_save_status.html", {
                "error": message, "conflict": conflict}, request=self.request), status=status)
        # The posted copy is shown again (not the stored one): nothing typed is lost.
        return self.page(form, response, status=status, save_error=message, conflict=conflict)


class EvidenceUploadView(IndicatorMixin, View):
    """Upload one or several evidence files to an indicator. Each file is checked on its own;
    a refused file is listed with the reason and changes nothing else."""

    permission_required = EDIT

    def post(self, request, *args, **kwargs):
        submission, indicator = self.get_submission(), self.get_indicator()
        form = EvidenceUploadForm(request.POST, request.FILES, indicator=indicator)
        uploaded, refused = [], []
        if form.is_valid():
            for upload in form.cleaned_data["files"]:
                try:
                    evidence = services.evidence_upload(submission=submission,
                                                        indicator=indicator, upload=upload,
                                                        actor=request.user)
                except DomainError as exc:
                    refused.append(str(exc))
                else:
                    uploaded.append(evidence.original_name)
        else:
            refused.append(_("Choose at least one file to upload."))
        if request.htmx:
            context = evidence_context(request, submission, indicator, uploaded=uploaded,
                                       refused=refused, oob=True)
            return HttpResponse(render_to_string("evaluations/_evidence.html", context,
                                                 request=request))
        for name in uploaded:
            messages.success(request, _("“%(name)s” was uploaded.") % {"name": name})
        for message in refused:
            messages.error(request, message)
        return redirect("evaluations:submission_indicator", pk=submission.pk,
                        indicator=indicator.pk)


# --- Files -----------------------------------------------------------------------------------

def file_response(fieldfile, *, name: str, kind: str, inline: bool) -> FileResponse:
    """Stream a stored file under its sanitised name. The type is the one found by content at
    upload; ``nosniff`` keeps the browser from guessing another. Only PDF and images are shown
    in the browser, anything else is a download."""
    if not fieldfile:
        raise Http404
    try:
        handle = fieldfile.storage.open(fieldfile.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    inline = inline and kind in PREVIEWABLE
    response = FileResponse(handle, content_type=CONTENT_TYPES.get(kind,
                                                                   "application/octet-stream"))
    response.headers["Content-Disposition"] = content_disposition_header(not inline, name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


class EvidenceMixin(RulesPermissionMixin):
    permission_required = VIEW

    def get_evidence(self) -> EvidenceFile:
        if not hasattr(self, "_evidence"):
            visible = submissions_for_user(self.request.user)
            self._evidence = get_object_or_404(
                EvidenceFile.objects.select_related("response__submission__cycle",
                                                    "response__indicator")
                .filter(response__submission__in=visible), pk=self.kwargs["pk"])
        return self._evidence

    def get_permission_object(self):
        return self.get_evidence().response.submission


class EvidencePreviewView(EvidenceMixin, View):
    def get(self, request, *args, **kwargs):
        evidence = self.get_evidence()
        return file_response(evidence.file, name=evidence.original_name, kind=evidence.kind,
                             inline=True)


class EvidenceDownloadView(EvidenceMixin, View):
    def get(self, request, *args, **kwargs):
        evidence = self.get_evidence()
        return file_response(evidence.file, name=evidence.original_name, kind=evidence.kind,
                             inline=False)


class EvidenceDeleteView(EvidenceMixin, TemplateView):
    """GET asks to confirm; POST removes the file (while the report can change)."""

    permission_required = EDIT
    template_name = "evaluations/submission_evidence_delete.html"

    def get_context_data(self, **kwargs):
        evidence = self.get_evidence()
        return super().get_context_data(evidence=evidence,
                                        submission=evidence.response.submission, **kwargs)

    def post(self, request, *args, **kwargs):
        evidence = self.get_evidence()
        submission = evidence.response.submission
        indicator = evidence.response.indicator
        refused = []
        try:
            services.evidence_delete(evidence=evidence, actor=request.user)
        except DomainError as exc:
            refused.append(str(exc))
        if request.htmx:
            context = evidence_context(request, submission, indicator_of(submission,
                                                                         indicator.pk),
                                       refused=refused,
                                       deleted=[] if refused else [evidence.original_name],
                                       oob=True)
            return HttpResponse(render_to_string("evaluations/_evidence.html", context,
                                                 request=request))
        if refused:
            messages.error(request, refused[0])
        else:
            messages.success(request, _("“%(name)s” was deleted.")
                             % {"name": evidence.original_name})
        return redirect("evaluations:submission_indicator", pk=submission.pk,
                        indicator=indicator.pk)


# --- Submitting: the pledge, the generated report and its stamped scan -----------------------

class SubmissionSubmitView(SubmissionMixin, TemplateView):
    """GET lists what is missing and walks through pledge → PDF → stamped scan; POST submits
    (once: a second POST is told the report is already submitted)."""

    template_name = "evaluations/submission_submit.html"

    def get_permission_required(self):
        return (EDIT,) if self.request.method == "POST" else (VIEW,)

    def get_context_data(self, **kwargs):
        submission = self.get_submission()
        context = self.base_context()
        gaps = services.submission_gaps(submission)
        grouped: list[tuple[str, int, list[str]]] = []
        for gap in gaps:
            if not grouped or grouped[-1][1] != gap.indicator_id:
                grouped.append((gap.code, gap.indicator_id, []))
            grouped[-1][2].append(gap.message)
        problems = services.submission_submit_problems(submission) if context["can_edit"] \
            else []
        digest = completeness.content_digest(services.submission_snapshot(submission))
        report = submission.reports.select_related("requested_by", "scan_uploaded_by").first()
        user = self.request.user
        report_current = report is not None and report.digest == digest
        scan_ready = uploads.scan_ready(report, current=report_current)
        checks_pass = not gaps and submission.pledge_accepted_at is not None and scan_ready
        return super().get_context_data(
            **context, gaps=grouped, gap_count=len(gaps), no_gaps=not gaps, report=report,
            report_current=report_current, scan_ready=scan_ready,
            # What the three checks above do not explain (they cover every usual reason).
            other_problems=problems if checks_pass else [],
            can_sign=context["can_edit"] and user.has_perm("evaluations.sign_pledge",
                                                          submission),
            pledge_form=PledgeForm(), scan_form=ScanUploadForm(),
            can_generate=context["can_edit"] and not gaps
            and submission.pledge_accepted_at is not None,
            can_submit=context["can_edit"] and not problems, **kwargs)

    def post(self, request, *args, **kwargs):
        submission = self.get_submission()
        if submission.status == SubmissionStatus.SUBMITTED:
            messages.info(request, _("The report has already been submitted."))
            return redirect("evaluations:submission_detail", pk=submission.pk)
        try:
            version = services.submission_submit(submission=submission, actor=request.user)
        except DomainError as exc:
            if Submission.objects.filter(pk=submission.pk,
                                         status=SubmissionStatus.SUBMITTED).exists():
                # The other click of a double click got there first.
                messages.info(request, _("The report has already been submitted."))
                return redirect("evaluations:submission_detail", pk=submission.pk)
            messages.error(request, str(exc))
            return redirect("evaluations:submission_submit", pk=submission.pk)
        messages.success(request, _("The report was submitted as version %(number)s. It is "
                                    "locked; a receipt was sent to your accounts.")
                         % {"number": version.number})
        return redirect("evaluations:submission_detail", pk=submission.pk)


class SubmissionPledgeView(SubmissionMixin, View):
    """The institution administrator confirms the truthfulness pledge (Art 9)."""

    permission_required = "evaluations.sign_pledge"

    def post(self, request, *args, **kwargs):
        submission = self.get_submission()
        form = PledgeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Tick the box to confirm the pledge."))
        else:
            try:
                services.submission_pledge(submission=submission, actor=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The truthfulness pledge is signed."))
        return redirect(reverse("evaluations:submission_submit", kwargs={"pk": submission.pk})
                        + "#pledge")


class SubmissionWithdrawView(SubmissionMixin, View):
    """Withdraw a submitted report to change it (until the deadline); its version is kept."""

    permission_required = EDIT

    def post(self, request, *args, **kwargs):
        submission = self.get_submission()
        try:
            services.submission_withdraw(submission=submission, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The report was withdrawn: it can be changed and must "
                                        "be submitted again by %(date)s.")
                             % {"date": submission.deadline})
        return redirect("evaluations:submission_detail", pk=submission.pk)


class ReportRequestView(SubmissionMixin, View):
    """Queue the PDF of the report and the pledge (a Celery task)."""

    permission_required = EDIT

    def post(self, request, *args, **kwargs):
        submission = self.get_submission()
        try:
            services.report_request(submission=submission, actor=request.user,
                                    form_token=FormTokenForm.posted_token(request.POST))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect(reverse("evaluations:submission_submit", kwargs={"pk": submission.pk})
                        + "#report")


class ReportMixin(RulesPermissionMixin):
    permission_required = VIEW

    def get_report(self) -> ReportFile:
        if not hasattr(self, "_report"):
            visible = submissions_for_user(self.request.user)
            self._report = get_object_or_404(
                ReportFile.objects.select_related("submission__cycle",
                                                  "submission__institution")
                .filter(submission__in=visible), pk=self.kwargs["pk"])
        return self._report

    def get_permission_object(self):
        return self.get_report().submission


class ReportProgressView(ReportMixin, TemplateView):
    """The progress box of a generated report (polled by htmx until it is done)."""

    template_name = "evaluations/_report.html"

    def get_context_data(self, **kwargs):
        report = self.get_report()
        submission = report.submission
        current = False
        if report.status == ReportStatus.DONE:
            current = report.digest == completeness.content_digest(
                services.submission_snapshot(submission))
        return super().get_context_data(report=report, report_current=current,
                                        submission=submission,
                                        can_edit=can_change(self.request.user, submission)[0],
                                        scan_form=ScanUploadForm(), **kwargs)


class ReportDownloadView(ReportMixin, View):
    def get(self, request, *args, **kwargs):
        report = self.get_report()
        if report.status != ReportStatus.DONE:
            raise Http404
        name = _("self-evaluation-%(year)s-%(code)s.pdf") % {
            "year": report.submission.cycle.year,
            "code": report.submission.institution.credit_code}
        return file_response(report.file, name=name, kind="pdf", inline=False)


class ReportScanView(ReportMixin, View):
    def get(self, request, *args, **kwargs):
        report = self.get_report()
        return file_response(report.scan, name=report.scan_name, kind=report.scan_kind,
                             inline=True)


class ReportScanUploadView(ReportMixin, View):
    """Upload the stamped scan (盖章) of a generated report."""

    permission_required = EDIT

    def post(self, request, *args, **kwargs):
        report = self.get_report()
        form = ScanUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose the scanned file to upload."))
        else:
            try:
                services.report_scan_upload(report=report, upload=form.cleaned_data["scan"],
                                            actor=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The stamped scan was uploaded."))
        return redirect(reverse("evaluations:submission_submit",
                                kwargs={"pk": report.submission_id}) + "#report")


# --- Submitted versions ------------------------------------------------------------------------

class SubmissionVersionView(SubmissionMixin, TemplateView):
    """One submitted version exactly as it was submitted (its snapshot), read-only."""

    template_name = "evaluations/submission_version.html"

    def get_context_data(self, **kwargs):
        submission = self.get_submission()
        version = get_object_or_404(submission.versions.select_related(
            "submitted_by", "withdrawn_by", "report"), number=self.kwargs["number"])
        indicators = {i.code: i for i in Indicator.objects.filter(
            category__cycle_id=submission.cycle_id).select_related("category")
            .prefetch_related("fields")}
        shas = {e["sha256"] for a in version.snapshot["answers"] for e in a["evidence"]}
        # Files of the version that are still stored can be opened (the snapshot keeps their
        # names and fingerprints either way).
        stored = dict(EvidenceFile.objects.filter(response__submission=submission,
                                                  sha256__in=shas)
                      .values_list("sha256", "pk"))
        answers = []
        for answer in version.snapshot["answers"]:
            indicator = indicators.get(answer["indicator"])
            data = answer.get("data") or {}
            fields = [(f.label, (data.get(f.key) or {}).get("y1", ""),
                       (data.get(f.key) or {}).get("y2", ""))
                      for f in (indicator.fields.all() if indicator else [])]
            evidence = [{**e, "pk": stored.get(e["sha256"])} for e in answer["evidence"]]
            answers.append({"code": answer["indicator"], "indicator": indicator,
                            "fields": fields, "narrative": answer["narrative"],
                            "self_score": answer["self_score"], "evidence": evidence})
        versions = submission.versions.select_related("submitted_by", "withdrawn_by")
        return super().get_context_data(**self.base_context(), version=version,
                                        answers=answers, versions=versions,
                                        can_withdraw=_can_withdraw(self.request.user,
                                                                   submission), **kwargs)


# --- Progress of the cohort, by district and cluster (the city and the districts) -----------

# --- Reads ----------------------------------------------------------------------------------


# --- Filters --------------------------------------------------------------------------------


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
            total=progress.total, statuses=status_columns(progress.total),
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
        return xlsx_response(content, filename)


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
    path("self-evaluation/", MySubmissionView.as_view(), name="my_submission"),
    path("self-evaluation/<int:pk>/", SubmissionDetailView.as_view(), name="submission_detail"),
    path("self-evaluation/<int:pk>/indicators/<int:indicator>/",
         SubmissionIndicatorView.as_view(), name="submission_indicator"),
    path("self-evaluation/<int:pk>/indicators/<int:indicator>/evidence/",
         EvidenceUploadView.as_view(), name="evidence_upload"),
    path("self-evaluation/<int:pk>/submit/", SubmissionSubmitView.as_view(),
         name="submission_submit"),
    path("self-evaluation/<int:pk>/pledge/", SubmissionPledgeView.as_view(),
         name="submission_pledge"),
    path("self-evaluation/<int:pk>/report/", ReportRequestView.as_view(), name="report_request"),
    path("self-evaluation/<int:pk>/withdraw/", SubmissionWithdrawView.as_view(),
         name="submission_withdraw"),
    path("self-evaluation/<int:pk>/versions/<int:number>/", SubmissionVersionView.as_view(),
         name="submission_version"),
    path("self-evaluation/evidence/<int:pk>/", EvidencePreviewView.as_view(),
         name="evidence_preview"),
    path("self-evaluation/evidence/<int:pk>/download/", EvidenceDownloadView.as_view(),
         name="evidence_download"),
    path("self-evaluation/evidence/<int:pk>/delete/", EvidenceDeleteView.as_view(),
         name="evidence_delete"),
    path("self-evaluation/reports/<int:pk>/", ReportProgressView.as_view(),
         name="report_progress"),
    path("self-evaluation/reports/<int:pk>/pdf/", ReportDownloadView.as_view(),
         name="report_download"),
    path("self-evaluation/reports/<int:pk>/scan/", ReportScanView.as_view(), name="report_scan"),
    path("self-evaluation/reports/<int:pk>/scan/upload/", ReportScanUploadView.as_view(),
         name="report_scan_upload"),
    # Progress of the cohort
    path("progress/", ProgressCurrentView.as_view(), name="progress_current"),
    path("cycles/<int:year>/progress/", ProgressView.as_view(), name="progress"),
    path("cycles/<int:year>/progress.xlsx", ProgressExportView.as_view(),
         name="progress_export"),
]
