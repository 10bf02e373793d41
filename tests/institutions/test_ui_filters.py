"""The ``when`` filter: a moment in a list or status line is dated only when it is not today,
in the words of the interface's language."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from institutions.templatetags.ui import format_when

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 1)


def _at(year, month, day, hour=16, minute=25, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.mark.parametrize("language, value, expected", [
    ("zh-hans", _at(2026, 12, 1), "16:25"),
    ("zh-hans", _at(2026, 11, 29), "11月29日 16:25"),
    ("zh-hans", _at(2025, 11, 29), "2025年11月29日 16:25"),
    ("zh-hans", dt.date(2026, 12, 1), "今天"),
    ("zh-hans", dt.date(2026, 3, 5), "3月5日"),
    ("zh-hans", dt.date(2027, 1, 10), "2027年1月10日"),
    ("en", _at(2026, 12, 1, 9, 5), "09:05"),
    ("en", _at(2026, 11, 29), "29 Nov 16:25"),
    ("en", _at(2025, 11, 29), "29 Nov 2025 16:25"),
    ("en", dt.date(2026, 12, 1), "today"),
    ("en", dt.date(2026, 3, 5), "5 Mar"),
    ("en", dt.date(2027, 1, 10), "10 Jan 2027"),
])
def test_format_when_dates_only_what_is_not_today(language, value, expected):
    with translation.override(language):
        assert format_when(value, TODAY) == expected


def test_format_when_reads_the_day_in_shanghai_time():
    """23:30 UTC on 30 November is 07:30 on 1 December in Xuzhou: today."""
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    with translation.override("zh-hans"):
        assert format_when(late, TODAY) == "07:30"


def test_format_when_of_nothing_is_empty():
    assert (format_when(None, TODAY), format_when("", TODAY)) == ("", "")


def test_when_filter_in_a_template_shows_a_moment_of_today_as_its_time():
    now = timezone.localtime()
    earlier = now.replace(second=0, microsecond=0)
    rendered = Template("{% load ui %}已保存 {{ value|when }}").render(
        Context({"value": earlier}))
    assert rendered == f"已保存 {earlier:%H:%M}"
