"""Reads of stage 4, the re-verification (Art 12, R7, R8): group A in panel order with the
list, the alternates who join and the live tier preview, the verifications with their visits
and verdict changes, and the spot check of group B before and after its draw.

Every decision is ``scoring``'s (``settle_group_a``, ``settle_group_b``, ``spot_check_draw``,
``city_quotas``); this module loads the rows, in a fixed number of queries whatever the size
of the cycle, and hands the rules plain values. The rules speak of group A's members by
participant id (as ``services.panel_close`` ranked them) and of group B's by unified social
credit code (R7: the spot check's identifiers).

The digest of the spot check's candidates is the SHA-256, in hexadecimal, of the sorted
credit codes joined by line feeds ("\\n", none after the last) and encoded in UTF-8:
``hashlib.sha256("\\n".join(sorted(codes)).encode()).hexdigest()``."""
from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q

import scoring

from ..enums import CycleStatus, PreliminaryGroup, SiteVerdict, Tier, VerificationKind
from ..models import (
    Cycle,
    PanelOutcome,
    PanelResult,
    PanelResultKind,
    Participant,
    Reverification,
    SiteVisit,
    SpotCheckDraw,
    VerdictChange,
    Verification,
)

VERDICT_TONES = {SiteVerdict.CONFIRMED: "success", SiteVerdict.NOT_CONFIRMED: "warning",
                 SiteVerdict.POOR: "danger"}
TIER_TONES = {Tier.EXCELLENT: "success", Tier.GOOD: "primary", Tier.QUALIFIED: "secondary",
              Tier.UNQUALIFIED: "danger"}


def candidates_digest(sorted_ids: Iterable[str]) -> str:
    """The SHA-256 of the spot check's candidate list as published (R7): the credit codes in
    ascending order, joined by "\\n", in UTF-8, as 64 hexadecimal characters."""
    return hashlib.sha256("\n".join(sorted_ids).encode("utf-8")).hexdigest()


def stage_open(cycle: Cycle) -> bool:
    """Whether the re-verification is running: the cycle is in it and it is not closed."""
    if cycle.status != CycleStatus.REVERIFICATION:
        return False
    stage = cycle.stage_of(CycleStatus.REVERIFICATION)
    return stage is None or not stage.is_closed


def cycle_quotas(cycle: Cycle) -> scoring.CityQuotas:
    """The city quotas of ``cycle`` (R5): N its participants, S at most |B|; one query."""
    counts = Participant.objects.filter(cycle=cycle).aggregate(
        n=Count("pk"), b=Count("pk", filter=Q(group=PreliminaryGroup.B)))
    return scoring.city_quotas(counts["n"], cycle.policy_version.as_params(),
                               b_size=counts["b"])


# --- Group A: the list, the alternates, the tier preview -------------------------------------

@dataclass(frozen=True)
class Settlement:
    """Group A as the verdicts recorded so far leave it (R7, R8), from ``settle_group_a``.

    A verdict not yet recorded counts as ``confirmed`` for now: the member keeps its place
    until its verdict says otherwise, so the next alternate joins only when a place is really
    empty. ``pending`` are those still waiting for their verdict. ``joined``: the alternates
    that join. ``tie``: a still-equal pair across a deciding line (R6) that the rules refuse
    to settle; with a tie on the alternates line nobody is known to join, with one on the
    line of 优秀 the list and the alternates are known but not the tiers (``outcome`` then has
    no 优秀). A tie on the alternates line while a verdict it depends on is still to come is
    not one yet: that verdict may make it vanish, so the alternates join as they would without
    it, the tiers stay unknown (``outcome`` None) and ``tie`` is None."""

    outcome: scoring.GroupAOutcome | None
    pending: tuple[str, ...]
    tie: scoring.BlockingTie | None
    listed: tuple[str, ...]
    joined: tuple[str, ...] = ()

    @property
    def on_list(self) -> tuple[str, ...]:
        return self.listed + self.joined

    @property
    def tiers_known(self) -> bool:
        return self.outcome is not None and self.tie is None

    def final(self, key: str) -> str | None:
        """The tier ``key`` gets with the verdicts so far (None when a tie hides it)."""
        if not self.tiers_known:
            return None
        return self.outcome.finals.get(key)


