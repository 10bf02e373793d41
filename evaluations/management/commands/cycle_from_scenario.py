"""``manage.py cycle_from_scenario SCENARIO.json [--out RESULT.json]``: one cycle from a scenario
file, run through the web application's services of stages 2–4 on a scratch cycle that is
rolled back (``evaluations.services.scenario_cycle``). The output is ``simulate_cycle``'s, byte
for byte, and so are the lines of the scenarios it refuses (exit status 2); a service refusing
what the rules accept ends with exit status 1."""
from __future__ import annotations

from django.core.management.base import BaseCommand, no_translations

from evaluations.services.scenario_cycle import Failure, run


class Command(BaseCommand):
    help = ("Run one evaluation cycle from a scenario JSON file through the web application's "
            "services, on a scratch cycle that is rolled back, and write its results as JSON.")
    # As simulate_cycle's: the system checks would only add to the start-up time.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("scenario", help="the scenario file (JSON, UTF-8)")
        parser.add_argument("--out", help="write the results here instead of to stdout")

    # The lines in English, as simulate_cycle's, the services' refusals included.
    @no_translations
    def handle(self, *args, scenario: str, out: str | None, **options) -> None:
        try:
            document = run(scenario, out)
        except Failure as exc:
            # Plain text even on a terminal, as simulate_cycle's: the line is compared.
            self.stderr.write(f"error: {exc}", style_func=lambda text: text)
            raise SystemExit(exc.status) from None
        if document:
            self.stdout.write(document, ending="")
