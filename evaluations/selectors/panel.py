"""Reads of stage 3, the panel review (Art 11, R6a): the members of groups A and C as the draw
sees them, the institutions each panel holds, the pool as of a date, what a draw would do
before it is made, and the replay of a recorded draw."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

import scoring
from institutions.enums import ExpertStatus, TitleLevel
from institutions.models import Expert, ExpertEmployment
from institutions.models.pool import conflict_since

from ..enums import CycleStatus, PanelGroup, SeatRole, SeatStatus
from ..models import Conflict, Cycle, Panel, PanelDraw, PanelSeat, Participant


@dataclass
class PanelMembers:
    """The members of groups A and C (R6a) as the draw's rules take them (ids are credit
    codes), with the category of each one's cluster and the way back to its participant."""

    by_group: dict[str, list[scoring.PanelInstitution]] = field(default_factory=dict)
    category: dict[str, str] = field(default_factory=dict)  # id: ClusterGroup value
    participant_pk: dict[str, int] = field(default_factory=dict)
    name: dict[str, str] = field(default_factory=dict)


def panel_members(cycle: Cycle) -> PanelMembers:
    """Groups A and C of ``cycle``, in one query."""
    members = PanelMembers(by_group={PanelGroup.A: [], PanelGroup.C: []})
    rows = (Participant.objects.filter(cycle=cycle, group__in=PanelGroup.values)
            .order_by("institution__credit_code")
            .values_list("pk", "group", "institution__credit_code", "institution__name",
                         "institution__legal_representative", "institution__contact_person",
                         "submission__cluster__name", "submission__cluster__group"))
    for pk, group, code, name, legal, contact, cluster, category in rows:
        members.by_group[group].append(scoring.PanelInstitution(
            id=code, cluster=cluster, credit_code=code, legal_representative=legal,
            contact=contact))
        members.category[code] = category
        members.participant_pk[code] = pk
        members.name[code] = name
    return members


def panel_institutions(panel: Panel, members: PanelMembers) -> list[scoring.PanelInstitution]:
    """The institutions ``panel`` holds: its group's, or those of its cluster categories."""
    return [i for i in members.by_group.get(panel.group, [])
            if not panel.categories or members.category[i.id] in panel.categories]


def coverage_problems(cycle: Cycle, members: PanelMembers | None = None) -> list[str]:
    """Every member of A and C must be in exactly one panel (R6a): a sentence per
    institution that is not (at most five, then how many more)."""
    members = members or panel_members(cycle)
    panels = list(cycle.panels.all())
    held = {p.name: [i.id for i in panel_institutions(p, members)] for p in panels}
    everyone = [i.id for group in members.by_group.values() for i in group]
    problems = scoring.panel_assignment_problems(everyone, held)
    lines = [(_("%(name)s is in no panel.") if not p.panels else
              _("%(name)s is in several panels: %(panels)s."))
             % {"name": members.name[p.institution_id], "panels": "、".join(p.panels)}
             for p in problems[:5]]
    if len(problems) > 5:
        lines.append(_("And %(count)s more.") % {"count": len(problems) - 5})
    return lines


def pool_for_draw(on: dt.date) -> dict[str, scoring.Expert]:
    """The whole pool as the draw's rules see it on ``on`` (R6a), by pool number: drawable or
    not, its clusters, its employers now and in the last three years (the rule of
    ``Expert.employer_codes``). Three flat queries whatever the size of the pool: the experts,
    their clusters' names and their past employments; no model instance is built."""
    since = conflict_since(on)
    senior = {level for level in TitleLevel.values if Expert(title_level=level).is_senior}
    clusters: dict[int, set[str]] = {}
    for expert_id, name in Expert.clusters.through.objects.values_list("expert_id",
                                                                      "cluster__name"):
        clusters.setdefault(expert_id, set()).add(name)
    past: dict[int, set[str]] = {}
    for expert_id, code, ended_on in ExpertEmployment.objects.order_by().values_list(
            "expert_id", "credit_code", "ended_on"):
        if ended_on is None or ended_on >= since:
            past.setdefault(expert_id, set()).add(code)
    rows = Expert.objects.order_by("pool_number").values_list(
        "pk", "pool_number", "name", "title_level", "status", "employer_credit_code")
    return {number: scoring.Expert(
        id=number, name=name, clusters=frozenset(clusters.get(pk, ())),
        senior=level in senior, active=status == ExpertStatus.ACTIVE,
        employers=frozenset({employer, *past.get(pk, ())}))
        for pk, number, name, level, status, employer in rows}


def drawn_before(panel: Panel) -> set[str]:
    """The pool numbers drawn, as member or alternate, for the cycle's panels before
    ``panel``: not eligible for it (R6a)."""
    return set(Expert.objects.filter(seats__panel__cycle_id=panel.cycle_id,
                                     seats__panel__position__lt=panel.position)
               .values_list("pool_number", flat=True))


