"""The role-aware navigation of the base layout, and its bell."""
from __future__ import annotations

import functools
import re
import secrets

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .enums import Role
from .models import Notification

# Pages a link stands for besides those under its own URL (the longest match is highlighted).
_ALSO = {
    "evaluations:progress_current": re.compile(r"^/cycles/\d+/progress"),
    # The stage's pages outside /preliminary/ belong to the 初评 link (the city's dashboard,
    # the district's notices and fraud reports).
    "evaluations:panel_home": re.compile(r"^/cycles/\d+/panels"),
    # The re-verification's pages and the results computed at its end.
    "evaluations:reverification_home": re.compile(r"^/cycles/\d+/(reverification|results)"),
    "evaluations:review_home": re.compile(
        r"^/(cycles/\d+/preliminary|rectifications|rectification-files|fraud-reports|fraud-files)"),
}

# Pages under a link's URL that are not its own: account management lives under /registry/
# but is reached from the user menu, not from 备案名录; the expert pool has a link of its own.
_NOT = {
    "institutions:list": re.compile(r"^/registry/(accounts|experts)/"),
}

# (label, url name, permission) — a link shows only to users holding the permission.
_NAV = [
    (_("Registry"), "institutions:list", "institutions.view_registry"),
    (_("Expert pool"), "institutions:expert_list", "institutions.view_pool"),
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
    # Stage 3: the panels, their draws and (to come) the experts' scores.
    (_("Panel review"), "evaluations:panel_home", "evaluations.view_panel"),
    (_("My panels"), "evaluations:expert_home", "evaluations.view_own_panels"),
    # Stage 4: the re-verification and the spot check, then the tiers (from its page).
    (_("Re-verification"), "evaluations:reverification_home", "evaluations.view_reverification"),
    (_("Audit log"), "audit_log", "institutions.view_audit_log"),
]


@functools.lru_cache(maxsize=64)
def _cached_url(name: str, prefix: str) -> str:
    return reverse(name)


def _url(name: str) -> str:
    """The link's URL, reversed once per process (and script prefix), not on every page."""
    return _cached_url(name, get_script_prefix())


def navigation(request) -> dict:
    """The links of the user's role (``nav_links``, the one for the current page marked
    ``active``), the role's name and the whole navigation bar (``nav_menu``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "role_label": "", "nav_menu": NavMenu(request, [], "")}
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
    return {"nav_links": links, "role_label": role_label,
            "nav_menu": NavMenu(request, links, role_label)}


def unread_count(user) -> int:
    """The user's unread notifications: read with the session's user
    (``backends.AccountBackend``), or in one query for a user loaded otherwise (kept on it)."""
    count = getattr(user, "unread_notification_count", None)
    if count is None:
        count = user.unread_notification_count = Notification.objects.filter(
            user=user, read_at__isnull=True).count()
    return count


def notifications(request) -> dict:
    """The unread count of the navigation's bell, for logged-in users only."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}


# --- The navigation bar, rendered once per combination of what it shows ----------------------
#
# base.html is on every page, and its navigation bar was the largest part of it: some forty
# template nodes and a dozen translations for the same few combinations of role, links, names
# and unread count. It is rendered from ``_nav.html`` once for each combination (the key holds
# everything the bar shows, so nothing has to be invalidated) and kept in this process; only
# the CSRF input and the page's path, which differ on every request, are filled in then.

# Placeholders drawn anew by each process: no name or path shown in the bar can contain them.
_CSRF_MARK = f"csrf-input-{secrets.token_hex(8)}"
_NEXT_MARK = f"next-path-{secrets.token_hex(8)}"


@functools.lru_cache(maxsize=4096)
def _nav_html(key: tuple) -> str:
    (_language, authenticated, links, user_label, role_label, district, institution,
     can_manage_accounts, unread) = key
    return render_to_string("_nav.html", {
        "authenticated": authenticated, "user_label": user_label, "role_label": role_label,
        "district": district, "institution": institution,
        "can_manage_accounts": can_manage_accounts, "unread_notifications": unread,
        "links": [{"label": label, "url": url, "active": active}
                  for label, url, active in links],
        "csrf_input": mark_safe(_CSRF_MARK), "next_path": _NEXT_MARK})


class NavMenu:
    """The navigation bar of ``request``'s page, rendered when the template prints it."""

    def __init__(self, request, links: list[dict], role_label: str) -> None:
        self.request, self.links, self.role_label = request, links, role_label

    def __html__(self) -> str:
        user = self.request.user
        authenticated = user.is_authenticated
        key = (get_language(), authenticated,
               tuple((str(link["label"]), link["url"], link["active"]) for link in self.links),
               str(user) if authenticated else "", str(self.role_label),
               str(user.district or "") if authenticated else "",
               str(user.institution or "") if authenticated else "",
               authenticated and user.has_perm("institutions.manage_accounts"),
               unread_count(user) if authenticated else 0)
        csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                                 get_token(self.request))
        return mark_safe(_nav_html(key).replace(_CSRF_MARK, csrf_input)
                         .replace(_NEXT_MARK, escape(self.request.get_full_path())))

    __str__ = __html__
