"""Stage 3, the panel review (Art 11, R6a): the cycle's panels, splitting a group by cluster
category, the draw (previewed, then recorded) and the draw's record with its replay check.

The panel organiser (the information institute) runs it; the city administrator follows it
read-only; districts, institutions and experts see none of these pages."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from institutions.exceptions import DomainError
from institutions.views.mixins import RulesPermissionMixin

from ..enums import CycleStatus, PanelGroup, SeatStatus
from ..forms.panel import (
    ConflictDeclareForm,
    ConflictRecordForm,
    PanelDrawForm,
    PanelSplitForm,
    PanelWidenForm,
    SeatAcceptForm,
    SeatDeclineForm,
    SupplementaryDrawForm,
)
from ..models import Conflict, Cycle, ExpertScore, Panel, PanelSeat, Participant
from ..selectors.panel import (
    coverage_problems,
    draw_preview,
    draw_record,
    draw_replays,
    next_to_score,
    panel_institutions,
    panel_members,
    seat_assignments,
    seat_institutions,
)
from ..services.panel import (
    ScoreConflict,
    conflict_declare,
    conflict_record,
    expert_score_save,
    expert_score_submit,
    panel_draw,
    panel_draw_problems,
    panel_group_split,
    panel_invite,
    panel_supplementary_draw,
    panel_widen,
    seat_accept,
    seat_decline,
)
from ..services.uploads import PREVIEWABLE
from .preliminary import review_sheet


class PanelCycleMixin(RulesPermissionMixin):
    """The cycle of the URL's year; the permission is checked first."""

    permission_required = "evaluations.view_panel"

    def get_cycle(self) -> Cycle:
        if not hasattr(self, "_cycle"):
            self._cycle = get_object_or_404(Cycle.objects.select_related("policy_version"),
                                            year=self.kwargs["year"])
        return self._cycle


class PanelMixin(RulesPermissionMixin):
    permission_required = "evaluations.view_panel"

    def get_panel(self) -> Panel:
        if not hasattr(self, "_panel"):
            self._panel = get_object_or_404(
                Panel.objects.select_related("cycle__policy_version"), pk=self.kwargs["pk"])
        return self._panel


class PanelHomeView(RulesPermissionMixin, TemplateView):
    """Where the navigation's "panel review" leads: the latest cycle that reached it."""

    permission_required = "evaluations.view_panel"
    template_name = "evaluations/panel_none.html"

    def get(self, request, *args, **kwargs):
        cycle = (Cycle.objects.filter(panels__isnull=False).order_by("-year").first())
        if cycle is not None:
            return redirect("evaluations:panel_stage", year=cycle.year)
        return super().get(request, *args, **kwargs)


class PanelStageView(PanelCycleMixin, TemplateView):
    """The cycle's panels: what each holds, whether it is drawn, and (before any draw) how
    the organiser splits a group by cluster category or widens a panel."""

    template_name = "evaluations/panel_stage.html"

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        members = panel_members(cycle)
        panels = list(cycle.panels.prefetch_related("draws").order_by("position"))
        for panel in panels:
            panel.institution_count = len(panel_institutions(panel, members))
            panel.drawn = next(iter(panel.draws.all()), None)
        any_drawn = any(p.drawn for p in panels)
        editable = (cycle.status == CycleStatus.PANEL_REVIEW and not any_drawn
                    and self.request.user.has_perm("evaluations.manage_panel"))
        return super().get_context_data(
            cycle=cycle, panels=panels, problems=coverage_problems(cycle, members),
            group_sizes={g: len(members.by_group[g]) for g in PanelGroup.values},
            editable=editable, can_draw=self.request.user.has_perm("evaluations.manage_panel"),
            split_forms=[(g, PanelSplitForm(prefix=g)) for g in PanelGroup],
            widen_form=PanelWidenForm(), **kwargs)


class PanelSplitView(PanelCycleMixin, View):
    permission_required = "evaluations.manage_panel"

    def post(self, request, *args, **kwargs):
        cycle = self.get_cycle()
        group = request.POST.get("group")
        form = PanelSplitForm(request.POST, prefix=group)
        if group not in PanelGroup.values or not form.is_valid():
            messages.error(request, _("Choose how to form the panels of the group."))
        else:
            try:
                panels = panel_group_split(cycle=cycle, group=group, splits=form.splits(),
                                           actor=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("%(group)s now has %(count)s panel(s).")
                                 % {"group": PanelGroup(group).label, "count": len(panels)})
        return redirect("evaluations:panel_stage", year=cycle.year)


class PanelWidenView(PanelMixin, View):
    permission_required = "evaluations.manage_panel"

    def post(self, request, *args, **kwargs):
        panel = self.get_panel()
        form = PanelWidenForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(_("Give the reason for drawing this panel from the whole "
                                    "pool."))
            panel_widen(panel=panel, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(panel)s will be drawn from the whole pool.")
                             % {"panel": panel.name})
        return redirect("evaluations:panel_stage", year=panel.cycle.year)


