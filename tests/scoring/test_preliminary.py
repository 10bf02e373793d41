"""R3 (a claim not supported is not scored) and R4 (the district split, its groups and the
checks of the ranking) as pure rules: every example of docs/rules.md plus the invariants."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    Claim,
    Group,
    GroupSizes,
    RankingError,
    RankingProblem,
    claim_reviewed,
    district_groups,
    district_split,
    group_of_rank,
    out_of_score_order,
    preliminary_score,
    rank_groups,
    ranking_problems,
    score_order,
    tie_groups,
    unexplained_inversions,
)

D = Decimal


def test_preliminary_score_sums_supported_claims_only():
    claims = [Claim(D(10), True, D("8.5")), Claim(D(20), False, D(15)),
              Claim(D(5), None, None), Claim(D(5), True, D(5))]
    assert preliminary_score(claims) == D("13.5")


def test_preliminary_score_refuses_a_score_above_the_points():
    with pytest.raises(ValueError):
        preliminary_score([Claim(D(10), True, D("10.01"))])


def test_claim_reviewed_needs_a_score_when_supported():
    assert [claim_reviewed(c) for c in (Claim(D(10), None, None), Claim(D(10), True, None),
                                        Claim(D(10), True, D(0)), Claim(D(10), False, None))] \
        == [False, False, True, True]


def test_score_order_best_first_unscored_last_ties_keep_given_order():
    scores = {"a": D(70), "b": None, "c": D(90), "d": D(70)}
    assert score_order(scores) == ["c", "a", "d", "b"]


def test_tie_groups_lists_equal_scores_highest_first():
    scores = {"a": D(70), "b": D(80), "c": D(70), "d": D(80), "e": D(60), "f": None, "g": None}
    assert tie_groups(scores) == [(D(80), ["b", "d"]), (D(70), ["a", "c"])]


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


@pytest.mark.parametrize(("n", "sizes"), [
    (1, (1, 0, 0)), (2, (1, 1, 0)), (3, (2, 1, 0)), (4, (2, 2, 0)), (5, (2, 2, 1)),
    (7, (3, 3, 1)), (10, (5, 4, 1)), (11, (6, 4, 1)), (15, (7, 6, 2)),
])
def test_rank_groups_have_the_r4_sizes(n, sizes):
    groups = list(rank_groups([f"i{k}" for k in range(n)]).values())
    assert (groups.count(Group.A), groups.count(Group.B), groups.count(Group.C)) == sizes
    # and in rank order: A first, then B, then C
    assert groups == sorted(groups)


def test_group_of_rank_outside_the_district_is_an_error():
    with pytest.raises(ValueError):
        group_of_rank(6, district_split(5))


def test_a_move_against_the_scores_needs_a_reason():
    scores = {"a": D(90), "b": D(80), "c": D(70)}
    order = ["a", "c", "b"]  # c moved above b
    assert unexplained_inversions(order, scores, {}) == [("c", "b")]
    assert unexplained_inversions(order, scores, {"c": "通过现场考察核实"}) == []
    # the reason may be written for either of the two
    assert unexplained_inversions(order, scores, {"b": "材料存疑"}) == []
    assert unexplained_inversions(order, scores, {"c": "   "}) == [("c", "b")]


def test_out_of_score_order_names_both_sides_of_an_inversion():
    scores = {"a": D(90), "b": D(80), "c": D(70), "d": D(60)}
    assert out_of_score_order(["a", "c", "b", "d"], scores) == {"b", "c"}
    assert out_of_score_order(["d", "a", "b", "c"], scores) == {"a", "b", "c", "d"}
    assert out_of_score_order(["a", "b", "c", "d"], scores) == set()


def test_ranking_problems_lists_every_kind():
    scores = {"a": D(90), "b": D(80), "c": D(80), "d": None}
    problems = ranking_problems(["b", "a", "c"], scores, {}, {})
    assert problems == [
        RankingProblem("unscored", ("d",)),
        RankingProblem("unranked", ("d",)),
        RankingProblem("unexplained", ("b", "a")),
        RankingProblem("tie", ("b", "c")),
    ]


def test_ranking_problems_none_when_complete_and_confirmed():
    scores = {"a": D(90), "b": D(80), "c": D(80)}
    order = ["a", "c", "b"]
    assert ranking_problems(order, scores, {}, {"b": True, "c": True},
                            groups=rank_groups(order)) == []


def test_ranking_problems_refuses_groups_of_the_wrong_sizes():
    scores = {"a": D(90), "b": D(80), "c": D(70)}
    order = ["a", "b", "c"]
    groups = {"a": Group.A, "b": Group.A, "c": Group.B}  # R4 for 3 is (2, 1, 0): right
    assert ranking_problems(order, scores, {}, {}, groups=groups) == []
    groups = {"a": Group.A, "b": Group.B, "c": Group.C}  # (1, 1, 1): wrong
    assert ranking_problems(order, scores, {}, {}, groups=groups) == [
        RankingProblem("sizes", ("b", "c"))]


scores_st = st.dictionaries(st.integers(0, 400), st.decimals(0, 100, places=1), max_size=40)


@given(scores_st, st.randoms(use_true_random=False))
def test_property_no_reason_is_needed_in_score_order(scores, rnd):
    order = score_order(scores)
    assert unexplained_inversions(order, scores, {}) == []
    assert out_of_score_order(order, scores) == set()


@given(scores_st, st.randoms(use_true_random=False))
def test_property_reasons_on_every_moved_institution_explain_the_order(scores, rnd):
    order = list(scores)
    rnd.shuffle(order)
    moved = out_of_score_order(order, scores)
    assert unexplained_inversions(order, scores, {pid: "理由" for pid in moved}) == []
    # and unexplained pairs are always among the moved
    assert {pid for pair in unexplained_inversions(order, scores, {}) for pid in pair} <= moved


@given(st.integers(0, 300))
def test_property_rank_groups_sum_to_n_and_follow_the_ranks(n):
    groups = rank_groups(list(range(n)))
    sizes = district_split(n)
    assert [groups[k] for k in range(n)] == (
        [Group.A] * sizes.a + [Group.B] * sizes.b + [Group.C] * sizes.c)
