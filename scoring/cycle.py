"""A whole cycle from the participants' recorded inputs: R4–R9 and R12 in one call.

The web app runs the stages one by one with the functions this module calls; ``run_cycle``
runs them all at once for ``simulate_cycle`` and for previews.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .enums import Final, Group, SpotVerdict, Verdict
from .errors import MissingPanelScore
from .panel import panel_order, settle_group_c
from .policy import DEFAULT_POLICY, PolicyParams
from .preliminary import GroupSizes, district_groups
from .quotas import CityQuotas, city_quotas
from .results import Checks, deregistrations, publication_checks
from .reverification import reverification_list, settle_group_a, settle_group_b


@dataclass(frozen=True)
class Participant:
    """What a cycle records for one participant (cohort and submitted, R1–R2).

    ``panel_score`` is needed for groups A and C (R6); ``reverify`` matters for those on the
    re-verification list, ``spot_check`` for those drawn (R7); ``previous_final`` is the
    result of the institution's previous cycle (R12).
    """

    id: str
    district: str
    district_rank: int
    panel_score: Decimal | None = None
    reverify: Verdict = Verdict.CONFIRMED
    spot_check: SpotVerdict = SpotVerdict.CONFIRMED
    fraud: bool = False
    previous_final: Final | None = None


@dataclass(frozen=True)
class CycleResult:
    """Everything a cycle decides (R4–R9, R12). ``districts`` is sorted by name; ``preliminary`` and
    ``finals`` are keyed by id in the participants' order."""

    quotas: CityQuotas
    districts: tuple[tuple[str, GroupSizes], ...]
    preliminary: Mapping[str, Group]
    finals: Mapping[str, Final]
    reverification_list: tuple[str, ...]
    alternates: tuple[str, ...]
    spot_check_sample: tuple[str, ...]
    deregistered: tuple[str, ...]
    checks: Checks


def run_cycle(
    participants: Sequence[Participant],
    *,
    params: PolicyParams = DEFAULT_POLICY,
    spot_check_seed: str,
    panel_fail_count: int | None = None,
    alternates: int = 0,
    panel_tiebreak: Sequence[str] = (),
) -> CycleResult:
    """Run R4–R9 and R12 over the participants of one cycle.

    N counts participants only (R2). Each district's ranks give the groups (R4); the city
    quotas follow from N and |B| (R5); group A is ranked and re-verified (R6, R7), group C
    ranked and its lowest k made 不合格 (R6), group B spot-checked (R7); fraud is 不合格
    everywhere (R8); R9's checks and R12's de-registrations are read off the finals.

    Raises ``RankingError``, ``MissingPanelScore`` or ``BlockingTie``.
    """
    by_district: dict[str, list[tuple[str, int]]] = {}
    for p in participants:
        by_district.setdefault(p.district, []).append((p.id, p.district_rank))
    group_of: dict[str, Group] = {}
    sizes: dict[str, GroupSizes] = {}
    for district, ranks in by_district.items():
        sizes[district], groups = district_groups(district, ranks, params.district_shares)
        group_of.update(groups)

    members: dict[Group, list[Participant]] = {Group.A: [], Group.B: [], Group.C: []}
    for p in participants:
        group = group_of[p.id]
        if group != Group.B and p.panel_score is None:
            raise MissingPanelScore(p.id, group)
        members[group].append(p)

    quotas = city_quotas(len(participants), params, b_size=len(members[Group.B]))
    fraud = frozenset(p.id for p in participants if p.fraud)

    # Panel review (R6) before re-verification (R7): a tie in C blocks before A's verdicts.
    a_order = panel_order({p.id: p.panel_score for p in members[Group.A]}, panel_tiebreak)
    reverification_list(a_order, excellent_places=quotas.E, good_places=quotas.G)
    # A chosen count below F counts as F (R6): the web page refuses it, a scenario is raised.
    c_outcome = settle_group_c(
        panel_order({p.id: p.panel_score for p in members[Group.C]}, panel_tiebreak),
        fail_minimum=quotas.F,
        chosen=None if panel_fail_count is None else max(panel_fail_count, quotas.F),
        fraud=fraud,
    )
    a_outcome = settle_group_a(
        a_order,
        excellent_places=quotas.E,
        good_places=quotas.G,
        verdicts={p.id: p.reverify for p in members[Group.A]},
        fraud=fraud,
        alternates_allowed=alternates,
    )
    b_outcome = settle_group_b(
        (p.id for p in members[Group.B]),
        size=quotas.S,
        seed=spot_check_seed,
        verdicts={p.id: p.spot_check for p in members[Group.B]},
        fraud=fraud,
    )

    by_group = {**a_outcome.finals, **b_outcome.finals, **c_outcome.finals}
    finals = {p.id: by_group[p.id] for p in participants}
    return CycleResult(
        quotas=quotas,
        districts=tuple(sorted(sizes.items())),
        preliminary={p.id: group_of[p.id] for p in participants},
        finals=finals,
        reverification_list=a_outcome.reverification_list,
        alternates=a_outcome.alternates,
        spot_check_sample=b_outcome.sample,
        deregistered=deregistrations(finals, {p.id: p.previous_final for p in participants}),
        checks=publication_checks(finals.values(), quotas),
    )
