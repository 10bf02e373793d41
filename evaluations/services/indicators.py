"""Editing a cycle's indicator system (Art 6, 8): its indicators, their points, help text,
evidence and the typed data each asks for.

The system can change only while the cycle is a draft (``Cycle.indicators_editable``): once
self-evaluation opens, institutions answer these indicators and a change would move the ground
under them. Every service locks the cycle row first, so an edit and the opening of
self-evaluation (``cycle_transition`` locks the same row) cannot interleave.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from institutions.audit import acting_as
from institutions.exceptions import DomainError
from institutions.models import User

from ..enums import EvidenceType, FieldKind
from ..models import Cycle, Indicator, IndicatorCategory, IndicatorField

# What ``indicator_update`` may change; the category and the code stay (answers and reports
# refer to an indicator by its code).
EDITABLE = ("name", "points", "help_text", "evidence_required", "evidence_types")


@dataclass(frozen=True)
class FieldChange:
    """One row of an indicator's data fields as edited: ``pk`` None is a new field (its
    ``key`` may be blank: one is made up), ``delete`` removes an existing one. The key of an
    existing field never changes (answers store their values under it)."""

    pk: int | None
    label: str
    kind: str
    required: bool
    key: str = ""
    delete: bool = False


def _locked_cycle(cycle_id: int) -> Cycle:
    cycle = Cycle.objects.select_for_update().get(pk=cycle_id)
    if not cycle.indicators_editable:
        raise DomainError(_("The indicator system of %(cycle)s can no longer change: "
                            "self-evaluation has opened.") % {"cycle": cycle})
    return cycle


def _check_evidence_types(types: Sequence[str]) -> list[str]:
    types = list(dict.fromkeys(types or ()))
    unknown = [t for t in types if t not in EvidenceType.values]
    if unknown:
        raise DomainError(_("Unknown evidence type: %(types)s.") % {"types": ", ".join(unknown)})
    if not types:
        raise DomainError(_("Accept at least one type of evidence file."))
    # Keep the canonical order, whatever order the form sent.
    return [t for t in EvidenceType.values if t in types]


def _save_fields(indicator: Indicator, changes: Sequence[FieldChange]) -> None:
    existing = {f.pk: f for f in indicator.fields.all()}
    sent = {c.pk for c in changes if c.pk is not None}
    if sent - set(existing):
        raise DomainError(_("A data field of another indicator was sent; reload the page."))
    if set(existing) - sent:
        # Someone else added a field since this copy was loaded: saving would reorder or
        # drop it silently.
        raise DomainError(_("The data fields of this indicator changed since the page was "
                            "loaded; reload the page."))
    kept = [c for c in changes if not c.delete]
    if not kept:
        raise DomainError(_("An indicator asks for at least one datum."))
    deleted = [c.pk for c in changes if c.delete and c.pk is not None]
    keys = {existing[c.pk].key for c in kept if c.pk is not None}
    new_keys = [c.key.strip() for c in kept if c.pk is None and c.key.strip()]
    duplicate = sorted({k for k in new_keys if new_keys.count(k) > 1 or k in keys})
    if duplicate:
        raise DomainError(_("Two data fields of an indicator cannot share the key %(key)s.")
                          % {"key": ", ".join(duplicate)})
    taken = keys | set(new_keys)
    IndicatorField.objects.filter(indicator=indicator, pk__in=deleted).delete()
    for order, change in enumerate(kept, start=1):
        if change.kind not in FieldKind.values:
            raise DomainError(_("Unknown kind of datum: %(kind)s.") % {"kind": change.kind})
        if change.pk is None:
            key = change.key.strip() or _free_key(taken)
            taken.add(key)
            row = IndicatorField(indicator=indicator, key=key)
        else:
            row = existing[change.pk]
        row.label, row.kind, row.required, row.order = (
            change.label.strip(), change.kind, change.required, order)
        _clean(row)
        row.save()


def _free_key(taken: set[str]) -> str:
    n = 1
    while f"field_{n}" in taken:
        n += 1
    return f"field_{n}"


def indicator_update(*, indicator: Indicator, actor: User | None,
                     fields: Sequence[FieldChange] | None = None, **changes: Any) -> Indicator:
    """Change an indicator of a draft cycle (points, help text, evidence, name) and, when
    ``fields`` is given, its data fields: every existing one (edited or removed) and the new
    ones, in their new order.

    Refused once self-evaluation has opened. The points are not checked against the total
    here: the total must be 100 only when self-evaluation opens (``cycle_transition``).
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(_("These cannot be changed: %(names)s.")
                          % {"names": ", ".join(sorted(unknown))})
    with transaction.atomic(), acting_as(actor):
        _locked_cycle(indicator.category.cycle_id)
        locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
        if "evidence_types" in changes:
            changes["evidence_types"] = _check_evidence_types(changes["evidence_types"])
        for name, value in changes.items():
            setattr(locked, name, value)
        _clean(locked)
        if changes:
            locked.save(update_fields=list(changes))
        if fields is not None:
            _save_fields(locked, fields)
    return locked


def indicator_create(*, category: IndicatorCategory, code: str, name: str, points: Decimal,
                     actor: User | None, help_text: str = "", evidence_required: bool = True,
                     evidence_types: Sequence[str] | None = None,
                     fields: Sequence[FieldChange] = ()) -> Indicator:
    """Add an indicator at the end of ``category`` of a draft cycle, with its data fields
    (at least one). Its code must be new in the cycle."""
    code = (code or "").strip()
    with transaction.atomic(), acting_as(actor):
        cycle = _locked_cycle(category.cycle_id)
        if Indicator.objects.filter(category__cycle=cycle, code=code).exists():
            raise DomainError(_("The indicator code %(code)s is already used in this cycle.")
                              % {"code": code})
        last = category.indicators.aggregate(last=Max("order"))["last"] or 0
        indicator = Indicator(
            category=category, code=code, name=(name or "").strip(), points=points,
            help_text=help_text or "", evidence_required=evidence_required,
            evidence_types=_check_evidence_types(
                EvidenceType.values if evidence_types is None else evidence_types),
            order=last + 1)
        _clean(indicator)
        indicator.save()
        _save_fields(indicator, fields)
    return indicator


def indicator_delete(*, indicator: Indicator, actor: User | None) -> None:
    """Remove an indicator (and its data fields) from a draft cycle."""
    with transaction.atomic(), acting_as(actor):
        _locked_cycle(indicator.category.cycle_id)
        indicator.delete()


def _clean(row: Indicator | IndicatorField) -> None:
    try:
        row.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
