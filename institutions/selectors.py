"""Reads scoped to the user: what a role may not see is simply not in the queryset, so a
forbidden object and a missing one both give 404."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Institution, User
from .rules import (
    is_city_staff,
    is_district_reviewer,
    is_institution_user,
)


def institutions_for_user(user: User) -> QuerySet[Institution]:
    """Institutions the user may see: the city all, a district its own, an institution itself."""
    qs = Institution.objects.select_related("district", "cluster")
    if not user.is_authenticated:
        return qs.none()
    if is_city_staff(user):
        return qs
    if is_district_reviewer(user):
        return qs.filter(district_id=user.district_id)
    if is_institution_user(user):
        return qs.filter(pk=user.institution_id)
    return qs.none()


def institution_search(qs: QuerySet[Institution], *, q: str = "", district: int | None = None,
                       cluster: int | None = None, status: str = "",
                       filing_year: int | None = None) -> QuerySet[Institution]:
    """Filter the registry list (search by name, credit code or contact)."""
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper())
                       | Q(contact_person__icontains=q))
    if district:
        qs = qs.filter(district_id=district)
    if cluster:
        qs = qs.filter(cluster_id=cluster)
    if status:
        qs = qs.filter(status=status)
    if filing_year:
        qs = qs.filter(filing_date__year=filing_year)
    return qs
