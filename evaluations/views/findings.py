"""Stage 2: what the district finds beyond the report (Art 9, 10; R8): rectification notices
(整改) and the institution's answers, fraud reports (虚报、虚构) and the city's decision on them,
and the credit records (信用记录) a confirmed finding creates.

Every object is looked up through a selector scoped to the user (``participants_for_user``,
``rectifications_for_user``, ``fraud_reports_for_user``, ``credit_records_for_user``): another
district's or another institution's notice, report or file is a 404, exactly like a missing
one. An institution sees its own rectification notices and never a fraud report. Every write
is a service of ``services.findings``; a refusal is shown with what the user typed kept.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from institutions.exceptions import DomainError
from institutions.rules import is_city_staff, is_institution_user
from institutions.views.mixins import RulesPermissionMixin

from ..enums import STATUS_TONES as ENUM_TONES
from ..enums import CycleStatus, FraudStatus, RectificationStatus
from ..forms.findings import (
    CreditRecordFilterForm,
    FraudDecisionForm,
    FraudFilterForm,
    FraudReportForm,
    RectificationAnswerForm,
    RectificationDecisionForm,
    RectificationFilterForm,
    RectificationForm,
)
from ..models import (
    CreditRecord,
    Cycle,
    FraudEvidenceFile,
    FraudReport,
    Rectification,
    RectificationAnswer,
    RectificationFile,
)
from ..selectors.findings import pending_answer
from ..selectors.scopes import (
    credit_records_for_user,
    fraud_reports_for_user,
    rectifications_for_user,
)
from ..services import findings as services
from ..services.preliminary import district_review_editable_problem
from .mixins import ParticipantMixin
from .self_evaluation import file_response

REVIEW = "evaluations.review_district"
VIEW_PRELIMINARY = "evaluations.view_preliminary"
VIEW_RECTIFICATION = "evaluations.view_rectification"
LIST_OWN_RECTIFICATIONS = "evaluations.list_own_rectifications"
ANSWER_RECTIFICATION = "evaluations.answer_rectification"
REPORT_FRAUD = "evaluations.report_fraud"
VIEW_FRAUD = "evaluations.view_fraud_report"
DECIDE_FRAUD = "evaluations.decide_fraud"
VIEW_CREDIT_RECORDS = "evaluations.view_credit_records"
PAGE_SIZE = 25

STATUS_TONES = {**ENUM_TONES[RectificationStatus], **ENUM_TONES[FraudStatus]}


# --- Reading ---------------------------------------------------------------------------------

def answer_problem(user, rectification: Rectification) -> str | None:
    """Why ``user`` cannot answer the notice now: None when they may not answer it at all,
    "" when they can, else the reason (the same checks as ``services.rectification_answer``)."""
    if not user.has_perm(ANSWER_RECTIFICATION, rectification):
        return None
    return services.rectification_answer_problem(rectification)


def decide_problem(user, rectification: Rectification,
                   pending: RectificationAnswer | None) -> str | None:
    """Why ``user`` cannot decide on the answer now: None when they may not decide at all
    or there is nothing to decide, "" when they can, else the reason."""
    if not user.has_perm(REVIEW, rectification) or pending is None \
            or rectification.status != RectificationStatus.ANSWERED:
        return None
    return district_review_editable_problem(rectification.participant.district_review)


def _with_tones(rows):
    for row in rows:
        row.tone = STATUS_TONES.get(row.status, "secondary")
    return rows


# --- Mixins ----------------------------------------------------------------------------------

class StageFraudReportMixin:
    """The city administrator's page to report 虚报 or 虚构 (R8) found in a stage it runs (the
    panel review, the re-verification) on one participant of the cycle: the form behind a
    warning and a confirmation, the participant's earlier reports, and after filing the
    report's page, where the city decides. Put before the stage's mixin, which gives
    ``get_cycle`` (and may give ``get_participant``, a participant of that cycle, when the
    view does not); the view gives ``stage`` and the two hooks ``crumbs`` and ``back_url``
    (abstract here: both views define them).
    Permission on the cycle (``rules.can_report_fraud``), before the participant is looked
    up: who may not report is refused on any participant alike."""

    permission_required = REPORT_FRAUD
    template_name = "evaluations/fraud_report_stage.html"
    stage: str = ""

    def get_permission_object(self) -> Cycle:
        return self.get_cycle()

    def crumbs(self) -> list[tuple[str, str]]:
        """The breadcrumb links (label, URL) before this page's own."""
        raise NotImplementedError

    def back_url(self) -> str:
        raise NotImplementedError

    def problem(self) -> str:
        """Why no report can be filed here now ("" when one can)."""
        return services.fraud_report_problem(self.get_cycle(), self.stage,
                                             self.get_participant())

    def render_form(self, form: FraudReportForm, status: int = 200):
        participant = self.get_participant()
        earlier = _with_tones(list(participant.fraud_reports.order_by("-reported_at", "-pk")))
        return render(self.request, self.template_name, {
            "cycle": self.get_cycle(), "participant": participant,
            "institution": participant.institution, "form": form, "problem": self.problem(),
            "earlier": earlier, "crumbs": self.crumbs(), "back_url": self.back_url()},
            status=status)

    def get(self, request, *args, **kwargs):
        return self.render_form(FraudReportForm())

    def post(self, request, *args, **kwargs):
        participant = self.get_participant()
        form = FraudReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.fraud_report_file(
                    participant=participant, kind=form.cleaned_data["kind"],
                    description=form.cleaned_data["description"],
                    uploads=form.cleaned_data["files"], actor=request.user,
                    form_token=form.token, stage=self.stage)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _(
                    "The fraud report on %(name)s is recorded. Decide on it below: confirmed, "
                    "the institution is unqualified and its place on the list is empty.")
                    % {"name": participant.institution.name})
                return redirect("evaluations:fraud_detail", pk=report.pk)
        form.files_dropped = bool(request.FILES)
        return self.render_form(form, status=422)


