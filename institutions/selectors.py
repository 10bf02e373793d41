"""Reads scoped to the user: what a role may not see is simply not in the queryset, so a
forbidden object and a missing one both give 404."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .enums import FilingStatus, Role
from .models import District, Expert, Institution, User
from .rules import (
    is_city_admin,
    is_city_staff,
    is_district_reviewer,
    is_institution_admin,
    is_institution_user,
)


def scoped_to_user(qs: QuerySet, user: User, *, district_field: str,
                   institution_field: str | None = None) -> QuerySet:
    """``qs`` as ``user`` may see it: the city staff all of it, a district reviewer the rows
    whose ``district_field`` is its district, an institution's account those whose
    ``institution_field`` is its institution (none when the field is not given), anyone else
    nothing."""
    if not user.is_authenticated:
        return qs.none()
    if is_city_staff(user):
        return qs
    if is_district_reviewer(user):
        return qs.filter(**{district_field: user.district_id})
    if institution_field and is_institution_user(user):
        return qs.filter(**{institution_field: user.institution_id})
    return qs.none()


def institutions_for_user(user: User) -> QuerySet[Institution]:
    """Institutions the user may see: the city all, a district its own, an institution itself."""
    return scoped_to_user(Institution.objects.select_related("district", "cluster"), user,
                          district_field="district_id", institution_field="pk")



@dataclass
class DistrictCount:
    """One district's row on the city home: its active institutions and all it has filed."""

    pk: int
    name: str
    n_active: int = 0
    n_total: int = 0


def registry_counts() -> tuple[list[DistrictCount], dict[str, int]]:
    """The city home's two summaries of the whole registry, from one grouped query: each
    district (in the bureau's order, with none filed too) and the number of institutions in
    each filing status."""
    districts: dict[int, DistrictCount] = {}
    by_status: dict[str, int] = {}
    for row in (District.objects.order_by("sort_order", "name")
                .values_list("pk", "name", "institutions__status")
                .annotate(n=Count("institutions"))):
        pk, name, status, n = row
        district = districts.setdefault(pk, DistrictCount(pk, name))
        if status is None:  # a district with no institution yet
            continue
        district.n_total += n
        if status == FilingStatus.ACTIVE:
            district.n_active += n
        by_status[status] = by_status.get(status, 0) + n
    return list(districts.values()), by_status

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


# --- Accounts --------------------------------------------------------------------------------

def accounts_for_user(user: User) -> QuerySet[User]:
    """Accounts the user manages: the city administrator every account, an institution
    administrator the filers of its own institution, everyone else none.

    Each row carries ``failed_logins`` (failures django-axes counts now, over every client
    address) and ``locked`` (whether some address is locked out of it), in the same query.
    """
    qs = User.objects.select_related("institution", "district")
    if not user.is_authenticated:
        return qs.none()
    if is_city_admin(user):
        pass
    elif is_institution_admin(user):
        qs = qs.filter(institution_id=user.institution_id, role=Role.INSTITUTION_FILER)
    else:
        return qs.none()
    attempts = AccessAttempt.objects.filter(username=OuterRef("username"))
    failures = (attempts.order_by().values("username")
                .annotate(total=Sum("failures_since_start")).values("total"))
    return qs.annotate(failed_logins=Coalesce(Subquery(failures), 0),
                       locked=Exists(_locking(attempts))).order_by("username")


def login_failure_limit() -> int:
    """How many failed log-ins lock a user name out from one address (``AXES_FAILURE_LIMIT``,
    an integer in this project's settings)."""
    return get_failure_limit(None, None)


def _locking(attempts: QuerySet[AccessAttempt]) -> QuerySet[AccessAttempt]:
    """The attempts that lock their user name out now: at the failure limit and younger than
    the cool-off time (axes lifts a lock by itself once it has passed)."""
    locking = attempts.filter(failures_since_start__gte=login_failure_limit())
    cool_off = get_cool_off()
    if cool_off is not None:
        locking = locking.filter(attempt_time__gte=timezone.now() - cool_off)
    return locking


