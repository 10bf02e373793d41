"""Forms of the district's preliminary review (Art 9, 10; R3, R4): the verdict on a claim, the
overall opinion, a site visit, the ranking, the summary scan and the decisions on it. They
only shape the request: the services decide (a score out of range, a missing reason or a
locked review is their refusal, with their sentence)."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..enums import ClaimVerdict
from ..models import ClaimReview, Indicator
from .base import FormTokenForm, OptionalMultipleFileField


class ClaimReviewForm(forms.Form):
    """The reviewer's verdict on one indicator's claim, with the revision the page was loaded
    at (a save from an older page is refused, never written over the newer one).

    The score stays a string: a mistyped score comes back to the reviewer exactly as typed,
    with the service's reason."""

    verdict = forms.ChoiceField(label=_("Verdict"), choices=ClaimVerdict.choices,
                                required=False, widget=forms.RadioSelect)
    score = forms.CharField(label=_("Score"), required=False, max_length=20)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, indicator: Indicator, claim: ClaimReview | None,
                 **kwargs) -> None:
        # One form per indicator on the page: the prefix keeps names and ids apart.
        kwargs.setdefault("prefix", f"claim-{indicator.pk}")
        kwargs.setdefault("initial", self.initial_for(claim))
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        self.fields["score"].widget = forms.NumberInput(attrs={
            "min": 0, "max": indicator.points, "step": "0.01", "inputmode": "decimal",
            "class": "form-control", "data-claim-score": ""})
        self.fields["verdict"].widget.attrs.update({"class": "form-check-input",
                                                    "data-claim-verdict": ""})
        self.fields["comment"].widget.attrs.update({"class": "form-control"})

    @staticmethod
    def initial_for(claim: ClaimReview | None) -> dict:
        if claim is None:
            return {"revision": 0}
        return {"verdict": claim.verdict, "comment": claim.comment, "revision": claim.revision,
                "score": "" if claim.score is None else claim.score}

    @property
    def not_supported(self) -> bool:
        """The verdict shown (posted or stored) is "not supported": the score is ignored."""
        return self["verdict"].value() == ClaimVerdict.NOT_SUPPORTED

    def service_values(self) -> dict:
        """What ``claim_review_save`` takes. R3: a claim not supported scores nothing, so
        whatever is in the (disabled) score box is ignored rather than checked."""
        verdict = self.cleaned_data["verdict"]
        score = "" if verdict == ClaimVerdict.NOT_SUPPORTED else self.cleaned_data["score"]
        return {"verdict": verdict, "score": score, "comment": self.cleaned_data["comment"],
                "revision": self.cleaned_data["revision"]}


class ParticipantCommentForm(forms.Form):
    """The reviewer's overall opinion of the report (printed in the district's summary)."""

    comment = forms.CharField(label=_("Overall opinion"), required=False, max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))
    # The opinion as the page showed it: a save over someone else's newer text is refused.
    loaded = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)


