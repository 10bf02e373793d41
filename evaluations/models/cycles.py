"""Evaluation cycles (Art 5, 8): one per evaluation year, pinned to a policy version (R13)."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import STAGES, CycleStatus
from .policy import PolicyVersion


class Cycle(models.Model):
    """One evaluation round for evaluation year Y (R1 evaluates the years Y−2 and Y−1).

    ``status`` is written only by ``services.cycles.cycle_transition``.
    """

    year = models.PositiveSmallIntegerField(_("evaluation year"), unique=True)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT,
                                       related_name="cycles", verbose_name=_("policy version"))
    status = models.CharField(_("status"), max_length=30, choices=CycleStatus.choices,
                              default=CycleStatus.DRAFT, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("evaluation cycle")
        verbose_name_plural = _("evaluation cycles")

    def __str__(self) -> str:
        return _("%(year)s evaluation") % {"year": self.year}

    @property
    def period(self) -> tuple[int, int]:
        """The two calendar years evaluated (R1)."""
        return (self.year - 2, self.year - 1)

    def stage_of(self, status: str) -> CycleStage | None:
        """The dates of one of its stages: from the stages prefetched with the cycle when they
        were (the dashboards read them once for every question), else in one query."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("stages")
        if prefetched is not None:
            return next((stage for stage in prefetched if stage.stage == status), None)
        return self.stages.filter(stage=status).first()

    @property
    def indicators_editable(self) -> bool:
        """The indicator system can change until self-evaluation opens (Art 8)."""
        return self.status == CycleStatus.DRAFT


class CycleStage(models.Model):
    """The planned opening and closing dates of one stage, and when it really opened and
    closed (and by whom). A stage opens only when the one before it is closed (Art 8)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="stages",
                              verbose_name=_("evaluation cycle"))
    stage = models.CharField(_("stage"), max_length=30,
                             choices=[(s.value, s.label) for s in STAGES])
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+", editable=False,
                                  verbose_name=_("closed by"))

    class Meta:
        ordering = ["cycle", "opens_on"]
        constraints = [models.UniqueConstraint(fields=["cycle", "stage"],
                                               name="one_row_per_cycle_stage")]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return f"{self.cycle} · {self.get_stage_display()}"

    def clean(self) -> None:
        super().clean()
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": _("A stage cannot close before it opens.")})

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class CycleTransition(models.Model):
    """The record of every change of a cycle's status: who, when, from what to what."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="transitions",
                              verbose_name=_("evaluation cycle"))
    from_status = models.CharField(_("from"), max_length=30, choices=CycleStatus.choices)
    to_status = models.CharField(_("to"), max_length=30, choices=CycleStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("cycle status change")
        verbose_name_plural = _("cycle status changes")

    def __str__(self) -> str:
        return f"{self.cycle}: {self.from_status} → {self.to_status}"
