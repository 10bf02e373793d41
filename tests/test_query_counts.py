"""The number of SQL queries of a page must not grow with the data (10 vs 10,000 rows)."""
import datetime as dt
import itertools

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institutions.enums import Role
from institutions.models import Cluster, District, Institution
from tests.factories import CycleFactory, InstitutionFactory, PolicyVersionFactory, UserFactory

SMALL, LARGE = 10, 10_000
MAX_QUERIES = 12
STATUSES = itertools.cycle(["active", "active", "active", "abandoned", "cancelled"])


@pytest.fixture
def viewers(gulou):
    """Accounts that bring no institution along, so the registry holds exactly 10 / 10,000."""
    return {
        "city_admin": UserFactory(username="counter", role=Role.CITY_ADMIN),
        "district_reviewer": UserFactory(username="counter_gulou", role=Role.DISTRICT_REVIEWER,
                                         district=gulou),
    }


def _add_institutions(n: int) -> None:
    """``n`` more institutions over every district, cluster, status and filing year."""
    districts = list(District.objects.all())
    clusters = list(Cluster.objects.all())
    start = Institution.objects.count()
    Institution.objects.bulk_create([
        InstitutionFactory.build(
            district=districts[i % len(districts)], cluster=clusters[i % len(clusters)],
            status=next(STATUSES), filing_date=dt.date(2015 + i % 10, 1 + i % 12, 1))
        for i in range(start, start + n)
    ], batch_size=1000)


def _queries(client, url, data=None) -> int:
    client.get(url, data)  # warm the caches (content types, session) before counting
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _institution_page_counts(client, url, data=None) -> tuple[int, int]:
    _add_institutions(SMALL)
    small = _queries(client, url, data)
    _add_institutions(LARGE - SMALL)
    assert Institution.objects.count() == LARGE
    return small, _queries(client, url, data)


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer"])
def test_registry_list_query_count_does_not_grow_with_registry(client_for, viewers, role):
    small, large = _institution_page_counts(client_for(viewers[role]),
                                            reverse("institutions:list"))
    assert small == large <= MAX_QUERIES


def test_registry_list_filtered_query_count_does_not_grow_with_registry(client_for, viewers):
    small, large = _institution_page_counts(
        client_for(viewers["city_admin"]), reverse("institutions:list"),
        {"q": "研发机构", "status": "active", "page": 1})
    assert small == large <= MAX_QUERIES


def test_city_admin_home_query_count_does_not_grow_with_registry(client_for, viewers):
    small, large = _institution_page_counts(client_for(viewers["city_admin"]), reverse("home"))
    assert small == large <= MAX_QUERIES


def test_policy_list_query_count_does_not_grow_with_versions(client_for, users):
    client = client_for(users["city_admin"])
    url = reverse("evaluations:policy_list")
    small = _queries(client, url)
    for _ in range(60):
        CycleFactory(policy_version=PolicyVersionFactory())
    PolicyVersionFactory.create_batch(60)
    assert small == _queries(client, url) <= MAX_QUERIES


def test_audit_log_query_count_does_not_grow_with_entries(client_for, users):
    client = client_for(users["city_admin"])
    url = reverse("audit_log")
    small = _queries(client, url)
    content_type = ContentType.objects.get_for_model(Institution)
    LogEntry.objects.bulk_create([
        LogEntry(content_type=content_type, object_pk=str(i), object_id=i,
                 object_repr=f"研究院{i}", action=LogEntry.Action.UPDATE,
                 changes={"name": [f"旧{i}", f"新{i}"]},
                 actor=users["city_admin"] if i % 2 else users["panel_organiser"])
        for i in range(500)
    ])
    assert LogEntry.objects.count() > 500
    assert small == _queries(client, url) <= MAX_QUERIES


# --- Self-evaluation progress (issue 3 §6): 10 vs 2,000+ reports ----------------------------

PROGRESS_SMALL, PROGRESS_LARGE = 10, 2_010


def _progress_counts(client, url, data=None) -> tuple[int, int]:
    from evaluations.models import Submission
    from tests.evaluations.progress_data import bulk_invite, open_cycle

    cycle = open_cycle(2026)
    bulk_invite(cycle, PROGRESS_SMALL)
    small = _queries(client, url, data)
    bulk_invite(cycle, PROGRESS_LARGE - PROGRESS_SMALL)
    assert Submission.objects.filter(cycle=cycle).count() == PROGRESS_LARGE
    return small, _queries(client, url, data)


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer"])
def test_progress_page_query_count_does_not_grow_with_reports(client_for, viewers, role):
    url = reverse("evaluations:progress", kwargs={"year": 2026})
    small, large = _progress_counts(client_for(viewers[role]), url)
    assert small == large <= MAX_QUERIES


def test_progress_page_filtered_query_count_does_not_grow_with_reports(client_for, viewers):
    cluster = Cluster.objects.order_by("sort_order").first()
    small, large = _progress_counts(client_for(viewers["city_admin"]),
                                    reverse("evaluations:progress", kwargs={"year": 2026}),
                                    {"cluster": cluster.pk, "status": "in_progress", "page": 2})
    assert small == large <= MAX_QUERIES


# The home page reads its role's to-do list (a few reads per open cycle, the services'
# checks) above the dashboard.
HOME_MAX_QUERIES = 16


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer"])
def test_home_with_progress_query_count_does_not_grow_with_reports(client_for, viewers, role):
    small, large = _progress_counts(client_for(viewers[role]), reverse("home"))
    assert small == large <= HOME_MAX_QUERIES
