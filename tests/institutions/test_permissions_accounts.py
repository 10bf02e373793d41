"""The account pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``), plus the administrator of the other institution.

The city administrator manages every account (but does not deactivate or reset its own); an
institution administrator the filers of its own institution (another institution's account,
or any other account, is a 404 like a missing one; the pages it may not use — unlocking, bulk
creation — are a 403); every other role gets 403, and anonymous visitors the login page.

Accounts, seen from the roles:
- ``own_filer``: ``institution_filer``, a filer of ``institution``;
- ``own_admin``: ``institution_admin``, the administrator of ``institution``;
- ``other_filer``: ``institution_filer_other``, a filer of ``other_institution``;
- ``reviewer``: ``district_reviewer``;
- ``city``: the city administrator itself;
- ``missing``: a primary key that does not exist.
"""
from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from institutions.enums import Role
from institutions.models import User
from tests.factories import CycleFactory, InstitutionFactory, UserFactory
from tests.institutions.test_accounts_services import attempt
from tests.test_permission_matrix import (
    LOGIN,
    MISSING_PK,
    ROLES,
    XLSX,
    Row,
    _changed,
    _outcome,
    _unchanged,
)

ACCOUNT_ROLES = (*ROLES, "institution_admin_other")
OBJECTS = ("own_filer", "own_admin", "other_filer", "reviewer", "city", "missing")
OBJECT_USERS = {"own_filer": "institution_filer", "own_admin": "institution_admin",
                "other_filer": "institution_filer_other", "reviewer": "district_reviewer",
                "city": "city_admin"}


def outcomes(default, *, anonymous=LOGIN, **per_role) -> dict:
    unknown = set(per_role) - set(ACCOUNT_ROLES)
    assert not unknown, unknown
    return {"anonymous": anonymous,
            **{role: per_role.get(role, default) for role in ACCOUNT_ROLES[1:]}}


# Who sees each account: the city every one; an institution administrator its own filers.
def _seen(obj: str) -> dict:
    if obj == "missing":
        return outcomes(403, city_admin=404, institution_admin=404,
                        institution_admin_other=404)
    institution_admin = 200 if obj == "own_filer" else 404
    institution_admin_other = 200 if obj == "other_filer" else 404
    return outcomes(403, city_admin=200, institution_admin=institution_admin,
                    institution_admin_other=institution_admin_other)


def _changing(obj: str) -> dict:
    """Deactivate, reactivate, reset: as seen, except the city administrator's own account."""
    seen = _seen(obj)
    return {**seen, "city_admin": 403} if obj == "city" else seen


def _unlocking(obj: str) -> dict:
    """The city administrator only: a 403 for every other role, before any lookup."""
    return outcomes(403, city_admin=404 if obj == "missing" else 200)


ACCOUNT_MANAGERS = ("city_admin", "institution_admin", "institution_admin_other")

GET_ROWS = [
    Row("institutions:account_list", outcomes(403, **dict.fromkeys(ACCOUNT_MANAGERS, 200))),
    Row("institutions:account_create", outcomes(403, **dict.fromkeys(ACCOUNT_MANAGERS, 200))),
    Row("institutions:account_bulk_create", outcomes(403, city_admin=200)),
    Row("institutions:account_bulk_export", outcomes(403, city_admin=200), "cycle",
        content_type=XLSX),
    *[Row("institutions:account_detail", _seen(obj), obj) for obj in OBJECTS],
    *[Row(name, _changing(obj), obj)
      for name in ("institutions:account_deactivate", "institutions:account_reactivate",
                   "institutions:account_password_reset")
      for obj in OBJECTS],
    *[Row("institutions:account_unlock", _unlocking(obj), obj) for obj in OBJECTS],
]


@pytest.fixture
def account_users(users, other_institution):
    return {**users, "institution_admin_other": UserFactory(
        username="instadmin2", role=Role.INSTITUTION_ADMIN, institution=other_institution)}


@pytest.fixture
def cycle(default_policy, gulou):
    InstitutionFactory(name="鼓楼研究院1", district=gulou, filing_date=dt.date(2022, 4, 1))
    return CycleFactory(year=2026, policy_version=default_policy)


