"""``manage.py simulate_cycle SCENARIO.json [--out RESULT.json]``: one cycle offline.

Reads a scenario file (rules.md "The scenario file"), runs it with the rules of ``scoring``
that the web app uses, and writes the output document. Any malformed input ends with exit
status 2 and one line ``error: …`` on stderr, never a traceback.
"""
from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from scoring.errors import ScenarioError, quote
from scoring.scenario import simulate


class Command(BaseCommand):
    help = "Run one evaluation cycle from a scenario JSON file and write its results as JSON."
    # Pure computation: no database, so the system checks are only start-up time.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("scenario", help="the scenario file (JSON, UTF-8)")
        parser.add_argument("--out", help="write the results here instead of to stdout")

    def handle(self, *args, scenario: str, out: str | None, **options) -> None:
        try:
            text = Path(scenario).read_bytes().decode("utf-8-sig")
        except OSError as exc:
            self._fail(f"{quote(scenario)}: cannot read: {exc.strerror or exc}")
        except UnicodeDecodeError as exc:
            self._fail(f"{quote(scenario)}: not UTF-8 text (byte {exc.start} is invalid)")
        try:
            result = simulate(text)
        except ScenarioError as exc:
            self._fail(str(exc))
        document = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
        if out is None:
            self.stdout.write(document, ending="")
            return
        try:
            Path(out).write_text(document, encoding="utf-8")
        except OSError as exc:
            self._fail(f"{quote(out)}: cannot write: {exc.strerror or exc}")

    def _fail(self, message: str) -> None:
        # Plain text even on a terminal: the line is meant to be compared and grepped.
        self.stderr.write(f"error: {message}", style_func=lambda text: text)
        raise SystemExit(2)
