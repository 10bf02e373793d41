"""Every page × every role: the expected 200 / 302-to-login / 403 / 404.

One row per URL (and per kind of object for object URLs); each row states the outcome for every
role of the ``users`` fixture and for an anonymous visitor. A named URL of the project without a
row fails ``test_permission_matrix_covers_every_named_url``: add its row when you add a page.

Objects, seen from the accounts of ``users``:
- ``own``: ``institution`` (鼓楼区), bound to ``institution_filer`` and ``institution_admin``;
- ``same_district``: ``sibling_institution``, another 鼓楼区 institution with no account;
- ``other_district``: ``other_institution`` (云龙区), bound to ``institution_filer_other``;
- ``missing``: a primary key that does not exist (a forbidden object and a missing one look alike).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from evaluations.models import PolicyVersion
from institutions.models import Institution, InstitutionStatusChange

ROLES = (
    "anonymous", "city_admin", "panel_organiser", "expert", "district_reviewer",
    "district_reviewer_other", "institution_filer", "institution_admin",
    "institution_filer_other",
)
CITY_STAFF = ("city_admin", "panel_organiser")
DISTRICT = ("district_reviewer", "district_reviewer_other")
OWN_INSTITUTION = ("institution_filer", "institution_admin")

LOGIN = "302 to login"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MISSING_PK = 987654


@dataclass(frozen=True)
class Redirect:
    """A 302 to a page other than the login page; ``to`` is a URL name resolved by the test."""

    to: str
    obj: str | None = None


def outcomes(default, *, anonymous=LOGIN, **per_role):
    """The expected outcome of every role: ``default`` unless named."""
    unknown = set(per_role) - set(ROLES)
    assert not unknown, unknown
    return {"anonymous": anonymous, **{role: per_role.get(role, default) for role in ROLES[1:]}}


def only(roles, outcome, default=403, **kwargs):
    return outcomes(default, **{role: outcome for role in roles}, **kwargs)


@dataclass(frozen=True)
class Row:
    name: str
    expected: dict
    obj: str | None = None  # which object the URL is about (see the module docstring)
    method: str = "get"
    content_type: str | None = None  # checked on 200 answers
    kwargs: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "-".join(p for p in (self.method.upper(), self.name, self.obj) if p)


# Object URLs of the registry: city staff see every institution, a district reviewer the
# institutions of its district, an institution account its own; the rest is 404.
VIEW_INSTITUTION = {
    "own": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer", *OWN_INSTITUTION),
                                         200)),
    "same_district": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer"), 200)),
    "other_district": outcomes(404, **dict.fromkeys(
        (*CITY_STAFF, "district_reviewer_other", "institution_filer_other"), 200)),
    "missing": outcomes(404),
}
# Editing: only the city administrator; whoever may see the object but not edit it gets 403.
MANAGE_INSTITUTION = {
    obj: {role: (200 if role == "city_admin" else 403) if outcome == 200 else outcome
          for role, outcome in expected.items()}
    for obj, expected in VIEW_INSTITUTION.items()
}
MANAGE_INSTITUTION["missing"] = outcomes(404)

GET_ROWS = [
    Row("home", outcomes(200, anonymous=200)),
    Row("login", outcomes(200, anonymous=200)),
    Row("logout", outcomes(405, anonymous=405)),  # log-out is a POST (see POST_ROWS)
    Row("password_change", outcomes(200)),
    Row("password_change_done", outcomes(200)),
    Row("password_reset", outcomes(200, anonymous=200)),
    Row("password_reset_done", outcomes(200, anonymous=200)),
    Row("password_reset_confirm", outcomes(200, anonymous=200),
        kwargs={"uidb64": "MQ", "token": "not-a-token"}),  # renders "invalid link"
    Row("password_reset_complete", outcomes(200, anonymous=200)),
    Row("audit_log", only(["city_admin", *DISTRICT, "institution_admin"], 200)),
    Row("audit_log_export", only(["city_admin", *DISTRICT, "institution_admin"], 200),
        content_type=XLSX),
    Row("institutions:list", only((*CITY_STAFF, *DISTRICT), 200)),
    Row("institutions:create", only(["city_admin"], 200)),
    Row("institutions:mine", outcomes(
        403, **dict.fromkeys(OWN_INSTITUTION, Redirect("institutions:detail", "own")),
        institution_filer_other=Redirect("institutions:detail", "other_district"))),
    *[Row("institutions:detail", expected, obj) for obj, expected in VIEW_INSTITUTION.items()],
    *[Row("institutions:update", expected, obj)
      for obj, expected in MANAGE_INSTITUTION.items()],
    *[Row("institutions:status", expected, obj)
      for obj, expected in MANAGE_INSTITUTION.items()],
    Row("institutions:import", only(["city_admin"], 200)),
    Row("institutions:import_template", only(["city_admin"], 200)),
    Row("institutions:export", only((*CITY_STAFF, *DISTRICT), 200), content_type=XLSX),
    Row("evaluations:policy_list", only(CITY_STAFF, 200)),
    Row("evaluations:policy_create", only(["city_admin"], 200)),
    Row("evaluations:policy_detail", only(CITY_STAFF, 200), "policy"),
    # The object is looked up before the permission check: a missing version is 404 for all.
    Row("evaluations:policy_detail", outcomes(404), "missing"),
    Row("evaluations:policy_update", only(["city_admin"], 200), "policy"),
    Row("evaluations:policy_update", outcomes(404), "missing"),
]


def _changed(outcome):
    return (outcome, "changed")


def _unchanged(outcome):
    return (outcome, "unchanged")


def post_outcomes(expected_get: dict, success) -> dict:
    """A POST is refused exactly where the GET is, and then changes nothing; the city
    administrator's valid POST goes through."""
    return {role: _changed(success) if outcome == 200 else _unchanged(outcome)
            for role, outcome in expected_get.items()}


