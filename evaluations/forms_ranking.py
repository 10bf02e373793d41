"""Forms of the ranking, summary and decision pages (Art 10; R4). They only shape the request:
the services in ``services.preliminary`` decide."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

REASON_MAX_LENGTH = 2000


class RankingForm(forms.Form):
    """The whole ranking as the page posts it: ``order`` (every participant id, best first,
    one hidden input per row so that the rows carry their own place), ``reason-<id>``,
    ``tie-<id>``, the ``revision`` the page was loaded with, and for the page without
    JavaScript the ``move`` button that was pressed (``"<id>:up"`` or ``"<id>:down"``)."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    order = forms.TypedMultipleChoiceField(coerce=int, widget=forms.MultipleHiddenInput)
    move = forms.RegexField(regex=r"^\d+:(up|down)$", required=False)

    def __init__(self, *args, participant_ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.participant_ids = list(participant_ids)
        self.fields["order"].choices = [(pid, pid) for pid in self.participant_ids]
        for pid in self.participant_ids:
            self.fields[f"reason-{pid}"] = forms.CharField(
                required=False, max_length=REASON_MAX_LENGTH, strip=True)
            self.fields[f"tie-{pid}"] = forms.BooleanField(required=False)

    def clean_order(self) -> list[int]:
        order = self.cleaned_data["order"]
        if len(order) != len(set(order)) or set(order) != set(self.participant_ids):
            raise forms.ValidationError(_("The ranking must list every participant of the "
                                          "district exactly once; reload the page."))
        return order

    def reasons(self) -> dict[int, str]:
        return {pid: self.cleaned_data.get(f"reason-{pid}") or ""
                for pid in self.participant_ids}

    def tie_confirmed(self) -> set[int]:
        return {pid for pid in self.participant_ids if self.cleaned_data.get(f"tie-{pid}")}

    def moved_order(self) -> list[int]:
        """The posted order with the pressed move applied (the page without JavaScript)."""
        order = list(self.cleaned_data["order"])
        raw = self.cleaned_data.get("move")
        if not raw:
            return order
        pid_text, direction = raw.split(":")
        pid = int(pid_text)
        if pid not in order:
            return order
        k = order.index(pid)
        j = k - 1 if direction == "up" else k + 1
        if 0 <= j < len(order):
            order[k], order[j] = order[j], order[k]
        return order


class SummaryScanForm(forms.Form):
    scan = forms.FileField(label=_("Stamped scan of the summary"),
                           widget=forms.ClearableFileInput(attrs={
                               "accept": ".pdf,.jpg,.jpeg,.png", "class": "form-control"}))


class DistrictReviewSubmitForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm that the stamped summary is final. Submitting locks the district's "
                "results until the city returns them."),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class DistrictReviewAcceptForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have checked the summary and its stamped scan. Accepting fixes the "
                "district's results for the preliminary review."),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class DistrictReviewReturnForm(forms.Form):
    reason = forms.CharField(label=_("Why the summary is returned"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 4}))