class ParticipantActionMixin(ParticipantMixin):
    """A participant the user may see; acting on it is the district's
    (``evaluations.review_district``)."""

    permission_required = REVIEW


class RectificationMixin(RulesPermissionMixin):
    """A rectification notice the user may see, by ``pk``, and its page."""

    permission_required = VIEW_RECTIFICATION
    template_name = "evaluations/rectification_detail.html"

    def get_rectification(self) -> Rectification:
        if not hasattr(self, "_rectification"):
            self._rectification = get_object_or_404(
                rectifications_for_user(self.request.user), pk=self.kwargs["pk"])
        return self._rectification

    def get_permission_object(self):
        return self.get_rectification()

    def page(self, *, answer_form=None, decision_form=None,
             decided: RectificationAnswer | None = None) -> TemplateResponse:
        """The notice with every answer, its files and decision, and the form the user may
        fill in now (the posted copy when a post was refused, so nothing typed is lost)."""
        user, rectification = self.request.user, self.get_rectification()
        answers = list(rectification.answers.select_related("answered_by", "decided_by")
                       .prefetch_related(Prefetch("files", queryset=RectificationFile.objects
                                                  .select_related("uploaded_by"))))
        pending = pending_answer(answers)
        _with_tones([rectification])
        can_answer = answer_problem(user, rectification)
        can_decide = decide_problem(user, rectification, pending)
        context = {
            "rectification": rectification, "participant": rectification.participant,
            "institution": rectification.participant.institution, "answers": answers,
            "pending": pending,
            "is_institution": is_institution_user(user),
            "answer_problem": can_answer, "decide_problem": can_decide,
            # A refused post is shown again even if the notice has moved on meanwhile.
            "answer_form": answer_form if answer_form is not None
            else RectificationAnswerForm() if can_answer == "" else None,
            "decision_form": decision_form if decision_form is not None
            else RectificationDecisionForm() if can_decide == "" else None,
            "decide_target": decided or pending,
            "can_review": user.has_perm(REVIEW, rectification),
        }
        return TemplateResponse(self.request, self.template_name, context)


