"""Forms of the findings pages (Art 9, 10; R8): rectification notices, answers and decisions,
fraud reports and the city's decision, the credit-record filter. They only shape the request:
the services in ``services.findings`` decide (their refusals come back as form errors)."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..enums import FraudKind, FraudStatus, RectificationStatus
from ..models import FraudReport, Rectification
from ..services.findings import ATTACHMENT_TYPES
from ..services.uploads import EXTENSIONS
from .base import CrispyMixin, FormTokenForm, OptionalMultipleFileField, date_input

# A prefill for the credit record, stored as written: the record is a Chinese document kept
# by the bureau, so its words must not depend on the language of whoever confirms it.
LEGAL_REPRESENTATIVE_ROLE = "法定代表人"

ACCEPT = ",".join([*(EXTENSIONS[kind] for kind in ATTACHMENT_TYPES), ".jpeg"])


class _CrispyMixin(CrispyMixin):
    disable_csrf = True  # the template's <form> has its own token


class FilesField(OptionalMultipleFileField):
    """Several files in one input, optional unless ``required=True``."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": ACCEPT, "class": "form-control"})


class RectificationForm(_CrispyMixin, FormTokenForm):
    problems = forms.CharField(
        label=_("Problems to rectify"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One problem per line, each saying what must be corrected."))
    deadline = forms.DateField(label=_("Answer by"), widget=date_input())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["deadline"].widget.attrs["min"] = today.isoformat()
        self.initial.setdefault("deadline", today + dt.timedelta(days=14))
        self._helper()


class RectificationAnswerForm(_CrispyMixin, FormTokenForm):
    text = forms.CharField(label=_("What was rectified"), max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 6}))
    files = FilesField(
        label=_("Supporting files"),
        help_text=_("PDF, JPEG, PNG, Word or Excel; several at once are fine."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class RectificationDecisionForm(_CrispyMixin, forms.Form):
    ACCEPT = "accept"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[(ACCEPT, _("Accept: the problems are rectified")),
                 (REJECT, _("Do not accept: the institution must answer again"))])
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when not accepting: say what is still missing."))
    new_deadline = forms.DateField(
        label=_("New deadline"), required=False, widget=date_input(),
        help_text=_("When not accepting: the date by which the institution must answer again "
                    "(required once the old deadline has passed)."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_deadline"].widget.attrs["min"] = timezone.localdate().isoformat()
        self._helper()

    @property
    def accepted(self) -> bool:
        return self.cleaned_data["decision"] == self.ACCEPT


class FraudReportForm(_CrispyMixin, FormTokenForm):
    kind = forms.ChoiceField(label=_("Finding"), choices=FraudKind.choices,
                             widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("What was found"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Which claims were overstated or fabricated, and how this was found."))
    files = FilesField(label=_("Evidence files"), required=True,
                       error_messages={"required": _("Attach the evidence of the finding.")})
    confirm = forms.BooleanField(
        label=_("I confirm that this report is based on the evidence attached, and I understand "
                "that if the city confirms it the institution is unqualified and a credit "
                "record is made against it and the person responsible."),
        error_messages={"required": _("Tick the box to confirm the report.")})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()


class FraudDecisionForm(_CrispyMixin, forms.Form):
    CONFIRM = "confirm"
    DISMISS = "dismiss"

    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[(CONFIRM, _("Confirm the fraud finding")), (DISMISS, _("Dismiss the report"))])
    reason = forms.CharField(label=_("Reason for the decision"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 4}))
    person_name = forms.CharField(
        label=_("Responsible person"), max_length=50, required=False,
        help_text=_("Required when confirming: the credit record names this person."))
    person_role = forms.CharField(label=_("Role of the responsible person"), max_length=50,
                                  required=False)
    irreversible = forms.BooleanField(
        label=_("I understand that confirming cannot be undone: the institution becomes "
                "unqualified in this evaluation and a credit record is made against it and "
                "the person named."), required=False)

    def __init__(self, *args, institution=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if institution is not None:
            self.initial.setdefault("person_name", institution.legal_representative)
            self.initial.setdefault("person_role", LEGAL_REPRESENTATIVE_ROLE)
        self._helper()

    @property
    def confirming(self) -> bool:
        return self.cleaned_data.get("decision") == self.CONFIRM

    def clean(self):
        cleaned = super().clean()
        if self.confirming and not cleaned.get("irreversible"):
            self.add_error("irreversible", _("Tick the box to confirm the finding: it cannot "
                                             "be undone."))
        return cleaned


class CreditRecordFilterForm(forms.Form):
    """The evaluation year of the list; choices come from years already loaded."""

    year = forms.TypedChoiceField(label=_("Evaluation year"), required=False, coerce=int,
                                  empty_value=None,
                                  widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data, *, years: list[int]) -> None:
        super().__init__(data)
        self.fields["year"].choices = [("", _("All years")), *((y, y) for y in years)]

    def chosen_year(self) -> int | None:
        return self.cleaned_data.get("year") if self.is_valid() else None


class RectificationFilterForm(forms.Form):
    OVERDUE = "overdue"

    status = forms.ChoiceField(label=_("Status"), required=False,
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data) -> None:
        super().__init__(data)
        self.fields["status"].choices = [("", gettext("All statuses")),
                                         *RectificationStatus.choices,
                                         (self.OVERDUE, gettext("Overdue"))]

    def apply(self, qs: QuerySet[Rectification]) -> QuerySet[Rectification]:
        status = self.cleaned_data.get("status") if self.is_valid() else ""
        if status == self.OVERDUE:
            return qs.filter(status=RectificationStatus.OPEN,
                             deadline__lt=timezone.localdate())
        return qs.filter(status=status) if status else qs


class FraudFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data) -> None:
        super().__init__(data)
        self.fields["status"].choices = [("", gettext("All statuses")), *FraudStatus.choices]

    def apply(self, qs: QuerySet[FraudReport]) -> QuerySet[FraudReport]:
        status = self.cleaned_data.get("status") if self.is_valid() else ""
        return qs.filter(status=status) if status else qs
