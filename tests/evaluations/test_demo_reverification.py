"""The demo's re-verification (stage 4): the 2023 cycle taken through stages 1–4 and left in
its re-verification with that stage complete — the list visited and decided, alternates
joined, the spot check drawn with its typed seed and decided, the results computed — made
through the services, deterministic and idempotent."""
from __future__ import annotations

from collections import Counter

import pytest
from auditlog.context import disable_auditlog
from django.apps import apps
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

import scoring
from evaluations import demo as demo_package
from evaluations.demo import panel as panel_demo
from evaluations.demo import preliminary as preliminary_demo
from evaluations.demo import reverification as demo
from evaluations.enums import (
    CycleStatus,
    PreliminaryGroup,
    SiteVerdict,
    Tier,
    VerificationKind,
)
from evaluations.models import (
    Cycle,
    CycleResults,
    PanelDraw,
    PanelSeat,
    Participant,
    SiteVisit,
    SiteVisitFile,
    SpotCheckDraw,
    VerdictChange,
    Verification,
)
from evaluations.selectors.panel import draw_replays
from evaluations.selectors.reverification import reverification_board
from evaluations.services.results import (
    results_publication_problems,
    results_recompute_compare,
)
from evaluations.services.reverification import reverification_open_problems
from institutions.models import Cluster, District, Expert, Notification, User
from institutions.reference_data import ensure_reference_data


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo, seeded once for the module (the 2023 cycle comes last and draws from
    the 2025 panel review's pool), in a transaction rolled back at the end (each test runs
    in a savepoint inside it); its files go to a temporary media directory."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), \
            transaction.atomic():
        with disable_auditlog():
            ensure_reference_data(District, Cluster)
        yield demo_package.seed_demo().reverification
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return _seeded_once


@pytest.fixture
def cycle(seeded):
    return Cycle.objects.select_related("policy_version").get(year=demo.PAST_YEAR)


def _verifications(cycle: Cycle):
    return Verification.objects.filter(participant__cycle=cycle)


def test_seed_takes_the_2023_cycle_into_a_complete_reverification(seeded, cycle):
    assert seeded == demo.ReverificationSeed(
        created=True, stages=(CycleStatus.SELF_EVALUATION, CycleStatus.PRELIMINARY_REVIEW,
                              CycleStatus.PANEL_REVIEW, CycleStatus.REVERIFICATION),
        results=True)
    assert cycle.status == CycleStatus.REVERIFICATION
    closed = {s.stage for s in cycle.stages.all() if s.is_closed}
    assert closed == {CycleStatus.SELF_EVALUATION, CycleStatus.PRELIMINARY_REVIEW,
                      CycleStatus.PANEL_REVIEW}
    # Every cohort institution submitted: no 未参评, no filing abandoned for 2023 (R2).
    assert set(cycle.submissions.values_list("status", flat=True)) == {"submitted"}
    assert cycle.participants.count() == cycle.submissions.count()
    assert reverification_open_problems(cycle) == []
    # The 2025 cycle stays in its panel review.
    assert Cycle.objects.get(year=preliminary_demo.DEMO_YEAR).status == \
        CycleStatus.PANEL_REVIEW


def test_every_verdict_is_in_with_one_poor_one_changed_and_the_alternates_joined(cycle):
    board = reverification_board(cycle)
    assert board.pending == 0
    verifications = _verifications(cycle)
    assert not verifications.filter(verdict="").exists()
    listed = Counter(verifications.filter(kind=VerificationKind.LISTED)
                     .values_list("verdict", flat=True))
    assert (listed[SiteVerdict.POOR], listed[SiteVerdict.NOT_CONFIRMED]) == (1, 1)
    assert sum(listed.values()) == board.quotas.E + board.quotas.G
    assert board.alternates_allowed == demo.ALTERNATES
    alternates = verifications.filter(kind=VerificationKind.ALTERNATE)
    assert alternates.count() == demo.ALTERNATES
    assert set(alternates.values_list("verdict", flat=True)) == {SiteVerdict.CONFIRMED}
    change = VerdictChange.objects.get(verification__participant__cycle=cycle)
    assert (change.before, change.after, change.reason) == (
        SiteVerdict.CONFIRMED, SiteVerdict.NOT_CONFIRMED, demo.CHANGE_REASON)
    assert change.verification.reason == demo.CHANGE_REASON


