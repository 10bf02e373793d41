"""What the evaluation's forms share: the date input, the crispy helper, the input of
several files and the one-time token of a create form."""
from __future__ import annotations

import secrets

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import RegexValidator


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


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class FormTokenForm(forms.Form):
    """A create form's one-time token, in a hidden input: a second post of the same page (a
    double click, a request sent again) carries the same token, and the service answers it
    with what the first post made instead of making it twice. A post without one (an older
    page) is simply not deduplicated."""

    form_token = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$")])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", new_form_token())

    @property
    def token(self) -> str | None:
        """The posted token once the form is valid (None when there is none)."""
        return self.cleaned_data.get("form_token") or None

    @classmethod
    def posted_token(cls, data) -> str | None:
        """The token of a post that is only a button (no other field), if it carries one."""
        form = cls(data)
        return form.token if form.is_valid() else None
