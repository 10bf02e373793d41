"""In-app notifications, also sent by e-mail (through Celery, after the transaction commits)."""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import Notification, User


def notify(*, users: Iterable[User], subject: str, body: str = "", url: str = "") -> int:
    """Create one notification per user and queue their e-mails; returns how many."""
    notes = Notification.objects.bulk_create(
        [Notification(user=user, subject=subject, body=body, url=url) for user in users]
    )
    ids = [note.pk for note in notes if note.pk is not None]
    if not ids:  # databases that do not return ids from bulk_create (none we support)
        ids = list(Notification.objects.filter(subject=subject, emailed_at__isnull=True)
                   .values_list("pk", flat=True))
    if ids:
        from .tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(notification_ids=ids))
    return len(ids)


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read."""
    from django.utils import timezone

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
