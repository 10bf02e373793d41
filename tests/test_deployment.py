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
