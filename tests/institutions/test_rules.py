"""Permissions as predicates (django-rules): global permissions by role, object permissions by
scope."""
import pytest

from institutions import rules as perms
from institutions.enums import Role
from institutions.models import User

ROLES = ("city_admin", "panel_organiser", "expert", "district_reviewer",
         "district_reviewer_other", "institution_filer", "institution_admin",
         "institution_filer_other")


def _holders(users, perm, obj=None) -> set[str]:
    return {role for role in ROLES if users[role].has_perm(perm, obj)}


@pytest.mark.parametrize("perm, holders", [
    ("institutions.view_registry", {"city_admin", "panel_organiser", "district_reviewer",
                                    "district_reviewer_other"}),
    ("institutions.manage_registry", {"city_admin"}),
    ("institutions.view_own_institution", {"institution_filer", "institution_admin",
                                           "institution_filer_other"}),
    ("institutions.view_audit_log", {"city_admin", "district_reviewer",
                                     "district_reviewer_other", "institution_admin"}),
    ("evaluations.view_policyversion", {"city_admin", "panel_organiser"}),
    ("evaluations.manage_policy", {"city_admin"}),
])
def test_global_permission_is_held_by_expected_roles(users, perm, holders):
    assert _holders(users, perm) == holders


def test_view_institution_follows_scope(users, institution, sibling_institution,
                                        other_institution):
    perm = "institutions.view_institution"
    assert {
        "own": _holders(users, perm, institution),
        "same_district": _holders(users, perm, sibling_institution),
        "other_district": _holders(users, perm, other_institution),
    } == {
        "own": {"city_admin", "panel_organiser", "district_reviewer", "institution_filer",
                "institution_admin"},
        "same_district": {"city_admin", "panel_organiser", "district_reviewer"},
        "other_district": {"city_admin", "panel_organiser", "district_reviewer_other",
                           "institution_filer_other"},
    }


@pytest.mark.parametrize("action", ["add", "change", "delete", "change_status"])
def test_registry_writes_are_for_the_city_admin_only(users, institution, other_institution,
                                                    action):
    perm = f"institutions.{action}_institution"
    assert [_holders(users, perm, institution), _holders(users, perm, other_institution)] == [
        {"city_admin"}, {"city_admin"}]


def test_anonymous_user_holds_no_permission(db, institution):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert [anonymous.has_perm("institutions.view_registry"),
            anonymous.has_perm("institutions.view_institution", institution)] == [False, False]


def test_unbound_district_reviewer_is_not_a_district_reviewer(db, institution):
    # A reviewer row whose district was never set must not see "its" (None) district.
    user = User(username="loose", role=Role.DISTRICT_REVIEWER)
    institution.district_id = None
    assert [perms.is_district_reviewer(user), perms.can_view_institution(user, institution)] == [
        False, False]


def test_unbound_institution_account_sees_no_institution(db, institution):
    user = User(username="loose", role=Role.INSTITUTION_FILER)
    assert [perms.is_institution_user(user), perms.can_view_institution(user, None)] == [
        False, False]


def test_user_without_role_holds_no_permission(db, institution):
    user = User.objects.create(username="nobody")
    assert [user.has_perm("institutions.view_registry"),
            user.has_perm("institutions.view_institution", institution),
            user.has_perm("evaluations.view_policyversion")] == [False, False, False]
