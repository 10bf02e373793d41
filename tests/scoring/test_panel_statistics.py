"""R6 for the organiser's console: the statistics of one institution's scores, disagreement
and each expert's calibration against the panel scores."""
import math
import statistics
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    disagreement,
    expert_calibration,
    panel_score,
    panel_statistics,
    round_half_up,
)

D = Decimal


def test_panel_statistics_of_five_scores():
    stats = panel_statistics([D(70), D(80), D(85), D("90.5"), D(100)])
    assert (stats.n, stats.mean, stats.minimum, stats.maximum) == (
        5, Fraction(851, 10), Fraction(70), Fraction(100))
    assert stats.panel_score == D("85.17")  # (80 + 85 + 90.5) / 3, trimmed (R6)
    assert (stats.mean_shown, stats.spread) == (D("85.10"), 30)
    # The sample standard deviation (n − 1).
    assert stats.stdev == pytest.approx(statistics.stdev([70, 80, 85, 90.5, 100]))


def test_panel_statistics_mean_is_exact_and_shown_half_up():
    # 84.125 exactly: half a cent rounds up, with no binary rounding on the way.
    stats = panel_statistics([D("84.125"), D("84.125")])
    assert (stats.mean, stats.mean_shown, stats.stdev) == (Fraction(673, 8), D("84.13"), 0.0)


def test_panel_statistics_single_score_has_no_deviation():
    assert panel_statistics([60]).stdev is None


def test_panel_statistics_trim_from_parameter():
    assert panel_statistics([0, 50, 100], trim_from=3).panel_score == D("50.00")


def test_panel_statistics_refuses_floats_and_out_of_range():
    with pytest.raises(TypeError):
        panel_statistics([80.5])
    with pytest.raises(ValueError):
        panel_statistics([101])
    with pytest.raises(ValueError):
        panel_statistics([])


def test_disagreement_is_spread_strictly_above_the_threshold():
    assert disagreement([60, 80], 20) is False
    assert disagreement([60, D("80.01")], 20) is True
    assert disagreement([75], 0) is False


def test_expert_calibration_positive_lenient_negative_strict():
    scores = {
        "E1": {"a": 90, "b": D("82.5")},
        "E2": {"a": 70, "b": 60},
        "E3": {"z": 50},  # no panel score yet: left out
    }
    assert expert_calibration(scores, {"a": D("80.00"), "b": D("75.00")}) == {
        "E1": Fraction(35, 4),  # (10 + 7.5) / 2
        "E2": Fraction(-25, 2),  # (−10 − 15) / 2
    }


@given(st.lists(st.decimals(0, 100, places=2), min_size=1, max_size=12))
def test_panel_statistics_agree_with_their_definitions(scores):
    stats = panel_statistics(scores)
    exact = [Fraction(s) for s in scores]
    assert stats.n == len(scores)
    assert stats.mean == sum(exact) / len(exact)
    assert (stats.minimum, stats.maximum) == (min(exact), max(exact))
    assert stats.panel_score == panel_score(scores)
    assert stats.minimum <= stats.mean <= stats.maximum
    if len(scores) > 1:
        assert math.isclose(stats.stdev, statistics.stdev(exact), rel_tol=1e-9, abs_tol=1e-9)


_SCORES = st.one_of(st.decimals(0, 100, places=2), st.integers(0, 100),
                    st.fractions(0, 100, max_denominator=40))


@given(st.lists(_SCORES, min_size=1, max_size=12), st.integers(3, 7))
def test_panel_statistics_are_exactly_their_definitions(scores, trim_from):
    # Computed once in integers over a common denominator: the very values of the definitions
    # in fractions, the deviation the same float.
    stats = panel_statistics(scores, trim_from)
    exact = [Fraction(s) for s in scores]
    mean = sum(exact, Fraction(0)) / len(exact)
    assert (type(stats.mean), type(stats.minimum), type(stats.maximum)) == (Fraction,) * 3
    assert stats.mean == mean
    if len(exact) > 1:
        variance = sum(((v - mean) ** 2 for v in exact), Fraction(0)) / (len(exact) - 1)
        assert stats.stdev == math.sqrt(variance)
    else:
        assert stats.stdev is None
    kept = sorted(exact)[1:-1] if len(exact) >= trim_from else exact
    shown = stats.panel_score
    assert str(shown) == str(round_half_up(sum(kept, Fraction(0)) / len(kept)))
    assert str(shown) == str(panel_score(scores, trim_from))


@given(st.lists(_SCORES, min_size=1, max_size=12), st.integers(0, 40))
def test_the_statistics_disagreement_is_disagreement(scores, threshold):
    assert panel_statistics(scores).disagreement(threshold) is disagreement(scores, threshold)


@given(st.dictionaries(st.sampled_from("ABCDE"),
                       st.dictionaries(st.sampled_from("uvwxyz"), _SCORES, max_size=6),
                       max_size=5),
       st.dictionaries(st.sampled_from("uvwxyz"), st.decimals(0, 100, places=2), max_size=6))
def test_expert_calibration_is_the_exact_mean_gap(scores, panel_scores):
    expected = {}
    for expert, own in scores.items():
        gaps = [Fraction(s) - Fraction(panel_scores[i]) for i, s in own.items()
                if i in panel_scores]
        if gaps:
            expected[expert] = sum(gaps, Fraction(0)) / len(gaps)
    assert expert_calibration(scores, panel_scores) == expected


def test_expert_calibration_refuses_floats_and_out_of_range_scores():
    with pytest.raises(TypeError):
        expert_calibration({"E1": {"a": 80.5}}, {"a": D(80)})
    with pytest.raises(ValueError):
        expert_calibration({"E1": {"a": D(101)}}, {"a": D(80)})
    # A score of an institution with no panel score is not read.
    assert expert_calibration({"E1": {"z": 80.5}}, {"a": D(80)}) == {}
