"""The cycle pages × every role (the matrix of ``tests/test_permission_matrix.py``, whose
coverage test collects ``GET_ROWS`` from here).

Objects, seen from the accounts of ``users``:
- ``draft``: the 2025 cycle, a draft; ``open``: the 2027 cycle, in self-evaluation;
- ``draft_indicator`` / ``open_indicator``: an indicator of each;
- ``own_district``: the 2027 report of ``institution`` (鼓楼区), bound to the institution
  accounts and in ``district_reviewer``'s district; ``other_district``: that of
  ``other_institution`` (云龙区);
- ``missing``: a year or primary key that does not exist.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from evaluations.enums import CycleStatus
from evaluations.models import (
    Cycle,
    CycleStage,
    CycleTransition,
    Extension,
    Indicator,
    IndicatorField,
    Submission,
)
from evaluations.services.cycles import cycle_create
from tests.test_permission_matrix import (
    CITY_STAFF,
    LOGIN,
    ROLES,
    Redirect,
    Row,
    _outcome,
    only,
    outcomes,
)

MISSING_YEAR, MISSING_PK = 1999, 987654

CYCLES = ("draft", "open")
VIEW_CYCLE = only(CITY_STAFF, 200)
MANAGE_CYCLE = only(["city_admin"], 200)
# Editing the indicator system: the city administrator of a cycle that has opened is sent back
# to the read-only list.
EDIT_INDICATORS = {
    "draft": MANAGE_CYCLE,
    "open": only(["city_admin"], Redirect("evaluations:cycle_indicators", "open")),
}
# A report is looked up among those the user may see (404 otherwise); only the city
# administrator may extend its deadline.
EXTENSION = {
    "own_district": outcomes(404, city_admin=200, panel_organiser=403, district_reviewer=403,
                             institution_filer=403, institution_admin=403),
    "other_district": outcomes(404, city_admin=200, panel_organiser=403,
                               district_reviewer_other=403, institution_filer_other=403),
    "missing": outcomes(404),
}

GET_ROWS = [
    Row("evaluations:cycle_list", VIEW_CYCLE),
    Row("evaluations:cycle_create", MANAGE_CYCLE),
    *[Row(name, expected, obj)
      for name, expected in (("evaluations:cycle_detail", VIEW_CYCLE),
                             ("evaluations:cycle_indicators", VIEW_CYCLE),
                             ("evaluations:cycle_stages", MANAGE_CYCLE),
                             ("evaluations:cycle_transition", MANAGE_CYCLE),
                             ("evaluations:cycle_close_self_evaluation", MANAGE_CYCLE))
      for obj in CYCLES],
    *[Row(name, outcomes(404), "missing")
      for name in ("evaluations:cycle_detail", "evaluations:cycle_indicators",
                   "evaluations:cycle_stages", "evaluations:cycle_transition",
                   "evaluations:cycle_close_self_evaluation",
                   "evaluations:cycle_indicator_create")],
    *[Row("evaluations:cycle_indicator_create", EDIT_INDICATORS[obj], obj) for obj in CYCLES],
    *[Row(name, EDIT_INDICATORS[obj], f"{obj}_indicator")
      for name in ("evaluations:cycle_indicator_update", "evaluations:cycle_indicator_delete")
      for obj in CYCLES],
    *[Row(name, outcomes(404), "missing_indicator")
      for name in ("evaluations:cycle_indicator_update", "evaluations:cycle_indicator_delete")],
    *[Row("evaluations:cycle_extension", expected, obj) for obj, expected in EXTENSION.items()],
]


@pytest.fixture
def cycle_objects(users, institution, other_institution, default_policy, city_admin):
    draft = cycle_create(year=2025, actor=city_admin)
    opened = cycle_create(year=2027, actor=city_admin)
    Cycle.objects.filter(pk=opened.pk).update(status=CycleStatus.SELF_EVALUATION)
    deadline = dt.date(2027, 4, 30)
    CycleStage.objects.create(cycle=opened, stage=CycleStatus.SELF_EVALUATION,
                              opens_on=dt.date(2027, 3, 1), closes_on=deadline)
    reports = {
        name: Submission.objects.create(cycle=opened, institution=i, district=i.district,
                                        cluster=i.cluster, deadline=deadline)
        for name, i in (("own_district", institution), ("other_district", other_institution))
    }
    return {
        "draft": draft, "open": opened, **reports,
        "draft_indicator": Indicator.objects.filter(category__cycle=draft).first(),
        "open_indicator": Indicator.objects.filter(category__cycle=opened).first(),
    }


def _kwargs(row: Row, objects: dict) -> dict:
    if row.name in ("evaluations:cycle_list", "evaluations:cycle_create"):
        return {}
    if row.name == "evaluations:cycle_extension":
        pk = MISSING_PK if row.obj == "missing" else objects[row.obj].pk
        return {"year": objects["open"].year, "pk": pk}
    if row.obj == "missing":
        return {"year": MISSING_YEAR}
    if row.obj == "missing_indicator":
        return {"year": objects["draft"].year, "pk": MISSING_PK}
    if row.obj.endswith("_indicator"):
        indicator = objects[row.obj]
        return {"year": indicator.category.cycle.year, "pk": indicator.pk}
    return {"year": objects[row.obj].year}


def _resolve(outcome, objects: dict):
    if isinstance(outcome, tuple):
        return (_resolve(outcome[0], objects), outcome[1])
    if isinstance(outcome, Redirect):
        return reverse(outcome.to, kwargs={"year": objects[outcome.obj].year})
    return outcome


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_permissions_cycles_get_gives_expected_outcome_for_every_role(row, users, cycle_objects,
                                                                       client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row, cycle_objects))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, cycle_objects,
                             login_url)
              for role in ROLES}
    assert actual == {role: _resolve(outcome, cycle_objects)
                      for role, outcome in row.expected.items()}


# --- Writes: refused exactly where the page is, and then nothing changes ----------------------

def _snapshot() -> dict:
    return {
        "cycles": list(Cycle.objects.order_by("pk").values()),
        "stages": list(CycleStage.objects.order_by("pk").values()),
        "transitions": CycleTransition.objects.count(),
        "indicators": list(Indicator.objects.order_by("pk").values()),
        "fields": list(IndicatorField.objects.order_by("pk").values()),
        "submissions": list(Submission.objects.order_by("pk").values()),
        "extensions": Extension.objects.count(),
    }


def _forbidden(expected: dict) -> list[str]:
    return [role for role, outcome in expected.items() if outcome != 200]


POST_ROWS = [
    (Row("evaluations:cycle_create", MANAGE_CYCLE), {"year": "2029"}),
    (Row("evaluations:cycle_stages", MANAGE_CYCLE, "draft"),
     {"self_evaluation_opens_on": "2025-03-01", "self_evaluation_closes_on": "2025-04-30"}),
    (Row("evaluations:cycle_transition", MANAGE_CYCLE, "draft"),
     {"to_status": "self_evaluation", "confirm": "on"}),
    (Row("evaluations:cycle_close_self_evaluation", MANAGE_CYCLE, "open"), {"confirm": "on"}),
    (Row("evaluations:cycle_indicator_delete", MANAGE_CYCLE, "draft_indicator"),
     {"confirm": "on"}),
    (Row("evaluations:cycle_indicator_update", MANAGE_CYCLE, "draft_indicator"),
     {"name": "改名", "points": "1", "evidence_types": ["pdf"]}),
    (Row("evaluations:cycle_extension", EXTENSION["own_district"], "own_district"),
     {"new_deadline": "2099-01-01", "reason": "理由"}),
]


@pytest.mark.parametrize(("row", "data"), POST_ROWS, ids=lambda p: getattr(p, "id", ""))
def test_permissions_cycles_post_refused_changes_nothing(row, data, users, cycle_objects,
                                                         client_for):
    url = reverse(row.name, kwargs=_kwargs(row, cycle_objects))
    before = _snapshot()
    actual = {}
    for role in _forbidden(row.expected):
        response = client_for(users.get(role)).post(url, data)
        actual[role] = _outcome(response, row, cycle_objects, reverse("login"))
    assert (actual, _snapshot()) == (
        {role: row.expected[role] for role in _forbidden(row.expected)}, before)
    assert actual.get("anonymous") == LOGIN
