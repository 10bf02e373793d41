"""The entries of the trail a user may read.

- a city administrator: every entry;
- a district reviewer: the entries its district's rows wrote, of the models whose audience
  includes the districts (``Audience``);
- an institution administrator: those of its own institution, of the models whose audience
  includes the institutions;
- anyone else: nothing.
"""
from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from ..rules import is_city_admin, is_district_reviewer, is_institution_admin
from .registry import Audience, audited_models

# What the audit page shows of each entry, in one query.
ENTRY_RELATED = ("actor", "content_type", "scope__cycle", "scope__district",
                 "scope__institution")


def _audience(user) -> Audience | None:
    if is_city_admin(user):
        return Audience.CITY
    if is_district_reviewer(user):
        return Audience.DISTRICT
    if is_institution_admin(user):
        return Audience.INSTITUTION
    return None


def audit_content_types_for_user(user) -> list[ContentType]:
    """The record types whose entries ``user`` may read (content types are cached: no query
    after the first)."""
    audience = _audience(user)
    if audience is None:
        return []
    models = [m.model for m in audited_models() if m.audience >= audience]
    return list(ContentType.objects.get_for_models(*models).values())


def audit_record_types_for_user(user) -> list[tuple[int, str]]:
    """``(content type id, record type)`` of ``audit_content_types_for_user``, by name."""
    return sorted(((ct.pk, str(ct.model_class()._meta.verbose_name))
                   for ct in audit_content_types_for_user(user)), key=lambda item: item[1])


def audit_entries_for_user(user) -> QuerySet[LogEntry]:
    """The entries ``user`` may read, newest first."""
    entries = LogEntry.objects.order_by("-timestamp", "-pk")
    audience = _audience(user)
    if audience == Audience.CITY:
        return entries
    types = [ct.pk for ct in audit_content_types_for_user(user)]
    if audience == Audience.DISTRICT:
        return entries.filter(scope__district_id=user.district_id, content_type_id__in=types)
    if audience == Audience.INSTITUTION:
        return entries.filter(scope__institution_id=user.institution_id,
                              content_type_id__in=types)
    return entries.none()
