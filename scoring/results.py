"""R9 publication checks and R12 de-registration: reading the final results."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .enums import Final
from .quotas import CityQuotas


@dataclass(frozen=True)
class Checks:
    """R9's checks before publication: ``failures`` holds one English line per failed check;
    a failure blocks publication until the city records a justification."""

    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether every check of R9 holds."""
        return not self.failures


def publication_checks(finals: Iterable[Final], quotas: CityQuotas) -> Checks:
    """The checks of R9 on the participants' final tiers: #优秀 ≤ E, #良好 ≤ G,
    #优秀 + #良好 ≤ K and #不合格 ≥ F, each failure stated with its numbers."""
    count = Counter(finals)
    excellent, good = count[Final.EXCELLENT], count[Final.GOOD]
    unqualified = count[Final.UNQUALIFIED]
    failures = []
    if excellent > quotas.E:
        failures.append(f"{excellent} excellent exceed the E = {quotas.E} excellent places")
    if good > quotas.G:
        failures.append(f"{good} good exceed the G = {quotas.G} good places")
    if excellent + good > quotas.K:
        failures.append(
            f"{excellent} excellent + {good} good = {excellent + good} exceed the cap"
            f" K = {quotas.K}"
        )
    if unqualified < quotas.F:
        failures.append(
            f"{unqualified} unqualified are fewer than the minimum F = {quotas.F}"
        )
    return Checks(failures=tuple(failures))


def deregistrations(
    finals: Mapping[str, Final], previous: Mapping[str, Final | None]
) -> tuple[str, ...]:
    """Institutions whose filing is cancelled (R12): 不合格 in this cycle and in the previous
    one, sorted by id. ``finals`` holds the participants of this cycle."""
    return tuple(sorted(
        institution_id
        for institution_id, final in finals.items()
        if final == Final.UNQUALIFIED and previous.get(institution_id) == Final.UNQUALIFIED
    ))
