"""The indicator system of a cycle (Art 6, 8): categories, indicators and the typed data each
indicator asks for. Copied from the default template when a cycle is created."""
from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import EvidenceType, FieldKind
from .cycles import Cycle


def _all_evidence_types() -> list[str]:
    return list(EvidenceType.values)


class IndicatorCategory(models.Model):
    """One of the eight categories of Art 6 (团队建设, 研发支出, …)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="categories",
                              verbose_name=_("evaluation cycle"))
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["cycle", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["cycle", "code"],
                                               name="category_code_unique_in_cycle")]
        verbose_name = _("indicator category")
        verbose_name_plural = _("indicator categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Indicator(models.Model):
    """A sub-indicator: its points, a help text, the data it asks for and its evidence."""

    category = models.ForeignKey(IndicatorCategory, on_delete=models.CASCADE,
                                 related_name="indicators", verbose_name=_("category"))
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=200)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2,
                                 validators=[MinValueValidator(0)])
    help_text = models.TextField(_("help text"), blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=True)
    evidence_types = models.JSONField(_("accepted evidence types"), default=_all_evidence_types)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["category__order", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IndicatorField(models.Model):
    """One typed datum an indicator asks for, for each of the years Y−2 and Y−1."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="fields",
                                  verbose_name=_("indicator"))
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices)
    required = models.BooleanField(_("required"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["indicator", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["indicator", "key"],
                                               name="field_key_unique_in_indicator")]
        verbose_name = _("indicator field")
        verbose_name_plural = _("indicator fields")

    def __str__(self) -> str:
        return self.label
