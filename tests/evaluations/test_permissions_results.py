"""The results pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): the city administrator computes, compares and
justifies; city staff (the administrator and the information institute) read the page, the
comparison and the export; districts, institutions and experts see none of them before the
public notice; a missing cycle is a 404 to those who may see the results. A refused POST
changes nothing."""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import CycleResults
from evaluations.services.results import results_compute
from tests.evaluations.results_setup import build_reverification_cycle, district
from tests.test_permission_matrix import ROLES, XLSX, Row, _outcome, only

READ = ("city_admin", "panel_organiser")
RUN = ("city_admin",)

GET_ROWS = [
    Row("evaluations:results", only(READ, 200), "cycle"),
    Row("evaluations:results", only(READ, 404), "missing_cycle"),
    Row("evaluations:results_compute", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:results_recompute", only(READ, 200), "cycle"),
    Row("evaluations:results_recompute", only(READ, 404), "missing_cycle"),
    Row("evaluations:results_justify", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:results_export", only(READ, 200), "cycle", content_type=XLSX),
    Row("evaluations:results_export", only(READ, 404), "missing_cycle"),
]


@pytest.fixture
def results_cycle(users, default_policy):
    """N = 9 in three districts (no group C): computed, with its failed check unjustified."""
    built = build_reverification_cycle(users["city_admin"], {
        "鼓楼区": district(3, top=90), "云龙区": district(3, top=80.5),
        "泉山区": district(3, top=70.25)})
    results_compute(cycle=built.cycle, actor=users["city_admin"])
    return built.cycle


def _kwargs(obj, cycle):
    return {"cycle": {"year": cycle.year}, "missing_cycle": {"year": 1999}}[obj]


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_results_pages_give_expected_outcome_for_every_role(row, users, results_cycle,
                                                            client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row.obj, results_cycle))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == row.expected


def _state(cycle) -> tuple:
    results = CycleResults.objects.get(cycle=cycle)
    return (results.pk, results.digest, results.computed_at, results.justification,
            list(results.tiers.order_by("pk").values_list("pk", "tier")))


@pytest.mark.parametrize("role", [r for r in ROLES if r != "city_admin"])
def test_only_the_city_administrator_computes_or_justifies(role, users, results_cycle,
                                                           client_for):
    client = client_for(users.get(role))
    before = _state(results_cycle)
    year = results_cycle.year
    compute = client.post(reverse("evaluations:results_compute", args=[year]))
    justify = client.post(reverse("evaluations:results_justify", args=[year]),
                          {"text": "理由"})
    expected = 302 if role == "anonymous" else 403
    assert (compute.status_code, justify.status_code) == (expected, expected)
    assert _state(results_cycle) == before
