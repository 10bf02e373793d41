"""The demo's panel review (stage 3): the 2025 cycle taken on from its preliminary review into
the panel review with an expert pool, every panel drawn and the drawn experts in every state,
made through the services, deterministic and idempotent."""
from __future__ import annotations

from collections import Counter

import pytest
from auditlog.context import disable_auditlog
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from stdnum.cn import uscc

from evaluations.demo import panel as demo
from evaluations.demo import preliminary as preliminary_demo
from evaluations.demo import registry as registry_demo
from evaluations.demo import self_evaluation as cycle_demo
from evaluations.enums import (
    ConflictSource,
    CycleStatus,
    DistrictReviewStatus,
    FraudStatus,
    RectificationStatus,
    SeatRole,
    SeatStatus,
)
from evaluations.models import (
    Conflict,
    Cycle,
    ExpertScore,
    FraudReport,
    Panel,
    PanelDraw,
    PanelSeat,
    Participant,
    Rectification,
)
from evaluations.selectors.panel import draw_replays, seat_assignments
from institutions.enums import ExpertStatus, Role, TitleLevel
from institutions.models import Cluster, District, Expert, User
from institutions.reference_data import ensure_reference_data


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeding takes a while: once for the module, in a transaction rolled back at the end
    (each test runs in a savepoint inside it); its files go to a temporary media directory."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), \
            transaction.atomic():
        with disable_auditlog():
            ensure_reference_data(District, Cluster)
        registry_demo.seed_registry()
        registry_demo.seed_accounts()
        cycle_demo.seed_cycle()
        preliminary_demo.seed_preliminary()
        yield demo.seed_panel()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return _seeded_once


@pytest.fixture
def cycle(seeded):
    return Cycle.objects.get(year=preliminary_demo.DEMO_YEAR)


def _seat(username: str) -> PanelSeat:
    return PanelSeat.objects.select_related("panel__cycle", "expert").get(
        expert__user__username=username)


def _state() -> dict:
    return {
        "cycles": list(Cycle.objects.order_by("year").values_list("year", "status")),
        "reviews": Counter(Cycle.objects.get(year=2025).district_reviews
                           .values_list("status", flat=True)),
        "experts": sorted(Expert.objects.values_list("pool_number", "status", "user_id")),
        "panels": sorted(Panel.objects.values_list("position", "group", "categories")),
        "draws": PanelDraw.objects.count(),
        "seats": sorted(PanelSeat.objects.values_list("pk", "status", "replaces_id")),
        "conflicts": Conflict.objects.count(),
        "scores": sorted(ExpertScore.objects.values_list("pk", "total", "submitted_at")),
        "users": User.objects.count(),
    }


def test_seed_panel_opens_the_panel_review_and_is_idempotent(seeded, cycle):
    assert seeded == demo.PanelSeed(opened=True, experts=len(demo.EXPERTS), panels=3)
    assert cycle.status == CycleStatus.PANEL_REVIEW
    assert cycle.stages.get(stage=CycleStatus.PRELIMINARY_REVIEW).is_closed is True
    assert set(cycle.district_reviews.values_list("status", flat=True)) == {
        DistrictReviewStatus.ACCEPTED}
    # The fraud report the city had not decided is dismissed, the confirmed one stands (R8).
    assert Counter(FraudReport.objects.values_list("status", flat=True)) == {
        FraudStatus.DISMISSED: 1, FraudStatus.CONFIRMED: 1}
    # The notices still running were answered and accepted; the overdue one stays open.
    notices = list(Rectification.objects.filter(participant__cycle=cycle))
    assert Counter((n.status, n.is_overdue) for n in notices) == {
        (RectificationStatus.CLOSED, False): 3, (RectificationStatus.OPEN, True): 1}
    # Every participant has its group, fixed by closing the stage (R4).
    assert set(Participant.objects.filter(cycle=cycle).values_list("group", flat=True)) == {
        "A", "B", "C"}
    before = _state()
    assert demo.seed_panel() == demo.PanelSeed(opened=False, experts=0, panels=0)
    assert preliminary_demo.seed_preliminary() == preliminary_demo.PreliminarySeed(
        created=False, submitted=0, districts=0)
    assert _state() == before


