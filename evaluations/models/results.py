"""The results of a cycle (Art 7, R9): every participant's tier with the chain of facts that
produced it, and everything the computation read (the rule version, the seeds, the inputs), so
that the same results can be computed again at any later time and compared.

Computed only by ``services.results`` through ``scoring``'s functions (the ones
``simulate_cycle`` uses); nothing else decides a tier."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import Tier
from .cycles import Cycle
from .preliminary import Participant


class CycleResults(models.Model):
    """One computation of a cycle's results. ``inputs`` holds the participants as ``scoring``
    received them (``scoring.Participant`` fields), ``params`` the policy parameters,
    ``seeds`` the seeds (the spot check's), ``quotas`` N, E, G, K, F, S, and ``checks`` R9's
    checks; a failed check needs ``justification`` before the cycle moves on."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="results",
                                 verbose_name=_("evaluation cycle"))
    rule_version = models.CharField(_("rule version"), max_length=100)
    params = models.JSONField(_("policy parameters"))
    seeds = models.JSONField(_("seeds"), default=dict)
    inputs = models.JSONField(_("inputs"))
    quotas = models.JSONField(_("quotas"))
    checks = models.JSONField(_("publication checks"))
    digest = models.CharField(_("SHA-256 of the inputs and results"), max_length=64)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("computed by"))
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)
    justification = models.TextField(_("justification of the failed checks"), blank=True,
                                     editable=False)
    justified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+", editable=False,
                                     verbose_name=_("justified by"))
    justified_at = models.DateTimeField(_("justified at"), null=True, blank=True,
                                        editable=False)

    class Meta:
        verbose_name = _("cycle results")
        verbose_name_plural = _("cycle results")

    def __str__(self) -> str:
        return str(self.cycle)


class ParticipantTier(models.Model):
    """A participant's tier and its explanation: a list of steps, each ``{"step": code,
    ...facts}`` (the codes of ``scoring.explain``), shown in the user's language."""

    results = models.ForeignKey(CycleResults, on_delete=models.CASCADE, related_name="tiers",
                                verbose_name=_("cycle results"))
    participant = models.OneToOneField(Participant, on_delete=models.CASCADE,
                                       related_name="tier", verbose_name=_("institution"))
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, db_index=True)
    explanation = models.JSONField(_("explanation"))

    class Meta:
        ordering = ["results", "participant"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        # The label of its value, not get_tier_display(): that hashes every lazy label of the
        # choices, which the audit pays for each of 20,000 tiers computed at once.
        return f"{self.participant}：{Tier(self.tier).label if self.tier else ''}"
