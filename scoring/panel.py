"""R6 Panel review: panel scores, panel order and the ties that block a deciding line; the
statistics of the experts' scores that the organiser's console shows."""
from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .enums import Final, TieLine
from .errors import BlockingTie, FailCountError

Score = int | Decimal | Fraction


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """``value`` kept to ``places`` decimals, half up (away from zero on a half), exactly (R6)."""
    scaled = abs(value) * 10**places
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(-whole if value < 0 else whole).scaleb(-places)


def panel_score(scores: Iterable[Score], trim_from: int = 5) -> Decimal:
    """The panel score of one institution from its experts' scores (R6).

    The mean of the scores, dropping one highest and one lowest when there are ``trim_from``
    (5) or more, kept to 2 decimals half up. The mean is computed as a fraction, so 84.125
    becomes 84.13 and 84.124999 becomes 84.12 with no binary rounding on the way. Scores are
    ints, Decimals or Fractions from 0 to 100; floats are refused because they are not exact.
    """
    values = _exact_scores(scores)
    if trim_from < 3:
        raise ValueError(f"trimming from {trim_from} scores would leave none")
    if len(values) >= trim_from:
        values.sort()
        values = values[1:-1]
    return round_half_up(sum(values, Fraction(0)) / len(values))


def _exact_scores(scores: Iterable[Score]) -> list[Fraction]:
    """The experts' scores as fractions; refuses floats, values outside 0–100 and none."""
    values = []
    for score in scores:
        if isinstance(score, bool) or not isinstance(score, int | Decimal | Fraction):
            raise TypeError(f"an expert's score must be an int, Decimal or Fraction: {score!r}")
        exact = Fraction(score)
        if not 0 <= exact <= 100:
            raise ValueError(f"an expert's score must be from 0 to 100: {score}")
        values.append(exact)
    if not values:
        raise ValueError("a panel score needs at least one expert's score")
    return values


@dataclass(frozen=True)
class PanelStatistics:
    """One institution's scores as the organiser's console shows them (R6): how many, their
    exact mean (untrimmed; ``mean_shown`` is it to 2 decimals half up), the panel score of R6
    (trimmed), the lowest and highest, and the *sample* standard deviation (n − 1 in the
    denominator: the panel's experts are a sample of the pool). The deviation is a float
    because it is only displayed, never compared with a line; None with a single score."""

    n: int
    mean: Fraction
    panel_score: Decimal
    minimum: Fraction
    maximum: Fraction
    stdev: float | None

    @property
    def mean_shown(self) -> Decimal:
        return round_half_up(self.mean)

    @property
    def spread(self) -> Fraction:
        """Highest minus lowest score."""
        return self.maximum - self.minimum


def panel_statistics(scores: Iterable[Score], trim_from: int = 5) -> PanelStatistics:
    """The statistics of one institution's experts' scores for the organiser's console (R6):
    see ``PanelStatistics``. Scores as for ``panel_score``."""
    values = _exact_scores(scores)
    n = len(values)
    mean = sum(values, Fraction(0)) / n
    stdev = None
    if n > 1:
        variance = sum(((v - mean) ** 2 for v in values), Fraction(0)) / (n - 1)
        stdev = math.sqrt(variance)
    return PanelStatistics(
        n=n,
        mean=mean,
        panel_score=panel_score(values, trim_from),
        minimum=min(values),
        maximum=max(values),
        stdev=stdev,
    )


def disagreement(scores: Iterable[Score], threshold: Score) -> bool:
    """Whether the experts disagree on an institution (R6, for the organiser's console): the
    highest score minus the lowest is more than ``threshold`` points."""
    values = _exact_scores(scores)
    return max(values) - min(values) > Fraction(threshold)


def expert_calibration(
    scores_by_expert_institution: Mapping[str, Mapping[str, Score]],
    panel_scores: Mapping[str, Decimal],
) -> dict[str, Fraction]:
    """How each expert scores against its panels (R6, for the organiser's console): the exact
    mean of (its score − the institution's panel score) over the institutions it scored that
    have a panel score. Positive means lenient, negative strict. ``scores_by_expert_institution``
    is expert id → institution id → score; an expert with no institution that has a panel
    score is left out."""
    calibration = {}
    for expert_id, scores in scores_by_expert_institution.items():
        scored = [i for i in scores if i in panel_scores]
        if not scored:
            continue
        own = _exact_scores(scores[i] for i in scored)
        gaps = [s - Fraction(panel_scores[i]) for s, i in zip(own, scored, strict=True)]
        calibration[expert_id] = sum(gaps, Fraction(0)) / len(gaps)
    return calibration


