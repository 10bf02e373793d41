"""Every write of stage 3, the panel review (Art 11, R6a): the cycle's panels, their draws and
the conflicts found with the drawn experts. The rules are ``scoring.draw``'s; this module loads
the rows, calls them and records the answer with who did it.

A panel's draw cannot be redone: once drawn, only a supplementary draw (with a new seed) adds
experts, after the alternates ran out."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import scoring
from institutions.audit import acting_as
from institutions.audit.registry import bulk_created_record
from institutions.enums import ClusterGroup
from institutions.exceptions import DomainError
from institutions.models import User

from ..enums import ConflictSource, CycleStatus, DrawKind, PanelGroup, SeatRole, SeatStatus
from ..models import Conflict, Cycle, ExpertScore, Panel, PanelDraw, PanelSeat, Participant
from ..selectors.panel import (
    PanelMembers,
    coverage_problems,
    drawn_before,
    panel_institutions,
    panel_members,
    pool_for_draw,
    seat_assignments,
)
from .preliminary import parse_points

CONFLICT_SOURCE = {
    scoring.ConflictReason.EMPLOYER: ConflictSource.EMPLOYER,
    scoring.ConflictReason.LEGAL_REPRESENTATIVE: ConflictSource.LEGAL_REPRESENTATIVE,
    scoring.ConflictReason.CONTACT: ConflictSource.CONTACT,
}


def panels_open(*, cycle: Cycle) -> list[Panel]:
    """The default panels of a cycle entering the panel review: one for group A, one for
    group C (R6a). Nothing when the cycle has panels already."""
    if cycle.panels.exists():
        return []
    panels = Panel.objects.bulk_create([Panel(cycle=cycle, group=PanelGroup.A, position=1),
                                        Panel(cycle=cycle, group=PanelGroup.C, position=2)])
    bulk_created_record(panels)
    return panels


def _check_undrawn(cycle: Cycle) -> None:
    if cycle.status != CycleStatus.PANEL_REVIEW:
        raise DomainError(_("The panels can be changed only during the panel review."))
    if PanelDraw.objects.filter(panel__cycle=cycle).exists():
        raise DomainError(_("A panel has been drawn already: the panels can no longer be "
                            "changed."))


def panel_group_split(*, cycle: Cycle, group: str, splits: Sequence[Sequence[str]],
                      actor: User) -> list[Panel]:
    """Form the panels of ``group``: one per entry of ``splits``, each a list of cluster
    categories (``ClusterGroup`` values); a single empty entry is the whole group (R6a).
    Before any draw only. The new panels are drawn after the cycle's existing ones, in the
    order given. The result must still cover every member of A and C exactly once: a split
    leaving a category out, or naming one twice, is refused."""
    splits = [sorted(set(split)) for split in splits]
    known = set(ClusterGroup.values)
    if not splits or any(set(split) - known for split in splits):
        raise DomainError(_("Choose the cluster categories of each panel."))
    named = [c for split in splits for c in split]
    if len(splits) > 1 and (sorted(named) != sorted(known) or len(named) != len(set(named))):
        raise DomainError(_("Split the group so that every cluster category is in exactly "
                            "one panel."))
    with transaction.atomic(), acting_as(actor):
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        _check_undrawn(locked)
        Panel.objects.filter(cycle=locked, group=group).delete()
        last = max(locked.panels.values_list("position", flat=True), default=0)
        panels = [Panel.objects.create(cycle=locked, group=group, position=last + n,
                                       categories=[] if len(splits) == 1 else split)
                  for n, split in enumerate(splits, start=1)]
    return panels


def panel_widen(*, panel: Panel, reason: str, actor: User) -> Panel:
    """Make every drawable expert of the pool eligible for ``panel`` whatever its clusters
    (R6a), with a recorded reason; before any draw."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for drawing this panel from the whole pool."))
    with transaction.atomic(), acting_as(actor):
        _check_undrawn(Cycle.objects.select_for_update().get(pk=panel.cycle_id))
        panel.widen, panel.widen_reason = True, reason
        panel.save(update_fields=["widen", "widen_reason"])
    return panel


