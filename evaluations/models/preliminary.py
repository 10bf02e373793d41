"""Stage 2, the district's preliminary review (Art 10): each district's review and ranking,
each participant's preliminary score, rank and group, the reviewer's verdict on every claim,
the saved rankings and the district's stamped summary.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import ClaimVerdict, DistrictReviewStatus, PreliminaryGroup
from .cycles import Cycle
from .files import GeneratedPdf
from .indicators import Indicator
from .self_evaluation import Submission


class DistrictReview(models.Model):
    """One district's preliminary review in a cycle: its ranking and its summary to the city.

    Created, with its participants, when the preliminary review opens. ``status`` is written
    only by ``services.preliminary.district_review_transition``; ``revision`` counts the saved
    rankings, so a second reviewer's save made from an older page is refused.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="district_reviews",
                              verbose_name=_("evaluation cycle"))
    district = models.ForeignKey("institutions.District", on_delete=models.PROTECT,
                                 related_name="reviews", verbose_name=_("district"))
    status = models.CharField(_("status"), max_length=20, choices=DistrictReviewStatus.choices,
                              default=DistrictReviewStatus.NOT_STARTED, editable=False,
                              db_index=True)
    revision = models.PositiveIntegerField(_("ranking revision"), default=0, editable=False)
    ranking_saved_at = models.DateTimeField(_("ranking saved at"), null=True, blank=True,
                                            editable=False)
    ranking_saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="+",
                                         editable=False)
    summary = models.ForeignKey("DistrictSummaryFile", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", editable=False,
                                verbose_name=_("submitted summary"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True,
                                        editable=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+", editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+", editable=False)
    return_reason = models.TextField(_("reason for returning"), blank=True, editable=False)

    class Meta:
        ordering = ["cycle", "district__sort_order"]
        constraints = [models.UniqueConstraint(fields=["cycle", "district"],
                                               name="one_review_per_district_cycle")]
        verbose_name = _("district preliminary review")
        verbose_name_plural = _("district preliminary reviews")

    def __str__(self) -> str:
        return f"{self.cycle} · {self.district}"

    @property
    def is_locked(self) -> bool:
        """Submitted or accepted: the district's results cannot change (Art 10)."""
        return self.status in (DistrictReviewStatus.SUBMITTED, DistrictReviewStatus.ACCEPTED)


class Participant(models.Model):
    """An institution that submitted its self-evaluation (a participant, R2) as the district
    reviews it: the preliminary score (R3), its place in the district's ranking and its group
    (R4), and whether a fraud finding was confirmed (R8).

    ``score`` is the sum the services keep up to date from the claims; ``group`` follows the
    rank on every saved ranking and is fixed when the stage closes.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participants",
                              verbose_name=_("evaluation cycle"))
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE,
                                      related_name="participant",
                                      verbose_name=_("self-evaluation"))
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT,
                                    related_name="participations",
                                    verbose_name=_("institution"))
    district_review = models.ForeignKey(DistrictReview, on_delete=models.CASCADE,
                                        related_name="participants",
                                        verbose_name=_("district preliminary review"))
    score = models.DecimalField(_("preliminary score"), max_digits=6, decimal_places=2,
                                null=True, blank=True, editable=False)
    reviewed = models.PositiveSmallIntegerField(_("claims reviewed"), default=0,
                                                editable=False)
    comment = models.TextField(_("reviewer's opinion"), blank=True)
    comment_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+", editable=False,
                                   verbose_name=_("opinion written by"))
    comment_at = models.DateTimeField(_("opinion written at"), null=True, blank=True,
                                      editable=False)
    rank = models.PositiveIntegerField(_("district rank"), null=True, blank=True,
                                       editable=False)
    rank_reason = models.TextField(_("reason for the place"), blank=True, editable=False)
    tie_confirmed = models.BooleanField(_("order among equal scores confirmed"), default=False,
                                        editable=False)
    group = models.CharField(_("preliminary group"), max_length=1,
                             choices=PreliminaryGroup.choices, blank=True, editable=False)
    fraud_confirmed_at = models.DateTimeField(_("fraud confirmed at"), null=True, blank=True,
                                              editable=False)

    class Meta:
        ordering = ["district_review", "rank", "-score", "pk"]
        indexes = [models.Index(fields=["district_review", "rank"])]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        # As its submission reads (the same cycle and institution), from its own keys: one
        # row fewer to read where thousands are named at once (the results' audit entries).
        return f"{self.cycle} · {self.institution}"


class ClaimReview(models.Model):
    """The reviewer's verdict on one indicator's claim (R3: not supported → not scored) with a
    comment and a score from 0 to the indicator's points. ``revision`` guards against two
    reviewers overwriting each other."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="claims", verbose_name=_("participant"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("indicator"))
    verdict = models.CharField(_("verdict"), max_length=20, choices=ClaimVerdict.choices,
                               blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True,
                                blank=True)
    comment = models.TextField(_("comment"), blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+", editable=False)

    class Meta:
        ordering = ["participant", "indicator__category__order", "indicator__order"]
        constraints = [models.UniqueConstraint(fields=["participant", "indicator"],
                                               name="one_claim_review_per_indicator")]
        verbose_name = _("claim review")
        verbose_name_plural = _("claim reviews")

    def __str__(self) -> str:
        return f"{self.participant} · {self.indicator.code}"


class RankingRevision(models.Model):
    """Every saved ranking of a district: the order (participant ids, best first), the
    reasons and who saved it, so a refused save can say what changed and by whom."""

    district_review = models.ForeignKey(DistrictReview, on_delete=models.CASCADE,
                                        related_name="rankings",
                                        verbose_name=_("district preliminary review"))
    number = models.PositiveIntegerField(_("revision"))
    order = models.JSONField(_("order"))
    reasons = models.JSONField(_("reasons"), default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("saved by"))
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        ordering = ["district_review", "number"]
        constraints = [models.UniqueConstraint(fields=["district_review", "number"],
                                               name="ranking_revision_unique")]
        verbose_name = _("saved ranking")
        verbose_name_plural = _("saved rankings")

    def __str__(self) -> str:
        return f"{self.district_review} r{self.number}"


class DistrictSummaryFile(GeneratedPdf):
    """The district's summary (Art 10) as a PDF with a document number and space for the seal,
    and the stamped scan the district uploads of it."""

    district_review = models.ForeignKey(DistrictReview, on_delete=models.CASCADE,
                                        related_name="summaries",
                                        verbose_name=_("district preliminary review"))
    document_number = models.CharField(_("document number"), max_length=60)

    class Meta(GeneratedPdf.Meta):
        verbose_name = _("district summary")
        verbose_name_plural = _("district summaries")

    def __str__(self) -> str:
        return self.document_number
