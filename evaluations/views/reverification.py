"""Stage 4, the re-verification (Art 12, R7, R8): the list in panel order with its verdicts,
the alternates and the live tier preview; each institution's visits, verdict and changes;
fraud found on site; the spot check of group B, previewed, drawn once and replayable by anyone
with its link; the visit planned to an institution, as the institution sees it.

The city administrator acts; the information institute reads every page, with no forms;
districts see the visits to their own institutions on the preliminary review's page of the
institution (never a verdict); an institution sees only the date and what to prepare. The
replay page is public: it shows the draw's seed, candidates and sample and nothing else of
the cycle."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from institutions.views.mixins import RulesPermissionMixin

from ..enums import CycleStatus
from ..forms.preliminary import SiteVisitForm
from ..forms.reverification import (
    AlternatesForm,
    PlanForm,
    SpotCheckDrawForm,
    VerdictChangeForm,
    VerdictForm,
)
from ..models import Cycle, Participant, SpotCheckDraw
from ..selectors.reverification import (
    planned_visit,
    reverification_board,
    spot_check_preview,
    spot_check_replay,
    stage_open,
    verification_row,
)
from ..services import reverification as services
from ..services.findings import fraud_report_problem
from ..services.uploads import PREVIEWABLE
from .findings import REPORT_FRAUD, StageFraudReportMixin

VIEW = "evaluations.view_reverification"
MANAGE = "evaluations.manage_reverification"


class ReverificationCycleMixin(RulesPermissionMixin):
    """The cycle of the URL's year (a missing year is a 404 once the permission holds)."""

    permission_required = VIEW

    def get_cycle(self) -> Cycle:
        if not hasattr(self, "_cycle"):
            self._cycle = get_object_or_404(
                Cycle.objects.select_related("policy_version").prefetch_related("stages"),
                year=self.kwargs["year"])
        return self._cycle

    def can_manage(self) -> bool:
        return self.request.user.has_perm(MANAGE) and stage_open(self.get_cycle())


class ReverificationHomeView(RulesPermissionMixin, TemplateView):
    """Where a link to the stage leads: the latest cycle that reached it."""

    permission_required = VIEW
    template_name = "evaluations/reverification_none.html"

    def get(self, request, *args, **kwargs):
        cycle = Cycle.objects.filter(reverification__isnull=False).order_by("-year").first()
        if cycle is not None:
            return redirect("evaluations:reverification_stage", year=cycle.year)
        return super().get(request, *args, **kwargs)


class ReverificationStageView(ReverificationCycleMixin, TemplateView):
    """The list in panel order, each institution with its visits, verdict, reason and
    changes; the alternates allowed and who joins; the live tier preview (优秀 places 1…E,
    良好 the next G of the confirmed); the spot check's state."""

    template_name = "evaluations/reverification_stage.html"

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        board = reverification_board(cycle)
        can_manage = self.can_manage()
        form = kwargs.pop("alternates_form", None) or AlternatesForm(initial={
            "allowed": board.alternates_allowed,
            "reason": board.reverification.alternates_reason if board.reverification else ""})
        return super().get_context_data(
            cycle=cycle, board=board, can_manage=can_manage, alternates_form=form,
            opened=board.reverification is not None, problems=(
                services.reverification_open_problems(cycle, board)
                if board.reverification is not None else []), **kwargs)


