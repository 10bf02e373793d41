"""Stage 3, the panel review (Art 11, R6a, R6): the cycle's panels and the institutions each
holds, every draw with its seed and eligible list (so that anyone can replay it), the experts
drawn with where each stands, and the conflicts of interest (回避) per expert × institution."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import ConflictSource, DrawKind, PanelGroup, SeatRole, SeatStatus
from .cycles import Cycle
from .preliminary import Participant


class Panel(models.Model):
    """One panel of a cycle: a group (A or C), or the part of it whose clusters are in
    ``categories`` (the "343" categories, ``institutions.enums.ClusterGroup`` values; empty
    means the whole group). Panels are drawn in ``position`` order (R6a)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="panels",
                              verbose_name=_("evaluation cycle"))
    group = models.CharField(_("group"), max_length=1, choices=PanelGroup.choices)
    categories = models.JSONField(_("cluster categories"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("order of the draw"))
    widen = models.BooleanField(_("drawn from the whole pool"), default=False)
    widen_reason = models.TextField(_("reason for drawing from the whole pool"), blank=True)
    seed = models.CharField(_("seed entered before the draw"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["cycle_id", "position"]
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        constraints = [models.UniqueConstraint(fields=["cycle", "position"],
                                               name="panel_position_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from institutions.enums import ClusterGroup

        group = PanelGroup(self.group).label
        if not self.categories:
            return str(group)
        parts = "、".join(str(ClusterGroup(c).label) for c in self.categories)
        return f"{group}·{parts}"


class PanelDraw(models.Model):
    """One draw for a panel, as recorded (R6a): the first draw, or a supplementary one once the
    alternates ran out. ``eligible`` is the sorted list of pool numbers the formula took."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="draws",
                              verbose_name=_("panel"))
    kind = models.CharField(_("kind"), max_length=20, choices=DrawKind.choices)
    seed = models.CharField(_("seed"), max_length=64)
    seed_entered = models.BooleanField(_("seed entered beforehand"), default=False)
    eligible = models.JSONField(_("eligible experts (pool numbers, sorted)"))
    members = models.PositiveSmallIntegerField(_("members drawn"))
    alternates = models.PositiveSmallIntegerField(_("alternates drawn"))
    reason = models.TextField(_("reason"), blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("drawn by"))
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    class Meta:
        ordering = ["panel_id", "drawn_at", "pk"]
        verbose_name = _("draw")
        verbose_name_plural = _("draws")

    def __str__(self) -> str:
        return f"{self.panel}：{self.get_kind_display()}"


class PanelSeat(models.Model):
    """An expert drawn for a panel, in draw order, and where it stands (R6a). A member who
    declines or withdraws keeps its row with the reason; the alternate who replaces it points
    to it (``replaces``)."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="seats",
                              verbose_name=_("panel"))
    draw = models.ForeignKey(PanelDraw, on_delete=models.CASCADE, related_name="seats",
                             verbose_name=_("draw"))
    expert = models.ForeignKey("institutions.Expert", on_delete=models.PROTECT,
                               related_name="seats", verbose_name=_("expert"))
    position = models.PositiveSmallIntegerField(_("place in the draw"))
    role = models.CharField(_("drawn as"), max_length=20, choices=SeatRole.choices)
    status = models.CharField(_("status"), max_length=20, choices=SeatStatus.choices,
                              editable=False)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaced_by", editable=False,
                                    verbose_name=_("replaces"))
    reason = models.TextField(_("reason given"), blank=True, editable=False)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True,
                                        editable=False)

    class Meta:
        ordering = ["panel_id", "draw_id", "position"]
        verbose_name = _("drawn expert")
        verbose_name_plural = _("drawn experts")
        constraints = [models.UniqueConstraint(fields=["panel", "expert"],
                                               name="panel_seat_expert_unique")]

    def __str__(self) -> str:
        return f"{self.panel}：{self.expert}"

    @property
    def serving(self) -> bool:
        """Invited or accepted as a member of the panel (alternates who joined included)."""
        return self.status in (SeatStatus.DRAWN, SeatStatus.INVITED, SeatStatus.ACCEPTED) \
            and (self.role == SeatRole.MEMBER or self.replaces_id is not None)


class Conflict(models.Model):
    """A conflict of interest (回避) between an expert and a participant of the cycle (R6a):
    found automatically, declared by the expert or recorded by the organiser, with its reason.
    A conflicted expert is not assigned the institution and cannot open its report."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="conflicts",
                              verbose_name=_("evaluation cycle"))
    expert = models.ForeignKey("institutions.Expert", on_delete=models.PROTECT,
                               related_name="conflicts", verbose_name=_("expert"))
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="conflicts", verbose_name=_("institution"))
    source = models.CharField(_("how it became known"), max_length=30,
                              choices=ConflictSource.choices)
    reason = models.TextField(_("reason"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["cycle_id", "participant_id", "expert_id"]
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [models.UniqueConstraint(fields=["expert", "participant", "source"],
                                               name="conflict_unique_per_source")]

    def __str__(self) -> str:
        return f"{self.expert} × {self.participant.institution}"


class ExpertScore(models.Model):
    """One expert's scores of one institution of its panel (R6): a score per indicator from 0
    to its points, their total (0–100), a comment. Saved as a draft with a revision counter
    (a stale tab is refused); submitting locks it, and only the organiser reopens it, with a
    reason."""

    seat = models.ForeignKey(PanelSeat, on_delete=models.PROTECT, related_name="scores",
                             verbose_name=_("drawn expert"))
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="expert_scores",
                                    verbose_name=_("institution"))
    scores = models.JSONField(_("scores by indicator"), default=dict)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True,
                                blank=True, editable=False)
    comment = models.TextField(_("comment"), blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True,
                                        editable=False)
    reopened_reason = models.TextField(_("reason for reopening"), blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["participant_id", "seat_id"]
        verbose_name = _("expert's score")
        verbose_name_plural = _("experts' scores")
        constraints = [models.UniqueConstraint(fields=["seat", "participant"],
                                               name="expert_score_unique")]

    def __str__(self) -> str:
        return f"{self.seat.expert} → {self.participant.institution}"
