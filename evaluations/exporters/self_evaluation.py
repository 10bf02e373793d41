"""Excel export of the self-evaluation status list (Art 9): which invited institution stands
where, with its deadline (extensions marked) and its last activity."""
from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reports.excel import cell

from ..enums import SubmissionStatus
from ..models import Cycle, Submission

COLUMNS = (
    (_("Institution"), 40),
    (_("Unified social credit code"), 24),
    (_("District"), 22),
    (_("Industry cluster"), 20),
    (_("Self-evaluation status"), 14),
    (_("Deadline"), 12),
    (_("Deadline extended"), 10),
    (_("Last update"), 18),
    (_("Submitted at"), 18),
)


def progress_workbook(submissions: QuerySet[Submission], *, cycle: Cycle) -> bytes:
    """The reports of ``submissions`` (scoped and filtered by the caller, annotated by
    ``views.progress.submission_status_list``) in their order, as an .xlsx workbook streamed
    row by row (openpyxl write-only mode). Sheet text is Chinese, whatever the interface
    language: it is a file for the bureau's records, like the registry export."""
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        titles = [str(title) for title, _width in COLUMNS]
        sheet = workbook.create_sheet(str(_("%(year)s self-evaluation") % {"year": cycle.year}))
        statuses = {value: str(label) for value, label in SubmissionStatus.choices}
        yes = str(_("Yes"))
    for index, (_title, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([cell(sheet, title, font=bold) for title in titles])
    for submission in submissions.iterator(chunk_size=2000):
        sheet.append([
            cell(sheet, submission.institution.name),
            cell(sheet, submission.institution.credit_code),
            cell(sheet, submission.district.name),
            cell(sheet, submission.cluster.name),
            cell(sheet, statuses.get(submission.status, submission.status)),
            cell(sheet, submission.deadline),
            cell(sheet, yes if submission.extended else ""),
            cell(sheet, submission.last_update_at),
            cell(sheet, submission.submitted_at),
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
