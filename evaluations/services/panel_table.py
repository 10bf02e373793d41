"""The panel result table (会评结果表, Art 11) as a PDF: requested by the organiser once the
panel review is closed, rendered by a Celery task through the outbox, printed, signed by the
experts and scanned back for the file."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from institutions.audit import acting_as
from institutions.exceptions import DomainError
from institutions.models import User

from ..enums import ReportStatus
from ..models import Cycle, PanelOutcome, PanelResultTable
from ..selectors.panel_table import ResultTable, panel_result_table
from .document_queue import document_render_queue, render_error_is_transient
from .documents import document_render_start, document_set_status
from .form_tokens import made_with_token
from .uploads import check_scan, scan_attach

logger = logging.getLogger(__name__)


def _closed_outcome(cycle: Cycle) -> PanelOutcome:
    """The cycle's panel outcome, locked; refused until the panel review is closed (the table
    prints the results the close fixed)."""
    outcome = PanelOutcome.objects.select_for_update().filter(cycle=cycle).first()
    if outcome is None or not outcome.is_closed:
        raise DomainError(_("The result table can be generated once the panel review is "
                            "closed."))
    return outcome


def panel_table_request(*, cycle: Cycle, actor: User,
                        form_token: str | None = None) -> PanelResultTable:
    """Queue the PDF of the result table (through the outbox: it is rendered after the
    commit, or once the broker is back). A second post of the same button (``form_token``)
    returns the first request."""
    with transaction.atomic(), acting_as(actor):
        outcome = _closed_outcome(cycle)
        earlier = made_with_token(PanelResultTable, form_token, outcome_id=outcome.pk)
        if earlier is not None:
            return earlier
        table = PanelResultTable.objects.create(
            outcome=outcome, digest=panel_result_table(cycle).digest(), requested_by=actor,
            form_token=form_token)
        document_render_queue(document=table)
    return table


def panel_table_render(*, table_id: int) -> PanelResultTable:
    """Render the table in the site's language (Chinese), whoever queued it. A failure is
    recorded on the table (its box offers to generate it again), unless it is transient:
    the task then tries again."""
    with translation.override(settings.LANGUAGE_CODE):
        table = PanelResultTable.objects.select_related("outcome__cycle__policy_version").get(
            pk=table_id)
        if not document_render_start(document=table, progress=10):
            return table
        try:
            content = panel_result_table(table.outcome.cycle)
            table.digest = content.digest()
            pdf = panel_table_pdf(content)
            name = _("panel-result-table-%(year)s.pdf") % {"year": content.cycle.year}
            table.file.save(name, ContentFile(pdf), save=False)
            document_set_status(document=table, to_status=ReportStatus.DONE, progress=100,
                                update_fields=("file", "digest"))
        except Exception as exc:  # the box shows the failure; the organiser can try again
            if render_error_is_transient(exc):
                raise
            logger.exception("rendering panel result table %s failed", table_id)
            table.refresh_from_db()
            document_set_status(document=table, to_status=ReportStatus.FAILED, error=str(exc))
    return table


def panel_table_pdf(content: ResultTable) -> bytes:
    """The PDF of ``content`` in the active language: A4 landscape, a panel to a page or
    more, the table's header repeated on each page, the experts' signature lines after each
    panel's table and the organiser's at the end."""
    from reports.pdf import render_pdf  # WeasyPrint only where a PDF is made

    return render_pdf("reports/panel_result_table.html", {
        "table": content, "cycle": content.cycle, "outcome": content.outcome,
        "generated_on": timezone.localdate(), "code": content.digest()[:12].upper()})


def panel_table_scan_upload(*, table: PanelResultTable, upload: UploadedFile,
                            actor: User) -> PanelResultTable:
    """Attach the scan of the printed table signed by the experts."""
    checked = check_scan(upload)
    with transaction.atomic(), acting_as(actor):
        locked = PanelResultTable.objects.select_for_update().get(pk=table.pk)
        scan_attach(document=locked, checked=checked, upload=upload, actor=actor)
    table.refresh_from_db()
    return table
