"""Shared set-up of the stage-3 tests: a cycle in its panel review with chosen members of
groups A and C, and a pool of experts.

Stage 2 is not replayed district by district (its own tests do that): the groups are set on the
participants, the preliminary stage is marked closed and the cycle moves on with
``cycle_transition``, which opens the panel review and its default panels. Experts then serve
(``serve``) and score (``score``) through the stage's services, as they would in the pages."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from evaluations.enums import CycleStatus
from evaluations.models import CycleStage, ExpertScore, Indicator, Participant
from evaluations.services.cycles import cycle_stage_schedule, cycle_transition
from evaluations.services.panel import (
    expert_score_save,
    expert_score_submit,
    panel_invite,
    seat_accept,
)
from institutions.models import Cluster, Institution
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.factories import ExpertFactory


def open_panel_review(actor, *, a: list[Institution], c: list[Institution],
                      year: int = 2025):
    """A cycle in its panel review: every invited institution submitted, ``a`` in group A,
    ``c`` in group C and the others in B."""
    cycle = open_preliminary_review(actor, year=year)
    participants = Participant.objects.filter(cycle=cycle)
    participants.update(group="B")
    participants.filter(institution__in=a).update(group="A")
    participants.filter(institution__in=c).update(group="C")
    today = timezone.localdate()
    CycleStage.objects.filter(cycle=cycle, stage=CycleStatus.PRELIMINARY_REVIEW).update(
        closed_at=timezone.now())
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.PANEL_REVIEW, opens_on=today,
                         closes_on=today + dt.timedelta(days=30), actor=actor)
    cycle_transition(cycle=cycle, to_status=CycleStatus.PANEL_REVIEW, actor=actor)
    cycle.refresh_from_db()
    return cycle


def pool(n: int, clusters: list[Cluster] | None = None, **fields):
    """``n`` active senior experts judging ``clusters`` (default: every cluster)."""
    clusters = clusters if clusters is not None else list(Cluster.objects.all())
    return [ExpertFactory(clusters=clusters, **fields) for _ in range(n)]


def serve(panel, organiser, accepting: int):
    """Invite the panel's members; the first ``accepting`` accept. Returns the members in
    draw order."""
    panel_invite(panel=panel, actor=organiser)
    seats = list(panel.seats.filter(role="member").select_related("expert__user", "panel__cycle")
                 .order_by("position"))
    for seat in seats[:accepting]:
        seat_accept(seat=seat, actor=seat.expert.user)
    for seat in seats:
        seat.refresh_from_db()
    return seats


def indicator_scores(cycle, total) -> dict[str, str]:
    """Indicator scores adding up to ``total``, filled from the first indicator on."""
    left = Decimal(str(total))
    scores = {}
    for pk, points in Indicator.objects.filter(category__cycle=cycle).values_list("pk",
                                                                                  "points"):
        given = min(Decimal(points), left)
        scores[str(pk)] = str(given)
        left -= given
    assert left == 0
    return scores


def score(seat, participant, total, *, submit=True) -> ExpertScore:
    """The expert of ``seat`` scores ``participant`` ``total`` (and submits it)."""
    existing = ExpertScore.objects.filter(seat=seat, participant=participant).first()
    given = expert_score_save(seat=seat, participant_id=participant.pk,
                              scores=indicator_scores(seat.panel.cycle, total), comment="",
                              revision=existing.revision if existing else 0,
                              actor=seat.expert.user)
    if submit:
        given = expert_score_submit(score=given, actor=seat.expert.user)
    return given
