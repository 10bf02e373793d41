"""Simultaneous requests of the re-verification, on whichever database the suite runs (the
threads, the held transactions and SQLite's file copy are those of
``tests/test_concurrency_races``): two administrators saving the verdict of one institution
from the same page save one and answer 409; two saving verdicts of two institutions at once
both get through, each place emptied calling in its own alternate, never "database is
locked"; two drawing the spot check at once draw it once."""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.enums import VerificationKind
from evaluations.models import Participant, SpotCheckDraw, Verification
from evaluations.services.reverification import reverification_alternates_set
from institutions.enums import Role
from tests.evaluations.reverification_setup import standard_cycle
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
def stage(users, gulou, default_policy):
    cycle, group_a = standard_cycle(users["city_admin"], gulou)
    colleague = UserFactory(username="city2", role=Role.CITY_ADMIN)
    listed = [Participant.objects.get(cycle=cycle, institution=i) for i in group_a[:4]]
    return cycle, listed, users["city_admin"], colleague


def _verdict_url(cycle, participant) -> str:
    return reverse("evaluations:verification_verdict", args=[cycle.year, participant.pk])


def test_two_administrators_saving_one_verdict_at_once_save_one_and_answer_409(stage):
    cycle, listed, admin, colleague = stage
    url = _verdict_url(cycle, listed[0])
    responses = race(
        post(logged_in(admin), url, {"verdict": "confirmed", "reason": "一致",
                                     "revision": "0"}),
        post(logged_in(colleague), url, {"verdict": "poor", "reason": "较差",
                                         "revision": "0"}))
    assert statuses(responses) == [302, 409]
    verification = Verification.objects.get(participant=listed[0])
    assert verification.revision == 1 and verification.verdict in ("confirmed", "poor")


def test_two_verdicts_of_two_institutions_at_once_each_call_in_their_own_alternate(stage):
    cycle, listed, admin, colleague = stage
    reverification_alternates_set(cycle=cycle, allowed=2, reason="两家", actor=admin)
    responses = race(*(
        post(logged_in(user), _verdict_url(cycle, participant),
             {"verdict": "poor", "reason": "运行较差", "revision": "0"})
        for user, participant in ((admin, listed[1]), (colleague, listed[2]))))
    assert statuses(responses) == [302, 302]
    joined = Verification.objects.filter(kind=VerificationKind.ALTERNATE)
    assert joined.count() == 2
    assert joined.values("participant").distinct().count() == 2


def test_two_administrators_drawing_the_spot_check_at_once_draw_it_once(stage):
    cycle, _listed, admin, colleague = stage
    url = reverse("evaluations:spot_check_draw", args=[cycle.year])
    responses = race(post(logged_in(admin), url, {"seed": "一"}),
                     post(logged_in(colleague), url, {"seed": "二"}))
    assert statuses(responses) == [302, 302]  # the second is sent to the first one's record
    assert SpotCheckDraw.objects.count() == 1
    assert Verification.objects.filter(kind=VerificationKind.SPOT_CHECK).count() == 1
