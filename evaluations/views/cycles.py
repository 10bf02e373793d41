"""Evaluation cycles (Art 5, 8): the list, a cycle's stages and status changes, its indicator
system (Art 6), closing self-evaluation with the non-submitters (R2) and extensions."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView

from institutions.exceptions import DomainError
from institutions.rules import is_city_admin
from institutions.views.mixins import RulesPermissionMixin

from ..enums import (
    OUT_OF_COHORT_LABELS,
    STAGES,
    CycleStatus,
    SubmissionStatus,
)
from ..forms.cycles import (
    ConfirmForm,
    CycleCreateForm,
    CycleScheduleForm,
    CycleTransitionForm,
    ExtensionForm,
)
from ..models import Cycle, CycleStage, CycleTransition
from ..selectors.cycles import cycle_cohort
from ..selectors.policy import policy_version_in_force
from ..selectors.scopes import submissions_for_user
from ..services.cycles import (
    cycle_create,
    cycle_next_transition,
    cycle_schedule,
    cycle_transition,
    cycle_transition_problems,
    indicator_total,
)
from ..services.self_evaluation import (
    extension_grant,
    non_submitters,
    self_evaluation_close,
    self_evaluation_close_problems,
)
from .mixins import CycleMixin

# What each move does, in the users' words (shown before they confirm it).
TRANSITION_EFFECTS = {
    CycleStatus.SELF_EVALUATION: gettext_lazy(
        "Self-evaluation opens. Every institution of the cohort below gets a report to fill "
        "in, with its deadline, and its accounts are notified by e-mail. The indicator system "
        "can no longer change."),
    CycleStatus.PRELIMINARY_REVIEW: gettext_lazy(
        "Preliminary review opens: each district reviews and ranks its participants."),
    CycleStatus.PANEL_REVIEW: gettext_lazy(
        "Panel review opens: experts score the institutions of groups A and C."),
    CycleStatus.REVERIFICATION: gettext_lazy(
        "Re-verification opens: on-site checks of the re-verification list and the spot "
        "check."),
    CycleStatus.PUBLIC_NOTICE: gettext_lazy(
        "Public notice opens: the results are published and objections can be lodged."),
    CycleStatus.FINAL: gettext_lazy("The results become final."),
}


def _stage_rows(cycle: Cycle) -> list[tuple[CycleStatus, CycleStage | None]]:
    """The five stages in order (Art 8), with their row when scheduled."""
    rows = {row.stage: row for row in cycle.stages.all()}
    return [(CycleStatus(stage), rows.get(stage)) for stage in STAGES]


class CycleListView(RulesPermissionMixin, TemplateView):
    permission_required = "evaluations.view_cycle"
    template_name = "evaluations/cycle_list.html"

    def get_context_data(self, **kwargs):
        cycles = Cycle.objects.select_related("policy_version").prefetch_related(
            Prefetch("stages", queryset=CycleStage.objects.order_by("opens_on")))
        return super().get_context_data(cycles=cycles, can_manage=is_city_admin(
            self.request.user), **kwargs)


class CycleCreateView(RulesPermissionMixin, FormView):
    permission_required = "evaluations.manage_cycle"
    template_name = "evaluations/cycle_form.html"
    form_class = CycleCreateForm

    def get_initial(self):
        year = timezone.localdate().year
        while Cycle.objects.filter(year=year).exists():
            year += 1
        return {"year": year}

    def get_context_data(self, **kwargs):
        return super().get_context_data(in_force=policy_version_in_force(), **kwargs)

    def form_valid(self, form):
        try:
            cycle = cycle_create(year=form.cleaned_data["year"], actor=self.request.user)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("The %(year)s evaluation cycle was created with the "
                                         "default indicator system. Set the dates of its "
                                         "stages next.") % {"year": cycle.year})
        return redirect("evaluations:cycle_detail", year=cycle.year)


class CycleDetailView(CycleMixin, TemplateView):
    permission_required = "evaluations.view_cycle"
    template_name = "evaluations/cycle_detail.html"

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        transition = cycle_next_transition(cycle)
        counts = dict(cycle.submissions.order_by().values_list("status").annotate(n=Count("pk")))
        stages = _stage_rows(cycle)
        self_evaluation = stages[0][1]
        return super().get_context_data(
            stages=stages, transition=transition,
            can_close=(cycle.status == CycleStatus.SELF_EVALUATION
                       and self_evaluation is not None and not self_evaluation.is_closed),
            transition_label=CycleStatus(transition.to).label if transition else "",
            history=CycleTransition.objects.filter(cycle=cycle).select_related("by"),
            total=indicator_total(cycle),
            submission_counts=[(label, counts.get(value, 0))
                               for value, label in SubmissionStatus.choices],
            invited=sum(counts.values()), **kwargs)


class CycleScheduleView(CycleMixin, FormView):
    """The planned dates of the five stages."""

    permission_required = "evaluations.manage_cycle"
    template_name = "evaluations/cycle_stages.html"
    form_class = CycleScheduleForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cycle": self.get_cycle()}

    def form_valid(self, form):
        cycle = self.get_cycle()
        changed = form.changed_dates()
        if not changed:
            messages.info(self.request, _("No date was changed."))
            return redirect("evaluations:cycle_detail", year=cycle.year)
        try:
            cycle_schedule(cycle=cycle, dates=changed, actor=self.request.user)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("The stage dates were saved."))
        return redirect("evaluations:cycle_detail", year=cycle.year)


class CycleTransitionView(CycleMixin, FormView):
    """Shows what the next move does and what blocks it; the move needs a confirmation."""

    permission_required = "evaluations.manage_cycle"
    template_name = "evaluations/cycle_transition.html"
    form_class = CycleTransitionForm

    @cached_property
    def transition(self):
        return cycle_next_transition(self.get_cycle())

    def get_initial(self):
        return {"to_status": self.transition.to if self.transition else ""}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.transition and self.transition.to == CycleStatus.SELF_EVALUATION:
            kwargs["label"] = _("I have checked the cohort, the dates and the indicator system: "
                                "open self-evaluation and notify the institutions.")
        return kwargs

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        context = {}
        if self.transition is not None:
            to = CycleStatus(self.transition.to)
            context.update(to=to, effect=TRANSITION_EFFECTS.get(to, ""),
                           problems=cycle_transition_problems(cycle, to),
                           stage=cycle.stages.filter(stage=to).first())
        if cycle.status == CycleStatus.DRAFT:
            cohort = cycle_cohort(cycle)
            context.update(
                cohort=cohort, by_district=cohort.included_by("district"),
                latest_filing_year=cycle.year - cycle.policy_version.cohort_min_age_years,
                by_cluster=cohort.included_by("cluster"),
                excluded_counts=[(OUT_OF_COHORT_LABELS[reason], n)
                                 for reason, n in cohort.excluded_by_reason()],
                excluded=[(institution, OUT_OF_COHORT_LABELS[reason])
                          for institution, reason in cohort.excluded])
        return super().get_context_data(**context, **kwargs)

    def form_valid(self, form):
        cycle = self.get_cycle()
        try:
            cycle_transition(cycle=cycle, to_status=form.cleaned_data["to_status"],
                             actor=self.request.user)
        except DomainError as exc:
            # The cycle changed since the page was shown: show it again as it is now.
            messages.error(self.request, str(exc))
            return redirect("evaluations:cycle_transition", year=cycle.year)
        messages.success(self.request, _("The %(year)s evaluation is now at “%(status)s”.")
                         % {"year": cycle.year, "status": CycleStatus(cycle.status).label})
        return redirect("evaluations:cycle_detail", year=cycle.year)


class CycleCloseSelfEvaluationView(CycleMixin, FormView):
    """Lists the non-submitters (未参评) and, once confirmed, closes self-evaluation (R2)."""

    permission_required = "evaluations.manage_cycle"
    template_name = "evaluations/cycle_close_self_evaluation.html"
    form_class = ConfirmForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "label": _(
            "I have checked the list: these institutions did not participate, and their "
            "filings become abandoned.")}

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        rows = non_submitters(cycle).order_by("district__sort_order", "institution__name")
        return super().get_context_data(
            problems=self_evaluation_close_problems(cycle), non_submitters=rows,
            stage=cycle.stages.filter(stage=CycleStatus.SELF_EVALUATION).first(),
            submitted=cycle.submissions.filter(status=SubmissionStatus.SUBMITTED).count(),
            is_open=cycle.status == CycleStatus.SELF_EVALUATION, **kwargs)

    def form_valid(self, form):
        cycle = self.get_cycle()
        try:
            count = self_evaluation_close(cycle=cycle, actor=self.request.user)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, ngettext(
            "Self-evaluation is closed. %(count)s institution did not participate; its filing "
            "is abandoned. Preliminary review can open now.",
            "Self-evaluation is closed. %(count)s institutions did not participate; their "
            "filings are abandoned. Preliminary review can open now.", count) % {"count": count})
        return redirect("evaluations:cycle_detail", year=cycle.year)


class ExtensionGrantView(CycleMixin, FormView):
    """A later deadline for one institution, with a reason."""

    permission_required = "evaluations.grant_extension"
    template_name = "evaluations/cycle_extension_form.html"
    form_class = ExtensionForm

    def get_object(self):
        if not hasattr(self, "_submission"):
            self._submission = get_object_or_404(
                submissions_for_user(self.request.user, self.get_cycle()), pk=self.kwargs["pk"])
        return self._submission

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "submission": self.get_object()}

    def get_context_data(self, **kwargs):
        submission = self.get_object()
        return super().get_context_data(
            submission=submission, extensions=submission.extensions.select_related("granted_by"),
            **kwargs)

    def form_valid(self, form):
        submission = self.get_object()
        try:
            extension_grant(submission=submission, actor=self.request.user,
                            new_deadline=form.cleaned_data["new_deadline"],
                            reason=form.cleaned_data["reason"], form_token=form.token)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("%(name)s may now submit until %(date)s.") % {
            "name": submission.institution.name,
            "date": form.cleaned_data["new_deadline"].isoformat()})
        return redirect("evaluations:cycle_close_self_evaluation", year=submission.cycle.year)


# --- The indicator system ---------------------------------------------------------------


urlpatterns = [
    path("cycles/", CycleListView.as_view(), name="cycle_list"),
    path("cycles/new/", CycleCreateView.as_view(), name="cycle_create"),
    path("cycles/<int:year>/", CycleDetailView.as_view(), name="cycle_detail"),
    path("cycles/<int:year>/stages/", CycleScheduleView.as_view(), name="cycle_stages"),
    path("cycles/<int:year>/transition/", CycleTransitionView.as_view(),
         name="cycle_transition"),
    path("cycles/<int:year>/close-self-evaluation/", CycleCloseSelfEvaluationView.as_view(),
         name="cycle_close_self_evaluation"),
    path("cycles/<int:year>/submissions/<int:pk>/extension/", ExtensionGrantView.as_view(),
         name="cycle_extension"),
]