def panel_draw_problems(panel: Panel, members: PanelMembers | None = None) -> list[str]:
    """Why ``panel`` cannot be drawn now (empty when it can). ``members``: the cycle's members
    of A and C, when the caller has them."""
    cycle = panel.cycle
    if cycle.status != CycleStatus.PANEL_REVIEW:
        return [_("Panels are drawn during the panel review.")]
    if panel.draws.exists():
        return [_("This panel has been drawn; the draw cannot be redone.")]
    earlier = cycle.panels.filter(position__lt=panel.position, draws__isnull=True)
    if earlier.exists():
        return [_("Draw the panels in order: “%(panel)s” first.")
                % {"panel": earlier.order_by("position").first().name}]
    members = members or panel_members(cycle)
    problems = [str(problem) for problem in coverage_problems(cycle, members)]
    if not panel_institutions(panel, members):
        problems.append(_("This panel holds no institution."))
    return problems


def _draw_inputs(panel: Panel, drawn: Collection[str], members: PanelMembers | None = None):
    """What a draw of ``panel`` starts from: the members of A and C (``members`` when the
    caller has them), the panel's institutions, the pool as of today (by pool number) and the
    experts eligible (R6a), ``drawn`` left out."""
    members = members or panel_members(panel.cycle)
    institutions = panel_institutions(panel, members)
    pool = pool_for_draw(timezone.localdate())
    clusters = {i.cluster for i in institutions} - {None}
    eligible = scoring.eligible_experts(pool.values(), clusters, drawn, panel.widen)
    return members, institutions, pool, eligible


def _not_enough(exc: scoring.NotEnoughExperts) -> DomainError:
    """The refusal of a draw with too few eligible experts, saying how many are missing."""
    return DomainError(_("Only %(eligible)s experts are eligible for this panel, %(missing)s "
                         "fewer than the %(needed)s to draw.")
                       % {"eligible": exc.eligible, "missing": exc.missing,
                          "needed": exc.needed})


def panel_draw(*, panel: Panel, actor: User, seed: str = "") -> PanelDraw:
    """Draw ``panel``'s members and alternates (R6a) and record the draw: the seed (typed in
    beforehand, or from ``secrets`` now), the sorted eligible list, who drew and when; then
    record the conflicts found between the drawn experts and the panel's institutions.

    Preconditions: the cycle is in the panel review; this panel was not drawn; the panels
    before it were; every member of A and C is in exactly one panel; enough experts are
    eligible. Raises ``DomainError`` saying which does not hold (how many experts are
    missing)."""
    seed = (seed or "").strip()
    with transaction.atomic(), acting_as(actor):
        Cycle.objects.select_for_update().get(pk=panel.cycle_id)
        panel = Panel.objects.select_related("cycle__policy_version").get(pk=panel.pk)
        members = panel_members(panel.cycle)
        problems = panel_draw_problems(panel, members)
        if problems:
            raise DomainError(" ".join(problems))
        params = panel.cycle.policy_version.as_params()
        members, institutions, pool, eligible = _draw_inputs(panel, drawn_before(panel),
                                                             members)
        try:
            record = scoring.draw(eligible, seed or scoring.new_seed(), params.panel_size,
                                  params.panel_alternates)
        except scoring.NotEnoughExperts as exc:
            raise _not_enough(exc) from exc
        draw = PanelDraw.objects.create(
            panel=panel, kind=DrawKind.INITIAL, seed=record.seed, seed_entered=bool(seed),
            eligible=list(record.eligible), members=len(record.members),
            alternates=len(record.alternates), drawn_by=actor)
        experts = _experts(record.drawn)
        _seat(panel, draw, [experts[n] for n in record.members], SeatRole.MEMBER,
              SeatStatus.DRAWN)
        _seat(panel, draw, [experts[n] for n in record.alternates], SeatRole.ALTERNATE,
              SeatStatus.STANDBY, start=len(record.members) + 1)
        _record_conflicts(panel, [pool[i] for i in record.drawn], institutions, members,
                          experts)
    return draw


