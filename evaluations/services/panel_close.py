"""The organiser's decisions that close the panel review (Art 11, R6): the number of 不合格 of
group C, the order of institutions still equal across a deciding line, and the close itself,
which fixes each member's panel score, place and result. The rules are ``scoring``'s
(``fail_count``, ``panel_order``, ``reverification_list``, ``settle_group_c``); the figures
are the console's (``selectors.panel_console``)."""
from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

import scoring
from institutions.audit import acting_as
from institutions.audit.registry import bulk_created_record
from institutions.exceptions import DomainError
from institutions.models import User

from ..enums import CycleStatus, PanelGroup
from ..models import Cycle, ExpertScore, PanelOutcome, PanelResult, PanelResultKind
from ..selectors.panel_console import Console, panel_console
from .panel import expert_score_reopen
from .stages import cycle_stage_close


def _open_problem(cycle: Cycle) -> str | None:
    if cycle.status != CycleStatus.PANEL_REVIEW:
        return _("The panel review is not open.")
    stage = cycle.stage_of(CycleStatus.PANEL_REVIEW)
    if stage is not None and stage.is_closed:
        return _("This stage is already closed.")
    return None


def _locked_outcome(cycle: Cycle) -> tuple[Cycle, PanelOutcome]:
    """The cycle locked (FOR UPDATE: two organisers' tabs decide one after the other) and its
    outcome row, created empty on the first decision; refuses once the stage is closed."""
    locked = Cycle.objects.select_for_update().select_related("policy_version").get(pk=cycle.pk)
    problem = _open_problem(locked)
    if problem:
        raise DomainError(problem)
    outcome, _created = PanelOutcome.objects.select_for_update().get_or_create(cycle=locked)
    return locked, outcome


def panel_fail_count_set(*, cycle: Cycle, chosen: int | None, actor: User) -> PanelOutcome:
    """Record the number of 不合格 the organiser chooses for group C (R6): F or more, never
    fewer (None confirms F). The line then falls after the lowest
    k = min(max(F, chosen), |C|). Refuses a number below F with a message saying F; during
    the panel review only."""
    with transaction.atomic(), acting_as(actor):
        locked, outcome = _locked_outcome(cycle)
        params = locked.policy_version.as_params()
        minimum = scoring.city_quotas(locked.participants.count(), params).F
        c_size = locked.participants.filter(group=PanelGroup.C).count()
        try:
            scoring.fail_count(minimum, chosen, c_size)
        except scoring.FailCountError as exc:
            raise DomainError(_(
                "At least %(minimum)s institutions of group C (poor) are unqualified (Article "
                "11): choose %(minimum)s or more, not %(chosen)s.")
                % {"minimum": exc.minimum, "chosen": exc.chosen}) from exc
        outcome.fail_count, outcome.fail_count_confirmed = chosen, True
        outcome.full_clean()
        outcome.save(update_fields=["fail_count", "fail_count_confirmed"])
    return outcome


