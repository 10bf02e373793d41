"""Stage 3's writes (R6a): the default panels, splitting a group by cluster category, the
recorded draw (seed, eligible list, draw order, who and when) that replays and cannot be redone,
panels drawn in order without sharing an expert, and the conflicts found at the draw."""
from __future__ import annotations

import random

import pytest
from auditlog.models import LogEntry
from django.utils import translation

from evaluations.enums import ConflictSource, DrawKind, SeatRole, SeatStatus
from evaluations.models import Conflict, Panel, PanelDraw, PanelSeat
from evaluations.selectors.panel import coverage_problems, draw_preview, draw_replays
from evaluations.services.panel import (
    panel_draw,
    panel_group_split,
    panel_invite,
    panel_supplementary_draw,
    panel_widen,
    seat_accept,
    seat_decline,
)
from institutions.enums import ClusterGroup, ExpertStatus, TitleLevel
from institutions.exceptions import DomainError
from institutions.models import Cluster
from tests.evaluations.panel_setup import pool
from tests.factories import ExpertFactory


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_opening_the_panel_review_makes_one_panel_for_a_and_one_for_c(stage):
    cycle, _made = stage
    assert [(p.group, p.categories, p.position) for p in cycle.panels.all()] == [
        ("A", [], 1), ("C", [], 2)]
    assert coverage_problems(cycle) == []


def test_a_group_is_split_by_category_and_must_stay_covered(stage, organiser):
    cycle, _made = stage
    with pytest.raises(DomainError, match="exactly one panel"):
        panel_group_split(cycle=cycle, group="A", splits=[[ClusterGroup.LEADING],
                                                          [ClusterGroup.EMERGING]],
                          actor=organiser)
    panel_group_split(cycle=cycle, group="A", splits=[
        [ClusterGroup.LEADING], [ClusterGroup.EMERGING, ClusterGroup.DISTINCTIVE]],
        actor=organiser)
    assert [(p.group, p.categories) for p in cycle.panels.order_by("position")] == [
        ("C", []), ("A", [ClusterGroup.LEADING]),
        ("A", sorted([ClusterGroup.EMERGING, ClusterGroup.DISTINCTIVE]))]
    assert coverage_problems(cycle) == []


def test_the_draw_is_recorded_replays_and_cannot_be_redone(stage, organiser):
    cycle, _made = stage
    experts = pool(12)
    panel = cycle.panels.get(position=1)
    draw = panel_draw(panel=panel, actor=organiser, seed="2025-xz-panel-A")
    expected_order = random.Random("2025-xz-panel-A").sample(
        sorted(e.pool_number for e in experts), 9)
    seats = list(PanelSeat.objects.filter(panel=panel).order_by("position")
                 .values_list("expert__pool_number", "role", "status"))
    assert seats == ([(n, SeatRole.MEMBER, SeatStatus.DRAWN) for n in expected_order[:7]]
                     + [(n, SeatRole.ALTERNATE, SeatStatus.STANDBY) for n in expected_order[7:]])
    assert (draw.kind, draw.seed, draw.seed_entered, draw.eligible, draw.drawn_by) == (
        DrawKind.INITIAL, "2025-xz-panel-A", True, sorted(e.pool_number for e in experts),
        organiser)
    assert draw_replays(draw)
    assert LogEntry.objects.get_for_object(draw).get().actor == organiser
    with pytest.raises(DomainError, match="cannot be redone"):
        panel_draw(panel=panel, actor=organiser)
    assert PanelDraw.objects.count() == 1


def test_a_seed_is_drawn_from_a_secure_source_when_none_is_typed(stage, organiser):
    cycle, _made = stage
    pool(9)
    draw = panel_draw(panel=cycle.panels.get(position=1), actor=organiser)
    assert (len(draw.seed), set(draw.seed) <= set("0123456789abcdef"), draw.seed_entered) == (
        16, True, False)


def test_a_tampered_record_does_not_replay(stage, organiser):
    cycle, _made = stage
    pool(12)
    draw = panel_draw(panel=cycle.panels.get(position=1), actor=organiser, seed="s")
    PanelDraw.objects.filter(pk=draw.pk).update(seed="t")
    draw.refresh_from_db()
    assert not draw_replays(draw)


