"""Stage 4 (Art 12, R7, R8): the on-site re-verification of the top of group A, the replayable
spot check of group B, and the verdict of each institution verified.

The visits themselves are ``SiteVisit`` rows (``findings``) with ``stage`` set to the
re-verification, so a participant's visits of both stages read as one history."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import SiteVerdict, VerificationKind
from .cycles import Cycle
from .preliminary import Participant


class Reverification(models.Model):
    """The city's settings of a cycle's re-verification: how many alternates may join the
    list when a place empties (R7; 0: none). Written only by ``services.reverification``."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE,
                                 related_name="reverification",
                                 verbose_name=_("evaluation cycle"))
    alternates_allowed = models.PositiveSmallIntegerField(_("alternates allowed"), default=0,
                                                          editable=False)
    alternates_reason = models.TextField(_("reason for the alternates allowed"), blank=True,
                                         editable=False)

    class Meta:
        verbose_name = _("re-verification")
        verbose_name_plural = _("re-verifications")

    def __str__(self) -> str:
        return str(self.cycle)


class SpotCheckDraw(models.Model):
    """The spot check of group B (R7), drawn once: ``sample`` is
    ``random.Random(seed).sample(candidates, size)`` over the credit codes of group B sorted
    ascending, and ``digest`` the SHA-256 of that sorted list (as shown before the draw).
    ``public_key`` makes the replay page's link, open to anyone who has it."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="spot_check",
                                 verbose_name=_("evaluation cycle"))
    size = models.PositiveIntegerField(_("number to draw"))
    seed = models.CharField(_("seed"), max_length=200)
    seed_entered = models.BooleanField(_("seed typed in beforehand"), default=False)
    candidates = models.JSONField(_("candidates (credit codes, sorted)"))
    digest = models.CharField(_("SHA-256 of the candidate list"), max_length=64)
    sample = models.JSONField(_("drawn (credit codes, in draw order)"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("drawn by"))
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)
    public_key = models.UUIDField(_("replay link key"), default=uuid.uuid4, unique=True,
                                  editable=False)

    class Meta:
        verbose_name = _("spot check draw")
        verbose_name_plural = _("spot check draws")

    def __str__(self) -> str:
        return f"{self.cycle} · {self.seed}"


class Verification(models.Model):
    """One institution verified on site in stage 4: why (on the list, an alternate, drawn for
    the spot check), the visit planned (what the institution sees before publication) and the
    verdict with its reason. ``verdict`` is blank until recorded; it changes only with a
    reason (``VerdictChange``). Written only by ``services.reverification``."""

    participant = models.OneToOneField(Participant, on_delete=models.CASCADE,
                                       related_name="verification",
                                       verbose_name=_("institution"))
    kind = models.CharField(_("why verified"), max_length=12,
                            choices=VerificationKind.choices, editable=False)
    planned_on = models.DateField(_("visit planned on"), null=True, blank=True)
    to_prepare = models.TextField(_("what to prepare"), blank=True)
    verdict = models.CharField(_("on-site verdict"), max_length=15,
                               choices=SiteVerdict.choices, blank=True, editable=False)
    reason = models.TextField(_("reason for the verdict"), blank=True, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+", editable=False,
                                   verbose_name=_("verdict recorded by"))
    decided_at = models.DateTimeField(_("verdict recorded at"), null=True, blank=True,
                                      editable=False)
    # Raised by every write: a page saved over a newer verdict is refused (409).
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)

    class Meta:
        ordering = ["participant"]
        verbose_name = _("on-site verification")
        verbose_name_plural = _("on-site verifications")

    def __str__(self) -> str:
        label = VerificationKind(self.kind).label if self.kind else ""  # as ParticipantTier
        return f"{self.participant}：{label}"


class VerdictChange(models.Model):
    """A verdict changed after it was first recorded: from what, to what, why, by whom."""

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE,
                                     related_name="changes",
                                     verbose_name=_("on-site verification"))
    before = models.CharField(_("verdict before"), max_length=15, choices=SiteVerdict.choices)
    after = models.CharField(_("verdict after"), max_length=15, choices=SiteVerdict.choices)
    reason = models.TextField(_("reason for the change"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["verification", "changed_at", "pk"]
        verbose_name = _("verdict change")
        verbose_name_plural = _("verdict changes")

    def __str__(self) -> str:
        return f"{self.verification}：{self.before} → {self.after}"
