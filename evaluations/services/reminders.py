"""Reminders before a deadline (a Celery beat schedule runs them daily): the institutions'
self-evaluation, the experts' panel scores."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.enums import INSTITUTION_ROLES
from institutions.models import User
from institutions.notifications import notify

from ..enums import CycleStatus, SeatStatus, SubmissionStatus
from ..models import CycleStage, ExpertScore, PanelSeat, Submission
from ..selectors.panel import seat_assignments


def send_deadline_reminders(today: dt.date | None = None) -> int:
    """Remind every institution whose deadline is ``SELF_EVALUATION_REMINDER_DAYS`` days away
    and which has not submitted; returns how many institutions were reminded."""
    today = today or timezone.localdate()
    due = today + dt.timedelta(days=settings.SELF_EVALUATION_REMINDER_DAYS)
    pending = Submission.objects.filter(
        cycle__status=CycleStatus.SELF_EVALUATION, deadline=due,
        status__in=[SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS],
    ).select_related("cycle", "institution")
    count = 0
    for submission in pending:
        users = User.objects.filter(institution_id=submission.institution_id,
                                    role__in=INSTITUTION_ROLES, is_active=True)
        notify(users=users,
               subject=_("Reminder: the %(year)s self-evaluation is due on %(date)s")
               % {"year": submission.cycle.year, "date": submission.deadline},
               body=_("%(name)s has not submitted its self-evaluation yet. Submit it with its "
                      "evidence and the stamped report by %(date)s; an institution that does "
                      "not take part loses its filing (Art 15).")
               % {"name": submission.institution.name, "date": submission.deadline},
               url=reverse("evaluations:my_submission"))
        count += 1
    return count


def send_panel_reminders(today: dt.date | None = None) -> int:
    """Remind every serving expert with institutions left to score when the panel review
    closes in ``PANEL_REMINDER_DAYS`` days; returns how many experts were reminded."""
    today = today or timezone.localdate()
    due = today + dt.timedelta(days=settings.PANEL_REMINDER_DAYS)
    stages = CycleStage.objects.filter(stage=CycleStatus.PANEL_REVIEW, closes_on=due,
                                       cycle__status=CycleStatus.PANEL_REVIEW)
    count = 0
    for seat in PanelSeat.objects.filter(
            panel__cycle__stages__in=stages, status=SeatStatus.ACCEPTED,
            expert__user__is_active=True).select_related("panel__cycle", "expert__user"):
        if not seat.serving:
            continue
        done = set(ExpertScore.objects.filter(seat=seat, submitted_at__isnull=False)
                   .values_list("participant_id", flat=True))
        left = len(set(seat_assignments(seat)) - done)
        if not left:
            continue
        notify(users=[seat.expert.user], url=reverse("evaluations:expert_home"),
               subject=_("Reminder: the %(year)s panel review closes on %(date)s")
               % {"year": seat.panel.cycle.year, "date": due},
               body=_("%(count)s institutions of %(panel)s are still waiting for your score. "
                      "Score and submit them by %(date)s.")
               % {"count": left, "panel": seat.panel.name, "date": due})
        count += 1
    return count