def panel_tiebreak_set(*, cycle: Cycle, order: Sequence[int], reason: str,
                       actor: User) -> PanelOutcome:
    """Record the order (best first) of institutions of one group with equal panel scores
    (R6), with the reason. The institutions of ``order`` take that order among themselves;
    the order recorded for others is kept, and the reason is added to those given before.
    Refuses fewer than two institutions, one named twice, one outside groups A and C of the
    cycle, or institutions of different groups or panel scores."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the order of the institutions with equal "
                            "panel scores."))
    order = list(order)
    if len(order) < 2 or len(set(order)) != len(order):
        raise DomainError(_("Put each institution with an equal panel score in its own "
                            "place."))
    with transaction.atomic(), acting_as(actor):
        locked, outcome = _locked_outcome(cycle)
        console = panel_console(locked)
        rows = [console.rows.get(pk) for pk in order]
        if any(row is None for row in rows) or len({row.group for row in rows}) != 1:
            raise DomainError(_("Only institutions of the same group of the panel review "
                                "can be ordered together."))
        if any(row.panel_score is None for row in rows) \
                or len({row.panel_score for row in rows}) != 1:
            raise DomainError(_("Only institutions with equal panel scores can be ordered: "
                                "the others are ordered by their scores."))
        outcome.tiebreak = [pk for pk in outcome.tiebreak if pk not in order] + order
        names = " > ".join(row.name for row in rows)
        outcome.tiebreak_reason = "\n".join(
            line for line in (outcome.tiebreak_reason, f"{names}：{reason}") if line)
        outcome.full_clean()
        outcome.save(update_fields=["tiebreak", "tiebreak_reason"])
    return outcome


def panel_score_reopen(*, score: ExpertScore, reason: str, actor: User) -> ExpertScore:
    """The organiser reopens a submitted score, with a reason, while the panel review is open
    (``services.panel.expert_score_reopen``): once it closes the scores are fixed."""
    with transaction.atomic():
        _locked_outcome(score.participant.cycle)
        return expert_score_reopen(score=score, actor=actor, reason=reason)


def _names(rows) -> str:
    return "、".join(row.name for row in rows)


def panel_review_close_problems(cycle: Cycle, console: Console | None = None) -> list[str]:
    """Why the panel review cannot close now (none: it can): an institution of A or C with
    fewer than ``min_panel_scores`` submitted scores (R6a), institutions still equal across
    the line of the re-verification list or of the 不合格 (R6), the number of 不合格 not
    confirmed by the organiser. ``console``: the figures, when the caller has them."""
    problem = _open_problem(cycle)
    if problem:
        return [problem]
    console = console or panel_console(cycle)
    problems = []
    short = console.below_minimum
    if short:
        problems.append(ngettext(
            "%(count)s institution has fewer than %(minimum)s submitted scores: %(names)s.",
            "%(count)s institutions have fewer than %(minimum)s submitted scores: %(names)s.",
            len(short)) % {"count": len(short), "minimum": console.params.min_panel_scores,
                           "names": _names(short)})
    if console.a.tie:
        problems.append(_("Institutions of group A (good) with equal panel scores straddle the "
                          "line of the re-verification list: %(names)s. Record their order.")
                        % {"names": _names(console.a.blocking)})
    if console.c.tie:
        problems.append(_("Institutions of group C (poor) with equal panel scores straddle the "
                          "line of the unqualified: %(names)s. Record their order.")
                        % {"names": _names(console.c.blocking)})
    if not console.outcome.fail_count_confirmed:
        problems.append(_("Confirm the number of unqualified institutions of group C (poor): "
                          "at least %(minimum)s.") % {"minimum": console.quotas.F})
    return problems


def panel_review_close(*, cycle: Cycle, actor: User) -> PanelOutcome:
    """Close the panel review (R6) once every problem of ``panel_review_close_problems`` is
    solved: each member of groups A and C gets its panel score, its place in its group's
    panel order (1 = the best) and its result (the first min(E+G, |A|) of A are on the
    re-verification list; the lowest k of C, and any with a confirmed fraud (R8), are
    不合格, the rest of C 合格), fixed from then on; the stage is marked closed."""
    with transaction.atomic(), acting_as(actor):
        locked, outcome = _locked_outcome(cycle)
        console = panel_console(locked)
        problems = panel_review_close_problems(locked, console)
        if problems:
            raise DomainError(" ".join(problems))
        tiebreak = [str(pk) for pk in outcome.tiebreak]
        results = {}
        for group in (console.a, console.c):
            scores = {r.row.key: r.row.panel_score for r in group.ranked}
            order = scoring.panel_order(scores, tiebreak)
            if group.group == PanelGroup.A:
                listed = set(scoring.reverification_list(
                    order, excellent_places=console.quotas.E, good_places=console.quotas.G))
                kinds = {key: PanelResultKind.REVERIFY if key in listed
                         else PanelResultKind.NOT_LISTED for key in order.ids}
            else:
                settled = scoring.settle_group_c(
                    order, fail_minimum=console.quotas.F, chosen=outcome.fail_count,
                    fraud={r.key for r in console.rows.values() if r.fraud})
                kinds = {key: PanelResultKind(final.value)
                         for key, final in settled.finals.items()}
            for place, key in enumerate(order.ids, start=1):
                results[key] = PanelResult(outcome=outcome, participant_id=int(key),
                                           score=scores[key], rank=place, result=kinds[key])
        bulk_created_record(PanelResult.objects.bulk_create(results.values()))
        outcome.closed_at, outcome.closed_by = timezone.now(), actor
        outcome.save(update_fields=["closed_at", "closed_by"])
        cycle_stage_close(cycle=locked, actor=actor)
    return outcome
