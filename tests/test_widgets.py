"""The filter widgets rendered in Python give Django's own HTML (issue 9 §5: the registry's
filter form was a quarter of the page's time)."""
from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from institutions.forms.widgets import (
    QuickDateInput,
    QuickNumberInput,
    QuickSelect,
    QuickTextInput,
)

CHOICES = [("", "全部"), ("a&b", "甲 & 乙"), ("2", "<二>"),
           ("组", [("3", "三"), ("4", "四")])]


@pytest.mark.parametrize(("quick", "django_widget", "value", "attrs"), [
    (QuickSelect, forms.Select, None, {"class": "form-select"}),
    (QuickSelect, forms.Select, "a&b", {"class": "form-select", "required": True}),
    (QuickSelect, forms.Select, "4", {"disabled": True, "data-x": False}),
    (QuickTextInput, forms.TextInput, None, {"class": "form-control", "placeholder": "名称"}),
    (QuickTextInput, forms.TextInput, 'x" onfocus="y', {"autofocus": True}),
    (QuickNumberInput, forms.NumberInput, 2024, {"min": 2000}),
    (QuickDateInput, forms.DateInput, "2026-12-01", {"type": "date"}),
])
def test_quick_widget_renders_what_django_renders(quick, django_widget, value, attrs):
    kwargs = {"choices": CHOICES} if django_widget is forms.Select else {}
    mine = quick(attrs=dict(attrs), **kwargs).render("field", value, attrs={"id": "id_field"})
    theirs = django_widget(attrs=dict(attrs), **kwargs).render(
        "field", value, attrs={"id": "id_field"})
    assert parse_html(mine) == parse_html(theirs)
    assert 'onfocus="y' not in mine  # values are escaped


def test_registry_filter_uses_the_quick_widgets():
    from institutions.forms import InstitutionFilterForm

    kinds = {type(field.widget) for field in InstitutionFilterForm.base_fields.values()}
    assert kinds <= {QuickSelect, QuickTextInput, QuickNumberInput}
