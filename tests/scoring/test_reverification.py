"""R7 re-verification of group A (with R8 vacancies) and the spot check of group B."""
import random
from decimal import Decimal
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    BlockingTie,
    Final,
    MissingVerdict,
    SpotVerdict,
    TieLine,
    Verdict,
    panel_order,
    reverification_list,
    settle_group_a,
    settle_group_b,
    spot_check_draw,
)

D = Decimal
C, N, P = Verdict.CONFIRMED, Verdict.NOT_CONFIRMED, Verdict.POOR


def _a(scores, tiebreak=()):
    return panel_order({i: D(s) for i, s in scores.items()}, tiebreak)


def test_reverification_list_is_the_top_e_plus_g():
    order = _a({"a": 90, "b": 80, "c": 70, "d": 60})
    assert reverification_list(order, excellent_places=1, good_places=2) == ("a", "b", "c")
    assert reverification_list(order, excellent_places=4, good_places=5) == ("a", "b", "c", "d")


def test_settle_group_a_first_e_confirmed_excellent_next_g_good():
    order = _a({"a": 90, "b": 80, "c": 70, "d": 60, "e": 50})
    outcome = settle_group_a(order, excellent_places=1, good_places=3,
                             verdicts={"a": N, "b": C, "c": P, "d": C, "e": C})
    assert outcome.listed == ("a", "b", "c", "d")
    assert (outcome.excellent, outcome.good, outcome.alternates) == (("b",), ("d",), ())
    assert outcome.finals == {"a": Final.QUALIFIED, "b": Final.EXCELLENT,
                              "c": Final.UNQUALIFIED, "d": Final.GOOD, "e": Final.QUALIFIED}


def test_settle_group_a_alternates_fill_vacancies_and_a_failed_one_leaves_it_open():
    order = _a({"a": 90, "b": 80, "c": 70, "d": 60, "e": 50, "f": 40})
    verdicts = {"a": C, "b": P, "c": P, "d": N, "e": C, "f": C}
    outcome = settle_group_a(order, excellent_places=1, good_places=2, verdicts=verdicts,
                             alternates_allowed=5)
    # b and c leave two places; d joins and fails, e fills one, f fills the other.
    assert outcome.reverification_list == ("a", "b", "c", "d", "e", "f")
    assert (outcome.excellent, outcome.good) == (("a",), ("e", "f"))
    assert outcome.finals["d"] == Final.QUALIFIED


def test_settle_group_a_alternates_stop_at_the_number_allowed():
    order = _a({"a": 90, "b": 80, "c": 70, "d": 60})
    outcome = settle_group_a(order, excellent_places=0, good_places=2,
                             verdicts={"a": P, "b": P, "c": C, "d": C}, alternates_allowed=1)
    assert (outcome.alternates, outcome.good) == (("c",), ("c",))
    assert outcome.finals == {"a": Final.UNQUALIFIED, "b": Final.UNQUALIFIED,
                              "c": Final.GOOD, "d": Final.QUALIFIED}


def test_settle_group_a_fraud_keeps_its_place_on_the_list_as_a_vacancy():
    order = _a({"a": 90, "b": 80, "c": 70})
    outcome = settle_group_a(order, excellent_places=1, good_places=1, fraud={"a", "c"},
                             verdicts={"a": C, "b": C, "c": C}, alternates_allowed=1)
    assert outcome.reverification_list == ("a", "b", "c")
    assert (outcome.excellent, outcome.good) == (("b",), ())
    assert outcome.finals == {"a": Final.UNQUALIFIED, "b": Final.EXCELLENT,
                              "c": Final.UNQUALIFIED}


def test_settle_group_a_missing_verdict_names_the_institution():
    order = _a({"a": 90, "b": 80})
    with pytest.raises(MissingVerdict) as caught:
        settle_group_a(order, excellent_places=1, good_places=1, verdicts={"a": C})
    assert caught.value.institution_id == "b"


