"""R5 city quotas: every example of docs/rules.md plus the invariants."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import CityQuotas, PolicyParams, city_quotas


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