def test_every_verified_institution_was_visited_one_with_its_pdf(cycle):
    visits = SiteVisit.objects.filter(participant__cycle=cycle)
    assert set(visits.values_list("participant_id", flat=True)) == set(
        _verifications(cycle).values_list("participant_id", flat=True))
    assert all(v.visitors and v.findings and v.visited_on.year == demo.PAST_YEAR
               for v in visits)
    files = SiteVisitFile.objects.filter(visit__participant__cycle=cycle)
    assert files.count() >= 1
    assert all(f.file.read(5) == b"%PDF-" for f in files)


def test_the_spot_check_replays_from_its_typed_seed(cycle):
    draw = SpotCheckDraw.objects.get(cycle=cycle)
    assert (draw.seed, draw.seed_entered) == (demo.SPOT_SEED, True)
    group_b = sorted(Participant.objects.filter(cycle=cycle, group=PreliminaryGroup.B)
                     .values_list("institution__credit_code", flat=True))
    assert draw.candidates == group_b
    assert list(scoring.spot_check_draw(draw.candidates, draw.size, draw.seed)) == draw.sample
    spot = dict(_verifications(cycle).filter(kind=VerificationKind.SPOT_CHECK)
                .values_list("participant__institution__credit_code", "verdict"))
    assert set(spot) == set(draw.sample)
    assert Counter(spot.values())[SiteVerdict.POOR] == 1


def test_the_panels_were_drawn_from_the_demo_pool(cycle):
    draws = list(PanelDraw.objects.filter(panel__cycle=cycle).order_by("panel__position"))
    assert [(d.seed, d.seed_entered) for d in draws] == [
        (seed, True) for seed in demo.PANEL_SEEDS]
    assert all(draw_replays(d) for d in draws)
    pool = {panel_demo.pool_number(n) for n in range(1, len(panel_demo.EXPERTS) + 1)}
    drawn = set(PanelSeat.objects.filter(panel__cycle=cycle)
                .values_list("expert__pool_number", flat=True))
    assert drawn <= pool
    assert Expert.objects.count() == len(panel_demo.EXPERTS)


def test_results_are_stored_with_one_tier_per_participant(cycle):
    results = CycleResults.objects.get(cycle=cycle)
    tiers = dict(results.tiers.values_list("participant_id", "tier"))
    assert set(tiers) == set(cycle.participants.values_list("pk", flat=True))
    assert set(tiers.values()) == {Tier.EXCELLENT, Tier.GOOD, Tier.QUALIFIED,
                                   Tier.UNQUALIFIED}
    assert all(t.explanation for t in results.tiers.all())
    assert results.checks["passed"] or results.justification
    assert results.seeds == {"spot_check": demo.SPOT_SEED}
    assert results_recompute_compare(cycle=cycle).identical
    assert results_publication_problems(cycle) == []


def test_the_2023_notices_are_read(cycle):
    assert not Notification.objects.filter(created_at__year=demo.PAST_YEAR,
                                           read_at__isnull=True).exists()
    assert Notification.objects.filter(created_at__year=demo.PAST_YEAR).exists()


def test_city_admin_sees_the_stage_and_the_results(cycle, client):
    client.force_login(User.objects.get(username="city_admin"))
    page = client.get(reverse("evaluations:reverification_home"), follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == reverse("evaluations:reverification_stage",
                                                 args=[demo.PAST_YEAR])
    html = client.get(reverse("evaluations:results", args=[demo.PAST_YEAR])).content.decode()
    for tier in (Tier.EXCELLENT, Tier.GOOD, Tier.QUALIFIED, Tier.UNQUALIFIED):
        assert str(tier.label) in html


def test_a_second_seed_demo_changes_no_row(seeded):
    def counts() -> dict:
        return {m._meta.label: m.objects.count() for m in apps.get_models()}

    before = counts()
    again = demo_package.seed_demo()
    assert again.reverification == demo.ReverificationSeed(created=False, stages=(),
                                                           results=False)
    assert counts() == before
