"""The expert pool's pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): the panel organiser keeps the pool, the city administrator
reads it, nobody else sees it (districts and institutions never read experts' data); a missing
expert is a 404 to those who may see the pool. A refused POST changes nothing."""
from __future__ import annotations

import pytest
from django.urls import reverse

from institutions.enums import ExpertStatus
from institutions.models import Expert
from tests.factories import ExpertFactory
from tests.test_permission_matrix import ROLES, Row, _outcome, only

MISSING_PK = 987654
READ = ("city_admin", "panel_organiser")
KEEP = ("panel_organiser",)

GET_ROWS = [
    Row("institutions:expert_list", only(READ, 200)),
    Row("institutions:expert_detail", only(READ, 200), "expert"),
    Row("institutions:expert_detail", only(READ, 404), "missing"),
    Row("institutions:expert_create", only(KEEP, 200)),
    Row("institutions:expert_update", only(KEEP, 200), "expert"),
    Row("institutions:expert_update", only(KEEP, 404), "missing"),
    Row("institutions:expert_suspend", only(KEEP, 200), "expert"),
    Row("institutions:expert_suspend", only(KEEP, 404), "missing"),
    Row("institutions:expert_reinstate", only(KEEP, 405), "expert"),  # a POST only
]


@pytest.fixture
def expert(reference_data):
    return ExpertFactory()


def _kwargs(obj, expert):
    return {None: {}, "expert": {"pk": expert.pk}, "missing": {"pk": MISSING_PK}}[obj]


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_pool_pages_give_expected_outcome_for_every_role(row, users, expert, client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row.obj, expert))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == row.expected


@pytest.mark.parametrize("role", [r for r in ROLES if r != "panel_organiser"])
def test_a_refused_post_changes_nothing(role, users, expert, client_for):
    client = client_for(users.get(role))
    client.post(reverse("institutions:expert_suspend", args=[expert.pk]), {"reason": "出国"})
    client.post(reverse("institutions:expert_update", args=[expert.pk]), {"name": "改名"})
    client.post(reverse("institutions:expert_create"), {"pool_number": "E9999", "name": "新"})
    assert Expert.objects.values_list("status", "name").get(pk=expert.pk) == (
        ExpertStatus.ACTIVE, expert.name)
    assert not Expert.objects.filter(pool_number="E9999").exists()
    Expert.objects.filter(pk=expert.pk).update(status=ExpertStatus.SUSPENDED)
    client.post(reverse("institutions:expert_reinstate", args=[expert.pk]))
    assert Expert.objects.get(pk=expert.pk).status == ExpertStatus.SUSPENDED