class ReverificationAlternatesView(ReverificationCycleMixin, View):
    """The city sets how many alternates may join, with a reason (R7)."""

    permission_required = MANAGE

    def post(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        form = AlternatesForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(_("Give the number of alternates allowed and the reason."))
            services.reverification_alternates_set(
                cycle=cycle, allowed=form.cleaned_data["allowed"],
                reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, ngettext(
                "Up to %(count)s alternate may now join the list.",
                "Up to %(count)s alternates may now join the list.",
                form.cleaned_data["allowed"]) % {"count": form.cleaned_data["allowed"]})
        return redirect("evaluations:reverification_stage", year=cycle.year)


# --- One institution -------------------------------------------------------------------------

class VerificationMixin(ReverificationCycleMixin):
    """One institution verified on site in the URL's cycle, by its participant's ``pk``: on
    the list, an alternate that joins (before its first record too) or drawn for the spot
    check; any other is a 404."""

    template_name = "evaluations/reverification_verification.html"

    def get_row(self):
        if not hasattr(self, "_row"):
            found = verification_row(self.get_cycle(), self.kwargs["pk"])
            if found is None:
                raise Http404
            self._board, self._row = found
        return self._row

    def get_participant(self) -> Participant:
        return self.get_row().participant

    def page(self, status: int = 200, **forms):
        """The institution's page, with the posted form in place of its blank one when a
        post was refused (so nothing typed is lost)."""
        row, cycle = self.get_row(), self.get_cycle()
        verification = row.verification
        revision = verification.revision if verification else 0
        can_manage = self.can_manage() and not row.fraud
        initial_plan = {"revision": revision}
        if verification is not None and verification.planned_on:
            initial_plan.update(planned_on=verification.planned_on,
                                to_prepare=verification.to_prepare)
        context = {
            "cycle": cycle, "row": row, "board": self._board, "verification": verification,
            "participant": row.participant, "institution": row.participant.institution,
            "can_manage": can_manage, "stage_open": stage_open(cycle),
            "can_report_fraud": (self.request.user.has_perm(REPORT_FRAUD, cycle)
                                 and not row.fraud
                                 and not fraud_report_problem(cycle, CycleStatus.REVERIFICATION)),
            "previewable": PREVIEWABLE,
            "fraud_reports": list(row.participant.fraud_reports.order_by("-reported_at")),
            "plan_form": forms.get("plan_form") or PlanForm(initial=initial_plan),
            "visit_form": forms.get("visit_form") or SiteVisitForm(),
            "error": forms.get("error", ""),
        }
        if row.verdict:
            context["change_form"] = forms.get("change_form") or VerdictChangeForm(
                kind=row.kind, current=row.verdict, initial={"revision": revision})
        else:
            context["verdict_form"] = forms.get("verdict_form") or VerdictForm(
                kind=row.kind, initial={"revision": revision})
        return render(self.request, self.template_name, context, status=status)


class VerificationDetailView(VerificationMixin, View):
    """An institution's visits with their files, its planned visit, its verdict with the
    form to record it (after a confirmation) or to change it with a reason, and the changes
    made; its fraud reports and the link to report one."""

    def get(self, request, *args, **kwargs):
        return self.page()


class VerificationActionView(VerificationMixin, View):
    """A POST of the city administrator's on one institution: done, back to its page with a
    message; refused, its page again with the reason (409 when the page was stale)."""

    permission_required = MANAGE
    form_name = ""

    def post(self, request, *args, **kwargs):
        row = self.get_row()
        form = self.make_form(row)
        if not form.is_valid():
            return self.page(422, **{self.form_name: form,
                                     "error": _("Check the fields below.")})
        try:
            message = self.act(row.participant, form)
        except services.VerificationConflict as exc:
            return self.page(409, **{self.form_name: form, "error": str(exc)})
        except DomainError as exc:
            return self.page(422, **{self.form_name: form, "error": str(exc)})
        messages.success(request, message)
        return redirect("evaluations:verification_detail", year=self.get_cycle().year,
                        pk=row.participant.pk)


class VerificationPlanView(VerificationActionView):
    form_name = "plan_form"

    def make_form(self, row):
        return PlanForm(self.request.POST)

    def act(self, participant, form) -> str:
        data = form.cleaned_data
        services.verification_plan(participant=participant, planned_on=data["planned_on"],
                                   to_prepare=data["to_prepare"], revision=data["revision"],
                                   actor=self.request.user)
        return _("The visit on %(date)s is planned; the institution was told the date and "
                 "what to prepare.") % {"date": data["planned_on"].isoformat()}


class VerificationVisitView(VerificationActionView):
    form_name = "visit_form"

    def make_form(self, row):
        return SiteVisitForm(self.request.POST, self.request.FILES)

    def act(self, participant, form) -> str:
        data = form.cleaned_data
        visit = services.verification_visit_record(
            participant=participant, visited_on=data["visited_on"], visitors=data["visitors"],
            findings=data["findings"], uploads=data["files"], actor=self.request.user,
            form_token=form.token)
        count = visit.files.count()
        return ngettext(
            "The site visit of %(date)s was recorded with %(count)s file.",
            "The site visit of %(date)s was recorded with %(count)s files.", count) % {
            "date": visit.visited_on.isoformat(), "count": count}


class VerificationVerdictView(VerificationActionView):
    form_name = "verdict_form"

    def make_form(self, row):
        return VerdictForm(self.request.POST, kind=row.kind)

    def act(self, participant, form) -> str:
        data = form.cleaned_data
        verification = services.verification_verdict_record(
            participant=participant, verdict=data["verdict"], reason=data["reason"],
            revision=data["revision"], actor=self.request.user)
        return _("The verdict on %(name)s is recorded: %(verdict)s.") % {
            "name": participant.institution.name,
            "verdict": verification.get_verdict_display()}


class VerificationVerdictChangeView(VerificationActionView):
    form_name = "change_form"

    def make_form(self, row):
        return VerdictChangeForm(self.request.POST, kind=row.kind)

    def act(self, participant, form) -> str:
        data = form.cleaned_data
        change = services.verification_verdict_change(
            participant=participant, verdict=data["verdict"], reason=data["reason"],
            revision=data["revision"], actor=self.request.user)
        return _("The verdict on %(name)s was changed from %(before)s to %(after)s; the "
                 "change and its reason are recorded.") % {
            "name": participant.institution.name, "before": change.get_before_display(),
            "after": change.get_after_display()}


class VerificationFraudReportView(StageFraudReportMixin, VerificationMixin, View):
    """Report 虚报 or 虚构 found on site (R8), with its evidence; the city decides on the
    report's page."""

    stage = CycleStatus.REVERIFICATION

    def crumbs(self) -> list[tuple[str, str]]:
        cycle, participant = self.get_cycle(), self.get_participant()
        return [(_("%(year)s on-site re-verification") % {"year": cycle.year},
                 reverse("evaluations:reverification_stage", args=[cycle.year])),
                (participant.institution.name, self.back_url())]

    def back_url(self) -> str:
        return reverse("evaluations:verification_detail",
                       args=[self.get_cycle().year, self.get_participant().pk])


# --- The spot check of group B ------------------------------------------------------------------

class SpotCheckView(ReverificationCycleMixin, TemplateView):
    """Before the draw: the candidates (every member of group B by credit code, ascending),
    S and the digest of the list, and the draw's form (seed optional) behind a confirmation.
    After it: the record (who, when, the seed, the candidates and their digest), the sample
    with each institution's verdict, the replay check and the public link."""

    template_name = "evaluations/spot_check.html"

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        draw = SpotCheckDraw.objects.filter(cycle=cycle).select_related("drawn_by").first()
        context = {"cycle": cycle, "draw": draw, "can_manage": self.can_manage(),
                   "opened": hasattr(cycle, "reverification")}
        if draw is None:
            preview = spot_check_preview(cycle)
            context.update(preview=preview,
                           candidate_rows=[(code, preview.names[code])
                                           for code in preview.candidates],
                           form=kwargs.pop("form", None) or SpotCheckDrawForm())
        else:
            board = reverification_board(cycle)
            context.update(replay=spot_check_replay(draw), rows=board.spot_rows,
                           public_url=self.request.build_absolute_uri(reverse(
                               "evaluations:spot_check_replay", args=[draw.public_key])))
        return super().get_context_data(**context, **kwargs)


class SpotCheckDrawView(SpotCheckView):
    permission_required = MANAGE

    def get(self, request, *args, **kwargs):
        return redirect("evaluations:spot_check", year=self.get_cycle().year)

    def post(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        form = SpotCheckDrawForm(request.POST)
        if form.is_valid():
            try:
                draw = services.spot_check_draw(cycle=cycle, actor=request.user,
                                                seed=form.cleaned_data["seed"])
            except DomainError as exc:
                if SpotCheckDraw.objects.filter(cycle=cycle).exists():
                    # Drawn meanwhile (the other click, another administrator): the record.
                    messages.error(request, str(exc))
                    return redirect("evaluations:spot_check", year=cycle.year)
                form.add_error(None, str(exc))
            else:
                messages.success(request, ngettext(
                    "The spot check is drawn: %(count)s institution of group B, seed "
                    "%(seed)s. The record is below.",
                    "The spot check is drawn: %(count)s institutions of group B, seed "
                    "%(seed)s. The record is below.", draw.size)
                    % {"count": draw.size, "seed": draw.seed})
                return redirect("evaluations:spot_check", year=cycle.year)
        return self.render_to_response(self.get_context_data(form=form), status=422)


class SpotCheckReplayView(TemplateView):
    """The public record of a spot check, open to anyone with its link (no login): the seed,
    the candidate list and its digest, the sample; the sample drawn again in this request
    (``scoring.spot_check_draw``) and whether it matches. Nothing else of the cycle."""

    template_name = "evaluations/spot_check_replay.html"

    def get_context_data(self, **kwargs):
        draw = get_object_or_404(SpotCheckDraw.objects.select_related("cycle"),
                                 public_key=self.kwargs["key"])
        return super().get_context_data(draw=draw, year=draw.cycle.year,
                                        replay=spot_check_replay(draw))


# --- The institution's side ---------------------------------------------------------------------

class MyPlannedVisitView(RulesPermissionMixin, TemplateView):
    """The visit planned to the user's institution in the URL's cycle: the date and what to
    prepare, nothing of the verdict (until the results are published)."""

    permission_required = "evaluations.view_planned_visit"
    template_name = "evaluations/reverification_my_visit.html"

    def get_permission_object(self):
        # An institution's account: its own participation (none in that cycle is a 404);
        # any other account has none, and the permission refuses it (403).
        if self.request.user.institution_id is None:
            return None
        if not hasattr(self, "_participant"):
            self._participant = get_object_or_404(
                Participant.objects.select_related("cycle", "institution"),
                cycle__year=self.kwargs["year"],
                institution_id=self.request.user.institution_id)
        return self._participant

    def get_context_data(self, **kwargs):
        participant = self.get_permission_object()
        visible = participant.cycle.status in (CycleStatus.REVERIFICATION,
                                               CycleStatus.PUBLIC_NOTICE, CycleStatus.FINAL)
        return super().get_context_data(
            participant=participant, cycle=participant.cycle,
            institution=participant.institution,
            visit=planned_visit(participant) if visible else None, **kwargs)


urlpatterns = [
    path("reverification/", ReverificationHomeView.as_view(), name="reverification_home"),
    path("cycles/<int:year>/reverification/", ReverificationStageView.as_view(),
         name="reverification_stage"),
    path("cycles/<int:year>/reverification/alternates/", ReverificationAlternatesView.as_view(),
         name="reverification_alternates"),
    path("cycles/<int:year>/reverification/<int:pk>/", VerificationDetailView.as_view(),
         name="verification_detail"),
    path("cycles/<int:year>/reverification/<int:pk>/plan/", VerificationPlanView.as_view(),
         name="verification_plan"),
    path("cycles/<int:year>/reverification/<int:pk>/visits/", VerificationVisitView.as_view(),
         name="verification_visit"),
    path("cycles/<int:year>/reverification/<int:pk>/verdict/",
         VerificationVerdictView.as_view(), name="verification_verdict"),
    path("cycles/<int:year>/reverification/<int:pk>/verdict/change/",
         VerificationVerdictChangeView.as_view(), name="verification_verdict_change"),
    path("cycles/<int:year>/reverification/<int:pk>/fraud/",
         VerificationFraudReportView.as_view(), name="verification_fraud_report"),
    path("cycles/<int:year>/reverification/spot-check/", SpotCheckView.as_view(),
         name="spot_check"),
    path("cycles/<int:year>/reverification/spot-check/draw/", SpotCheckDrawView.as_view(),
         name="spot_check_draw"),
    path("spot-check/<uuid:key>/", SpotCheckReplayView.as_view(), name="spot_check_replay"),
    path("cycles/<int:year>/my-visit/", MyPlannedVisitView.as_view(),
         name="my_planned_visit"),
]
