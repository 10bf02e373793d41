"""``manage.py simulate_cycle SCENARIO.json [--out RESULT.json]``: one cycle offline, a thin
wrapper over ``python -m scoring`` (``scoring.cli``), which needs no Django and gives exactly
the same output and errors."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from scoring.cli import Failure, run


class Command(BaseCommand):
    help = "Run one evaluation cycle from a scenario JSON file and write its results as JSON."
    # Pure computation: no database, so the system checks are only start-up time.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("scenario", help="the scenario file (JSON, UTF-8)")
        parser.add_argument("--out", help="write the results here instead of to stdout")

    def handle(self, *args, scenario: str, out: str | None, **options) -> None:
        try:
            document = run(scenario, out)
        except Failure as exc:
            # Plain text even on a terminal: the line is meant to be compared and grepped.
            self.stderr.write(f"error: {exc}", style_func=lambda text: text)
            raise SystemExit(2) from None
        if document:
            self.stdout.write(document, ending="")
