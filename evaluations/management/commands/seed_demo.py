from django.core.management.base import BaseCommand

from evaluations import demo


class Command(BaseCommand):
    help = "Loads the demo registry and an account for every role (idempotent)."

    def handle(self, *args, **options):
        # The registry and the logins, the 2026 cycle with self-evaluation open, and the 2025
        # cycle through its preliminary review (the districts' states on the way) into the
        # panel review, with the pool, the panels drawn and the experts in every state; then
        # the 2023 cycle through stages 1-4, its re-verification complete and its results
        # computed (evaluations.demo).
        seeded = demo.seed_demo()
        self.stdout.write(f"demo data: {seeded.institutions} institutions created, "
                          f"{len(seeded.logins)} demo accounts ready")
