"""Forms of the indicator system (Art 6): an indicator, its data fields. They only shape the
request: ``services.indicators`` decides."""
from __future__ import annotations

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.layout import Layout
from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from ..enums import EvidenceType, FieldKind
from ..models import Indicator, IndicatorCategory
from ..services.indicators import FieldChange
from .base import CrispyMixin


def _evidence_types_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Accepted evidence types"), choices=EvidenceType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Accept at least one type of evidence file.")})


class IndicatorForm(CrispyMixin, forms.ModelForm):
    evidence_types = _evidence_types_field()

    class Meta:
        model = Indicator
        fields = ["name", "points", "help_text", "evidence_required", "evidence_types"]
        widgets = {"help_text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["points"].validators.append(MaxValueValidator(100))
        self.fields["points"].widget.attrs.update(min=0, max=100, step="0.5")
        self._helper()
        self.helper.layout = Layout(*[InlineCheckboxes(name) if name == "evidence_types"
                                      else name for name in self.fields])


class IndicatorCreateForm(IndicatorForm):
    category = forms.ModelChoiceField(label=_("Category"),
                                      queryset=IndicatorCategory.objects.none())
    code = forms.CharField(label=_("Code"), max_length=10,
                           help_text=_("For example 4.5: new in this cycle."))

    class Meta(IndicatorForm.Meta):
        fields = ["category", "code", *IndicatorForm.Meta.fields]

    def __init__(self, *args, cycle, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = IndicatorCategory.objects.filter(cycle=cycle)
        self.order_fields(["category", "code", *IndicatorForm.Meta.fields])
        self.helper.layout = Layout(*[InlineCheckboxes(name) if name == "evidence_types"
                                      else name for name in self.fields])


class IndicatorFieldForm(forms.Form):
    """One datum an indicator asks for; the key of an existing one is shown, not edited."""

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    key = forms.SlugField(label=_("Key"), max_length=40, required=False,
                          widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
                          help_text=_("Left blank, one is made up."))
    label = forms.CharField(label=_("Label"), max_length=100,
                            widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    # Initial values equal to what an untouched extra row sends, so that it is left out.
    kind = forms.ChoiceField(label=_("Kind"), choices=FieldKind.choices,
                             initial=FieldKind.AMOUNT,
                             widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    required = forms.BooleanField(label=_("Required"), required=False, initial=True,
                                  widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.initial.get("pk"):
            self.fields["key"].disabled = True


class _BaseFieldFormSet(forms.BaseFormSet):
    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = _("Remove")
        form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not any(change for change in self.changes() if not change.delete):
            raise forms.ValidationError(_("An indicator asks for at least one datum."))

    def changes(self) -> list[FieldChange]:
        """The rows as the service takes them; empty extra rows are left out."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            pk = form.initial.get("pk")
            if pk is None and not form.has_changed():
                continue
            rows.append(FieldChange(pk=pk, key="" if pk else data.get("key", ""),
                                    label=data.get("label", ""), kind=data.get("kind", ""),
                                    required=bool(data.get("required")),
                                    delete=self._should_delete_form(form)))
        return rows


IndicatorFieldFormSet = forms.formset_factory(IndicatorFieldForm, formset=_BaseFieldFormSet,
                                              extra=2, can_delete=True, max_num=30,
                                              validate_max=True)


def field_formset_initial(indicator: Indicator | None) -> list[dict]:
    if indicator is None:
        return []
    return [{"pk": f.pk, "key": f.key, "label": f.label, "kind": f.kind,
             "required": f.required} for f in indicator.fields.all()]