class SiteVisitForm(FormTokenForm):
    """A site visit (实地考察): when, who went, what they found, photos or documents."""

    visited_on = forms.DateField(label=_("Date of the visit"),
                                 widget=forms.DateInput(attrs={"type": "date"},
                                                        format="%Y-%m-%d"))
    visitors = forms.CharField(label=_("Visitors"), max_length=200,
                               help_text=_("Names of the people who went, separated by "
                                           "commas."))
    findings = forms.CharField(label=_("Findings"), max_length=20000,
                               widget=forms.Textarea(attrs={"rows": 6}))
    files = OptionalMultipleFileField(
        label=_("Photos or documents"), required=False,
        help_text=_("PDF, JPEG, PNG, Word or Excel, judged by the content; several at once "
                    "are fine."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update({"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"})
        self.helper = FormHelper()
        self.helper.form_tag = False


# --- The ranking, the summary and the decisions on it (Art 10; R4) ---------------------------

REASON_MAX_LENGTH = 2000
# Besides its rows, the ranking form posts the CSRF token, the revision, the JSON, the
# row_fields marker and the move pressed.
RANKING_FIXED_FIELDS = 5


def ranking_row_fields(participants: int) -> bool:
    """Whether the ranking page names each row's reason and tie inputs for the page without
    JavaScript: only while two fields a row stay under Django's cap on the fields of a body
    (a larger district posts its JSON alone, and its reasons need the script)."""
    cap = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return cap is None or 2 * participants + RANKING_FIXED_FIELDS <= cap


class RankingForm(forms.Form):
    """The whole ranking as the page posts it, in a number of fields that does not grow with
    the district (Django refuses a body of more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``):
    ``ranking``, one JSON object ``{"order": [ids, best first], "reasons": {id: text},
    "ties": [ids]}`` that the page renders with its current state and the script rewrites
    before it posts; the ``revision`` the page was loaded with; and for the page without
    JavaScript the ``move`` button that was pressed (``"<id>:up"`` or ``"<id>:down"``).

    Without JavaScript a district small enough also names its rows' inputs (``row_fields``
    set, ``reason-<id>``, ``tie-<id>``): those then replace the JSON's reasons and ties, so
    that what was typed is kept. A larger district's page posts only the JSON, the revision
    and the move."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    ranking = forms.JSONField(widget=forms.HiddenInput)
    move = forms.RegexField(regex=r"^\d+:(up|down)$", required=False)
    row_fields = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, participant_ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.participant_ids = list(participant_ids)
        if self.data.get("row_fields"):
            for pid in self.participant_ids:
                self.fields[f"reason-{pid}"] = forms.CharField(
                    required=False, max_length=REASON_MAX_LENGTH, strip=True)
                self.fields[f"tie-{pid}"] = forms.BooleanField(required=False)

    def clean_ranking(self) -> dict:
        value = self.cleaned_data["ranking"]
        stale = forms.ValidationError(_("The ranking must list every participant of the "
                                        "district exactly once; reload the page."))
        if not isinstance(value, dict):
            raise stale
        order, reasons, ties = (value.get("order"), value.get("reasons") or {},
                                value.get("ties") or [])
        if (not isinstance(order, list) or not all(type(pid) is int for pid in order)
                or len(order) != len(set(order)) or set(order) != set(self.participant_ids)):
            raise stale
        if (not isinstance(reasons, dict) or not isinstance(ties, list)
                or not all(isinstance(text, str) for text in reasons.values())):
            raise stale
        known = {str(pid): pid for pid in self.participant_ids}
        clean_reasons = {}
        for key, text in reasons.items():
            if key not in known:
                raise stale
            text = text.strip()
            if len(text) > REASON_MAX_LENGTH:
                raise forms.ValidationError(_(
                    "A reason may have at most %(limit)d characters; the reason given for "
                    "place %(place)d has %(length)d.") % {
                    "limit": REASON_MAX_LENGTH, "place": order.index(known[key]) + 1,
                    "length": len(text)})
            clean_reasons[known[key]] = text
        if not all(type(pid) is int and pid in known.values() for pid in ties):
            raise stale
        return {"order": order, "reasons": clean_reasons, "ties": set(ties)}

    def clean(self):
        cleaned = super().clean()
        # Without JavaScript a reason too long is refused by its own field: name the place.
        order = (cleaned.get("ranking") or {}).get("order") or self.participant_ids
        for place, pid in enumerate(order, start=1):
            if f"reason-{pid}" in self.errors:
                raise forms.ValidationError(_(
                    "A reason may have at most %(limit)d characters; shorten the reason "
                    "given for place %(place)d.") % {"limit": REASON_MAX_LENGTH,
                                                      "place": place})
        return cleaned

    def reasons(self) -> dict[int, str]:
        if self.cleaned_data.get("row_fields"):
            return {pid: self.cleaned_data.get(f"reason-{pid}") or ""
                    for pid in self.participant_ids}
        return {pid: self.cleaned_data["ranking"]["reasons"].get(pid, "")
                for pid in self.participant_ids}

    def tie_confirmed(self) -> set[int]:
        if self.cleaned_data.get("row_fields"):
            return {pid for pid in self.participant_ids
                    if self.cleaned_data.get(f"tie-{pid}")}
        return set(self.cleaned_data["ranking"]["ties"])

    def order(self) -> list[int]:
        return list(self.cleaned_data["ranking"]["order"])

    def moved_order(self) -> list[int]:
        """The posted order with the pressed move applied (the page without JavaScript)."""
        order = self.order()
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
