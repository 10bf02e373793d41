"""The stage-2 dashboards × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``).

Objects, seen from the accounts of the ``users`` fixture, in the 2025 cycle whose preliminary
review is open:
- ``own``: the district review of 鼓楼区 (``district_reviewer``'s district, and that of
  ``institution``, bound to ``institution_filer`` and ``institution_admin``);
- ``other_district``: the district review of 云龙区 (``district_reviewer_other``'s);
- ``cycle`` / ``missing``: the cycle's year, and a year without a cycle;
- ``missing`` (district review): a primary key that does not exist.

City staff see every district and the city's dashboard; a district reviewer only its own
district's dashboard (another district's is a 404, like a missing one) and never the city's
(403); institutions and experts have no page here. Closing is the city administrator's.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.evaluations.preliminary_setup import district_review, open_preliminary_review
from tests.test_permission_matrix import (
    CITY_STAFF,
    MISSING_PK,
    ROLES,
    Redirect,
    Row,
    _outcome,
    only,
    outcomes,
)

MISSING_YEAR = 1999

VIEW_DISTRICT = {
    "own": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer"), 200)),
    "other_district": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer_other"),
                                                    200)),
    "missing": outcomes(404),
}

GET_ROWS = [
    Row("evaluations:review_home", outcomes(
        403, **dict.fromkeys(CITY_STAFF, Redirect("evaluations:preliminary_city", "cycle")),
        district_reviewer=Redirect("evaluations:district_dashboard", "own"),
        district_reviewer_other=Redirect("evaluations:district_dashboard", "other_district"))),
    *[Row("evaluations:district_dashboard", expected, obj)
      for obj, expected in VIEW_DISTRICT.items()],
    Row("evaluations:preliminary_city", only(CITY_STAFF, 200), "cycle"),
    Row("evaluations:preliminary_city", only(CITY_STAFF, 404), "missing_year"),
    Row("evaluations:preliminary_close", only(["city_admin"], 200), "cycle"),
    Row("evaluations:preliminary_close", only(["city_admin"], 404), "missing_year"),
]


@pytest.fixture
def objects(users, default_policy, private_media, gulou, yunlong):
    cycle = open_preliminary_review(users["city_admin"])
    return {"cycle": cycle, "own": district_review(cycle, gulou),
            "other_district": district_review(cycle, yunlong)}


def _kwargs(obj: str | None, objects: dict) -> dict:
    if obj is None:
        return {}
    if obj == "cycle":
        return {"year": objects["cycle"].year}
    if obj == "missing_year":
        return {"year": MISSING_YEAR}
    if obj == "missing":
        return {"pk": MISSING_PK}
    return {"pk": objects[obj].pk}


def _resolve(outcome, objects: dict):
    if isinstance(outcome, Redirect):
        return reverse(outcome.to, kwargs=_kwargs(outcome.obj, objects))
    return outcome


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_dashboard_pages_give_expected_outcome_for_every_role(row, users, objects, client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row.obj, objects))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == {role: _resolve(outcome, objects) for role, outcome in row.expected.items()}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "city_admin"])
def test_close_post_is_refused_for_every_other_role_and_closes_nothing(role, users, objects,
                                                                       client_for):
    cycle = objects["cycle"]
    response = client_for(users.get(role)).post(
        reverse("evaluations:preliminary_close", kwargs={"year": cycle.year}))
    expected = 302 if role == "anonymous" else 403
    assert (response.status_code, cycle.stages.get(stage="preliminary_review").is_closed) == (
        expected, False)
