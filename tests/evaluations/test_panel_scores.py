"""The experts' scores (R6): drafts with revisions, a stale tab refused, submitting locks,
the organiser reopens with a reason; only assigned, unconflicted institutions are scored, and
a conflict declared before scoring takes the institution off the expert's list."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from evaluations.enums import ConflictSource, CycleStatus
from evaluations.models import Conflict, CycleStage, ExpertScore, Indicator
from evaluations.selectors.panel import seat_assignments
from evaluations.services.panel import (
    ScoreConflict,
    conflict_declare,
    conflict_record,
    expert_score_reopen,
    expert_score_save,
    expert_score_submit,
    panel_invite,
    seat_accept,
)
from institutions.exceptions import DomainError


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def serving(drawn, organiser):
    """The first member of group A's panel, invited and accepted."""
    panel, made = drawn
    panel_invite(panel=panel, actor=organiser)
    seat = panel.seats.select_related("expert__user", "panel__cycle").order_by("position")[0]
    seat_accept(seat=seat, actor=seat.expert.user)
    seat.refresh_from_db()
    participants = list(panel.cycle.participants.filter(group="A").order_by("pk"))
    return seat, participants


def _full(cycle, each=None):
    """A score for every indicator: ``each`` points, or all of them."""
    return {str(pk): str(each if each is not None else points) for pk, points in
            Indicator.objects.filter(category__cycle=cycle).values_list("pk", "points")}


def test_an_accepted_member_scores_every_institution_of_its_panel(serving):
    seat, participants = serving
    assert sorted(seat_assignments(seat)) == [p.pk for p in participants]


def test_drafts_save_with_revisions_and_a_stale_tab_is_refused(serving):
    seat, (first, *_rest) = serving
    user = seat.expert.user
    some = dict(list(_full(seat.panel.cycle).items())[:2])
    draft = expert_score_save(seat=seat, participant_id=first.pk, scores=some, comment="",
                              revision=0, actor=user)
    assert (draft.revision, draft.total) == (1, None)
    with pytest.raises(ScoreConflict, match="another window"):
        expert_score_save(seat=seat, participant_id=first.pk, scores={}, comment="x",
                          revision=0, actor=user)
    full = expert_score_save(seat=seat, participant_id=first.pk,
                             scores=_full(seat.panel.cycle), comment="材料翔实", revision=1,
                             actor=user)
    assert (full.revision, full.total) == (2, Decimal("100.00"))


@pytest.mark.parametrize("value, message", [("-1", "between 0 and"), ("abc", "a number"),
                                            ("1.234", "two decimals")])
def test_a_bad_indicator_score_is_refused_saying_what_is_wrong(serving, value, message):
    seat, (first, *_rest) = serving
    indicator = Indicator.objects.filter(category__cycle=seat.panel.cycle).first()
    with pytest.raises(DomainError, match=message):
        expert_score_save(seat=seat, participant_id=first.pk, scores={str(indicator.pk): value},
                          comment="", revision=0, actor=seat.expert.user)
    assert not ExpertScore.objects.exists()


def test_submitting_needs_every_indicator_then_locks_until_reopened(serving, organiser):
    seat, (first, *_rest) = serving
    user = seat.expert.user
    partial = dict(list(_full(seat.panel.cycle).items())[:1])
    score = expert_score_save(seat=seat, participant_id=first.pk, scores=partial, comment="",
                              revision=0, actor=user)
    with pytest.raises(DomainError, match="every indicator"):
        expert_score_submit(score=score, actor=user)
    score = expert_score_save(seat=seat, participant_id=first.pk,
                              scores=_full(seat.panel.cycle, 1), comment="", revision=1,
                              actor=user)
    expert_score_submit(score=score, actor=user)
    with pytest.raises(DomainError, match="locked"):
        expert_score_save(seat=seat, participant_id=first.pk, scores={}, comment="",
                          revision=2, actor=user)
    with pytest.raises(DomainError, match="reason"):
        expert_score_reopen(score=score, actor=organiser, reason="")
    expert_score_reopen(score=score, actor=organiser, reason="第三项分值录入有误")
    score.refresh_from_db()
    assert (score.submitted_at, score.reopened_reason) == (None, "第三项分值录入有误")
    expert_score_save(seat=seat, participant_id=first.pk, scores=_full(seat.panel.cycle, 2),
                      comment="", revision=2, actor=user)


