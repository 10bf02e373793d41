"""Production: every secret from the environment, HTTPS-only cookies, hashed static files.

Nothing falls back: without a secret key or allowed hosts the process refuses to start.
"""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, env


def _required(name: str, value):
    if not value:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable: production settings refuse to start without "
            "it (see the README, Production-like).")
    return value


DEBUG = False
SECRET_KEY = _required("DJANGO_SECRET_KEY", env("DJANGO_SECRET_KEY", default=""))
ALLOWED_HOSTS = _required("DJANGO_ALLOWED_HOSTS", env.list("DJANGO_ALLOWED_HOSTS", default=[]))
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# The reverse proxy terminates TLS and must set (overwrite) X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: browsers that have seen the site once refuse plain HTTP to it for this long. 30 days to
# begin with, so that a mistake in the TLS set-up is not pinned for a year; raise it once HTTPS is
# known to work. Subdomains and the browsers' preload list stay off by default (check --deploy's
# W005 and W021): the app usually runs under a government domain whose other sites this
# deployment does not control, and a preload entry cannot be taken back quickly.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
}
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
