"""The district's summary (Art 10) as printed cells: the columns the PDF and the Excel workbook
share, and the workbook itself.

``summary_cells`` turns one ``SummaryRow`` into the eleven cells of the summary table, multi-line
cells joined with newlines, so that the PDF (``services.summary_pdf``) and the workbook show
the same thing. Text is whatever language is active: the services render the PDF in the site
language, and the workbook is built in the language of the request that asks for it.
"""
from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.excel import cell

from ..selectors.preliminary import DistrictSummary, SummaryRow

# (title, width in Excel characters); the PDF sets its own widths in summary-pdf.css.
COLUMNS = (
    (gettext_lazy("Place"), 6),
    (gettext_lazy("Unified social credit code"), 22),
    (gettext_lazy("Institution"), 34),
    (gettext_lazy("Industry cluster"), 14),
    (gettext_lazy("Preliminary score"), 10),
    (gettext_lazy("Preliminary group"), 14),
    (gettext_lazy("Reviewer's opinion; claims not supported"), 48),
    (gettext_lazy("Reason for the place"), 30),
    (gettext_lazy("Site visits"), 36),
    (gettext_lazy("Open rectifications"), 36),
    (gettext_lazy("Fraud reports awaiting the city"), 30),
)
SCORE_COLUMN = 4  # 0-based: printed right-aligned, a number in Excel


def summary_title(summary: DistrictSummary) -> str:
    return _("%(year)s performance evaluation of new-type R&D institutions: preliminary "
             "review summary (%(district)s)") % {"year": summary.year,
                                                 "district": summary.district}


def summary_sizes_line(summary: DistrictSummary) -> str:
    """The group sizes of R4, as one sentence."""
    a, b, c = summary.sizes
    return _("%(n)s participants. Preliminary groups (Art 10): group A (good) %(a)s, group B "
             "(qualified) %(b)s, group C (poor) %(c)s.") % {"n": summary.n, "a": a, "b": b,
                                                            "c": c}


def summary_cells(summary: DistrictSummary, row: SummaryRow) -> tuple:
    """The cells of one participant, in the order of ``COLUMNS``: the score stays a
    ``Decimal`` (None when unscored), every other cell is text; a confirmed fraud (R8) is
    marked under the name."""
    name = row.name
    if row.fraud:
        # Outside the f-string: xgettext does not look inside one.
        marker = _("Fraud confirmed: unqualified (Art 9)")
        name = f"{name}\n{marker}"
    opinion = row.opinion.strip()
    if row.not_supported:
        lines = [_("Claims not supported:"), *row.not_supported]
        opinion = "\n".join([opinion, *lines] if opinion else lines)
    return (row.rank, row.credit_code, name, row.cluster, row.score,
            summary.group_label(row.group), opinion, row.reason.strip(),
            "\n".join(row.visits), "\n".join(row.open_rectifications),
            "\n".join(row.pending_fraud_lines))


def district_summary_workbook(summary: DistrictSummary, *,
                              document_number: str = "") -> Workbook:
    """The summary as a one-sheet workbook: the title, the document number, the date and the
    group sizes above a frozen header row, then one row per participant in rank order with
    the columns of the PDF. Rows are streamed (openpyxl write-only mode): a district of
    thousands stays fast. The caller saves it (once)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Preliminary review summary"))
    for index, (_title, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    fraud_fill = PatternFill("solid", fgColor="FBE3E3")
    # Four title rows, then the header; a write-only sheet takes its panes before any row.
    header_row = 5
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.append([cell(sheet, summary_title(summary), font=Font(bold=True, size=14))])
    sheet.append([cell(sheet, _("Document number: %(number)s") % {
        "number": document_number or "—"})])
    sheet.append([cell(sheet, _("Date: %(date)s") % {
        "date": date_format(timezone.localdate(), "DATE_FORMAT")})])
    sheet.append([cell(sheet, summary_sizes_line(summary))])
    sheet.append([cell(sheet, str(title), font=bold, alignment=wrap) for title, _w in COLUMNS])
    for row in summary.rows:
        fill = fraud_fill if row.fraud else None
        sheet.append([cell(sheet, value, alignment=wrap, fill=fill,
                            number_format="0.00" if k == SCORE_COLUMN else None)
                      for k, value in enumerate(summary_cells(summary, row))])
    return workbook
