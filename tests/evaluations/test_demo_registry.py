"""The demo data of `make run`: the registry's real shape and an account for every role.

``seed_demo`` also opens the demo cycles and takes them through the services, which takes
half a minute: it runs once for the module, in a transaction rolled back at the end (each test
runs in a savepoint inside it)."""
import io

import pytest
from auditlog.context import disable_auditlog
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from stdnum.cn import uscc

from evaluations.demo import panel as panel_demo
from evaluations.demo import registry as demo
from institutions.enums import Role
from institutions.models import Cluster, District, Institution, InstitutionStatusChange, User
from institutions.reference_data import ensure_reference_data


def _counts() -> dict:
    return {"institutions": Institution.objects.count(), "users": User.objects.count(),
            "status_changes": InstitutionStatusChange.objects.count()}


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), \
            transaction.atomic():
        with disable_auditlog():
            ensure_reference_data(District, Cluster)
        first = _seed()
        yield first, _counts()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return _seeded_once


def test_seed_demo_is_idempotent(seeded):
    first, after_first = seeded
    codes = set(Institution.objects.values_list("credit_code", flat=True))
    second = _seed()
    # Users: the demo logins, one reviewer per district, the reporting institutions' accounts
    # and the pool's expert accounts; status changes: the 2025 cycle's three non-participants
    # (R2).
    assert after_first == _counts() == {"institutions": 150, "users": 158, "status_changes": 3}
    assert set(Institution.objects.values_list("credit_code", flat=True)) == codes
    assert (first.strip(), second.strip()) == (
        "demo data: 150 institutions created, 10 demo accounts ready",
        "demo data: 0 institutions created, 10 demo accounts ready")


def test_seed_demo_registry_has_valid_unique_codes_and_names(seeded):
    rows = list(Institution.objects.values_list("credit_code", "name"))
    assert [code for code, _ in rows if not uscc.is_valid(code)] == []
    assert (len({code for code, _ in rows}), len({name for _, name in rows})) == (150, 150)


def test_seed_demo_filing_years_span_2015_to_2024(seeded):
    years = {d.year for d in Institution.objects.values_list("filing_date", flat=True)}
    assert years == set(range(2015, 2025))


def test_seed_demo_covers_every_district_and_cluster(seeded):
    assert (Institution.objects.values("district").distinct().count(),
            Institution.objects.values("cluster").distinct().count()) == (13, 10)


def test_seed_demo_creates_an_account_for_every_role_bound_to_its_scope(seeded):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    for user in User.objects.all():
        user.full_clean()  # each account is bound to the scope its role needs
    assert all(user.check_password(demo.DEMO_PASSWORD) for user in User.objects.all())
    assert User.objects.get(username="inst_filer").institution.district.name == "鼓楼区"
    assert User.objects.get(username="inst_filer_yunlong").institution.district.name == "云龙区"


def test_seed_demo_does_not_reset_changed_passwords(seeded):
    user = User.objects.get(username="city_admin")
    user.set_password("changed-by-owner-2026")
    user.save()
    _seed()
    user.refresh_from_db()
    assert user.check_password("changed-by-owner-2026") is True


def test_demo_logins_prints_every_account(seeded):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert listed == [username for username, _, _ in demo.demo_accounts()] + [
        panel_demo.INVITEE]
    assert demo.DEMO_PASSWORD in out.getvalue()
    gulou_line = next(line for line in lines if line.split()[:1] == ["district_gulou"])
    assert "鼓楼区" in gulou_line
