"""Stage 2: the district's ranking (R4), its summary (Excel, PDF, stamped scan), submission
and the city's decision (Art 10).

Every district review is looked up through ``district_reviews_for_user`` (and every summary
file through the reviews the user may see): another district's review is a 404, exactly like a
missing one. City staff open the district's pages read-only
(``evaluations.view_district_review``); only the district's reviewers change the ranking and
the summary (``evaluations.review_district``); only the city administrator accepts or returns
a submitted summary (``evaluations.decide_district_review``). The district's reviewers may read
the city's decision page as well: it shows nothing their own summary page does not.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from institutions.views.mixins import RulesPermissionMixin
from scoring import (
    district_split,
    out_of_score_order,
    rank_groups,
    score_order,
    tie_groups,
    unexplained_inversions,
)

from ..enums import CycleStatus, DistrictReviewStatus, PreliminaryGroup, ReportStatus
from ..exporters import XLSX_CONTENT_TYPE
from ..forms_ranking import (
    DistrictReviewAcceptForm,
    DistrictReviewReturnForm,
    DistrictReviewSubmitForm,
    RankingForm,
    SummaryScanForm,
)
from ..models import DistrictReview, DistrictSummaryFile, Indicator, Participant
from ..selectors import district_reviews_for_user
from ..services import preliminary as services
from ..summary import DistrictSummary, district_summary
from ..summary_export import district_summary_workbook
from .self_evaluation import file_response

VIEW = "evaluations.view_district_review"
REVIEW = "evaluations.review_district"
DECIDE = "evaluations.decide_district_review"


# --- Reading ---------------------------------------------------------------------------------

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


def status_tone(review: DistrictReview) -> str:
    return {DistrictReviewStatus.NOT_STARTED: "secondary",
            DistrictReviewStatus.IN_REVIEW: "primary",
            DistrictReviewStatus.SUBMITTED: "info",
            DistrictReviewStatus.RETURNED: "warning",
            DistrictReviewStatus.ACCEPTED: "success"}[review.status]


def summary_is_current(summary_file: DistrictSummaryFile | None,
                       summary: DistrictSummary) -> bool:
    return summary_file is not None and summary_file.digest == summary.digest()


def safe_file_name(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "-", name).strip("-") or "summary"


# --- Mixins ----------------------------------------------------------------------------------

class DistrictReviewMixin(RulesPermissionMixin):
    """A district review the user may see, by ``pk`` (404 outside the user's scope)."""

    permission_required = VIEW

    def get_review(self) -> DistrictReview:
        if not hasattr(self, "_review"):
            self._review = get_object_or_404(
                district_reviews_for_user(self.request.user).select_related(
                    "ranking_saved_by", "submitted_by", "decided_by", "summary"),
                pk=self.kwargs["pk"])
        return self._review

    def get_permission_object(self):
        return self.get_review()

    def can_edit(self) -> tuple[bool, str]:
        """(may the user change the ranking and the summary now, why not)."""
        review = self.get_review()
        if not self.request.user.has_perm(REVIEW, review):
            return False, ""
        problem = services.district_review_editable_problem(review)
        return not problem, problem

    def base_context(self) -> dict:
        review = self.get_review()
        can_edit, problem = self.can_edit()
        return {"review": review, "cycle": review.cycle, "district": review.district,
                "can_edit": can_edit, "edit_problem": problem,
                "is_reviewer": self.request.user.has_perm(REVIEW, review),
                "status_tone": status_tone(review)}


class SummaryFileMixin(RulesPermissionMixin):
    """A generated summary of a district review the user may see, by ``pk``."""

    permission_required = VIEW

    def get_summary_file(self) -> DistrictSummaryFile:
        if not hasattr(self, "_summary_file"):
            visible = district_reviews_for_user(self.request.user)
            self._summary_file = get_object_or_404(
                DistrictSummaryFile.objects.select_related(
                    "district_review__cycle__policy_version", "district_review__district",
                    "requested_by", "scan_uploaded_by")
                .filter(district_review__in=visible), pk=self.kwargs["pk"])
        return self._summary_file

    def get_permission_object(self):
        return self.get_summary_file().district_review


# --- The ranking (R4) ------------------------------------------------------------------------

class RankingView(DistrictReviewMixin, TemplateView):
    """GET shows the district's ranking; POST saves the whole order with its reasons and the
    confirmed ties, or (without JavaScript) applies one up/down move and shows the result
    unsaved. A save from a page older than the last saved ranking is refused with who changed
    what, and the user's order stays on the page until they reload."""

    template_name = "evaluations/ranking.html"

    def get_permission_required(self):
        return (REVIEW,) if self.request.method == "POST" else (VIEW,)

    def participants(self) -> list[Participant]:
        if not hasattr(self, "_participants"):
            self._participants = list(
                Participant.objects.filter(district_review=self.get_review())
                .select_related("institution", "submission__cluster")
                .order_by("rank", "-score", "pk"))
        return self._participants

    def get(self, request, *args, **kwargs):
        participants = self.participants()
        return self.page(order=saved_order(participants),
                         reasons={p.pk: p.rank_reason for p in participants},
                         tie_confirmed={p.pk for p in participants if p.tie_confirmed},
                         revision=self.get_review().revision)

    def page(self, *, order, reasons, tie_confirmed, revision, status=200, **extra):
        review = self.get_review()
        participants = self.participants()
        sizes = r4_sizes(review, len(participants))
        context = self.get_context_data(
            **self.base_context(), sizes=sizes,
            rows=ranking_rows(participants, order, reasons, tie_confirmed, sizes.shares),
            indicator_count=Indicator.objects.filter(
                category__cycle_id=review.cycle_id).count(),
            problems=services.district_ranking_problems(review), revision=revision,
            group_labels={g.value: str(g.label) for g in PreliminaryGroup}, **extra)
        return self.render_to_response(context, status=status)

    def post(self, request, *args, **kwargs):
        review = self.get_review()
        participants = self.participants()
        can_edit, problem = self.can_edit()
        if not can_edit:
            messages.error(request, problem)
            return redirect("evaluations:ranking", pk=review.pk)
        form = RankingForm(request.POST, participant_ids=[p.pk for p in participants])
        if not form.is_valid():
            errors = [str(e) for field in ("order", "revision", "move")
                      for e in form.errors.get(field, [])]
            return self.page(order=saved_order(participants),
                             reasons={p.pk: p.rank_reason for p in participants},
                             tie_confirmed={p.pk for p in participants if p.tie_confirmed},
                             revision=review.revision, status=400,
                             error=" ".join(errors) or _("The page is out of date; reload it."))
        posted = {"reasons": form.reasons(), "tie_confirmed": form.tie_confirmed(),
                  "revision": form.cleaned_data["revision"]}
        if form.cleaned_data.get("move"):
            return self.page(order=form.moved_order(), unsaved=True, **posted)
        order = form.cleaned_data["order"]
        try:
            record = services.district_ranking_save(
                district_review=review, order=order, reasons=posted["reasons"],
                tie_confirmed=posted["tie_confirmed"], revision=posted["revision"],
                actor=request.user)
        except services.ReviewConflict as exc:
            # The user's order stays on the page with the revision it was loaded at: the
            # other reviewer's ranking is never adopted silently.
            return self.page(order=order, status=409, error=str(exc), conflict=True, **posted)
        except DomainError as exc:
            return self.page(order=order, status=422, error=str(exc), **posted)
        messages.success(request, _("The ranking was saved (revision %(number)s).")
                         % {"number": record.number})
        return redirect("evaluations:ranking", pk=review.pk)


# --- The summary, its PDF and stamped scan, and submission (Art 10) --------------------------

class DistrictSummaryView(DistrictReviewMixin, TemplateView):
    """The district's summary as the city will receive it, the Excel export, the PDF with its
    document number, its stamped scan, and the submit step."""

    template_name = "evaluations/district_summary.html"

    def get_context_data(self, **kwargs):
        review = self.get_review()
        context = self.base_context()
        summary = district_summary(review)
        latest = review.summaries.select_related("requested_by", "scan_uploaded_by").first()
        ranking_problems = services.district_ranking_problems(review) \
            if context["can_edit"] else []
        submit_problems = services.district_review_submit_problems(review) \
            if context["can_edit"] else []
        current = summary_is_current(latest, summary)
        return super().get_context_data(
            **context, summary=summary, sizes=r4_sizes(review, summary.n),
            summary_file=latest, summary_current=current,
            ranking_problems=ranking_problems, ranking_ok=not ranking_problems,
            submit_problems=submit_problems,
            scan_ready=current and latest.status == ReportStatus.DONE and bool(latest.scan),
            can_request=context["can_edit"] and not ranking_problems,
            can_submit=context["can_edit"] and not submit_problems,
            scan_form=SummaryScanForm(), submit_form=DistrictReviewSubmitForm(), **kwargs)


class DistrictSummaryExcelView(DistrictReviewMixin, View):
    """The summary as an .xlsx workbook, with the document number of its current PDF."""

    def get(self, request, *args, **kwargs):
        review = self.get_review()
        summary = district_summary(review)
        latest = review.summaries.filter(status=ReportStatus.DONE).first()
        number = latest.document_number if summary_is_current(latest, summary) else ""
        buffer = io.BytesIO()
        district_summary_workbook(summary, document_number=number).save(buffer)
        filename = _("preliminary-review-summary-%(district)s-%(year)s.xlsx") % {
            "district": review.district.name, "year": review.cycle.year}
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


class DistrictSummaryRequestView(DistrictReviewMixin, View):
    """Queue the PDF of the summary; refused, with the problems, while the ranking cannot be
    submitted."""

    permission_required = REVIEW

    def post(self, request, *args, **kwargs):
        review = self.get_review()
        try:
            summary = services.summary_request(district_review=review, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The summary %(number)s is being generated.")
                             % {"number": summary.document_number})
        return redirect(reverse("evaluations:district_summary", kwargs={"pk": review.pk})
                        + "#pdf")


class DistrictSummaryStatusView(SummaryFileMixin, TemplateView):
    """The box of a generated summary (polled by htmx while it is being generated)."""

    template_name = "evaluations/_district_summary_status.html"

    def get_context_data(self, **kwargs):
        summary_file = self.get_summary_file()
        review = summary_file.district_review
        current = summary_file.status == ReportStatus.DONE and summary_is_current(
            summary_file, district_summary(review))
        user = self.request.user
        can_edit = user.has_perm(REVIEW, review) \
            and not services.district_review_editable_problem(review)
        return super().get_context_data(summary_file=summary_file, summary_current=current,
                                        review=review, can_edit=can_edit,
                                        scan_form=SummaryScanForm(), **kwargs)


class DistrictSummaryFileView(SummaryFileMixin, View):
    def get(self, request, *args, **kwargs):
        summary_file = self.get_summary_file()
        if summary_file.status != ReportStatus.DONE:
            raise Http404
        return file_response(summary_file.file,
                             name=f"{safe_file_name(summary_file.document_number)}.pdf",
                             kind="pdf", inline=False)


class DistrictSummaryScanView(SummaryFileMixin, View):
    """Upload the stamped scan (盖章) of a generated summary."""

    permission_required = REVIEW

    def post(self, request, *args, **kwargs):
        summary_file = self.get_summary_file()
        form = SummaryScanForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose the scanned file to upload."))
        else:
            try:
                services.summary_scan_upload(summary=summary_file,
                                             upload=form.cleaned_data["scan"],
                                             actor=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The stamped scan of the summary was uploaded."))
        return redirect(reverse("evaluations:district_summary",
                                kwargs={"pk": summary_file.district_review_id}) + "#pdf")


class DistrictSummaryScanFileView(SummaryFileMixin, View):
    def get(self, request, *args, **kwargs):
        summary_file = self.get_summary_file()
        return file_response(summary_file.scan, name=summary_file.scan_name,
                             kind=summary_file.scan_kind, inline=True)


class DistrictReviewSubmitView(DistrictReviewMixin, View):
    """Submit the stamped summary to the city (after the confirmation box): the district's
    results are locked until the city returns them."""

    permission_required = REVIEW

    def post(self, request, *args, **kwargs):
        review = self.get_review()
        url = reverse("evaluations:district_summary", kwargs={"pk": review.pk})
        if review.status == DistrictReviewStatus.SUBMITTED:
            messages.info(request, _("The summary has already been submitted."))
            return redirect(url)
        form = DistrictReviewSubmitForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Tick the box to confirm the submission."))
            return redirect(url + "#submit")
        try:
            services.district_review_submit(district_review=review, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(url + "#submit")
        messages.success(request, _("The summary was submitted to the city bureau. The "
                                    "district's results are locked until the city returns "
                                    "them."))
        return redirect(url)


# --- The city's decision ---------------------------------------------------------------------

class DistrictReviewDetailView(DistrictReviewMixin, TemplateView):
    """The submitted summary with its stamped scan, and the city's two answers: accept it
    or return it with a reason."""

    template_name = "evaluations/district_review_detail.html"

    def get_context_data(self, **kwargs):
        review = self.get_review()
        summary = district_summary(review)
        submitted = review.summary
        can_decide = (self.request.user.has_perm(DECIDE, review)
                      and review.status == DistrictReviewStatus.SUBMITTED
                      and review.cycle.status == CycleStatus.PRELIMINARY_REVIEW)
        kwargs.setdefault("accept_form", DistrictReviewAcceptForm())
        kwargs.setdefault("return_form", DistrictReviewReturnForm())
        return super().get_context_data(
            **self.base_context(), summary=summary, sizes=r4_sizes(review, summary.n),
            submitted_file=submitted,
            submitted_current=summary_is_current(submitted, summary),
            can_decide=can_decide, **kwargs)


class DistrictReviewDecisionView(DistrictReviewDetailView):
    """A decision of the city (POST only): on refusal the detail page is shown again with the
    reason and what the user typed."""

    permission_required = DECIDE
    http_method_names = ["post"]

    def refused(self, message: str = "", **forms):
        return self.render_to_response(self.get_context_data(error=message, **forms),
                                       status=422)

    def decided(self, message: str):
        messages.success(self.request, message)
        return redirect("evaluations:district_review_detail", pk=self.get_review().pk)


class DistrictReviewAcceptView(DistrictReviewDecisionView):
    def post(self, request, *args, **kwargs):
        review = self.get_review()
        form = DistrictReviewAcceptForm(request.POST)
        if not form.is_valid():
            return self.refused(_("Tick the box to confirm that you accept the summary."),
                                accept_form=form)
        try:
            services.district_review_accept(district_review=review, actor=request.user)
        except DomainError as exc:
            return self.refused(str(exc), accept_form=form)
        return self.decided(_("The summary of %(district)s was accepted.")
                            % {"district": review.district.name})


class DistrictReviewReturnView(DistrictReviewDecisionView):
    def post(self, request, *args, **kwargs):
        review = self.get_review()
        form = DistrictReviewReturnForm(request.POST)
        if not form.is_valid():
            return self.refused(return_form=form)
        try:
            services.district_review_return(district_review=review,
                                            reason=form.cleaned_data["reason"],
                                            actor=request.user)
        except DomainError as exc:
            return self.refused(str(exc), return_form=form)
        return self.decided(_("The summary of %(district)s was returned to the district.")
                            % {"district": review.district.name})


urlpatterns = [
    path("preliminary/<int:pk>/ranking/",
         RankingView.as_view(), name="ranking"),
    path("preliminary/<int:pk>/summary/",
         DistrictSummaryView.as_view(), name="district_summary"),
    path("preliminary/<int:pk>/summary.xlsx",
         DistrictSummaryExcelView.as_view(), name="district_summary_excel"),
    path("preliminary/<int:pk>/summary/pdf/",
         DistrictSummaryRequestView.as_view(), name="district_summary_request"),
    path("preliminary/summaries/<int:pk>/status/",
         DistrictSummaryStatusView.as_view(), name="district_summary_status"),
    path("preliminary/summaries/<int:pk>/file/",
         DistrictSummaryFileView.as_view(), name="district_summary_file"),
    path("preliminary/summaries/<int:pk>/scan/",
         DistrictSummaryScanView.as_view(), name="district_summary_scan"),
    path("preliminary/summaries/<int:pk>/scan/file/",
         DistrictSummaryScanFileView.as_view(), name="district_summary_scan_file"),
    path("preliminary/<int:pk>/submit/",
         DistrictReviewSubmitView.as_view(), name="district_review_submit"),
    path("preliminary/<int:pk>/decision/",
         DistrictReviewDetailView.as_view(), name="district_review_detail"),
    path("preliminary/<int:pk>/accept/",
         DistrictReviewAcceptView.as_view(), name="district_review_accept"),
    path("preliminary/<int:pk>/return/",
         DistrictReviewReturnView.as_view(), name="district_review_return"),
]
