"""Thin Celery tasks of the accounts and of the outbox: load the rows, call the service, retry
on transient errors."""
from __future__ import annotations

from celery import shared_task

# Binds @shared_task to the project's app (broker, eager mode): Django no longer loads it.
from config.celery_app import ROBUST

from . import notifications
from .services import accounts, outbox


@shared_task(**ROBUST)
def send_notification_emails(*, notification_ids: list[int]) -> int:
    """E-mail the notifications not e-mailed yet to users who have an address (each once)."""
    return notifications.notification_emails_send(notification_ids=notification_ids)


@shared_task(**ROBUST)
def send_password_reset(*, email: str, domain: str, use_https: bool) -> int:
    """The link asked for on the login page, to the accounts of ``email`` (if any)."""
    return accounts.password_reset_mail(email=email, domain=domain, use_https=use_https)


@shared_task(**ROBUST)
def outbox_deliver_due() -> int:
    """Beat, every minute: hand the outbox rows the broker could not take to it again, and
    forget the rows sent long ago."""
    sent = outbox.outbox_deliver().sent
    outbox.outbox_purge()
    return sent
