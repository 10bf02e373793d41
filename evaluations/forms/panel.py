"""The forms of stage 3, the panel review (R6a)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from institutions.enums import ClusterGroup

from .base import CrispyMixin

L, E, D = ClusterGroup.LEADING, ClusterGroup.EMERGING, ClusterGroup.DISTINCTIVE

# Every way a group may be split into panels so that each category is in exactly one (R6a).
LAYOUTS = {
    "whole": [[]],
    "three": [[L], [E], [D]],
    "leading": [[L], [E, D]],
    "emerging": [[E], [L, D]],
    "distinctive": [[D], [L, E]],
}


class PanelSplitForm(CrispyMixin, forms.Form):
    layout = forms.ChoiceField(label=_("Panels of the group"), widget=forms.RadioSelect,
                               choices=[
                                   ("whole", _("One panel for the whole group")),
                                   ("three", _("Three panels: leading, emerging, distinctive")),
                                   ("leading", _("Two panels: leading / emerging and "
                                                 "distinctive")),
                                   ("emerging", _("Two panels: emerging / leading and "
                                                  "distinctive")),
                                   ("distinctive", _("Two panels: distinctive / leading and "
                                                     "emerging")),
                               ])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()

    def splits(self) -> list[list[str]]:
        return LAYOUTS[self.cleaned_data["layout"]]


class PanelWidenForm(CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for drawing from the whole pool"),
                             max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class PanelDrawForm(CrispyMixin, forms.Form):
    seed = forms.CharField(
        label=_("Seed (optional)"), required=False, max_length=64,
        help_text=_("Leave empty and the system draws a seed from a secure random source at "
                    "the moment of the draw; or type the seed agreed beforehand."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class SeatAcceptForm(CrispyMixin, forms.Form):
    """Accepting an invitation: the declaration of no conflict of interest with the panel's
    institutions other than those ticked (R6a)."""

    conflicts = forms.MultipleChoiceField(
        label=_("I have a conflict of interest with"), required=False,
        widget=forms.CheckboxSelectMultiple)
    conflict_reason = forms.CharField(label=_("The conflict, in a few words"), required=False,
                                      max_length=500)
    pledge = forms.BooleanField(label=_(
        "I declare that I have no conflict of interest with the panel's institutions other "
        "than those ticked above, and will keep the reports I read confidential."))

    def __init__(self, *args, institutions: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conflicts"].choices = [(str(pk), name) for pk, name in institutions]
        self._helper()

    def clean(self):
        data = super().clean()
        if data.get("conflicts") and not (data.get("conflict_reason") or "").strip():
            self.add_error("conflict_reason", _("Say what the conflict is."))
        return data

    def declared(self) -> list[tuple[int, str]]:
        reason = self.cleaned_data.get("conflict_reason") or ""
        return [(int(pk), reason) for pk in self.cleaned_data.get("conflicts") or []]


class SeatDeclineForm(CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class SupplementaryDrawForm(CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for the supplementary draw"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
    seed = forms.CharField(label=_("Seed (optional)"), required=False, max_length=64)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class ConflictDeclareForm(CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("The conflict, in a few words"), max_length=500)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class ConflictRecordForm(CrispyMixin, forms.Form):
    """The organiser records a conflict of a drawn expert with an institution of its panel."""

    seat = forms.TypedChoiceField(label=_("Expert"), coerce=int)
    participant = forms.TypedChoiceField(label=_("Institution"), coerce=int)
    reason = forms.CharField(label=_("The conflict, in a few words"), max_length=500)

    def __init__(self, *args, seats, institutions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seat"].choices = [(s.pk, str(s.expert)) for s in seats]
        self.fields["participant"].choices = institutions
        self._helper()


# --- The organiser's console (R6) ---------------------------------------------------------------

class FailCountForm(forms.Form):
    chosen = forms.IntegerField(label=_("Number of unqualified institutions"),
                                min_value=0)


class ReopenForm(forms.Form):
    score = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for reopening"), max_length=2000)


class TiebreakForm(forms.Form):
    """The places (1 = the best) of institutions with equal panel scores, one field
    ``place-<participant id>`` each, and the reason."""

    reason = forms.CharField(label=_("Reason for this order"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, participants: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for pk in participants:
            self.fields[f"place-{pk}"] = forms.IntegerField(min_value=1,
                                                            max_value=len(participants))

    def order(self) -> list[int]:
        places = {int(name[len("place-"):]): value for name, value in self.cleaned_data.items()
                  if name.startswith("place-")}
        return sorted(places, key=places.get)

    def clean(self):
        data = super().clean()
        places = [v for k, v in data.items() if k.startswith("place-")]
        if len(set(places)) != len(places):
            raise forms.ValidationError(_("Put each institution with an equal panel score in "
                                          "its own place."))
        return data


class ResultTableScanForm(forms.Form):
    scan = forms.FileField(label=_("Signed scan of the result table"),
                           widget=forms.ClearableFileInput(attrs={
                               "accept": ".pdf,.jpg,.jpeg,.png", "class": "form-control"}))
