"""Widgets of the list filters, rendered in Python.

The list pages are the most requested; Django renders each widget through its templates,
one template include per ``<option>`` and per attribute list, which made the registry's
filter form a quarter of the page's time. These give the same HTML (``tests/test_widgets.py``
compares them with Django's own) from the same context Django's widgets build (``flatatt``
leaves out False attributes and writes True ones bare, as Django's ``attrs.html`` does).
"""
from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class QuickInputMixin:
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value_attr = ("" if widget["value"] is None
                      else format_html(' value="{}"', str(widget["value"])))
        return format_html('<input type="{}" name="{}"{}{}>', widget["type"], widget["name"],
                           value_attr, flatatt(widget["attrs"]))


class QuickTextInput(QuickInputMixin, forms.TextInput):
    pass


class QuickNumberInput(QuickInputMixin, forms.NumberInput):
    pass


class QuickDateInput(QuickInputMixin, forms.DateInput):
    pass


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join(
                "", '<option value="{}"{}>{}</option>',
                ((str(option["value"]), flatatt(option["attrs"]), option["label"])
                 for option in options))
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, html)
                         if group_name else html)
        return format_html('<select name="{}"{}>{}</select>', widget["name"],
                           flatatt(widget["attrs"]), mark_safe("".join(parts)))
