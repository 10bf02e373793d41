"""The forms of the expert pool (R6a): an expert with its past employers, a suspension, and
the list's filters."""
from __future__ import annotations

import django_filters
from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..enums import ExpertStatus, Role, TitleLevel
from ..models import Cluster, Expert, User
from ..services.pool import EXPERT_EDITABLE_FIELDS, Employment
from ..validators import normalise_credit_code
from .widgets import QuickSelect, QuickTextInput


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExpertForm(forms.ModelForm):
    # Longer than stored: codes are pasted with spaces or hyphens, stripped before the checks.
    employer_credit_code = forms.CharField(label=_("Employer's credit code"), max_length=40)
    clusters = forms.ModelMultipleChoiceField(
        label=_("Clusters it can judge"), queryset=Cluster.objects.all(),
        widget=forms.CheckboxSelectMultiple)
    create_account = forms.BooleanField(
        label=_("Create an expert account (a link to set the password is e-mailed)"),
        required=False)
    user = forms.ModelChoiceField(
        label=_("Or link an existing expert account"), required=False, queryset=User.objects.none())

    class Meta:
        model = Expert
        fields = [*EXPERT_EDITABLE_FIELDS, "clusters"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        if self.instance.pk and self.instance.user_id:
            del self.fields["create_account"], self.fields["user"]
        else:
            self.fields["user"].queryset = User.objects.filter(
                Q(role=Role.EXPERT, expert__isnull=True)).order_by("username")

    def clean_employer_credit_code(self) -> str:
        return normalise_credit_code(self.cleaned_data["employer_credit_code"])

    def clean(self):
        data = super().clean()
        if data.get("create_account") and data.get("user"):
            raise forms.ValidationError(_("Create a new account or link an existing one, not "
                                          "both."))
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in EXPERT_EDITABLE_FIELDS}


class EmploymentForm(forms.Form):
    employer_name = forms.CharField(label=_("Past employer"), max_length=200)
    credit_code = forms.CharField(label=_("Its credit code"), max_length=40)
    started_on = forms.DateField(label=_("From"), required=False, widget=_date_input())
    ended_on = forms.DateField(label=_("Until"), required=False, widget=_date_input())

    def clean_credit_code(self) -> str:
        return normalise_credit_code(self.cleaned_data["credit_code"])


EmploymentFormSet = forms.formset_factory(EmploymentForm, extra=2, can_delete=True,
                                          max_num=20, validate_max=True)


def employments_of(formset) -> list[Employment]:
    """The past employers a valid formset holds (rows left blank or ticked off are none)."""
    return [Employment(**{k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def employment_initial(expert: Expert) -> list[dict]:
    return [{"employer_name": job.employer_name, "credit_code": job.credit_code,
             "started_on": job.started_on, "ended_on": job.ended_on}
            for job in expert.employments.all()]


class ExpertSuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason for suspension"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ExpertFilter(django_filters.FilterSet):
    """The pool list's filters: a search over pool number, name and employer; cluster, title
    level and status."""

    q = django_filters.CharFilter(label=_("Search"), method="search", widget=QuickTextInput(
        attrs={"placeholder": _("Pool number, name or employer"), "class": "form-control"}))
    cluster = django_filters.ModelChoiceFilter(
        label=_("Industry cluster"), field_name="clusters", queryset=Cluster.objects.all(),
        empty_label=_("All clusters"), widget=QuickSelect(attrs={"class": "form-select"}))
    title_level = django_filters.ChoiceFilter(
        label=_("Title level"), choices=TitleLevel.choices, empty_label=_("All levels"),
        widget=QuickSelect(attrs={"class": "form-select"}))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ExpertStatus.choices, empty_label=_("All statuses"),
        widget=QuickSelect(attrs={"class": "form-select"}))

    class Meta:
        model = Expert
        fields = ["q", "cluster", "title_level", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(pool_number__icontains=value) | Q(name__icontains=value)
                               | Q(employer_name__icontains=value))
