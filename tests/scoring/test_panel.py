"""R6 panel scores, panel order, blocking ties and group C."""
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    BlockingTie,
    FailCountError,
    Final,
    TieLine,
    fail_count,
    panel_order,
    panel_score,
    round_half_up,
    settle_group_c,
)

D = Decimal


def test_panel_score_four_scores_are_not_trimmed():
    # (70 + 80 + 90 + 100) / 4
    assert panel_score([D(70), D(80), D(90), D(100)]) == D("85.00")


def test_panel_score_five_scores_drop_one_highest_and_one_lowest():
    # 0 and 100 are dropped: (80 + 85 + 90) / 3
    assert panel_score([D(0), D(80), D(85), D(90), D(100)]) == D("85.00")


def test_panel_score_trims_only_one_of_equal_extremes():
    # [60, 60, 70, 90, 90] → [60, 70, 90] → 73.333…
    assert panel_score([60, 60, 70, 90, 90]) == D("73.33")


def test_panel_score_half_up_at_exactly_half_a_cent():
    # mean 84.125 → 84.13
    assert panel_score([D("84"), D("84.25")]) == D("84.13")


def test_panel_score_just_below_half_a_cent_rounds_down():
    # mean 84.124999 → 84.12
    assert panel_score([D("84.124999")]) == D("84.12")
    assert panel_score([D("84.12"), D("84.129998")]) == D("84.12")


def test_panel_score_repeating_mean_is_computed_exactly():
    # 1/3 and 2/3 of a cent would drift in binary floating point.
    assert panel_score([D("80.00"), D("80.00"), D("80.01")]) == D("80.00")
    assert panel_score([D("80.00"), D("80.01"), D("80.01")]) == D("80.01")


def test_panel_score_trim_from_parameter():
    assert panel_score([D(0), D(50), D(100)], trim_from=3) == D("50.00")
    assert panel_score([D(0), D(50), D(100), D(100), D(100)], trim_from=6) == D("70.00")


def test_panel_score_keeps_two_decimals():
    assert str(panel_score([100])) == "100.00"
    assert str(panel_score([0])) == "0.00"


@pytest.mark.parametrize("bad", [[], [85.5], [True], [D(101)], [D(-1)]])
def test_panel_score_refuses_bad_scores(bad):
    with pytest.raises((TypeError, ValueError)):
        panel_score(bad)


def test_round_half_up_negative_values_round_away_from_zero():
    assert round_half_up(Fraction(-84125, 1000)) == D("-84.13")


@given(st.lists(st.decimals(0, 100, places=2), min_size=1, max_size=12))
def test_panel_score_equals_exact_mean_rounded_half_up(scores):
    kept = sorted(scores)[1:-1] if len(scores) >= 5 else scores
    mean = sum(kept) / len(kept)  # Decimal division: 28 digits are plenty for ≤ 12 scores
    assert panel_score(scores) == mean.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_panel_order_by_score_then_tiebreak_then_id():
    order = panel_order({"c": D(80), "a": D(80), "b": D(90), "d": D(80)}, ["d"])
    assert order.ids == ("b", "d", "a", "c")
    assert order.listed == (False, True, False, False)


def test_tie_across_line_inside_a_run_of_equal_scores():
    order = panel_order({"a": D(90), "b": D(80), "c": D(80), "d": D(70)})
    assert order.tie_across(1) == ()
    assert order.tie_across(2) == ("b", "c")
    assert order.tie_across(3) == ()


def test_tie_across_resolved_only_when_both_are_listed():
    scores = {"a": D(80), "b": D(80), "c": D(80)}
    assert panel_order(scores, ["b", "a"]).tie_across(1) == ("b", "a", "c")
    assert panel_order(scores, ["b", "a"]).tie_across(2) == ("b", "a", "c")
    assert panel_order(scores, ["c", "b", "a"]).tie_across(1) == ()
    assert panel_order(scores, ["c", "b", "a"]).tie_across(2) == ()


def test_check_line_raises_blocking_tie_with_line_ids_and_score():
    order = panel_order({"x": D("80.00"), "y": D("80.00")})
    with pytest.raises(BlockingTie) as caught:
        order.check_line(1, TieLine.LIST)
    assert (caught.value.line, caught.value.ids, caught.value.score) == (
        TieLine.LIST, ("x", "y"), D("80.00"))
    assert str(caught.value) == (
        'blocking tie at the E+G line in group A: "x", "y" have panel score 80.00')


def _admissible(order):
    """Every order of order.ids that the recorded tie-break allows: by score, and two
    institutions of equal score in a fixed order only when both are listed."""
    score = dict(zip(order.ids, order.scores, strict=True))
    rank = {i: p for p, i in enumerate(order.ids)}
    listed = {i for i, flag in zip(order.ids, order.listed, strict=True) if flag}
    for perm in permutations(order.ids):
        ok = all(
            score[x] > score[y] or (score[x] == score[y] and not (
                x in listed and y in listed and rank[x] > rank[y]))
            for k, x in enumerate(perm) for y in perm[k + 1:]
        )
        if ok:
            yield perm


small_scores = st.dictionaries(
    st.sampled_from("abcdef"), st.sampled_from([D(70), D(80), D(90)]), min_size=1)


@given(scores=small_scores, tiebreak=st.permutations("abcdef").map(list),
       cut=st.integers(0, 6), listed_count=st.integers(0, 6))
def test_tie_across_iff_some_admissible_order_changes_the_sides(scores, tiebreak, cut,
                                                                 listed_count):
    order = panel_order(scores, tiebreak[:listed_count])
    sides = {frozenset(perm[:cut]) for perm in _admissible(order)}
    assert bool(order.tie_across(cut)) == (len(sides) > 1)


def test_fail_count_defaults_to_f_and_is_capped_at_size_of_c():
    assert fail_count(3, None, 10) == 3
    assert fail_count(3, 5, 10) == 5
    assert fail_count(3, 5, 4) == 4
    assert fail_count(3, None, 2) == 2


def test_fail_count_fewer_than_f_is_refused():
    with pytest.raises(FailCountError) as caught:
        fail_count(3, 2, 10)
    assert str(caught.value) == (
        "2 is fewer than F = 3; the organiser may choose more than F, never fewer (R6)")


def test_settle_group_c_lowest_k_are_unqualified_and_fraud_too():
    order = panel_order({"a": D(70), "b": D(50), "c": D(60), "d": D(40)})
    outcome = settle_group_c(order, fail_minimum=1, chosen=2, fraud={"a"})
    assert outcome.unqualified == ("b", "d")
    assert outcome.finals == {"a": Final.UNQUALIFIED, "c": Final.QUALIFIED,
                              "b": Final.UNQUALIFIED, "d": Final.UNQUALIFIED}


def test_settle_group_c_tie_on_the_k_line_blocks():
    order = panel_order({"a": D(70), "b": D(50), "c": D(50)})
    with pytest.raises(BlockingTie) as caught:
        settle_group_c(order, fail_minimum=1)
    assert (caught.value.line, caught.value.ids) == (TieLine.FAIL, ("b", "c"))
    outcome = settle_group_c(panel_order({"a": D(70), "b": D(50), "c": D(50)}, ["c", "b"]),
                             fail_minimum=1)
    assert outcome.unqualified == ("b",)