@dataclass
class DrawPreview:
    """What drawing a panel will do, shown before it is done."""

    institutions: list[scoring.PanelInstitution]
    eligible: list[Expert]
    excluded: list[tuple[Expert, str]]  # each with the reason, in words
    members: int
    alternates: int
    problems: list[str]

    @property
    def missing(self) -> int:
        return max(0, self.members + self.alternates - len(self.eligible))


INELIGIBLE_LABELS = {
    scoring.Ineligible.INACTIVE: lambda: _("Suspended"),
    scoring.Ineligible.NOT_SENIOR: lambda: _("Title below the pool's requirement"),
    scoring.Ineligible.NO_MATCHING_CLUSTER: lambda: _("Judges none of the panel's clusters"),
    scoring.Ineligible.ALREADY_DRAWN: lambda: _("Drawn for an earlier panel"),
}


def draw_preview(panel: Panel, problems: list[str]) -> DrawPreview:
    """The eligible experts and their number, the members and alternates to draw and why the
    others are not eligible (R6a)."""
    params = panel.cycle.policy_version.as_params()
    members = panel_members(panel.cycle)
    institutions = panel_institutions(panel, members)
    pool = pool_for_draw(timezone.localdate())
    clusters = {i.cluster for i in institutions} - {None}
    seen = scoring.eligibility(pool.values(), clusters, drawn_before(panel), panel.widen)
    # Only what the page shows of each: the pool has thousands of experts.
    experts = {e.pool_number: e for e in Expert.objects.only(
        "pk", "pool_number", "name", "employer_name")}
    return DrawPreview(
        institutions=institutions,
        eligible=[experts[n] for n in seen.eligible],
        excluded=[(experts[n], str(INELIGIBLE_LABELS[reason]()))
                  for n, reason in sorted(seen.excluded.items())],
        members=params.panel_size, alternates=params.panel_alternates, problems=problems)


def draw_record(draw: PanelDraw) -> scoring.DrawRecord:
    """The recorded draw as the rules' record: its seed, eligible list and the experts drawn
    in draw order."""
    seats = list(draw.seats.select_related("expert").order_by("position"))
    return scoring.DrawRecord(
        seed=draw.seed, eligible=tuple(draw.eligible),
        members=tuple(s.expert.pool_number for s in seats if s.role == SeatRole.MEMBER),
        alternates=tuple(s.expert.pool_number for s in seats if s.role == SeatRole.ALTERNATE))


def draw_replays(draw: PanelDraw) -> bool:
    """Whether the formula, run again from the record's seed and eligible list, gives the
    experts recorded (R6a): the check anyone can make from the record."""
    return scoring.replay(draw_record(draw))


def seat_assignments(seat: PanelSeat) -> list[int]:
    """The participants ``seat``'s expert scores (R6a): the panel's institutions less those
    it has a conflict with; none unless it serves on the panel."""
    if not (seat.serving and seat.status == SeatStatus.ACCEPTED):
        return []
    members = panel_members(seat.panel.cycle)
    conflicted = set(Conflict.objects.filter(expert_id=seat.expert_id,
                                             cycle_id=seat.panel.cycle_id)
                     .values_list("participant_id", flat=True))
    return [members.participant_pk[i.id] for i in panel_institutions(seat.panel, members)
            if members.participant_pk[i.id] not in conflicted]


def expert_seats(user) -> list[PanelSeat]:
    """The seats the expert ``user`` serves in during an open panel review."""
    return [seat for seat in PanelSeat.objects.filter(
        expert__user=user, status=SeatStatus.ACCEPTED,
        panel__cycle__status=CycleStatus.PANEL_REVIEW).select_related("panel__cycle", "expert")
        if seat.serving]


def seat_institutions(seat: PanelSeat) -> list[tuple[int, str]]:
    """The panel's institutions an expert may declare a conflict with: those not already
    conflicted (which it never sees)."""
    members = panel_members(seat.panel.cycle)
    known = set(Conflict.objects.filter(expert_id=seat.expert_id, cycle_id=seat.panel.cycle_id)
                .values_list("participant_id", flat=True))
    rows = [(members.participant_pk[i.id], members.name[i.id])
            for i in panel_institutions(seat.panel, members)]
    return [(pk, name) for pk, name in rows if pk not in known]


def next_to_score(seat: PanelSeat, after: Participant) -> int | None:
    """The next institution of the expert's list (by name, as the list shows it) it has not
    submitted a score of, after ``after``; else the first such before it."""
    done = set(seat.scores.filter(submitted_at__isnull=False)
               .values_list("participant_id", flat=True))
    order = list(Participant.objects.filter(pk__in=seat_assignments(seat))
                 .order_by("institution__name").values_list("pk", flat=True))
    if after.pk in order:
        k = order.index(after.pk)
        order = order[k + 1:] + order[:k]
    return next((pk for pk in order if pk not in done), None)
