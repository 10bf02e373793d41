"""The outbox: side effects (Celery tasks) written in the same transaction as the action that
causes them, and handed to the broker after the commit.

A request never waits for the broker nor fails because of it: ``outbox_enqueue`` only writes
a row; after the commit one quick attempt is made (``outbox_deliver``), and a failure is
recorded on the row, which stays pending. The beat job ``institutions.tasks.outbox_deliver_due``
tries the due rows again every minute, each one later than the last (``retry_delay``), until
the broker takes it.

A row is "sent" once the broker has it; the tasks themselves are idempotent (a PDF already
made is not made again, an e-mail already sent is not sent again), so a row handed over twice
(a process killed between the broker taking it and the row being marked) does no harm.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from ..enums import OutboxStatus
from ..models import OutboxMessage

logger = logging.getLogger(__name__)

# Backoff of the retries: 30 s, 1 min, 2 min, … and never more than 15 min apart.
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_MAX = dt.timedelta(minutes=15)
# About two days of retries at the longest interval: then the row is marked failed (it stays
# in the table, with its last error, for an administrator to see).
MAX_ATTEMPTS = 200
# A row being handed over is not due again until this has passed: two deliveries at once
# (the one after a commit and the beat job) do not both send it, and a process killed
# mid-delivery leaves the row to the next one.
LEASE = dt.timedelta(minutes=2)
# Rows per delivery run; the next run takes the rest.
BATCH = 200
# Rows tried again after a commit when there is no broker (and so no beat job).
PIGGYBACK = 5
# Sent rows are kept this long (to see what went out when), then deleted by the beat job.
KEEP_SENT = dt.timedelta(days=30)


@dataclass(frozen=True)
class DeliveryResult:
    sent: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1, 2, …): doubling from
    ``RETRY_BASE``, capped at ``RETRY_MAX``."""
    if attempts < 1:
        return dt.timedelta(0)
    # The cap is reached after a few doublings: no need to compute 2**200.
    return min(RETRY_BASE * 2 ** min(attempts - 1, 16), RETRY_MAX)


def outbox_enqueue(*, task: str, payload: dict, dedupe_key: str,
                   deliver_on_commit: bool = True) -> OutboxMessage:
    """Write the side effect ``task(**payload)`` (the dotted name of a Celery task) in the
    current transaction, once per ``dedupe_key`` (the same key again returns the existing
    row), and try to hand it to the broker as soon as the transaction commits.

    Called outside a transaction, the row is written at once and handed over straight away.
    The attempt after the commit never raises: a broker that is down leaves the row pending.
    """
    message, _created = OutboxMessage.objects.get_or_create(
        dedupe_key=dedupe_key[:200], defaults={"kind": task, "payload": payload})
    if deliver_on_commit and message.status == OutboxStatus.PENDING:
        pk = message.pk
        transaction.on_commit(lambda: outbox_deliver_after_commit(ids=[pk]), robust=True)
    return message


def outbox_deliver_after_commit(*, ids: Iterable[int]) -> DeliveryResult:
    """The attempt made right after a commit: it must not fail the request that committed
    (its answer is already decided), whatever goes wrong.

    Without a broker (the embedded set-up) there is no beat job either: the rows that failed
    before (a mail server that was down) and are due are tried again here, a few at a time
    (a row never tried has its own attempt after its own commit)."""
    ids = list(ids)
    try:
        result = outbox_deliver(ids=ids)
        if _runs_in_process():
            again = outbox_deliver(limit=PIGGYBACK, retries_only=True)
            result = DeliveryResult(sent=result.sent + again.sent,
                                    failed=result.failed + again.failed)
        return result
    except Exception:  # the row stays pending: the beat job tries it again
        logger.exception("handing outbox rows %s to the broker failed", ids)
        return DeliveryResult()


def _runs_in_process() -> bool:
    from config.celery_app import app

    return bool(app.conf.task_always_eager)


def outbox_deliver(*, ids: Iterable[int] | None = None, limit: int = BATCH,
                   retries_only: bool = False) -> DeliveryResult:
    """Hand the due pending rows (of ``ids``, or all; with ``retries_only`` only those
    tried before) to the broker, oldest first. A row the broker takes is marked sent; one it
    refuses is tried again after ``retry_delay`` (and marked failed after ``MAX_ATTEMPTS``).
    The run stops at the first broker that cannot be reached: the other rows would only wait
    for the same timeout."""
    now = timezone.now()
    due = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    if retries_only:
        due = due.filter(attempts__gt=0)
    sent = failed = 0
    for pk in list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        # Claim the row (a conditional update, so on every database): whoever moves its next
        # attempt forward owns it until the lease ends.
        claimed = OutboxMessage.objects.filter(
            pk=pk, status=OutboxStatus.PENDING, next_attempt_at__lte=now,
        ).update(next_attempt_at=timezone.now() + LEASE)
        if not claimed:
            continue
        message = OutboxMessage.objects.get(pk=pk)
        try:
            _hand_over(message)
        except Exception as exc:
            failed += 1
            _record_failure(message, exc)
            if _is_broker_error(exc):
                break
            continue
        OutboxMessage.objects.filter(pk=pk).update(
            status=OutboxStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1,
            last_error="")
        sent += 1
    return DeliveryResult(sent=sent, failed=failed)


def outbox_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the rows sent more than ``KEEP_SENT`` ago (the failed ones stay, for an
    administrator to see); returns how many."""
    cutoff = (now or timezone.now()) - KEEP_SENT
    deleted, _by_model = OutboxMessage.objects.filter(status=OutboxStatus.SENT,
                                                      sent_at__lt=cutoff).delete()
    return deleted


def _hand_over(message: OutboxMessage) -> None:
    task = import_string(message.kind)
    # No publishing retries here: the outbox is the retry, and a request waits for this call.
    # Without a broker (the embedded set-up) the task runs here, in-process.
    task.apply_async(kwargs=message.payload, retry=False)


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    attempts = message.attempts + 1
    give_up = attempts >= MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000],
        status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
        next_attempt_at=timezone.now() + retry_delay(attempts))
    log = logger.error if give_up else logger.warning
    log("outbox %s (%s) not delivered (attempt %s): %s", message.pk, message.dedupe_key,
        attempts, exc)


def _is_broker_error(exc: Exception) -> bool:
    from kombu.exceptions import OperationalError as BrokerError

    return isinstance(exc, BrokerError | ConnectionError | TimeoutError | OSError)
