"""Forms of the cycle pages: creating a cycle, its stage dates, the confirmations of status
changes, the indicator system and deadline extensions."""
from __future__ import annotations

import datetime as dt

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import STAGES, CycleStatus, EvidenceType, FieldKind
from .models import CycleStage, Indicator, IndicatorCategory
from .services.indicators import FieldChange


def _date_input() -> forms.DateInput:
    # A plain DateInput renders a localised date that <input type=date> rejects.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _CrispyMixin:
    def _helper(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False


class CycleCreateForm(_CrispyMixin, forms.Form):
    year = forms.IntegerField(label=_("Evaluation year"), min_value=2000, max_value=2100,
                              help_text=_("The cycle evaluates the two calendar years before "
                                          "it."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class CycleScheduleForm(_CrispyMixin, forms.Form):
    """The planned opening and closing dates of the five stages (Art 8). A stage that is over
    keeps its dates; a stage without dates stays unscheduled."""

    def __init__(self, *args, cycle, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.rows = {row.stage: row for row in cycle.stages.all()}
        self.stage_fields = []
        for stage in STAGES:
            row = self.rows.get(stage)
            # The running stage can move its dates (an extension for all); one that is over
            # cannot.
            locked = row is not None and (row.is_closed or (
                row.opened_at is not None and stage != cycle.status))
            name = CycleStatus(stage).label
            opens = forms.DateField(label=_("%(stage)s: opens on") % {"stage": name},
                                    required=False, widget=_date_input(), disabled=locked)
            closes = forms.DateField(label=_("%(stage)s: closes on") % {"stage": name},
                                     required=False, widget=_date_input(), disabled=locked)
            for field in (opens, closes):
                field.widget.attrs["class"] = "form-control"
            if row is not None:
                opens.initial, closes.initial = row.opens_on, row.closes_on
            self.fields[f"{stage}_opens_on"] = opens
            self.fields[f"{stage}_closes_on"] = closes
            self.stage_fields.append((CycleStatus(stage), (self[f"{stage}_opens_on"],
                                                           self[f"{stage}_closes_on"]),
                                      row, locked))

    def clean(self):
        cleaned = super().clean()
        for stage in STAGES:
            opens, closes = cleaned.get(f"{stage}_opens_on"), cleaned.get(f"{stage}_closes_on")
            if (opens is None) != (closes is None):
                missing = f"{stage}_opens_on" if opens is None else f"{stage}_closes_on"
                if missing not in self.errors:
                    self.add_error(missing, _("Give both dates of the stage, or neither."))
            elif opens is None and stage in self.rows:
                self.add_error(f"{stage}_opens_on",
                               _("A scheduled stage keeps its dates; change them instead."))
            elif opens is not None and closes < opens:
                self.add_error(f"{stage}_closes_on", _("A stage cannot close before it opens."))
        return cleaned

    def changed_dates(self) -> dict[str, tuple[dt.date, dt.date]]:
        """The stages whose dates are new or changed."""
        changed = {}
        for stage in STAGES:
            field = self.fields[f"{stage}_opens_on"]
            opens = self.cleaned_data.get(f"{stage}_opens_on")
            closes = self.cleaned_data.get(f"{stage}_closes_on")
            if field.disabled or opens is None:
                continue
            row: CycleStage | None = self.rows.get(stage)
            if row is None or (row.opens_on, row.closes_on) != (opens, closes):
                changed[stage] = (opens, closes)
        return changed


class ConfirmForm(_CrispyMixin, forms.Form):
    """An explicit confirmation of an action that cannot be undone."""

    confirm = forms.BooleanField(label=_("I have checked the above; go ahead."),
                                 error_messages={"required": _("Tick the box to confirm.")})

    def __init__(self, *args, label: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["confirm"].label = label
        self._helper()


class CycleTransitionForm(ConfirmForm):
    """The move the page showed: if the cycle moved meanwhile, the service refuses it."""

    to_status = forms.ChoiceField(choices=CycleStatus.choices, widget=forms.HiddenInput)

    field_order = ["to_status", "confirm"]


def _evidence_types_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Accepted evidence types"), choices=EvidenceType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Accept at least one type of evidence file.")})


class IndicatorForm(_CrispyMixin, forms.ModelForm):
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


class ExtensionForm(_CrispyMixin, forms.Form):
    new_deadline = forms.DateField(label=_("New deadline"), widget=_date_input())
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, submission, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        later = max(submission.deadline, timezone.localdate()) + dt.timedelta(days=1)
        self.fields["new_deadline"].widget.attrs["min"] = later.isoformat()
        self._helper()
