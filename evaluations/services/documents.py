"""Generated documents (the report PDF of Art 9, the district summary of Art 10): the one
writer of their status, and their progress while a task renders them."""
from __future__ import annotations

from institutions.transitions import status_set

from ..enums import ReportStatus
from ..models.files import GeneratedPdf

# A failed or finished document stays as it is: asking again makes a new one.
DOCUMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.PENDING: frozenset({ReportStatus.RUNNING, ReportStatus.FAILED}),
    # A task that died mid-render (a worker killed) is run again from the start.
    ReportStatus.RUNNING: frozenset({ReportStatus.RUNNING, ReportStatus.DONE,
                                     ReportStatus.FAILED}),
    ReportStatus.DONE: frozenset(),
    ReportStatus.FAILED: frozenset(),
}


def document_set_status(*, document: GeneratedPdf, to_status: str, progress: int | None = None,
                        error: str = "", update_fields: tuple[str, ...] = ()) -> None:
    """Move ``document`` to ``to_status`` (with its progress and error text), saving also the
    ``update_fields`` the caller set (the file of a finished document)."""
    if progress is not None:
        document.progress = progress
    document.error = error[:2000]
    status_set(document, to_status, transitions=DOCUMENT_TRANSITIONS,
               update_fields=["progress", "error", *update_fields])


def document_render_start(*, document: GeneratedPdf, progress: int) -> bool:
    """Mark ``document`` as being rendered; False when there is nothing to do (it is already
    made or has failed: a task delivered twice renders once)."""
    if document.status in (ReportStatus.DONE, ReportStatus.FAILED):
        return False
    document_set_status(document=document, to_status=ReportStatus.RUNNING, progress=progress)
    return True


def document_progress(*, document: GeneratedPdf, progress: int) -> None:
    """Record how far the rendering is (a percentage the page polls); not a status change,
    so not in the audit trail."""
    type(document).objects.filter(pk=document.pk).update(progress=progress)
