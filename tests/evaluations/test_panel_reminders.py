"""Experts with institutions left to score are reminded before the panel review closes."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from evaluations.enums import CycleStatus
from evaluations.models import CycleStage, Indicator
from evaluations.services.panel import (
    expert_score_save,
    expert_score_submit,
    panel_invite,
    seat_accept,
)
from evaluations.services.reminders import send_panel_reminders
from institutions.models import Notification


def test_experts_with_scores_left_are_reminded_two_days_before_the_close(drawn, organiser,
                                                                         settings):
    settings.PANEL_REMINDER_DAYS = 2
    panel, _made = drawn
    panel_invite(panel=panel, actor=organiser)
    seats = list(panel.seats.select_related("expert__user").order_by("position")[:2])
    for seat in seats:
        seat_accept(seat=seat, actor=seat.expert.user)
    done, busy = seats
    points = {str(pk): str(p) for pk, p in Indicator.objects.filter(
        category__cycle=panel.cycle).values_list("pk", "points")}
    for participant in panel.cycle.participants.filter(group="A"):
        score = expert_score_save(seat=done, participant_id=participant.pk, scores=points,
                                  comment="", revision=0, actor=done.expert.user)
        expert_score_submit(score=score, actor=done.expert.user)
    today = timezone.localdate()
    CycleStage.objects.filter(cycle=panel.cycle, stage=CycleStatus.PANEL_REVIEW).update(
        closes_on=today + dt.timedelta(days=2))
    before = set(Notification.objects.values_list("pk", flat=True))
    assert send_panel_reminders(today - dt.timedelta(days=1)) == 0
    assert send_panel_reminders(today) == 1
    note = Notification.objects.exclude(pk__in=before).get()
    assert note.user == busy.expert.user and "3" in note.body
