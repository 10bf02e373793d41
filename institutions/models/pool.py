"""The city's science-consulting expert pool (市科技咨询专家库, R6a): the experts the panels are
drawn from, with what a draw and a conflict check need to know of them, and no more personal
data than that."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import TITLE_RANK, ExpertStatus, Gender, TitleLevel
from ..validators import validate_credit_code
from .registry import Cluster

# How far back a past employer still makes a conflict (R6a: "now or in the last 3 years").
CONFLICT_YEARS = 3


def conflict_since(on: dt.date) -> dt.date:
    """The first day of the ``CONFLICT_YEARS`` before ``on`` (R6a): a past employment that
    ended on it or later still makes a conflict (28 February for 29 February)."""
    try:
        return on.replace(year=on.year - CONFLICT_YEARS)
    except ValueError:  # 29 February
        return on.replace(year=on.year - CONFLICT_YEARS, day=28)


class Expert(models.Model):
    """One expert of the pool. ``status`` is written only by ``services.pool.expert_suspend``
    and ``expert_reinstate``."""

    pool_number = models.CharField(
        _("pool number"), max_length=20, unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", _("Letters, digits and hyphens only."))])
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    employer_name = models.CharField(_("employer"), max_length=200)
    employer_credit_code = models.CharField(_("employer's credit code"), max_length=18,
                                            validators=[validate_credit_code])
    title = models.CharField(_("professional title"), max_length=50)
    title_level = models.CharField(_("title level"), max_length=20, choices=TitleLevel.choices)
    clusters = models.ManyToManyField(Cluster, related_name="experts",
                                      verbose_name=_("clusters it can judge"))
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("e-mail"))
    status = models.CharField(_("status"), max_length=20, choices=ExpertStatus.choices,
                              default=ExpertStatus.ACTIVE, db_index=True, editable=False)
    suspension_reason = models.TextField(_("reason for suspension"), blank=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="expert", verbose_name=_("account"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["pool_number"]
        verbose_name = _("expert")
        verbose_name_plural = _("experts")

    def __str__(self) -> str:
        return f"{self.name}（{self.pool_number}）"

    @property
    def is_senior(self) -> bool:
        """Holds the title the pool requires for a draw (``EXPERT_MIN_TITLE_LEVEL``)."""
        return TITLE_RANK[self.title_level] >= TITLE_RANK[settings.EXPERT_MIN_TITLE_LEVEL]

    def employer_codes(self, on: dt.date) -> frozenset[str]:
        """The credit codes of its employers now and in the ``CONFLICT_YEARS`` before ``on``
        (R6a), from the employments prefetched or read."""
        since = conflict_since(on)
        past = {job.credit_code for job in self.employments.all()
                if job.ended_on is None or job.ended_on >= since}
        return frozenset({self.employer_credit_code, *past})


class ExpertEmployment(models.Model):
    """A past employer of an expert, with dates: within the last three years it is a conflict
    with that institution (R6a)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="employments",
                               verbose_name=_("expert"))
    employer_name = models.CharField(_("employer"), max_length=200)
    credit_code = models.CharField(_("employer's credit code"), max_length=18,
                                   validators=[validate_credit_code])
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        # The most recent first, on every database (PostgreSQL would put the undated first).
        ordering = [models.F("ended_on").desc(nulls_last=True), "pk"]
        verbose_name = _("past employer")
        verbose_name_plural = _("past employers")

    def __str__(self) -> str:
        return self.employer_name
