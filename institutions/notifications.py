"""In-app notifications, also sent by e-mail: the e-mails go through the outbox
(``services.outbox``), written in the same transaction as the notifications."""
from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification, User
from .services.outbox import outbox_enqueue

EMAIL_TASK = "institutions.tasks.send_notification_emails"


def notify(*, users: Iterable[User], subject: str, body: str = "", url: str = "") -> int:
    """Create one notification per user and queue the e-mails of those who have an address;
    returns how many notifications. Called inside the action's transaction, the e-mails
    are queued only if it commits, and are not lost if the broker is down then."""
    with transaction.atomic():
        notes = Notification.objects.bulk_create(
            [Notification(user=user, subject=subject, body=body, url=url) for user in users])
        ids = [note.pk for note in notes if note.user.email]
        if ids:
            # Notification ids are never reused: the first one names the batch.
            outbox_enqueue(task=EMAIL_TASK, payload={"notification_ids": ids},
                           dedupe_key=f"notification-emails:{ids[0]}")
    return len(notes)


def notification_emails_send(*, notification_ids: Iterable[int]) -> int:
    """E-mail each of the notifications not e-mailed yet whose user has an address; returns
    how many were sent.

    Each one is marked e-mailed in the same transaction as its sending: a second delivery of
    the same task (or two at once) finds it marked and sends nothing, and a send that fails
    rolls the mark back, so the retry sends it."""
    sent = 0
    notes = Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True) \
        .exclude(user__email="").select_related("user").order_by("pk")
    for note in notes:
        with transaction.atomic():
            # The update takes the row's write lock: a concurrent delivery waits here, then
            # finds the row marked.
            if not Notification.objects.filter(pk=note.pk, emailed_at__isnull=True) \
                    .update(emailed_at=timezone.now()):
                continue
            body = note.body
            if note.url:
                body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{note.url}"
            send_mail(note.subject, body, None, [note.user.email])
        sent += 1
    return sent


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    marked = qs.update(read_at=timezone.now())
    if getattr(user, "unread_notification_count", None):  # the bell of the page shown next
        user.unread_notification_count = max(0, user.unread_notification_count - marked)
    return marked
