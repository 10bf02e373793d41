"""Thin Celery tasks of the evaluation: load the rows, call the service, retry on transient
errors. Queued through the outbox (``institutions.services.outbox``) by the services.

Every task may run twice (a message delivered again after a worker died, a stale job queued
again): a document already made is not made again."""
from __future__ import annotations

from celery import shared_task

# Binds @shared_task to the project's app (broker, eager mode): Django no longer loads it.
from config.celery_app import ROBUST

from .services import document_queue, reminders, reports


@shared_task(**ROBUST)
def render_self_evaluation_report(*, report_id: int) -> None:
    reports.report_render(report_id=report_id)


# Not retried: a second run would remind the institutions already reminded (each reminder
# is a new notification); tomorrow's run does not repeat today's.
@shared_task
def send_self_evaluation_reminders() -> int:
    return reminders.send_deadline_reminders()


@shared_task
def send_panel_reminders() -> int:
    return reminders.send_panel_reminders()


@shared_task(**ROBUST)
def render_district_summary(*, summary_id: int) -> None:
    from .services import summary_pdf

    summary_pdf.summary_render(summary_id=summary_id)


@shared_task(**ROBUST)
def render_panel_result_table(*, table_id: int) -> None:
    from .services import panel_table

    panel_table.panel_table_render(table_id=table_id)


@shared_task(**ROBUST)
def requeue_stale_documents() -> int:
    """Beat, every minute: queue again the PDFs left queued or half made for too long."""
    return document_queue.documents_requeue_stale()
