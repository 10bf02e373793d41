"""A whole cycle (R4–R9, R12) through run_cycle, and R9 / R12 on their own."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    TIERS,
    Checks,
    CityQuotas,
    Final,
    Group,
    GroupSizes,
    MissingPanelScore,
    Participant,
    SpotVerdict,
    Verdict,
    city_quotas,
    deregistrations,
    publication_checks,
    run_cycle,
    spot_check_draw,
)

D = Decimal


def _district(name, scores, extra=None):
    """Participants of one district ranked in the order given (None: no panel score), with
    ``extra`` fields by rank."""
    extra = extra or {}
    return [
        Participant(id=f"{name}{rank}", district=name, district_rank=rank,
                    panel_score=None if score is None else D(score), **extra.get(rank, {}))
        for rank, score in enumerate(scores, start=1)
    ]


def test_run_cycle_ten_participants_in_one_district():
    # n = 10 → A 5, B 4, C 1; N = 10 → E 1, G 2, F 1, S 1.
    people = _district("d", [95, 90, 85, 80, 75, None, None, None, None, 40],
                       {2: {"reverify": Verdict.NOT_CONFIRMED},
                        10: {"previous_final": Final.UNQUALIFIED}})
    result = run_cycle(people, spot_check_seed="s", alternates=1)
    assert result.quotas == CityQuotas(N=10, E=1, G=2, K=30, F=1, S=1)
    assert result.districts == (("d", GroupSizes(5, 4, 1)),)
    assert result.reverification_list == ("d1", "d2", "d3", "d4")
    assert result.alternates == ("d4",)
    assert {i: f for i, f in result.finals.items() if f != Final.QUALIFIED} == {
        "d1": Final.EXCELLENT, "d3": Final.GOOD, "d4": Final.GOOD, "d10": Final.UNQUALIFIED}
    assert result.spot_check_sample == spot_check_draw(["d6", "d7", "d8", "d9"], 1, "s")
    assert result.deregistered == ("d10",)
    assert result.checks == Checks(failures=())


def test_run_cycle_fraud_in_b_is_unqualified_and_still_a_spot_check_candidate():
    people = _district("d", [90, 80, None, None], {3: {"fraud": True}})
    result = run_cycle(people, spot_check_seed="x")
    assert result.preliminary == {"d1": Group.A, "d2": Group.A, "d3": Group.B, "d4": Group.B}
    assert (result.finals["d3"], result.finals["d4"]) == (Final.UNQUALIFIED, Final.QUALIFIED)
    assert result.spot_check_sample == spot_check_draw(["d3", "d4"], 1, "x")


def test_run_cycle_drawn_poor_in_b_is_unqualified():
    people = _district("d", [90, 80, None, None],
                       {3: {"spot_check": SpotVerdict.POOR}, 4: {"spot_check": SpotVerdict.POOR}})
    result = run_cycle(people, spot_check_seed="x")
    (drawn,) = result.spot_check_sample
    undrawn = ({"d3", "d4"} - {drawn}).pop()
    assert (result.finals[drawn], result.finals[undrawn]) == (Final.UNQUALIFIED, Final.QUALIFIED)


def test_run_cycle_too_few_unqualified_fails_the_r9_check():
    # Three districts of 3: no group C anywhere, so nobody can be made 不合格 by the panel.
    people = [p for name in "xyz" for p in _district(name, [90 - ord(name), 80 - ord(name),
                                                             None])]
    result = run_cycle(people, spot_check_seed="x")
    assert result.quotas == CityQuotas(N=9, E=0, G=2, K=30, F=1, S=1)
    assert result.checks.failures == ("0 unqualified are fewer than the minimum F = 1",)
    assert result.checks.passed is False


def test_run_cycle_missing_panel_score_names_institution_and_group():
    with pytest.raises(MissingPanelScore) as caught:
        run_cycle(_district("d", [90, None, None, None, None]), spot_check_seed="x")
    assert (caught.value.institution_id, caught.value.group) == ("d2", Group.A)


def test_publication_checks_state_every_failure_with_its_numbers():
    quotas = CityQuotas(N=100, E=1, G=1, K=1, F=3, S=3)
    finals = [Final.EXCELLENT] * 2 + [Final.GOOD] * 2 + [Final.UNQUALIFIED]
    assert publication_checks(finals, quotas) == Checks(failures=(
        "2 excellent exceed the E = 1 excellent places",
        "2 good exceed the G = 1 good places",
        "2 excellent + 2 good = 4 exceed the cap K = 1",
        "1 unqualified are fewer than the minimum F = 3",
    ))


def test_publication_checks_pass_at_the_limits():
    quotas = CityQuotas(N=100, E=8, G=22, K=30, F=3, S=3)
    finals = [Final.EXCELLENT] * 8 + [Final.GOOD] * 22 + [Final.UNQUALIFIED] * 3
    assert publication_checks(finals, quotas) == Checks(failures=())


def test_deregistrations_need_unqualified_twice_sorted_by_id():
    finals = {"b": Final.UNQUALIFIED, "a": Final.UNQUALIFIED, "c": Final.QUALIFIED,
              "d": Final.UNQUALIFIED}
    previous = {"b": Final.UNQUALIFIED, "a": Final.UNQUALIFIED, "c": Final.UNQUALIFIED,
                "d": Final.GOOD}
    assert deregistrations(finals, previous) == ("a", "b")


@st.composite
def cycles(draw):
    sizes = draw(st.lists(st.integers(1, 15), min_size=1, max_size=6))
    total = sum(sizes)
    # Distinct scores: no tie can block, so every drawn cycle must complete.
    scores = draw(st.lists(st.integers(0, 10000), min_size=total, max_size=total, unique=True))
    people = []
    for d, size in enumerate(sizes):
        ranks = draw(st.permutations(range(1, size + 1)))
        for rank in ranks:
            people.append(Participant(
                id=f"{d:02d}-{rank:03d}", district=f"district {d}", district_rank=rank,
                panel_score=D(scores.pop()).scaleb(-2),
                reverify=draw(st.sampled_from(list(Verdict))),
                spot_check=draw(st.sampled_from(list(SpotVerdict))),
                fraud=draw(st.integers(0, 9)) == 0,
            ))
    return people, draw(st.integers(0, 3)), draw(st.text(max_size=5))


@given(cycles())
def test_run_cycle_invariants(cycle):
    people, alternates, seed = cycle
    result = run_cycle(people, spot_check_seed=seed, alternates=alternates)
    q = result.quotas
    groups = result.preliminary
    a_size = sum(1 for g in groups.values() if g == Group.A)
    b_members = {i for i, g in groups.items() if g == Group.B}
    assert list(result.finals) == [p.id for p in people]
    assert all(final in TIERS for final in result.finals.values())
    tiers = list(result.finals.values())
    assert tiers.count(Final.EXCELLENT) <= q.E and tiers.count(Final.GOOD) <= q.G
    assert q == city_quotas(len(people), b_size=len(b_members))
    assert sum(s.n for _, s in result.districts) == q.N == len(people)
    assert len(result.reverification_list) <= min(q.E + q.G, a_size) + alternates
    assert len(set(result.spot_check_sample)) == q.S
    assert set(result.spot_check_sample) <= b_members
    assert all(result.finals[p.id] == Final.UNQUALIFIED for p in people if p.fraud)
