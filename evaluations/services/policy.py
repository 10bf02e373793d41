"""Writes of policy versions (R13). Cycle services arrive with the self-evaluation stage."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from institutions.audit import acting_as
from institutions.exceptions import DomainError
from institutions.models import User
from institutions.uniqueness import save_new

from ..models import PolicyVersion


def policy_version_create(*, actor: User | None, **fields: Any) -> PolicyVersion:
    """Create a policy version; parameters not given take the policy's defaults (R13)."""
    version = PolicyVersion(created_by=actor, **fields)
    version.full_clean()
    with transaction.atomic(), acting_as(actor):
        save_new(version)
    return version


def policy_version_update(*, version: PolicyVersion, actor: User | None,
                          **fields: Any) -> PolicyVersion:
    """Edit a version not yet used by any cycle.

    Refused once a cycle is pinned to it: editing would change that cycle's rules after the
    fact (R13).
    """
    with transaction.atomic(), acting_as(actor):
        locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if locked.is_in_use:
            raise DomainError(_(
                "Policy version “%(name)s” is used by an evaluation cycle and can no longer be "
                "edited; create a new version instead."
            ) % {"name": locked.name})
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save(update_fields=list(fields))
    return locked
