"""The results pages read in the same number of queries whatever the cycle's size: the
results page (counts, checks, by district and cluster, a page of the table), its comparison
with the stored results, and the Excel export of every row."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.services.results import results_compute
from tests.evaluations.results_setup import build_reverification_cycle, district

pytestmark = pytest.mark.usefixtures("default_policy")


def _count(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **headers).status_code == 200
    return len(queries)


@pytest.fixture
def computed(city_admin):
    def make(n: int, year: int):
        cycle = build_reverification_cycle(city_admin, {
            "鼓楼区": district(n, top=99, step=0.25),
            "云龙区": district(n // 2, top=98.9, step=0.25),
            "泉山区": district(n // 2, top=98.8, step=0.25, changes={1: {"fraud": True}})},
            year=year).cycle
        results_compute(cycle=cycle, actor=city_admin)
        return cycle
    return make


@pytest.mark.parametrize("name", ["results", "results_recompute", "results_export"])
def test_results_pages_do_not_grow_with_the_cycle(computed, city_admin, client_for, name):
    client = client_for(city_admin)
    small, large = computed(12, 2025), computed(120, 2027)
    urls = [reverse(f"evaluations:{name}", args=[cycle.year]) for cycle in (small, large)]
    for url in urls:  # warm up: content types, the session
        client.get(url)
    assert _count(client, urls[0]) == _count(client, urls[1])
    filtered = [f"{url}?tier=qualified&o=-score" for url in urls]
    assert _count(client, filtered[0]) == _count(client, filtered[1])