def _experts(pool_numbers: Sequence[str]) -> dict:
    """The drawn experts' rows by pool number, in one query: the seats and conflicts created
    hold them, so that their audit entries name them without reading them one by one."""
    from institutions.models import Expert

    return {e.pool_number: e for e in Expert.objects.filter(pool_number__in=pool_numbers)}


def _seat(panel: Panel, draw: PanelDraw, experts: Sequence, role: str, status: str,
          start: int = 1) -> None:
    bulk_created_record(PanelSeat.objects.bulk_create([
        PanelSeat(panel=panel, draw=draw, expert=expert, position=n, role=role,
                  status=status)
        for n, expert in enumerate(experts, start=start)]))


def _record_conflicts(panel: Panel, experts: Sequence[scoring.Expert],
                      institutions: Sequence[scoring.PanelInstitution], members,
                      rows_by_number: dict | None = None) -> None:
    """The conflicts found automatically (R6a) between the drawn ``experts`` and the panel's
    institutions: one row per expert × institution × reason. ``rows_by_number``: the experts'
    rows by pool number, when the caller has them. The conflicts created hold their cycle,
    expert and participant (with its institution), read in two queries, for their audit
    entries."""
    found = scoring.conflict_map(experts, institutions)
    if not found:
        return
    by_id = {i.id: i for i in institutions}
    experts_by_number = {e.id: e for e in experts}
    rows_by_number = rows_by_number or _experts(list(experts_by_number))
    participants = {p.pk: p for p in Participant.objects.select_related("institution").filter(
        pk__in=[members.participant_pk[i] for i in found])}
    rows = []
    for institution_id, numbers in found.items():
        participant = participants[members.participant_pk[institution_id]]
        for number in numbers:
            for reason in scoring.detected_conflicts(experts_by_number[number],
                                                     by_id[institution_id]):
                rows.append(Conflict(cycle=panel.cycle, expert=rows_by_number[number],
                                     participant=participant,
                                     source=CONFLICT_SOURCE[reason]))
    bulk_created_record(Conflict.objects.bulk_create(rows))


# --- Invitations, answers and replacements (R6a) ----------------------------------------------

def _invitation(seats: Sequence[PanelSeat]) -> None:
    """Tell each invited expert who has an account, in the application and by e-mail (after
    the commit, through the outbox)."""
    from institutions.notifications import notify

    for seat in seats:
        user = seat.expert.user
        if user is None:
            continue
        panel = seat.panel
        notify(users=[user], url=reverse("evaluations:expert_home"),
               subject=_("Invitation to the %(year)s panel review: %(panel)s")
               % {"year": panel.cycle.year, "panel": panel.name},
               body=_("You were drawn for %(panel)s of the %(year)s performance evaluation of "
                      "new-type R&D institutions. Accept or decline the invitation; on "
                      "accepting, declare any conflict of interest with its institutions.")
               % {"year": panel.cycle.year, "panel": panel.name})


def panel_invite(*, panel: Panel, actor: User) -> int:
    """Invite the panel's members not invited yet (once the organiser has seen the conflicts
    found at the draw); returns how many were invited."""
    with transaction.atomic(), acting_as(actor):
        seats = list(panel.seats.select_for_update(of=("self",))
                     .filter(status=SeatStatus.DRAWN)
                     .select_related("expert__user", "panel__cycle"))
        if not seats:
            raise DomainError(_("Every member of the panel has been invited already."))
        for seat in seats:
            seat.status = SeatStatus.INVITED
            seat.save(update_fields=["status"])
        _invitation(seats)
    return len(seats)


def _check_open(seat: PanelSeat, actor: User,
                statuses: tuple[str, ...] = (SeatStatus.INVITED,)) -> None:
    if seat.panel.cycle.status != CycleStatus.PANEL_REVIEW:
        raise DomainError(_("The panel review is closed."))
    if seat.status not in statuses:
        raise DomainError(_("This invitation has been answered already."))
    if actor.pk != seat.expert.user_id and not actor.has_perm("evaluations.manage_panel"):
        raise DomainError(_("Only the invited expert answers the invitation."))


def seat_accept(*, seat: PanelSeat, actor: User,
                conflicts: Sequence[tuple[int, str]] = ()) -> PanelSeat:
    """The invited expert accepts, declaring no conflict with the panel's institutions other
    than ``conflicts`` (participant id, reason), which are recorded as declared (R6a). The
    organiser may record the answer given by telephone."""
    with transaction.atomic(), acting_as(actor):
        seat = PanelSeat.objects.select_for_update().select_related(
            "panel__cycle", "expert").get(pk=seat.pk)
        _check_open(seat, actor)
        allowed = set(_participant_pks(seat.panel))
        for participant_id, reason in conflicts:
            if participant_id not in allowed:
                raise DomainError(_("A conflict can only be declared with an institution of "
                                    "the panel."))
            Conflict.objects.get_or_create(
                cycle_id=seat.panel.cycle_id, expert=seat.expert, participant_id=participant_id,
                source=ConflictSource.DECLARED,
                defaults={"reason": reason.strip(), "recorded_by": actor})
        seat.status, seat.responded_at = SeatStatus.ACCEPTED, timezone.now()
        seat.save(update_fields=["status", "responded_at"])
    return seat


def _participant_pks(panel: Panel) -> list[int]:
    members = panel_members(panel.cycle)
    return [members.participant_pk[i.id] for i in panel_institutions(panel, members)]


def seat_decline(*, seat: PanelSeat, actor: User, reason: str,
                 recuse: bool = False) -> PanelSeat | None:
    """The expert declines the invitation, or withdraws from the whole panel (``recuse``),
    with a reason (R6a); the first unused alternate takes its place, is invited and told.
    Returns that alternate's seat, or None when no alternate is left: a supplementary draw
    is then needed."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for declining."))
    with transaction.atomic(), acting_as(actor):
        # The panel first: two members leaving at once take their alternates one after the
        # other (and lock the panel's seats in the same order).
        Panel.objects.select_for_update().get(pk=seat.panel_id)
        seat = PanelSeat.objects.select_for_update().select_related(
            "panel__cycle", "expert").get(pk=seat.pk)
        # A member who accepted may still withdraw from the whole panel.
        _check_open(seat, actor, (SeatStatus.INVITED, SeatStatus.ACCEPTED) if recuse
                    else (SeatStatus.INVITED,))
        seat.status = SeatStatus.RECUSED if recuse else SeatStatus.DECLINED
        seat.reason, seat.responded_at = reason, timezone.now()
        seat.save(update_fields=["status", "reason", "responded_at"])
        return _replace(seat)


def _replace(leaving: PanelSeat) -> PanelSeat | None:
    panel = leaving.panel
    seats = list(panel.seats.select_for_update(of=("self",))
                 .select_related("expert__user", "panel__cycle").order_by("draw", "position"))
    standby = [s for s in seats if s.role == SeatRole.ALTERNATE]
    used = {s.expert.pool_number for s in standby if s.status != SeatStatus.STANDBY}
    serving = [s.expert.pool_number for s in seats if s.pk == leaving.pk or s.serving]
    number = scoring.replace_member(serving, [s.expert.pool_number for s in standby], used,
                                    leaving.expert.pool_number)
    if number is None:
        return None
    alternate = next(s for s in standby if s.expert.pool_number == number)
    alternate.status, alternate.replaces = SeatStatus.INVITED, leaving
    alternate.save(update_fields=["status", "replaces"])
    _invitation([alternate])
    return alternate


def panel_supplementary_draw(*, panel: Panel, actor: User, reason: str,
                             seed: str = "") -> PanelDraw:
    """Once the alternates ran out, replace each member who declined or withdrew and has no
    replacement by a supplementary draw with a new seed (R6a), from the experts eligible for
    the panel and not drawn yet in the cycle; the new members are invited at once."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the supplementary draw."))
    seed = (seed or "").strip()
    with transaction.atomic(), acting_as(actor):
        Cycle.objects.select_for_update().get(pk=panel.cycle_id)
        panel = Panel.objects.select_related("cycle").get(pk=panel.pk)
        if panel.cycle.status != CycleStatus.PANEL_REVIEW or not panel.draws.exists():
            raise DomainError(_("A supplementary draw follows the panel's draw, during the "
                                "panel review."))
        seats = list(panel.seats.select_related("expert").order_by("draw", "position"))
        if any(s.role == SeatRole.ALTERNATE and s.status == SeatStatus.STANDBY for s in seats):
            raise DomainError(_("An alternate is still available: a supplementary draw is made "
                                "only when the alternates have run out."))
        leaving = [s for s in seats if s.status in (SeatStatus.DECLINED, SeatStatus.RECUSED)
                   and not PanelSeat.objects.filter(replaces=s).exists()]
        if not leaving:
            raise DomainError(_("No member is missing from the panel."))
        members, institutions, pool, eligible = _draw_inputs(panel, ())
        in_cycle = set(PanelSeat.objects.filter(panel__cycle=panel.cycle)
                       .values_list("expert__pool_number", flat=True))
        try:
            record = scoring.supplementary_draw(eligible, in_cycle, seed or scoring.new_seed(),
                                                len(leaving))
        except scoring.NotEnoughExperts as exc:
            raise _not_enough(exc) from exc
        draw = PanelDraw.objects.create(
            panel=panel, kind=DrawKind.SUPPLEMENTARY, seed=record.seed, seed_entered=bool(seed),
            eligible=list(record.eligible), members=len(record.members), alternates=0,
            reason=reason, drawn_by=actor)
        experts = _experts(record.members)
        start = max(s.position for s in seats) + 1
        new = []
        for n, (number, gone) in enumerate(zip(record.members, leaving, strict=True)):
            seat = PanelSeat.objects.create(panel=panel, draw=draw, expert=experts[number],
                                            position=start + n, role=SeatRole.MEMBER,
                                            status=SeatStatus.INVITED, replaces=gone)
            new.append(seat)
        _record_conflicts(panel, [pool[i] for i in record.members], institutions, members,
                          experts)
        _invitation(PanelSeat.objects.filter(pk__in=[s.pk for s in new])
                    .select_related("expert__user", "panel__cycle"))
    return draw