class PanelDrawView(PanelMixin, TemplateView):
    """What the draw will do (eligible experts, members and alternates to draw, why the
    others are not eligible), then the draw itself after a confirmation."""

    permission_required = "evaluations.manage_panel"
    template_name = "evaluations/panel_draw.html"

    def get_context_data(self, **kwargs):
        panel = self.get_panel()
        problems = panel_draw_problems(panel)
        preview = draw_preview(panel, problems)
        return super().get_context_data(panel=panel, cycle=panel.cycle, preview=preview,
                                        form=kwargs.pop("form", None) or PanelDrawForm(),
                                        **kwargs)

    def post(self, request, *args, **kwargs):
        panel = self.get_panel()
        form = PanelDrawForm(request.POST)
        if form.is_valid():
            try:
                panel_draw(panel=panel, actor=request.user, seed=form.cleaned_data["seed"])
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(panel)s was drawn. The record is below.")
                                 % {"panel": panel.name})
                return redirect("evaluations:panel_detail", pk=panel.pk)
        return self.render_to_response(self.get_context_data(form=form))


class PanelDetailView(PanelMixin, TemplateView):
    """The panel's record (抽取记录表): its institutions, each draw with its seed, time,
    organiser and eligible count, the experts in draw order with where each stands, the
    conflicts found, and the replay check."""

    template_name = "evaluations/panel_detail.html"

    def get_context_data(self, **kwargs):
        panel = self.get_panel()
        members = panel_members(panel.cycle)
        institutions = panel_institutions(panel, members)
        draws = list(panel.draws.select_related("drawn_by").order_by("drawn_at", "pk"))
        seats = list(panel.seats.select_related("expert", "replaces__expert")
                     .order_by("draw", "position"))
        conflicts = list(Conflict.objects.filter(
            cycle=panel.cycle, participant_id__in=[members.participant_pk[i.id]
                                                   for i in institutions],
            expert__seats__panel=panel).select_related("expert", "participant__institution")
            .order_by("participant__institution__name", "expert__pool_number"))
        manage = self.request.user.has_perm("evaluations.manage_panel")
        return super().get_context_data(
            panel=panel, cycle=panel.cycle,
            institutions=[(i, members.name[i.id]) for i in institutions],
            draws=[(d, draw_record(d), draw_replays(d)) for d in draws], seats=seats,
            conflicts=conflicts, can_manage=manage,
            to_invite=manage and any(s.status == SeatStatus.DRAWN for s in seats),
            supplementary_form=SupplementaryDrawForm() if manage else None,
            conflict_form=_conflict_form(seats, institutions, members) if manage else None,
            **kwargs)


def _conflict_form(seats, institutions, members, data=None) -> ConflictRecordForm:
    return ConflictRecordForm(
        data, seats=[s for s in seats if s.status != SeatStatus.DECLINED],
        institutions=[(members.participant_pk[i.id], members.name[i.id]) for i in institutions])


