"""R13 policy parameters: defaults, overrides by name, validation."""
import pytest

from scoring import DEFAULT_POLICY, PolicyError, PolicyParams


def test_policy_params_defaults_are_the_policys_numbers():
    assert PolicyParams() == PolicyParams(
        district_shares=(50, 40, 10), excellent_share=10, good_share=25, top_tier_cap=30,
        fail_min_share=3, spot_check_share=3, trim_from_scores=5, notice_working_days=5,
        reward_cap_yuan=5_000_000, cohort_min_age_years=2,
    )
    assert DEFAULT_POLICY == PolicyParams()


def test_policy_params_from_overrides_applies_names_and_keeps_shares_a_tuple():
    params = PolicyParams.from_overrides({"district_shares": [60, 30, 10], "top_tier_cap": 25})
    assert (params.district_shares, params.top_tier_cap, params.good_share) == (
        (60, 30, 10), 25, 25)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"bonus": 1}, "bonus: unknown parameter (known: district_shares, excellent_share, "
                   "good_share, top_tier_cap, fail_min_share, spot_check_share, "
                   "trim_from_scores, notice_working_days, reward_cap_yuan, "
                   "cohort_min_age_years, panel_size, panel_alternates, min_panel_scores)"),
    ({"district_shares": [50, 40, 20]},
     "district_shares: must be 3 non-negative integers summing to 100, got [50, 40, 20]"),
    ({"district_shares": [50, 50]},
     "district_shares: must be 3 non-negative integers summing to 100, got [50, 50]"),
    ({"district_shares": [110, -10, 0]},
     "district_shares: must be 3 non-negative integers summing to 100, got [110, -10, 0]"),
    ({"district_shares": "50/40/10"},
     'district_shares: must be 3 non-negative integers summing to 100, got "50/40/10"'),
    ({"excellent_share": "10"}, 'excellent_share: must be an integer, got "10"'),
    ({"good_share": True}, "good_share: must be an integer, got true"),
    ({"spot_check_share": 101}, "spot_check_share: must be 0–100, got 101"),
    ({"trim_from_scores": 2}, "trim_from_scores: must be at least 3, got 2"),
    ({"top_tier_cap": -1}, "top_tier_cap: must be at least 0, got -1"),
])
def test_policy_params_from_overrides_refuses_bad_values(overrides, message):
    with pytest.raises(PolicyError) as caught:
        PolicyParams.from_overrides(overrides)
    assert str(caught.value) == message


def test_policy_params_are_frozen():
    with pytest.raises(AttributeError):
        DEFAULT_POLICY.top_tier_cap = 40
