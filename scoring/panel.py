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
    return _trimmed_mean(*_scaled(_exact_ratios(scores)), trim_from)


def _exact_ratio(score: Score) -> tuple[int, int]:
    """One expert's score as its exact ratio (numerator, positive denominator, in lowest
    terms); refuses floats and values outside 0–100."""
    kind = type(score)
    if kind is not Decimal and kind is not int and kind is not Fraction and (
            isinstance(score, bool) or not isinstance(score, int | Decimal | Fraction)):
        raise TypeError(f"an expert's score must be an int, Decimal or Fraction: {score!r}")
    numerator, denominator = score.as_integer_ratio()
    if not 0 <= numerator <= 100 * denominator:
        raise ValueError(f"an expert's score must be from 0 to 100: {score}")
    return numerator, denominator


def _exact_ratios(scores: Iterable[Score]) -> list[tuple[int, int]]:
    """The experts' scores as exact ratios (see ``_exact_ratio``); refuses none."""
    ratios = [_exact_ratio(score) for score in scores]
    if not ratios:
        raise ValueError("a panel score needs at least one expert's score")
    return ratios


def _scaled(ratios: list[tuple[int, int]]) -> tuple[list[int], int]:
    """The scores as integers over one common denominator: (numerators, denominator). Sums,
    extremes and squares of the scores are then exact integer arithmetic, the same values as
    with fractions (0.01 points: a denominator of 100)."""
    common = math.lcm(*{denominator for _numerator, denominator in ratios})
    return [numerator * (common // denominator) for numerator, denominator in ratios], common


def _trimmed_mean(values: list[int], common: int, trim_from: int) -> Decimal:
    """``panel_score`` of the scores ``values`` / ``common``."""
    if trim_from < 3:
        raise ValueError(f"trimming from {trim_from} scores would leave none")
    if len(values) >= trim_from:
        values = sorted(values)[1:-1]
    # round_half_up(sum / (common · n)) in integers: the scores are not negative, so half up
    # is the floor of the value in cents plus one half.
    denominator = common * len(values)
    cents = (200 * sum(values) + denominator) // (2 * denominator)
    return Decimal(cents).scaleb(-2)


def _exact_scores(scores: Iterable[Score]) -> list[Fraction]:
    """The experts' scores as fractions; refuses floats, values outside 0–100 and none."""
    return [Fraction(numerator, denominator)
            for numerator, denominator in _exact_ratios(scores)]


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

    def disagreement(self, threshold: Score) -> bool:
        """``disagreement`` of these scores: the spread is more than ``threshold`` points."""
        return self.spread > Fraction(threshold)


def panel_statistics(scores: Iterable[Score], trim_from: int = 5) -> PanelStatistics:
    """The statistics of one institution's experts' scores for the organiser's console (R6):
    see ``PanelStatistics``. Scores as for ``panel_score``.

    The scores are read once and the figures computed in integers over their common
    denominator, then made fractions: exactly the values of the definitions (the sample
    variance is (n·Σx² − (Σx)²) / (n·(n − 1)), the same fraction as Σ(x − mean)² / (n − 1))."""
    values, common = _scaled(_exact_ratios(scores))
    n = len(values)
    total = sum(values)
    stdev = None
    if n > 1:
        variance = Fraction(n * sum(v * v for v in values) - total * total,
                            common * common * n * (n - 1))
        stdev = math.sqrt(variance)
    return PanelStatistics(
        n=n,
        mean=Fraction(total, common * n),
        panel_score=_trimmed_mean(values, common, trim_from),
        minimum=Fraction(min(values), common),
        maximum=Fraction(max(values), common),
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
    score is left out.

    One pass over the scores: each gap is added, exactly, to a running integer sum per
    denominator (the scores' denominators are few: 1, 2, 4, 5, … 100), made one fraction per
    expert at the end."""
    exact_panel: dict[str, tuple[int, int]] = {}
    calibration = {}
    for expert_id, scores in scores_by_expert_institution.items():
        sums: dict[int, int] = {}  # denominator: sum of the gaps' numerators over it
        count = 0
        for institution_id, score in scores.items():
            if institution_id not in panel_scores:
                continue
            own, own_den = _exact_ratio(score)
            ratio = exact_panel.get(institution_id)
            if ratio is None:
                exact = Fraction(panel_scores[institution_id])
                ratio = exact_panel[institution_id] = (exact.numerator, exact.denominator)
            theirs, theirs_den = ratio
            if own_den == theirs_den:
                sums[own_den] = sums.get(own_den, 0) + own - theirs
            else:
                sums[own_den] = sums.get(own_den, 0) + own
                sums[theirs_den] = sums.get(theirs_den, 0) - theirs
            count += 1
        if count:
            total = sum((Fraction(n, d) for d, n in sums.items()), Fraction(0))
            calibration[expert_id] = total / count
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
