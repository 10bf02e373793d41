"""The deployment files stay valid (no compose client runs here, so the file is checked as data)
and the README keeps its two set-up commands."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_services_are_the_deployment():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert sorted(services) == ["beat", "db", "redis", "web", "worker"]
    assert "gunicorn config.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")
    assert services["db"]["image"] == "postgres:15"
    assert sorted(compose["volumes"]) == ["media", "pgdata", "redisdata"]


def test_compose_app_services_share_settings_and_private_media():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert environment["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "media:/data/media" in services[name]["volumes"]


def test_compose_documents_a_proxy_body_limit_just_above_the_apps_own():
    """Issue 9 §4: the reverse proxy in front of the web service must let the largest
    request the app takes through (it stops larger ones itself, while they stream), no more,
    and must not buffer whole bodies first: the web service's comment says so in numbers
    that follow the settings."""
    text = (ROOT / "docker-compose.yml").read_text()
    web = text[text.index("\n  web:"):text.index("\n  worker:")]
    limit_mb = int(re.search(r"client_max_body_size (\d+)m;", web).group(1))
    request_mb = settings.UPLOAD_MAX_REQUEST_BYTES // 2**20
    assert request_mb < limit_mb <= request_mb + 5
    assert "proxy_request_buffering off;" in web
    assert f"{settings.EVIDENCE_MAX_FILE_BYTES // 2**20} MB" in web


def test_readme_gives_exactly_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Set-up on a fresh machine\s+```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("make test")


def test_front_end_libraries_are_served_by_the_app():
    vendored = {prefix for prefix, _ in (d for d in settings.STATICFILES_DIRS
                                         if isinstance(d, tuple))}
    assert vendored == {"vendor/bootstrap", "vendor/bootstrap-icons", "vendor/htmx",
                        "vendor/chart.js"}
    base = (ROOT / "templates" / "base.html").read_text()
    assert "//cdn" not in base and "https://" not in base
