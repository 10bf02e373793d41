"""Project-wide middleware: the interface language and the client address of the audit trail."""
from __future__ import annotations

import ipaddress

from auditlog import middleware as auditlog_middleware
from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class LanguageCookieMiddleware:
    """Activate the language the user picked with the language switch (its cookie), or Chinese.

    Django's LocaleMiddleware falls back to the browser's Accept-Language, so an office PC set up
    in English would get an English interface nobody there asked for; the policy's wording is
    Chinese, and English is a choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(_chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # The page depends on the cookie, never on Accept-Language.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _chosen_language(request) -> str:
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def client_address(request) -> str | None:
    """The address of the client that sent ``request``.

    The socket's address, unless the socket is one of ``settings.TRUSTED_PROXIES``: then the
    nearest address of X-Forwarded-For that is not a trusted proxy. Each proxy appends the
    address it received the request from, so the header is read from the right; what a client
    wrote into it itself stands left of that and is never reached. Also Axes's
    ``AXES_CLIENT_IP_CALLABLE``, so that lockouts and the audit trail see the same client.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    address = _address(remote)
    if address is None or not _is_trusted_proxy(address):
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop_address = _address(hop)
        if hop_address is None:
            break
        address = hop_address
        if not _is_trusted_proxy(address):
            break
    return str(address)


def _address(text: str | None) -> IPAddress | None:
    """An address of X-Forwarded-For or REMOTE_ADDR, without the port some proxies add."""
    text = (text or "").strip()
    if text.startswith("["):  # [IPv6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def _is_trusted_proxy(address: IPAddress) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


class AuditlogMiddleware(auditlog_middleware.AuditlogMiddleware):
    """django-auditlog's middleware, taking the client address from ``client_address``: the
    library believes any X-Forwarded-For, which lets a client write any address into the trail."""

    @staticmethod
    def _get_remote_addr(request):
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_address(request)

    @staticmethod
    def _get_remote_port(request) -> int | None:
        address = _address(request.META.get("REMOTE_ADDR"))
        if address is None or not _is_trusted_proxy(address):
            return None
        return auditlog_middleware.AuditlogMiddleware._get_remote_port(request)
