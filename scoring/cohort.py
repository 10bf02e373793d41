"""R1 Cohort (Art 5): which filed institutions a cycle evaluates."""
from __future__ import annotations

from .enums import OutOfCohort


def out_of_cohort_reason(
    filing_year: int, year: int, *, active: bool = True, min_age_years: int = 2
) -> OutOfCohort | None:
    """Why an institution filed in ``filing_year`` is not in the cohort of evaluation year
    ``year`` (R1), or None when it is.

    The cohort is the filings active when the cycle opens whose filing year f has the parity of
    Y (odd-year filings are evaluated in odd years, Art 5) and is at least ``min_age_years``
    before Y. Reasons are checked in that order, so a filing of Y−1 is ``wrong_parity`` and a
    filing of Y is ``too_recent``.
    """
    if not active:
        return OutOfCohort.INACTIVE
    if filing_year % 2 != year % 2:
        return OutOfCohort.WRONG_PARITY
    if filing_year > year - min_age_years:
        return OutOfCohort.TOO_RECENT
    return None


def in_cohort(
    filing_year: int, year: int, *, active: bool = True, min_age_years: int = 2
) -> bool:
    """Whether the institution should participate (应参评) in evaluation year ``year`` (R1).

    Filed 2023 → first evaluated 2025; filed in Y or Y−1 → not in the cycle of Y.
    """
    return out_of_cohort_reason(
        filing_year, year, active=active, min_age_years=min_age_years
    ) is None


def evaluated_period(year: int) -> tuple[int, int]:
    """The two calendar years a cycle of evaluation year ``year`` covers: Y−2 and Y−1 (R1)."""
    return (year - 2, year - 1)
