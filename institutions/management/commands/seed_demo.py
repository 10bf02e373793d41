from django.core.management.base import BaseCommand

from institutions import demo


class Command(BaseCommand):
    help = "Loads the demo registry and an account for every role (idempotent)."

    def handle(self, *args, **options):
        created = demo.seed_registry()
        logins = demo.seed_accounts()
        self.stdout.write(f"demo data: {created} institutions created, "
                          f"{len(logins)} demo accounts ready")
