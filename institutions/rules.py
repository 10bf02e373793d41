"""Permission predicates (django-rules). Every view declares its permission with these; objects a
user may not see are also filtered out by the selectors, so a forbidden object is a 404."""
from __future__ import annotations

import rules

from .enums import INSTITUTION_ROLES, Role


@rules.predicate
def is_city_admin(user) -> bool:
    return getattr(user, "role", None) == Role.CITY_ADMIN


@rules.predicate
def is_panel_organiser(user) -> bool:
    return getattr(user, "role", None) == Role.PANEL_ORGANISER


@rules.predicate
def is_district_reviewer(user) -> bool:
    return getattr(user, "role", None) == Role.DISTRICT_REVIEWER and user.district_id is not None


@rules.predicate
def is_institution_user(user) -> bool:
    return getattr(user, "role", None) in INSTITUTION_ROLES and user.institution_id is not None


@rules.predicate
def is_institution_admin(user) -> bool:
    return getattr(user, "role", None) == Role.INSTITUTION_ADMIN and user.institution_id is not None


@rules.predicate
def is_expert(user) -> bool:
    return getattr(user, "role", None) == Role.EXPERT


@rules.predicate
def is_city_staff(user) -> bool:
    """The city bureau and its information institute (which runs the panels)."""
    return getattr(user, "role", None) in (Role.CITY_ADMIN, Role.PANEL_ORGANISER)


@rules.predicate
def in_users_district(user, institution) -> bool:
    return institution is not None and institution.district_id == user.district_id


@rules.predicate
def is_own_institution(user, institution) -> bool:
    return institution is not None and institution.pk == user.institution_id


can_view_registry = is_city_staff | is_district_reviewer
can_view_institution = (
    is_city_staff
    | (is_district_reviewer & in_users_district)
    | (is_institution_user & is_own_institution)
)

rules.add_perm("institutions.view_registry", can_view_registry)
rules.add_perm("institutions.manage_registry", is_city_admin)
rules.add_perm("institutions.view_own_institution", is_institution_user)
# The audit trail: the city all of it, a district reviewer its district's records, an
# institution administrator its institution's (``audit.selectors.audit_entries_for_user``).
can_view_audit_log = is_city_admin | is_district_reviewer | is_institution_admin
rules.add_perm("institutions.view_audit_log", can_view_audit_log)


# --- Accounts (domain.md: the city manages every account; an institution administrator the
# filers of its own institution, and nothing else) ---------------------------------------------

# The roles each manager gives new accounts. City administrators are not made here: the
# operators of the system create them (``manage.py createsuperuser``, the Django admin).
ACCOUNT_ROLES_CREATED_BY: dict[str, tuple[str, ...]] = {
    Role.CITY_ADMIN: (Role.DISTRICT_REVIEWER, Role.PANEL_ORGANISER, Role.EXPERT,
                      Role.INSTITUTION_ADMIN, Role.INSTITUTION_FILER),
    Role.INSTITUTION_ADMIN: (Role.INSTITUTION_FILER,),
}


def account_roles_creatable(user) -> tuple[str, ...]:
    """The roles ``user`` may give an account it creates (none for the other roles)."""
    if is_city_admin(user) or is_institution_admin(user):
        return ACCOUNT_ROLES_CREATED_BY[user.role]
    return ()


@rules.predicate
def is_own_account(user, account) -> bool:
    return account is not None and account.pk == user.pk


@rules.predicate
def is_filer_of_own_institution(user, account) -> bool:
    """An institution administrator's scope: the filers of its own institution."""
    return (account is not None and account.role == Role.INSTITUTION_FILER
            and account.institution_id is not None
            and account.institution_id == user.institution_id)


can_manage_accounts = is_city_admin | is_institution_admin
# Nobody deactivates or resets their own account here (the password is changed from the user
# menu): an administrator must not lock themselves out by a slip.
can_change_account = ((is_city_admin & ~is_own_account)
                      | (is_institution_admin & is_filer_of_own_institution))

rules.add_perm("institutions.manage_accounts", can_manage_accounts)
rules.add_perm("institutions.change_account", can_change_account)
rules.add_perm("institutions.unlock_account", is_city_admin)
rules.add_perm("institutions.bulk_create_accounts", is_city_admin)


# --- The expert pool (R6a): the panel organiser keeps it; the city administrator reads it ----

rules.add_perm("institutions.view_pool", is_city_staff)
rules.add_perm("institutions.manage_pool", is_panel_organiser)
