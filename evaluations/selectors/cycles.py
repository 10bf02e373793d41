"""Cycles (Art 5, 8): the current one, the cohort it evaluates (R1), the one in preliminary
review."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from institutions.enums import FilingStatus
from institutions.models import Institution
from scoring import OutOfCohort, out_of_cohort_reason

from ..enums import CycleStatus
from ..models import (
    Cycle,
)


def open_cycles() -> list[Cycle]:
    """Every cycle not yet final, oldest first, with the dates of its stages
    (``Cycle.stage_of``): two queries. (Its policy version, which the home pages rarely
    need, is read when asked for: selecting it with the cycles took a third of their time.)"""
    return list(Cycle.objects.exclude(status=CycleStatus.FINAL).prefetch_related("stages")
                .order_by("year"))


def current_cycle(opened: list[Cycle] | None = None) -> Cycle | None:
    """The cycle the dashboards show: the latest one not yet final, else the latest, with
    its stages. ``opened``: the page's ``open_cycles()`` when it has read them already."""
    if opened is None:
        latest = (Cycle.objects.exclude(status=CycleStatus.FINAL).prefetch_related("stages")
                  .order_by("-year").first())
    else:
        latest = opened[-1] if opened else None
    return latest or Cycle.objects.prefetch_related("stages").order_by("-year").first()


@dataclass
class Cohort:
    """Who a cycle evaluates (R1) and who it leaves out, with the reason."""

    included: list[Institution] = field(default_factory=list)
    excluded: list[tuple[Institution, OutOfCohort]] = field(default_factory=list)

    def included_by(self, attribute: str) -> list[tuple[str, int]]:
        counts = Counter(getattr(i, attribute).name for i in self.included)
        order = {getattr(i, attribute).name: getattr(i, attribute).sort_order
                 for i in self.included}
        return sorted(counts.items(), key=lambda item: order[item[0]])

    def excluded_by_reason(self) -> list[tuple[OutOfCohort, int]]:
        counts = Counter(reason for _, reason in self.excluded)
        return [(reason, counts[reason]) for reason in OutOfCohort if counts[reason]]


def cycle_cohort(cycle: Cycle) -> Cohort:
    """The institutions that should participate in ``cycle`` (R1) as the registry stands now:
    filing active, filing year of the cycle's parity and at least the policy's minimum age."""
    min_age = cycle.policy_version.cohort_min_age_years
    cohort = Cohort()
    institutions = Institution.objects.select_related("district", "cluster").order_by(
        "district__sort_order", "name")
    for institution in institutions:
        reason = out_of_cohort_reason(institution.filing_year, cycle.year,
                                      active=institution.status == FilingStatus.ACTIVE,
                                      min_age_years=min_age)
        if reason is None:
            cohort.included.append(institution)
        else:
            cohort.excluded.append((institution, reason))
    return cohort


REVIEWED_STATUSES = (CycleStatus.PRELIMINARY_REVIEW, CycleStatus.PANEL_REVIEW,
                     CycleStatus.REVERIFICATION, CycleStatus.PUBLIC_NOTICE, CycleStatus.FINAL)


def preliminary_cycle() -> Cycle | None:
    """The cycle the preliminary-review pages show: the latest one whose preliminary review
    has opened."""
    return Cycle.objects.filter(status__in=REVIEWED_STATUSES).order_by("-year").first()
