"""Shared set-up of the stage-4 tests: a cycle whose panel review is closed with chosen panel
scores, moved on to the re-verification with ``cycle_transition`` (which opens it).

Stage 3 is not replayed expert by expert (its own tests do that): the panel review's outcome
and results are written as its close leaves them — the panel scores, the places in panel
order and the re-verification list, all from ``scoring`` as ``services.panel_close`` computes
them — and the stage is marked closed. Then the cycle moves on through its service."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

import scoring
from evaluations.enums import CycleStatus
from evaluations.models import (
    Cycle,
    CycleStage,
    PanelOutcome,
    PanelResult,
    PanelResultKind,
    Participant,
)
from evaluations.selectors.reverification import cycle_quotas
from evaluations.services.cycles import cycle_stage_schedule, cycle_transition
from institutions.models import District, Institution
from tests.evaluations.panel_setup import open_panel_review
from tests.evaluations.preliminary_setup import add_institutions


def close_panel_review(cycle: Cycle, actor, *, a_scores: dict[int, Decimal],
                       c_scores: dict[int, Decimal], tiebreak: Sequence[int] = ()) -> None:
    """Fix the panel review's results as its close would (R6): each member of A and C with its
    panel score (participant pk → score), its place in panel order and its result; the stage
    marked closed."""
    quotas = cycle_quotas(cycle)
    outcome = PanelOutcome.objects.create(cycle=cycle, fail_count_confirmed=True,
                                          tiebreak=list(tiebreak), closed_at=timezone.now(),
                                          closed_by=actor)
    keys = [str(pk) for pk in tiebreak]
    a_order = scoring.panel_order({str(pk): s for pk, s in a_scores.items()}, keys)
    listed = set(scoring.reverification_list(a_order, excellent_places=quotas.E,
                                             good_places=quotas.G))
    c_order = scoring.panel_order({str(pk): s for pk, s in c_scores.items()}, keys)
    c_finals = scoring.settle_group_c(c_order, fail_minimum=quotas.F).finals
    rows = []
    for place, key in enumerate(a_order.ids, start=1):
        rows.append(PanelResult(outcome=outcome, participant_id=int(key),
                                score=a_scores[int(key)], rank=place,
                                result=PanelResultKind.REVERIFY if key in listed
                                else PanelResultKind.NOT_LISTED))
    for place, key in enumerate(c_order.ids, start=1):
        rows.append(PanelResult(outcome=outcome, participant_id=int(key),
                                score=c_scores[int(key)], rank=place,
                                result=PanelResultKind(c_finals[key].value)))
    PanelResult.objects.bulk_create(rows)
    CycleStage.objects.filter(cycle=cycle, stage=CycleStatus.PANEL_REVIEW).update(
        closed_at=timezone.now())


def open_reverification(actor, *, a: Sequence[tuple[Institution, int | str]],
                        c: Sequence[tuple[Institution, int | str]], year: int = 2025,
                        tiebreak: Sequence[Institution] = ()) -> Cycle:
    """A cycle in its re-verification: every invited institution submitted; ``a`` (with their
    panel scores) in group A, ``c`` in group C, the others in B; the panel review closed with
    those scores and the cycle moved on (which opens the re-verification and its list)."""
    cycle = open_panel_review(actor, a=[i for i, _s in a], c=[i for i, _s in c], year=year)
    pk = dict(Participant.objects.filter(cycle=cycle).values_list("institution_id", "pk"))
    close_panel_review(
        cycle, actor,
        a_scores={pk[i.pk]: Decimal(str(s)) for i, s in a},
        c_scores={pk[i.pk]: Decimal(str(s)) for i, s in c},
        tiebreak=[pk[i.pk] for i in tiebreak])
    today = timezone.localdate()
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.REVERIFICATION, opens_on=today,
                         closes_on=today + dt.timedelta(days=30), actor=actor)
    cycle_transition(cycle=cycle, to_status=CycleStatus.REVERIFICATION, actor=actor)
    cycle.refresh_from_db()
    return cycle


def participant(cycle: Cycle, institution: Institution) -> Participant:
    return Participant.objects.select_related("cycle", "institution").get(
        cycle=cycle, institution=institution)


def standard_cycle(actor, district: District, *, first: Institution | None = None,
                   b: int = 3, year: int = 2025):
    """Twelve or thirteen participants with ``users``' two institutions (so E1 G3 F1 S1: the
    list is the first four of A): seven in group A scoring 90, 85, …, 60 (``first``, when
    given, is the best), one in C, the rest in B (``b`` made here besides ``users``' other
    ones). Returns the cycle and group A's institutions best first."""
    made = add_institutions(district, 7 + 1 + b - (1 if first else 0))
    if first is not None:
        made.insert(0, first)
    group_a, group_c = made[:7], made[7:8]
    cycle = open_reverification(
        actor, a=list(zip(group_a, [90, 85, 80, 75, 70, 65, 60], strict=True)),
        c=[(group_c[0], 40)], year=year)
    return cycle, group_a

