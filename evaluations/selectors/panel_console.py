"""Reads of the organiser's console of the panel review (Art 11, R6): who has scored what
(institutions × experts), each institution's statistics and panel score, each expert's
calibration, the live rankings of groups A and C with their deciding lines and the ties that
block them. Every figure comes from ``scoring``'s rules; this module only loads the rows, in a
fixed number of queries whatever the size of the cycle."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q

import scoring

from ..enums import PanelGroup, SeatRole, SeatStatus
from ..models import Conflict, Cycle, ExpertScore, PanelOutcome, PanelSeat, Participant
from .panel import panel_institutions, panel_members


class Cell:
    """Where one expert stands with one institution of its panel."""

    SCORED = "scored"        # submitted: it counts
    PENDING = "pending"      # not submitted yet (a draft, or not answered the invitation)
    CONFLICTED = "conflicted"
    DECLINED = "declined"    # the expert declined or withdrew from the panel

    ORDER = (SCORED, PENDING, CONFLICTED, DECLINED)


class CellScore(NamedTuple):
    """What the console needs of one expert's score of one institution: its row's id (to
    reopen it), its total and whether it is submitted. The scores by indicator are not read
    here (the export reads them itself)."""

    pk: int
    total: Decimal | None
    submitted: bool


@dataclass
class ExpertColumn:
    seat: PanelSeat
    counts: Counter = field(default_factory=Counter)
    calibration: Fraction | None = None

    @property
    def calibration_shown(self) -> Decimal | None:
        return None if self.calibration is None else scoring.round_half_up(self.calibration)


@dataclass
class InstitutionRow:
    """One member of group A or C: its cells (in the order of its panel's experts), its
    submitted scores and their statistics (R6)."""

    participant_pk: int
    credit_code: str
    name: str
    group: str
    panel_id: int | None
    cells: list[tuple[ExpertColumn, str, CellScore | None]] = field(default_factory=list)
    scores: list[Decimal] = field(default_factory=list)
    statistics: scoring.PanelStatistics | None = None
    disagreement: bool = False
    below_minimum: bool = True
    fraud: bool = False

    @property
    def counts(self) -> Counter:
        return Counter(state for _column, state, _score in self.cells)

    @property
    def panel_score(self) -> Decimal | None:
        return self.statistics.panel_score if self.statistics else None

    @property
    def lowest(self) -> Decimal | None:
        return min(self.scores, default=None)

    @property
    def highest(self) -> Decimal | None:
        return max(self.scores, default=None)

    @property
    def stdev_shown(self) -> str:
        stdev = self.statistics.stdev if self.statistics else None
        return "" if stdev is None else f"{stdev:.2f}"

    @property
    def key(self) -> str:
        """The id the ranking rules speak in."""
        return str(self.participant_pk)


@dataclass
class PanelBlock:
    """One panel of the matrix: its experts (columns) and institutions (rows)."""

    panel: object
    columns: list[ExpertColumn]
    rows: list[InstitutionRow]


@dataclass
class Ranked:
    row: InstitutionRow
    place: int          # in the group's panel order, 1 = the best (R6)
    listed: bool        # its place comes from the recorded tie-break order
    tied: bool          # in a still-equal run that straddles the line


@dataclass
class GroupRanking:
    """One group in panel order with its deciding line (R6): ``line`` institutions above it
    in A (the re-verification list), ``line`` institutions below it in C (the 不合格)."""

    group: str
    ranked: list[Ranked]
    unscored: list[InstitutionRow]
    line: int
    tie: tuple[str, ...]

    @property
    def blocking(self) -> list[InstitutionRow]:
        by_key = {r.row.key: r.row for r in self.ranked}
        return [by_key[k] for k in self.tie]


@dataclass
class Console:
    cycle: Cycle
    params: scoring.PolicyParams
    quotas: scoring.CityQuotas
    outcome: PanelOutcome
    blocks: list[PanelBlock]
    rows: dict[int, InstitutionRow]
    experts: list[ExpertColumn]
    a: GroupRanking
    c: GroupRanking
    chosen: int | None
    fail_count: int
    threshold: int

    @property
    def totals(self) -> Counter:
        total = Counter()
        for row in self.rows.values():
            total.update(row.counts)
        return total

    @property
    def below_minimum(self) -> list[InstitutionRow]:
        return [r for r in self.rows.values() if r.below_minimum]

    @property
    def reverification(self) -> list[InstitutionRow]:
        """The live re-verification list (复核名单): the top min(E+G, |A|) of group A."""
        return [r.row for r in self.a.ranked[:self.a.line]]

    @property
    def unqualified(self) -> list[InstitutionRow]:
        """The live 不合格 of group C: its lowest k."""
        return [r.row for r in self.c.ranked[len(self.c.ranked) - self.c.line:]] \
            if self.c.line else []


# Institutions per page of the console's matrix: 100 institutions × 9 experts make 900 cells,
# a page that renders in a few tens of milliseconds (1,000 × 9 on one page took seconds).
MATRIX_PAGE_SIZE = 100


@dataclass
class MatrixPage:
    """One page of the progress matrix: the institutions of ``page`` (a ``Page`` of (panel
    block, row) pairs in the matrix's order: panel by panel, by credit code), grouped back
    into their panels; ``below_only`` when only those with fewer than the minimum of
    submitted scores are listed. ``institutions`` and ``below_minimum`` count the whole
    matrix, whatever the filter and page."""

    blocks: list[PanelBlock]
    page: Page
    below_only: bool
    institutions: int
    below_minimum: int

    @property
    def listed(self) -> int:
        """The institutions the filter keeps, on every page."""
        return self.page.paginator.count


def matrix_page(console: Console, number=1, *, below_only: bool = False,
                size: int | None = None) -> MatrixPage:
    """The page ``number`` (any value: out of range or not a number gives the nearest
    page) of the console's matrix, ``size`` institutions a page (``MATRIX_PAGE_SIZE``),
    only those below the minimum of submitted scores when ``below_only``. A panel with no
    institution at all is shown on the first page, with its experts."""
    size = size or MATRIX_PAGE_SIZE
    entries = [(block, row) for block in console.blocks for row in block.rows
               if row.below_minimum or not below_only]
    page = Paginator(entries, size).get_page(number)
    rows: dict[int, list[InstitutionRow]] = {}
    for block, row in page.object_list:
        rows.setdefault(id(block), []).append(row)
    blocks = [PanelBlock(panel=block.panel, columns=block.columns, rows=rows[id(block)])
              if id(block) in rows else block
              for block in console.blocks
              if id(block) in rows or (not block.rows and page.number == 1)]
    return MatrixPage(blocks=blocks, page=page, below_only=below_only,
                      institutions=sum(len(block.rows) for block in console.blocks),
                      below_minimum=sum(1 for block in console.blocks for row in block.rows
                                        if row.below_minimum))


def panel_outcome(cycle: Cycle) -> PanelOutcome:
    """The cycle's recorded decisions, or the (unsaved) empty ones."""
    return PanelOutcome.objects.filter(cycle=cycle).first() or PanelOutcome(cycle=cycle)


def _serving_or_left(seat: PanelSeat) -> bool:
    """A column of the matrix: a member serving, or one who declined or withdrew after being
    invited (an alternate who joined counts as a member)."""
    if seat.serving:
        return True
    joined = seat.role == SeatRole.MEMBER or seat.replaces_id is not None
    return joined and seat.status in (SeatStatus.DECLINED, SeatStatus.RECUSED)


def panel_console(cycle: Cycle) -> Console:
    """Everything the organiser's console and ranking show (R6), in eight queries whatever
    the numbers of institutions and experts.

    Only the submitted scores of experts who accepted, still serve on the panel and have no
    conflict with the institution count. The panel score is ``scoring.panel_score`` (trimmed
    from ``trim_from_scores`` scores); an institution with fewer than ``min_panel_scores``
    is flagged, and one whose highest and lowest scores are more than
    ``PANEL_DISAGREEMENT_POINTS`` apart too."""
    params = cycle.policy_version.as_params()
    members = panel_members(cycle)
    outcome = panel_outcome(cycle)
    n = Participant.objects.filter(cycle=cycle).count()
    quotas = scoring.city_quotas(n, params)
    fraud = set(Participant.objects.filter(cycle=cycle, group__in=PanelGroup.values,
                                           fraud_confirmed_at__isnull=False)
                .values_list("pk", flat=True))
    panels = list(cycle.panels.order_by("position"))
    seats = [s for s in PanelSeat.objects.filter(panel__cycle=cycle)
             .select_related("expert").order_by("panel__position", "draw_id", "position")
             if _serving_or_left(s)]
    conflicts = set(Conflict.objects.filter(cycle=cycle)
                    .values_list("expert_id", "participant_id"))
    scores = {(seat_id, participant_id): CellScore(pk, total, submitted)
              for pk, seat_id, participant_id, total, submitted in ExpertScore.objects
              .filter(participant__cycle=cycle).order_by()
              .annotate(submitted=ExpressionWrapper(Q(submitted_at__isnull=False),
                                                    output_field=BooleanField()))
              .values_list("pk", "seat_id", "participant_id", "total", "submitted")}
    threshold = settings.PANEL_DISAGREEMENT_POINTS

    rows: dict[int, InstitutionRow] = {}
    blocks = []
    experts = []
    counted: dict[str, dict[str, Decimal]] = {}  # seat id: participant id: total
    for panel in panels:
        columns = [ExpertColumn(seat=s) for s in seats if s.panel_id == panel.pk]
        experts += columns
        # What each cell asks of its column, read once per column rather than per cell.
        reads = []
        for column in columns:
            seat = column.seat
            reads.append((column, seat.pk, seat.expert_id, seat.serving,
                          seat.status == SeatStatus.ACCEPTED,
                          counted.setdefault(str(seat.pk), {}), column.counts))
        block_rows = []
        for institution in panel_institutions(panel, members):
            pk = members.participant_pk[institution.id]
            row = rows.setdefault(pk, InstitutionRow(
                participant_pk=pk, credit_code=institution.id,
                name=members.name[institution.id], group=panel.group, panel_id=panel.pk,
                fraud=pk in fraud))
            key, cells, given = row.key, row.cells, row.scores
            for column, seat_pk, expert_id, serving, accepted, by_row, counts in reads:
                score = scores.get((seat_pk, pk))
                if not serving:
                    state = Cell.DECLINED
                elif (expert_id, pk) in conflicts:
                    state = Cell.CONFLICTED
                elif accepted and score is not None and score.submitted:
                    state = Cell.SCORED
                    given.append(score.total)
                    by_row[key] = score.total
                else:
                    state = Cell.PENDING
                cells.append((column, state, score))
                counts[state] += 1
            block_rows.append(row)
        blocks.append(PanelBlock(panel=panel, columns=columns, rows=block_rows))
    # Experts with no submitted score counted are not in the calibration's input.
    counted = {seat: by_row for seat, by_row in counted.items() if by_row}
    # Members of A and C in no panel (the panels did not cover them): rows with no experts.
    for group, institutions in members.by_group.items():
        for institution in institutions:
            pk = members.participant_pk[institution.id]
            rows.setdefault(pk, InstitutionRow(participant_pk=pk, credit_code=institution.id,
                                               name=members.name[institution.id], group=group,
                                               panel_id=None, fraud=pk in fraud))

    for row in rows.values():
        row.below_minimum = len(row.scores) < params.min_panel_scores
        if row.scores:
            row.statistics = scoring.panel_statistics(row.scores, params.trim_from_scores)
            # ``scoring.disagreement`` of the same scores, from the statistics' extremes.
            row.disagreement = row.statistics.disagreement(threshold)

    panel_scores = {row.key: row.panel_score for row in rows.values() if row.statistics}
    # An expert serves on one panel of a cycle (R6a): its seat is the expert.
    calibration = scoring.expert_calibration(counted, panel_scores)
    for column in experts:
        column.calibration = calibration.get(str(column.seat.pk))

    tiebreak = [str(pk) for pk in outcome.tiebreak]
    chosen = outcome.fail_count
    c_rows = [r for r in rows.values() if r.group == PanelGroup.C]
    k = scoring.fail_count(quotas.F, chosen, len(c_rows))
    a_rank = _ranking(PanelGroup.A, rows, tiebreak, lambda size: scoring.reverification_size(
        quotas.E, quotas.G, size), from_top=True)
    c_rank = _ranking(PanelGroup.C, rows, tiebreak, lambda size: min(k, size), from_top=False)
    return Console(cycle=cycle, params=params, quotas=quotas, outcome=outcome, blocks=blocks,
                   rows=rows, experts=experts, a=a_rank, c=c_rank, chosen=chosen,
                   fail_count=k, threshold=threshold)


def _ranking(group: str, rows: dict[int, InstitutionRow], tiebreak: list[str], size,
             *, from_top: bool) -> GroupRanking:
    """``group`` in panel order (R6) with its line: ``size(n)`` institutions on the deciding
    side of it, the top of A or the bottom of C."""
    members = [r for r in rows.values() if r.group == group]
    scored = {r.key: r.panel_score for r in members if r.statistics}
    order = scoring.panel_order(scored, tiebreak)
    line = size(len(order))
    position = line if from_top else len(order) - line
    tie = order.tie_across(position)
    by_key = {r.key: r for r in members}
    ranked = [Ranked(row=by_key[key], place=place, listed=listed, tied=key in tie)
              for place, (key, listed) in enumerate(zip(order.ids, order.listed, strict=True),
                                                    start=1)]
    unscored = sorted((r for r in members if not r.statistics), key=lambda r: r.credit_code)
    return GroupRanking(group=group, ranked=ranked, unscored=unscored, line=line, tie=tie)
