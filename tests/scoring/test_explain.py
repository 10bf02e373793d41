"""R9 every tier explained (scoring.explain): the chain of facts of each participant, built
from the examples of docs/rules.md (R4 n=10 → 5/4/1, R5 N=100 → E8 G22 F3 S3, R6 the k
lowest of C, R7 the list, its verdicts and alternates, the spot check, R8 fraud)."""
from dataclasses import replace
from decimal import Decimal

import pytest

from scoring import (
    REASON_TIERS,
    CityQuotas,
    ExplanationMismatch,
    Final,
    Participant,
    Reason,
    SpotVerdict,
    Step,
    Verdict,
    explain_cycle,
    run_and_explain,
    run_cycle,
    spot_check_draw,
)

D = Decimal


def _district(name, scores, extra=None):
    """Participants of one district ranked in the order given (None: no panel score)."""
    extra = extra or {}
    return [
        Participant(id=f"{name}{rank}", district=name, district_rank=rank,
                    panel_score=None if score is None else D(score), **extra.get(rank, {}))
        for rank, score in enumerate(scores, start=1)
    ]


def _prelim(group, district, rank, size):
    return {"step": "preliminary", "group": group, "district": district,
            "district_rank": rank, "district_size": size}


@pytest.fixture
def ten():
    """rules.md R4 n=10 → A 5, B 4, C 1; R5 N=10 → E1 G2 F1 S1. The second of the list is
    not confirmed and one alternate is allowed."""
    people = _district("d", [95, 90, 85, 80, 75, None, None, None, None, 40],
                       {2: {"reverify": Verdict.NOT_CONFIRMED}})
    result, explained = run_and_explain(people, spot_check_seed="s", alternates=1)
    return result, explained


def test_explain_the_first_confirmed_is_excellent_in_places_1_to_e(ten):
    result, explained = ten
    assert result.quotas == CityQuotas(N=10, E=1, G=2, K=30, F=1, S=1)
    assert explained["d1"] == (
        _prelim("A", "d", 1, 10),
        {"step": "panel", "group": "A", "score": "95.00", "place": 1, "of": 5},
        {"step": "list", "listed": True, "size": 3},
        {"step": "verdict", "verdict": "confirmed"},
        {"step": "tier", "tier": "excellent", "reason": "excellent_place", "place": 1,
         "first": 1, "last": 1},
    )


def test_explain_not_confirmed_on_the_list_is_qualified(ten):
    _result, explained = ten
    assert explained["d2"] == (
        _prelim("A", "d", 2, 10),
        {"step": "panel", "group": "A", "score": "90.00", "place": 2, "of": 5},
        {"step": "list", "listed": True, "size": 3},
        {"step": "verdict", "verdict": "not_confirmed"},
        {"step": "tier", "tier": "qualified", "reason": "not_confirmed"},
    )


def test_explain_the_next_confirmed_are_good_in_places_e_plus_1_to_e_plus_g(ten):
    _result, explained = ten
    assert explained["d3"][-1] == {"step": "tier", "tier": "good", "reason": "good_place",
                                   "place": 2, "first": 2, "last": 3}


def test_explain_an_alternate_joins_the_emptied_place_with_its_own_verdict(ten):
    _result, explained = ten
    assert explained["d4"] == (
        _prelim("A", "d", 4, 10),
        {"step": "panel", "group": "A", "score": "80.00", "place": 4, "of": 5},
        {"step": "list", "listed": False, "size": 3},
        {"step": "alternate", "joined": 1},
        {"step": "verdict", "verdict": "confirmed"},
        {"step": "tier", "tier": "good", "reason": "good_place", "place": 3, "first": 2,
         "last": 3},
    )


def test_explain_a_member_of_a_never_on_the_list_is_qualified(ten):
    _result, explained = ten
    assert explained["d5"] == (
        _prelim("A", "d", 5, 10),
        {"step": "panel", "group": "A", "score": "75.00", "place": 5, "of": 5},
        {"step": "list", "listed": False, "size": 3},
        {"step": "tier", "tier": "qualified", "reason": "not_listed"},
    )


def test_explain_group_b_drawn_or_not_with_the_seed(ten):
    result, explained = ten
    (drawn,) = spot_check_draw(["d6", "d7", "d8", "d9"], 1, "s")
    assert result.spot_check_sample == (drawn,)
    rank = int(drawn[1:])
    assert explained[drawn] == (
        _prelim("B", "d", rank, 10),
        {"step": "spot_check", "drawn": True, "seed": "s", "size": 1, "candidates": 4,
         "position": 1},
        {"step": "spot_verdict", "verdict": "confirmed"},
        {"step": "tier", "tier": "qualified", "reason": "spot_confirmed"},
    )
    undrawn = sorted({"d6", "d7", "d8", "d9"} - {drawn})[0]
    assert explained[undrawn] == (
        _prelim("B", "d", int(undrawn[1:]), 10),
        {"step": "spot_check", "drawn": False, "seed": "s", "size": 1, "candidates": 4},
        {"step": "tier", "tier": "qualified", "reason": "not_drawn"},
    )


def test_explain_group_c_lowest_k_counted_from_the_bottom(ten):
    _result, explained = ten
    assert explained["d10"] == (
        _prelim("C", "d", 10, 10),
        {"step": "panel", "group": "C", "score": "40.00", "place": 1, "from_bottom": 1,
         "of": 1},
        {"step": "tier", "tier": "unqualified", "reason": "fail_line", "fail_count": 1},
    )