def test_panels_are_drawn_in_order_and_share_no_expert(stage, organiser):
    cycle, _made = stage
    pool(20)
    first, second = cycle.panels.order_by("position")
    with pytest.raises(DomainError, match="in order"):
        panel_draw(panel=second, actor=organiser)
    panel_draw(panel=first, actor=organiser, seed="a")
    panel_draw(panel=second, actor=organiser, seed="c")
    drawn = {s: set(PanelSeat.objects.filter(panel=s).values_list("expert", flat=True))
             for s in (first, second)}
    assert len(drawn[first]) == len(drawn[second]) == 9
    assert drawn[first].isdisjoint(drawn[second])
    assert set(second.draws.get().eligible).isdisjoint(
        PanelSeat.objects.filter(panel=first).values_list("expert__pool_number", flat=True))


def test_a_draw_with_too_few_eligible_experts_is_refused_saying_how_many_are_missing(
        stage, organiser, clusters):
    cycle, _made = stage
    pool(6)
    pool(2, title_level=TitleLevel.INTERMEDIATE)
    suspended = pool(1)[0]
    suspended.status = ExpertStatus.SUSPENDED
    suspended.save()
    pool(3, clusters=clusters[ClusterGroup.DISTINCTIVE][1:2])  # judge none of A's clusters
    with pytest.raises(DomainError) as refused:
        panel_draw(panel=cycle.panels.get(position=1), actor=organiser)
    assert str(refused.value) == ("Only 6 experts are eligible for this panel, 3 fewer than "
                                  "the 9 to draw.")
    assert not PanelDraw.objects.exists()


def test_the_preview_says_why_each_other_expert_is_not_eligible(stage, organiser, clusters):
    cycle, _made = stage
    eligible = pool(9)
    low = pool(1, title_level=TitleLevel.INTERMEDIATE)[0]
    suspended = pool(1)[0]
    suspended.status = ExpertStatus.SUSPENDED
    suspended.save()
    elsewhere = pool(1, clusters=clusters[ClusterGroup.DISTINCTIVE][1:2])[0]
    panel = Panel.objects.select_related("cycle__policy_version").get(cycle=cycle, position=1)
    preview = draw_preview(panel, [])
    assert ([e.pk for e in preview.eligible], preview.members, preview.alternates,
            preview.missing) == ([e.pk for e in eligible], 7, 2, 0)
    assert {e.pk: reason for e, reason in preview.excluded} == {
        low.pk: "Title below the pool's requirement", suspended.pk: "Suspended",
        elsewhere.pk: "Judges none of the panel's clusters"}


def test_a_widened_panel_draws_from_the_whole_pool_with_a_reason(stage, organiser, clusters):
    cycle, _made = stage
    pool(9, clusters=clusters[ClusterGroup.DISTINCTIVE][1:2])
    panel = cycle.panels.get(position=1)
    with pytest.raises(DomainError, match="reason"):
        panel_widen(panel=panel, reason=" ", actor=organiser)
    panel_widen(panel=panel, reason="本领域库内专家不足", actor=organiser)
    assert panel_draw(panel=panel, actor=organiser).members == 7


def test_conflicts_with_the_drawn_experts_are_found_at_the_draw(stage, organiser):
    cycle, made = stage
    pool(6)  # with the three below, the nine to draw: all are drawn
    employee = ExpertFactory(employer_credit_code=made[0].credit_code,
                             clusters=list(Cluster.objects.all()))
    representative = ExpertFactory(name=made[1].legal_representative + "X",
                                   clusters=list(Cluster.objects.all()))
    made[2].contact_person = "周密"
    made[2].save()
    contact = ExpertFactory(name="周密", clusters=list(Cluster.objects.all()))
    panel_draw(panel=cycle.panels.get(position=1), actor=organiser, seed="x")
    found = set(Conflict.objects.values_list("expert", "participant__institution", "source"))
    assert {(employee.pk, made[0].pk, ConflictSource.EMPLOYER),
            (contact.pk, made[2].pk, ConflictSource.CONTACT)} <= found
    assert not any(e == representative.pk for e, _i, _s in found)


