"""Every write to the expert pool (R6a): experts, their past employers and their accounts.

Only the panel organiser keeps the pool (``institutions.manage_pool``); each service checks the
title the pool requires, runs in a transaction and leaves its audit entry by ``actor``."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import acting_as
from ..enums import TITLE_RANK, ExpertStatus, Role, TitleLevel
from ..exceptions import DomainError
from ..models import Cluster, Expert, ExpertEmployment, User
from ..uniqueness import save_new
from ..validators import normalise_credit_code
from .accounts import SET_PASSWORD_MAIL, _mail_password_links

EXPERT_EDITABLE_FIELDS = (
    "pool_number", "name", "gender", "employer_name", "employer_credit_code", "title",
    "title_level", "phone", "email",
)


@dataclass(frozen=True)
class Employment:
    """A past employer as a form or a workbook gives it."""

    employer_name: str
    credit_code: str
    started_on: Any = None
    ended_on: Any = None


def _check_title(expert: Expert) -> None:
    """Entry to the pool needs the title ``EXPERT_MIN_TITLE_LEVEL`` (副高 by default) or a
    higher one."""
    least = settings.EXPERT_MIN_TITLE_LEVEL
    if expert.title_level and TITLE_RANK[expert.title_level] < TITLE_RANK[least]:
        raise ValidationError({"title_level": _(
            "The expert pool takes experts with a title of %(level)s or higher.")
            % {"level": TitleLevel(least).label}})


def _prepare(expert: Expert, employments: Sequence[Employment]) -> list[ExpertEmployment]:
    expert.employer_credit_code = normalise_credit_code(expert.employer_credit_code)
    expert.pool_number = (expert.pool_number or "").strip().upper()
    _check_title(expert)
    rows = [ExpertEmployment(expert=expert, employer_name=job.employer_name.strip(),
                             credit_code=normalise_credit_code(job.credit_code),
                             started_on=job.started_on, ended_on=job.ended_on)
            for job in employments]
    expert.full_clean(exclude=["clusters"])
    for row in rows:
        row.full_clean(exclude=["expert"])
        if row.started_on and row.ended_on and row.ended_on < row.started_on:
            raise ValidationError({"employments": _(
                "A past employer's end date is before its start date: %(name)s.")
                % {"name": row.employer_name}})
    return rows


def _check_clusters(clusters: Iterable[Cluster]) -> list[Cluster]:
    clusters = list(clusters)
    if not clusters:
        raise ValidationError({"clusters": _("Choose at least one cluster the expert can "
                                             "judge.")})
    return clusters


def _account_for(expert: Expert, *, create_account: bool, user: User | None) -> User | None:
    """The account the expert logs in with: an existing expert account linked, or a new one
    whose user is e-mailed a link to set the password."""
    if user is not None:
        if user.role != Role.EXPERT:
            raise DomainError(_("Only an expert account can be linked to an expert."))
        if Expert.objects.filter(user=user).exclude(pk=expert.pk).exists():
            raise DomainError(_("The account %(username)s already belongs to another expert.")
                              % {"username": user.username})
        return user
    if not create_account:
        return None
    account = User(username=f"expert-{expert.pool_number.lower()}", email=expert.email,
                   role=Role.EXPERT, full_name=expert.name, phone=expert.phone)
    account.set_unusable_password()
    account.full_clean()
    save_new(account)
    _mail_password_links([account], SET_PASSWORD_MAIL)
    return account


def expert_create(*, actor: User | None, clusters: Iterable[Cluster],
                  employments: Sequence[Employment] = (), create_account: bool = False,
                  user: User | None = None, **fields: Any) -> Expert:
    """Enter an expert into the pool, active, with the clusters it can judge and its past
    employers; with ``create_account`` a new expert account (its user gets the set-password
    e-mail after the commit), or ``user``, an existing expert account, linked.

    Raises ``ValidationError`` for bad fields (a pool number taken, a title below the pool's,
    no cluster, a bad credit code) and ``DomainError`` for an account that cannot be linked.
    """
    expert = Expert(**fields)
    rows = _prepare(expert, employments)
    clusters = _check_clusters(clusters)
    with transaction.atomic(), acting_as(actor):
        expert.user = _account_for(expert, create_account=create_account, user=user)
        save_new(expert)
        expert.clusters.set(clusters)
        ExpertEmployment.objects.bulk_create(rows)
    return expert


def expert_update(*, expert: Expert, actor: User | None, clusters: Iterable[Cluster],
                  employments: Sequence[Employment] | None = None,
                  user: User | None = None, create_account: bool = False,
                  **fields: Any) -> Expert:
    """Change an expert's data (not its status: ``expert_suspend``). ``employments``, when
    given, replaces its past employers. The audit trail records before → after."""
    unknown = set(fields) - set(EXPERT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(expert, name, value)
    rows = _prepare(expert, employments or ())
    clusters = _check_clusters(clusters)
    with transaction.atomic(), acting_as(actor):
        if expert.user_id is None and (user is not None or create_account):
            expert.user = _account_for(expert, create_account=create_account, user=user)
        expert.save()
        expert.clusters.set(clusters)
        if employments is not None:
            expert.employments.all().delete()
            ExpertEmployment.objects.bulk_create(rows)
    return expert


def expert_suspend(*, expert: Expert, actor: User | None, reason: str) -> Expert:
    """Suspend an active expert, with a reason: it is drawn no more (R6a)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for suspending the expert."))
    return _set_status(expert, actor, ExpertStatus.SUSPENDED, reason)


def expert_reinstate(*, expert: Expert, actor: User | None) -> Expert:
    """Make a suspended expert drawable again."""
    return _set_status(expert, actor, ExpertStatus.ACTIVE, "")


def _set_status(expert: Expert, actor: User | None, status: str, reason: str) -> Expert:
    with transaction.atomic(), acting_as(actor):
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        if locked.status == status:
            raise DomainError(_("The expert is already %(status)s.")
                              % {"status": ExpertStatus(status).label})
        locked.status, locked.suspension_reason = status, reason
        locked.save(update_fields=["status", "suspension_reason", "updated_at"])
    expert.status, expert.suspension_reason = status, reason
    return expert
