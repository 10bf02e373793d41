"""What the registry renders in Python gives the HTML Django rendered (issue 9 §5: the registry's
filter form was a quarter of the page's time, its rows
more than a third)."""
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


# The registry's rows as the template wrote them before ``registry_rows`` took the loop over.
REGISTRY_ROW_TEMPLATE = """{% for institution in page %}<tr>
  <td><a href="{% url 'institutions:detail' institution.pk %}">{{ institution.name }}</a></td>
  <td class="credit-code">{{ institution.credit_code }}</td>
  <td>{{ institution.district.name }}</td>
  <td>{{ institution.cluster.name }}</td>
  <td>{{ institution.filing_date|date:"Y-m-d" }}</td>
  <td class="status-{{ institution.status }}">{{ institution.get_status_display }}</td>
</tr>{% endfor %}"""


def test_registry_rows_render_what_the_template_loop_rendered(db, gulou):
    from django.template import Context, Template
    from django.utils import translation

    from institutions.models import Institution
    from institutions.templatetags.registry import registry_rows
    from tests.factories import InstitutionFactory

    InstitutionFactory(name="徐州<测试>&研究院", district=gulou, status="abandoned")
    InstitutionFactory(district=gulou)
    rows = list(Institution.objects.select_related("district", "cluster").order_by("pk"))
    with translation.override("zh-hans"):
        theirs = Template(REGISTRY_ROW_TEMPLATE).render(Context({"page": rows}))
        mine = registry_rows(rows)
    assert parse_html(mine) == parse_html(theirs)
    assert "徐州&lt;测试&gt;&amp;研究院" in mine
