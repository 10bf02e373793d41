"""`demo_logins` on a database that was never seeded (kept apart from ``test_demo``, whose
module holds seeded data for all its tests)."""
import io

from django.core.management import call_command


def test_demo_logins_before_seeding_lists_no_account(reference_data):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert [line for line in out.getvalue().splitlines() if line.startswith("  ")] == []
