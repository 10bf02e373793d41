"""Small presentation filters shared by the templates."""
from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, pgettext

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Whole minutes of a duration (rounded up), e.g. the axes lock-out cool-off."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)


def format_when(value: dt.datetime | dt.date | None, today: dt.date) -> str:
    """``value`` as short as it can be without being ambiguous, seen on ``today``: the time
    alone today ("16:25"), the day and time this year ("11月29日 16:25"), the full date in
    another year ("2025年11月29日 16:25"). A date alone reads "today", "11月29日" or
    "2025年11月29日". The formats are translated (the catalogue holds each language's)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        if value.date() == today:
            return date_format(value, pgettext("time of a moment today", "H:i"))
        if value.year == today.year:
            return date_format(value, pgettext("day and time of a moment this year",
                                               "j M H:i"))
        return date_format(value, pgettext("day and time of a moment in another year",
                                           "j M Y H:i"))
    if value == today:
        return gettext("today")
    if value.year == today.year:
        return date_format(value, pgettext("a day this year", "j M"))
    return date_format(value, pgettext("a day in another year", "j M Y"))


@register.filter
def when(value: dt.datetime | dt.date | None) -> str:
    """A moment (or a day) in a list or a status line, dated only when it is not today:
    ``{{ saved_at|when }}``."""
    return format_when(value, timezone.localdate())
