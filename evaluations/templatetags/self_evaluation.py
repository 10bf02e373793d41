"""Template tags of the self-evaluation (the institution's home card)."""
from __future__ import annotations

from django import template

from ..selectors.cycles import current_cycle
from ..selectors.scopes import submissions_for_user

register = template.Library()


@register.simple_tag
def current_submission(user):
    """The user's own report in the current cycle (None when there is none)."""
    cycle = current_cycle()
    if cycle is None or not getattr(user, "institution_id", None):
        return None
    return submissions_for_user(user, cycle).filter(institution_id=user.institution_id).first()
