"""Forms of the district's review of one report (Art 9, 10; R3): the verdict on a claim, the
overall opinion and a site visit. They only shape the request: the services decide (a score
out of range, a missing reason or a locked review is their refusal, with their sentence)."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import ClaimVerdict
from .forms_self_evaluation import MultipleFileField
from .models import ClaimReview, Indicator


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


class OptionalMultipleFileField(MultipleFileField):
    """Several files in one input, none at all being fine."""

    def clean(self, data, initial=None):
        return [f for f in super().clean(data, initial) if f]


class SiteVisitForm(forms.Form):
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
