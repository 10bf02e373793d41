"""R6a Expert pool, panels and the draw: who can be drawn, who is eligible for a panel, the
reproducible draw and its replacements, and the conflicts of interest (回避).

Everything here is a function of plain values: the web app loads the pool and the panel's
institutions, calls these and records the answer (seed, eligible list, draw order) so that
anyone can replay it.
"""
from __future__ import annotations

import random
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .enums import CLUSTERS, ClusterCategory, ConflictReason, Group, Ineligible
from .errors import NotEnoughExperts
from .policy import DEFAULT_POLICY, PolicyParams


@dataclass(frozen=True)
class Expert:
    """One expert of the pool (市科技咨询专家库, R6a). ``id`` is the pool number; ``senior`` is
    a title of 副高 or above; ``employers`` holds the credit codes of the employer now and of
    those of the last 3 years; ``declared_conflicts`` the ids of the institutions the expert
    (or the organiser for it) declared a conflict with."""

    id: str
    name: str = ""
    clusters: frozenset[str] = frozenset()
    senior: bool = True
    active: bool = True
    employers: frozenset[str] = frozenset()
    declared_conflicts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PanelInstitution:
    """What the draw needs of an institution of group A or C (R6a): its cluster (None when
    unknown), the credit code that identifies it, its legal representative and contact."""

    id: str
    cluster: str | None = None
    credit_code: str = ""
    legal_representative: str = ""
    contact: str = ""


def drawable(expert: Expert) -> bool:
    """Whether ``expert`` can be drawn at all (R6a): active, with a senior title (副高 or
    above)."""
    return expert.active and expert.senior


