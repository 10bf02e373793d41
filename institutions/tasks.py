"""Thin Celery tasks of the accounts: load the rows, call the service, retry on transient
errors."""
from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

# Binds @shared_task to the project's app (broker, eager mode): Django no longer loads it.
import config.celery_app  # noqa: F401

from .models import Notification


@shared_task(autoretry_for=(smtplib.SMTPException, ConnectionError), retry_backoff=True,
             max_retries=5)
def send_notification_emails(*, notification_ids: list[int]) -> int:
    """E-mail the notifications not e-mailed yet to users who have an address."""
    sent = 0
    notes = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True) \
        .select_related("user")
    for note in notes:
        if not note.user.email:
            continue
        body = note.body
        if note.url:
            body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{note.url}"
        send_mail(note.subject, body, None, [note.user.email])
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent
