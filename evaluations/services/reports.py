"""Rendering the self-evaluation report with its truthfulness pledge (Art 9) as a PDF."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports.pdf import render_pdf

from ..enums import ReportStatus
from ..models import Indicator, IndicatorResponse, ReportFile
from .document_queue import render_error_is_transient
from .documents import document_progress, document_render_start, document_set_status

logger = logging.getLogger(__name__)


def report_render(*, report_id: int) -> ReportFile:
    """Render in the site's language (Chinese), whoever queued it and wherever it runs."""
    with translation.override(settings.LANGUAGE_CODE):
        return _report_render(report_id=report_id)


def _report_render(*, report_id: int) -> ReportFile:
    """Render the report's PDF, updating its progress as it goes. A failure is recorded on
    the report (the page shows it and offers to try again); it is not raised again, unless
    it is transient (the database or broker away): the task then tries again."""
    report = ReportFile.objects.select_related("submission__institution__district",
                                               "submission__cycle", "requested_by",
                                               "submission__pledge_accepted_by").get(pk=report_id)
    if not document_render_start(document=report, progress=10):
        return report
    try:
        submission = report.submission
        indicators = Indicator.objects.filter(category__cycle_id=submission.cycle_id) \
            .select_related("category").prefetch_related("fields") \
            .order_by("category__order", "order")
        responses = {r.indicator_id: r for r in IndicatorResponse.objects.filter(
            submission=submission).prefetch_related("evidence")}
        rows = []
        for indicator in indicators:
            response = responses.get(indicator.pk)
            data = response.data if response else {}
            rows.append({
                "indicator": indicator,
                "fields": [(f.label, (data.get(f.key) or {}).get("y1", ""),
                            (data.get(f.key) or {}).get("y2", "")) for f in indicator.fields.all()],
                "response": response,
                "evidence": list(response.evidence.all()) if response else [],
            })
        pdf = render_pdf("reports/self_evaluation.html", {
            "submission": submission, "institution": submission.institution,
            "cycle": submission.cycle, "rows": rows, "report": report,
            "generated_at": timezone.localtime(),
            "total_score": sum((r["response"].self_score or 0) for r in rows if r["response"]),
        }, progress=lambda p: document_progress(document=report, progress=p))
        name = _("self-evaluation-%(year)s-%(code)s.pdf") % {
            "year": submission.cycle.year, "code": submission.institution.credit_code}
        report.file.save(name, ContentFile(pdf), save=False)
        document_set_status(document=report, to_status=ReportStatus.DONE, progress=100,
                            update_fields=("file",))
    except Exception as exc:  # the page shows the failure; the user can try again
        if render_error_is_transient(exc):
            raise  # the task tries again later; the report stays "generating"
        logger.exception("rendering report %s failed", report_id)
        report.refresh_from_db(fields=["status"])
        document_set_status(document=report, to_status=ReportStatus.FAILED, error=str(exc))
    return report
