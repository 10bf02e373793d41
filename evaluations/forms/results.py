"""The forms of the results page (R9): the table's filters and sort (django-filter), and the
justification of failed checks."""
from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from institutions.forms.widgets import QuickSelect, QuickTextInput
from institutions.models import District

from ..enums import PreliminaryGroup, Tier
from ..models import ParticipantTier

_SELECT = {"class": "form-select"}

# The table's sortable columns: the ``o`` parameter's value → what it orders by.
SORTS = {
    "name": "participant__institution__name",
    "code": "participant__institution__credit_code",
    "district": "participant__district_review__district__sort_order",
    "group": "participant__group",
    "rank": "participant__rank",
    "score": "participant__panel_result__score",
    "tier": "tier_order",
}


class TierFilter(django_filters.FilterSet):
    """The participants' table: a search over name and credit code; tier, district and
    preliminary group; and the column to sort by (``o``, a leading ``-`` for descending)."""

    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=100,
                                  widget=QuickTextInput(attrs={
                                      "placeholder": _("Name or unified social credit code"),
                                      "class": "form-control", "type": "search"}))
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=Tier.choices,
                                       empty_label=_("All tiers"),
                                       widget=QuickSelect(attrs=_SELECT))
    district = django_filters.ModelChoiceFilter(
        label=_("District"), field_name="participant__district_review__district",
        queryset=District.objects.all(), empty_label=_("All districts"),
        widget=QuickSelect(attrs=_SELECT))
    group = django_filters.ChoiceFilter(label=_("Preliminary group"),
                                        field_name="participant__group",
                                        choices=PreliminaryGroup.choices,
                                        empty_label=_("All groups"),
                                        widget=QuickSelect(attrs=_SELECT))
    o = django_filters.OrderingFilter(fields=[(path, key) for key, path in SORTS.items()],
                                      label=_("Sort by"), widget=forms.HiddenInput)

    class Meta:
        model = ParticipantTier
        fields = ["q", "tier", "district", "group"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(participant__institution__name__icontains=value)
                               | Q(participant__institution__credit_code__icontains=value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A sort keeps a stable order among equal values (and pages that do not overlap).
        if self.form.cleaned_data.get("o"):
            queryset = queryset.order_by(*queryset.query.order_by, "pk")
        return queryset


class JustificationForm(forms.Form):
    text = forms.CharField(label=_("Justification of the failed checks"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))
