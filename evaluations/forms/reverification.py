"""The forms of stage 4, the re-verification (Art 12, R7): the alternates allowed, a visit's
plan, a verdict and its change, the spot check's seed. They only shape the request; the
services of ``services.reverification`` decide (their refusals come back as form errors).
A visit and a fraud report use the forms of stage 2 (``SiteVisitForm``, ``FraudReportForm``)."""
from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import SiteVerdict, VerificationKind
from ..services.reverification import SPOT_CHECK_VERDICTS
from .base import CrispyMixin, date_input


class _CrispyMixin(CrispyMixin):
    disable_csrf = True  # the template's <form> has its own token


class RevisionMixin(forms.Form):
    """The revision of the verification the page was loaded with (a stale page is 409)."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class AlternatesForm(_CrispyMixin, forms.Form):
    # What the number means is said beside the form, on the stage page.
    allowed = forms.IntegerField(label=_("Alternates allowed"), min_value=0, max_value=1000)
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class PlanForm(_CrispyMixin, RevisionMixin):
    planned_on = forms.DateField(label=_("Planned date of the visit"), widget=date_input())
    to_prepare = forms.CharField(
        label=_("What the institution should prepare"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["planned_on"].widget.attrs["min"] = timezone.localdate().isoformat()
        self._helper()


def _verdict_choices(kind: str):
    if kind == VerificationKind.SPOT_CHECK:
        return [(v.value, v.label) for v in SPOT_CHECK_VERDICTS]
    return SiteVerdict.choices


class VerdictForm(_CrispyMixin, RevisionMixin):
    """The on-site verdict with its reason (R7); a spot check knows only confirmed and
    operating poorly."""

    verdict = forms.ChoiceField(label=_("On-site verdict"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason for the verdict"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["verdict"].choices = _verdict_choices(kind)
        self._helper()


class VerdictChangeForm(VerdictForm):
    """Changing a recorded verdict: the new verdict and the reason for the change."""

    def __init__(self, *args, current: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["verdict"].label = _("New verdict")
        self.fields["verdict"].choices = [choice for choice in self.fields["verdict"].choices
                                          if choice[0] != current]
        self.fields["reason"].label = _("Reason for the change")


class SpotCheckDrawForm(_CrispyMixin, forms.Form):
    # No quotes or backslashes: the seed is printed inside the public page's Python recipe.
    seed = forms.CharField(
        label=_("Seed (optional)"), required=False, max_length=64,
        validators=[RegexValidator(r"^[^'\"\\]*$",
                                   message=_("A seed cannot contain quotes or backslashes."))],
        help_text=_("Leave empty and the system draws a seed from a secure random source at "
                    "the moment of the draw; or type the seed agreed beforehand."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()
