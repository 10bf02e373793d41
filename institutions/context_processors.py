"""The role-aware navigation of the base layout."""
from __future__ import annotations

import functools
import re

from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from .enums import Role
from .models import Notification

# Pages a link stands for besides those under its own URL (the longest match is highlighted).
_ALSO = {
    "evaluations:progress_current": re.compile(r"^/cycles/\d+/progress"),
    # The stage's pages outside /preliminary/ belong to the 初评 link (the city's dashboard,
    # the district's notices and fraud reports).
    "evaluations:review_home": re.compile(
        r"^/(cycles/\d+/preliminary|rectifications|rectification-files|fraud-reports|fraud-files)"),
}

# Pages under a link's URL that are not its own: account management lives under /registry/
# but is reached from the user menu, not from 备案名录.
_NOT = {
    "institutions:list": re.compile(r"^/registry/accounts/"),
}

# (label, url name, permission) — a link shows only to users holding the permission.
_NAV = [
    (_("Registry"), "institutions:list", "institutions.view_registry"),
    (_("Our institution"), "institutions:mine", "institutions.view_own_institution"),
    (_("Fill in the self-evaluation"), "evaluations:my_submission",
     "evaluations.fill_submission"),
    (_("Evaluation cycles"), "evaluations:cycle_list", "evaluations.view_cycle"),
    (_("Policy versions"), "evaluations:policy_list", "evaluations.view_policyversion"),
    (_("Self-evaluation progress"), "evaluations:progress_current", "evaluations.view_progress"),
    # Stage 2: the district's review (初评) or, for city staff, the city's dashboard of it.
    (_("Preliminary review"), "evaluations:review_home", "evaluations.view_preliminary"),
    (_("Rectification notices"), "evaluations:rectification_list",
     "evaluations.list_own_rectifications"),
    # Fraud reports are reached from the dashboards and the credit records (and the
    # notifications): the bar stays one line for the city.
    (_("Credit records"), "evaluations:credit_record_list", "evaluations.view_credit_records"),
    (_("Audit log"), "audit_log", "institutions.view_audit_log"),
]


@functools.lru_cache(maxsize=64)
def _cached_url(name: str, prefix: str) -> str:
    return reverse(name)


def _url(name: str) -> str:
    """The link's URL, reversed once per process (and script prefix), not on every page."""
    return _cached_url(name, get_script_prefix())


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "role_label": ""}
    links = [{"label": label, "url": _url(name), "name": name, "active": False}
             for label, name, perm in _NAV if user.has_perm(perm)]
    best, best_length = None, 0
    for link in links:
        also = _ALSO.get(link["name"])
        match = also.match(request.path) if also else None
        excluded = _NOT.get(link["name"])
        length = (match.end() if match else
                  len(link["url"]) if request.path.startswith(link["url"]) else 0)
        if excluded and excluded.match(request.path):
            length = 0
        if length > best_length:
            best, best_length = link, length
    if best is not None:
        best["active"] = True
    role_label = Role(user.role).label if user.role in Role.values else ""
    return {"nav_links": links, "role_label": role_label}


def notifications(request) -> dict:
    """The unread count of the navigation's bell, for logged-in users only: read with the
    session's user (``backends.AccountBackend``), or in one query for a user loaded
    otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = getattr(user, "unread_notification_count", None)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {"unread_notifications": count}
