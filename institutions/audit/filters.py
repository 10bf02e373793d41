"""The filters of the audit page (django-filter): record type, action, cycle, district,
institution, actor, date range and the record's name.

Every filter validates what it is sent: a value that is not one of its choices, not a date or
too long is an error shown beside the filter, and that filter alone is left out (django-filter
filters with the form's ``cleaned_data``, which holds the valid values only). The choices
are the user's own: the record types of its audience; the district filter for the city only
(a district sees its own), the institution filter not for an institution.
"""
from __future__ import annotations

import django_filters
from auditlog.models import LogEntry
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..models import District
from ..rules import is_city_admin, is_institution_admin
from .actions import AuditAction, action_q
from .selectors import audit_entries_for_user, audit_record_types_for_user

TEXT_MAX = 100
_SELECT = {"class": "form-select"}
_TEXT = {"class": "form-control"}


def _cycles():
    from evaluations.models import Cycle

    return Cycle.objects.order_by("-year")


class AuditLogFilter(django_filters.FilterSet):
    model = django_filters.ChoiceFilter(field_name="content_type_id", label=_("Record type"),
                                        empty_label=_("All"),
                                        widget=forms.Select(attrs=_SELECT))
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, method="filter_action",
                                         label=_("Action"), empty_label=_("All"),
                                         widget=forms.Select(attrs=_SELECT))
    cycle = django_filters.ModelChoiceFilter(queryset=lambda request: _cycles(),
                                             field_name="scope__cycle",
                                             label=_("Evaluation cycle"), empty_label=_("All"),
                                             widget=forms.Select(attrs=_SELECT))
    district = django_filters.ModelChoiceFilter(queryset=District.objects.all(),
                                                field_name="scope__district",
                                                label=_("District"), empty_label=_("All"),
                                                widget=forms.Select(attrs=_SELECT))
    institution = django_filters.CharFilter(
        method="filter_institution", label=_("Institution"), max_length=TEXT_MAX,
        help_text=_("Name or unified social credit code"),
        widget=forms.TextInput(attrs={**_TEXT, "type": "search"}))
    actor = django_filters.CharFilter(method="filter_actor", label=_("Who"),
                                      max_length=TEXT_MAX,
                                      help_text=_("Account or full name"),
                                      widget=forms.TextInput(attrs={**_TEXT, "type": "search"}))
    date_from = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte",
                                          label=_("Date from"),
                                          widget=forms.DateInput(attrs={**_TEXT, "type": "date"},
                                                                 format="%Y-%m-%d"))
    date_to = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte",
                                        label=_("Date to"),
                                        widget=forms.DateInput(attrs={**_TEXT, "type": "date"},
                                                                 format="%Y-%m-%d"))
    q = django_filters.CharFilter(field_name="object_repr", lookup_expr="icontains",
                                  label=_("Record"), max_length=TEXT_MAX,
                                  widget=forms.TextInput(attrs={**_TEXT, "type": "search"}))

    class Meta:
        model = LogEntry
        fields: list[str] = []

    def __init__(self, data=None, *, user, request=None, **kwargs):
        super().__init__(data, queryset=audit_entries_for_user(user), request=request, **kwargs)
        self.filters["model"].extra["choices"] = audit_record_types_for_user(user)
        if not is_city_admin(user):
            del self.filters["district"]
        if is_institution_admin(user):
            del self.filters["institution"]

    def filter_action(self, queryset, name, value):
        return queryset.filter(action_q(value)) if value else queryset

    def filter_institution(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(scope__institution__name__icontains=value)
                               | Q(scope__institution__credit_code=value.upper()))

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(actor__username__icontains=value)
                               | Q(actor__full_name__icontains=value))
