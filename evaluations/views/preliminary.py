"""Stage 2, the district's preliminary review (Art 9, 10; R3, R4): the dashboards of the
district and the city and the closing of the stage; reviewing a report claim by claim beside
its evidence, and site visits; the ranking, the summary (Excel, PDF, stamped scan), its
submission and the city's decision.

Every object is looked up through a selector scoped to the user (``district_reviews_for_user``,
``participants_for_user``): another district's review is a 404, exactly like a missing one.
What the pages show is read in ``selectors.preliminary``; what they change is done in
``services.preliminary``.
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from institutions.rules import is_district_reviewer
from institutions.views.mixins import RulesPermissionMixin
from reports.excel import xlsx_response

from ..enums import (
    CycleStatus,
    DistrictReviewStatus,
    PreliminaryGroup,
    RectificationStatus,
    ReportStatus,
    SubmissionStatus,
)
from ..exporters.preliminary import district_summary_workbook
from ..forms.base import FormTokenForm
from ..forms.preliminary import (
    ClaimReviewForm,
    DistrictReviewAcceptForm,
    DistrictReviewReturnForm,
    DistrictReviewSubmitForm,
    ParticipantCommentForm,
    RankingForm,
    SiteVisitForm,
    SummaryScanForm,
    ranking_row_fields,
)
from ..models import (
    ClaimReview,
    Cycle,
    DistrictReview,
    DistrictSummaryFile,
    EvidenceFile,
    Indicator,
    IndicatorResponse,
    Participant,
    SiteVisitFile,
)
from ..selectors.cycles import REVIEWED_STATUSES, preliminary_cycle
from ..selectors.preliminary import (
    GROUPS,
    RECTIFICATION_STATUSES,
    STATUS_TONES,
    LiveTotal,
    ReviewProgress,
    claim_count,
    district_dashboard,
    district_submit_warnings,
    district_summary,
    live_total,
    participant_rows,
    participant_total,
    pending_fraud_reports,
    preliminary_stage,
    r4_sizes,
    ranking_rows,
    review_progress,
    saved_order,
    summary_is_current,
)
from ..selectors.scopes import (
    district_reviews_for_user,
    participants_for_user,
    submissions_for_user,
)
from ..services import findings as findings_services
from ..services import preliminary as services
from ..services.uploads import PREVIEWABLE, scan_ready
from .mixins import (
    REVIEW_DISTRICT,
    VIEW_DISTRICT_REVIEW,
    DistrictReviewMixin,
    ParticipantMixin,
)
from .self_evaluation import file_response

# --- Reads ----------------------------------------------------------------------------------


# --- Mixins ---------------------------------------------------------------------------------



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
        dashboard = district_dashboard(review, today)
        progress, distribution = dashboard.progress, dashboard.distribution
        return super().get_context_data(
            review=review, cycle=review.cycle, district=review.district, progress=progress,
            distribution=distribution, score_chart=distribution.chart(),
            overdue=dashboard.overdue,
            rectification_cells=[(RectificationStatus(s), progress.rectifications[s])
                                 for s in RECTIFICATION_STATUSES],
            stage=preliminary_stage(review.cycle), today=today,
            pending_fraud=dashboard.pending_fraud, **kwargs)


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


PAGE_TEMPLATE = "evaluations/review_participant.html"
CLAIM_TEMPLATE = "evaluations/_review_claim.html"


# --- Reading ---------------------------------------------------------------------------------


@dataclass
class ClaimRow:
    """One indicator of the report as the reviewer reads it: the institution's data for the
    two evaluated years, its narrative, self-assessed score and evidence, and the claim form."""

    indicator: Indicator
    response: IndicatorResponse | None
    values: list[tuple[str, str, str]]  # (label, value for Y−2, value for Y−1)
    evidence: list[EvidenceFile]
    claim: ClaimReview | None
    form: ClaimReviewForm | None  # None for who only reads the verdict
    error: str = ""
    conflict: bool = False


@dataclass
class ReviewSheet:
    categories: list[tuple[object, list[ClaimRow]]] = field(default_factory=list)
    total: LiveTotal | None = None


def review_sheet(participant: Participant, *, can_review: bool,
                 bound: ClaimReviewForm | None = None, error: str = "",
                 conflict: bool = False) -> ReviewSheet:
    """Every indicator of the report with its answer, evidence and claim, grouped by
    category, in a fixed number of queries whatever the number of files. ``bound`` replaces
    the form of its indicator, with ``error`` (a refused save shown again as the reviewer
    typed it)."""
    indicators = list(Indicator.objects.filter(category__cycle_id=participant.cycle_id)
                      .select_related("category").prefetch_related("fields")
                      .order_by("category__order", "order", "pk"))
    responses = {r.indicator_id: r for r in IndicatorResponse.objects.filter(
        submission_id=participant.submission_id)}
    by_response: dict[int, list[EvidenceFile]] = {}
    for evidence in EvidenceFile.objects.filter(
            response__submission_id=participant.submission_id).order_by("uploaded_at", "pk"):
        by_response.setdefault(evidence.response_id, []).append(evidence)
    claims = {c.indicator_id: c for c in ClaimReview.objects.filter(participant=participant)
              .select_related("updated_by")}
    sheet = ReviewSheet(total=live_total({i.pk: i.points for i in indicators}, claims))
    for indicator in indicators:
        response = responses.get(indicator.pk)
        data = response.data if response else {}
        values = [(f.label, str((data.get(f.key) or {}).get("y1", "")),
                   str((data.get(f.key) or {}).get("y2", "")))
                  for f in indicator.fields.all()]
        claim = claims.get(indicator.pk)
        row = ClaimRow(indicator, response, values,
                       by_response.get(response.pk, []) if response else [], claim,
                       ClaimReviewForm(indicator=indicator, claim=claim) if can_review
                       else None)
        if bound is not None and bound.indicator.pk == indicator.pk:
            row.form, row.error, row.conflict = bound, error, conflict
        if not sheet.categories or sheet.categories[-1][0] != indicator.category:
            sheet.categories.append((indicator.category, []))
        sheet.categories[-1][1].append(row)
    return sheet


def review_state(user, participant: Participant) -> tuple[bool, str]:
    """(may ``user`` change the review of this report now, why not): the district's own
    reviewers, while the district's review is editable. The problem is said only to them."""
    if not user.has_perm(REVIEW_DISTRICT, participant):
        return False, ""
    problem = services.district_review_editable_problem(participant.district_review)
    return not problem, problem


