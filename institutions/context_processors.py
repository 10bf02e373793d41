"""The role-aware navigation of the base layout."""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .enums import Role

# (label, url name, permission) — a link shows only to users holding the permission.
_NAV = [
    (_("Registry"), "institutions:list", "institutions.view_registry"),
    (_("Our institution"), "institutions:mine", "institutions.view_own_institution"),
    (_("Policy versions"), "evaluations:policy_list", "evaluations.view_policyversion"),
    (_("Audit log"), "audit_log", "institutions.view_audit_log"),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "role_label": ""}
    links = [
        {"label": label, "url": reverse(name), "active": request.path.startswith(reverse(name))}
        for label, name, perm in _NAV
        if user.has_perm(perm)
    ]
    role_label = Role(user.role).label if user.role in Role.values else ""
    return {"nav_links": links, "role_label": role_label}
