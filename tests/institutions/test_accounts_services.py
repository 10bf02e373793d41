"""The account services: create with a set-password link, deactivate and reactivate, reset a
password, unlock a django-axes lock-out, a cohort's administrators in bulk; and the selectors
they read through."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.http import urlsafe_base64_decode

from institutions.enums import Role
from institutions.exceptions import DomainError
from institutions.models import User
from institutions.selectors import (
    account_search,
    accounts_for_user,
    cohort_institutions,
    institution_admin_logins,
    institution_admin_plan,
)
from institutions.services import (
    account_create,
    account_deactivate,
    account_password_reset,
    account_reactivate,
    account_unlock,
    institution_admins_bulk_create,
)
from tests.conftest import PASSWORD
from tests.factories import CycleFactory, InstitutionFactory, UserFactory

LINK = re.compile(r"http://127\.0\.0\.1:8000/accounts/reset/(?P<uid>[\w-]+)/(?P<token>[\w-]+)/")


@pytest.fixture(autouse=True)
def english():
    """Refusals compare in the source language (the e-mails are Chinese whatever this says)."""
    with translation.override("en"):
        yield


def _link_user(message) -> User:
    """The user whose valid one-time link ``message`` carries."""
    match = LINK.search(message.body)
    user = User.objects.get(pk=int(urlsafe_base64_decode(match["uid"])))
    assert default_token_generator.check_token(user, match["token"]) is True
    return user


def attempt(username: str, failures: int, *, ip: str = "10.0.0.1",
            minutes_ago: int = 0) -> AccessAttempt:
    """A row django-axes writes after ``failures`` failed log-ins from ``ip``."""
    row = AccessAttempt.objects.create(
        username=username, ip_address=ip, user_agent="pytest", http_accept="*/*",
        path_info="/accounts/login/", get_data="", post_data="",
        failures_since_start=failures)
    if minutes_ago:
        AccessAttempt.objects.filter(pk=row.pk).update(
            attempt_time=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return row


def _entries(user: User, *actions: int) -> list[tuple[int, str | None, dict, dict | None]]:
    """The audit entries of ``user`` (its changes; ``actions`` to say which), oldest first."""
    entries = LogEntry.objects.get_for_object(user).filter(
        action__in=actions or [LogEntry.Action.UPDATE]).order_by("pk")
    return [(e.action, e.actor.username if e.actor else None, e.changes_dict, e.additional_data)
            for e in entries]


# --- account_create ---------------------------------------------------------------------------

def test_account_create_binds_reviewer_and_mails_set_password_link_after_commit(
        users, gulou, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = account_create(actor=users["city_admin"], username="gulou2",
                              role=Role.DISTRICT_REVIEWER, email="Gulou2@Example.CN",
                              full_name="王审核", district=gulou)
    user.refresh_from_db()
    assert (user.role, user.district, user.institution, user.email, user.full_name,
            user.has_usable_password(), user.is_active) == (
        Role.DISTRICT_REVIEWER, gulou, None, "Gulou2@example.cn", "王审核", False, True)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["Gulou2@example.cn"], "您在新型研发机构绩效评价系统的账号：请设置密码")]
    assert _link_user(mail.outbox[0]) == user
    assert "您的用户名为 gulou2" in mail.outbox[0].body
    assert [(action, actor) for action, actor, _, _ in _entries(
        user, LogEntry.Action.CREATE, LogEntry.Action.UPDATE)] == [(LogEntry.Action.CREATE, "city")]


def test_account_create_mails_nothing_before_commit(users, gulou,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        account_create(actor=users["city_admin"], username="gulou2", email="g2@example.cn",
                       role=Role.DISTRICT_REVIEWER, district=gulou)
    assert (len(callbacks), mail.outbox) == (1, [])


def test_account_create_ignores_scope_the_role_does_not_take(users, gulou, institution):
    user = account_create(actor=users["city_admin"], username="expert2", email="e2@example.cn",
                          role=Role.EXPERT, district=gulou, institution=institution)
    assert (user.district, user.institution) == (None, None)


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, "superuser"])
def test_account_create_refuses_role_city_admin_may_not_give(users, role):
    with pytest.raises(DomainError) as refused:
        account_create(actor=users["city_admin"], username="boss", email="b@example.cn",
                       role=role)
    label = "City administrator" if role == Role.CITY_ADMIN else "superuser"
    assert str(refused.value) == f"You may not create an account with the role “{label}”."
    assert User.objects.filter(username="boss").exists() is False


def test_account_create_by_institution_admin_makes_filer_of_own_institution(users, institution):
    user = account_create(actor=users["institution_admin"], username="filer3",
                          email="f3@example.cn", role=Role.INSTITUTION_FILER,
                          institution=institution)
    assert (user.role, user.institution) == (Role.INSTITUTION_FILER, institution)


def test_account_create_by_institution_admin_refuses_other_institution(users, other_institution):
    with pytest.raises(DomainError) as refused:
        account_create(actor=users["institution_admin"], username="filer3",
                       email="f3@example.cn", role=Role.INSTITUTION_FILER,
                       institution=other_institution)
    assert str(refused.value) == "You may create accounts of your own institution only."


@pytest.mark.parametrize("role", [Role.INSTITUTION_ADMIN, Role.DISTRICT_REVIEWER])
def test_account_create_by_institution_admin_refuses_other_roles(users, institution, role):
    with pytest.raises(DomainError):
        account_create(actor=users["institution_admin"], username="x3", email="x@example.cn",
                       role=role, institution=institution)


@pytest.mark.parametrize("actor", ["panel_organiser", "expert", "district_reviewer",
                                   "institution_filer"])
def test_account_create_refused_to_other_roles(users, institution, actor):
    with pytest.raises(DomainError):
        account_create(actor=users[actor], username="x3", email="x@example.cn",
                       role=Role.INSTITUTION_FILER, institution=institution)


def test_account_create_needs_an_email(users):
    with pytest.raises(DomainError) as refused:
        account_create(actor=users["city_admin"], username="expert2", email=" ",
                       role=Role.EXPERT)
    assert str(refused.value) == ("The account needs an e-mail address: the link to set its "
                                  "password is sent there.")


def test_account_create_validates_scope_and_username(users):
    with pytest.raises(ValidationError) as no_district:
        account_create(actor=users["city_admin"], username="gulou2", email="g@example.cn",
                       role=Role.DISTRICT_REVIEWER)
    with pytest.raises(ValidationError) as taken:
        account_create(actor=users["city_admin"], username="expert", email="e@example.cn",
                       role=Role.EXPERT)
    assert (list(no_district.value.message_dict), list(taken.value.message_dict)) == (
        ["district"], ["username"])


# --- deactivate, reactivate ----------------------------------------------------------------

def test_account_deactivate_and_reactivate_are_audited(users):
    expert = users["expert"]
    account_deactivate(actor=users["city_admin"], account=expert)
    expert.refresh_from_db()
    assert expert.is_active is False
    account_reactivate(actor=users["city_admin"], account=expert)
    expert.refresh_from_db()
    assert expert.is_active is True
    assert [(a, actor, changes) for a, actor, changes, _ in _entries(expert)] == [
        (LogEntry.Action.UPDATE, "city", {"is_active": ["True", "False"]}),
        (LogEntry.Action.UPDATE, "city", {"is_active": ["False", "True"]}),
    ]


def test_account_deactivate_twice_is_refused(users):
    account_deactivate(actor=users["city_admin"], account=users["expert"])
    with pytest.raises(DomainError) as refused:
        account_deactivate(actor=users["city_admin"], account=users["expert"])
    assert str(refused.value) == "The account expert is already deactivated."


def test_account_reactivate_of_active_account_is_refused(users):
    with pytest.raises(DomainError) as refused:
        account_reactivate(actor=users["city_admin"], account=users["expert"])
    assert str(refused.value) == "The account expert is already active."


def test_account_deactivate_own_account_is_refused(users):
    with pytest.raises(DomainError) as refused:
        account_deactivate(actor=users["city_admin"], account=users["city_admin"])
    assert str(refused.value) == "You cannot do this to your own account."
    assert User.objects.get(username="city").is_active is True


def test_institution_admin_deactivates_own_filer_only(users):
    account_deactivate(actor=users["institution_admin"], account=users["institution_filer"])
    refused = []
    for target in ("institution_filer_other", "institution_admin", "expert"):
        with pytest.raises(DomainError) as error:
            account_deactivate(actor=users["institution_admin"], account=users[target])
        refused.append(str(error.value))
    assert refused == [f"You may not manage the account {u}." for u in
                       ("filer2", "instadmin", "expert")]
    assert dict(User.objects.values_list("username", "is_active").filter(
        username__in=["filer", "filer2", "instadmin", "expert"])) == {
        "filer": False, "filer2": True, "instadmin": True, "expert": True}


# --- password reset ------------------------------------------------------------------------

def test_account_password_reset_voids_password_and_mails_link(
        users, django_capture_on_commit_callbacks):
    filer = users["institution_filer"]
    with django_capture_on_commit_callbacks(execute=True):
        account_password_reset(actor=users["institution_admin"], account=filer)
    filer.refresh_from_db()
    assert (filer.check_password(PASSWORD), filer.has_usable_password()) == (False, False)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["filer@example.cn"], "您的密码已被重置，请设置新密码")]
    assert _link_user(mail.outbox[0]) == filer
    assert _entries(filer) == [(LogEntry.Action.UPDATE, "instadmin", {},
                                {"account_action": "password_reset"})]


def test_account_password_reset_of_deactivated_account_is_refused(users):
    expert = users["expert"]
    account_deactivate(actor=users["city_admin"], account=expert)
    with pytest.raises(DomainError) as refused:
        account_password_reset(actor=users["city_admin"], account=expert)
    assert str(refused.value) == ("The account expert is deactivated: reactivate it before "
                                  "resetting its password.")


def test_account_password_reset_without_email_is_refused(users):
    expert = users["expert"]
    User.objects.filter(pk=expert.pk).update(email="")
    with pytest.raises(DomainError) as refused:
        account_password_reset(actor=users["city_admin"], account=expert)
    assert str(refused.value) == "The account expert has no e-mail address to send the link to."
    expert.refresh_from_db()
    assert expert.check_password(PASSWORD) is True


def test_account_password_reset_of_other_institution_is_refused(users):
    with pytest.raises(DomainError):
        account_password_reset(actor=users["institution_admin"],
                               account=users["institution_filer_other"])
    assert User.objects.get(username="filer2").check_password(PASSWORD) is True


# --- unlock --------------------------------------------------------------------------------

def test_account_unlock_forgets_failures_from_every_address(users):
    attempt("expert", 5, ip="10.0.0.1")
    attempt("expert", 2, ip="10.0.0.2")
    attempt("gulou", 5)
    removed = account_unlock(actor=users["city_admin"], account=users["expert"])
    assert (removed, list(AccessAttempt.objects.values_list("username", flat=True))) == (
        2, ["gulou"])
    assert _entries(users["expert"]) == [(LogEntry.Action.UPDATE, "city", {},
                                          {"account_action": "unlock", "attempts_removed": 2})]


def test_account_unlock_without_failures_is_refused(users):
    with pytest.raises(DomainError) as refused:
        account_unlock(actor=users["city_admin"], account=users["expert"])
    assert str(refused.value) == "The account expert has no failed log-ins to clear."


def test_account_unlock_is_for_the_city_admin_only(users):
    attempt("filer", 5)
    with pytest.raises(DomainError) as refused:
        account_unlock(actor=users["institution_admin"], account=users["institution_filer"])
    assert str(refused.value) == "Only the city administrator unlocks accounts."
    assert AccessAttempt.objects.count() == 1


# --- selectors -----------------------------------------------------------------------------

def test_accounts_for_user_follows_scope(users):
    second_filer = UserFactory(username="filer9", role=Role.INSTITUTION_FILER,
                               institution=users["institution_filer"].institution)
    scopes = {role: sorted(accounts_for_user(user).values_list("username", flat=True))
              for role, user in users.items()}
    assert scopes == {
        "city_admin": sorted(["city", "organiser", "expert", "gulou", "yunlong", "filer",
                              "instadmin", "filer2", second_filer.username]),
        "panel_organiser": [], "expert": [], "district_reviewer": [],
        "district_reviewer_other": [], "institution_filer": [],
        "institution_admin": ["filer", "filer9"], "institution_filer_other": [],
    }


def test_accounts_for_user_counts_failures_and_lock(users, settings):
    attempt("expert", 3, ip="10.0.0.1")
    attempt("expert", 1, ip="10.0.0.2")
    attempt("gulou", 5)  # locked
    attempt("filer", 5, minutes_ago=31)  # the 30-minute lock has passed
    rows = {u.username: (u.failed_logins, u.locked)
            for u in accounts_for_user(users["city_admin"])}
    assert rows == {"city": (0, False), "organiser": (0, False), "expert": (4, False),
                    "gulou": (5, True), "yunlong": (0, False), "filer": (5, False),
                    "instadmin": (0, False), "filer2": (0, False)}


def test_account_search_filters(users, gulou, institution):
    everyone = accounts_for_user(users["city_admin"])

    def names(**filters):
        return sorted(account_search(everyone, **filters).values_list("username", flat=True))

    User.objects.filter(username="organiser").update(is_active=False, full_name="赵组织")
    assert names(q="赵组") == ["organiser"]
    assert names(q="FILER2@") == ["filer2"]
    assert names(role=Role.DISTRICT_REVIEWER) == ["gulou", "yunlong"]
    assert names(district=gulou.pk) == ["filer", "gulou", "instadmin"]
    assert names(institution=institution.credit_code.lower()) == ["filer", "instadmin"]
    assert names(institution="云龙新材料") == ["filer2"]
    assert names(active=False) == ["organiser"]


# --- bulk creation of institution administrators -------------------------------------------

@pytest.fixture
def cohort(reference_data, gulou, yunlong, default_policy):
    """The 2026 cycle's cohort (R1: active, filed in an even year up to 2024), one
    institution of each case, and one that is not in the cohort."""
    filed = dt.date(2022, 4, 1)
    cases = {
        "new": InstitutionFactory(name="鼓楼研究院4", district=gulou, filing_date=filed,
                                  contact_email="jia@example.cn", contact_person="甲联系人"),
        "new_yunlong": InstitutionFactory(name="云龙研究院5", district=yunlong,
                                          filing_date=filed, contact_email="yi@example.cn"),
        "no_email": InstitutionFactory(name="鼓楼研究院2", district=gulou, filing_date=filed,
                                       contact_email=""),
        "has_admin": InstitutionFactory(name="鼓楼研究院1", district=gulou, filing_date=filed),
        "taken": InstitutionFactory(name="鼓楼研究院3", district=gulou, filing_date=filed),
        "not_in_cohort": InstitutionFactory(name="鼓楼研究院6", district=gulou,
                                            filing_date=dt.date(2023, 1, 1)),
    }
    UserFactory(username="ding-admin", role=Role.INSTITUTION_ADMIN,
                institution=cases["has_admin"], is_active=False)
    UserFactory(username=f"admin-{cases['taken'].credit_code.lower()}", role=Role.EXPERT)
    return CycleFactory(year=2026, policy_version=default_policy), cases


def test_cohort_institutions_are_the_cycles_cohort(cohort, gulou):
    cycle, cases = cohort
    assert [i.name for i in cohort_institutions(cycle)] == [
        "鼓楼研究院1", "鼓楼研究院2", "鼓楼研究院3", "鼓楼研究院4", "云龙研究院5"]
    assert [i.name for i in cohort_institutions(cycle, gulou)] == [
        "鼓楼研究院1", "鼓楼研究院2", "鼓楼研究院3", "鼓楼研究院4"]


def test_institution_admin_plan_sorts_the_cohort(cohort):
    cycle, cases = cohort
    plan = institution_admin_plan(cohort_institutions(cycle))
    assert ([i.name for i in plan.to_create], [i.name for i in plan.without_email],
            [(i.name, username) for i, username in plan.with_admin]) == (
        ["鼓楼研究院3", "鼓楼研究院4", "云龙研究院5"], ["鼓楼研究院2"],
        [("鼓楼研究院1", "ding-admin")])


def test_bulk_create_makes_one_admin_per_institution_and_reports_the_rest(
        cohort, users, django_capture_on_commit_callbacks):
    cycle, cases = cohort
    with django_capture_on_commit_callbacks(execute=True):
        result = institution_admins_bulk_create(actor=users["city_admin"],
                                                institutions=cohort_institutions(cycle))
    new, new_yunlong = cases["new"], cases["new_yunlong"]
    assert [(u.username, u.role, u.institution, u.email, u.full_name, u.has_usable_password())
            for u in result.created] == [
        (f"admin-{new.credit_code.lower()}", Role.INSTITUTION_ADMIN, new, "jia@example.cn",
         "甲联系人", False),
        (f"admin-{new_yunlong.credit_code.lower()}", Role.INSTITUTION_ADMIN, new_yunlong,
         "yi@example.cn", "李四", False),
    ]
    assert ([i.name for i in result.without_email],
            [(i.name, u) for i, u in result.with_admin],
            [(i.name, u) for i, u in result.username_taken]) == (
        ["鼓楼研究院2"], [("鼓楼研究院1", "ding-admin")],
        [("鼓楼研究院3", f"admin-{cases['taken'].credit_code.lower()}")])
    assert [(m.to, _link_user(m)) for m in mail.outbox] == [
        (["jia@example.cn"], result.created[0]), (["yi@example.cn"], result.created[1])]
    assert [LogEntry.objects.get_for_object(u).get().actor for u in result.created] == [
        users["city_admin"]] * 2


def test_bulk_create_twice_creates_nothing_more(cohort, users):
    cycle, _ = cohort
    institution_admins_bulk_create(actor=users["city_admin"],
                                   institutions=cohort_institutions(cycle))
    again = institution_admins_bulk_create(actor=users["city_admin"],
                                           institutions=cohort_institutions(cycle))
    assert (again.created, len(again.with_admin)) == ([], 3)


def test_bulk_create_is_for_the_city_admin_only(cohort, users):
    cycle, _ = cohort
    with pytest.raises(DomainError) as refused:
        institution_admins_bulk_create(actor=users["panel_organiser"],
                                       institutions=cohort_institutions(cycle))
    assert str(refused.value) == "Only the city administrator creates accounts in bulk."
    assert User.objects.filter(username__startswith="admin-").count() == 1  # the expert's


def test_institution_admin_logins_follow_the_cohort_order(cohort, users):
    cycle, cases = cohort
    result = institution_admins_bulk_create(actor=users["city_admin"],
                                            institutions=cohort_institutions(cycle))
    assert [u.username for u in institution_admin_logins(cohort_institutions(cycle))] == [
        "ding-admin", *(u.username for u in result.created)]
