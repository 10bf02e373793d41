"""R10 notice period: State Council working days, the calendar's limits, the objection deadline.

The expected dates are read off the State Council arrangements that chinese-calendar 1.11.0
encodes (2025: 国庆/中秋 10-01…10-08 off, Sunday 09-28 and Saturday 10-11 worked; 2026: 春节
02-15…02-23 off, Saturdays 02-14 and 02-28 worked).
"""
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import CalendarNotCovered, NoticePeriod, PolicyError, notice_period
from scoring.notice import COVERED, SHANGHAI


def _period(published_on, *days):
    last = days[-1]
    return NoticePeriod(
        published_on=published_on, first_day=days[0], last_day=last, working_days=days,
        objections_close=datetime(last.year, last.month, last.day, tzinfo=SHANGHAI)
        + timedelta(days=1),
    )


def test_notice_period_from_a_plain_friday_ends_the_next_thursday():
    # 2025-11-14 is a Friday; November 2025 has no holiday and no adjusted day.
    assert notice_period(date(2025, 11, 14), 5) == _period(
        date(2025, 11, 14),
        date(2025, 11, 14), date(2025, 11, 17), date(2025, 11, 18), date(2025, 11, 19),
        date(2025, 11, 20),
    )


def test_notice_period_before_national_day_skips_the_holiday_and_counts_the_worked_saturday():
    # Tuesday 2025-09-30 is the last working day before 10-01…10-08 off; Saturday 10-11 is an
    # adjusted working day and counts; Sunday 10-12 does not.
    assert notice_period(date(2025, 9, 30), 5) == _period(
        date(2025, 9, 30),
        date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11),
        date(2025, 10, 13),
    )


def test_notice_period_on_an_adjusted_working_saturday_begins_that_day():
    # Saturday 2026-02-28 is worked for the 2026 Spring Festival; Sunday 03-01 is not.
    assert chinese_calendar.is_workday(date(2026, 2, 28))
    assert notice_period(date(2026, 2, 28), 5) == _period(
        date(2026, 2, 28),
        date(2026, 2, 28), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5),
    )


def test_notice_period_on_a_holiday_begins_with_the_next_working_day():
    # 2025-10-01 (National Day) → the first working day is Thursday 10-09; Saturday 10-11 is
    # worked.
    assert notice_period(date(2025, 10, 1), 5) == _period(
        date(2025, 10, 1),
        date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11), date(2025, 10, 13),
        date(2025, 10, 14),
    )


@pytest.mark.parametrize(("published_on", "first_day"), [
    (date(2025, 11, 15), date(2025, 11, 17)),  # a plain Saturday → Monday
    (date(2025, 9, 27), date(2025, 9, 28)),  # a plain Saturday → the worked Sunday 09-28
])
def test_notice_period_on_a_weekend_begins_with_the_next_working_day(published_on, first_day):
    assert notice_period(published_on, 1) == _period(published_on, first_day)


def test_notice_period_across_new_year_uses_the_next_years_arrangement():
    # 2026-01-01…01-03 off; Sunday 2026-01-04 worked.
    assert notice_period(date(2025, 12, 29), 5).working_days == (
        date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 4),
        date(2026, 1, 5),
    )


def test_the_calendar_covers_the_years_the_app_needs():
    # chinese-calendar>=1.11 is pinned for 2026; 2004 is where its data begins.
    assert COVERED[0] == 2004
    assert COVERED[1] >= 2026


@pytest.mark.parametrize("published_on", [date(2099, 6, 1), date(2003, 6, 2),
                                          date(COVERED[1] + 1, 1, 5)])
def test_notice_period_in_an_uncovered_year_is_refused_naming_the_year(published_on):
    with pytest.raises(CalendarNotCovered) as refused:
        notice_period(published_on, 5)
    assert (refused.value.year, refused.value.day, refused.value.covered) == (
        published_on.year, published_on, COVERED)


def test_calendar_not_covered_says_which_year_is_missing():
    with pytest.raises(CalendarNotCovered) as refused:
        notice_period(date(2099, 6, 1), 5)
    assert str(refused.value) == (
        "whether 2099-06-01 is a working day depends on the State Council's 2099 holiday "
        f"arrangement, which the installed chinese-calendar does not have (it covers "
        f"{COVERED[0]}–{COVERED[1]}); upgrade it (R10)")


def test_notice_period_running_past_the_last_covered_year_is_refused():
    # From 20 December, 10 working days cannot end by the 28th, so the period needs 29 December,
    # which the next year's New Year arrangement settles (with 1.11.0: 2026-12-29, the 2027
    # arrangement).
    last = COVERED[1]
    with pytest.raises(CalendarNotCovered) as refused:
        notice_period(date(last, 12, 20), 10)
    assert (refused.value.year, refused.value.day) == (last + 1, date(last, 12, 29))


def test_notice_period_ending_before_29_december_of_the_last_covered_year_is_given():
    # Thursday 2026-12-24 + 3 working days ends Monday 12-28: no day the 2027 arrangement can
    # move is needed.
    assert notice_period(date(2026, 12, 24), 3).working_days == (
        date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 28))


