"""R10: the notice period (公示期) of the published results, and when an objection is in time.

Working days are the State Council's: weekdays minus the public holidays, plus the adjusted
working weekends (调休上班), as the ``chinese-calendar`` package records them. A day that package
cannot answer for is refused with ``CalendarNotCovered``; falling back to plain weekdays would
silently put a notice period on the wrong days, and an objection filed on the real last day could
then be refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from .errors import CalendarNotCovered
from .policy import check_int

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""R10's deadline is 24:00 in this zone, whatever zone a moment is given in."""

# The years the installed calendar holds an arrangement for. It is the same set the package
# itself validates against (the years of its holiday table), taken as a set so that a gap,
# should a release ever have one, is refused too instead of read as plain weekdays.
_COVERED_YEARS = frozenset(day.year for day in chinese_calendar.holidays)
COVERED = (min(_COVERED_YEARS), max(_COVERED_YEARS))
"""The first and last year the installed ``chinese-calendar`` covers (R10)."""

# The last days of December belong to the *next* year's arrangement: its New Year holiday may
# begin in December and move them (the 2019 notice made Saturday 2018-12-29 a working day and
# Monday 2018-12-31 a holiday; the 2008 and 2012 notices did the same to 2007-12-29 and
# 2011-12-31). The earliest December day any recorded arrangement has moved is the 29th, so from
# there on the last covered year is as unknown as the year after it (tests/scoring/test_notice.py
# checks the package's data still agrees).
_NEXT_YEAR_SETTLES_FROM = (12, 29)


@dataclass(frozen=True)
class NoticePeriod:
    """One notice period (R10).

    ``working_days`` are the period's days, ``first_day`` and ``last_day`` its ends.
    ``objections_close`` is the first instant objections are *no longer* accepted: R10's
    "until 24:00 of the last day" is held as the next day's 00:00 in Asia/Shanghai, exclusive, so
    that every moment of the last day, to the last fraction of a second, is in time, and none of
    the next day is, without a 23:59:59.999999 that a finer clock could slip past.
    """

    published_on: date
    first_day: date
    last_day: date
    working_days: tuple[date, ...]
    objections_close: datetime

    @property
    def objections_open(self) -> datetime:
        """The first moment an objection is accepted: 00:00 Asia/Shanghai of the publication day.

        The results are public from publication, so an objection sent on a holiday or weekend
        before ``first_day`` is against a notice that can be read and is accepted; the period's
        count of working days fixes when it ends, not when people may start writing. Only the
        publication *day* is known, not its hour, so the day's start is the earliest moment that
        can be after it. Anything earlier cannot be an objection to this notice (a wrong clock
        or a wrong cycle) and is refused.
        """
        return datetime.combine(self.published_on, time(0), tzinfo=SHANGHAI)

    def accepts_objection_at(self, moment: datetime) -> bool:
        """Whether an objection received at ``moment`` is in time (R10): from the publication
        day's start up to, not including, ``objections_close``. ``moment`` must be aware (any
        zone: it is compared as an instant); a naive one raises ``ValueError``, since whose
        midnight it meant cannot be known."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"moment must be timezone-aware, got naive {moment.isoformat()}")
        return self.objections_open <= moment < self.objections_close


def notice_period(published_on: date, working_days: int) -> NoticePeriod:
    """The notice period of results published on ``published_on`` (R10): the first
    ``working_days`` State Council working days from the publication day, the day itself
    included when it is a working day.

    ``working_days`` is ``PolicyParams.notice_working_days`` and is checked as that parameter is
    (``PolicyError`` when it is not an integer of at least 1). ``published_on`` is a calendar day
    in Shanghai, not a ``datetime``: which day a moment falls on is the caller's choice of zone,
    and a silently truncated datetime could shift the whole period by one day. Raises
    ``CalendarNotCovered`` when any day looked at, up to the last one needed, lies outside what
    the installed calendar knows.
    """
    check_int("notice_working_days", working_days, low=1)
    if isinstance(published_on, datetime) or not isinstance(published_on, date):
        raise TypeError(f"published_on must be a date, got {type(published_on).__name__}")
    found: list[date] = []
    day = published_on
    while len(found) < working_days:
        _require_covered(day)
        if chinese_calendar.is_workday(day):
            found.append(day)
        day += timedelta(days=1)
    last_day = found[-1]
    return NoticePeriod(
        published_on=published_on,
        first_day=found[0],
        last_day=last_day,
        working_days=tuple(found),
        objections_close=datetime.combine(last_day + timedelta(days=1), time(0),
                                          tzinfo=SHANGHAI),
    )


def _require_covered(day: date) -> None:
    """Refuse ``day`` unless every arrangement that can settle it is installed."""
    if day.year not in _COVERED_YEARS:
        raise CalendarNotCovered(day.year, day, COVERED)
    if (day.month, day.day) >= _NEXT_YEAR_SETTLES_FROM and day.year + 1 not in _COVERED_YEARS:
        raise CalendarNotCovered(day.year + 1, day, COVERED)
