"""Properties of the results (R9) across random cycles: exactly one tier per participant, the
caps of R5 (#优秀 ≤ E, #优秀 + #良好 ≤ K), the spot-check sample reproducible from its seed and
the sorted candidates (R7), and every explanation ending in the engine's tier for a reason
that leads to it."""
import random
from collections import Counter
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    REASON_TIERS,
    TIERS,
    Final,
    Group,
    Participant,
    SpotVerdict,
    Step,
    Verdict,
    run_and_explain,
    spot_check_draw,
)


@st.composite
def cycles(draw):
    """A cycle of 1–6 districts of 1–20 participants with random verdicts, fraud, seed,
    alternates and chosen fail count. Either every panel score differs, or scores repeat and
    the tie-break order lists everyone (so that no tie can block)."""
    sizes = draw(st.lists(st.integers(1, 20), min_size=1, max_size=6))
    total = sum(sizes)
    distinct = draw(st.booleans())
    if distinct:
        scores = draw(st.lists(st.integers(0, 10000), min_size=total, max_size=total,
                               unique=True))
    else:
        scores = draw(st.lists(st.integers(0, 8), min_size=total, max_size=total))
    people = []
    for d, size in enumerate(sizes):
        for rank in draw(st.permutations(range(1, size + 1))):
            people.append(Participant(
                id=f"9132{d:02d}{rank:03d}", district=f"district {d}", district_rank=rank,
                panel_score=Decimal(scores.pop()).scaleb(-2),
                reverify=draw(st.sampled_from(list(Verdict))),
                spot_check=draw(st.sampled_from(list(SpotVerdict))),
                fraud=draw(st.integers(0, 9)) == 0,
            ))
    tiebreak = () if distinct else tuple(draw(st.permutations([p.id for p in people])))
    return {
        "participants": people,
        "spot_check_seed": draw(st.text(max_size=8)),
        "alternates": draw(st.integers(0, 4)),
        "panel_fail_count": draw(st.none() | st.integers(0, 6)),
        "panel_tiebreak": tiebreak,
    }


@settings(deadline=None)  # whole cycles: a loaded machine is slow, not wrong
@given(cycles())
def test_every_participant_has_exactly_one_tier_within_the_caps(cycle):
    result, _explained = run_and_explain(**cycle)
    people = cycle["participants"]
    assert list(result.finals) == [p.id for p in people]
    assert all(final in TIERS for final in result.finals.values())
    count = Counter(result.finals.values())
    q = result.quotas
    assert count[Final.EXCELLENT] <= q.E
    assert count[Final.GOOD] <= q.G
    assert count[Final.EXCELLENT] + count[Final.GOOD] <= q.K
    assert sum(count.values()) == q.N == len(people)


@settings(deadline=None)  # whole cycles: a loaded machine is slow, not wrong
@given(cycles())
def test_the_spot_sample_is_reproducible_from_its_seed_and_the_sorted_candidates(cycle):
    result, explained = run_and_explain(**cycle)
    candidates = sorted(i for i, g in result.preliminary.items() if g == Group.B)
    seed = cycle["spot_check_seed"]
    assert result.spot_check_sample == tuple(
        random.Random(seed).sample(candidates, result.quotas.S))
    assert result.spot_check_sample == spot_check_draw(reversed(candidates),
                                                       result.quotas.S, seed)
    # The explanations say the same: who was drawn, in which place of the draw, with the seed.
    # Fraud voids the spot check (R8): a fraudulent member of B, drawn or not, is explained
    # by its fraud alone.
    frauds = {p.id for p in cycle["participants"] if p.fraud}
    spot_steps = {i: s for i, steps in explained.items() for s in steps
                  if s["step"] == Step.SPOT_CHECK}
    assert set(spot_steps) == set(candidates) - frauds
    drawn = sorted((s["position"], i) for i, s in spot_steps.items() if s["drawn"])
    assert [i for _position, i in drawn] == [i for i in result.spot_check_sample
                                             if i not in frauds]
    assert {s["seed"] for s in spot_steps.values()} <= {seed}


@settings(deadline=None)  # whole cycles: a loaded machine is slow, not wrong
@given(cycles())
def test_every_explanation_ends_in_the_engines_tier_for_a_reason_that_gives_it(cycle):
    result, explained = run_and_explain(**cycle)
    assert list(explained) == list(result.finals)
    for institution_id, steps in explained.items():
        first, last = steps[0], steps[-1]
        assert first["step"] == Step.PRELIMINARY
        assert first["group"] == result.preliminary[institution_id]
        assert last["step"] == Step.TIER
        assert last["tier"] == result.finals[institution_id]
        assert REASON_TIERS[last["reason"]] == result.finals[institution_id]
        assert [s["step"] for s in steps].count(Step.TIER) == 1


@settings(deadline=None)  # whole cycles: a loaded machine is slow, not wrong
@given(cycles())
def test_the_explained_places_of_the_top_tiers_are_1_to_e_and_then_up_to_e_plus_g(cycle):
    result, explained = run_and_explain(**cycle)
    q = result.quotas
    tiers = [steps[-1] for steps in explained.values()]
    excellent = sorted(t["place"] for t in tiers if t["tier"] == Final.EXCELLENT)
    good = sorted(t["place"] for t in tiers if t["tier"] == Final.GOOD)
    assert excellent == list(range(1, len(excellent) + 1))
    assert good == list(range(q.E + 1, q.E + 1 + len(good)))
    assert not good or len(excellent) == q.E