def review_page_context(request, participant: Participant, *,
                        bound: ClaimReviewForm | None = None, error: str = "",
                        conflict: bool = False,
                        comment_form: ParticipantCommentForm | None = None,
                        **extra) -> dict:
    """Everything the review page shows (``bound``, ``error`` and ``conflict``: see
    ``review_sheet``)."""
    can_review, problem = review_state(request.user, participant)
    visits = list(participant.visits.select_related("recorded_by").prefetch_related("files"))
    return {
        "participant": participant, "district_review": participant.district_review,
        "cycle": participant.cycle, "institution": participant.institution,
        "can_review": can_review, "edit_problem": problem,
        "may_review": request.user.has_perm(REVIEW_DISTRICT, participant),
        "sheet": review_sheet(participant, can_review=can_review, bound=bound, error=error,
                              conflict=conflict),
        "comment_form": comment_form or ParticipantCommentForm(
            initial={"comment": participant.comment, "loaded": participant.comment}),
        "visits": visits,
        "rectifications": list(participant.rectifications.all()),
        "fraud_reports": list(participant.fraud_reports.all()),
        "previewable": PREVIEWABLE, **extra,
    }


# --- Mixins ----------------------------------------------------------------------------------





# --- The district's reports ------------------------------------------------------------------

class ParticipantReviewMixin(ParticipantMixin):
    """A report under review, with the way back to its review page."""

    def review_url(self, anchor: str = "") -> str:
        url = reverse("evaluations:participant_review", args=[self.get_participant().pk])
        return f"{url}#{anchor}" if anchor else url

    def page(self, status: int = 200, **context) -> HttpResponse:
        """The review page, e.g. again with a refused input as the reviewer typed it."""
        return render(self.request, PAGE_TEMPLATE,
                      review_page_context(self.request, self.get_participant(), **context),
                      status=status)


class ParticipantListView(DistrictReviewMixin, TemplateView):
    """The district's submitted reports with how far their review is, and the institutions
    of its cohort that did not submit (R2)."""

    template_name = "evaluations/review_participant_list.html"

    def get_context_data(self, **kwargs):
        district_review = self.get_district_review()
        cycle = district_review.cycle
        absent = (submissions_for_user(self.request.user, cycle)
                  .filter(district_id=district_review.district_id,
                          status=SubmissionStatus.NOT_PARTICIPATING)
                  .order_by("institution__name", "pk"))
        return super().get_context_data(
            district_review=district_review, cycle=cycle, rows=participant_rows(district_review),
            claims_total=claim_count(cycle.pk), absent=list(absent),
            may_review=self.request.user.has_perm(REVIEW_DISTRICT, district_review), **kwargs)


