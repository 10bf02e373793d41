"""Reads scoped to the user, and the registry search."""
import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from institutions.models import Cluster, District, Institution, User
from institutions.selectors import institution_search, institutions_for_user
from tests.conftest import VALID_CODE_3
from tests.factories import InstitutionFactory


def _names(qs) -> set[str]:
    return set(qs.values_list("name", flat=True))


@pytest.fixture
def registry(institution, sibling_institution, other_institution):
    return {institution.name, sibling_institution.name, other_institution.name}


@pytest.mark.parametrize("role, visible", [
    ("city_admin", {"徐州工程机械研究院", "鼓楼智能装备研究院", "云龙新材料研究院"}),
    ("panel_organiser", {"徐州工程机械研究院", "鼓楼智能装备研究院", "云龙新材料研究院"}),
    ("district_reviewer", {"徐州工程机械研究院", "鼓楼智能装备研究院"}),
    ("district_reviewer_other", {"云龙新材料研究院"}),
    ("institution_filer", {"徐州工程机械研究院"}),
    ("institution_admin", {"徐州工程机械研究院"}),
    ("institution_filer_other", {"云龙新材料研究院"}),
    ("expert", set()),
])
def test_institutions_for_user_is_scoped_to_role(users, registry, role, visible):
    assert _names(institutions_for_user(users[role])) == visible


def test_institutions_for_user_is_empty_for_anonymous(registry):
    assert _names(institutions_for_user(AnonymousUser())) == set()


def test_institutions_for_user_is_empty_without_role(registry):
    assert _names(institutions_for_user(User.objects.create(username="nobody"))) == set()


@pytest.fixture
def searchable(reference_data):
    gulou = District.objects.get(name="鼓楼区")
    yunlong = District.objects.get(name="云龙区")
    machinery = Cluster.objects.get(name="工程机械")
    materials = Cluster.objects.get(name="新材料")
    rows = [
        ("徐州液压传动研究院", gulou, machinery, dt.date(2019, 3, 1), "active", "王伟"),
        ("徐州高分子材料研究院", gulou, materials, dt.date(2020, 6, 1), "abandoned", "李娜"),
        ("云龙碳基材料研究院", yunlong, materials, dt.date(2019, 9, 1), "cancelled", "张敏"),
        ("云龙智能装备研究院", yunlong, machinery, dt.date(2021, 1, 1), "active", "刘洋"),
    ]
    for name, district, cluster, filed, status, person in rows:
        InstitutionFactory(name=name, district=district, cluster=cluster, filing_date=filed,
                           status=status, contact_person=person)
    Institution.objects.filter(name="云龙碳基材料研究院").update(credit_code=VALID_CODE_3)
    return {"qs": Institution.objects.all(), "gulou": gulou, "materials": materials}


@pytest.mark.parametrize("filters, expected", [
    ({}, {"徐州液压传动研究院", "徐州高分子材料研究院", "云龙碳基材料研究院",
          "云龙智能装备研究院"}),
    ({"q": "材料"}, {"徐州高分子材料研究院", "云龙碳基材料研究院"}),
    ({"q": "  液压 "}, {"徐州液压传动研究院"}),
    ({"q": "刘洋"}, {"云龙智能装备研究院"}),
    ({"q": "不存在"}, set()),
    ({"status": "active"}, {"徐州液压传动研究院", "云龙智能装备研究院"}),
    ({"status": "cancelled"}, {"云龙碳基材料研究院"}),
    ({"filing_year": 2019}, {"徐州液压传动研究院", "云龙碳基材料研究院"}),
    ({"filing_year": 2022}, set()),
])
def test_institution_search_filters(searchable, filters, expected):
    assert _names(institution_search(searchable["qs"], **filters)) == expected


def test_institution_search_finds_credit_code_typed_in_lower_case(searchable):
    assert VALID_CODE_3 == "52320303MJ0876543F"
    assert _names(institution_search(searchable["qs"], q="mj0876")) == {"云龙碳基材料研究院"}


def test_institution_search_combines_district_and_cluster(searchable):
    qs = institution_search(searchable["qs"], district=searchable["gulou"].pk,
                            cluster=searchable["materials"].pk)
    assert _names(qs) == {"徐州高分子材料研究院"}


def test_institution_search_keeps_the_scope_of_its_queryset(users, searchable, yunlong):
    scoped = institutions_for_user(users["district_reviewer"])  # 鼓楼区
    assert _names(institution_search(scoped, district=yunlong.pk)) == set()
