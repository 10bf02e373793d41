from django.core.management.base import BaseCommand

from evaluations import demo as evaluations_demo
from evaluations import demo_preliminary
from institutions import demo


class Command(BaseCommand):
    help = "Loads the demo registry and an account for every role (idempotent)."

    def handle(self, *args, **options):
        created = demo.seed_registry()
        logins = demo.seed_accounts()
        evaluations_demo.seed_cycle()  # the 2026 cycle, self-evaluation open, a mix of reports
        # The 2025 cycle in its preliminary review, the districts in every state (issue 4).
        demo_preliminary.seed_preliminary()
        self.stdout.write(f"demo data: {created} institutions created, "
                          f"{len(logins)} demo accounts ready")