class FraudReportMixin(RulesPermissionMixin):
    """A fraud report the user may see, by ``pk`` (the city all, a district its own, never
    the institution), and its page."""

    permission_required = VIEW_FRAUD
    template_name = "evaluations/fraud_detail.html"

    def get_report(self) -> FraudReport:
        if not hasattr(self, "_report"):
            self._report = get_object_or_404(fraud_reports_for_user(self.request.user),
                                              pk=self.kwargs["pk"])
        return self._report

    def get_permission_object(self):
        return self.get_report()

    def can_decide(self, report: FraudReport) -> bool:
        return (self.request.user.has_perm(DECIDE_FRAUD, report)
                and report.status == FraudStatus.REPORTED
                and report.participant.cycle.status != CycleStatus.FINAL)

    def page(self, *, decision_form=None) -> TemplateResponse:
        report = self.get_report()
        institution = report.participant.institution
        files = report.files.select_related("uploaded_by")
        decidable = self.can_decide(report)
        _with_tones([report])
        context = {
            "report": report, "participant": report.participant, "institution": institution,
            "files": files,
            "credit_record": CreditRecord.objects.filter(fraud_report=report)
            .select_related("recorded_by").first(),
            "decision_form": decision_form if decision_form is not None
            else FraudDecisionForm(institution=institution) if decidable else None,
            "can_review": self.request.user.has_perm(REVIEW, report),
        }
        return TemplateResponse(self.request, self.template_name, context)


# --- Rectification notices (整改) --------------------------------------------------------------

class RectificationCreateView(ParticipantActionMixin, FormView):
    """The district asks a participant to rectify problems by a deadline."""

    template_name = "evaluations/rectification_create.html"
    form_class = RectificationForm

    def get_context_data(self, **kwargs):
        participant = self.get_participant()
        earlier = _with_tones(list(participant.rectifications.order_by("-issued_at", "-pk")))
        return super().get_context_data(participant=participant,
                                        institution=participant.institution,
                                        earlier=earlier, **kwargs)

    def form_valid(self, form):
        participant = self.get_participant()
        try:
            notice = services.rectification_issue(
                participant=participant, problems=form.cleaned_data["problems"],
                deadline=form.cleaned_data["deadline"], actor=self.request.user,
                form_token=form.token)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("The rectification notice was sent to %(name)s, who "
                                         "must answer by %(date)s.")
                         % {"name": participant.institution.name,
                            "date": notice.deadline.isoformat()})
        return redirect("evaluations:participant_review", pk=participant.pk)


class RectificationListView(RulesPermissionMixin, TemplateView):
    """The notices the user may see: the city all, a district its own, an institution its
    own. Overdue notices are marked in words as well as in red."""

    permission_required = (VIEW_PRELIMINARY, LIST_OWN_RECTIFICATIONS)
    template_name = "evaluations/rectification_list.html"

    def has_permission(self) -> bool:
        # Either permission opens the list; the selector decides which notices it holds.
        return any(self.request.user.has_perm(perm) for perm in self.get_permission_required())

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = RectificationFilterForm(self.request.GET or None)
        notices = form.apply(rectifications_for_user(user)).order_by("-issued_at", "-pk")
        page = Paginator(notices, PAGE_SIZE).get_page(self.request.GET.get("page"))
        _with_tones(page)
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            page=page, form=form, query=query.urlencode(),
            show_institution=not is_institution_user(user),
            show_district=is_city_staff(user), **kwargs)


class RectificationDetailView(RectificationMixin, View):
    def get(self, request, *args, **kwargs):
        return self.page()


class RectificationAnswerView(RectificationMixin, View):
    """The institution answers a notice with text and files (before the deadline)."""

    permission_required = ANSWER_RECTIFICATION

    def post(self, request, *args, **kwargs):
        rectification = self.get_rectification()
        form = RectificationAnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.rectification_answer(
                    rectification=rectification, text=form.cleaned_data["text"],
                    uploads=form.cleaned_data["files"], actor=request.user,
                    form_token=form.token)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your answer was sent to the district science "
                                            "bureau."))
                return redirect("evaluations:rectification_detail", pk=rectification.pk)
        # Browsers cannot put chosen files back into a page: say so next to the input.
        form.files_dropped = bool(request.FILES)
        return self.page(answer_form=form)


