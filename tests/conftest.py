"""Shared fixtures: one account per role, each bound to its scope, plus users of *another*
institution and *another* district for the permission matrix."""
from __future__ import annotations

import importlib
import os

import pytest
from auditlog.context import disable_auditlog
from django.db.models.signals import post_migrate

from institutions.enums import Role
from institutions.models import Cluster, District
from institutions.reference_data import ensure_reference_data
from tests.factories import InstitutionFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; live_server tests need this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-9"


# The migrations that load data (districts and clusters, the default policy version). A
# transactional test ends with a flush that empties every table; under pytest-xdist an ordinary
# test of another file may run after it in the same worker, so the flush's post_migrate signal
# loads this data again, as the migrations did.
DATA_MIGRATIONS = [("institutions", "0002_registry_data"), ("evaluations", "0003_default_policy")]


def _reload_data_migrations(sender, using="default", **kwargs):
    from django.apps import apps as global_apps

    if sender.label != "evaluations":  # once per flush, after every app's tables exist
        return
    with disable_auditlog():
        for app, name in DATA_MIGRATIONS:
            module = importlib.import_module(f"{app}.migrations.{name}")
            module.load(global_apps, None)


post_migrate.connect(_reload_data_migrations, dispatch_uid="tests-reload-data-migrations")


@pytest.fixture
def reference_data(db):
    """Districts and clusters come from a data migration; transactional tests (live_server)
    flush them after each test, so make sure they exist (without audit entries: they are
    reference data, not a user's change)."""
    with disable_auditlog():
        ensure_reference_data(District, Cluster)


@pytest.fixture
def gulou(reference_data):
    return District.objects.get(name="鼓楼区")


@pytest.fixture
def yunlong(reference_data):
    return District.objects.get(name="云龙区")


@pytest.fixture
def institution(gulou):
    return InstitutionFactory(district=gulou, name="徐州工程机械研究院")


@pytest.fixture
def other_institution(yunlong):
    return InstitutionFactory(district=yunlong, name="云龙新材料研究院")


@pytest.fixture
def users(institution, other_institution, gulou, yunlong):
    """Every role, keyed by a short name; `*_other` are the same roles elsewhere."""
    return {
        "city_admin": UserFactory(username="city", role=Role.CITY_ADMIN),
        "panel_organiser": UserFactory(username="organiser", role=Role.PANEL_ORGANISER),
        "expert": UserFactory(username="expert", role=Role.EXPERT),
        "district_reviewer": UserFactory(username="gulou", role=Role.DISTRICT_REVIEWER,
                                         district=gulou),
        "district_reviewer_other": UserFactory(username="yunlong",
                                               role=Role.DISTRICT_REVIEWER, district=yunlong),
        "institution_filer": UserFactory(username="filer", role=Role.INSTITUTION_FILER,
                                         institution=institution),
        "institution_admin": UserFactory(username="instadmin", role=Role.INSTITUTION_ADMIN,
                                         institution=institution),
        "institution_filer_other": UserFactory(username="filer2",
                                               role=Role.INSTITUTION_FILER,
                                               institution=other_institution),
    }


@pytest.fixture
def city_admin(users):
    return users["city_admin"]


# --- Added for the foundation tests (permission matrix, registry, policy, accounts, audit) ----

# Real-shaped unified social credit codes (GB 32100) that the factories never generate.
VALID_CODE = "91320302MA1N0A2B3N"
VALID_CODE_2 = "12320300466012345E"
VALID_CODE_3 = "52320303MJ0876543F"
BAD_CHECK_CODE = "91320302MA1N0A2B3X"  # VALID_CODE with the wrong check character


@pytest.fixture
def sibling_institution(gulou):
    """Another institution of ``institution``'s district, with no account bound to it."""
    return InstitutionFactory(district=gulou, name="鼓楼智能装备研究院")


@pytest.fixture
def client_for(db):
    """A fresh test client logged in as ``user`` (anonymous for ``None``)."""
    from django.test import Client

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def institution_data(gulou):
    """POST data of the institution form: a new institution, or ``instance``'s current values,
    with ``overrides`` applied."""
    from institutions.models import Cluster

    def make(instance=None, **overrides):
        if instance is None:
            data = {
                "name": "徐州智能制造技术研究院", "credit_code": VALID_CODE,
                "district": gulou.pk, "cluster": Cluster.objects.get(name="新材料").pk,
                "filing_date": "2022-03-15", "legal_representative": "王伟",
                "contact_person": "刘芳", "contact_phone": "0516-85550000",
                "contact_email": "office@example.cn", "address": "徐州市鼓楼区中山北路1号",
            }
        else:
            data = {
                "name": instance.name, "credit_code": instance.credit_code,
                "district": instance.district_id, "cluster": instance.cluster_id,
                "filing_date": instance.filing_date.isoformat(),
                "legal_representative": instance.legal_representative,
                "contact_person": instance.contact_person,
                "contact_phone": instance.contact_phone,
                "contact_email": instance.contact_email, "address": instance.address,
            }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def default_policy(db):
    """The policy version loaded by the data migration (the measures' own parameters); made
    again if a transactional test flushed it."""
    import datetime as dt

    from evaluations.models import PolicyVersion

    version, _ = PolicyVersion.objects.get_or_create(
        effective_date=dt.date(2020, 1, 1),
        defaults={"name": "《徐州市新型研发机构绩效评价管理办法（试行）》默认参数"})
    return version


@pytest.fixture
def policy_data():
    """POST data of the policy-version form: the R13 defaults with ``overrides`` applied."""

    def make(**overrides):
        data = {
            "name": "2026年修订参数", "document_number": "徐科发〔2026〕1号",
            "effective_date": "2026-07-01", "share_a": 50, "share_b": 40, "share_c": 10,
            "excellent_share": 10, "good_share": 25, "top_tier_cap": 30, "fail_min_share": 3,
            "spot_check_share": 3, "trim_from_scores": 5, "notice_working_days": 5,
            "reward_cap_yuan": 5_000_000, "cohort_min_age_years": 2, "panel_size": 7,
            "panel_alternates": 2, "min_panel_scores": 5, "notes": "",
        }
        data.update(overrides)
        return data

    return make


def _flushes_the_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return ("tests/browser/" in item.nodeid.replace("\\", "/")
            or bool(marker and marker.kwargs.get("transaction")))


def pytest_collection_modifyitems(items):
    """Transactional tests last (the browser tests and the races between requests): the
    database they leave behind is flushed (serialized rollback restores data at the start of
    the next such test, not after the last one), so no ordinary test may run after them."""
    items.sort(key=_flushes_the_database)
