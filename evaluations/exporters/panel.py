"""The panel review's scores as a workbook (Art 11, R6): every expert's score of every
institution, indicator by indicator, and each institution's statistics. Built from the
console's figures (``selectors.panel_console``) in the language of the request.

The scores sheet has a row per expert × institution (9,000 for 1,000 institutions × 9 experts,
with some 30 columns each): what is the same along a row, a column or a panel is made once,
numbers are written as plain values and only the totals carry the two-decimal format, so that
the sheet is written at the pace of openpyxl's (lxml) writer."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from reports.excel import cell

from ..enums import PanelGroup
from ..models import ExpertScore
from ..selectors.panel_console import Cell, Console

STATE_LABELS = {
    Cell.SCORED: lambda: pgettext("expert score", "Submitted"),
    Cell.PENDING: lambda: _("Not submitted"),
    Cell.CONFLICTED: lambda: _("Conflict of interest"),
    Cell.DECLINED: lambda: _("Declined or withdrew"),
}

SCORE_FORMAT = "0.00"


def _number(value) -> float | None:
    """An indicator's score (stored as text of up to two decimals) as the number Excel keeps:
    a double, so written as a float; its shortest form is the stored text ("84.13"), and
    openpyxl writes a float faster than a Decimal. ``float`` of the text is the double nearest
    to it, as ``float(Decimal(text))`` is."""
    return None if value is None or value == "" else float(value)


def _text(sheet, value: str):
    """``value`` as ``reports.excel.cell`` writes it (what Excel cannot hold stripped, never
    a formula), as a plain value unless it needs a cell of its own: a text starting with "="
    is a text cell, with the text format so that it is styled (openpyxl reuses an appended
    unstyled cell for the next value, and this one is appended in many rows)."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        text = cell(sheet, value)
        text.number_format = "@"
        return text
    return value or None


def _given(console: Console) -> dict[tuple[int, int], dict]:
    """Each expert's scores by indicator, by (seat, participant): the console does not read
    them."""
    return {(seat_id, participant_id): scores for seat_id, participant_id, scores in
            ExpertScore.objects.filter(participant__cycle=console.cycle).order_by()
            .values_list("seat_id", "participant_id", "scores")}


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
    # One style for every total (the cells are written as they are appended, and a shared
    # style array is only read).
    total_style = cell(sheet, Decimal(0), number_format=SCORE_FORMAT)._style
    states = {state: _text(sheet, str(label())) for state, label in STATE_LABELS.items()}
    keys = [str(i.pk) for i in indicators]
    nothing = [None] * len(keys)
    given = _given(console)
    for block in console.blocks:
        panel = _text(sheet, block.panel.name)
        experts = {id(column): (_text(sheet, column.seat.expert.pool_number),
                                _text(sheet, column.seat.expert.name))
                   for column in block.columns}
        for row in block.rows:
            code, name = _text(sheet, row.credit_code), _text(sheet, row.name)
            for column, state, score in row.cells:
                pool_number, expert = experts[id(column)]
                if score is None:
                    values, total = nothing, None
                else:
                    scores = given.get((column.seat.pk, row.participant_pk)) or {}
                    values = [_number(scores.get(key)) for key in keys]
                    total = score.total
                    if total is not None:
                        total = WriteOnlyCell(sheet, float(total))  # as _number
                        total._style = total_style
                sheet.append([panel, pool_number, expert, code, name, *values, total,
                              states[state]])

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
        stats.append([cell(stats, v, number_format=SCORE_FORMAT) for v in values])
    return workbook