def _hundred(extra=None, **run):
    """rules.md R5 N=100 → E8 G22 F3 S3, in one district of 100 (R4: A 50, B 40, C 10)."""
    scores = [D(9000 - 10 * k) / 100 for k in range(50)] + [None] * 40 \
        + [D(5000 - 100 * k) / 100 for k in range(10)]
    people = _district("g", scores, extra)
    return run_and_explain(people, spot_check_seed=run.pop("seed", "2025-xz-01"), **run)


def test_explain_n100_places_1_to_8_excellent_and_9_to_30_good():
    result, explained = _hundred()
    assert result.quotas == CityQuotas(N=100, E=8, G=22, K=30, F=3, S=3)
    tiers = {i: e[-1] for i, e in explained.items()}
    assert tiers["g8"] == {"step": "tier", "tier": "excellent", "reason": "excellent_place",
                           "place": 8, "first": 1, "last": 8}
    assert tiers["g9"] == {"step": "tier", "tier": "good", "reason": "good_place",
                           "place": 9, "first": 9, "last": 30}
    assert tiers["g31"] == {"step": "tier", "tier": "qualified", "reason": "not_listed"}
    # C counted from the bottom: the last of the district is the lowest of C.
    assert explained["g100"][1] == {"step": "panel", "group": "C", "score": "41.00",
                                    "place": 10, "from_bottom": 1, "of": 10}
    assert [tiers[f"g{r}"]["reason"] for r in (97, 98)] == ["above_fail_line", "fail_line"]


def test_explain_poor_on_the_list_is_unqualified_and_its_place_stays_empty():
    result, explained = _hundred({1: {"reverify": Verdict.POOR}})
    assert explained["g1"][-2:] == (
        {"step": "verdict", "verdict": "poor"},
        {"step": "tier", "tier": "unqualified", "reason": "poor"},
    )
    # Without alternates the others move up among the confirmed: g2 is the first of them.
    assert explained["g2"][-1]["place"] == 1
    assert explained["g9"][-1] == {"step": "tier", "tier": "excellent",
                                   "reason": "excellent_place", "place": 8, "first": 1,
                                   "last": 8}
    assert result.alternates == ()


def test_explain_chosen_fail_count_above_f_moves_the_line_and_below_f_counts_as_f():
    _result, explained = _hundred(panel_fail_count=5)
    assert explained["g96"][-1] == {"step": "tier", "tier": "unqualified",
                                    "reason": "fail_line", "fail_count": 5}
    _result, explained = _hundred(panel_fail_count=1)  # raised to F = 3 (R6)
    assert explained["g98"][-1]["fail_count"] == 3


def test_explain_fraud_is_unqualified_with_the_callers_facts_and_leaves_a_vacancy():
    people = _district("d", [95, 90, 85, 80, 75, None, None, None, None, 40],
                       {1: {"fraud": True}})
    result, explained = run_and_explain(
        people, spot_check_seed="s", alternates=1,
        frauds={"d1": {"credit_record": 17, "kind": "overstated"}})
    assert explained["d1"] == (
        _prelim("A", "d", 1, 10),
        {"step": "panel", "group": "A", "score": "95.00", "place": 1, "of": 5},
        {"step": "fraud", "credit_record": 17, "kind": "overstated"},
        {"step": "tier", "tier": "unqualified", "reason": "fraud"},
    )
    assert result.alternates == ("d4",)
    assert explained["d2"][-1]["reason"] == "excellent_place"
    assert [s["step"] for s in explained["d4"]] == [
        "preliminary", "panel", "list", "alternate", "verdict", "tier"]


def test_explain_drawn_poor_in_b_is_unqualified():
    people = _district("d", [90, 80, None, None],
                       {3: {"spot_check": SpotVerdict.POOR}, 4: {"spot_check": SpotVerdict.POOR}})
    result, explained = run_and_explain(people, spot_check_seed="x")
    (drawn,) = result.spot_check_sample
    assert explained[drawn][-2:] == (
        {"step": "spot_verdict", "verdict": "poor"},
        {"step": "tier", "tier": "unqualified", "reason": "spot_poor"},
    )


def test_explain_refuses_a_result_its_facts_do_not_give():
    # N=4: E0 G1, so the list is d1 alone and d2 (group A, not listed) is 合格.
    people = _district("d", [90, 80, None, None])
    result = run_cycle(people, spot_check_seed="x")
    forged = replace(result, finals={**result.finals, "d2": Final.EXCELLENT})
    with pytest.raises(ExplanationMismatch) as caught:
        explain_cycle(people, forged, spot_check_seed="x")
    assert (caught.value.institution_id, caught.value.reason, caught.value.tier) == (
        "d2", Reason.NOT_LISTED, Final.EXCELLENT)


def test_every_reason_leads_to_one_of_the_four_tiers_and_steps_are_named():
    assert set(REASON_TIERS) == set(Reason)
    assert set(REASON_TIERS.values()) == {Final.EXCELLENT, Final.GOOD, Final.QUALIFIED,
                                          Final.UNQUALIFIED}
    assert [s.value for s in Step] == ["preliminary", "panel", "list", "alternate", "verdict",
                                       "spot_check", "spot_verdict", "fraud", "tier"]
