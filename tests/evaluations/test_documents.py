"""Generated documents: one writer of their status, and a task delivered twice renders once."""
from __future__ import annotations

import pytest

from evaluations.enums import ReportStatus
from evaluations.models import ReportFile
from evaluations.services.documents import document_render_start, document_set_status
from evaluations.services.reports import report_render
from institutions.exceptions import DomainError


def _report(submission, filer, status=ReportStatus.PENDING):
    return ReportFile.objects.create(submission=submission, digest="d" * 64, requested_by=filer,
                                     status=status)


def test_document_finished_is_not_rendered_again(submission, filer):
    report = _report(submission, filer, status=ReportStatus.DONE)

    assert (document_render_start(document=report, progress=10),
            report_render(report_id=report.pk).status) == (False, ReportStatus.DONE)


def test_document_running_again_after_a_lost_worker(submission, filer):
    report = _report(submission, filer, status=ReportStatus.RUNNING)

    assert document_render_start(document=report, progress=10) is True
    report.refresh_from_db()
    assert (report.status, report.progress) == (ReportStatus.RUNNING, 10)


def test_document_failed_cannot_be_marked_done(submission, filer):
    report = _report(submission, filer, status=ReportStatus.FAILED)

    with pytest.raises(DomainError):
        document_set_status(document=report, to_status=ReportStatus.DONE)
