"""Stage 2: the district's list of reports and the review of one report (claims, opinion, site
visits) (Art 9, 10; R3).

Every object is looked up through the scoped selectors (``district_reviews_for_user``,
``participants_for_user``): another district's report, visit or file is a 404, exactly like a
missing one. The city reads every district's pages (``evaluations.view_district_review``);
only the district's own reviewers change anything (``evaluations.review_district``), and only
while ``district_review_editable_problem`` has nothing to say.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from institutions.views.mixins import RulesPermissionMixin
from scoring import Claim, claim_reviewed, preliminary_score

from ..enums import ClaimVerdict, FraudStatus, RectificationStatus, SubmissionStatus
from ..evidence import PREVIEWABLE
from ..forms_review import ClaimReviewForm, ParticipantCommentForm, SiteVisitForm
from ..models import (
    ClaimReview,
    DistrictReview,
    EvidenceFile,
    FraudReport,
    Indicator,
    IndicatorResponse,
    Participant,
    Rectification,
    SiteVisit,
    SiteVisitFile,
)
from ..selectors import district_reviews_for_user, participants_for_user, submissions_for_user
from ..services import findings as findings_services
from ..services import preliminary as services
from .self_evaluation import file_response

VIEW = "evaluations.view_district_review"
REVIEW = "evaluations.review_district"
PAGE_TEMPLATE = "evaluations/review_participant.html"
CLAIM_TEMPLATE = "evaluations/_review_claim.html"


# --- Reading ---------------------------------------------------------------------------------

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
    if not user.has_perm(REVIEW, participant):
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
        "may_review": request.user.has_perm(REVIEW, participant),
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

class DistrictReviewMixin(RulesPermissionMixin):
    """A district's review the user may see, by ``pk`` (404 outside the user's scope)."""

    permission_required = VIEW

    def get_district_review(self) -> DistrictReview:
        if not hasattr(self, "_district_review"):
            self._district_review = get_object_or_404(
                district_reviews_for_user(self.request.user), pk=self.kwargs["pk"])
        return self._district_review

    def get_permission_object(self):
        return self.get_district_review()


class ParticipantMixin(RulesPermissionMixin):
    """A report under review the user may see, by ``pk`` (404 outside the user's scope)."""

    permission_required = VIEW

    def get_participant(self) -> Participant:
        if not hasattr(self, "_participant"):
            self._participant = get_object_or_404(participants_for_user(self.request.user),
                                                  pk=self.kwargs["pk"])
        return self._participant

    def get_permission_object(self):
        return self.get_participant()

    def review_url(self, anchor: str = "") -> str:
        url = reverse("evaluations:participant_review", args=[self.get_participant().pk])
        return f"{url}#{anchor}" if anchor else url

    def page(self, status: int = 200, **context) -> HttpResponse:
        """The review page, e.g. again with a refused input as the reviewer typed it."""
        return render(self.request, PAGE_TEMPLATE,
                      review_page_context(self.request, self.get_participant(), **context),
                      status=status)


# --- The district's reports ------------------------------------------------------------------

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
            may_review=self.request.user.has_perm(REVIEW, district_review), **kwargs)


# --- One report --------------------------------------------------------------------------------

class ParticipantReviewView(ParticipantMixin, TemplateView):
    """The report indicator by indicator with the claim forms (read-only for the city and
    once the district's review is locked), the overall opinion and the site visits."""

    template_name = PAGE_TEMPLATE

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **review_page_context(self.request, self.get_participant()), **kwargs)


class ClaimSaveView(ParticipantMixin, View):
    """Save the verdict on one claim (R3). With htmx the answer is the claim's form again
    and, out of band, the live total; without it, a redirect back with a message. A refused
    save (409 for a conflict with another reviewer, 422 otherwise) shows the reason with what
    the reviewer typed."""

    permission_required = REVIEW
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


class ParticipantCommentView(ParticipantMixin, View):
    """Save the reviewer's overall opinion of the report."""

    permission_required = REVIEW
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

class SiteVisitCreateView(ParticipantMixin, TemplateView):
    """Record a site visit (实地考察) with its photos or documents."""

    permission_required = REVIEW
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
                actor=request.user)
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

    permission_required = VIEW

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


urlpatterns = [
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
]