def test_seed_panel_pool_has_senior_titles_valid_employers_and_one_suspended(seeded):
    experts = list(Expert.objects.prefetch_related("employments"))
    assert len(experts) == len(demo.EXPERTS)
    assert {e.title_level for e in experts} == {TitleLevel.FULL_SENIOR,
                                                TitleLevel.ASSOCIATE_SENIOR}
    codes = [e.employer_credit_code for e in experts] + [
        job.credit_code for e in experts for job in e.employments.all()]
    assert [code for code in codes if not uscc.is_valid(code)] == []
    assert [(e.name, e.suspension_reason) for e in experts
            if e.status == ExpertStatus.SUSPENDED] == [(demo.SUSPENDED, demo.SUSPENSION_REASON)]
    accounts = [e.user for e in experts if e.user is not None]
    assert {u.role for u in accounts} == {Role.EXPERT}
    assert all(u.check_password(registry_demo.DEMO_PASSWORD) for u in accounts)
    assert Expert.objects.get(user__username=demo.SCORER).name == "陈建华"


def test_seed_panel_splits_group_a_and_draws_every_panel_with_the_typed_seed(seeded, cycle):
    panels = list(cycle.panels.order_by("position"))
    assert [p.name for p in panels] == ["较差组", "优良组·优势产业集群",
                                        "优良组·特色产业集群、新兴产业集群"]
    draws = [p.draws.get() for p in panels]
    assert [(d.seed, d.seed_entered, d.members, d.alternates) for d in draws] == [
        (seed, True, 7, 2) for seed in demo.SEEDS]
    assert [draw_replays(d) for d in draws] == [True, True, True]
    # Nobody is drawn twice in the cycle (R6a), and nobody ineligible is drawn.
    drawn = list(PanelSeat.objects.filter(panel__cycle=cycle).values_list("expert__name",
                                                                           flat=True))
    assert len(drawn) == len(set(drawn)) == 27
    assert demo.SUSPENDED not in drawn


def test_seed_panel_leaves_the_experts_in_every_state(seeded, cycle):
    seats = PanelSeat.objects.filter(panel__cycle=cycle)
    assert set(seats.values_list("status", flat=True)) == {
        SeatStatus.ACCEPTED, SeatStatus.DECLINED, SeatStatus.INVITED, SeatStatus.STANDBY}
    declined = seats.get(status=SeatStatus.DECLINED)
    joined = declined.replaced_by
    assert (declined.reason, declined.role, joined.role, joined.status) == (
        demo.DECLINE_REASON, SeatRole.MEMBER, SeatRole.ALTERNATE, SeatStatus.ACCEPTED)
    assert list(seats.filter(status=SeatStatus.INVITED).values_list(
        "expert__user__username", flat=True)) == [demo.INVITEE]
    assert Counter(Conflict.objects.filter(cycle=cycle).values_list("source", flat=True)) == {
        ConflictSource.DECLARED: 2, ConflictSource.EMPLOYER: 1}
    assert sorted(Conflict.objects.filter(source=ConflictSource.DECLARED)
                  .values_list("reason", flat=True)) == sorted(
        [demo.ACCEPT_CONFLICT, demo.LATER_CONFLICT])
    scores = ExpertScore.objects.filter(seat__panel__cycle=cycle)
    assert scores.filter(submitted_at__isnull=False).count() > demo.SUBMITTED_SCORES
    assert scores.filter(submitted_at__isnull=True, total__isnull=True).count() == 1


def test_seed_panel_expert_login_sees_its_assignments(seeded, client):
    seat = _seat(demo.SCORER)
    assert (seat.role, seat.status) == (SeatRole.MEMBER, SeatStatus.ACCEPTED)
    assigned = seat_assignments(seat)
    scores = ExpertScore.objects.filter(seat=seat)
    assert (scores.filter(submitted_at__isnull=False).count(),
            scores.filter(submitted_at__isnull=True).count()) == (demo.SUBMITTED_SCORES, 1)
    assert len(assigned) > demo.SUBMITTED_SCORES + 1  # some left to score
    client.force_login(User.objects.get(username=demo.SCORER))
    page = client.get(reverse("evaluations:expert_home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="assignment"') == len(assigned)
    first = Participant.objects.select_related("institution").get(pk=assigned[0])
    assert first.institution.name in html


def test_seed_panel_invitee_login_has_an_invitation_to_answer(seeded, client):
    assert [login.username for login in demo.panel_logins()] == [demo.INVITEE]
    client.force_login(User.objects.get(username=demo.INVITEE))
    html = client.get(reverse("evaluations:expert_home")).content.decode()
    assert 'data-testid="accept-form"' in html
    assert 'data-testid="decline-form"' in html
