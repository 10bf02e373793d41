"""What the settings give every request (issue 9 §2): Chinese unless the user picked English,
the app's own error pages, the Content-Security-Policy, 403s logged on one line, and the audit
trail's client address believed from X-Forwarded-For only behind a trusted proxy."""
from __future__ import annotations

import ipaddress
import logging

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path, reverse

from institutions.models import Institution
from tests.conftest import PASSWORD, VALID_CODE

LOGIN = "/accounts/login/"


def _language(response) -> tuple[str, bool]:
    """The language the page was served in, and whether its HTML says the same."""
    language = response["Content-Language"]
    return language, f'<html lang="{language}">' in response.content.decode()


# --- Language ------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", ["en", "en-US,en;q=0.9", "zh-CN,zh;q=0.9", ""])
def test_interface_is_chinese_whatever_the_browser_asks(accept_language):
    response = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert _language(response) == ("zh-hans", True)
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_language_cookie_en_gives_english_whatever_the_browser_asks():
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert _language(response) == ("en", True)
    # The page varies with the cookie, never with Accept-Language.
    assert "Accept-Language" not in response["Vary"] and "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_language_cookie_unknown_falls_back_to_chinese():
    client = Client()
    client.cookies["django_language"] = "fr"
    assert _language(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")) == ("zh-hans", True)


@pytest.mark.django_db
def test_language_switch_sets_english_and_back():
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": LOGIN})
    assert _language(client.get(LOGIN)) == ("en", True)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": LOGIN})
    assert _language(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")) == ("zh-hans", True)


# --- Error pages ---------------------------------------------------------------------------

def _heading(response) -> str:
    html = response.content.decode()
    return html.split('<h1 class="h3">', 1)[1].split("</h1>", 1)[0]


@pytest.mark.django_db
def test_missing_page_answers_the_chinese_404_page():
    response = Client().get("/no-such-page/")
    assert (response.status_code, _heading(response)) == (404, "页面不存在")


def test_forbidden_page_answers_the_chinese_403_page(client_for, users):
    response = client_for(users["institution_filer"]).get(reverse("institutions:create"))
    assert (response.status_code, _heading(response)) == (403, "无权访问")


def _boom(request):
    raise RuntimeError("a fault")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.urls(__name__)
def test_server_error_answers_the_chinese_500_page_without_the_database():
    """No database for this test: a 500 page that touched it would fail to render."""
    response = Client(raise_request_exception=False).get("/boom/")
    assert (response.status_code, _heading(response)) == (500, "服务器错误")


@pytest.mark.django_db
def test_csrf_failure_answers_the_chinese_page():
    response = Client(enforce_csrf_checks=True).post(LOGIN, {"username": "a", "password": "b"})
    assert (response.status_code, _heading(response)) == (403, "页面已过期")


# --- Content-Security-Policy and frames ----------------------------------------------------

@pytest.mark.django_db
def test_pages_carry_the_content_security_policy_and_same_origin_frames():
    response = Client().get(LOGIN)
    directives = sorted(response["Content-Security-Policy"].split("; "))
    assert (directives, response["X-Frame-Options"]) == ([
        "base-uri 'self'", "default-src 'self'", "form-action 'self'", "frame-ancestors 'self'",
        "img-src 'self' data:"], "SAMEORIGIN")


# --- 403s in the log -----------------------------------------------------------------------

def test_permission_denied_is_logged_on_one_line(client_for, users, caplog):
    url = reverse("institutions:create")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client_for(users["institution_filer"]).get(url)
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records
            if r.name == "django.request"] == [
        ("WARNING", f"Forbidden (Permission denied): {url}", None)]
    assert "Traceback" not in caplog.text


def test_one_line_filter_keeps_other_tracebacks():
    from config.logs import PermissionDeniedOnOneLine

    def record(exc):
        return logging.LogRecord("django.request", logging.ERROR, __file__, 1, "m", (),
                                 (type(exc), exc, None))

    denied, fault = record(PermissionDenied()), record(RuntimeError())
    assert [PermissionDeniedOnOneLine().filter(r) for r in (denied, fault)] == [True, True]
    assert (denied.exc_info, fault.exc_info[0]) == (None, RuntimeError)


# --- The client address of the audit trail -------------------------------------------------

PROXY = "10.0.0.5"
# The client wrote 203.0.113.9 itself; the proxy appended the address it received from.
FORWARDED = "203.0.113.9, 198.51.100.7"


def _created_institution_address(client, institution_data) -> str:
    client.post(reverse("institutions:create"), institution_data(),
                REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=FORWARDED)
    institution = Institution.objects.get(credit_code=VALID_CODE)
    return LogEntry.objects.get_for_object(institution).get().remote_addr


def test_audit_address_is_the_socket_when_no_proxy_is_trusted(client_for, city_admin,
                                                             institution_data):
    client = client_for(city_admin)
    assert _created_institution_address(client, institution_data) == PROXY


@override_settings(TRUSTED_PROXIES=[ipaddress.ip_network("10.0.0.0/24")])
def test_audit_address_comes_from_x_forwarded_for_behind_a_trusted_proxy(
        client_for, city_admin, institution_data):
    client = client_for(city_admin)
    assert _created_institution_address(client, institution_data) == "198.51.100.7"


@pytest.mark.parametrize(("remote", "forwarded", "trusted", "expected"), [
    ("10.0.0.5", "", [], "10.0.0.5"),
    ("10.0.0.5", "198.51.100.7", ["10.0.0.9"], "10.0.0.5"),
    ("10.0.0.5", "198.51.100.7", ["10.0.0.0/24"], "198.51.100.7"),
    # Two proxies of ours: the nearest address that is not one of them.
    ("10.0.0.5", "203.0.113.9, 198.51.100.7, 10.0.0.4", ["10.0.0.0/24"], "198.51.100.7"),
    # Ports some proxies add, and IPv6.
    ("10.0.0.5", "198.51.100.7:51234", ["10.0.0.5"], "198.51.100.7"),
    ("::1", "[2001:db8::7]:443", ["::1"], "2001:db8::7"),
    # Garbage in the header stops the walk at the last good address.
    ("10.0.0.5", "198.51.100.7, not-an-address", ["10.0.0.5"], "10.0.0.5"),
    # Every hop trusted: the left-most.
    ("10.0.0.5", "10.0.0.3, 10.0.0.4", ["10.0.0.0/24"], "10.0.0.3"),
])
def test_client_address(rf, remote, forwarded, trusted, expected):
    from config.middleware import client_address

    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=[ipaddress.ip_network(t) for t in trusted]):
        assert client_address(request) == expected


@pytest.mark.parametrize(("trusted", "expected"), [
    ([], PROXY), ([ipaddress.ip_network(PROXY)], "198.51.100.7")])
def test_failed_login_is_recorded_from_the_same_address(users, trusted, expected):
    with override_settings(TRUSTED_PROXIES=trusted):
        Client().post(LOGIN, {"username": "filer", "password": PASSWORD + "-wrong"},
                      REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=FORWARDED)
    entry = LogEntry.objects.get(additional_data__event="login_failed")
    assert entry.remote_addr == expected
