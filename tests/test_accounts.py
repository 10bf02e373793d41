"""Accounts: log-in, throttling (django-axes), log-out, password change and reset, hashing and
the session and CSRF settings."""
import importlib
import re
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.settings import base
from institutions.models import OutboxMessage, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "Xuzhou-new-pass-2026"


@pytest.fixture
def filer(users):
    return users["institution_filer"]


def _login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _logged_in_as(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id is not None else None


# --- log-in ---------------------------------------------------------------------------------

def test_login_with_right_password_goes_home(client, filer):
    response = _login(client, "filer", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, reverse("home"))
    assert _logged_in_as(client) == filer.pk


def test_login_follows_next(client, filer):
    response = client.post(f"{reverse('login')}?next=/registry/mine/",
                           {"username": "filer", "password": PASSWORD,
                            "next": "/registry/mine/"})
    assert response["Location"] == "/registry/mine/"


def test_login_with_wrong_password_shows_form_again(client, filer):
    response = _login(client, "filer", "wrong-password")
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["__all__"]
    assert _logged_in_as(client) is None


def test_login_of_inactive_account_is_refused(client, filer):
    User.objects.filter(pk=filer.pk).update(is_active=False)
    response = _login(client, "filer", PASSWORD)
    assert (response.status_code, _logged_in_as(client)) == (200, None)


def test_login_form_requires_csrf_token(filer):
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "filer", PASSWORD).status_code == 403


# --- throttling -----------------------------------------------------------------------------

def test_axes_locks_login_after_failure_limit(client, filer):
    limit = settings.AXES_FAILURE_LIMIT
    before_limit = [_login(client, "filer", f"wrong-{i}").status_code for i in range(limit - 1)]
    at_limit = _login(client, "filer", "wrong-last")
    assert before_limit == [200] * (limit - 1)
    assert at_limit.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in at_limit.templates]
    assert AccessAttempt.objects.get(username="filer").failures_since_start == limit


def test_axes_lockout_refuses_even_the_right_password(client, filer):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "filer", f"wrong-{i}")
    response = _login(client, "filer", PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert _logged_in_as(client) is None


def test_axes_success_before_limit_resets_failures(client, filer):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "filer", f"wrong-{i}")
    _login(client, "filer", PASSWORD)
    client.post(reverse("logout"))
    response = _login(client, "filer", "wrong-again")
    assert response.status_code == 200


def test_axes_lockout_leaves_other_users_on_other_addresses_alone(client, users):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "filer", f"wrong-{i}")
    response = _login(Client(REMOTE_ADDR="10.32.3.7"), "instadmin", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, reverse("home"))


# --- log-out --------------------------------------------------------------------------------

def test_logout_by_post_ends_session(client, filer):
    client.force_login(filer)
    response = client.post(reverse("logout"))
    assert response.status_code == 200
    assert response.templates[0].name == "registration/logged_out.html"
    assert _logged_in_as(client) is None


def test_logout_by_get_is_refused_and_keeps_session(client, filer):
    client.force_login(filer)
    assert client.get(reverse("logout")).status_code == 405
    assert _logged_in_as(client) == filer.pk


# --- password change ------------------------------------------------------------------------

def test_password_change_sets_new_password(client, filer):
    client.force_login(filer)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("password_change_done")
    filer.refresh_from_db()
    assert (filer.check_password(NEW_PASSWORD), filer.check_password(PASSWORD)) == (True, False)
    assert _logged_in_as(client) == filer.pk  # the session survives the change


def test_password_change_with_wrong_old_password_changes_nothing(client, filer):
    client.force_login(filer)
    response = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert list(response.context["form"].errors) == ["old_password"]
    filer.refresh_from_db()
    assert filer.check_password(PASSWORD) is True


def test_password_change_enforces_password_validators(client, filer):
    client.force_login(filer)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert list(response.context["form"].errors) == ["new_password2"]


# --- password reset by e-mail ---------------------------------------------------------------

