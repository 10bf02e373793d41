"""Settings of issue 9 §5: persistent, health-checked database connections, and sessions read
from a cache when one is configured."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = ("import json, django; django.setup(); from django.conf import settings; "
         "db = settings.DATABASES['default']; print(json.dumps([db['CONN_MAX_AGE'], "
         "db['CONN_HEALTH_CHECKS'], settings.SESSION_ENGINE, "
         "settings.CACHES['default']['BACKEND']]))")


def _settings(**env) -> list:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    finished = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.local", **env})
    return json.loads(finished.stdout)


def test_settings_keep_connections_with_health_checks_and_sessions_in_the_database():
    assert _settings() == [60, True, "django.contrib.sessions.backends.db",
                           "django.core.cache.backends.locmem.LocMemCache"]


@pytest.mark.parametrize(("url", "backend"), [
    ("redis://127.0.0.1:6379/1", "django.core.cache.backends.redis.RedisCache"),
    ("locmemcache://", "django.core.cache.backends.locmem.LocMemCache"),
])
def test_settings_with_a_cache_read_sessions_from_it(url, backend):
    assert _settings(DJANGO_CACHE_URL=url, DJANGO_CONN_MAX_AGE="0") == [
        0, True, "django.contrib.sessions.backends.cached_db", backend]


@pytest.mark.parametrize(("flag", "routed"), [("", False), ("1", True)])
def test_settings_route_the_load_runs_trivial_page_only_when_asked(flag, routed):
    probe = ("import django; django.setup(); from django.urls import NoReverseMatch, reverse\n"
             "try:\n    print(reverse('ping'))\nexcept NoReverseMatch:\n    print('-')")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    finished = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.local",
             "DJANGO_BENCH_VIEWS": flag})
    assert finished.stdout.strip() == ("/ping/" if routed else "-")


def test_production_static_urls_are_looked_up_once_per_name(monkeypatch, tmp_path):
    """``{% static %}`` runs seven times a page: the hashed name of a file is looked up in the
    manifest the first time only."""
    from whitenoise.storage import CompressedManifestStaticFilesStorage

    from config.storage import StaticStorage

    calls = []

    def manifest_url(self, name, force=False):
        calls.append(name)
        return f"/static/{name}.0123abcd"

    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url", manifest_url)
    storage = StaticStorage(location=tmp_path, base_url="/static/")
    assert [storage.url("css/app.css") for _ in range(3)] == ["/static/css/app.css.0123abcd"] * 3
    assert storage.url("js/app.js") == "/static/js/app.js.0123abcd"
    assert calls == ["css/app.css", "js/app.js"]
    storage.url("css/app.css", force=True)  # collectstatic's own lookups are never kept
    assert calls == ["css/app.css", "js/app.js", "css/app.css"]