def test_nobody_scores_for_another_expert_or_outside_the_assignments(serving, drawn, users):
    seat, (first, *_rest) = serving
    panel, made = drawn
    other = panel.seats.select_related("expert__user").order_by("position")[1]
    with pytest.raises(DomainError, match="own assignments"):
        expert_score_save(seat=seat, participant_id=first.pk, scores={}, comment="",
                          revision=0, actor=other.expert.user)
    group_c = panel.cycle.participants.get(group="C")
    with pytest.raises(DomainError, match="not assigned"):
        expert_score_save(seat=seat, participant_id=group_c.pk, scores={}, comment="",
                          revision=0, actor=seat.expert.user)
    # An invited member who has not accepted scores nothing yet.
    with pytest.raises(DomainError, match="not assigned"):
        expert_score_save(seat=other, participant_id=first.pk, scores={}, comment="",
                          revision=0, actor=other.expert.user)


def test_a_conflict_declared_before_scoring_removes_the_institution(serving):
    seat, (first, second, *_rest) = serving
    user = seat.expert.user
    expert_score_save(seat=seat, participant_id=first.pk,
                      scores=dict(list(_full(seat.panel.cycle).items())[:1]), comment="",
                      revision=0, actor=user)
    with pytest.raises(DomainError, match="Say what"):
        conflict_declare(seat=seat, participant_id=first.pk, reason=" ", actor=user)
    conflict_declare(seat=seat, participant_id=first.pk, reason="近亲属任职", actor=user)
    assert first.pk not in seat_assignments(seat)
    assert not ExpertScore.objects.filter(participant=first).exists()
    assert Conflict.objects.get(participant=first, expert=seat.expert).source == \
        ConflictSource.DECLARED
    score = expert_score_save(seat=seat, participant_id=second.pk,
                              scores=_full(seat.panel.cycle), comment="", revision=0,
                              actor=user)
    expert_score_submit(score=score, actor=user)
    with pytest.raises(DomainError, match="reopen"):
        conflict_declare(seat=seat, participant_id=second.pk, reason="后发现", actor=user)


def test_the_organiser_records_a_further_conflict_and_the_draft_goes(serving, organiser):
    seat, (first, *_rest) = serving
    expert_score_save(seat=seat, participant_id=first.pk,
                      scores=dict(list(_full(seat.panel.cycle).items())[:1]), comment="",
                      revision=0, actor=seat.expert.user)
    with pytest.raises(DomainError, match="Say what"):
        conflict_record(seat=seat, participant_id=first.pk, reason="", actor=organiser)
    group_c = seat.panel.cycle.participants.get(group="C")
    with pytest.raises(DomainError, match="institution of the panel"):
        conflict_record(seat=seat, participant_id=group_c.pk, reason="亲属", actor=organiser)
    conflict = conflict_record(seat=seat, participant_id=first.pk, reason="亲属任高管",
                               actor=organiser)
    assert (conflict.source, conflict.recorded_by) == (ConflictSource.RECORDED, organiser)
    assert first.pk not in seat_assignments(seat)
    assert not ExpertScore.objects.exists()


def test_nothing_is_scored_once_the_panel_review_is_closed(serving):
    seat, (first, *_rest) = serving
    CycleStage.objects.filter(cycle=seat.panel.cycle, stage=CycleStatus.PANEL_REVIEW).update(
        closed_at=timezone.now())
    with pytest.raises(DomainError, match="closed"):
        expert_score_save(seat=seat, participant_id=first.pk, scores={}, comment="",
                          revision=0, actor=seat.expert.user)
