"""``{% form_token_input %}``: the one-time token of a form that is only a button (request a
PDF), for the pages that have no form object to carry it (``forms.base.FormTokenForm``)."""
from __future__ import annotations

from django import template
from django.utils.html import format_html

from ..forms.base import new_form_token

register = template.Library()


@register.simple_tag
def form_token_input() -> str:
    return format_html('<input type="hidden" name="form_token" value="{}">', new_form_token())
