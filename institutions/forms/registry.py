from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from ..enums import FilingStatus
from ..models import Cluster, District, Institution
from ..services import INSTITUTION_EDITABLE_FIELDS, STATUS_TRANSITIONS
from ..validators import normalise_credit_code
from .widgets import QuickNumberInput, QuickSelect, QuickTextInput


class InstitutionForm(forms.ModelForm):
    # Longer than the 18 characters stored: codes are often pasted with spaces or hyphens,
    # which clean_credit_code strips before the model's own checks run.
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40)

    class Meta:
        model = Institution
        fields = list(INSTITUTION_EDITABLE_FIELDS)
        widgets = {"filing_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_credit_code(self) -> str:
        return normalise_credit_code(self.cleaned_data["credit_code"])


class InstitutionStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New filing status"))
    effective_on = forms.DateField(label=_("Effective date"),
                                   widget=forms.DateInput(attrs={"type": "date"},
                                                          format="%Y-%m-%d"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)
    confirm = forms.BooleanField(
        label=_("I have checked the institution and the reason; record this change."),
    )

    def __init__(self, *args, institution: Institution, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = STATUS_TRANSITIONS.get(institution.status, frozenset())
        self.fields["to_status"].choices = [
            (value, label) for value, label in FilingStatus.choices if value in allowed
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False


class InstitutionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, widget=QuickTextInput(attrs={
        "placeholder": _("Name, code or contact"), "class": "form-control"}))
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.all(),
                                      required=False, empty_label=_("All districts"),
                                      widget=QuickSelect(attrs={"class": "form-select"}))
    cluster = forms.ModelChoiceField(label=_("Industry cluster"), queryset=Cluster.objects.all(),
                                     required=False, empty_label=_("All clusters"),
                                     widget=QuickSelect(attrs={"class": "form-select"}))
    status = forms.ChoiceField(label=_("Filing status"), required=False,
                               choices=[("", _("All statuses")), *FilingStatus.choices],
                               widget=QuickSelect(attrs={"class": "form-select"}))
    filing_year = forms.IntegerField(label=_("Filing year"), required=False, min_value=2000,
                                     max_value=2100, widget=QuickNumberInput(
                                         attrs={"class": "form-control"}))

    def __init__(self, *args, district_locked: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if district_locked:
            del self.fields["district"]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "district": data["district"].pk if data.get("district") else None,
            "cluster": data["cluster"].pk if data.get("cluster") else None,
            "status": data.get("status") or "",
            "filing_year": data.get("filing_year"),
        }


class RegistryImportForm(forms.Form):
    file = forms.FileField(label=_("Registry workbook (.xlsx)"))
