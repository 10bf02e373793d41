"""Policy versions (R13): the version in force on a day."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..models import (
    PolicyVersion,
)


def policy_version_in_force(on: dt.date | None = None) -> PolicyVersion | None:
    """The version with the latest effective date on or before ``on`` (R13)."""
    on = on or timezone.localdate()
    return PolicyVersion.objects.filter(effective_date__lte=on).order_by("-effective_date").first()