def test_next_years_arrangement_has_moved_no_december_day_before_the_29th():
    # scoring.notice treats 29–31 December of the last covered year as unknown because New Year
    # arrangements reach back that far (2007-12-29, 2011-12-31, 2018-12-29 worked; 2018-12-31
    # off). Should a release record an earlier December day, that limit must move.
    december = {d.day for d in (*chinese_calendar.holidays, *chinese_calendar.workdays)
                if d.month == 12}
    assert december <= {29, 30, 31}
    assert date(2018, 12, 29) in chinese_calendar.workdays


@pytest.mark.parametrize(("working_days", "message"), [
    (0, "notice_working_days: must be at least 1, got 0"),
    (-3, "notice_working_days: must be at least 1, got -3"),
    (True, "notice_working_days: must be an integer, got true"),
    ("5", 'notice_working_days: must be an integer, got "5"'),
])
def test_notice_period_refuses_a_bad_number_of_working_days(working_days, message):
    with pytest.raises(PolicyError) as refused:
        notice_period(date(2025, 11, 14), working_days)
    assert str(refused.value) == message


def test_notice_period_refuses_a_datetime_for_the_publication_day():
    with pytest.raises(TypeError):
        notice_period(datetime(2025, 11, 14, 9, tzinfo=SHANGHAI), 5)


# The period of 2025-09-30 ends on Monday 2025-10-13; objections close at 2025-10-14 00:00
# Shanghai, which is 2025-10-13 16:00 UTC.
NATIONAL_DAY = notice_period(date(2025, 9, 30), 5)


def test_objections_close_at_the_next_days_midnight_in_shanghai():
    assert NATIONAL_DAY.objections_close == datetime(2025, 10, 14, tzinfo=SHANGHAI)
    assert NATIONAL_DAY.objections_close == datetime(2025, 10, 13, 16, tzinfo=UTC)


@pytest.mark.parametrize(("moment", "accepted"), [
    (datetime(2025, 10, 13, 23, 59, 59, tzinfo=SHANGHAI), True),
    (datetime(2025, 10, 13, 23, 59, 59, 999999, tzinfo=SHANGHAI), True),
    (datetime(2025, 10, 14, 0, 0, tzinfo=SHANGHAI), False),
    (datetime(2025, 10, 13, 15, 59, 59, tzinfo=UTC), True),  # 23:59:59 in Shanghai
    (datetime(2025, 10, 13, 16, 0, tzinfo=UTC), False),  # 00:00 next day in Shanghai
    # Still 10-13 in UTC, but 04:00 on 10-14 in Shanghai: late.
    (datetime(2025, 10, 13, 20, 0, tzinfo=UTC), False),
    (datetime(2025, 10, 3, 12, 0, tzinfo=SHANGHAI), True),  # a holiday inside the period
])
def test_objection_is_accepted_until_24_00_shanghai_of_the_last_day(moment, accepted):
    assert NATIONAL_DAY.accepts_objection_at(moment) is accepted


@pytest.mark.parametrize(("moment", "accepted"), [
    (datetime(2025, 10, 1, 0, 0, tzinfo=SHANGHAI), True),  # the holiday it was published on
    (datetime(2025, 9, 30, 16, 0, tzinfo=UTC), True),  # the same instant in UTC
    (datetime(2025, 9, 30, 23, 59, 59, tzinfo=SHANGHAI), False),  # before publication
    (datetime(2025, 9, 30, 15, 59, 59, tzinfo=UTC), False),
])
def test_objection_is_accepted_from_the_publication_day_even_before_the_first_working_day(
    moment, accepted
):
    assert notice_period(date(2025, 10, 1), 5).accepts_objection_at(moment) is accepted


def test_objection_at_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        NATIONAL_DAY.accepts_objection_at(datetime(2025, 10, 13, 12, 0))


def _workdays(start, end):
    """Every working day in [start, end), by the package's own answer, one day at a time."""
    days = (start + timedelta(days=i) for i in range((end - start).days))
    return [d for d in days if chinese_calendar.is_workday(d)]


# Published by 10 December of the last covered year, 10 working days never reach the 29th.
covered_days = st.dates(min_value=date(COVERED[0], 1, 1), max_value=date(COVERED[1], 12, 10))


@given(published_on=covered_days, n=st.integers(min_value=1, max_value=10))
def test_notice_period_is_the_first_n_working_days_from_publication(published_on, n):
    period = notice_period(published_on, n)
    assert len(period.working_days) == n
    assert (period.first_day, period.last_day) == (period.working_days[0],
                                                   period.working_days[-1])
    assert period.first_day >= published_on
    assert _workdays(published_on, period.first_day) == []
    # Sorted, all workdays, none skipped between the ends.
    assert list(period.working_days) == _workdays(period.first_day,
                                                  period.last_day + timedelta(days=1))
    assert period.objections_close == datetime.combine(
        period.last_day + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)


@given(published_on=st.dates(min_value=date(COVERED[1], 12, 1),
                             max_value=date(COVERED[1], 12, 31)),
       n=st.integers(min_value=1, max_value=10))
def test_notice_period_in_the_last_covered_december_ends_by_the_28th_or_is_refused(
    published_on, n
):
    try:
        period = notice_period(published_on, n)
    except CalendarNotCovered as refused:
        assert refused.year == COVERED[1] + 1
        assert refused.day == max(published_on, date(COVERED[1], 12, 29))
    else:
        assert period.last_day < date(COVERED[1], 12, 29)
