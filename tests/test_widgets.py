"""What the hot pages render in Python gives the HTML Django's templates rendered (issue 9 §5):
the registry's filter widgets (a quarter of the page's time) and rows (over a third), and the
ranking's rows (a quarter of the page for a district of five)."""
from __future__ import annotations

from pathlib import Path

import pytest
from django import forms
from django.test.html import parse_html

from institutions.forms.widgets import (
    QuickDateInput,
    QuickNumberInput,
    QuickSelect,
    QuickTextInput,
)

REFERENCE = Path(__file__).parent / "reference"
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


# The ranking table's rows as the template loop wrote them before ``ranking_table_rows``.
RANKING_ROW_TEMPLATE = (REFERENCE / "ranking_rows.html").read_text()


def _ranking_rows():
    import datetime as dt
    from decimal import Decimal
    from types import SimpleNamespace

    from evaluations.selectors.preliminary import RankingRow

    def participant(pk, name, score, fraud=False, reviewed=3):
        return SimpleNamespace(
            pk=pk, score=score, reviewed=reviewed,
            fraud_confirmed_at=dt.datetime(2026, 11, 1) if fraud else None,
            institution=SimpleNamespace(name=name, credit_code=f"91320300MA1{pk:06d}X"),
            submission=SimpleNamespace(cluster=SimpleNamespace(name="高端装备<与>新材料")))

    return [
        RankingRow(participant(11, "徐州\"甲\"研究院", Decimal("91.50")), 1, "A", False, False,
                   None, False, ""),
        RankingRow(participant(12, "徐州<乙>&研究院", Decimal("88.00"), fraud=True), 2, "A",
                   True, True, 1, False, "现场核实<后>上调"),
        RankingRow(participant(13, "徐州丙研究院", Decimal("88.00")), 3, "B", True, False, 1,
                   True, "理由"),
        RankingRow(participant(14, "徐州丁研究院", None, reviewed=2), 4, "C", False, False,
                   None, False, ""),
    ]


@pytest.mark.parametrize(("can_edit", "row_fields"), [(True, True), (True, False),
                                                      (False, False)])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_ranking_rows_render_what_the_template_loop_rendered(db, can_edit, row_fields,
                                                             language):
    from django.template import Context, Template
    from django.utils import translation

    from evaluations.templatetags.ranking import ranking_table_rows

    rows = _ranking_rows()
    context = {"rows": rows, "can_edit": can_edit, "row_fields": row_fields,
               "indicator_count": 40}
    with translation.override(language):
        theirs = Template(RANKING_ROW_TEMPLATE).render(Context(context))
        mine = ranking_table_rows(Context(context), rows)
        empty_theirs = Template(RANKING_ROW_TEMPLATE).render(Context({**context, "rows": []}))
        empty_mine = ranking_table_rows(Context({**context, "rows": []}), [])
    assert parse_html(mine) == parse_html(theirs)
    assert parse_html(empty_mine) == parse_html(empty_theirs)
    assert "徐州&lt;乙&gt;&amp;研究院" in mine


def test_district_rows_render_what_the_template_loop_rendered(db):
    from django.db.models import Count, Q
    from django.template import Context, Template

    from institutions.models import District
    from institutions.templatetags.registry import district_rows

    districts = list(District.objects.annotate(
        n_total=Count("institutions"),
        n_active=Count("institutions", filter=Q(institutions__status="active"))))
    assert len(districts) == 13
    theirs = Template((REFERENCE / "district_rows.html").read_text()).render(
        Context({"districts": districts}))
    assert parse_html(district_rows(districts)) == parse_html(theirs)