def settle_a(order: scoring.PanelOrder, *, quotas: scoring.CityQuotas,
             verdicts: Mapping[str, str], fraud: Collection[str], alternates_allowed: int,
             listed: tuple[str, ...]) -> Settlement:
    """``scoring.settle_group_a`` over the verdicts recorded so far (see ``Settlement``);
    ``listed`` is the re-verification list as the panel review fixed it, shown should a tie
    keep the rules from answering."""
    provisional = {key: scoring.Verdict(verdicts.get(key, scoring.Verdict.CONFIRMED))
                   for key in order.ids}
    arguments = {"verdicts": provisional, "fraud": frozenset(fraud),
                 "alternates_allowed": alternates_allowed}
    tie = None
    try:
        outcome = scoring.settle_group_a(order, excellent_places=quotas.E,
                                         good_places=quotas.G, **arguments)
    except scoring.BlockingTie as exc:
        tie = exc
        outcome = None
        if exc.line == scoring.TieLine.EXCELLENT:
            # Who is on the list and who joins does not depend on the line of 优秀 (only the
            # list's length E+G does): settled without that line, the tiers stay unknown.
            outcome = scoring.settle_group_a(order, excellent_places=0,
                                             good_places=quotas.E + quotas.G, **arguments)
        elif exc.line == scoring.TieLine.ALTERNATES:
            joined = scoring.alternates_joining(order, listed, **arguments)
            if any(key not in fraud and key not in verdicts for key in listed + joined):
                return _settlement(None, None, listed, joined, verdicts, fraud)
    if outcome is not None:
        listed = outcome.listed
    return _settlement(outcome, tie, listed, outcome.alternates if outcome else (), verdicts,
                       fraud)


def _settlement(outcome: scoring.GroupAOutcome | None, tie: scoring.BlockingTie | None,
                listed: tuple[str, ...], joined: tuple[str, ...], verdicts: Mapping[str, str],
                fraud: Collection[str]) -> Settlement:
    pending = tuple(key for key in listed + joined if key not in fraud and key not in verdicts)
    return Settlement(outcome=outcome, pending=pending, tie=tie, listed=listed, joined=joined)


@dataclass
class Row:
    """One institution verified on site (or an alternate that joins and waits for its record):
    its participant, its verification (None until the first write), why it is verified, its
    place in group A's panel order and panel score (group A), and what the rules make of it
    now."""

    participant: Participant
    verification: Verification | None
    kind: str
    place: int | None = None
    score: Decimal | None = None
    on_list: bool = True
    pending: bool = False
    final: str | None = None
    visits: list[SiteVisit] = field(default_factory=list)
    changes: list[VerdictChange] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.participant.pk)

    @property
    def fraud(self) -> bool:
        return self.participant.fraud_confirmed_at is not None

    @property
    def verdict(self) -> str:
        return self.verification.verdict if self.verification else ""

    @property
    def verdict_label(self) -> str:
        return SiteVerdict(self.verdict).label if self.verdict else ""

    @property
    def verdict_tone(self) -> str:
        return VERDICT_TONES.get(self.verdict, "secondary")

    @property
    def kind_label(self) -> str:
        return VerificationKind(self.kind).label

    @property
    def final_label(self) -> str:
        return Tier(self.final).label if self.final else ""

    @property
    def final_tone(self) -> str:
        return TIER_TONES.get(self.final, "secondary")


@dataclass
class Board:
    """Everything the stage page shows of group A and the spot check (R7, R8)."""

    cycle: Cycle
    reverification: Reverification | None
    quotas: scoring.CityQuotas
    settlement: Settlement
    rows: list[Row]
    beyond_list: int
    spot: SpotCheckDraw | None
    spot_rows: list[Row]

    @property
    def alternates_allowed(self) -> int:
        return self.reverification.alternates_allowed if self.reverification else 0

    @property
    def list_rows(self) -> list[Row]:
        return [row for row in self.rows if row.kind == VerificationKind.LISTED]

    @property
    def emptied(self) -> int:
        """Places of the list its own member left empty: not confirmed, poor or fraud (R7,
        R8); a verdict still pending holds its place."""
        return sum(1 for row in self.list_rows
                   if row.fraud or (row.verdict and row.verdict != SiteVerdict.CONFIRMED))

    @property
    def vacancies(self) -> int:
        """Places of the list still empty after the alternates who joined (a pending verdict,
        an alternate's too, counts as holding its place)."""
        outcome = self.settlement.outcome
        if outcome is None:
            return 0
        return len(self.settlement.listed) - len(outcome.excellent) - len(outcome.good)

    @property
    def excellent(self) -> list[Row]:
        return self._tier(scoring.Final.EXCELLENT)

    @property
    def good(self) -> list[Row]:
        return self._tier(scoring.Final.GOOD)

    def _tier(self, tier: str) -> list[Row]:
        return [row for row in self.rows if row.on_list and row.final == tier]

    @property
    def pending(self) -> int:
        return (sum(1 for row in self.rows if row.pending)
                + sum(1 for row in self.spot_rows if row.pending))

    @property
    def by_key(self) -> dict[str, Row]:
        return {row.key: row for row in (*self.rows, *self.spot_rows)}


