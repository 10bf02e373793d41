"""Stage 4's pages read in the same number of queries whatever their size: the stage page and
the spot check's record with a list of four and of fourteen, each with verdicts, changes,
visits with files, an alternate joining and the spot check's verdicts."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import SiteVerdict, VerificationKind
from evaluations.models import Verification
from evaluations.services import reverification as services
from tests.evaluations.preliminary_setup import add_institutions
from tests.evaluations.reverification_setup import open_reverification
from tests.evaluations.self_evaluation_setup import PNG, upload


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _work_through(cycle, admin):
    """Every listed institution visited (with a file) and given a verdict, the second poor
    with an alternate joining and confirmed, the first's verdict changed; the spot check
    drawn and its verdicts recorded."""
    services.reverification_alternates_set(cycle=cycle, allowed=1, reason="递补一家",
                                           actor=admin)
    listed = list(Verification.objects.filter(participant__cycle=cycle)
                  .select_related("participant__cycle").order_by("pk"))
    for n, verification in enumerate(listed):
        participant = verification.participant
        services.verification_visit_record(
            participant=participant, visited_on=timezone.localdate(), visitors="李明",
            findings="现场核查", uploads=[upload("现场.png", PNG)], actor=admin)
        services.verification_verdict_record(
            participant=participant, verdict=SiteVerdict.POOR if n == 1
            else SiteVerdict.CONFIRMED, reason="核查", revision=0, actor=admin)
    services.verification_verdict_change(participant=listed[0].participant,
                                         verdict=SiteVerdict.NOT_CONFIRMED, reason="复查",
                                         revision=1, actor=admin)
    services.spot_check_draw(cycle=cycle, actor=admin, seed="q")
    for verification in Verification.objects.filter(
            participant__cycle=cycle, verdict="").select_related("participant__cycle"):
        services.verification_verdict_record(participant=verification.participant,
                                             verdict=SiteVerdict.CONFIRMED, reason="核查",
                                             revision=0, actor=admin)
    assert Verification.objects.filter(participant__cycle=cycle,
                                       kind=VerificationKind.ALTERNATE).count() == 1


@pytest.fixture
def cycle_of(users, gulou, default_policy, private_media):
    def make(n_a: int, n_made: int, year: int):
        made = add_institutions(gulou, n_made)
        return open_reverification(
            users["city_admin"], a=[(i, 90 - k) for k, i in enumerate(made[:n_a])],
            c=[(made[n_a], 30)], year=year)
    return make


def test_the_stage_page_and_the_spot_check_do_not_grow_with_the_list(cycle_of, users,
                                                                     client_for):
    admin = users["city_admin"]
    client = client_for(admin)
    small = cycle_of(7, 10, 2025)  # twelve participants: E1 G3, a list of four
    _work_through(small, admin)
    assert Verification.objects.filter(participant__cycle=small,
                                       kind=VerificationKind.LISTED).count() == 4
    stage, spot = (_count(client, reverse(name, args=[small.year]))
                   for name in ("evaluations:reverification_stage", "evaluations:spot_check"))
    large = cycle_of(20, 30, 2027)  # forty-two participants: E4 G10, a list of fourteen
    _work_through(large, admin)
    assert Verification.objects.filter(participant__cycle=large,
                                       kind=VerificationKind.LISTED).count() == 14
    assert _count(client, reverse("evaluations:reverification_stage", args=[large.year])) \
        == stage
    assert _count(client, reverse("evaluations:spot_check", args=[large.year])) == spot


def _verdict_queries(cycle, participant, verdict, admin) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.verification_verdict_record(participant=participant, verdict=verdict,
                                             reason="核查", revision=0, actor=admin)
    return len(queries)


@pytest.mark.parametrize("verdict", [SiteVerdict.CONFIRMED, SiteVerdict.POOR])
def test_recording_a_verdict_does_not_grow_with_the_list(cycle_of, users, verdict):
    """One verdict on the last institution of a list of four and of a list of fourteen, the
    others confirmed first and an alternate allowed: poor leaves the place empty and calls
    the alternate in, confirmed keeps it (and reads the stage's board once)."""
    admin = users["city_admin"]
    counts = []
    for n_a, n_made, year in ((7, 10, 2025), (20, 30, 2027)):
        cycle = cycle_of(n_a, n_made, year)
        services.reverification_alternates_set(cycle=cycle, allowed=1, reason="递补一家",
                                               actor=admin)
        listed = list(Verification.objects.filter(participant__cycle=cycle)
                      .select_related("participant__cycle").order_by("pk"))
        for verification in listed[:-1]:
            services.verification_verdict_record(
                participant=verification.participant, verdict=SiteVerdict.CONFIRMED,
                reason="核查", revision=0, actor=admin)
        with CaptureQueriesContext(connection) as queries:
            services.verification_verdict_record(
                participant=listed[-1].participant, verdict=verdict, reason="核查",
                revision=0, actor=admin)
        counts.append(len(queries))
        alternates = Verification.objects.filter(participant__cycle=cycle,
                                                 kind=VerificationKind.ALTERNATE).count()
        assert alternates == (1 if verdict == SiteVerdict.POOR else 0)
    assert counts[0] == counts[1]
