"""R4 district split and R5 city quotas: integer arithmetic only."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .enums import Group
from .errors import RankingError, quote
from .policy import DEFAULT_POLICY, PolicyParams


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


@dataclass(frozen=True)
class CityQuotas:
    """The city-wide numbers of R5 for N participants.

    E, G: excellent and good places; K: the cap on E + G; F: the least number of 不合格;
    S: the size of the spot check of group B.
    """

    N: int
    E: int
    G: int
    K: int
    F: int
    S: int


def floor_share(n: int, share: int) -> int:
    """``floor(n × share / 100)`` exactly (R5)."""
    return n * share // 100


def ceil_share(n: int, share: int) -> int:
    """``ceil(n × share / 100)`` exactly (R5)."""
    return -(-n * share // 100)


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


def city_quotas(
    N: int, params: PolicyParams = DEFAULT_POLICY, b_size: int | None = None
) -> CityQuotas:
    """The city quotas for N participants (R5).

    E = floor(N×10/100), G = floor(N×25/100); when E + G > K (30) then E becomes
    min(E, floor(K×10/(10+25))) and G becomes min(G, K − E); F = S = ceil(N×3/100), S at
    most ``b_size`` (|B|) when given. E.g. N=137 → E8 G22 F5 S5.
    """
    if N < 0:
        raise ValueError(f"a cycle cannot have {N} participants")
    K = params.top_tier_cap
    E = floor_share(N, params.excellent_share)
    G = floor_share(N, params.good_share)
    if E + G > K:
        # E + G > K >= 0 implies at least one share is positive: the division is safe.
        E = min(E, K * params.excellent_share // (params.excellent_share + params.good_share))
        G = min(G, K - E)
    F = ceil_share(N, params.fail_min_share)
    S = ceil_share(N, params.spot_check_share)
    if b_size is not None:
        S = min(S, b_size)
    return CityQuotas(N=N, E=E, G=G, K=K, F=F, S=S)


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
