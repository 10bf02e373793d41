"""Every write to the registry. Services take keyword-only arguments, run in a transaction,
validate with ``full_clean()`` and raise ``DomainError`` with a readable sentence."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import acting_as
from ..enums import FilingStatus
from ..exceptions import DomainError
from ..models import Institution, InstitutionStatusChange, User
from ..transitions import status_set
from ..uniqueness import save_new
from ..validators import normalise_credit_code

# The filing-status machine (R2, R12), as data. Restoring a filing is allowed with a reason so
# that a mistaken confirmation can be corrected without editing the database by hand.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    FilingStatus.ACTIVE: frozenset({FilingStatus.ABANDONED, FilingStatus.CANCELLED}),
    FilingStatus.ABANDONED: frozenset({FilingStatus.ACTIVE}),
    FilingStatus.CANCELLED: frozenset({FilingStatus.ACTIVE}),
}

INSTITUTION_EDITABLE_FIELDS = (
    "name", "credit_code", "district", "cluster", "filing_date", "legal_representative",
    "contact_person", "contact_phone", "contact_email", "address",
)


def institution_create(*, actor: User | None, **fields: Any) -> Institution:
    """Register a filed institution (Art 2). It starts ``active``.

    Raises ``ValidationError`` for bad fields (credit code, duplicates, …).
    """
    fields["credit_code"] = normalise_credit_code(fields.get("credit_code", ""))
    institution = Institution(**fields)
    institution.full_clean()
    with transaction.atomic(), acting_as(actor):
        save_new(institution)
    return institution


def institution_update(*, institution: Institution, actor: User | None,
                       **fields: Any) -> Institution:
    """Change an institution's registry data (not its status: see
    ``institution_change_status``). The audit log records before → after."""
    unknown = set(fields) - set(INSTITUTION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    if "credit_code" in fields:
        fields["credit_code"] = normalise_credit_code(fields["credit_code"])
    for name, value in fields.items():
        setattr(institution, name, value)
    institution.full_clean()
    update_fields = [f if f not in ("district", "cluster") else f"{f}_id" for f in fields]
    with transaction.atomic(), acting_as(actor):
        institution.save(update_fields=[*update_fields, "updated_at"])
    return institution


def institution_change_status(*, institution: Institution, to_status: str, reason: str,
                              actor: User | None,
                              effective_on: dt.date | None = None) -> InstitutionStatusChange:
    """The one place that writes ``Institution.status`` (R2 abandoned, R12 cancelled).

    Preconditions: the move is in ``STATUS_TRANSITIONS`` and a reason is given.
    Side effects: a dated ``InstitutionStatusChange`` and an audit-log entry, by ``actor``.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("A reason is required to change a filing status."))
    with transaction.atomic(), acting_as(actor):
        # Lock the row: two administrators confirming at once must not both pass the check.
        locked = Institution.objects.select_for_update().get(pk=institution.pk)
        current = locked.status
        effective_on = effective_on or timezone.localdate()
        locked.status_changed_on = effective_on
        status_set(locked, to_status, transitions=STATUS_TRANSITIONS,
                   refusal=_("The filing status of %(name)s cannot change from “%(from)s” to "
                             "“%(to)s”."),
                   update_fields=["status_changed_on", "updated_at"])
        change = InstitutionStatusChange(
            institution=locked, from_status=current, to_status=to_status,
            effective_on=effective_on, reason=reason, changed_by=actor,
        )
        change.full_clean()
        change.save()
    institution.status = locked.status
    institution.status_changed_on = locked.status_changed_on
    return change