POST_ROWS = [
    Row("logout", {role: _unchanged(200) for role in ROLES}, method="post"),  # logged_out page
    Row("institutions:create", post_outcomes(only(["city_admin"], 200),
                                             Redirect("institutions:detail", "created")),
        method="post"),
    *[Row("institutions:update",
          post_outcomes(MANAGE_INSTITUTION[obj], Redirect("institutions:detail", obj)), obj,
          method="post")
      for obj in ("own", "same_district", "other_district")],
    *[Row("institutions:status",
          post_outcomes(MANAGE_INSTITUTION[obj], Redirect("institutions:detail", obj)), obj,
          method="post")
      for obj in ("own", "same_district", "other_district")],
    Row("evaluations:policy_create",
        post_outcomes(only(["city_admin"], 200), Redirect("evaluations:policy_detail", "created")),
        method="post"),
    Row("evaluations:policy_update",
        post_outcomes(only(["city_admin"], 200), Redirect("evaluations:policy_detail", "policy")),
        "policy", method="post"),
]

# Pages of third-party apps that are not ours to check here.
NOT_OURS = {"set_language"}
NOT_OURS_NAMESPACES = {"admin"}


def _named_urls(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in NOT_OURS_NAMESPACES:
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _named_urls(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}"


def _all_matrix_rows() -> list[Row]:
    """The rows of this module and of every ``tests/**/test_permissions_*.py`` module (one
    per part of the cycle, each with its own objects and fixtures)."""
    rows = list(GET_ROWS)
    for path in sorted(Path(__file__).parent.rglob("test_permissions_*.py")):
        module_name = ".".join(path.relative_to(Path(__file__).parents[1]).with_suffix("")
                               .parts)
        rows += importlib.import_module(module_name).GET_ROWS
    return rows


def test_permission_matrix_covers_every_named_url():
    named = set(_named_urls(get_resolver().url_patterns)) - NOT_OURS
    in_matrix = {row.name for row in _all_matrix_rows()}
    assert in_matrix == named


@pytest.fixture
def matrix_objects(institution, sibling_institution, other_institution, default_policy):
    return {"own": institution, "same_district": sibling_institution,
            "other_district": other_institution, "policy": default_policy}


def _kwargs(row: Row, objects: dict) -> dict:
    if row.obj is None:
        return row.kwargs
    if row.obj == "missing":
        return {"pk": MISSING_PK}
    return {"pk": objects[row.obj].pk}


def _outcome(response, row: Row, objects: dict, login_url: str):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(f"{login_url}?next="):
            return LOGIN
        return location
    if response.status_code == 200 and row.content_type:
        content_type = response["Content-Type"].split(";")[0]
        if content_type != row.content_type:
            return (200, content_type)
    return response.status_code


def _expected(expected: dict, objects: dict) -> dict:
    """Resolve the ``Redirect`` targets to URLs."""

    def resolve(outcome):
        if isinstance(outcome, tuple):
            return (resolve(outcome[0]), outcome[1])
        if isinstance(outcome, Redirect):
            if outcome.obj is None:
                return reverse(outcome.to)
            return reverse(outcome.to, kwargs={"pk": objects[outcome.obj].pk})
        return outcome

    return {role: resolve(outcome) for role, outcome in expected.items()}


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_permission_matrix_get_gives_expected_outcome_for_every_role(
        row, users, matrix_objects, client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row, matrix_objects))
    actual = {
        role: _outcome(client_for(users.get(role)).get(url), row, matrix_objects, login_url)
        for role in ROLES
    }
    assert actual == _expected(row.expected, matrix_objects)