class ConflictRecordView(PanelMixin, View):
    """The organiser records a further conflict, with a reason (R6a)."""

    permission_required = "evaluations.manage_panel"

    def post(self, request, *args, **kwargs):
        panel = self.get_panel()
        members = panel_members(panel.cycle)
        seats = list(panel.seats.select_related("expert"))
        form = _conflict_form(seats, panel_institutions(panel, members), members,
                              request.POST)
        try:
            if not form.is_valid():
                raise DomainError(_("Choose the expert and the institution, and say what the "
                                    "conflict is."))
            seat = next(s for s in seats if s.pk == form.cleaned_data["seat"])
            conflict_record(seat=seat, participant_id=form.cleaned_data["participant"],
                            reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The conflict is recorded."))
        return redirect("evaluations:panel_detail", pk=panel.pk)


class PanelRecordPdfView(PanelDetailView):
    """The draw record (抽取记录表) as a PDF for the file, with the signature lines. One page
    or two: rendered when asked, like the page it prints."""

    def get(self, request, *args, **kwargs):
        from reports.pdf import render_pdf  # WeasyPrint only where a PDF is made

        context = self.get_context_data(**kwargs)
        pdf = render_pdf("reports/panel_draw_record.html", context)
        response = HttpResponse(pdf, content_type="application/pdf")
        name = _("Expert draw record %(year)s %(panel)s.pdf") % {
            "year": context["cycle"].year, "panel": context["panel"].name}
        response["Content-Disposition"] = content_disposition_header(False, name)
        return response


class PanelInviteView(PanelMixin, View):
    """Invite the drawn members, once the organiser has seen the conflicts found."""

    permission_required = "evaluations.manage_panel"

    def post(self, request, *args, **kwargs):
        panel = self.get_panel()
        try:
            count = panel_invite(panel=panel, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(count)s experts were invited.") % {"count": count})
        return redirect("evaluations:panel_detail", pk=panel.pk)


class PanelSupplementaryView(PanelMixin, View):
    permission_required = "evaluations.manage_panel"

    def post(self, request, *args, **kwargs):
        panel = self.get_panel()
        form = SupplementaryDrawForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(_("Give the reason for the supplementary draw."))
            panel_supplementary_draw(panel=panel, actor=request.user,
                                     reason=form.cleaned_data["reason"],
                                     seed=form.cleaned_data["seed"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The supplementary draw is recorded; the experts "
                                        "drawn are invited."))
        return redirect("evaluations:panel_detail", pk=panel.pk)


# --- The expert's side ------------------------------------------------------------------------

class ExpertHomeView(RulesPermissionMixin, TemplateView):
    """The expert's panels: invitations to answer (accept with a declaration of conflicts,
    or decline), and the panels it serves on."""

    permission_required = "evaluations.view_own_panels"
    template_name = "evaluations/expert_panels.html"

    def get_context_data(self, **kwargs):
        seats = list(PanelSeat.objects.filter(expert__user=self.request.user)
                     .exclude(status=SeatStatus.STANDBY)
                     .select_related("panel__cycle").order_by("-panel__cycle__year",
                                                              "panel__position"))
        for seat in seats:
            if seat.status == SeatStatus.ACCEPTED and seat.serving:
                assigned = seat_assignments(seat)
                scores = {s.participant_id: s for s in seat.scores.all()}
                seat.assignments = [
                    (p, scores.get(p.pk)) for p in Participant.objects.filter(pk__in=assigned)
                    .select_related("institution").order_by("institution__name")]
            if seat.status == SeatStatus.INVITED:
                seat.accept_form = SeatAcceptForm(institutions=seat_institutions(seat),
                                                  prefix=f"seat{seat.pk}")
                seat.decline_form = SeatDeclineForm(prefix=f"seat{seat.pk}")
        return super().get_context_data(seats=seats, **kwargs)


class SeatAnswerView(RulesPermissionMixin, View):
    """The expert's answer to an invitation: accept, decline, or withdraw from the panel."""

    permission_required = "evaluations.answer_invitation"

    def get_permission_object(self):
        return self.get_seat()

    def get_seat(self) -> PanelSeat:
        if not hasattr(self, "_seat"):
            self._seat = get_object_or_404(
                PanelSeat.objects.select_related("panel__cycle", "expert"),
                pk=self.kwargs["pk"], expert__user=self.request.user)
        return self._seat

    def post(self, request, *args, **kwargs):
        seat = self.get_seat()
        prefix = f"seat{seat.pk}"
        try:
            if kwargs["answer"] == "accept":
                form = SeatAcceptForm(request.POST, institutions=seat_institutions(seat),
                                      prefix=prefix)
                if not form.is_valid():
                    raise DomainError(" ".join(e for errors in form.errors.values()
                                               for e in errors))
                seat_accept(seat=seat, actor=request.user, conflicts=form.declared())
                messages.success(request, _("You accepted the invitation to %(panel)s.")
                                 % {"panel": seat.panel.name})
            else:
                form = SeatDeclineForm(request.POST, prefix=prefix)
                if not form.is_valid():
                    raise DomainError(_("Give the reason for declining."))
                seat_decline(seat=seat, actor=request.user, reason=form.cleaned_data["reason"],
                             recuse=kwargs["answer"] == "withdraw")
                messages.success(request, _("Your answer is recorded; an alternate takes your "
                                            "place."))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("evaluations:expert_home")


class ExpertScoreView(RulesPermissionMixin, TemplateView):
    """The expert scores one institution of its list (R6): the report with its data for both
    years and evidence, the district's verdict on each claim (not its scores) and the site
    visits' findings; a score per indicator with the total computed as it is typed, a
    comment; saved as a draft (revision checked) or submitted. An institution not on the
    expert's list, a conflicted one included, is a 404 exactly like a missing one."""

    permission_required = "evaluations.view_own_panels"
    template_name = "evaluations/expert_score.html"

    def get_objects(self) -> tuple[PanelSeat, Participant]:
        if not hasattr(self, "_objects"):
            seat = get_object_or_404(PanelSeat.objects.select_related("panel__cycle", "expert"),
                                     pk=self.kwargs["seat"], expert__user=self.request.user)
            if self.kwargs["pk"] not in seat_assignments(seat):
                raise Http404
            participant = get_object_or_404(
                Participant.objects.select_related("institution", "submission__cluster",
                                                   "cycle"), pk=self.kwargs["pk"])
            self._objects = (seat, participant)
        return self._objects

    def get_context_data(self, *, given: dict | None = None, comment: str | None = None,
                         **kwargs):
        """``given`` and ``comment``: what the expert typed, shown again when a save is
        refused."""
        for name in ("seat", "pk"):  # the URL's, passed on by TemplateView.get
            kwargs.pop(name, None)
        seat, participant = self.get_objects()
        score = ExpertScore.objects.filter(seat=seat, participant=participant).first()
        sheet = review_sheet(participant, can_review=False)
        if given is None:
            given = score.scores if score else {}
        for _category, rows in sheet.categories:
            for row in rows:
                row.given = given.get(str(row.indicator.pk), "")
        return super().get_context_data(
            seat=seat, participant=participant, institution=participant.institution,
            cycle=participant.cycle, sheet=sheet, score=score,
            locked=bool(score and score.submitted_at),
            comment=comment if comment is not None else (score.comment if score else ""),
            revision=score.revision if score else 0,
            visits=list(participant.visits.order_by("visited_on")),
            conflict_form=ConflictDeclareForm(), previewable=PREVIEWABLE, **kwargs)

    def post(self, request, *args, **kwargs):
        seat, participant = self.get_objects()
        if "declare" in request.POST:
            return self.declare(seat, participant)
        scores = {key[len("score-"):]: value for key, value in request.POST.items()
                  if key.startswith("score-")}
        comment = request.POST.get("comment", "")
        try:
            revision = int(request.POST.get("revision", ""))
        except ValueError:
            revision = -1
        status = 200
        try:
            score = expert_score_save(seat=seat, participant_id=participant.pk, scores=scores,
                                      comment=comment, revision=revision, actor=request.user)
            if "submit" in request.POST:
                expert_score_submit(score=score, actor=request.user)
                messages.success(request, _("Your score of %(name)s is submitted.")
                                 % {"name": participant.institution.name})
                following = next_to_score(seat, participant)
                if following is not None:  # forty in a sitting: straight on to the next
                    return redirect("evaluations:expert_score", seat=seat.pk, pk=following)
                return redirect("evaluations:expert_home")
            messages.success(request, _("Saved."))
            return redirect("evaluations:expert_score", seat=seat.pk, pk=participant.pk)
        except ScoreConflict as exc:
            error, status = str(exc), 409
        except DomainError as exc:
            error, status = str(exc), 422
        return self.render_to_response(self.get_context_data(
            error=error, given=scores, comment=comment), status=status)

    def declare(self, seat, participant):
        form = ConflictDeclareForm(self.request.POST)
        try:
            if not form.is_valid():
                raise DomainError(_("Say what the conflict is."))
            conflict_declare(seat=seat, participant_id=participant.pk,
                             reason=form.cleaned_data["reason"], actor=self.request.user)
        except DomainError as exc:
            messages.error(self.request, str(exc))
            return redirect("evaluations:expert_score", seat=seat.pk, pk=participant.pk)
        messages.success(self.request, _("Your conflict with %(name)s is recorded: it is no "
                                         "longer on your list.")
                         % {"name": participant.institution.name})
        return redirect("evaluations:expert_home")


urlpatterns = [
    path("panels/", PanelHomeView.as_view(), name="panel_home"),
    path("cycles/<int:year>/panels/", PanelStageView.as_view(), name="panel_stage"),
    path("cycles/<int:year>/panels/split/", PanelSplitView.as_view(), name="panel_split"),
    path("panels/<int:pk>/", PanelDetailView.as_view(), name="panel_detail"),
    path("panels/<int:pk>/record.pdf", PanelRecordPdfView.as_view(), name="panel_record_pdf"),
    path("panels/<int:pk>/widen/", PanelWidenView.as_view(), name="panel_widen"),
    path("panels/<int:pk>/draw/", PanelDrawView.as_view(), name="panel_draw"),
    path("panels/<int:pk>/invite/", PanelInviteView.as_view(), name="panel_invite"),
    path("panels/<int:pk>/conflicts/", ConflictRecordView.as_view(), name="conflict_record"),
    path("panels/<int:pk>/supplementary/", PanelSupplementaryView.as_view(),
         name="panel_supplementary"),
    # The expert's side
    path("expert/", ExpertHomeView.as_view(), name="expert_home"),
    path("expert/seats/<int:seat>/institutions/<int:pk>/", ExpertScoreView.as_view(),
         name="expert_score"),
    path("expert/seats/<int:pk>/accept/", SeatAnswerView.as_view(), {"answer": "accept"},
         name="seat_accept"),
    path("expert/seats/<int:pk>/decline/", SeatAnswerView.as_view(), {"answer": "decline"},
         name="seat_decline"),
    path("expert/seats/<int:pk>/withdraw/", SeatAnswerView.as_view(), {"answer": "withdraw"},
         name="seat_withdraw"),
]