def _url(row: Row, account_users, cycle) -> str:
    if row.obj == "cycle":
        return f"{reverse(row.name)}?cycle={cycle.pk}"
    if row.obj is None:
        return reverse(row.name)
    pk = MISSING_PK if row.obj == "missing" else account_users[OBJECT_USERS[row.obj]].pk
    return reverse(row.name, kwargs={"pk": pk})


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_account_pages_give_expected_outcome_for_every_role(row, account_users, cycle,
                                                            client_for):
    url = _url(row, account_users, cycle)
    actual = {role: _outcome(client_for(account_users.get(role)).get(url), row, {},
                             reverse("login"))
              for role in ACCOUNT_ROLES}
    assert actual == row.expected


# --- POST: refused exactly where the GET is, and then nothing changes -------------------------

# What a manager's successful POST answers: a redirect to the account's page, to the page of the
# account just created, or back to the cohort's page.
DETAIL, NEW_ACCOUNT, COHORT_PAGE = "the account's page", "the new account's page", "the cohort"


def _post_outcomes(expected_get: dict, success: str) -> dict:
    return {role: _changed(success) if outcome == 200 else _unchanged(outcome)
            for role, outcome in expected_get.items()}


POST_ROWS = [
    Row("institutions:account_create", _post_outcomes(GET_ROWS[1].expected, NEW_ACCOUNT),
        method="post"),
    Row("institutions:account_bulk_create", _post_outcomes(GET_ROWS[2].expected, COHORT_PAGE),
        method="post"),
    *[Row(name, _post_outcomes(_changing(obj), DETAIL), obj, method="post")
      for name in ("institutions:account_deactivate", "institutions:account_password_reset")
      for obj in ("own_filer", "other_filer", "reviewer")],
    *[Row("institutions:account_unlock", _post_outcomes(_unlocking(obj), DETAIL), obj,
          method="post")
      for obj in ("own_filer", "reviewer")],
]


def _snapshot() -> dict:
    return {
        "users": list(User.objects.order_by("pk").values()),
        "attempts": list(AccessAttempt.objects.order_by("pk").values_list("pk", flat=True)),
        "audit_entries": LogEntry.objects.count(),
        "mails": len(mail.outbox),
    }


def _post_data(row: Row, cycle) -> dict:
    if row.name == "institutions:account_create":
        # Valid for either kind of manager: the institution administrator's form has no role.
        return {"username": "new_filer", "full_name": "周填报", "email": "zhou@example.cn",
                "role": Role.EXPERT}
    if row.name == "institutions:account_bulk_create":
        return {"cycle": cycle.pk, "confirm": "on"}
    return {}


def _success_urls(row: Row, account_users, cycle) -> dict:
    new = User.objects.filter(username="new_filer").first()
    urls = {COHORT_PAGE: f"{reverse('institutions:account_bulk_create')}?cycle={cycle.pk}"}
    if new is not None:
        urls[NEW_ACCOUNT] = reverse("institutions:account_detail", kwargs={"pk": new.pk})
    if row.obj is not None:
        urls[DETAIL] = reverse("institutions:account_detail",
                               kwargs={"pk": account_users[OBJECT_USERS[row.obj]].pk})
    return urls


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row.id)
def test_account_posts_are_refused_and_change_nothing_for_forbidden_roles(
        row, account_users, cycle, client_for, django_capture_on_commit_callbacks):
    def restore():
        """Undo a manager's change, so that each manager acts on the initial state."""
        User.objects.filter(username="new_filer").delete()
        for pk, is_active, password in initial:
            User.objects.filter(pk=pk).update(is_active=is_active, password=password)
        for username in ("filer", "gulou"):
            if not AccessAttempt.objects.filter(username=username).exists():
                attempt(username, 2)

    initial = list(User.objects.values_list("pk", "is_active", "password"))
    restore()
    url = _url(row, account_users, cycle)
    actual = {}
    # The managers go last so that every other role POSTs against the initial state.
    for role in sorted(ACCOUNT_ROLES, key=lambda role: role in ACCOUNT_MANAGERS):
        client = client_for(account_users.get(role))  # logging in writes: snapshot after it
        before = _snapshot()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, _post_data(row, cycle))
        changed = before != _snapshot()
        outcome = _outcome(response, row, {}, reverse("login"))
        names = {url: name for name, url in _success_urls(row, account_users, cycle).items()}
        actual[role] = (names.get(outcome, outcome), "changed" if changed else "unchanged")
        restore()
    assert actual == row.expected