def test_password_reset_sends_working_link(client, filer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the queued e-mail goes out
        response = client.post(reverse("password_reset"), {"email": "filer@example.cn"})
    assert response["Location"] == reverse("password_reset_done")
    assert [m.to for m in mail.outbox] == [["filer@example.cn"]]
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD,
                                           "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")

    fresh = Client()
    assert _login(fresh, "filer", NEW_PASSWORD)["Location"] == reverse("home")
    assert _logged_in_as(fresh) == filer.pk
    # The link is single-use.
    assert client.get(link, follow=True).context["validlink"] is False


def test_password_reset_for_unknown_email_sends_nothing_but_looks_the_same(
        client, filer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.cn"})
    assert (response["Location"], len(mail.outbox)) == (reverse("password_reset_done"), 0)


def _reset_request_work(client, email: str) -> tuple[list[str], list[tuple], int]:
    """What the request itself does for ``email``, the queue's delivery held back: the SQL
    it runs (its parameters masked), the outbox rows it writes, the e-mails it sends."""
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("password_reset"), {"email": email})
    assert response["Location"] == reverse("password_reset_done")
    rows = [(row.kind, sorted(row.payload)) for row in
            OutboxMessage.objects.exclude(pk__in=before)]
    masked = [re.sub(r"'[^']*'|\b\d+\b|\bs\d+_x\d+\b", "?", q["sql"]) for q in queries]
    return masked, rows, len(mail.outbox)


def test_password_reset_costs_a_known_address_what_it_costs_an_unknown_one(
        client, filer, django_capture_on_commit_callbacks):
    """Issue 9 §4: the known address took measurably longer (25 ms against 18 ms), which told
    an asker whether an address has an account. The request now only queues the e-mail, for
    either address; the task finds the accounts."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        known = _reset_request_work(client, "filer@example.cn")
        unknown = _reset_request_work(client, "nobody@example.cn")
    assert known == unknown
    assert known[1] == [("institutions.tasks.send_password_reset",
                         ["domain", "email", "use_https"])]
    assert known[2] == 0  # nothing is sent during the request
    assert len(queued) == 2  # one hand-over to the broker each, after the commit

    # Delivered, the queue sends the one link, to the known address only.
    for callback in queued:
        callback()
    assert [m.to for m in mail.outbox] == [["filer@example.cn"]]
    assert "/accounts/reset/" in mail.outbox[0].body


# --- hashing, sessions, CSRF ----------------------------------------------------------------

def test_argon2_is_the_first_password_hasher_of_base_settings():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_base_settings_hash_new_passwords_with_argon2():
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        assert make_password(NEW_PASSWORD).split("$")[0] == "argon2"


def test_base_settings_protect_session_and_csrf_cookies():
    assert {
        "SESSION_COOKIE_HTTPONLY": base.SESSION_COOKIE_HTTPONLY,
        "SESSION_COOKIE_SAMESITE": base.SESSION_COOKIE_SAMESITE,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": base.SESSION_EXPIRE_AT_BROWSER_CLOSE,
        "CSRF_COOKIE_SAMESITE": base.CSRF_COOKIE_SAMESITE,
        "X_FRAME_OPTIONS": base.X_FRAME_OPTIONS,
    } == {
        "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True, "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "SAMEORIGIN",
    }
    assert "django.middleware.csrf.CsrfViewMiddleware" in base.MIDDLEWARE
    assert base.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert base.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_production_settings_send_cookies_over_https_only(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "rd.kjj.xz.gov.cn")
    sys.modules.pop("config.settings.production", None)
    try:
        production = importlib.import_module("config.settings.production")
    finally:
        sys.modules.pop("config.settings.production", None)
    assert (production.SESSION_COOKIE_SECURE, production.CSRF_COOKIE_SECURE,
            production.SECURE_SSL_REDIRECT, production.DEBUG,
            production.SECURE_HSTS_SECONDS > 0, production.ALLOWED_HOSTS) == (
        True, True, True, False, True, ["rd.kjj.xz.gov.cn"])
