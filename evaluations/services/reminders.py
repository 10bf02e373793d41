"""Reminders before the self-evaluation deadline (a Celery beat schedule runs them daily)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.enums import INSTITUTION_ROLES
from institutions.models import User
from institutions.notifications import notify

from ..enums import CycleStatus, SubmissionStatus
from ..models import Submission


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
