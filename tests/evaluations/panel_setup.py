"""Shared set-up of the stage-3 tests: a cycle in its panel review with chosen members of
groups A and C, and a pool of experts.

Stage 2 is not replayed district by district (its own tests do that): the groups are set on the
participants, the preliminary stage is marked closed and the cycle moves on with
``cycle_transition``, which opens the panel review and its default panels."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from evaluations.enums import CycleStatus
from evaluations.models import CycleStage, Participant
from evaluations.services.cycles import cycle_stage_schedule, cycle_transition
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