# --- One report --------------------------------------------------------------------------------

class ParticipantReviewView(ParticipantReviewMixin, TemplateView):
    """The report indicator by indicator with the claim forms (read-only for the city and
    once the district's review is locked), the overall opinion and the site visits."""

    template_name = PAGE_TEMPLATE

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **review_page_context(self.request, self.get_participant()), **kwargs)


class ClaimSaveView(ParticipantReviewMixin, View):
    """Save the verdict on one claim (R3). With htmx the answer is the claim's form again
    and, out of band, the live total; without it, a redirect back with a message. A refused
    save (409 for a conflict with another reviewer, 422 otherwise) shows the reason with what
    the reviewer typed."""

    permission_required = REVIEW_DISTRICT
    http_method_names = ["post"]

    def get_indicator(self) -> Indicator:
        return get_object_or_404(
            Indicator.objects.filter(category__cycle_id=self.get_participant().cycle_id)
            .select_related("category").prefetch_related("fields"),
            pk=self.kwargs["indicator_pk"])

    def post(self, request, *args, **kwargs):
        participant, indicator = self.get_participant(), self.get_indicator()
        claim = ClaimReview.objects.filter(participant=participant, indicator=indicator) \
            .select_related("updated_by").first()
        form = ClaimReviewForm(request.POST, indicator=indicator, claim=claim)
        if not form.is_valid():  # every value is optional: only a broken revision gets here
            return self.refused(form, claim, _("The page is out of date; reload it."), 400)
        try:
            saved = services.claim_review_save(participant=participant, indicator=indicator,
                                               **form.service_values(), actor=request.user)
        except services.ReviewConflict as exc:
            return self.refused(form, claim, str(exc), 409, conflict=True)
        except DomainError as exc:
            return self.refused(form, claim, str(exc), 422)
        if request.htmx:
            return self.partial(ClaimReviewForm(indicator=indicator, claim=saved), saved,
                                saved=True)
        messages.success(request, _("%(code)s %(name)s: the verdict was saved.")
                         % {"code": indicator.code, "name": indicator.name})
        return redirect(self.review_url(f"claim-{indicator.pk}"))

    def partial(self, form: ClaimReviewForm, claim: ClaimReview | None, status: int = 200,
                **extra) -> HttpResponse:
        participant = self.get_participant()
        context = {"participant": participant, "indicator": form.indicator, "form": form,
                   "claim": claim,
                   "total": participant_total(participant), "oob": True, **extra}
        return HttpResponse(render_to_string(CLAIM_TEMPLATE, context, request=self.request),
                            status=status)

    def refused(self, form: ClaimReviewForm, claim: ClaimReview | None, message: str,
                status: int, conflict: bool = False) -> HttpResponse:
        """Say why, and leave what the reviewer typed in the page (the posted copy keeps
        its old revision: after a conflict nothing is retried over the other's verdict)."""
        if self.request.htmx:
            return self.partial(form, claim, status, error=message, conflict=conflict)
        return self.page(status, bound=form, error=message, conflict=conflict,
                         save_error=message)


class ParticipantCommentView(ParticipantReviewMixin, View):
    """Save the reviewer's overall opinion of the report."""

    permission_required = REVIEW_DISTRICT
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        participant = self.get_participant()
        form = ParticipantCommentForm(request.POST)
        if not form.is_valid():
            return self.page(422, comment_form=form, comment_error=_(
                "The opinion is too long."))
        loaded = request.POST.get("loaded")  # absent from an older page: no check
        try:
            services.participant_comment_save(participant=participant,
                                              comment=form.cleaned_data["comment"],
                                              loaded=form.cleaned_data["loaded"]
                                              if loaded is not None else None,
                                              actor=request.user)
        except services.ReviewConflict as exc:
            participant.refresh_from_db(fields=["comment"])
            # The typed text stays; a second save now deliberately replaces the newer one.
            form = ParticipantCommentForm(data={"comment": form.cleaned_data["comment"],
                                                "loaded": participant.comment})
            form.is_valid()
            return self.page(409, comment_form=form, comment_error=str(exc))
        except DomainError as exc:
            return self.page(422, comment_form=form, comment_error=str(exc))
        messages.success(request, _("The overall opinion was saved."))
        return redirect(self.review_url("opinion"))


# --- Site visits -------------------------------------------------------------------------------

