"""Forms of the cycle pages: creating a cycle, its stage dates, the confirmations of status
changes and deadline extensions."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import STAGES, CycleStatus
from ..models import CycleStage
from .base import CrispyMixin, FormTokenForm, date_input


class CycleCreateForm(CrispyMixin, forms.Form):
    year = forms.IntegerField(label=_("Evaluation year"), min_value=2000, max_value=2100,
                              help_text=_("The cycle evaluates the two calendar years before "
                                          "it."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class CycleScheduleForm(CrispyMixin, forms.Form):
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
                                    required=False, widget=date_input(), disabled=locked)
            closes = forms.DateField(label=_("%(stage)s: closes on") % {"stage": name},
                                     required=False, widget=date_input(), disabled=locked)
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


class ConfirmForm(CrispyMixin, forms.Form):
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


class ExtensionForm(CrispyMixin, FormTokenForm):
    new_deadline = forms.DateField(label=_("New deadline"), widget=date_input())
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, submission, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        later = max(submission.deadline, timezone.localdate()) + dt.timedelta(days=1)
        self.fields["new_deadline"].widget.attrs["min"] = later.isoformat()
        self._helper()
