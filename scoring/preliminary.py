"""The district's preliminary review (Art 9, 10): the preliminary score (R3) and the checks a
district's ranking must pass before it is submitted (R4).

Plain values only: ids are strings or ints, scores ``Decimal``.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .enums import Group
from .policy import DEFAULT_POLICY
from .quotas import GroupSizes, district_split

Id = Hashable


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


def rank_groups(order: Sequence[Id],
                shares: Sequence[int] = DEFAULT_POLICY.district_shares) -> dict[Id, Group]:
    """The group of each participant from its place in ``order`` (R4): the first a_d are A,
    the next b_d B, the last c_d C."""
    sizes = district_split(len(order), shares)
    return {pid: group_of_rank(k, sizes) for k, pid in enumerate(order, start=1)}


def group_of_rank(rank: int, sizes: GroupSizes) -> Group:
    """The group of rank ``rank`` (1-based) in a district of ``sizes`` (R4)."""
    if not 1 <= rank <= sizes.n:
        raise ValueError(f"rank {rank} is outside 1…{sizes.n}")
    if rank <= sizes.a:
        return Group.A
    if rank <= sizes.a + sizes.b:
        return Group.B
    return Group.C
