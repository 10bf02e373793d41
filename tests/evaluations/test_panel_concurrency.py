"""Simultaneous requests of the panel review, on whichever database the suite runs (the
threads, the held transactions and SQLite's file copy are those of
``tests/test_concurrency_races``): an expert's two tabs saving at once save one and answer
409; two experts and the organiser working at once all get through, never "database is
locked"; two organisers drawing the same panel draw it once; two members declining at once
bring in two different alternates."""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.enums import SeatStatus
from evaluations.models import ExpertScore, Indicator, PanelDraw, PanelSeat
from evaluations.services.panel import (
    expert_score_reopen,
    expert_score_save,
    expert_score_submit,
    panel_invite,
    seat_accept,
)
from institutions.enums import Role
from tests.evaluations.panel_setup import pool
from tests.factories import UserFactory
from tests.test_concurrency_races import (  # noqa: F401 - the module's fixtures
    file_database,
    logged_in,
    post,
    private_media,
    race,
    statuses,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accepted(drawn, organiser):
    """Every member of group A's panel invited; the first three accepted."""
    panel, _made = drawn
    panel_invite(panel=panel, actor=organiser)
    seats = list(panel.seats.select_related("expert__user", "panel__cycle")
                 .order_by("position"))
    for seat in seats[:3]:
        seat_accept(seat=seat, actor=seat.expert.user)
    participant = panel.cycle.participants.filter(group="A").order_by("pk").first()
    return panel, seats, participant


def _scores(participant, value: str) -> dict:
    return {f"score-{pk}": value for pk in Indicator.objects.filter(
        category__cycle_id=participant.cycle_id).values_list("pk", flat=True)}


def _url(seat, participant) -> str:
    return reverse("evaluations:expert_score", kwargs={"seat": seat.pk, "pk": participant.pk})


def test_an_experts_two_tabs_saving_at_once_save_one_and_answer_409(accepted):
    _panel, seats, participant = accepted
    seat = seats[0]
    responses = race(*(post(logged_in(seat.expert.user), _url(seat, participant),
                            {**_scores(participant, value), "revision": "0", "save": "1"})
                       for value in ("1", "2")))
    assert statuses(responses) == [302, 409]
    assert ExpertScore.objects.get().revision == 1


def test_two_experts_and_the_organiser_at_once_all_get_through(accepted, organiser):
    panel, seats, participant = accepted
    first, second, third = seats[:3]
    done = expert_score_save(seat=third, participant_id=participant.pk,
                             scores={k[6:]: "1" for k in _scores(participant, "1")},
                             comment="", revision=0, actor=third.expert.user)
    expert_score_submit(score=done, actor=third.expert.user)

    def reopen():
        expert_score_reopen(score=done, actor=organiser, reason="核对")
        return type("R", (), {"status_code": 200})()

    responses = race(
        post(logged_in(first.expert.user), _url(first, participant),
             {**_scores(participant, "1"), "revision": "0", "save": "1"}),
        post(logged_in(second.expert.user), _url(second, participant),
             {**_scores(participant, "2"), "revision": "0", "save": "1"}),
        reopen)
    assert statuses(responses) == [200, 302, 302]
    assert ExpertScore.objects.filter(participant=participant).count() == 3
    done.refresh_from_db()
    assert done.submitted_at is None


def test_two_organisers_drawing_the_same_panel_draw_it_once(stage, organiser):
    cycle, _made = stage
    pool(9)
    colleague = UserFactory(username="organiser2", role=Role.PANEL_ORGANISER)
    panel = cycle.panels.order_by("position").first()
    url = reverse("evaluations:panel_draw", args=[panel.pk])
    responses = race(post(logged_in(organiser), url, {"seed": "one"}),
                     post(logged_in(colleague), url, {"seed": "two"}))
    assert statuses(responses) == [200, 302]
    assert PanelDraw.objects.count() == 1
    assert PanelSeat.objects.count() == 9


def test_two_members_declining_at_once_bring_in_two_different_alternates(drawn, organiser):
    panel, _made = drawn
    panel_invite(panel=panel, actor=organiser)
    seats = list(panel.seats.select_related("expert__user").order_by("position"))
    responses = race(*(post(logged_in(seat.expert.user),
                            reverse("evaluations:seat_decline", args=[seat.pk]),
                            {f"seat{seat.pk}-reason": "出差"}) for seat in seats[:2]))
    assert statuses(responses) == [302, 302]
    joined = PanelSeat.objects.filter(panel=panel, replaces__isnull=False)
    assert sorted(joined.values_list("replaces", flat=True)) == sorted(s.pk for s in seats[:2])
    assert set(joined.values_list("status", flat=True)) == {SeatStatus.INVITED}
    assert joined.values("expert").distinct().count() == 2
