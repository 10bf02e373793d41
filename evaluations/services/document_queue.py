"""Queueing the generated documents (the report PDF of Art 9, the district summary of Art 10,
the panel result table of Art 11)
through the outbox, and queueing again those left behind: a message lost with a broker, a
worker killed mid-render. A document that cannot be made after a few tries is marked failed,
so that its page stops waiting and offers to generate it again.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.enums import OutboxStatus
from institutions.models import OutboxMessage
from institutions.services.outbox import outbox_enqueue

from ..enums import ReportStatus
from ..models import DistrictSummaryFile, PanelResultTable, ReportFile
from ..models.files import GeneratedPdf
from .documents import document_set_status

logger = logging.getLogger(__name__)

# The task that renders each kind of document, and its keyword argument.
RENDER_TASKS: dict[type[GeneratedPdf], tuple[str, str]] = {
    ReportFile: ("evaluations.tasks.render_self_evaluation_report", "report_id"),
    DistrictSummaryFile: ("evaluations.tasks.render_district_summary", "summary_id"),
    PanelResultTable: ("evaluations.tasks.render_panel_result_table", "table_id"),
}
# A queued document no worker has started this long after it was handed to the broker, or
# one being rendered without finishing (the largest summary takes about a minute), is queued
# again.
QUEUED_STALE_AFTER = dt.timedelta(minutes=5)
RUNNING_STALE_AFTER = dt.timedelta(minutes=15)
# Queued again this many times without being made: it is marked failed.
MAX_REQUEUES = 3


def render_error_is_transient(exc: Exception) -> bool:
    """A database, broker or connection error that passes, not the document's own failure:
    the render task tries again (``config.celery_app.ROBUST``) and the document stays
    "generating" meanwhile."""
    # Only the tasks render documents, so Celery is loaded already.
    from config.celery_app import TRANSIENT_ERRORS

    return isinstance(exc, TRANSIENT_ERRORS)


def _dedupe_prefix(document: GeneratedPdf) -> str:
    task, _arg = RENDER_TASKS[type(document)]
    return f"{task}:{document.pk}"


def document_render_queue(*, document: GeneratedPdf) -> OutboxMessage:
    """Queue the rendering of ``document`` in the current transaction: it is handed to the
    broker after the commit, or later if the broker is down (the outbox)."""
    task, arg = RENDER_TASKS[type(document)]
    return outbox_enqueue(task=task, payload={arg: document.pk},
                          dedupe_key=_dedupe_prefix(document))


def documents_requeue_stale(*, now: dt.datetime | None = None) -> int:
    """Queue again each document still queued ``QUEUED_STALE_AFTER`` (or being rendered
    ``RUNNING_STALE_AFTER``) after it was last handed to the broker; after ``MAX_REQUEUES``
    such tries it is marked failed. A document whose message still waits in the outbox for the
    broker is left to the outbox. Returns how many were queued again."""
    now = now or timezone.now()
    requeued = 0
    for model in RENDER_TASKS:
        stale = model.objects.filter(
            Q(status=ReportStatus.PENDING, requested_at__lt=now - QUEUED_STALE_AFTER)
            | Q(status=ReportStatus.RUNNING, requested_at__lt=now - RUNNING_STALE_AFTER))
        for document in stale.order_by("pk"):
            requeued += _requeue(document, now)
    return requeued


def _requeue(document: GeneratedPdf, now: dt.datetime) -> int:
    prefix = _dedupe_prefix(document)
    tries = list(OutboxMessage.objects.filter(
        Q(dedupe_key=prefix) | Q(dedupe_key__startswith=f"{prefix}:")))
    if any(row.status == OutboxStatus.PENDING for row in tries):
        return 0  # still waiting for the broker: the outbox tries it again
    after = QUEUED_STALE_AFTER if document.status == ReportStatus.PENDING \
        else RUNNING_STALE_AFTER
    last = max((row.sent_at or row.created_at for row in tries), default=document.requested_at)
    if last > now - after:
        return 0
    if len(tries) > MAX_REQUEUES:
        _give_up(document)
        return 0
    with transaction.atomic():
        outbox_enqueue(task=RENDER_TASKS[type(document)][0],
                       payload={RENDER_TASKS[type(document)][1]: document.pk},
                       dedupe_key=f"{prefix}:again:{len(tries)}")
    logger.warning("%s %s was %s for too long: queued again", type(document).__name__,
                   document.pk, document.status)
    return 1


def _give_up(document: GeneratedPdf) -> None:
    with transaction.atomic():
        locked = type(document).objects.select_for_update().get(pk=document.pk)
        if locked.status not in (ReportStatus.PENDING, ReportStatus.RUNNING):
            return  # finished meanwhile
        fields: tuple[str, ...] = ()
        if isinstance(locked, DistrictSummaryFile):
            # Its number goes back: no document was made with it.
            locked.document_number = ""
            fields = ("document_number",)
        document_set_status(document=locked, to_status=ReportStatus.FAILED,
                            error=_("The PDF was not generated after several tries."),
                            update_fields=fields)
    logger.error("%s %s was never generated: marked failed", type(document).__name__,
                 document.pk)
