"""Audit trail: who created, changed or deleted which registry row, before → after
(django-auditlog; the actor comes from AuditlogMiddleware or ``acting_as``)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from auditlog.context import auditlog_value, set_actor
from auditlog.registry import auditlog

from .models import Cluster, District, Institution, InstitutionStatusChange, User

# Reverse relations are not fields of the row: leave them out of the before → after record.
auditlog.register(District, exclude_fields=["institutions", "users"])
auditlog.register(Cluster, exclude_fields=["institutions"])
auditlog.register(Institution, exclude_fields=["users", "status_changes", "updated_at"])
auditlog.register(InstitutionStatusChange)
auditlog.register(User, exclude_fields=["password", "last_login"])


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
    with set_actor(actor, remote_addr=(outer or {}).get("remote_addr"),
                   remote_port=(outer or {}).get("remote_port")):
        yield
    if outer is not None:
        auditlog_value.set(outer)
