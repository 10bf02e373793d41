"""Stage 3's outcome (Art 11, R6): the organiser's choices that decide the lines (the number of
不合格 of group C, the recorded order of equal panel scores) and, once the panel review closes,
the results it fixed for each member of groups A and C, and the result table the experts sign."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .cycles import Cycle
from .files import GeneratedPdf
from .preliminary import Participant


class PanelOutcome(models.Model):
    """The panel review's decisions for one cycle (R6).

    ``fail_count`` is the organiser's chosen number of 不合格 in group C (never fewer than F;
    null means F); it counts only once ``fail_count_confirmed``. ``tiebreak`` is the recorded
    order of institutions with equal panel scores, best first (participant ids), and
    ``tiebreak_reason`` the reasons given, one line per recorded order. Written only by
    ``services.panel_close``."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="panel_outcome",
                                 verbose_name=_("evaluation cycle"))
    fail_count = models.PositiveSmallIntegerField(_("number of unqualified chosen"), null=True,
                                                  blank=True, editable=False)
    fail_count_confirmed = models.BooleanField(_("number of unqualified confirmed"),
                                               default=False, editable=False)
    tiebreak = models.JSONField(_("order of equal panel scores"), default=list, blank=True,
                                editable=False)
    tiebreak_reason = models.TextField(_("reason for the order of equal panel scores"),
                                       blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+", editable=False,
                                  verbose_name=_("closed by"))

    class Meta:
        verbose_name = _("panel review outcome")
        verbose_name_plural = _("panel review outcomes")

    def __str__(self) -> str:
        return str(self.cycle)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class PanelResultKind(models.TextChoices):
    """What the panel review decided for one institution (R6)."""

    REVERIFY = "reverify", _("On the re-verification list")
    NOT_LISTED = "not_listed", _("Not on the re-verification list")
    UNQUALIFIED = "unqualified", _("Unqualified")
    QUALIFIED = "qualified", _("Qualified")


class PanelResult(models.Model):
    """One member of group A or C as the panel review left it (R6), fixed at the close: its
    panel score, its place in its group's panel order (1 = the best) and the result."""

    outcome = models.ForeignKey(PanelOutcome, on_delete=models.CASCADE, related_name="results",
                                verbose_name=_("panel review outcome"))
    participant = models.OneToOneField(Participant, on_delete=models.CASCADE,
                                       related_name="panel_result",
                                       verbose_name=_("institution"))
    score = models.DecimalField(_("panel score"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("place in the panel order"))
    result = models.CharField(_("panel result"), max_length=20,
                              choices=PanelResultKind.choices)

    class Meta:
        ordering = ["outcome_id", "participant__group", "rank"]
        verbose_name = _("panel result")
        verbose_name_plural = _("panel results")

    def __str__(self) -> str:
        label = PanelResultKind(self.result).label if self.result else ""  # as ParticipantTier
        return f"{self.participant}：{label}"


class PanelResultTable(GeneratedPdf):
    """The panel review's result table (会评结果表) as a PDF, made once the review is closed:
    each panel's institutions in panel order with every expert's total, the panel score and
    the result, and a signature line for each of its experts; and the signed scan of its
    printout."""

    outcome = models.ForeignKey(PanelOutcome, on_delete=models.CASCADE,
                                related_name="result_tables",
                                verbose_name=_("panel review outcome"))

    class Meta(GeneratedPdf.Meta):
        verbose_name = _("panel result table")
        verbose_name_plural = _("panel result tables")

    def __str__(self) -> str:
        return str(self.outcome)