# --- Invitations, answers, replacements ------------------------------------------------------

def _seats(panel):
    return list(panel.seats.select_related("expert__user").order_by("draw", "position"))


def test_inviting_tells_each_member_and_leaves_the_alternates_on_standby(drawn, organiser):
    from institutions.models import Notification

    panel, _made = drawn
    before = set(Notification.objects.values_list("pk", flat=True))
    assert panel_invite(panel=panel, actor=organiser) == 7
    seats = _seats(panel)
    assert [s.status for s in seats] == [SeatStatus.INVITED] * 7 + [SeatStatus.STANDBY] * 2
    assert set(Notification.objects.exclude(pk__in=before).values_list("user", flat=True)) == {
        s.expert.user_id for s in seats[:7]}
    with pytest.raises(DomainError, match="already"):
        panel_invite(panel=panel, actor=organiser)


def test_accepting_records_the_declared_conflicts(drawn, organiser):
    panel, made = drawn
    panel_invite(panel=panel, actor=organiser)
    seat = _seats(panel)[0]
    participant = panel.cycle.participants.get(institution=made[0])
    seat_accept(seat=seat, actor=seat.expert.user, conflicts=[(participant.pk, "曾参与其项目")])
    seat.refresh_from_db()
    assert seat.status == SeatStatus.ACCEPTED
    assert Conflict.objects.filter(expert=seat.expert, participant=participant,
                                   source=ConflictSource.DECLARED).get().reason == "曾参与其项目"
    with pytest.raises(DomainError, match="answered already"):
        seat_accept(seat=seat, actor=seat.expert.user)


def test_another_expert_cannot_answer_for_a_member(drawn, organiser):
    panel, _made = drawn
    panel_invite(panel=panel, actor=organiser)
    first, second = _seats(panel)[:2]
    with pytest.raises(DomainError, match="Only the invited expert"):
        seat_accept(seat=first, actor=second.expert.user)


def test_a_decline_brings_in_the_alternates_in_order_then_a_supplementary_draw(
        drawn, organiser):
    panel, _made = drawn
    panel_invite(panel=panel, actor=organiser)
    seats = _seats(panel)
    alternates = seats[7:]
    with pytest.raises(DomainError, match="reason"):
        seat_decline(seat=seats[0], actor=seats[0].expert.user, reason="")
    first = seat_decline(seat=seats[0], actor=seats[0].expert.user, reason="出差")
    assert (first.pk, first.status, first.replaces_id) == (
        alternates[0].pk, SeatStatus.INVITED, seats[0].pk)
    seat_accept(seat=seats[1], actor=seats[1].expert.user)
    second = seat_decline(seat=seats[1], actor=seats[1].expert.user, reason="回避全组",
                          recuse=True)
    assert second.pk == alternates[1].pk
    assert PanelSeat.objects.get(pk=seats[1].pk).status == SeatStatus.RECUSED
    assert seat_decline(seat=seats[2], actor=seats[2].expert.user, reason="病假") is None
    with pytest.raises(DomainError, match="reason"):
        panel_supplementary_draw(panel=panel, actor=organiser, reason="")
    with pytest.raises(DomainError, match="Only 0 experts"):
        panel_supplementary_draw(panel=panel, actor=organiser, reason="备选用尽")
    extra = pool(3)
    draw = panel_supplementary_draw(panel=panel, actor=organiser, reason="备选用尽",
                                    seed="supp-1")
    assert (draw.kind, draw.eligible, draw.reason) == (
        DrawKind.SUPPLEMENTARY, sorted(e.pool_number for e in extra), "备选用尽")
    new = PanelSeat.objects.get(draw=draw)
    assert (new.status, new.replaces_id, new.expert.pool_number) == (
        SeatStatus.INVITED, seats[2].pk,
        random.Random("supp-1").sample(sorted(e.pool_number for e in extra), 1)[0])
    assert draw_replays(draw)
    with pytest.raises(DomainError, match="No member is missing"):
        panel_supplementary_draw(panel=panel, actor=organiser, reason="再次")