def _snapshot() -> dict:
    """Everything a write view of this issue may touch."""
    return {
        "institutions": list(Institution.objects.order_by("pk").values()),
        "status_changes": list(InstitutionStatusChange.objects.order_by("pk").values()),
        "policy_versions": list(PolicyVersion.objects.order_by("pk").values()),
        "audit_entries": LogEntry.objects.count(),
    }


def _post_data(row: Row, objects: dict, institution_data, policy_data) -> dict:
    if row.name == "institutions:create":
        return institution_data()
    if row.name == "institutions:update":
        return institution_data(objects[row.obj], name="改名后的研究院",
                                contact_phone="0516-86660000")
    if row.name == "institutions:status":
        return {"to_status": "cancelled", "effective_on": "2025-06-30",
                "reason": "撤销备案：连续两年未参评。", "confirm": "on"}
    if row.name == "evaluations:policy_create":
        return policy_data()
    if row.name == "evaluations:policy_update":
        return policy_data(name=objects["policy"].name, effective_date="2020-01-01",
                           top_tier_cap=25)
    return {}


def _created(row: Row):
    """The object a successful create POST made (to resolve its redirect)."""
    if row.name == "institutions:create":
        return Institution.objects.order_by("-pk").first()
    if row.name == "evaluations:policy_create":
        return PolicyVersion.objects.order_by("-pk").first()
    return None


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row.id)
def test_permission_matrix_post_is_refused_and_changes_nothing_for_forbidden_roles(
        row, users, matrix_objects, client_for, institution_data, policy_data):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row, matrix_objects))
    actual = {}
    # The city administrator goes last so that every other role POSTs against the initial state.
    for role in sorted(ROLES, key=lambda role: role == "city_admin"):
        data = _post_data(row, matrix_objects, institution_data, policy_data)
        before = _snapshot()
        response = client_for(users.get(role)).post(url, data)
        after = _snapshot()
        changed = {key for key in before if before[key] != after[key]}
        actual[role] = (_outcome(response, row, matrix_objects, login_url),
                        "changed" if changed else "unchanged")
    objects = {**matrix_objects, "created": _created(row)}
    assert actual == _expected(row.expected, objects)
