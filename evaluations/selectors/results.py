"""Reads of the results page (Art 7, 13; R9): the counts of each tier against the places and
minimums of R5 (E, G, K, F), by district and by cluster, R9's checks and their
justification, every participant's tier with its explanation worded in the user's language,
and the rows of the Excel export. A fixed number of queries whatever the size of the cycle."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

import scoring

from ..enums import FraudKind, SiteVerdict, Tier
from ..models import Cycle, CycleResults, ParticipantTier

TIERS = tuple(Tier.values)  # excellent, good, qualified, unqualified: the order shown
TIER_TONES = {Tier.EXCELLENT: "success", Tier.GOOD: "primary", Tier.QUALIFIED: "secondary",
              Tier.UNQUALIFIED: "danger"}


# --- The explanation in words -------------------------------------------------------------

def _group_label(group: str) -> str:
    return {"A": _("group A"), "B": _("group B"), "C": _("group C")}.get(group, group)


def _places(first: int, last: int, *, one: str, many: str) -> str:
    return (one if first == last else many) % {"first": first, "last": last}


def step_text(step: Mapping) -> str:
    """One step of an explanation (``scoring.Step``) as the user reads it, e.g.
    "初评A组（鼓楼区第2名）" or "会评得分 52.10，C组倒数第2名"."""
    code = step.get("step")
    if code == scoring.Step.PRELIMINARY:
        return _("Preliminary %(group)s (%(district)s, place %(rank)s)") % {
            "group": _group_label(step["group"]), "district": step["district"],
            "rank": step["district_rank"]}
    if code == scoring.Step.PANEL:
        if step["group"] == "C":
            return _("Panel score %(score)s, place %(place)s from the bottom of group C") % {
                "score": step["score"], "place": step["from_bottom"]}
        return _("Panel score %(score)s, place %(place)s of group A") % {
            "score": step["score"], "place": step["place"]}
    if code == scoring.Step.LIST:
        if step["listed"]:
            return pgettext("explanation", "On the re-verification list")
        return _("Not on the re-verification list (the first %(size)s of group A)") % {
            "size": step["size"]}
    if code == scoring.Step.ALTERNATE:
        return _("Joins the list as alternate no. %(n)s for an emptied place") % {
            "n": step["joined"]}
    if code == scoring.Step.VERDICT:
        return _("On-site re-verification: %(verdict)s") % {
            "verdict": SiteVerdict(step["verdict"]).label}
    if code == scoring.Step.SPOT_CHECK:
        if step["drawn"]:
            return _("Spot check (seed %(seed)s): drawn") % {"seed": step["seed"]}
        return _("Spot check (seed %(seed)s): not drawn") % {"seed": step["seed"]}
    if code == scoring.Step.SPOT_VERDICT:
        return _("On-site spot check: %(verdict)s") % {
            "verdict": SiteVerdict(step["verdict"]).label}
    if code == scoring.Step.FRAUD:
        kind = step.get("kind")
        finding = (str(FraudKind(kind).label) if kind in FraudKind.values
                   else _("Overstated or fabricated"))
        if step.get("credit_record"):
            return _("%(finding)s (credit record No. %(number)s)") % {
                "finding": finding, "number": step["credit_record"]}
        return finding
    if code == scoring.Step.TIER:
        return tier_text(step)
    return str(code)


def tier_text(step: Mapping) -> str:
    """The last step: the tier, with the places of the confirmed it took (优秀 1…E, 良好
    E+1…E+G) or the number of 不合格 of group C it fell among."""
    reason = step.get("reason")
    if reason == scoring.Reason.EXCELLENT_PLACE:
        return _places(step["first"], step["last"],
                       one=_("Excellent (place %(first)s of the confirmed)"),
                       many=_("Excellent (places %(first)s to %(last)s of the confirmed)"))
    if reason == scoring.Reason.GOOD_PLACE:
        return _places(step["first"], step["last"],
                       one=_("Good (place %(first)s of the confirmed)"),
                       many=_("Good (places %(first)s to %(last)s of the confirmed)"))
    if reason == scoring.Reason.FAIL_LINE:
        return _("Unqualified (%(count)s unqualified places)") % {"count": step["fail_count"]}
    return str(Tier(step["tier"]).label)


def explanation_steps(steps: Iterable[Mapping]) -> list[str]:
    return [step_text(step) for step in steps]


def explanation_text(steps: Iterable[Mapping]) -> str:
    """The whole chain on one line, e.g. "初评A组（鼓楼区第2名）→ 会评得分 88.50，A组第3名 →
    进入复核名单 → …": an arrow between steps, with no space after a full-width bracket."""
    text = ""
    for n, step in enumerate(explanation_steps(steps)):
        if n:
            text += "→ " if text.endswith("）") else " → "
        text += step
    return text


