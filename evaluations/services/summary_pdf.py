"""Rendering the district's preliminary review summary (Art 10) as a PDF: the ranked table
with the group sizes of R4, the document number and the block the district signs and seals.

A district may have thousands of participants: the table is rendered in chunks, in parallel
processes, and merged (``reports.pdf.render_pdf_in_chunks``).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.pdf import render_pdf_in_chunks

from ..enums import ReportStatus
from ..exporters.preliminary import COLUMNS, summary_cells, summary_sizes_line, summary_title
from ..models import DistrictReview, DistrictSummaryFile
from ..selectors.preliminary import DistrictSummary, district_summary
from .document_queue import render_error_is_transient
from .documents import document_progress, document_render_start, document_set_status
from .preliminary import summary_document_number

logger = logging.getLogger(__name__)

STYLESHEET = settings.BASE_DIR / "static" / "css" / "summary-pdf.css"
# Rows per WeasyPrint document. A worker's memory grows with its chunk (some 130 MB at 100
# rows, fonts included): two workers and this process stay under 400 MB; each document also
# costs a tenth of a second (its fonts are subset and embedded), so chunks are not smaller.
CHUNK_ROWS = 100
WORKERS = 2  # processes: this machine's cores; WeasyPrint is CPU-bound


def summary_render(*, summary_id: int) -> DistrictSummaryFile:
    """Render the summary in the site's language (Chinese), whoever queued it and wherever
    it runs."""
    with translation.override(settings.LANGUAGE_CODE):
        return _summary_render(summary_id=summary_id)


def _summary_render(*, summary_id: int) -> DistrictSummaryFile:
    """Render the PDF of the summary of its district review as it is now and store it,
    updating the progress as each chunk is done. A failure is recorded on the summary (the
    page shows it and offers to try again); it is not raised again, unless it is transient
    (the database or broker away): the task then tries again."""
    summary = DistrictSummaryFile.objects.select_related(
        "district_review__cycle", "district_review__district").get(pk=summary_id)
    if not document_render_start(document=summary, progress=5):
        return summary
    try:
        summary_number_assign(summary=summary)
        content = district_summary(summary.district_review)
        pdf = summary_pdf(content, document_number=summary.document_number,
                          progress=lambda p: document_progress(document=summary, progress=p))
        name = _("preliminary-review-summary-%(year)s-%(district)s.pdf") % {
            "year": content.year, "district": content.district}
        summary.file.save(name, ContentFile(pdf), save=False)
        document_set_status(document=summary, to_status=ReportStatus.DONE, progress=100,
                            update_fields=("file",))
    except Exception as exc:  # the page shows the failure; the user can try again
        if render_error_is_transient(exc):
            raise  # the task tries again later; the summary stays "generating"
        logger.exception("rendering district summary %s failed", summary_id)
        summary.refresh_from_db()
        # No document was made with its number: the next summary takes it.
        summary.document_number = ""
        document_set_status(document=summary, to_status=ReportStatus.FAILED, error=str(exc),
                            update_fields=("document_number",))
    return summary


def summary_number_assign(*, summary: DistrictSummaryFile) -> str:
    """Give ``summary`` its document number when its rendering starts, unless it has one (a
    render started again after its worker died keeps it): the lowest number of its district
    review that no other summary holds. A summary that was never made holds none (a failed
    one gives its number back), so no number is lost to a PDF that does not exist."""
    with transaction.atomic():
        # Two summaries of one district rendered at once take their numbers in turn.
        review = DistrictReview.objects.select_for_update().select_related(
            "cycle", "district").get(pk=summary.district_review_id)
        locked = DistrictSummaryFile.objects.select_for_update().get(pk=summary.pk)
        if not locked.document_number:
            held = set(DistrictSummaryFile.objects.filter(district_review=review)
                       .exclude(pk=locked.pk).values_list("document_number", flat=True))
            sequence = 1
            while summary_document_number(review, sequence) in held:
                sequence += 1
            locked.document_number = summary_document_number(review, sequence)
            locked.save(update_fields=["document_number"])
    summary.document_number = locked.document_number
    return summary.document_number


def summary_pdf(content: DistrictSummary, *, document_number: str, progress=None,
                chunk_rows: int = CHUNK_ROWS, workers: int = WORKERS) -> bytes:
    """The PDF of ``content`` in the active language: A4 landscape, the title, document
    number, date and R4 group sizes, the ranked table (its header repeated on every page),
    page numbers, and the signature and seal block at the end."""
    rows = [(row.fraud, summary_cells(content, row)) for row in content.rows]
    context = {
        "title": summary_title(content), "document_number": document_number,
        "generated_on": timezone.localdate(), "sizes_line": summary_sizes_line(content),
        "columns": [str(title) for title, _width in COLUMNS],
    }
    return render_pdf_in_chunks(
        "reports/district_summary.html", context, rows, chunk_size=chunk_rows,
        stylesheet=STYLESHEET, page_numbers_template="reports/_district_summary_page_numbers.html",
        workers=workers, progress=progress)