def group_a_order(results: Iterable[PanelResult], outcome: PanelOutcome | None
                  ) -> scoring.PanelOrder:
    """Group A in panel order (R6), exactly as the panel review's close ranked it: the fixed
    panel scores and the organiser's recorded order of equal scores."""
    tiebreak = [str(pk) for pk in (outcome.tiebreak if outcome else [])]
    return scoring.panel_order({str(r.participant_id): r.score for r in results}, tiebreak)


def _verifications(cycle: Cycle) -> dict[int, Verification]:
    visits = SiteVisit.objects.filter(stage=CycleStatus.REVERIFICATION).select_related(
        "recorded_by").prefetch_related("files").order_by("visited_on", "pk")
    changes = VerdictChange.objects.select_related("changed_by").order_by("changed_at", "pk")
    rows = (Verification.objects.filter(participant__cycle=cycle)
            .select_related("participant__institution",
                            "participant__district_review__district", "decided_by")
            .prefetch_related(Prefetch("participant__visits", queryset=visits,
                                       to_attr="stage_visits"),
                              Prefetch("changes", queryset=changes, to_attr="change_list")))
    return {v.participant_id: v for v in rows}


def reverification_board(cycle: Cycle) -> Board:
    """The stage page's figures: the list in panel order with the alternates that join (from
    ``settle_group_a`` over the verdicts so far), each with its visits, verdict and changes,
    the tier preview, and the spot check's draw and verdicts (``settle_group_b``)."""
    quotas = cycle_quotas(cycle)
    reverification = Reverification.objects.filter(cycle=cycle).first()
    outcome = PanelOutcome.objects.filter(cycle=cycle).first()
    results = list(PanelResult.objects.filter(
        outcome__cycle=cycle, participant__group=PreliminaryGroup.A)
        .select_related("participant__institution", "participant__district_review__district")
        .order_by("rank"))
    verifications = _verifications(cycle)
    order = group_a_order(results, outcome)
    fraud = {str(r.participant_id) for r in results
             if r.participant.fraud_confirmed_at is not None}
    verdicts = {str(pk): v.verdict for pk, v in verifications.items() if v.verdict}
    settlement = settle_a(
        order, quotas=quotas, verdicts=verdicts, fraud=fraud,
        alternates_allowed=reverification.alternates_allowed if reverification else 0,
        listed=tuple(str(r.participant_id) for r in results
                     if r.result == PanelResultKind.REVERIFY))
    on_list, pending = set(settlement.on_list), set(settlement.pending)
    joined = set(settlement.joined)
    rows = []
    for result in results:
        key = str(result.participant_id)
        verification = verifications.get(result.participant_id)
        if verification is None and key not in on_list:
            continue
        kind = (verification.kind if verification else
                VerificationKind.ALTERNATE if key in joined else VerificationKind.LISTED)
        rows.append(_row(result.participant, verification, kind, place=result.rank,
                         score=result.score, on_list=key in on_list, pending=key in pending,
                         final=settlement.final(key)))
    spot = SpotCheckDraw.objects.filter(cycle=cycle).select_related("drawn_by").first()
    spot_rows = _spot_rows(spot, verifications)
    return Board(cycle=cycle, reverification=reverification, quotas=quotas,
                 settlement=settlement, rows=rows,
                 beyond_list=max(len(results) - len(settlement.listed), 0), spot=spot,
                 spot_rows=spot_rows)


def _row(participant: Participant, verification: Verification | None, kind: str,
         **figures) -> Row:
    if verification is not None:
        # The prefetched visits hang on the verification's own participant object.
        participant = verification.participant
    return Row(participant=participant, verification=verification, kind=kind,
               visits=getattr(participant, "stage_visits", []),
               changes=getattr(verification, "change_list", []) if verification else [],
               **figures)


