"""Settings that cannot fall back silently (issue 9 §2): which settings module each way of
starting the app runs, production's refusal to start half-configured, Celery kept out of
start-up, the image's start command, and `check --deploy` down to its documented choices.

Each case starts a fresh interpreter: the settings module is chosen once per process, on import.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# A key check --deploy accepts: 50 characters or more, varied, not Django's "insecure" prefix.
PRODUCTION_ENV = {"DJANGO_SECRET_KEY": "".join(map(chr, range(ord("A"), ord("z") + 1))),
                  "DJANGO_ALLOWED_HOSTS": "eval.example.cn"}


def _run(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter in the repository, with none of the DJANGO_ or CELERY_
    variables of this process (the test run's settings module among them, and CI's broker),
    plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


SHOW_SETTINGS = """
import importlib, os, sys
importlib.import_module(sys.argv[1])
from django.conf import settings
print(os.environ["DJANGO_SETTINGS_MODULE"], settings.DEBUG)
"""


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi", "config.celery_app"])
def test_server_entry_points_default_to_production_settings(entry_point):
    result = _run(SHOW_SETTINGS, entry_point, **PRODUCTION_ENV)
    assert (result.returncode, result.stdout) == (0, "config.settings.production False\n"), \
        result.stderr


def test_manage_py_alone_defaults_to_local_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c",
         "import os; print(os.environ['DJANGO_SETTINGS_MODULE'])"],
        cwd=ROOT, env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "config.settings.local\n"), result.stderr


@pytest.mark.parametrize("how", ["unset", "empty"])
@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(variable, how):
    if how == "unset" and (ROOT / ".env").exists():
        pytest.skip(".env may set the variable, which an unset one then takes from it")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != variable}
    if how == "empty":
        env[variable] = ""
    result = _run("import config.wsgi", **env)
    assert (result.returncode, result.stderr.strip().splitlines()[-1]) == (
        1, f"django.core.exceptions.ImproperlyConfigured: Set the {variable} environment "
           "variable: production settings refuse to start without it (see the README, "
           "Production-like).")


def test_trusted_proxies_that_are_not_addresses_stop_the_start():
    result = _run("import django; django.setup()",
                  DJANGO_SETTINGS_MODULE="config.settings.local",
                  DJANGO_TRUSTED_PROXIES="10.0.0.0/8,proxy.local")
    assert (result.returncode, result.stderr.strip().splitlines()[-1]) == (
        1, "ValueError: 'proxy.local' does not appear to be an IPv4 or IPv6 network")


MAKE_RUN = """
import django
django.setup()
from django.conf import settings
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").get("/static/vendor/htmx/htmx.min.js")
print(settings.DEBUG, response.status_code, type(response).__name__)
"""


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "False 200 WhiteNoiseFileResponse\n"),
    ({"DJANGO_DEBUG": "1"}, "True 200 WhiteNoiseFileResponse\n"),
])
def test_make_run_serves_the_product_with_debug_off_unless_asked(env, expected):
    """`make run` is manage.py runserver on the local settings: DEBUG off, and static files
    still served, by WhiteNoise from the finders (runserver's own serving is switched off)."""
    result = _run(MAKE_RUN, DJANGO_SETTINGS_MODULE="config.settings.local", **env)
    assert (result.returncode, result.stdout) == (0, expected), result.stderr


CELERY_MODULES = """
import sys, django
django.setup()
print(sorted(m for m in sys.modules if m.split(".")[0] in {"celery", "kombu", "billiard"}))
"""


def test_django_start_up_does_not_import_celery():
    result = _run(CELERY_MODULES, DJANGO_SETTINGS_MODULE="config.settings.local")
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


BOUND_APP = """
import django
django.setup()
from celery.app.utils import find_app
app = find_app("config")
from institutions.tasks import send_notification_emails
from evaluations.tasks import render_self_evaluation_report
from django.conf import settings
schedule = app.conf.beat_schedule["self-evaluation-reminders"]["schedule"]
print(app.main, send_notification_emails.app is app, render_self_evaluation_report.app is app,
      app.conf.task_always_eager, type(schedule).__name__)
"""


def test_celery_finds_the_project_app_and_tasks_bind_to_it():
    """What `celery -A config worker` and a sent task rely on, now that Django does not load the
    Celery app: both reach the one app configured from the settings."""
    result = _run(BOUND_APP, DJANGO_SETTINGS_MODULE="config.settings.local")
    assert (result.returncode, result.stdout) == (0, "xzrd True True True crontab\n"), \
        result.stderr


def _dockerfile_instructions() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_image_runs_production_settings_under_gunicorn():
    instructions = _dockerfile_instructions()
    env = [line for line in instructions if line.startswith("ENV ")]
    cmd = [line for line in instructions if line.startswith("CMD ")]
    assert any("DJANGO_SETTINGS_MODULE=config.settings.production" in line.split()
               for line in env)
    assert len(cmd) == 1
    assert json.loads(cmd[0].removeprefix("CMD "))[:2] == ["gunicorn", "config.wsgi:application"]


# What `check --deploy` still says of the production settings, each a choice written down in
# the README's production section.
INTENDED_DEPLOY_WARNINGS = ["security.W005", "security.W019", "security.W021"]


def test_check_deploy_reports_only_the_documented_choices():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy",
         "--settings=config.settings.production"],
        cwd=ROOT, env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
                       **PRODUCTION_ENV},
        capture_output=True, text=True, timeout=120)
    found = sorted(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert found == INTENDED_DEPLOY_WARNINGS, result.stdout + result.stderr
    readme = (ROOT / "README.md").read_text()
    production = readme[readme.index("## Production-like"):]
    assert [w for w in INTENDED_DEPLOY_WARNINGS if w.split(".")[1] in production] == \
        INTENDED_DEPLOY_WARNINGS
