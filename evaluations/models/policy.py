"""Policy versions (R13): the parameters of every rule with the date they take effect."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring import PolicyParams

_PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class PolicyVersion(models.Model):
    """Every parameter of rules.md R13 with the date it takes effect. A cycle is pinned to the
    version in force when it opens; a version used by a cycle can no longer be edited."""

    name = models.CharField(_("name"), max_length=100)
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    effective_date = models.DateField(_("effective date"), unique=True)
    notes = models.TextField(_("notes"), blank=True)
    # R4: the preliminary groups A / B / C as shares of a district's participants.
    share_a = models.PositiveSmallIntegerField(_("group A share (%)"), default=50,
                                               validators=_PERCENT)
    share_b = models.PositiveSmallIntegerField(_("group B share (%)"), default=40,
                                               validators=_PERCENT)
    share_c = models.PositiveSmallIntegerField(_("group C share (%)"), default=10,
                                               validators=_PERCENT)
    excellent_share = models.PositiveSmallIntegerField(_("excellent share (%)"), default=10,
                                                       validators=_PERCENT)
    good_share = models.PositiveSmallIntegerField(_("good share (%)"), default=25,
                                                  validators=_PERCENT)
    top_tier_cap = models.PositiveIntegerField(_("cap on excellent + good"), default=30)
    fail_min_share = models.PositiveSmallIntegerField(_("minimum unqualified share (%)"),
                                                      default=3, validators=_PERCENT)
    spot_check_share = models.PositiveSmallIntegerField(_("spot-check share (%)"), default=3,
                                                        validators=_PERCENT)
    trim_from_scores = models.PositiveSmallIntegerField(
        _("trim highest and lowest from this many scores"), default=5,
        validators=[MinValueValidator(3)])
    notice_working_days = models.PositiveSmallIntegerField(_("notice period (working days)"),
                                                           default=5,
                                                           validators=[MinValueValidator(1)])
    reward_cap_yuan = models.PositiveIntegerField(_("reward cap (yuan)"), default=5_000_000)
    cohort_min_age_years = models.PositiveSmallIntegerField(
        _("years between filing and first evaluation"), default=2)
    panel_size = models.PositiveSmallIntegerField(_("experts drawn per panel"), default=7,
                                                  validators=[MinValueValidator(1)])
    panel_alternates = models.PositiveSmallIntegerField(_("alternates drawn per panel"),
                                                        default=2)
    min_panel_scores = models.PositiveSmallIntegerField(
        _("expert scores an institution needs"), default=5, validators=[MinValueValidator(1)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    PARAMETER_FIELDS = (
        "share_a", "share_b", "share_c", "excellent_share", "good_share", "top_tier_cap",
        "fail_min_share", "spot_check_share", "trim_from_scores", "notice_working_days",
        "reward_cap_yuan", "cohort_min_age_years", "panel_size", "panel_alternates",
        "min_panel_scores",
    )

    class Meta:
        ordering = ["-effective_date"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_date:%Y-%m-%d}）"

    def clean(self) -> None:
        super().clean()
        if (self.share_a or 0) + (self.share_b or 0) + (self.share_c or 0) != 100:
            raise ValidationError(_("The group shares A + B + C must add up to 100."))

    @property
    def is_in_use(self) -> bool:
        return self.cycles.exists()

    def as_params(self) -> PolicyParams:
        """The plain-value parameters the pure rules of ``scoring`` take."""
        return PolicyParams(
            district_shares=(self.share_a, self.share_b, self.share_c),
            excellent_share=self.excellent_share,
            good_share=self.good_share,
            top_tier_cap=self.top_tier_cap,
            fail_min_share=self.fail_min_share,
            spot_check_share=self.spot_check_share,
            trim_from_scores=self.trim_from_scores,
            notice_working_days=self.notice_working_days,
            reward_cap_yuan=self.reward_cap_yuan,
            cohort_min_age_years=self.cohort_min_age_years,
            panel_size=self.panel_size,
            panel_alternates=self.panel_alternates,
            min_panel_scores=self.min_panel_scores,
        )
