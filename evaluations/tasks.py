"""Thin Celery tasks of the evaluation: load the rows, call the service, retry on transient
errors. Queued with ``transaction.on_commit`` by the services."""
from __future__ import annotations

from celery import shared_task

# Binds @shared_task to the project's app (broker, eager mode): Django no longer loads it.
import config.celery_app  # noqa: F401

from .services import reminders, reports


@shared_task(acks_late=True)
def render_self_evaluation_report(*, report_id: int) -> None:
    reports.report_render(report_id=report_id)


@shared_task
def send_self_evaluation_reminders() -> int:
    return reminders.send_deadline_reminders()


@shared_task(acks_late=True)
def render_district_summary(*, summary_id: int) -> None:
    from .services import summary_pdf

    summary_pdf.summary_render(summary_id=summary_id)