class SiteVisitCreateView(ParticipantReviewMixin, TemplateView):
    """Record a site visit (实地考察) with its photos or documents."""

    permission_required = REVIEW_DISTRICT
    template_name = "evaluations/review_visit_form.html"

    def get_context_data(self, **kwargs):
        participant = self.get_participant()
        can_review, problem = review_state(self.request.user, participant)
        kwargs.setdefault("form", SiteVisitForm())
        return super().get_context_data(participant=participant, cycle=participant.cycle,
                                        institution=participant.institution,
                                        can_review=can_review, edit_problem=problem, **kwargs)

    def post(self, request, *args, **kwargs):
        participant = self.get_participant()
        form = SiteVisitForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        data = form.cleaned_data
        try:
            visit = findings_services.site_visit_record(
                participant=participant, visited_on=data["visited_on"],
                visitors=data["visitors"], findings=data["findings"], uploads=data["files"],
                actor=request.user, form_token=form.token)
        except DomainError as exc:
            # Files cannot be put back into a file input: the page asks for them again.
            return self.render_to_response(self.get_context_data(
                form=form, save_error=str(exc), files_lost=bool(data["files"])), status=422)
        count = visit.files.count()
        messages.success(request, ngettext(
            "The site visit of %(date)s was recorded with %(count)s file.",
            "The site visit of %(date)s was recorded with %(count)s files.", count)
            % {"date": visit.visited_on.isoformat(), "count": count})
        return redirect(self.review_url("visits"))


class SiteVisitFileView(RulesPermissionMixin, View):
    """A site visit's photo or document, to whoever may see the report: PDF and images in
    the browser, anything else as a download."""

    permission_required = VIEW_DISTRICT_REVIEW

    def get_file(self) -> SiteVisitFile:
        if not hasattr(self, "_file"):
            visible = participants_for_user(self.request.user)
            self._file = get_object_or_404(
                SiteVisitFile.objects.select_related("visit__participant__district_review")
                .filter(visit__participant__in=visible), pk=self.kwargs["pk"])
        return self._file

    def get_permission_object(self):
        return self.get_file().visit.participant

    def get(self, request, *args, **kwargs):
        attachment = self.get_file()
        return file_response(attachment.file, name=attachment.original_name,
                             kind=attachment.kind, inline=True)


DECIDE = "evaluations.decide_district_review"


# --- Reading ---------------------------------------------------------------------------------


def safe_file_name(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "-", name).strip("-") or "summary"


# --- Mixins ----------------------------------------------------------------------------------



class SummaryFileMixin(RulesPermissionMixin):
    """A generated summary of a district review the user may see, by ``pk``."""

    permission_required = VIEW_DISTRICT_REVIEW

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
        return (REVIEW_DISTRICT,) if self.request.method == "POST" else (VIEW_DISTRICT_REVIEW,)

    def participants(self) -> list[Participant]:
        if not hasattr(self, "_participants"):
            # Only what the table, the order and its checks read: the rows of a district of
            # 2,000 are the page's largest read (a field left out is read row by row, which
            # tests/evaluations/test_ranking_queries.py would see).
            self._participants = list(
                Participant.objects.filter(district_review=self.get_district_review())
                .select_related("institution", "submission__cluster")
                .only("district_review_id", "score", "rank", "rank_reason", "tie_confirmed",
                      "group", "fraud_confirmed_at", "reviewed", "institution__name",
                      "institution__credit_code", "submission__cluster__name")
                .order_by("rank", "-score", "pk"))
        return self._participants

    def get(self, request, *args, **kwargs):
        participants = self.participants()
        return self.page(order=saved_order(participants),
                         reasons={p.pk: p.rank_reason for p in participants},
                         tie_confirmed={p.pk for p in participants if p.tie_confirmed},
                         revision=self.get_district_review().revision)

    def page(self, *, order, reasons, tie_confirmed, revision, status=200, **extra):
        review = self.get_district_review()
        participants = self.participants()
        sizes = r4_sizes(review, len(participants))
        context = self.get_context_data(
            **self.base_context(), sizes=sizes,
            rows=ranking_rows(participants, order, reasons, tie_confirmed, sizes.shares),
            # Shown only beside a report not fully reviewed: counted only then.
            indicator_count=Indicator.objects.filter(category__cycle_id=review.cycle_id).count()
            if any(p.score is None for p in participants) else None,
            problems=services.district_ranking_problems(review, participants=participants),
            revision=revision,
            group_labels={g.value: str(g.label) for g in PreliminaryGroup},
            state=json.dumps({"order": order,
                              "reasons": {pid: text for pid, text in reasons.items() if text},
                              "ties": sorted(tie_confirmed)}, ensure_ascii=False),
            row_fields=ranking_row_fields(len(participants)), **extra)
        return self.render_to_response(context, status=status)

    def post(self, request, *args, **kwargs):
        review = self.get_district_review()
        participants = self.participants()
        can_edit, problem = self.can_edit()
        if not can_edit:
            messages.error(request, problem)
            return redirect("evaluations:ranking", pk=review.pk)
        form = RankingForm(request.POST, participant_ids=[p.pk for p in participants])
        if not form.is_valid():
            errors = [str(e) for field in ("ranking", "revision", "move", "__all__")
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
        order = form.order()
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
        review = self.get_district_review()
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
            submit_warnings=district_submit_warnings(review) if context["can_edit"] else [],
            scan_ready=scan_ready(latest, current=current),
            can_request=context["can_edit"] and not ranking_problems,
            can_submit=context["can_edit"] and not submit_problems,
            scan_form=SummaryScanForm(), submit_form=DistrictReviewSubmitForm(), **kwargs)


