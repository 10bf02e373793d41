"""What the panel result table (会评结果表) prints, once the panel review is closed (Art 11,
R6): for each panel, its institutions in panel order with each of its experts' totals, the
number of scores that count, the panel score and the result fixed at the close, and the
experts who sign it. The figures are the console's and the close's; this only arranges them."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from ..enums import PanelGroup, SeatStatus
from ..models import Cycle, Panel, PanelOutcome, PanelResultKind
from .panel_console import Cell, ExpertColumn, panel_console


@dataclass
class TableRow:
    place: int
    credit_code: str
    name: str
    cells: list[Decimal | str]   # an expert's total, or the state that stands for it
    count: int                   # the scores that count (R6)
    panel_score: Decimal
    result: str                  # a PanelResultKind

    @property
    def result_label(self) -> str:
        return str(PanelResultKind(self.result).label)


@dataclass
class TableSection:
    """One panel: its group, its experts (the columns, then the signature lines) and its
    institutions, group A best first, group C lowest first (as the console shows C)."""

    panel: Panel
    experts: list[ExpertColumn]
    rows: list[TableRow] = field(default_factory=list)

    @property
    def group_label(self) -> str:
        return str(PanelGroup(self.panel.group).label)


@dataclass
class ResultTable:
    cycle: Cycle
    outcome: PanelOutcome
    sections: list[TableSection]

    def digest(self) -> str:
        """The SHA-256 of what the table prints: printed on each page so that a signed
        printout can be matched to its file."""
        content = [[s.panel.name, s.panel.group,
                    [(c.seat.expert.pool_number, c.seat.expert.name) for c in s.experts],
                    [(r.place, r.credit_code, r.name, [str(v) for v in r.cells], r.count,
                      str(r.panel_score), r.result) for r in s.rows]]
                   for s in self.sections]
        payload = json.dumps([self.cycle.year, content], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


# What a cell prints when it holds no score that counts.
CELL_MARKS = {Cell.CONFLICTED: "conflicted", Cell.PENDING: "pending"}


def panel_result_table(cycle: Cycle) -> ResultTable:
    """The result table of ``cycle``'s closed panel review (its outcome must be closed).

    Only the experts who accepted and serve on a panel are its columns and sign it; one who
    declined, withdrew or never answered scored nothing that counts. A cell holds the
    expert's submitted total, or says that the expert recused itself from the institution or
    did not submit."""
    console = panel_console(cycle)
    outcome = console.outcome
    results = {r.participant_id: r for r in outcome.results.all()}
    sections = []
    for block in console.blocks:
        serving = [i for i, column in enumerate(block.columns)
                   if column.seat.serving and column.seat.status == SeatStatus.ACCEPTED]
        section = TableSection(panel=block.panel,
                               experts=[block.columns[i] for i in serving])
        for row in block.rows:
            fixed = results.get(row.participant_pk)
            if fixed is None:
                continue  # not in group A or C at the close
            cells = []
            for i in serving:
                _column, state, score = row.cells[i]
                cells.append(score.total if state == Cell.SCORED else CELL_MARKS[state])
            section.rows.append(TableRow(
                place=fixed.rank, credit_code=row.credit_code, name=row.name, cells=cells,
                count=len(row.scores), panel_score=fixed.score, result=fixed.result))
        lowest_first = block.panel.group == PanelGroup.C
        section.rows.sort(key=lambda r: r.place, reverse=lowest_first)
        sections.append(section)
    return ResultTable(cycle=cycle, outcome=outcome, sections=sections)