def _spot_rows(spot: SpotCheckDraw | None, verifications: Mapping[int, Verification]
               ) -> list[Row]:
    """The institutions the spot check drew, in draw order, with what ``settle_group_b``
    makes of them (a verdict not yet recorded counts as confirmed for now)."""
    if spot is None:
        return []
    drawn = {v.participant.institution.credit_code: v for v in verifications.values()
             if v.kind == VerificationKind.SPOT_CHECK}
    verdicts = {code: scoring.SpotVerdict(drawn[code].verdict) if code in drawn
                and drawn[code].verdict else scoring.SpotVerdict.CONFIRMED
                for code in spot.sample}
    fraud = {code for code, v in drawn.items() if v.participant.fraud_confirmed_at}
    settled = scoring.settle_group_b(spot.candidates, size=spot.size, seed=spot.seed,
                                     verdicts=verdicts, fraud=fraud)
    rows = []
    for code in spot.sample:
        verification = drawn.get(code)
        if verification is None:  # never: the draw records one per institution drawn
            continue
        rows.append(_row(verification.participant, verification, VerificationKind.SPOT_CHECK,
                         pending=not verification.verdict and code not in fraud,
                         final=settled.finals.get(code)))
    return rows


def verification_row(cycle: Cycle, participant_pk: int) -> tuple[Board, Row] | None:
    """The board and the row of one institution verified (or joining as an alternate), None
    when it is neither."""
    board = reverification_board(cycle)
    row = next((r for r in (*board.rows, *board.spot_rows)
                if r.participant.pk == participant_pk), None)
    return (board, row) if row is not None else None


# --- The spot check of group B (R7) ------------------------------------------------------------

@dataclass(frozen=True)
class SpotPreview:
    """The spot check before its draw (R7): every member of B by credit code, ascending (the
    order the draw takes them in), S and the digest of that list."""

    candidates: tuple[str, ...]
    names: Mapping[str, str]
    size: int
    quotas: scoring.CityQuotas

    @property
    def digest(self) -> str:
        return candidates_digest(self.candidates)


def group_b_members(cycle: Cycle) -> dict[str, Participant]:
    """The members of group B by credit code (the spot check's candidates, R7)."""
    return {p.institution.credit_code: p for p in Participant.objects.filter(
        cycle=cycle, group=PreliminaryGroup.B).select_related("institution")}


def spot_check_preview(cycle: Cycle) -> SpotPreview:
    members = group_b_members(cycle)
    quotas = cycle_quotas(cycle)
    return SpotPreview(candidates=tuple(sorted(members)),
                       names={code: p.institution.name for code, p in members.items()},
                       size=quotas.S, quotas=quotas)


@dataclass(frozen=True)
class Replay:
    """A spot check's record checked again from itself (R7): the candidate list is sorted and
    has the digest recorded, and ``random.Random(seed).sample(candidates, size)`` gives the
    sample recorded."""

    draw: SpotCheckDraw
    recomputed: tuple[str, ...]
    digest: str

    @property
    def sorted_ok(self) -> bool:
        return list(self.draw.candidates) == sorted(self.draw.candidates)

    @property
    def digest_ok(self) -> bool:
        return self.digest == self.draw.digest

    @property
    def sample_ok(self) -> bool:
        return self.recomputed == tuple(self.draw.sample)

    @property
    def matches(self) -> bool:
        return self.sorted_ok and self.digest_ok and self.sample_ok


def spot_check_replay(draw: SpotCheckDraw) -> Replay:
    """Replay ``draw`` in this request with ``scoring.spot_check_draw`` (R7)."""
    try:
        recomputed = scoring.spot_check_draw(draw.candidates, draw.size, draw.seed)
    except (ValueError, TypeError):  # a record that cannot be replayed does not match
        recomputed = ()
    return Replay(draw=draw, recomputed=recomputed, digest=candidates_digest(draw.candidates))


# --- The institution's side ---------------------------------------------------------------------

def planned_visit(participant: Participant) -> Verification | None:
    """The visit planned to ``participant`` (date and what to prepare), None when none is
    planned yet. The verdict is never read for the institution."""
    return (Verification.objects.filter(participant=participant, planned_on__isnull=False)
            .only("pk", "participant", "planned_on", "to_prepare").first())