class DistrictSummaryExcelView(DistrictReviewMixin, View):
    """The summary as an .xlsx workbook, with the document number of its current PDF."""

    def get(self, request, *args, **kwargs):
        review = self.get_district_review()
        summary = district_summary(review)
        latest = review.summaries.filter(status=ReportStatus.DONE).first()
        number = latest.document_number if summary_is_current(latest, summary) else ""
        buffer = io.BytesIO()
        district_summary_workbook(summary, document_number=number).save(buffer)
        filename = _("preliminary-review-summary-%(district)s-%(year)s.xlsx") % {
            "district": review.district.name, "year": review.cycle.year}
        return xlsx_response(buffer.getvalue(), filename)


class DistrictSummaryRequestView(DistrictReviewMixin, View):
    """Queue the PDF of the summary; refused, with the problems, while the ranking cannot be
    submitted."""

    permission_required = REVIEW_DISTRICT

    def post(self, request, *args, **kwargs):
        review = self.get_district_review()
        try:
            services.summary_request(
                district_review=review, actor=request.user,
                form_token=FormTokenForm.posted_token(request.POST))
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Requested; the summary PDF is queued for generation."))
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
        can_edit = user.has_perm(REVIEW_DISTRICT, review) \
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

    permission_required = REVIEW_DISTRICT

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

    permission_required = REVIEW_DISTRICT

    def post(self, request, *args, **kwargs):
        review = self.get_district_review()
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
            review.refresh_from_db(fields=["status"])
            if review.status == DistrictReviewStatus.SUBMITTED:
                # The other click of a double click (or a colleague) got there first.
                messages.info(request, _("The summary has already been submitted."))
                return redirect(url)
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
        review = self.get_district_review()
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
        review = self.get_district_review()
        review.refresh_from_db(fields=["status", "return_reason", "decided_at", "decided_by"])
        # Decided meanwhile (the other click, another administrator): a conflict with the
        # summary's state, shown as it is now, not a mistake in what was typed.
        decided = review.status in (DistrictReviewStatus.ACCEPTED, DistrictReviewStatus.RETURNED)
        status = 409 if decided else 422
        return self.render_to_response(self.get_context_data(error=message, **forms),
                                       status=status)

    def decided(self, message: str):
        messages.success(self.request, message)
        return redirect("evaluations:district_review_detail", pk=self.get_district_review().pk)


class DistrictReviewAcceptView(DistrictReviewDecisionView):
    def post(self, request, *args, **kwargs):
        review = self.get_district_review()
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
        review = self.get_district_review()
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
    # Dashboards and the stage
    path("preliminary/", ReviewHomeView.as_view(), name="review_home"),
    path("cycles/<int:year>/preliminary/", PreliminaryCityView.as_view(),
         name="preliminary_city"),
    path("cycles/<int:year>/preliminary/close/", PreliminaryCloseView.as_view(),
         name="preliminary_close"),
    path("preliminary/<int:pk>/", DistrictDashboardView.as_view(), name="district_dashboard"),
    # Reviewing a report (R3)
    path("preliminary/<int:pk>/reports/",
         ParticipantListView.as_view(), name="participant_list"),
    path("preliminary/participants/<int:pk>/",
         ParticipantReviewView.as_view(), name="participant_review"),
    path("preliminary/participants/<int:pk>/claims/<int:indicator_pk>/",
         ClaimSaveView.as_view(), name="claim_save"),
    path("preliminary/participants/<int:pk>/opinion/",
         ParticipantCommentView.as_view(), name="participant_comment"),
    path("preliminary/participants/<int:pk>/visits/new/",
         SiteVisitCreateView.as_view(), name="site_visit_create"),
    path("preliminary/visit-files/<int:pk>/",
         SiteVisitFileView.as_view(), name="site_visit_file"),
    # Ranking, summary, submission and decision (R4)
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
