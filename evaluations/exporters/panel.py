"""The panel review's scores as a workbook (Art 11, R6): every expert's score of every
institution, indicator by indicator, and each institution's statistics. Built from the
console's figures (``selectors.panel_console``) in the language of the request."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from reports.excel import cell

from ..enums import PanelGroup
from ..selectors.panel_console import Cell, Console

STATE_LABELS = {
    Cell.SCORED: lambda: pgettext("expert score", "Submitted"),
    Cell.PENDING: lambda: _("Not submitted"),
    Cell.CONFLICTED: lambda: _("Conflict of interest"),
    Cell.DECLINED: lambda: _("Declined or withdrew"),
}


def _number(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(value)


def panel_scores_workbook(console: Console, indicators: list) -> Workbook:
    """Two sheets: the scores (one row per expert × institution of its panel, a column per
    indicator, then the total and where the score stands) and the statistics (one row per
    member of groups A and C: submitted scores, mean, panel score, lowest, highest, standard
    deviation and the flags). The caller saves it."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet = workbook.create_sheet(_("Experts' scores"))
    sheet.freeze_panes = "A2"
    header = [_("Panel"), _("Pool number"), _("Expert"), _("Unified social credit code"),
              _("Institution"), *[f"{i.code} {i.name}" for i in indicators], _("Total"),
              _("Status")]
    sheet.append([cell(sheet, title, font=bold) for title in header])
    for block in console.blocks:
        for row in block.rows:
            for column, state, score in row.cells:
                given = score.scores if score is not None else {}
                values = [block.panel.name, column.seat.expert.pool_number,
                          column.seat.expert.name, row.credit_code, row.name,
                          *[_number(given.get(str(i.pk))) for i in indicators],
                          score.total if score is not None else None,
                          str(STATE_LABELS[state]())]
                sheet.append([cell(sheet, v, number_format="0.00") for v in values])

    stats = workbook.create_sheet(_("Statistics by institution"))
    stats.freeze_panes = "A2"
    header = [_("Group"), _("Unified social credit code"), _("Institution"),
              _("Submitted scores"), _("Mean"), _("Panel score"), _("Lowest"), _("Highest"),
              _("Standard deviation"), _("Experts disagree"), _("Too few scores")]
    stats.append([cell(stats, title, font=bold) for title in header])
    yes, no = _("Yes"), _("No")
    for row in sorted(console.rows.values(), key=lambda r: (r.group, r.credit_code)):
        s = row.statistics
        values = [str(PanelGroup(row.group).label), row.credit_code, row.name, len(row.scores),
                  s.mean_shown if s else None, s.panel_score if s else None,
                  row.lowest, row.highest,
                  round(s.stdev, 2) if s and s.stdev is not None else None,
                  yes if row.disagreement else no, yes if row.below_minimum else no]
        stats.append([cell(stats, v, number_format="0.00") for v in values])
    return workbook
