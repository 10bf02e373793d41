"""What the evaluation's forms share: the date input, the crispy helper and the input of
several files."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms


def date_input() -> forms.DateInput:
    # A plain DateInput renders a localised date that <input type=date> rejects.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CrispyMixin:
    """A crispy helper that leaves the <form> tag (and, where ``disable_csrf`` is set, its
    token) to the template."""

    disable_csrf = False

    def _helper(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = self.disable_csrf


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple) and data:
            return [single(item, initial) for item in data]
        # No file at all: the single-file check says it is required.
        return [single(None if isinstance(data, list | tuple) else data, initial)]


class OptionalMultipleFileField(MultipleFileField):
    """Several files in one input, none at all being fine: the cleaned value is a (maybe
    empty) list."""

    def clean(self, data, initial=None):
        return [upload for upload in super().clean(data, initial) if upload]
