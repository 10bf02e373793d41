"""The log-in page's warning before the lock-out (django-axes)."""
from __future__ import annotations

from axes.helpers import get_cool_off
from django import template

from ..selectors import login_failure_limit

register = template.Library()


@register.simple_tag(takes_context=True)
def login_attempts_left(context) -> int | None:
    """How many more failed log-ins lock the user name just tried out from this address, after
    a failed attempt (axes puts the count of the user name and address on the request); None
    before any."""
    request = context.get("request")
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return None
    return max(login_failure_limit() - failures, 0)


@register.simple_tag
def login_cool_off_minutes() -> int:
    """How long a lock-out lasts, in minutes (``AXES_COOLOFF_TIME``)."""
    cool_off = get_cool_off()
    return int(cool_off.total_seconds() // 60) if cool_off else 0
