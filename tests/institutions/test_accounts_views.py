"""The account pages: list and filters, create, the account and its failed log-ins, the
confirmed actions, a cohort's administrators in bulk with the Excel list of logins, the log-in
page's last-attempt warning, and the list's query count at two data sizes."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from institutions.account_exporters import HEADER, SHEET_TITLE
from institutions.enums import Role
from institutions.models import User
from tests.conftest import PASSWORD
from tests.factories import CycleFactory, InstitutionFactory
from tests.institutions.test_accounts_services import attempt

NEW_PASSWORD = "Huaihai-road-3141"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+/)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def as_user(client_for):
    """A client logged in as ``user`` reading the pages in English (the source language)."""

    def make(user):
        client = client_for(user)
        client.cookies["django_language"] = "en"
        return client

    return make


@pytest.fixture
def city(as_user, users):
    return as_user(users["city_admin"])


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _listed(response) -> list[str]:
    return [account.username for account in response.context["page"].object_list]


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def _set_password_from(message, client: Client | None = None) -> Client:
    """Follow the e-mailed link, set NEW_PASSWORD, and return the client."""
    client = client or Client()
    path = LINK.search(message.body).group(1)
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                          "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")
    return client


# --- list ---------------------------------------------------------------------------------

def test_account_list_of_city_admin_lists_every_account(city, users):
    response = city.get(reverse("institutions:account_list"))
    assert _listed(response) == ["city", "expert", "filer", "filer2", "gulou", "instadmin",
                                 "organiser", "yunlong"]
    assert list(response.context["form"].fields) == ["q", "role", "district", "institution",
                                                     "active"]


@pytest.mark.parametrize("query, listed", [
    ({"role": "district_reviewer"}, ["gulou", "yunlong"]),
    ({"q": "instad"}, ["instadmin"]),
    ({"institution": "云龙新材料"}, ["filer2"]),
    ({"active": "0"}, ["expert"]),
    ({"active": "1", "role": "expert"}, []),
])
def test_account_list_filters(city, users, query, listed):
    User.objects.filter(username="expert").update(is_active=False)
    assert _listed(city.get(reverse("institutions:account_list"), query)) == listed


def test_account_list_filters_by_district(city, users, yunlong):
    response = city.get(reverse("institutions:account_list"), {"district": yunlong.pk})
    assert _listed(response) == ["filer2", "yunlong"]


def test_account_list_of_institution_admin_lists_its_filers_only(as_user, users):
    response = as_user(users["institution_admin"]).get(reverse("institutions:account_list"))
    assert _listed(response) == ["filer"]
    assert list(response.context["form"].fields) == ["q", "active"]


def test_account_list_shows_failures_and_lock(city, users):
    attempt("gulou", settings.AXES_FAILURE_LIMIT)
    attempt("expert", 2)
    response = city.get(reverse("institutions:account_list"))
    rows = {a.username: (a.failed_logins, a.locked) for a in response.context["page"]}
    assert (rows["gulou"], rows["expert"], rows["city"]) == ((5, True), (2, False), (0, False))
    assert response.content.decode().count('data-status="locked"') == 1


# --- create -------------------------------------------------------------------------------

def test_city_admin_creates_reviewer_who_sets_password_and_logs_in(
        city, users, gulou, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = city.post(reverse("institutions:account_create"), {
            "username": "gulou_wang", "full_name": "王审核", "email": "wang@example.cn",
            "phone": "0516-80000000", "role": Role.DISTRICT_REVIEWER, "district": gulou.pk,
            "institution": ""})
    account = User.objects.get(username="gulou_wang")
    assert response["Location"] == reverse("institutions:account_detail", args=[account.pk])
    assert _messages(response) == [("success", "The account gulou_wang was created. A link to "
                                    "set its password was e-mailed to wang@example.cn.")]
    assert (account.role, account.district, account.has_usable_password()) == (
        Role.DISTRICT_REVIEWER, gulou, False)
    assert [m.to for m in mail.outbox] == [["wang@example.cn"]]

    _set_password_from(mail.outbox[0])
    fresh = Client()
    assert _login(fresh, "gulou_wang", NEW_PASSWORD)["Location"] == reverse("home")


def test_city_admin_creates_institution_admin_by_credit_code(city, users, institution):
    code = institution.credit_code
    city.post(reverse("institutions:account_create"), {
        "username": "admin2", "full_name": "钱管理", "email": "qian@example.cn",
        "role": Role.INSTITUTION_ADMIN, "institution": f"{code[:6]} {code[6:]}"})
    account = User.objects.get(username="admin2")
    assert (account.role, account.institution, account.district) == (
        Role.INSTITUTION_ADMIN, institution, None)


@pytest.mark.parametrize("data, errors", [
    ({"role": Role.DISTRICT_REVIEWER}, {"district": ["A district reviewer needs a district."]}),
    ({"role": Role.INSTITUTION_FILER, "institution": "91320302MA1N0A2B3N"},
     {"institution": ["No institution of the registry has this credit code."]}),
    ({"role": Role.INSTITUTION_FILER},
     {"institution": ["An institution account needs its institution."]}),
    ({"role": Role.EXPERT, "username": "expert"}, {"username": ["This user name is taken."]}),
    ({"role": Role.CITY_ADMIN},
     {"role": ["Select a valid choice. city_admin is not one of the available choices."]}),
    ({"role": Role.EXPERT, "email": ""}, {"email": ["This field is required."]}),
])
def test_account_create_form_errors(city, users, data, errors):
    before = User.objects.count()
    response = city.post(reverse("institutions:account_create"), {
        "username": "new1", "full_name": "孙用户", "email": "sun@example.cn", **data})
    assert (response.status_code, response.context["form"].errors, User.objects.count()) == (
        200, errors, before)


def test_institution_admin_creates_filer_of_own_institution(as_user, users, institution):
    client = as_user(users["institution_admin"])
    form = client.get(reverse("institutions:account_create")).context["form"]
    assert list(form.fields) == ["username", "full_name", "email", "phone"]
    client.post(reverse("institutions:account_create"), {
        "username": "filer_li", "full_name": "李填报", "email": "li@example.cn",
        # Fields the form does not have are ignored, not obeyed.
        "role": Role.INSTITUTION_ADMIN, "institution": users["institution_filer_other"]
        .institution.credit_code})
    account = User.objects.get(username="filer_li")
    assert (account.role, account.institution) == (Role.INSTITUTION_FILER, institution)


# --- detail and actions ---------------------------------------------------------------------

def test_account_detail_shows_last_login_and_failures(city, users):
    expert = users["expert"]
    User.objects.filter(pk=expert.pk).update(last_login=dt.datetime(2026, 3, 2, 1, 5,
                                                                    tzinfo=dt.UTC))
    attempt("expert", 3, ip="10.1.1.1")
    response = city.get(reverse("institutions:account_detail", args=[expert.pk]))
    assert [(a.ip_address, a.failures_since_start) for a in response.context["attempts"]] == [
        ("10.1.1.1", 3)]
    html = response.content.decode()
    assert 'data-testid="last-login">2026-03-02 09:05<' in html  # Asia/Shanghai
    assert 'data-testid="failed-logins">3<' in html
    assert (response.context["can_change"], response.context["can_unlock"]) == (True, True)


def test_account_deactivate_asks_then_ends_the_users_session(city, users, as_user):
    expert_client = as_user(users["expert"])
    url = reverse("institutions:account_deactivate", args=[users["expert"].pk])
    question = city.get(url).context["question"]
    assert question == ("Deactivate the account expert? It can no longer log in and its open "
                        "sessions end. Its records stay; you can reactivate it later.")
    assert User.objects.get(username="expert").is_active is True

    response = city.post(url)
    assert response["Location"] == reverse("institutions:account_detail",
                                           args=[users["expert"].pk])
    assert _messages(response) == [("success", "The account expert is deactivated.")]
    assert expert_client.get(reverse("home")).context["user"].is_authenticated is False
    assert _login(Client(), "expert", PASSWORD).status_code == 200  # refused


def test_account_action_refused_by_the_service_shows_its_sentence(city, users):
    response = city.post(reverse("institutions:account_reactivate", args=[users["expert"].pk]))
    assert _messages(response) == [("error", "The account expert is already active.")]


def test_account_password_reset_mails_a_link_that_sets_a_new_password(
        as_user, users, django_capture_on_commit_callbacks):
    filer = users["institution_filer"]
    client = as_user(users["institution_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("institutions:account_password_reset", args=[filer.pk]))
    assert _messages(response) == [("success", "The password of filer is reset; a link to set "
                                    "a new one was e-mailed to filer@example.cn.")]
    assert _login(Client(), "filer", PASSWORD).status_code == 200  # the old one is refused
    _set_password_from(mail.outbox[0])
    assert _login(Client(), "filer", NEW_PASSWORD)["Location"] == reverse("home")


def test_account_unlock_lets_the_user_log_in_again(city, users):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "expert", f"wrong-{i}")
    assert _login(client, "expert", PASSWORD).status_code == 429
    response = city.post(reverse("institutions:account_unlock", args=[users["expert"].pk]))
    assert _messages(response) == [("success", "The account expert is unlocked.")]
    assert AccessAttempt.objects.filter(username="expert").exists() is False
    assert _login(client, "expert", PASSWORD)["Location"] == reverse("home")


def test_detail_offers_the_actions_that_apply(city, users, as_user):
    def actions(client, account):
        html = client.get(reverse("institutions:account_detail", args=[account.pk])).content
        return re.findall(r'href="/registry/accounts/\d+/([\w-]+)/"', html.decode())

    attempt("filer", 2)
    User.objects.filter(username="gulou").update(is_active=False)
    assert actions(city, users["expert"]) == ["reset-password", "deactivate"]
    assert actions(city, users["district_reviewer"]) == ["reactivate"]
    assert actions(city, users["institution_filer"]) == ["unlock", "reset-password",
                                                         "deactivate"]
    assert actions(city, users["city_admin"]) == []
    assert actions(as_user(users["institution_admin"]), users["institution_filer"]) == [
        "reset-password", "deactivate"]


# --- login warning --------------------------------------------------------------------------

def test_login_warns_when_one_attempt_is_left(client, users):
    client.cookies["django_language"] = "en"
    warned = []
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        html = _login(client, "filer", f"wrong-{i}").content.decode()
        warned.append('data-testid="last-attempt-warning"' in html)
    assert warned == [False, False, False, True]
    assert ("One attempt left: after one more wrong password this account is locked on this "
            "computer for 30 minutes.") in html


def test_login_warning_counts_the_user_name_tried(client, users):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "filer", f"wrong-{i}")
    html = _login(client, "expert", "wrong").content.decode()
    assert 'data-testid="last-attempt-warning"' not in html
    assert 'data-testid="last-attempt-warning"' not in client.get(reverse("login")).content.decode()


def test_login_warning_is_chinese_by_default(client, users):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        html = _login(client, "filer", f"wrong-{i}").content.decode()
    assert "还剩最后一次机会：如再输错一次密码，该账号在本电脑上将被锁定30分钟。" in html


# --- bulk creation of a cohort's administrators ---------------------------------------------

@pytest.fixture
def cohort_2026(users, gulou, default_policy):
    filed = dt.date(2022, 4, 1)
    with_email = InstitutionFactory(name="鼓楼研究院1", district=gulou, filing_date=filed,
                                    contact_email="one@example.cn")
    without = InstitutionFactory(name="鼓楼研究院2", district=gulou, filing_date=filed,
                                 contact_email="")
    return CycleFactory(year=2026, policy_version=default_policy), with_email, without


def test_bulk_page_previews_the_cohort(city, cohort_2026):
    cycle, with_email, without = cohort_2026
    response = city.get(reverse("institutions:account_bulk_create"), {"cycle": cycle.pk})
    plan = response.context["plan"]
    assert ([i.name for i in plan.to_create], [i.name for i in plan.without_email],
            plan.with_admin) == (["鼓楼研究院1"], ["鼓楼研究院2"], [])
    assert response.context["to_create"] == [(with_email,
                                              f"admin-{with_email.credit_code.lower()}")]
    assert User.objects.filter(role=Role.INSTITUTION_ADMIN).count() == 1  # the fixture's


def test_bulk_create_needs_the_confirmation(city, cohort_2026):
    cycle, _, _ = cohort_2026
    response = city.post(reverse("institutions:account_bulk_create"), {"cycle": cycle.pk})
    assert (response.status_code, list(response.context["form"].errors)) == (200, ["confirm"])
    assert User.objects.filter(role=Role.INSTITUTION_ADMIN).count() == 1


def test_bulk_create_then_download_the_logins(city, cohort_2026,
                                              django_capture_on_commit_callbacks):
    cycle, with_email, _ = cohort_2026
    with django_capture_on_commit_callbacks(execute=True):
        response = city.post(reverse("institutions:account_bulk_create"),
                             {"cycle": cycle.pk, "confirm": "on"})
    assert response["Location"] == (f"{reverse('institutions:account_bulk_create')}"
                                    f"?cycle={cycle.pk}")
    assert _messages(response) == [("success", "Created 1 administrator account and e-mailed "
                                    "its link; 1 institutions skipped.")]
    assert [m.to for m in mail.outbox] == [["one@example.cn"]]

    after = city.get(response["Location"])
    assert ([(i.name, u) for i, u in after.context["plan"].with_admin],
            after.context["to_create"]) == (
        [("鼓楼研究院1", f"admin-{with_email.credit_code.lower()}")], [])

    export = city.get(reverse("institutions:account_bulk_export"), {"cycle": cycle.pk})
    assert export["Content-Type"] == XLSX
    account = User.objects.get(institution=with_email)
    sheet = load_workbook(io.BytesIO(export.content))[SHEET_TITLE]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    joined = account.date_joined.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert rows == [HEADER, (account.username, "鼓楼研究院1", with_email.credit_code, "鼓楼区",
                             "one@example.cn", "启用",
                             joined.replace(tzinfo=None, second=joined.second, microsecond=0))]
    assert "password" not in " ".join(str(c) for c in rows[0]).lower()


def test_bulk_export_without_a_cycle_goes_back_to_the_page(city, cohort_2026):
    response = city.get(reverse("institutions:account_bulk_export"))
    assert response["Location"] == reverse("institutions:account_bulk_create")


# --- query counts -----------------------------------------------------------------------------

def _add_accounts(n: int, institution) -> None:
    start = User.objects.count()
    User.objects.bulk_create([
        User(username=f"bulk{i:05d}", role=Role.INSTITUTION_FILER, institution=institution,
             email=f"bulk{i}@example.cn")
        for i in range(start, start + n)])
    for i in range(start, start + n, 7):
        attempt(f"bulk{i:05d}", 1 + i % 6)


def _queries(client, url, data=None) -> int:
    client.get(url, data)  # warm the caches (content types, session)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role, data", [
    ("city_admin", None),
    ("city_admin", {"q": "bulk", "active": "1", "page": 2}),
    ("institution_admin", None),
])
def test_account_list_query_count_does_not_grow_with_accounts(
        as_user, users, institution, role, data):
    client = as_user(users[role])
    url = reverse("institutions:account_list")
    _add_accounts(60, institution)
    small = _queries(client, url, data)
    _add_accounts(600, institution)
    assert (small, _queries(client, url, data)) == (small, small)
    assert small <= 8