class RectificationDecideView(RectificationMixin, View):
    """The district accepts an answer (the notice is closed) or not (it is open again)."""

    permission_required = REVIEW

    def get_answer(self) -> RectificationAnswer:
        if not hasattr(self, "_answer"):
            self._answer = get_object_or_404(
                RectificationAnswer.objects.filter(
                    rectification__in=rectifications_for_user(self.request.user)),
                pk=self.kwargs["pk"])
        return self._answer

    def get_rectification(self) -> Rectification:
        if not hasattr(self, "_rectification"):
            self._rectification = get_object_or_404(
                rectifications_for_user(self.request.user),
                pk=self.get_answer().rectification_id)
        return self._rectification

    def post(self, request, *args, **kwargs):
        answer, rectification = self.get_answer(), self.get_rectification()
        form = RectificationDecisionForm(request.POST)
        if form.is_valid():
            try:
                services.rectification_decide(answer=answer, accepted=form.accepted,
                                              comment=form.cleaned_data["comment"],
                                              new_deadline=form.cleaned_data["new_deadline"],
                                              actor=request.user)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The rectification is accepted and the notice is "
                                            "closed.") if form.accepted else
                                 _("The answer was not accepted; the institution was asked "
                                   "to answer again."))
                return redirect("evaluations:rectification_detail", pk=rectification.pk)
        return self.page(decision_form=form, decided=answer)


class RectificationFileView(RulesPermissionMixin, View):
    """A file of an answer, only to who may see the notice."""

    permission_required = VIEW_RECTIFICATION

    def get_file(self) -> RectificationFile:
        if not hasattr(self, "_file"):
            self._file = get_object_or_404(
                RectificationFile.objects.select_related(
                    "answer__rectification__participant__district_review")
                .filter(answer__rectification__in=rectifications_for_user(self.request.user)),
                pk=self.kwargs["pk"])
        return self._file

    def get_permission_object(self):
        return self.get_file().answer.rectification

    def get(self, request, *args, **kwargs):
        row = self.get_file()
        return file_response(row.file, name=row.original_name, kind=row.kind, inline=True)


# --- Fraud (R8) --------------------------------------------------------------------------------

class FraudReportCreateView(ParticipantActionMixin, FormView):
    """The district reports 虚报 or 虚构 on its own institution during the preliminary review,
    with its evidence; the city decides. (In the panel review and the re-verification the
    city reports, from those stages' pages: ``StageFraudReportMixin``.)"""

    permission_required = (REVIEW, REPORT_FRAUD)
    template_name = "evaluations/fraud_report_create.html"
    form_class = FraudReportForm

    def get_context_data(self, **kwargs):
        participant = self.get_participant()
        earlier = _with_tones(list(participant.fraud_reports.order_by("-reported_at", "-pk")))
        return super().get_context_data(participant=participant,
                                        institution=participant.institution,
                                        earlier=earlier, **kwargs)

    def form_valid(self, form):
        participant = self.get_participant()
        try:
            report = services.fraud_report_file(
                participant=participant, kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                uploads=form.cleaned_data["files"], actor=self.request.user,
                form_token=form.token, stage=CycleStatus.PRELIMINARY_REVIEW)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("The fraud report on %(name)s was sent to the city "
                                         "science bureau, which decides on it.")
                         % {"name": participant.institution.name})
        return redirect("evaluations:fraud_detail", pk=report.pk)

    def form_invalid(self, form):
        form.files_dropped = bool(self.request.FILES)
        return super().form_invalid(form)


class FraudListView(RulesPermissionMixin, TemplateView):
    """Fraud reports: the city all (those awaiting its decision first), a district its
    own."""

    permission_required = VIEW_PRELIMINARY
    template_name = "evaluations/fraud_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = FraudFilterForm(self.request.GET or None)
        # Awaiting the city's decision first, then the newest.
        waiting_first = Case(When(status=FraudStatus.REPORTED, then=Value(0)), default=Value(1),
                             output_field=IntegerField())
        reports = form.apply(fraud_reports_for_user(user)).order_by(waiting_first,
                                                                    "-reported_at", "-pk")
        page = Paginator(reports, PAGE_SIZE).get_page(self.request.GET.get("page"))
        _with_tones(page)
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(page=page, form=form, query=query.urlencode(),
                                        show_district=is_city_staff(user), **kwargs)


class FraudDetailView(FraudReportMixin, View):
    def get(self, request, *args, **kwargs):
        return self.page()


