"""R1 Cohort: every example of docs/rules.md and the reasons the web app shows."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import OutOfCohort, evaluated_period, in_cohort, out_of_cohort_reason


def test_in_cohort_filed_2023_first_evaluated_2025():
    assert in_cohort(2023, 2025) is True


def test_evaluated_period_covers_the_two_previous_years():
    assert evaluated_period(2025) == (2023, 2024)


@pytest.mark.parametrize(("filing_year", "reason"), [
    (2024, OutOfCohort.WRONG_PARITY),  # filed in Y − 1
    (2025, OutOfCohort.TOO_RECENT),  # filed in Y
    (2022, OutOfCohort.WRONG_PARITY),  # even-year filing, odd-year cycle (Art 5)
    (2027, OutOfCohort.TOO_RECENT),
])
def test_out_of_cohort_reason_for_filings_outside_the_cycle(filing_year, reason):
    assert out_of_cohort_reason(filing_year, 2025) == reason
    assert in_cohort(filing_year, 2025) is False


def test_in_cohort_filings_of_earlier_cycles_stay_in():
    assert [in_cohort(f, 2025) for f in (2015, 2017, 2019, 2021, 2023)] == [True] * 5


def test_out_of_cohort_reason_inactive_filing_comes_first():
    assert out_of_cohort_reason(2024, 2025, active=False) == OutOfCohort.INACTIVE
    assert in_cohort(2023, 2025, active=False) is False


def test_in_cohort_min_age_parameter_moves_the_first_cycle():
    assert out_of_cohort_reason(2023, 2025, min_age_years=4) == OutOfCohort.TOO_RECENT
    assert in_cohort(2021, 2025, min_age_years=4) is True


@given(filing_year=st.integers(1990, 2060), year=st.integers(1990, 2060))
def test_in_cohort_matches_the_formula_for_any_years(filing_year, year):
    expected = filing_year % 2 == year % 2 and filing_year <= year - 2
    assert in_cohort(filing_year, year) is expected
    assert (out_of_cohort_reason(filing_year, year) is None) is expected