def test_settle_group_a_tie_on_the_list_line_blocks_until_ordered():
    scores = {"a": 90, "b": 80, "c": 80}
    verdicts = {"a": C, "b": C, "c": C}
    with pytest.raises(BlockingTie) as caught:
        settle_group_a(_a(scores), excellent_places=1, good_places=1, verdicts=verdicts)
    assert (caught.value.line, caught.value.ids) == (TieLine.LIST, ("b", "c"))
    outcome = settle_group_a(_a(scores, ["c", "b"]), excellent_places=1, good_places=1,
                             verdicts=verdicts)
    assert outcome.good == ("c",)


def test_settle_group_a_tie_on_the_e_line_among_the_confirmed_blocks():
    with pytest.raises(BlockingTie) as caught:
        settle_group_a(_a({"a": 80, "b": 80}), excellent_places=1, good_places=1,
                       verdicts={"a": C, "b": C})
    assert (caught.value.line, caught.value.ids) == (TieLine.EXCELLENT, ("a", "b"))


def test_settle_group_a_tie_across_the_alternates_line_blocks():
    with pytest.raises(BlockingTie) as caught:
        settle_group_a(_a({"a": 90, "b": 80, "c": 80}), excellent_places=0, good_places=1,
                       verdicts={"a": P, "b": C, "c": C}, alternates_allowed=1)
    assert (caught.value.line, caught.value.ids) == (TieLine.ALTERNATES, ("b", "c"))


def test_settle_group_a_tied_alternates_whose_order_decides_who_joins_block():
    # One vacancy; b fails and c fills it. Had c come first, b would never have joined.
    with pytest.raises(BlockingTie) as caught:
        settle_group_a(_a({"a": 90, "b": 80, "c": 80}), excellent_places=0, good_places=1,
                       verdicts={"a": P, "b": P, "c": C}, alternates_allowed=2)
    assert (caught.value.line, caught.value.ids) == (TieLine.ALTERNATES, ("b", "c"))
    outcome = settle_group_a(_a({"a": 90, "b": 80, "c": 80}, ["b", "c"]), excellent_places=0,
                             good_places=1, verdicts={"a": P, "b": P, "c": C},
                             alternates_allowed=2)
    assert outcome.alternates == ("b", "c")


def _naive(order_ids, E, G, verdicts, fraud, m):
    """R7 on one concrete order, written as plainly as possible."""
    size = min(E + G, len(order_ids))
    listed = list(order_ids[:size])

    def fills(i):
        return i not in fraud and verdicts[i] == C

    vacancies = sum(not fills(i) for i in listed)
    joined = []
    for i in order_ids[size:]:
        if vacancies == 0 or len(joined) == m:
            break
        joined.append(i)
        vacancies -= fills(i)
    confirmed = [i for i in listed + joined if fills(i)]
    finals = {}
    for i in order_ids:
        if i in fraud or (i in listed + joined and verdicts[i] == P):
            finals[i] = Final.UNQUALIFIED
        elif i in confirmed[:E]:
            finals[i] = Final.EXCELLENT
        elif i in confirmed[E:E + G]:
            finals[i] = Final.GOOD
        else:
            finals[i] = Final.QUALIFIED
    return frozenset(listed), frozenset(joined), frozenset(finals.items())


def _admissible(order):
    score = dict(zip(order.ids, order.scores, strict=True))
    rank = {i: p for p, i in enumerate(order.ids)}
    listed = {i for i, flag in zip(order.ids, order.listed, strict=True) if flag}
    for perm in permutations(order.ids):
        if all(score[x] > score[y] or (score[x] == score[y] and not (
                x in listed and y in listed and rank[x] > rank[y]))
               for k, x in enumerate(perm) for y in perm[k + 1:]):
            yield perm


ids = st.lists(st.sampled_from("abcdef"), min_size=1, max_size=6, unique=True)


@settings(max_examples=600)
@given(data=st.data(), members=ids, E=st.integers(0, 2), G=st.integers(0, 2),
       m=st.integers(0, 3))