@dataclass(frozen=True)
class PanelOrder:
    """Institutions in panel order, best first (R6): panel score descending, then the
    organiser's recorded tie-break order, then (only to make the output stable) id.

    ``listed[i]`` tells whether ``ids[i]`` appears in the tie-break order. Two institutions
    with equal scores are *still equal* unless both are listed.
    """

    ids: tuple[str, ...]
    scores: tuple[Decimal, ...]
    listed: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.ids)

    def subsequence(self, keep: Collection[str]) -> PanelOrder:
        """The members in ``keep``, in the same order (e.g. the confirmed of R7)."""
        rows = [row for row in zip(self.ids, self.scores, self.listed, strict=True)
                if row[0] in keep]
        return PanelOrder(
            ids=tuple(r[0] for r in rows),
            scores=tuple(r[1] for r in rows),
            listed=tuple(r[2] for r in rows),
        )

    def tie_across(self, position: int) -> tuple[str, ...]:
        """The still-equal institutions that straddle the line after the first ``position``
        entries, or () when the line separates no still-equal pair (R6).

        Equal scores are adjacent, and within them the listed come first, so a pair across
        the line is still equal exactly when the run of equal scores crosses the line and its
        last member is unlisted. The whole run is returned: the organiser orders all of it.
        """
        if not 0 < position < len(self.ids):
            return ()
        score = self.scores[position]
        if self.scores[position - 1] != score:
            return ()
        start = position - 1
        while start > 0 and self.scores[start - 1] == score:
            start -= 1
        end = position + 1
        while end < len(self.ids) and self.scores[end] == score:
            end += 1
        if self.listed[end - 1]:
            return ()
        return self.ids[start:end]

    def check_line(self, position: int, line: TieLine) -> None:
        """Raise ``BlockingTie`` if still-equal institutions straddle ``line``, drawn after
        the first ``position`` entries (R6)."""
        tied = self.tie_across(position)
        if tied:
            raise BlockingTie(line, tied, self.scores[position])


def panel_order(scores: Mapping[str, Decimal], tiebreak: Sequence[str] = ()) -> PanelOrder:
    """The institutions of ``scores`` in panel order (R6): panel score descending, then their
    position in ``tiebreak`` (earlier is better), then id.

    The id fallback orders only institutions that are still equal; whether that order decides
    anything is for ``PanelOrder.check_line`` to say.
    """
    position = {institution_id: i for i, institution_id in enumerate(tiebreak)}
    unlisted = len(position)
    ordered = sorted(
        scores,
        key=lambda i: (-scores[i], position.get(i, unlisted), i),
    )
    return PanelOrder(
        ids=tuple(ordered),
        scores=tuple(scores[i] for i in ordered),
        listed=tuple(i in position for i in ordered),
    )


@dataclass(frozen=True)
class GroupCOutcome:
    """Group C after the panel (R6): the k lowest are 不合格, the rest 合格; fraud (R8) is
    不合格 wherever it stands."""

    fail_count: int
    unqualified: tuple[str, ...]
    finals: Mapping[str, Final]


def fail_count(minimum: int, chosen: int | None, c_size: int) -> int:
    """k, the number of 不合格 the panel picks from group C (R6): min(max(F, chosen), |C|).

    ``chosen`` None means F. The organiser may choose more than F, never fewer: a smaller
    choice raises ``FailCountError``.
    """
    if chosen is None:
        chosen = minimum
    if chosen < minimum:
        raise FailCountError(chosen, minimum)
    return min(chosen, c_size)


def settle_group_c(
    order: PanelOrder,
    *,
    fail_minimum: int,
    chosen: int | None = None,
    fraud: Collection[str] = frozenset(),
) -> GroupCOutcome:
    """Final results of group C (R6, R8). ``order`` is group C in panel order (best first),
    so the k lowest are its last k; still-equal institutions across that line raise
    ``BlockingTie``. A fraud finding keeps its place in the order: it is 不合格 anyway, and
    making someone else 不合格 in its stead would punish them for another's fraud.
    """
    k = fail_count(fail_minimum, chosen, len(order))
    line = len(order) - k
    order.check_line(line, TieLine.FAIL)
    failing = order.ids[line:]
    finals = {
        i: Final.UNQUALIFIED if position >= line or i in fraud else Final.QUALIFIED
        for position, i in enumerate(order.ids)
    }
    return GroupCOutcome(fail_count=k, unqualified=failing, finals=finals)


def expert_total(scores: Mapping[str, Decimal], points: Mapping[str, Decimal]) -> Decimal:
    """One expert's score of one institution (R6): the sum of its indicator scores, each from 0
    to the indicator's ``points``; every indicator of ``points`` must be scored, and none
    other. The points add up to 100 at most, so the total is from 0 to 100."""
    unknown = set(scores) - set(points)
    if unknown:
        raise ValueError(f"not an indicator of the system: {sorted(unknown)}")
    missing = [i for i in points if i not in scores]
    if missing:
        raise ValueError(f"indicators not scored: {missing}")
    for indicator, score in scores.items():
        if isinstance(score, float | bool) or not 0 <= score <= points[indicator]:
            raise ValueError(f"indicator {indicator}: {score!r} is not from 0 to "
                             f"{points[indicator]}")
    return sum((Decimal(s) for s in scores.values()), Decimal(0))
