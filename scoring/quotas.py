"""R5 City quotas (Art 7): the numbers of places and minimums for N participants, in
integer arithmetic only."""
from __future__ import annotations

from dataclasses import dataclass

from .policy import DEFAULT_POLICY, PolicyParams


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