def test_settle_group_a_blocks_iff_the_order_of_still_equal_members_matters(
        data, members, E, G, m):
    # Two score values only: ties everywhere, across every line.
    scores = {i: data.draw(st.sampled_from([D(80), D(90)])) for i in members}
    verdicts = {i: data.draw(st.sampled_from([C, N, P])) for i in members}
    fraud = data.draw(st.sets(st.sampled_from(members)))
    tiebreak = data.draw(st.lists(st.sampled_from(members), unique=True))
    order = panel_order(scores, tiebreak)
    outcomes = {_naive(perm, E, G, verdicts, fraud, m) for perm in _admissible(order)}
    try:
        outcome = settle_group_a(order, excellent_places=E, good_places=G, verdicts=verdicts,
                                 fraud=fraud, alternates_allowed=m)
    except BlockingTie:
        assert len(outcomes) > 1
        return
    assert outcomes == {(frozenset(outcome.listed), frozenset(outcome.alternates),
                         frozenset(outcome.finals.items()))}
    # Invariants of R6/R7/R9 on every outcome.
    assert len(outcome.excellent) <= E and len(outcome.good) <= G
    assert len(outcome.reverification_list) <= min(E + G, len(members)) + m
    assert set(outcome.finals) == set(members)


@settings(max_examples=300)
@given(data=st.data(), places=st.integers(1, 3), waiting=st.integers(1, 4),
       m=st.integers(1, 4))
def test_settle_group_a_tied_alternates_block_iff_the_order_matters(data, places, waiting, m):
    # The list has distinct scores; everyone beyond it is tied, so only the alternates'
    # order is open.
    listed = [f"l{k}" for k in range(places)]
    beyond = [f"w{k}" for k in range(waiting)]
    scores = {i: D(90 - k) for k, i in enumerate(listed)} | {i: D(50) for i in beyond}
    verdicts = {i: data.draw(st.sampled_from([C, N, P])) for i in listed + beyond}
    fraud = data.draw(st.sets(st.sampled_from(listed + beyond), max_size=2))
    tiebreak = data.draw(st.lists(st.sampled_from(beyond), unique=True))
    order = panel_order(scores, tiebreak)
    outcomes = {_naive(perm, 0, places, verdicts, fraud, m) for perm in _admissible(order)}
    try:
        outcome = settle_group_a(order, excellent_places=0, good_places=places,
                                 verdicts=verdicts, fraud=fraud, alternates_allowed=m)
    except BlockingTie as tie:
        assert tie.line == TieLine.ALTERNATES and len(outcomes) > 1
        return
    assert outcomes == {(frozenset(outcome.listed), frozenset(outcome.alternates),
                         frozenset(outcome.finals.items()))}


def test_spot_check_draw_is_random_sample_of_sorted_ids():
    candidates = ["913203c", "913203a", "913203d", "913203b", "913203e"]
    assert spot_check_draw(candidates, 2, "2025-xz-01") == tuple(
        random.Random("2025-xz-01").sample(sorted(candidates), 2))


def test_spot_check_draw_does_not_depend_on_candidate_order():
    assert spot_check_draw("edcba", 3, "s") == spot_check_draw("abcde", 3, "s")


def test_spot_check_draw_refuses_a_seed_that_is_not_a_string():
    with pytest.raises(TypeError):
        spot_check_draw(["a"], 1, 2025)


@given(candidates=st.sets(st.text(min_size=1, max_size=8), max_size=40), seed=st.text(),
       data=st.data())
def test_spot_check_draw_is_reproducible_distinct_members_of_b(candidates, seed, data):
    size = data.draw(st.integers(0, len(candidates)))
    drawn = spot_check_draw(candidates, size, seed)
    assert drawn == spot_check_draw(list(candidates), size, seed)
    assert drawn == tuple(random.Random(seed).sample(sorted(candidates), size))
    assert len(set(drawn)) == size and set(drawn) <= candidates


def test_settle_group_b_only_drawn_poor_and_fraud_are_unqualified():
    members = ["a", "b", "c", "d"]
    sample = spot_check_draw(members, 2, "seed")
    verdicts = {i: SpotVerdict.POOR for i in members}
    outcome = settle_group_b(members, size=2, seed="seed", verdicts=verdicts, fraud={"a"})
    assert outcome.sample == sample
    assert outcome.finals == {
        i: Final.UNQUALIFIED if i in sample or i == "a" else Final.QUALIFIED for i in members}


def test_settle_group_b_drawn_member_needs_a_verdict():
    with pytest.raises(MissingVerdict):
        settle_group_b(["a"], size=1, seed="s", verdicts={})
