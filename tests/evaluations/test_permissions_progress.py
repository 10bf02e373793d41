"""The progress pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): the city and the districts follow the progress, nobody
else; a missing cycle is a 404 to those who may follow progress."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.evaluations.progress_data import open_cycle
from tests.test_permission_matrix import (
    CITY_STAFF,
    DISTRICT,
    ROLES,
    XLSX,
    Redirect,
    Row,
    _outcome,
    only,
)

FOLLOW_PROGRESS = (*CITY_STAFF, *DISTRICT)
MISSING_YEAR = 1999

GET_ROWS = [
    Row("evaluations:progress", only(FOLLOW_PROGRESS, 200), "cycle"),
    Row("evaluations:progress", only(FOLLOW_PROGRESS, 404), "missing"),
    Row("evaluations:progress_export", only(FOLLOW_PROGRESS, 200), "cycle", content_type=XLSX),
    Row("evaluations:progress_export", only(FOLLOW_PROGRESS, 404), "missing"),
    Row("evaluations:progress_current",
        only(FOLLOW_PROGRESS, Redirect("evaluations:progress", "cycle"))),
]


@pytest.fixture
def progress_cycle(reference_data):
    return open_cycle(2026)


def _kwargs(obj: str | None, cycle) -> dict:
    return {None: {}, "cycle": {"year": cycle.year}, "missing": {"year": MISSING_YEAR}}[obj]


def _resolve(outcome, cycle):
    if isinstance(outcome, Redirect):
        return reverse(outcome.to, kwargs=_kwargs(outcome.obj, cycle))
    return outcome


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_progress_pages_give_expected_outcome_for_every_role(row, users, progress_cycle,
                                                             client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row.obj, progress_cycle))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == {role: _resolve(outcome, progress_cycle)
                      for role, outcome in row.expected.items()}
