"""Excel export of the registry: the columns of the import template plus the filing status, so
that an export can be imported again (the import ignores the two status columns)."""
from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reports.excel import cell

from .enums import FilingStatus
from .importers import COLUMNS, DATA_SHEET_TITLE, EXPORT_ONLY_TITLES
from .models import Institution


def _status_titles() -> dict[str, str]:
    """Sheet content is Chinese data for the bureau's files, whatever the interface language:
    the same words as the Chinese interface."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in FilingStatus.choices}

_WIDTHS = (40, 24, 22, 20, 14, 14, 14, 18, 26, 40, 12, 14)


def registry_workbook(queryset: QuerySet[Institution]) -> bytes:
    """The institutions of ``queryset`` (already scoped to the user by the selectors), in its
    order, as an .xlsx workbook. Rows are streamed (openpyxl write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET_TITLE)
    for index, width in enumerate(_WIDTHS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    titles = [*(column.title for column in COLUMNS), *EXPORT_ONLY_TITLES]
    sheet.append([cell(sheet, title, font=bold) for title in titles])
    status_titles = _status_titles()
    rows = queryset.select_related("district", "cluster").iterator(chunk_size=2000)
    for institution in rows:
        sheet.append([
            cell(sheet, institution.name),
            cell(sheet, institution.credit_code),
            cell(sheet, institution.district.name),
            cell(sheet, institution.cluster.name),
            cell(sheet, institution.filing_date),
            cell(sheet, institution.legal_representative),
            cell(sheet, institution.contact_person),
            cell(sheet, institution.contact_phone),
            cell(sheet, institution.contact_email),
            cell(sheet, institution.address),
            cell(sheet, status_titles.get(institution.status, institution.status)),
            cell(sheet, institution.status_changed_on),
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The audit trail -----------------------------------------------------------------------

_AUDIT_WIDTHS = (18, 14, 10, 16, 40, 14, 10, 30, 60, 16)
# Entries described at a time: each chunk reads the names it needs in a few queries.
_AUDIT_CHUNK = 500


def audit_workbook(entries) -> bytes:
    """The audit entries of ``entries`` (scoped and filtered by the caller, read with
    ``audit.selectors.ENTRY_RELATED``) as the audit page shows them, one row per entry and the
    changes one per line, in Chinese whatever the interface language."""
    from django.utils.translation import gettext as _

    from .audit.display import describe

    with translation.override("zh-hans"):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Audit log"))
        for index, width in enumerate(_AUDIT_WIDTHS):
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        titles = [_("When"), _("Who"), _("Action"), _("Record type"), _("Record"),
                  _("Evaluation cycle"), _("District"), _("Institution"),
                  _("Changes (before → after)"), _("IP address")]
        sheet.append([cell(sheet, title, font=bold) for title in titles])
        chunk = []
        for entry in entries.iterator(chunk_size=_AUDIT_CHUNK):
            chunk.append(entry)
            if len(chunk) == _AUDIT_CHUNK:
                _audit_rows(sheet, describe(chunk))
                chunk = []
        _audit_rows(sheet, describe(chunk))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _audit_rows(sheet, rows) -> None:
    from django.utils import timezone

    for row in rows:
        changes = "\n".join(
            f"{c.title}：{c.before or '—'} → {c.after or '—'}" if row.shows_before
            else f"{c.title}：{c.after or c.before}" for c in row.changes)
        sheet.append([
            cell(sheet, timezone.localtime(row.timestamp).strftime("%Y-%m-%d %H:%M:%S")),
            cell(sheet, row.actor), cell(sheet, str(row.action.label)),
            cell(sheet, row.record_type), cell(sheet, row.record), cell(sheet, row.cycle),
            cell(sheet, row.district), cell(sheet, row.institution), cell(sheet, changes),
            cell(sheet, row.entry.remote_addr or ""),
        ])
