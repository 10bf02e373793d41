"""R4 district split and R5 city quotas: every example of rules.md plus the invariants."""
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    CityQuotas,
    Group,
    GroupSizes,
    PolicyParams,
    RankingError,
    city_quotas,
    district_groups,
    district_split,
)


@pytest.mark.parametrize(("n", "sizes"), [
    (1, (1, 0, 0)), (2, (1, 1, 0)), (3, (2, 1, 0)), (4, (2, 2, 0)), (5, (2, 2, 1)),
    (7, (3, 3, 1)), (10, (5, 4, 1)), (11, (6, 4, 1)), (15, (7, 6, 2)),
])
def test_district_split_rules_examples(n, sizes):
    assert district_split(n) == GroupSizes(*sizes)


def test_district_split_empty_district():
    assert district_split(0) == GroupSizes(0, 0, 0)


def test_district_split_equal_remainders_go_to_the_lower_group_first():
    # 1 seat, shares 50/0/50: A and C both have remainder 1/2; C (the lower group) wins.
    assert district_split(1, (50, 0, 50)) == GroupSizes(0, 0, 1)
    # 1 seat, 50/50/0: A and B tie; B before A.
    assert district_split(1, (50, 50, 0)) == GroupSizes(0, 1, 0)


shares_strategy = st.tuples(st.integers(0, 100), st.integers(0, 100)).filter(
    lambda t: t[0] + t[1] <= 100
).map(lambda t: (t[0], t[1], 100 - t[0] - t[1]))


@given(n=st.integers(0, 5000), shares=shares_strategy)
def test_district_split_sums_to_n_for_any_shares(n, shares):
    sizes = district_split(n, shares)
    assert sizes.a + sizes.b + sizes.c == n
    # Largest remainder: each group is its exact quota rounded down or up.
    for size, share in zip((sizes.a, sizes.b, sizes.c), shares, strict=True):
        assert abs(size - Fraction(n * share, 100)) < 1


@pytest.mark.parametrize(("n", "quotas"), [
    (9, CityQuotas(N=9, E=0, G=2, K=30, F=1, S=1)),
    (40, CityQuotas(N=40, E=4, G=10, K=30, F=2, S=2)),
    (100, CityQuotas(N=100, E=8, G=22, K=30, F=3, S=3)),
    (137, CityQuotas(N=137, E=8, G=22, K=30, F=5, S=5)),
])
def test_city_quotas_rules_examples(n, quotas):
    assert city_quotas(n) == quotas


def test_city_quotas_spot_check_capped_at_size_of_b():
    assert city_quotas(137, b_size=2) == CityQuotas(N=137, E=8, G=22, K=30, F=5, S=2)


def test_city_quotas_cap_not_reached_keeps_floors():
    # N = 85: E = 8, G = 21, 29 <= 30.
    assert city_quotas(85) == CityQuotas(N=85, E=8, G=21, K=30, F=3, S=3)


def test_city_quotas_with_overridden_parameters():
    params = PolicyParams(excellent_share=20, good_share=20, top_tier_cap=10,
                          fail_min_share=5, spot_check_share=1)
    # E = 20, G = 20 > 10: E = min(20, 10×20//40 = 5), G = min(20, 10 − 5).
    assert city_quotas(100, params) == CityQuotas(N=100, E=5, G=5, K=10, F=5, S=1)


percent = st.integers(0, 100)


@given(N=st.integers(0, 100_000), excellent=percent, good=percent, cap=st.integers(0, 500),
       fail=percent, spot=percent, b_size=st.integers(0, 100_000))
def test_city_quotas_invariants(N, excellent, good, cap, fail, spot, b_size):
    params = PolicyParams(excellent_share=excellent, good_share=good, top_tier_cap=cap,
                          fail_min_share=fail, spot_check_share=spot)
    q = city_quotas(N, params, b_size=b_size)
    assert q.E + q.G <= q.K == cap
    assert q.E <= N * excellent // 100 and q.G <= N * good // 100
    assert q.F <= N and q.F == -(-N * fail // 100)
    assert q.S <= b_size and q.S <= N


def test_district_groups_by_rank():
    ranks = [("e", 5), ("a", 1), ("c", 3), ("b", 2), ("d", 4)]
    assert district_groups("鼓楼区", ranks) == (
        GroupSizes(2, 2, 1),
        {"a": Group.A, "b": Group.A, "c": Group.B, "d": Group.B, "e": Group.C},
    )


@pytest.mark.parametrize(("ranks", "message"), [
    ([("a", 1), ("b", 2), ("c", 4), ("d", 5), ("x", 6)],
     'district "鼓楼区": district_rank: ranks must be 1…5 without gaps or duplicates; '
     'got 1, 2, 4, 5, 6 (3 is missing; institution "x" has 6)'),
    ([("a", 1), ("b", 2), ("c", 2), ("d", 3), ("e", 4)],
     'district "鼓楼区": district_rank: ranks must be 1…5 without gaps or duplicates; '
     'got 1, 2, 2, 3, 4 (institutions "b" and "c" both have 2)'),
    ([("a", 0), ("b", 1)],
     'district "鼓楼区": district_rank: ranks must be 1…2 without gaps or duplicates; '
     'got 0, 1 (institution "a" has 0)'),
])
def test_district_groups_bad_ranks_name_the_district_and_institution(ranks, message):
    with pytest.raises(RankingError) as caught:
        district_groups("鼓楼区", ranks)
    assert str(caught.value) == message


@given(st.permutations(range(1, 30)))
def test_district_groups_group_sizes_match_the_split(ranks):
    sizes, groups = district_groups("d", [(f"i{r:02d}", r) for r in ranks])
    assert sizes == district_split(len(ranks))
    assert [groups[f"i{r:02d}"] for r in range(1, len(ranks) + 1)] == (
        [Group.A] * sizes.a + [Group.B] * sizes.b + [Group.C] * sizes.c
    )