# --- Eligibility ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """The pool seen from one panel (R6a): ``eligible`` pool numbers sorted ascending as
    strings (the order the draw takes them in), and for every other expert the first reason
    (in the order of ``Ineligible``) it is not eligible."""

    eligible: tuple[str, ...]
    excluded: Mapping[str, Ineligible]


def eligibility(
    pool: Iterable[Expert],
    panel_clusters: Collection[str],
    already_drawn: Collection[str] = frozenset(),
    widen: bool = False,
) -> Eligibility:
    """Who of ``pool`` is eligible for a panel whose institutions are in ``panel_clusters``
    (R6a): drawable experts judging at least one of those clusters (whatever their clusters
    when the organiser widens the panel to the whole pool, ``widen``), and not drawn, as
    member or alternate, for an earlier panel of the cycle (``already_drawn``)."""
    clusters = frozenset(panel_clusters)
    drawn = frozenset(already_drawn)
    eligible = []
    excluded: dict[str, Ineligible] = {}
    for expert in pool:
        if not expert.active:
            excluded[expert.id] = Ineligible.INACTIVE
        elif not expert.senior:
            excluded[expert.id] = Ineligible.NOT_SENIOR
        elif not widen and clusters.isdisjoint(expert.clusters):
            excluded[expert.id] = Ineligible.NO_MATCHING_CLUSTER
        elif expert.id in drawn:
            excluded[expert.id] = Ineligible.ALREADY_DRAWN
        else:
            eligible.append(expert.id)
    return Eligibility(eligible=tuple(sorted(eligible)), excluded=excluded)


def eligible_experts(
    pool: Iterable[Expert],
    panel_clusters: Collection[str],
    already_drawn: Collection[str] = frozenset(),
    widen: bool = False,
) -> tuple[str, ...]:
    """The pool numbers eligible for the panel (R6a), sorted ascending as strings; see
    ``eligibility``."""
    return eligibility(pool, panel_clusters, already_drawn, widen).eligible


# --- The draw -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawRecord:
    """One draw as it is recorded and published (R6a): the seed, the eligible pool numbers in
    the order the formula takes them, and the drawn experts in draw order, split into
    members and alternates."""

    seed: str
    eligible: tuple[str, ...]
    members: tuple[str, ...]
    alternates: tuple[str, ...]

    @property
    def drawn(self) -> tuple[str, ...]:
        """Members then alternates, in draw order."""
        return self.members + self.alternates


def new_seed() -> str:
    """A fresh seed for a draw, from a secure source (R6a): 16 hexadecimal characters."""
    return secrets.token_hex(8)


def draw(eligible_ids: Iterable[str], seed: str, members: int, alternates: int) -> DrawRecord:
    """The draw of one panel (R6a): exactly
    ``random.Random(seed).sample(sorted(eligible_ids), members + alternates)``; the first
    ``members`` in draw order are the members, the rest the alternates in order.

    Fewer eligible experts than ``members + alternates`` raises ``NotEnoughExperts`` with the
    number missing. String seeds hash with SHA-512, so the draw does not depend on
    PYTHONHASHSEED and anyone can replay it from the seed and the sorted list.
    """
    if not isinstance(seed, str):
        raise TypeError(f"the draw's seed must be a string: {seed!r}")
    if members < 0 or alternates < 0:
        raise ValueError(f"cannot draw {members} members and {alternates} alternates")
    ordered = tuple(sorted(eligible_ids))
    if len(set(ordered)) != len(ordered):
        raise ValueError("an expert is listed twice among the eligible")
    needed = members + alternates
    if len(ordered) < needed:
        raise NotEnoughExperts(needed, len(ordered))
    drawn = random.Random(seed).sample(ordered, needed)
    return DrawRecord(
        seed=seed,
        eligible=ordered,
        members=tuple(drawn[:members]),
        alternates=tuple(drawn[members:]),
    )


def replay(record: DrawRecord) -> bool:
    """Whether ``record`` is what the formula gives for its seed and eligible list (R6a): the
    check anyone can make from the public notice."""
    try:
        again = draw(record.eligible, record.seed, len(record.members), len(record.alternates))
    except (NotEnoughExperts, ValueError, TypeError):
        return False
    return again == record and record.eligible == tuple(sorted(record.eligible))


def replace_member(
    members: Sequence[str],
    alternates: Sequence[str],
    used_alternates: Collection[str],
    leaving: str,
) -> str | None:
    """Who replaces ``leaving``, a member who declines or withdraws from the whole panel
    (R6a): the first alternate, in draw order, not in ``used_alternates``. None when every
    alternate is used: then a ``supplementary_draw`` is needed.

    ``members`` are the panel's members now (alternates who joined included).
    """
    if leaving not in members:
        raise ValueError(f"{leaving!r} is not a member of the panel")
    used = frozenset(used_alternates)
    return next((a for a in alternates if a not in used), None)


def supplementary_draw(
    eligible_ids: Iterable[str], already_drawn: Collection[str], seed: str, count: int
) -> DrawRecord:
    """A supplementary draw of ``count`` experts with a new ``seed`` (R6a), by the same
    formula over the eligible experts not yet drawn: the record's ``eligible`` is that
    remaining list, its ``members`` the experts drawn, in draw order, and it has no
    alternates. Too few left raises ``NotEnoughExperts``."""
    drawn = frozenset(already_drawn)
    return draw((i for i in eligible_ids if i not in drawn), seed, count, 0)


# --- Conflicts of interest (回避) -------------------------------------------------------------


def _person(name: str) -> str:
    # Whitespace carries no meaning in a Chinese name ("王 芳" is 王芳), and an empty name
    # is no one: it must never match an empty contact field.
    return "".join(name.split())


def _code(credit_code: str) -> str:
    return credit_code.strip().upper()


def detected_conflicts(
    expert: Expert, institution: PanelInstitution
) -> tuple[ConflictReason, ...]:
    """The conflicts found automatically between ``expert`` and ``institution`` (R6a): the
    institution's credit code is among the expert's employers (now or in the last 3 years);
    the expert's name is the institution's legal representative, or its contact person.
    Names are compared ignoring whitespace, credit codes ignoring case and surrounding
    spaces; an empty name or credit code matches nothing."""
    reasons = []
    code = _code(institution.credit_code)
    if code and code in {_code(e) for e in expert.employers}:
        reasons.append(ConflictReason.EMPLOYER)
    name = _person(expert.name)
    if name and name == _person(institution.legal_representative):
        reasons.append(ConflictReason.LEGAL_REPRESENTATIVE)
    if name and name == _person(institution.contact):
        reasons.append(ConflictReason.CONTACT)
    return tuple(reasons)


def conflict_reasons(
    expert: Expert, institution: PanelInstitution
) -> tuple[ConflictReason, ...]:
    """Every conflict between ``expert`` and ``institution`` (R6a): the detected ones, then
    ``DECLARED`` when the expert declared one with it."""
    reasons = detected_conflicts(expert, institution)
    if institution.id in expert.declared_conflicts:
        reasons += (ConflictReason.DECLARED,)
    return reasons


def conflict_map(
    experts: Iterable[Expert], institutions: Iterable[PanelInstitution]
) -> dict[str, tuple[str, ...]]:
    """For every institution with at least one conflicted expert (detected or declared, R6a),
    the ids of those experts, sorted; institutions in their given order.

    Linear in the experts and the institutions: the institutions are indexed by credit code
    and by the names of their legal representative and contact, and each expert looks up its
    employers, its name and its declarations, so no expert is compared with every
    institution.
    """
    institutions = list(institutions)
    by_code: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    known = set()
    for institution in institutions:
        known.add(institution.id)
        code = _code(institution.credit_code)
        if code:
            by_code.setdefault(code, []).append(institution.id)
        for person in {_person(institution.legal_representative), _person(institution.contact)}:
            if person:
                by_name.setdefault(person, []).append(institution.id)
    found: dict[str, set[str]] = {}
    for expert in experts:
        hits: set[str] = set()
        for employer in expert.employers:
            hits.update(by_code.get(_code(employer), ()))
        name = _person(expert.name)
        if name:
            hits.update(by_name.get(name, ()))
        hits.update(i for i in expert.declared_conflicts if i in known)
        for institution_id in hits:
            found.setdefault(institution_id, set()).add(expert.id)
    return {i.id: tuple(sorted(found[i.id])) for i in institutions if i.id in found}


# --- Panels ---------------------------------------------------------------------------------


def split_group(
    institutions_with_clusters: Mapping[str, str | None],
    categories: Collection[ClusterCategory | str] | None,
) -> tuple[str, ...]:
    """The institutions of a group that a panel holds (R6a): all of them when ``categories``
    is None, otherwise those whose cluster is in one of ``categories`` (优势 / 新兴 / 特色, the
    "343" grouping); sorted by id. An institution with no cluster, or a cluster outside the
    ten, is in no categorised panel."""
    if categories is None:
        return tuple(sorted(institutions_with_clusters))
    wanted = frozenset(ClusterCategory(c) for c in categories)
    return tuple(sorted(
        i for i, cluster in institutions_with_clusters.items()
        if CLUSTERS.get(cluster) in wanted
    ))


@dataclass(frozen=True)
class CoverageProblem:
    """An institution that breaks "every member of A and C is in exactly one panel" (R6a):
    ``panels`` are the panels holding it (none, or several); ``outside`` tells that it is
    not a member of A or C at all."""

    institution_id: str
    panels: tuple[str, ...]
    outside: bool = False


def panel_assignment_problems(
    group_members: Iterable[str], panels: Mapping[str, Collection[str]]
) -> tuple[CoverageProblem, ...]:
    """Every member of A and C (``group_members``) must be in exactly one of ``panels``
    (panel id → its institutions), and no panel may hold anyone else (R6a). The problems in
    the members' order, then the outsiders in the panels' order; () when there is none."""
    holders: dict[str, list[str]] = {}
    for panel_id, institution_ids in panels.items():
        for institution_id in institution_ids:
            holders.setdefault(institution_id, []).append(panel_id)
    problems = []
    members = set()
    for institution_id in group_members:
        members.add(institution_id)
        held = holders.get(institution_id, [])
        if len(held) != 1:
            problems.append(CoverageProblem(institution_id, tuple(held)))
    for institution_id, held in holders.items():
        if institution_id not in members:
            problems.append(CoverageProblem(institution_id, tuple(held), outside=True))
    return tuple(problems)


@dataclass(frozen=True)
class PanelSpec:
    """A panel as the organiser forms it (R6a): its group, the cluster categories it holds
    (None: the whole group), the seed of its draw and whether it is widened to the whole
    pool."""

    id: str
    group: Group
    seed: str
    categories: frozenset[ClusterCategory] | None = None
    widen: bool = False


@dataclass(frozen=True)
class PanelResult:
    """One panel after its draw (R6a): its institutions sorted by id, the draw record, and for
    each of its institutions with at least one, the drawn experts (members and alternates)
    conflicting with it, sorted."""

    id: str
    institutions: tuple[str, ...]
    record: DrawRecord
    conflicts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def eligible(self) -> int:
        """How many experts were eligible for the draw."""
        return len(self.record.eligible)

    @property
    def members(self) -> tuple[str, ...]:
        return self.record.members

    @property
    def alternates(self) -> tuple[str, ...]:
        return self.record.alternates


def run_draws(
    pool: Sequence[Expert],
    panels: Sequence[PanelSpec],
    group_members: Mapping[Group, Sequence[PanelInstitution]],
    params: PolicyParams = DEFAULT_POLICY,
) -> tuple[PanelResult, ...]:
    """Draw every panel of a cycle (R6a), in the order listed: each holds the institutions
    of its group in its categories (``split_group``); its eligible experts exclude those drawn,
    as member or alternate, for an earlier panel; it draws ``panel_size`` members and
    ``panel_alternates`` alternates. Coverage is the caller's to check
    (``panel_assignment_problems``). A panel with too few eligible experts raises
    ``NotEnoughExperts`` naming it.
    """
    by_id = {i.id: i for members in group_members.values() for i in members}
    drawn: set[str] = set()
    experts = {e.id: e for e in pool}
    results = []
    for panel in panels:
        members = group_members.get(panel.group, ())
        ids = split_group({i.id: i.cluster for i in members}, panel.categories)
        clusters = {by_id[i].cluster for i in ids} - {None}
        eligible = eligible_experts(pool, clusters, drawn, panel.widen)
        try:
            record = draw(eligible, panel.seed, params.panel_size, params.panel_alternates)
        except NotEnoughExperts as exc:
            raise NotEnoughExperts(exc.needed, exc.eligible, panel.id) from None
        drawn.update(record.drawn)
        conflicts = conflict_map(
            (experts[e] for e in record.drawn), (by_id[i] for i in ids)
        )
        results.append(PanelResult(
            id=panel.id, institutions=ids, record=record, conflicts=conflicts
        ))
    return tuple(results)


def assignments(
    panel: PanelResult, conflicts: Mapping[str, Collection[str]]
) -> dict[str, tuple[str, ...]]:
    """What each member of ``panel`` scores (R6a, R6): every institution of the panel except
    those it conflicts with (``conflicts``: institution id → conflicted expert ids), sorted by
    id. A conflicted expert is never assigned the institution."""
    return {
        member: tuple(i for i in panel.institutions if member not in conflicts.get(i, ()))
        for member in panel.members
    }