# --- The experts' scores (R6) -----------------------------------------------------------------

class ScoreConflict(DomainError):
    """The score was saved elsewhere (another tab) since this page was loaded: nothing is
    written and the message says so."""


def _indicator_points(cycle_id: int) -> dict[str, Decimal]:
    from ..models import Indicator

    return {str(pk): Decimal(points) for pk, points in Indicator.objects.filter(
        category__cycle_id=cycle_id).values_list("pk", "points")}


def _check_assigned(seat: PanelSeat, participant_id: int, actor: User) -> None:
    cycle = seat.panel.cycle
    stage = cycle.stage_of(CycleStatus.PANEL_REVIEW)
    if cycle.status != CycleStatus.PANEL_REVIEW or (stage is not None and stage.is_closed):
        raise DomainError(_("The panel review is closed."))
    if actor.pk != seat.expert.user_id:
        raise DomainError(_("Only the expert scores its own assignments."))
    if participant_id not in seat_assignments(seat):
        raise DomainError(_("This institution is not assigned to you."))


def _parsed(raw: dict, points: dict[str, Decimal]) -> dict[str, str]:
    """The scores typed in, checked one by one as the district's are (a draft may leave some
    empty)."""
    scores = {}
    for indicator, value in raw.items():
        if indicator not in points:
            raise DomainError(_("This indicator is not part of the cycle."))
        score = parse_points(value, points[indicator])
        if score is not None:
            scores[indicator] = str(score)
    return scores


def expert_score_save(*, seat: PanelSeat, participant_id: int, scores: dict, comment: str,
                      revision: int, actor: User) -> ExpertScore:
    """Save the expert's draft scores of one institution (R6). ``revision`` is the one the
    page was loaded with: a stale tab raises ``ScoreConflict`` and writes nothing; a
    submitted score is locked until the organiser reopens it."""
    points = _indicator_points(seat.panel.cycle_id)
    parsed = _parsed(scores, points)
    with transaction.atomic(), acting_as(actor):
        seat = PanelSeat.objects.select_for_update().select_related(
            "panel__cycle", "expert").get(pk=seat.pk)
        _check_assigned(seat, participant_id, actor)
        score = (ExpertScore.objects.select_for_update()
                 .filter(seat=seat, participant_id=participant_id).first()
                 or ExpertScore(seat=seat, participant_id=participant_id))
        if score.submitted_at is not None:
            raise DomainError(_("This score is submitted and locked."))
        if score.revision != revision:
            raise ScoreConflict(_(
                "These scores were saved at %(time)s in another window after you opened this "
                "page. Your change was not saved; reload to see them.")
                % {"time": timezone.localtime(score.updated_at).strftime("%H:%M:%S")})
        score.scores, score.comment = parsed, (comment or "").strip()
        score.total = (scoring.expert_total({k: Decimal(v) for k, v in parsed.items()}, points)
                       if len(parsed) == len(points) else None)
        score.revision += 1
        score.save()
    return score


