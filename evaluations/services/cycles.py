"""The cycle and its stages (Art 5, 8): creating a cycle, opening and closing stages.

``cycle_transition`` is the one place that writes ``Cycle.status``. Its moves are the table
``CYCLE_TRANSITIONS``; each move's preconditions are checked there, the change is recorded
(who, when) and its side effects are queued after the commit.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.audit import acting_as
from institutions.audit.registry import bulk_created_record
from institutions.enums import INSTITUTION_ROLES
from institutions.exceptions import DomainError
from institutions.models import User
from institutions.notifications import notify
from institutions.transitions import status_label, status_set
from institutions.uniqueness import save_new

from .. import indicator_template
from ..enums import STAGES, CycleStatus
from ..models import (
    Cycle,
    CycleStage,
    CycleTransition,
    Indicator,
    IndicatorCategory,
    IndicatorField,
    Submission,
)
from ..selectors.cycles import cycle_cohort
from ..selectors.policy import policy_version_in_force
from .panel import panels_open
from .preliminary import preliminary_review_open
from .results import results_publication_problems
from .reverification import reverification_open


def cycle_create(*, year: int, actor: User | None,
                 stage_dates: dict[str, tuple[dt.date, dt.date]] | None = None) -> Cycle:
    """Create the cycle of evaluation year ``year`` (only one per year), pinned to the policy
    version in force today (R13), with the default indicator system copied in (Art 6)."""
    taken = _("There is already an evaluation cycle for %(year)s.") % {"year": year}
    if Cycle.objects.filter(year=year).exists():
        raise DomainError(taken)
    version = policy_version_in_force()
    if version is None:
        raise DomainError(_("No policy version is in force today; create one first."))
    with transaction.atomic(), acting_as(actor):
        cycle = Cycle(year=year, policy_version=version, created_by=actor)
        try:
            # Checked again here: the same year may have been created since (a double click).
            cycle.full_clean()
            save_new(cycle)
        except ValidationError as exc:
            if "year" in exc.message_dict:
                raise DomainError(taken) from exc
            raise
        copy_indicator_template(cycle=cycle)
        for stage, (opens_on, closes_on) in (stage_dates or {}).items():
            cycle_stage_schedule(cycle=cycle, stage=stage, opens_on=opens_on,
                                 closes_on=closes_on, actor=actor)
    return cycle


def copy_indicator_template(*, cycle: Cycle) -> None:
    """Copy the default indicator system (Art 6) into ``cycle``."""
    for c_order, (code, name, indicators) in enumerate(indicator_template.TEMPLATE, start=1):
        category = IndicatorCategory.objects.create(cycle=cycle, code=code, name=name,
                                                    order=c_order)
        for i_order, (i_code, i_name, points, help_text, evidence, fields) in enumerate(
                indicators, start=1):
            indicator = Indicator.objects.create(
                category=category, code=i_code, name=i_name, points=points,
                help_text=help_text, evidence_required=evidence, order=i_order)
            bulk_created_record(IndicatorField.objects.bulk_create([
                IndicatorField(indicator=indicator, key=key, label=label, kind=kind,
                               required=required, order=f_order)
                for f_order, (key, label, kind, required) in enumerate(fields, start=1)
            ]))


def cycle_stage_schedule(*, cycle: Cycle, stage: str, opens_on: dt.date, closes_on: dt.date,
                         actor: User | None) -> CycleStage:
    """Set the planned dates of a stage that has not opened yet."""
    if stage not in STAGES:
        raise DomainError(_("Unknown stage."))
    row = CycleStage.objects.filter(cycle=cycle, stage=stage).first() or CycleStage(
        cycle=cycle, stage=stage)
    if row.is_closed or (row.opened_at is not None and stage != cycle.status):
        raise DomainError(_("The dates of a stage that is over cannot change."))
    row.opens_on, row.closes_on = opens_on, closes_on
    row.full_clean()
    with transaction.atomic(), acting_as(actor):
        row.save()
        if row.opened_at is not None and stage == CycleStatus.SELF_EVALUATION:
            # Moving the deadline of the running stage moves every deadline without an
            # extension of its own.
            for submission in cycle.submissions.filter(extensions__isnull=True) \
                    .exclude(deadline=closes_on):
                submission.deadline = closes_on  # one save per report: each in the trail
                submission.save(update_fields=["deadline", "updated_at"])
    return row


def cycle_schedule(*, cycle: Cycle, dates: dict[str, tuple[dt.date, dt.date]],
                   actor: User | None) -> list[CycleStage]:
    """Set the planned dates of several stages at once, all or none (``cycle_stage_schedule``
    for each). The stages must follow each other: each opens after the one before it closes
    (Art 8)."""
    with transaction.atomic():
        rows = [cycle_stage_schedule(cycle=cycle, stage=stage, opens_on=opens_on,
                                     closes_on=closes_on, actor=actor)
                for stage, (opens_on, closes_on) in dates.items()]
        planned = {row.stage: row for row in cycle.stages.all()}
        previous = None
        for stage in STAGES:
            row = planned.get(stage)
            if row is None:
                continue
            if previous is not None and row.opens_on <= previous.closes_on:
                raise DomainError(_("“%(stage)s” must open after “%(previous)s” closes "
                                    "(%(date)s).") % {
                    "stage": CycleStatus(stage).label,
                    "previous": CycleStatus(previous.stage).label, "date": previous.closes_on})
            previous = row
    return rows


def indicator_total(cycle: Cycle) -> Decimal:
    """The points of the whole indicator system (must be 100 before self-evaluation opens)."""
    total = Indicator.objects.filter(category__cycle=cycle).aggregate(total=Sum("points"))
    # Quantized: SQLite and PostgreSQL return the sum with different exponents.
    return Decimal(total["total"] or 0).quantize(Decimal("0.01"))


# --- Transitions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    to: str
    check: Callable[[Cycle], list[str]]
    apply: Callable[[Cycle, User | None], None]


def _check_open_self_evaluation(cycle: Cycle) -> list[str]:
    problems = []
    total = indicator_total(cycle)
    if total != 100:
        problems.append(_("The indicator points add up to %(total)s, not 100.")
                        % {"total": total})
    stage = cycle.stages.filter(stage=CycleStatus.SELF_EVALUATION).first()
    if stage is None:
        problems.append(_("The self-evaluation stage has no opening and closing dates."))
    elif stage.closes_on < timezone.localdate():
        problems.append(_("The self-evaluation closing date %(date)s has passed.")
                        % {"date": stage.closes_on})
    if not cycle_cohort(cycle).included:
        problems.append(_("No institution is in the cohort of %(year)s.")
                        % {"year": cycle.year})
    return problems


def _open_self_evaluation(cycle: Cycle, actor: User | None) -> None:
    """Pin the cycle to the policy version in force now (R13: "the version in force when it
    opens"; the one chosen at creation was provisional), then invite the cohort (R1): one
    report per institution, and a notice to its accounts."""
    in_force = policy_version_in_force()
    if in_force is not None and in_force.pk != cycle.policy_version_id:
        cycle.policy_version = in_force
        cycle.save(update_fields=["policy_version"])
    stage = cycle.stages.get(stage=CycleStatus.SELF_EVALUATION)
    cohort = cycle_cohort(cycle).included
    bulk_created_record(Submission.objects.bulk_create([
        Submission(cycle=cycle, institution=institution, district_id=institution.district_id,
                   cluster_id=institution.cluster_id, deadline=stage.closes_on)
        for institution in cohort
    ], batch_size=1000))
    users = User.objects.filter(institution__in=cohort, role__in=INSTITUTION_ROLES,
                                is_active=True)
    subject = _("%(year)s performance evaluation: self-evaluation is open") % {"year": cycle.year}
    body = _("Your institution is invited to the %(year)s performance evaluation of new-type "
             "R&D institutions, covering %(first)s–%(last)s. Fill in and submit the "
             "self-evaluation with its evidence by %(deadline)s.") % {
        "year": cycle.year, "first": cycle.year - 2, "last": cycle.year - 1,
        "deadline": stage.closes_on}
    notify(users=users, subject=subject, body=body, url=reverse("evaluations:my_submission"))


def _check_previous_stage_closed(cycle: Cycle) -> list[str]:
    stage = cycle.stages.filter(stage=cycle.status).first()
    if stage is None or not stage.is_closed:
        return [_("The stage “%(stage)s” is not closed yet.")
                % {"stage": CycleStatus(cycle.status).label}]
    return []


def _check_next_stage_scheduled(to: str) -> Callable[[Cycle], list[str]]:
    def check(cycle: Cycle) -> list[str]:
        problems = _check_previous_stage_closed(cycle)
        if to in STAGES and not cycle.stages.filter(stage=to).exists():
            problems.append(_("The stage “%(stage)s” has no opening and closing dates.")
                            % {"stage": CycleStatus(to).label})
        return problems
    return check


def _nothing(cycle: Cycle, actor: User | None) -> None:
    return None


def _open_preliminary_review(cycle: Cycle, actor: User | None) -> None:
    preliminary_review_open(cycle=cycle, actor=actor)


def _open_panel_review(cycle: Cycle, actor: User | None) -> None:
    panels_open(cycle=cycle)


def _open_reverification(cycle: Cycle, actor: User | None) -> None:
    reverification_open(cycle=cycle)


CYCLE_TRANSITIONS: dict[str, Transition] = {
    CycleStatus.DRAFT: Transition(CycleStatus.SELF_EVALUATION, _check_open_self_evaluation,
                                  _open_self_evaluation),
    CycleStatus.SELF_EVALUATION: Transition(
        CycleStatus.PRELIMINARY_REVIEW,
        _check_next_stage_scheduled(CycleStatus.PRELIMINARY_REVIEW), _open_preliminary_review),
    CycleStatus.PRELIMINARY_REVIEW: Transition(
        CycleStatus.PANEL_REVIEW, _check_next_stage_scheduled(CycleStatus.PANEL_REVIEW),
        _open_panel_review),
    CycleStatus.PANEL_REVIEW: Transition(
        CycleStatus.REVERIFICATION, _check_next_stage_scheduled(CycleStatus.REVERIFICATION),
        _open_reverification),
    CycleStatus.REVERIFICATION: Transition(
        CycleStatus.PUBLIC_NOTICE,
        lambda cycle: (_check_next_stage_scheduled(CycleStatus.PUBLIC_NOTICE)(cycle)
                       + results_publication_problems(cycle)),  # R9: computed, justified
        _nothing),
    CycleStatus.PUBLIC_NOTICE: Transition(
        CycleStatus.FINAL, _check_next_stage_scheduled(CycleStatus.FINAL), _nothing),
}


def cycle_next_transition(cycle: Cycle) -> Transition | None:
    return CYCLE_TRANSITIONS.get(cycle.status)


def cycle_transition_problems(cycle: Cycle, to_status: str) -> list[str]:
    """Why ``cycle`` cannot move to ``to_status`` now (empty when it can)."""
    transition = CYCLE_TRANSITIONS.get(cycle.status)
    if transition is None or transition.to != to_status:
        return [_("An evaluation cycle cannot go from “%(from)s” to “%(to)s”.") % {
            "from": CycleStatus(cycle.status).label, "to": status_label(Cycle, to_status)}]
    return transition.check(cycle)


def cycle_transition(*, cycle: Cycle, to_status: str, actor: User | None) -> CycleTransition:
    """Move ``cycle`` to ``to_status`` — the one writer of ``Cycle.status`` (Art 8).

    Preconditions: the move is the next in ``CYCLE_TRANSITIONS`` and its check finds no
    problem. Side effects: the new stage is marked opened, the move is recorded with its
    actor, and the move's own effects run (opening self-evaluation invites the cohort).
    """
    with transaction.atomic(), acting_as(actor):
        # Lock the cycle: two administrators pressing the button at once open it once.
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        problems = cycle_transition_problems(locked, to_status)
        if problems:
            raise DomainError(" ".join(problems))
        from_status = locked.status
        status_set(locked, to_status,
                   transitions={start: {move.to} for start, move in CYCLE_TRANSITIONS.items()})
        opening = CycleStage.objects.filter(cycle=locked, stage=to_status,
                                            opened_at__isnull=True).first()
        if opening is not None:
            opening.opened_at = timezone.now()
            opening.save(update_fields=["opened_at"])
        record = CycleTransition.objects.create(cycle=locked, from_status=from_status,
                                                to_status=to_status, by=actor)
        CYCLE_TRANSITIONS[from_status].apply(locked, actor)
    cycle.status = locked.status
    return record