class FraudDecideView(FraudReportMixin, View):
    """The city confirms (irreversibly: 不合格 and a credit record) or dismisses a report."""

    permission_required = DECIDE_FRAUD

    def post(self, request, *args, **kwargs):
        report = self.get_report()
        institution = report.participant.institution
        form = FraudDecisionForm(request.POST, institution=institution)
        if form.is_valid():
            try:
                services.fraud_report_decide(
                    report=report, confirm=form.confirming, reason=form.cleaned_data["reason"],
                    person_name=form.cleaned_data["person_name"],
                    person_role=form.cleaned_data["person_role"], actor=request.user)
            except DomainError as exc:
                report.refresh_from_db(fields=["status", "decided_by", "decided_at",
                                               "decision_reason"])
                if report.status != FraudStatus.REPORTED:
                    # Decided meanwhile (the other click, another administrator): the report
                    # as it is now, with the reason, as a conflict.
                    messages.error(request, str(exc))
                    response = self.page()
                    response.status_code = 409
                    return response
                form.add_error(None, str(exc))
            else:
                if form.confirming:
                    messages.success(request, _(
                        "The fraud finding is confirmed: %(name)s is unqualified in the "
                        "%(year)s evaluation and a credit record was made.")
                        % {"name": institution.name, "year": report.participant.cycle.year})
                else:
                    messages.success(request, _("The fraud report was dismissed."))
                return redirect("evaluations:fraud_detail", pk=report.pk)
        return self.page(decision_form=form)


class FraudFileView(RulesPermissionMixin, View):
    """An evidence file of a fraud report, only to who may see the report."""

    permission_required = VIEW_FRAUD

    def get_file(self) -> FraudEvidenceFile:
        if not hasattr(self, "_file"):
            self._file = get_object_or_404(
                FraudEvidenceFile.objects.select_related("report__participant__district_review")
                .filter(report__in=fraud_reports_for_user(self.request.user)),
                pk=self.kwargs["pk"])
        return self._file

    def get_permission_object(self):
        return self.get_file().report

    def get(self, request, *args, **kwargs):
        row = self.get_file()
        return file_response(row.file, name=row.original_name, kind=row.kind, inline=True)


# --- Credit records (信用记录, R8) --------------------------------------------------------------

class CreditRecordListView(RulesPermissionMixin, TemplateView):
    """The city's credit records, newest first, by evaluation year."""

    permission_required = VIEW_CREDIT_RECORDS
    template_name = "evaluations/credit_record_list.html"

    def get_context_data(self, **kwargs):
        scope = credit_records_for_user(self.request.user)
        years = sorted(set(scope.order_by().values_list("cycle__year", flat=True)),
                       reverse=True)
        form = CreditRecordFilterForm(self.request.GET or None, years=years)
        records = scope.order_by("-recorded_on", "-pk")
        year = form.chosen_year()
        if year:
            records = records.filter(cycle__year=year)
        page = Paginator(records, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(page=page, form=form, year=year,
                                        query=query.urlencode(), **kwargs)


urlpatterns = [
    path("preliminary/participants/<int:pk>/rectifications/new/",
         RectificationCreateView.as_view(), name="rectification_create"),
    path("rectifications/", RectificationListView.as_view(), name="rectification_list"),
    path("rectifications/<int:pk>/", RectificationDetailView.as_view(),
         name="rectification_detail"),
    path("rectifications/<int:pk>/answer/", RectificationAnswerView.as_view(),
         name="rectification_answer"),
    path("rectifications/answers/<int:pk>/decide/", RectificationDecideView.as_view(),
         name="rectification_decide"),
    path("rectification-files/<int:pk>/", RectificationFileView.as_view(),
         name="rectification_file"),
    path("preliminary/participants/<int:pk>/fraud/new/", FraudReportCreateView.as_view(),
         name="fraud_report_create"),
    path("fraud-reports/", FraudListView.as_view(), name="fraud_list"),
    path("fraud-reports/<int:pk>/", FraudDetailView.as_view(), name="fraud_detail"),
    path("fraud-reports/<int:pk>/decide/", FraudDecideView.as_view(), name="fraud_decide"),
    path("fraud-files/<int:pk>/", FraudFileView.as_view(), name="fraud_file"),
    path("credit-records/", CreditRecordListView.as_view(), name="credit_record_list"),
]
