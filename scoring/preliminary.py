"""The districts' preliminary review (Art 9, 10): R3, what a report's preliminary score counts,
and the whole of R4, the district split.

R4 is here in one piece: the group sizes of a district (``district_split``, the
largest-remainder apportionment of n_d by 50 / 40 / 10), the group of each place in the
district's ranking (``group_of_rank``, ``rank_groups``, ``district_groups``) and the checks a
ranking must pass before the district submits it (``ranking_problems``: every participant
scored and placed, each place against the scores explained, equal scores ordered explicitly,
the groups of exactly these sizes).

Plain values only: ids are strings or ints, scores ``Decimal``; integer arithmetic for shares.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .enums import Group
from .errors import RankingError, quote
from .policy import DEFAULT_POLICY

Id = Hashable


# --- R3: the preliminary score ----------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """The reviewer's verdict on one indicator's claim: ``supported`` is None while not yet
    reviewed; ``score`` is the reviewer's score from 0 to ``points``."""

    points: Decimal
    supported: bool | None
    score: Decimal | None


def claim_counts(claim: Claim) -> Decimal:
    """What one claim adds to the preliminary score (R3): its score when supported, nothing
    when not supported ("不能提供足够支撑依据的部分不予采纳") or not yet reviewed."""
    if claim.supported is not True or claim.score is None:
        return Decimal(0)
    if not Decimal(0) <= claim.score <= claim.points:
        raise ValueError(f"a score of {claim.score} is outside 0…{claim.points}")
    return claim.score


def claim_reviewed(claim: Claim) -> bool:
    """A claim is reviewed when it has a verdict, and a score if it is supported."""
    if claim.supported is None:
        return False
    return claim.supported is False or claim.score is not None


def preliminary_score(claims: Iterable[Claim]) -> Decimal:
    """The preliminary score of a report: the sum of its supported claims' scores (R3)."""
    return sum((claim_counts(c) for c in claims), Decimal(0))


# --- R4: the group sizes and the group of each place ------------------------------------------

@dataclass(frozen=True)
class GroupSizes:
    """A district's group sizes (a_d, b_d, c_d) for A / B / C (R4)."""

    a: int
    b: int
    c: int

    @property
    def n(self) -> int:
        """The district's number of participants n_d (R4: a + b + c = n_d)."""
        return self.a + self.b + self.c