def account_search(qs: QuerySet[User], *, q: str = "", role: str = "",
                   district: int | None = None, institution: str = "",
                   active: bool | None = None) -> QuerySet[User]:
    """Filter the account list: ``q`` searches the user name, the name and the e-mail,
    ``institution`` the institution's name or credit code."""
    q = q.strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q)
                       | Q(email__icontains=q))
    if role:
        qs = qs.filter(role=role)
    if district:
        # A district's accounts: its reviewers and its institutions' accounts.
        qs = qs.filter(Q(district_id=district) | Q(institution__district_id=district))
    institution = institution.strip()
    if institution:
        qs = qs.filter(Q(institution__name__icontains=institution)
                       | Q(institution__credit_code__icontains=institution.upper()))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def account_attempts(account: User) -> QuerySet[AccessAttempt]:
    """The failed log-ins django-axes holds for the account's user name, one row per client
    address, latest first."""
    return AccessAttempt.objects.filter(username=account.username).order_by("-attempt_time")


@dataclass
class AdminAccountPlan:
    """What a bulk creation of institution administrator accounts would do: one account per
    institution that has none and an e-mail address in the registry."""

    to_create: list[Institution] = field(default_factory=list)
    without_email: list[Institution] = field(default_factory=list)
    with_admin: list[tuple[Institution, str]] = field(default_factory=list)  # the user name

    @property
    def skipped(self) -> int:
        return len(self.without_email) + len(self.with_admin)


def institution_admin_plan(institutions: Iterable[Institution]) -> AdminAccountPlan:
    """Sort ``institutions`` into those that get an administrator account and those skipped
    (an administrator already, active or not; no contact e-mail in the registry)."""
    # Every administrator account, read once: fewer rows than institutions, and no ``IN``
    # list of a whole cohort's ids (SQLite limits the number of query parameters).
    admins: dict[int, str] = {}
    for institution_id, username in (User.objects.filter(role=Role.INSTITUTION_ADMIN,
                                                         institution__isnull=False)
                                     .order_by("-pk").values_list("institution_id", "username")):
        admins[institution_id] = username  # the oldest account wins: rows come newest first
    plan = AdminAccountPlan()
    for institution in institutions:
        if institution.pk in admins:
            plan.with_admin.append((institution, admins[institution.pk]))
        elif not institution.contact_email:
            plan.without_email.append(institution)
        else:
            plan.to_create.append(institution)
    return plan


def cohort_institutions(cycle, district: District | None = None) -> list[Institution]:
    """The institutions a cycle evaluates (R1) as the registry stands now, of one district or
    all, in the registry's order."""
    # Imported here: evaluations builds on institutions, not the other way round.
    from evaluations.selectors.cycles import cycle_cohort

    included = cycle_cohort(cycle).included
    if district is not None:
        included = [i for i in included if i.district_id == district.pk]
    return included


def institution_admin_logins(institutions: Iterable[Institution]) -> list[User]:
    """The administrator accounts of ``institutions``, in their order (each institution's
    oldest first), for the list of logins handed out after a bulk creation."""
    order = {institution.pk: index for index, institution in enumerate(institutions)}
    admins = (User.objects.filter(role=Role.INSTITUTION_ADMIN, institution__isnull=False)
              .select_related("institution__district").order_by("pk"))
    return sorted((a for a in admins if a.institution_id in order),
                  key=lambda a: order[a.institution_id])


def experts_listed() -> QuerySet[Expert]:
    """The expert pool as its list shows it, with the clusters each can judge."""
    return Expert.objects.prefetch_related("clusters").order_by("pool_number")


@dataclass
class DrawHistory:
    """How often an expert was drawn for a panel, and how often it declined or withdrew."""

    seats: list
    drawn: int = 0
    declined: int = 0
    recused: int = 0


def expert_draw_history(expert: Expert) -> DrawHistory:
    """The expert's places in the panels of every cycle, newest first, with the counts its
    page shows (one query)."""
    from evaluations.enums import SeatStatus  # the panels are the evaluation's

    seats = list(expert.seats.select_related("panel__cycle").order_by(
        "-panel__cycle__year", "panel__position"))
    return DrawHistory(seats=seats, drawn=len(seats),
                       declined=sum(s.status == SeatStatus.DECLINED for s in seats),
                       recused=sum(s.status == SeatStatus.RECUSED for s in seats))