# --- The page ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One check of R9 with its figures: ``count`` against ``limit`` (``at_most`` or at
    least)."""

    label: str
    count: int
    limit: int
    at_most: bool

    @property
    def passed(self) -> bool:
        return self.count <= self.limit if self.at_most else self.count >= self.limit


@dataclass(frozen=True)
class Breakdown:
    """The tiers counted by one district or cluster."""

    name: str
    counts: tuple[int, ...]  # in the order of ``TIERS``

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class TierCount:
    """One tier's card: its count and, for the tiers Article 7 bounds, the bound."""

    tier: str
    label: str
    tone: str
    count: int
    bound: str = ""


@dataclass(frozen=True)
class ResultsSummary:
    results: CycleResults
    quotas: Mapping[str, int]
    counts: Mapping[str, int]
    checks: tuple[Check, ...]
    districts: tuple[Breakdown, ...]
    clusters: tuple[Breakdown, ...]
    tiers: tuple[tuple[str, str, str], ...] = field(default=())  # value, label, tone
    cards: tuple[TierCount, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def needs_justification(self) -> bool:
        return not self.passed and not self.results.justification

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def cycle_results(cycle: Cycle) -> CycleResults | None:
    return CycleResults.objects.filter(cycle=cycle).select_related(
        "computed_by", "justified_by").first()


def results_summary(results: CycleResults) -> ResultsSummary:
    """Counts per tier against the quotas stored with the results, R9's four checks, and
    the tiers by district and by cluster (three queries)."""
    tiers = ParticipantTier.objects.filter(results=results)
    counts = Counter(dict(tiers.values_list("tier").annotate(n=Count("pk")).order_by()))
    q = results.quotas
    excellent, good = counts[Tier.EXCELLENT], counts[Tier.GOOD]
    checks = (
        Check(_("Excellent at most E"), excellent, q["E"], True),
        Check(_("Good at most G"), good, q["G"], True),
        Check(_("Excellent and good together at most K"), excellent + good, q["K"], True),
        Check(_("Unqualified at least F"), counts[Tier.UNQUALIFIED], q["F"], False),
    )
    by_district = _breakdown(tiers.values_list(
        "participant__district_review__district__sort_order",
        "participant__district_review__district__name", "tier").annotate(n=Count("pk"))
        .order_by())
    by_cluster = _breakdown(tiers.values_list(
        "participant__submission__cluster__sort_order",
        "participant__submission__cluster__name", "tier").annotate(n=Count("pk")).order_by())
    bounds = {Tier.EXCELLENT: _("%(count)s excellent places") % {"count": q["E"]},
              Tier.GOOD: _("%(count)s good places") % {"count": q["G"]},
              Tier.UNQUALIFIED: _("at least %(count)s") % {"count": q["F"]}}
    return ResultsSummary(
        results=results, quotas=q, counts={t: counts[t] for t in TIERS}, checks=checks,
        districts=by_district, clusters=by_cluster,
        tiers=tuple((t, str(Tier(t).label), TIER_TONES[t]) for t in TIERS),
        cards=tuple(TierCount(tier=t, label=str(Tier(t).label), tone=TIER_TONES[t],
                              count=counts[t], bound=bounds.get(t, "")) for t in TIERS))


def _breakdown(rows: Iterable[tuple[int, str, str, int]]) -> tuple[Breakdown, ...]:
    table: dict[tuple[int, str], Counter] = defaultdict(Counter)
    for order, name, tier, n in rows:
        table[(order, name)][tier] += n
    return tuple(Breakdown(name=name, counts=tuple(table[(order, name)][t] for t in TIERS))
                 for order, name in sorted(table))


def tier_rows(results: CycleResults) -> QuerySet[ParticipantTier]:
    """Every participant's tier with what the table shows and sorts by (name, credit code,
    district, cluster, group, district rank, panel score), best tier first, then panel score
    and name."""
    return (ParticipantTier.objects.filter(results=results)
            .select_related("participant__institution",
                            "participant__district_review__district",
                            "participant__submission__cluster", "participant__panel_result")
            .annotate(tier_order=Case(*[When(tier=t, then=Value(n))
                                        for n, t in enumerate(TIERS)],
                                      output_field=IntegerField()))
            .order_by("tier_order", "-participant__panel_result__score",
                      "participant__institution__name", "pk"))


@dataclass(frozen=True)
class ExportRow:
    credit_code: str
    name: str
    district: str
    cluster: str
    group: str
    district_rank: int | None
    panel_score: object
    tier: str
    explanation: str


def export_rows(rows: Sequence[ParticipantTier] | QuerySet[ParticipantTier]) -> list[ExportRow]:
    """The rows of the Excel export, every one of them, in the order given."""
    out = []
    for row in rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else rows:
        p = row.participant
        panel = getattr(p, "panel_result", None)
        out.append(ExportRow(
            credit_code=p.institution.credit_code, name=p.institution.name,
            district=p.district_review.district.name, cluster=p.submission.cluster.name,
            group=p.group, district_rank=p.rank,
            panel_score=panel.score if panel is not None else None,
            tier=str(Tier(row.tier).label), explanation=explanation_text(row.explanation)))
    return out