def district_split(n: int, shares: Sequence[int] = DEFAULT_POLICY.district_shares) -> GroupSizes:
    """Group sizes of a district with ``n`` participants (R4): the largest-remainder
    apportionment of n by ``shares`` (percent, A / B / C).

    Each group first gets the floor of its exact quota n×share/100; the seats left over go one
    each to the largest fractional remainders, equal remainders to the lower group first
    (C before B before A). So a + b + c == n; e.g. 5 → (2, 2, 1), 11 → (6, 4, 1).
    """
    if n < 0:
        raise ValueError(f"a district cannot have {n} participants")
    if len(shares) != 3 or sum(shares) != 100 or min(shares) < 0:
        raise ValueError(
            f"district shares must be 3 non-negative integers summing to 100: {shares}"
        )
    seats = [n * s // 100 for s in shares]
    # The remainder of n×s/100 is (n×s mod 100)/100; comparing the numerators is exact.
    # Sort key: larger remainder first, then the lower group (index 2 = C) first.
    by_claim = sorted(range(3), key=lambda g: (-(n * shares[g] % 100), -g))
    for g in by_claim[: n - sum(seats)]:
        seats[g] += 1
    return GroupSizes(*seats)


def group_of_rank(rank: int, sizes: GroupSizes) -> Group:
    """The group of rank ``rank`` (1-based) in a district of ``sizes`` (R4)."""
    if not 1 <= rank <= sizes.n:
        raise ValueError(f"rank {rank} is outside 1…{sizes.n}")
    if rank <= sizes.a:
        return Group.A
    if rank <= sizes.a + sizes.b:
        return Group.B
    return Group.C


def rank_groups(order: Sequence[Id],
                shares: Sequence[int] = DEFAULT_POLICY.district_shares) -> dict[Id, Group]:
    """The group of each participant from its place in ``order`` (R4): the first a_d are A,
    the next b_d B, the last c_d C."""
    sizes = district_split(len(order), shares)
    return {pid: group_of_rank(k, sizes) for k, pid in enumerate(order, start=1)}


def district_groups(
    district: str,
    ranks: Sequence[tuple[str, int]],
    shares: Sequence[int] = DEFAULT_POLICY.district_shares,
) -> tuple[GroupSizes, dict[str, Group]]:
    """Group of each participant of ``district`` from its rank (R4).

    ``ranks`` holds (institution id, district rank) for every participant of the district. The
    ranks must be exactly 1…n_d (no gaps, no duplicates), otherwise ``RankingError`` names the
    district and an offending institution. Ranks 1…a_d are group A, the next b_d group B, the
    last c_d group C.
    """
    n = len(ranks)
    ordered = sorted(ranks, key=lambda pair: (pair[1], pair[0]))
    detail = offender = None
    for (first, rank), (second, next_rank) in zip(ordered, ordered[1:], strict=False):
        if rank == next_rank:
            offender = second
            detail = f"institutions {quote(first)} and {quote(second)} both have {rank}"
            break
    if detail is None and ordered and ordered[0][1] < 1:
        offender, rank = ordered[0]
        detail = f"institution {quote(offender)} has {rank}"
    if detail is None and ordered and ordered[-1][1] > n:
        # n distinct ranks that are all >= 1 leave a gap only if one is above n.
        missing = next(k for k, (_, rank) in enumerate(ordered, start=1) if rank != k)
        offender, rank = next(pair for pair in ordered if pair[1] > n)
        detail = f"{missing} is missing; institution {quote(offender)} has {rank}"
    if detail is not None:
        got = _rank_list([rank for _, rank in ordered])
        raise RankingError(
            district,
            offender,
            f"ranks must be 1…{n} without gaps or duplicates; got {got} ({detail})",
        )
    sizes = district_split(n, shares)
    groups = {}
    for rank_index, (institution_id, _) in enumerate(ordered):
        if rank_index < sizes.a:
            groups[institution_id] = Group.A
        elif rank_index < sizes.a + sizes.b:
            groups[institution_id] = Group.B
        else:
            groups[institution_id] = Group.C
    return sizes, groups


def _rank_list(ranks: list[int], limit: int = 12) -> str:
    shown = ", ".join(str(r) for r in ranks[:limit])
    return shown + (", …" if len(ranks) > limit else "")


# --- R4: the checks of a district's ranking ---------------------------------------------------

def score_order(scores: Mapping[Id, Decimal | None]) -> list[Id]:
    """The participants in preliminary-score order, best first; those without a score last.
    Equal scores keep the order of ``scores`` (the caller passes its current ranking)."""
    ids = list(scores)
    position = {pid: k for k, pid in enumerate(ids)}
    return sorted(ids, key=lambda pid: (scores[pid] is None, -(scores[pid] or 0), position[pid]))


def tie_groups(scores: Mapping[Id, Decimal | None]) -> list[tuple[Decimal, list[Id]]]:
    """The sets of two or more participants with the same score (R4: the district must order
    them explicitly), highest score first, members in the order of ``scores``."""
    members: dict[Decimal, list[Id]] = {}
    for pid, score in scores.items():
        if score is not None:
            members.setdefault(score, []).append(pid)
    return sorted(((s, ids) for s, ids in members.items() if len(ids) > 1),
                  key=lambda item: -item[0])


def unexplained_inversions(order: Sequence[Id], scores: Mapping[Id, Decimal | None],
                           reasons: Mapping[Id, str]) -> list[tuple[Id, Id]]:
    """Pairs (above, below) ranked against their scores (``above`` has the lower score) where
    neither carries a written reason (R4: "a changed order needs a written reason").

    A reason given for an institution covers every inversion it is part of, so the check only
    looks at the institutions without one: among them the scores must not rise down the
    ranking. Returns each offending neighbouring pair of that sub-order.
    """
    plain = [pid for pid in order
             if not (reasons.get(pid) or "").strip() and scores.get(pid) is not None]
    return [(above, below) for above, below in zip(plain, plain[1:], strict=False)
            if scores[above] < scores[below]]


def out_of_score_order(order: Sequence[Id], scores: Mapping[Id, Decimal | None]) -> set[Id]:
    """The participants that are part of at least one inversion: ranked above someone with a
    higher score or below someone with a lower one (shown as "moved" on the ranking page)."""
    ranked = [pid for pid in order if scores.get(pid) is not None]
    moved: set[Id] = set()
    # x is above a higher score iff its score is below the maximum of everything after it;
    # x is below a lower score iff its score is above the minimum of everything before it.
    suffix_max: list[Decimal | None] = [None] * (len(ranked) + 1)
    for k in range(len(ranked) - 1, -1, -1):
        s = scores[ranked[k]]
        nxt = suffix_max[k + 1]
        suffix_max[k] = s if nxt is None or s > nxt else nxt
    prefix_min: Decimal | None = None
    for k, pid in enumerate(ranked):
        s = scores[pid]
        after = suffix_max[k + 1]
        if (after is not None and s < after) or (prefix_min is not None and s > prefix_min):
            moved.add(pid)
        prefix_min = s if prefix_min is None or s < prefix_min else prefix_min
    return moved


@dataclass(frozen=True)
class RankingProblem:
    """Why a district's ranking cannot be submitted (R4). ``kind`` is one of
    ``unscored``, ``unranked``, ``unexplained``, ``tie``, ``sizes``; ``ids`` are the
    institutions concerned."""

    kind: str
    ids: tuple[Id, ...]


def ranking_problems(order: Sequence[Id], scores: Mapping[Id, Decimal | None],
                     reasons: Mapping[Id, str], tie_confirmed: Mapping[Id, bool],
                     groups: Mapping[Id, Group] | None = None,
                     shares: Sequence[int] = DEFAULT_POLICY.district_shares,
                     ) -> list[RankingProblem]:
    """Everything that keeps a district's ranking from being submitted (R4).

    ``order`` is the ranking, best first, of the participants ranked so far; ``scores`` holds
    every participant of the district. Every participant needs a score and a place; each
    inversion of the score order needs a written reason; every group of equal scores must be
    confirmed as ordered explicitly; and, when ``groups`` is given, the groups must have exactly
    the sizes of ``district_split`` in rank order.
    """
    problems = []
    unscored = tuple(pid for pid, s in scores.items() if s is None)
    if unscored:
        problems.append(RankingProblem("unscored", unscored))
    placed = set(order)
    unranked = tuple(pid for pid in scores if pid not in placed)
    if unranked or len(placed) != len(order):
        problems.append(RankingProblem("unranked", unranked))
    pairs = unexplained_inversions(order, scores, reasons)
    if pairs:
        problems.append(RankingProblem("unexplained", tuple(dict.fromkeys(
            pid for pair in pairs for pid in pair))))
    unconfirmed = tuple(pid for _, ids in tie_groups(scores) for pid in ids
                        if not tie_confirmed.get(pid))
    if unconfirmed:
        problems.append(RankingProblem("tie", unconfirmed))
    if groups is not None and not unranked:
        expected = rank_groups(order, shares)
        wrong = tuple(pid for pid in order if groups.get(pid) != expected[pid])
        if wrong:
            problems.append(RankingProblem("sizes", wrong))
    return problems
