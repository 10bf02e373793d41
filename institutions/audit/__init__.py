"""The audit trail (Art 8: every stage recorded, with who and when), on django-auditlog.

- ``registry``: ``register`` — what is recorded of a model, whom its entries concern (their
  scope: cycle, district, institution) and who may read them;
- ``auth``: logins, failed logins and lockouts (django-axes) as entries of the trail;
- ``display``: the entries in the users' words (field titles, choice labels, names);
- ``selectors`` and ``filters``: the entries a user may read, and the audit page's filters.

The actor of an entry comes from ``AuditlogMiddleware`` or from ``acting_as``, which every
service runs its writes under. The registry's own models are registered here; the evaluation's
in ``evaluations.audit``.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from auditlog.context import auditlog_value, set_actor
from django.utils.translation import gettext_lazy as _

from ..models import (
    Cluster,
    District,
    Expert,
    ExpertEmployment,
    Institution,
    InstitutionStatusChange,
    User,
)
from .registry import Audience, Scope, register, scopes_bulk_create

_acting: ContextVar = ContextVar("acting_as", default=None)

__all__ = ["Audience", "Scope", "acting_as", "connect", "current_actor", "register",
           "scopes_bulk_create"]


@contextlib.contextmanager
def acting_as(actor) -> Iterator[None]:
    """Record ``actor`` on the audit entries written inside the block.

    Services call this rather than ``set_actor`` directly: inside a request it keeps the client
    address the middleware recorded, and afterwards it restores the middleware's context
    (``set_actor`` overwrites it and would leave the middleware unable to disconnect its own
    signal handler).
    """
    try:
        outer = auditlog_value.get()
    except LookupError:
        outer = None
    token = _acting.set(actor)
    try:
        with set_actor(actor, remote_addr=(outer or {}).get("remote_addr"),
                       remote_port=(outer or {}).get("remote_port")):
            yield
    finally:
        _acting.reset(token)
    if outer is not None:
        auditlog_value.set(outer)


def current_actor():
    """The actor of the enclosing ``acting_as`` block, None outside one (auditlog's own context
    outlives its block, so it cannot tell)."""
    return _acting.get()


def user_scope(user: User) -> Scope:
    """An account belongs to its district, or to its institution and that one's district."""
    if user.institution_id is not None:
        return Scope(district=user.institution.district_id, institution=user.institution_id)
    return Scope(district=user.district_id)


def connect() -> None:
    """Wire the receivers that write the trail's scopes and its login events (``apps.ready``)."""
    from auditlog.signals import post_log

    from . import auth
    from .registry import store_scope

    post_log.connect(store_scope, dispatch_uid="institutions.audit.store_scope")
    auth.connect()


register(District, scope=lambda d: Scope(district=d.pk), audience=Audience.CITY)
register(Expert, scope=lambda e: Scope(), audience=Audience.CITY, name=lambda e: str(e))
register(ExpertEmployment, scope=lambda e: Scope(), audience=Audience.CITY,
         name_related=["expert"])
register(Cluster, scope=lambda c: Scope(), audience=Audience.CITY)
register(Institution, scope=lambda i: Scope(district=i.district_id, institution=i.pk),
         audience=Audience.INSTITUTION)
register(InstitutionStatusChange,
         scope=lambda c: Scope(district=c.institution.district_id, institution=c.institution_id),
         audience=Audience.INSTITUTION, labels={"from_status": _("status before"),
                                                "to_status": _("status after")},
         name_related=["institution"])
# The password never; the last login is the trail's own login entries; the joining date is the
# creation entry's time.
register(User, scope=user_scope, audience=Audience.INSTITUTION,
         exclude=["password", "last_login", "date_joined", "first_name", "last_name",
                  "is_superuser", "is_staff", "groups", "user_permissions"])
