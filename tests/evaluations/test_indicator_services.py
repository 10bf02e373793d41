"""Editing a cycle's indicator system (Art 6, 8): allowed while the cycle is a draft only."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from evaluations.enums import CycleStatus
from evaluations.models import Indicator, IndicatorCategory, IndicatorField
from evaluations.services.cycles import cycle_create, indicator_total
from evaluations.services.indicators import (
    FieldChange,
    indicator_create,
    indicator_delete,
    indicator_update,
)
from institutions.exceptions import DomainError


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cycle(default_policy, city_admin):
    return cycle_create(year=2025, actor=city_admin)


@pytest.fixture
def indicator(cycle):
    """1.2 高级职称、学历及专职人员情况: 3 points, three count fields."""
    return Indicator.objects.get(category__cycle=cycle, code="1.2")


def _fields(indicator) -> list[tuple]:
    return list(IndicatorField.objects.filter(indicator=indicator).order_by("order")
                .values_list("key", "label", "kind", "required", "order"))


def _row(indicator) -> tuple:
    saved = Indicator.objects.get(pk=indicator.pk)
    return (saved.name, saved.points, saved.help_text, saved.evidence_required,
            saved.evidence_types)


def _open(cycle) -> None:
    type(cycle).objects.filter(pk=cycle.pk).update(status=CycleStatus.SELF_EVALUATION)


def _keep(indicator) -> list[FieldChange]:
    return [FieldChange(pk=f.pk, label=f.label, kind=f.kind, required=f.required)
            for f in indicator.fields.order_by("order")]


# --- indicator_update ------------------------------------------------------------------------

def test_indicator_update_changes_points_help_and_evidence(indicator, city_admin, cycle):
    indicator_update(indicator=indicator, actor=city_admin, points=Decimal("5.5"),
                     help_text="以评价期末人数为准。", evidence_required=False,
                     evidence_types=["png", "pdf"])
    assert _row(indicator) == ("高级职称、学历及专职人员情况", Decimal("5.5"),
                               "以评价期末人数为准。", False, ["pdf", "png"])
    assert indicator_total(cycle) == Decimal("102.50")


def test_indicator_update_edits_adds_and_removes_fields(indicator, city_admin):
    senior, doctors, full_time = indicator.fields.order_by("order")
    indicator_update(indicator=indicator, actor=city_admin, fields=[
        FieldChange(pk=full_time.pk, label="专职研发人员（人）", kind="count", required=False),
        FieldChange(pk=senior.pk, label=senior.label, kind="count", required=True),
        FieldChange(pk=doctors.pk, label=doctors.label, kind="count", required=True,
                    delete=True),
        FieldChange(pk=None, label="硕士学位人数（人）", kind="count", required=True),
        FieldChange(pk=None, label="人员占比（%）", kind="percent", required=False,
                    key="staff_share"),
        FieldChange(pk=None, label="未填写的空行", kind="text", required=True, delete=True),
    ])
    assert _fields(indicator) == [
        ("full_time", "专职研发人员（人）", "count", False, 1),
        ("senior_titles", "高级职称人数（人）", "count", True, 2),
        ("field_1", "硕士学位人数（人）", "count", True, 3),
        ("staff_share", "人员占比（%）", "percent", False, 4),
    ]


def test_indicator_update_without_fields_leaves_fields(indicator, city_admin):
    before = _fields(indicator)
    indicator_update(indicator=indicator, actor=city_admin, help_text="新的说明")
    assert (_fields(indicator), _row(indicator)[2]) == (before, "新的说明")


def test_indicator_update_refused_after_self_evaluation_opens(indicator, city_admin, cycle):
    before = (_row(indicator), _fields(indicator))
    _open(cycle)
    with pytest.raises(DomainError) as exc:
        indicator_update(indicator=indicator, actor=city_admin, points=Decimal(10),
                         fields=[FieldChange(pk=None, label="新数据", kind="count",
                                             required=True), *_keep(indicator)])
    assert str(exc.value) == ("The indicator system of 2025 evaluation can no longer change: "
                              "self-evaluation has opened.")
    assert (_row(indicator), _fields(indicator)) == before


@pytest.mark.parametrize(("changes", "message"), [
    ({"points": Decimal(-1)}, "Ensure this value is greater than or equal to 0."),
    ({"evidence_types": []}, "Accept at least one type of evidence file."),
    ({"evidence_types": ["pdf", "exe"]}, "Unknown evidence type: exe."),
    ({"code": "9.9"}, "These cannot be changed: code."),
    ({"name": ""}, "This field cannot be blank."),
])
def test_indicator_update_refuses_invalid_values(indicator, city_admin, changes, message):
    before = _row(indicator)
    with pytest.raises(DomainError) as exc:
        indicator_update(indicator=indicator, actor=city_admin, **changes)
    assert (str(exc.value), _row(indicator)) == (message, before)


@pytest.mark.parametrize(("fields", "message"), [
    (None, "An indicator asks for at least one datum."),  # every field removed
    ([FieldChange(pk=None, label="x", kind="count", required=True, key="doctors")],
     "Two data fields of an indicator cannot share the key doctors."),
    ([FieldChange(pk=None, label="x", kind="count", required=True, key="a"),
      FieldChange(pk=None, label="y", kind="count", required=True, key="a")],
     "Two data fields of an indicator cannot share the key a."),
    ([FieldChange(pk=None, label="x", kind="money", required=True)],
     "Unknown kind of datum: money."),
    ([FieldChange(pk=None, label="", kind="count", required=True)],
     "This field cannot be blank."),
])
def test_indicator_update_refuses_invalid_fields(indicator, city_admin, fields, message):
    before = _fields(indicator)
    if fields is None:
        changes = [FieldChange(**{**vars(f), "delete": True}) for f in _keep(indicator)]
    else:
        changes = [*_keep(indicator), *fields]
    with pytest.raises(DomainError) as exc:
        indicator_update(indicator=indicator, actor=city_admin, fields=changes)
    assert (str(exc.value), _fields(indicator)) == (message, before)


def test_indicator_update_refuses_field_of_another_indicator(indicator, city_admin, cycle):
    stranger = IndicatorField.objects.filter(indicator__category__cycle=cycle).exclude(
        indicator=indicator).first()
    with pytest.raises(DomainError) as exc:
        indicator_update(indicator=indicator, actor=city_admin, fields=[
            *_keep(indicator), FieldChange(pk=stranger.pk, label="x", kind="count",
                                           required=True)])
    assert str(exc.value) == "A data field of another indicator was sent; reload the page."


def test_indicator_update_keeps_existing_key(indicator, city_admin):
    senior, doctors, full_time = _keep(indicator)
    indicator_update(indicator=indicator, actor=city_admin, fields=[
        FieldChange(pk=senior.pk, label="高级职称（人）", kind="count", required=True,
                    key="renamed"), doctors, full_time])
    assert _fields(indicator)[0] == ("senior_titles", "高级职称（人）", "count", True, 1)


def test_indicator_update_refuses_fields_loaded_before_another_edit(indicator, city_admin):
    stale = _keep(indicator)
    IndicatorField.objects.create(indicator=indicator, key="added", label="另一人新增",
                                  kind="count", order=4)
    with pytest.raises(DomainError) as exc:
        indicator_update(indicator=indicator, actor=city_admin, fields=stale)
    assert str(exc.value) == ("The data fields of this indicator changed since the page was "
                              "loaded; reload the page.")


# --- indicator_create / indicator_delete ----------------------------------------------------

def test_indicator_create_appends_to_category(cycle, city_admin):
    category = IndicatorCategory.objects.get(cycle=cycle, code="4")
    indicator = indicator_create(
        category=category, code="4.5", name="技术合同登记情况", points=Decimal(2),
        help_text="登记的技术合同成交额。", evidence_required=True, evidence_types=["pdf"],
        fields=[FieldChange(pk=None, label="技术合同成交额（万元）", kind="amount",
                            required=True, key="contract_value")], actor=city_admin)
    assert (list(category.indicators.values_list("code", "order")), _row(indicator),
            _fields(indicator), indicator_total(cycle)) == (
        [("4.1", 1), ("4.2", 2), ("4.3", 3), ("4.4", 4), ("4.5", 5)],
        ("技术合同登记情况", Decimal(2), "登记的技术合同成交额。", True, ["pdf"]),
        [("contract_value", "技术合同成交额（万元）", "amount", True, 1)], Decimal(102))


def test_indicator_create_refuses_code_used_in_cycle(cycle, city_admin):
    category = IndicatorCategory.objects.get(cycle=cycle, code="4")
    with pytest.raises(DomainError) as exc:
        indicator_create(category=category, code="1.1", name="重复", points=Decimal(1),
                         fields=[FieldChange(pk=None, label="x", kind="count", required=True)],
                         actor=city_admin)
    assert str(exc.value) == "The indicator code 1.1 is already used in this cycle."
    assert category.indicators.count() == 4


def test_indicator_create_refuses_without_fields(cycle, city_admin):
    category = IndicatorCategory.objects.get(cycle=cycle, code="4")
    with pytest.raises(DomainError) as exc:
        indicator_create(category=category, code="4.5", name="无数据", points=Decimal(1),
                         actor=city_admin)
    assert str(exc.value) == "An indicator asks for at least one datum."
    assert category.indicators.count() == 4


def test_indicator_create_refused_after_self_evaluation_opens(cycle, city_admin):
    category = IndicatorCategory.objects.get(cycle=cycle, code="4")
    _open(cycle)
    with pytest.raises(DomainError):
        indicator_create(category=category, code="4.5", name="新增", points=Decimal(1),
                         fields=[FieldChange(pk=None, label="x", kind="count", required=True)],
                         actor=city_admin)
    assert category.indicators.count() == 4


def test_indicator_delete_removes_indicator_and_fields(indicator, cycle, city_admin):
    pk = indicator.pk
    indicator_delete(indicator=indicator, actor=city_admin)
    assert (Indicator.objects.filter(pk=pk).exists(),
            IndicatorField.objects.filter(indicator_id=pk).exists(),
            indicator_total(cycle)) == (False, False, Decimal(97))


def test_indicator_delete_refused_after_self_evaluation_opens(indicator, cycle, city_admin):
    _open(cycle)
    with pytest.raises(DomainError):
        indicator_delete(indicator=indicator, actor=city_admin)
    assert Indicator.objects.filter(pk=indicator.pk).exists() is True


def test_indicator_edits_of_one_cycle_leave_another_alone(indicator, cycle, city_admin):
    other = cycle_create(year=2027, actor=city_admin)
    indicator_update(indicator=indicator, actor=city_admin, points=Decimal(0))
    assert (indicator_total(cycle), indicator_total(other)) == (Decimal(97), Decimal(100))