def expert_score_submit(*, score: ExpertScore, actor: User) -> ExpertScore:
    """Submit a complete score: it counts for the panel score and is locked (R6)."""
    with transaction.atomic(), acting_as(actor):
        score = ExpertScore.objects.select_for_update().select_related(
            "seat__panel__cycle", "seat__expert").get(pk=score.pk)
        _check_assigned(score.seat, score.participant_id, actor)
        if score.submitted_at is not None:
            raise DomainError(_("This score is submitted already."))
        if score.total is None:
            raise DomainError(_("Score every indicator before submitting."))
        score.submitted_at = timezone.now()
        score.save(update_fields=["submitted_at", "updated_at"])
    return score


def expert_score_reopen(*, score: ExpertScore, actor: User, reason: str) -> ExpertScore:
    """The organiser reopens a submitted score, with a reason, for the expert to change."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for reopening the score."))
    with transaction.atomic(), acting_as(actor):
        score = ExpertScore.objects.select_for_update().get(pk=score.pk)
        if score.submitted_at is None:
            raise DomainError(_("This score is not submitted."))
        score.submitted_at, score.reopened_reason = None, reason
        score.save(update_fields=["submitted_at", "reopened_reason", "updated_at"])
    return score


def conflict_declare(*, seat: PanelSeat, participant_id: int, reason: str,
                     actor: User) -> Conflict:
    """The expert declares a conflict with an institution of its list before scoring it
    (R6a): the institution leaves its list, with any draft score."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what the conflict is."))
    with transaction.atomic(), acting_as(actor):
        seat = PanelSeat.objects.select_for_update().select_related(
            "panel__cycle", "expert").get(pk=seat.pk)
        _check_assigned(seat, participant_id, actor)
        draft = ExpertScore.objects.filter(seat=seat, participant_id=participant_id).first()
        if draft is not None and draft.submitted_at is not None:
            raise DomainError(_("You have submitted your score of this institution: ask the "
                                "organiser to reopen it first."))
        if draft is not None:
            draft.delete()
        return Conflict.objects.create(cycle_id=seat.panel.cycle_id, expert_id=seat.expert_id,
                                       participant_id=participant_id,
                                       source=ConflictSource.DECLARED, reason=reason,
                                       recorded_by=actor)


def conflict_record(*, seat: PanelSeat, participant_id: int, reason: str,
                    actor: User) -> Conflict:
    """The organiser records a further conflict of a drawn expert with an institution of its
    panel, with a reason (R6a); as with a declared one, any draft score goes."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what the conflict is."))
    with transaction.atomic(), acting_as(actor):
        seat = PanelSeat.objects.select_for_update().select_related(
            "panel__cycle", "expert").get(pk=seat.pk)
        if participant_id not in _participant_pks(seat.panel):
            raise DomainError(_("A conflict can only be declared with an institution of "
                                "the panel."))
        if ExpertScore.objects.filter(seat=seat, participant_id=participant_id,
                                      submitted_at__isnull=False).exists():
            raise DomainError(_("The expert has submitted its score of this institution: "
                                "reopen it first."))
        ExpertScore.objects.filter(seat=seat, participant_id=participant_id).delete()
        conflict, _created = Conflict.objects.get_or_create(
            cycle_id=seat.panel.cycle_id, expert_id=seat.expert_id,
            participant_id=participant_id, source=ConflictSource.RECORDED,
            defaults={"reason": reason, "recorded_by": actor})
    return conflict
