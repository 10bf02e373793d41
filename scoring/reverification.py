"""R7 Re-verification of group A (with R8's vacancies) and the spot check of group B."""
from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from .enums import Final, SpotVerdict, TieLine, Verdict
from .errors import BlockingTie, MissingVerdict
from .panel import PanelOrder


def reverification_size(excellent_places: int, good_places: int, a_size: int) -> int:
    """Length of the re-verification list (复核名单): min(E+G, |A|) (R6)."""
    return min(excellent_places + good_places, a_size)


def reverification_list(
    order: PanelOrder, *, excellent_places: int, good_places: int
) -> tuple[str, ...]:
    """The re-verification list (R6): the first min(E+G, |A|) of group A in panel order.
    Still-equal institutions across its last place raise ``BlockingTie``."""
    size = reverification_size(excellent_places, good_places, len(order))
    order.check_line(size, TieLine.LIST)
    return order.ids[:size]


@dataclass(frozen=True)
class GroupAOutcome:
    """Group A after re-verification (R7, R8).

    ``listed``: the re-verification list; ``alternates``: the members of A beyond it that
    joined, in the order they joined; ``excellent`` / ``good``: the confirmed that took the
    places, in panel order; ``finals``: the result of every member of A.
    """

    listed: tuple[str, ...]
    alternates: tuple[str, ...]
    excellent: tuple[str, ...]
    good: tuple[str, ...]
    finals: Mapping[str, Final]

    @property
    def reverification_list(self) -> tuple[str, ...]:
        """The list as published (R7): its places, then the alternates in the order they
        joined."""
        return self.listed + self.alternates


def settle_group_a(
    order: PanelOrder,
    *,
    excellent_places: int,
    good_places: int,
    verdicts: Mapping[str, Verdict],
    fraud: Collection[str] = frozenset(),
    alternates_allowed: int = 0,
) -> GroupAOutcome:
    """Final results of group A (R6, R7, R8). ``order`` is group A in panel order.

    The first min(E+G, |A|) form the list. A place whose member is not confirmed, poor or
    fraud is a vacancy. With ``alternates_allowed`` m > 0 the members of A beyond the list
    join one by one in panel order while a vacancy remains and fewer than m have joined; each
    needs its own verdict, and one that is not confirmed leaves the place vacant. Going down
    list and alternates in panel order, the first E confirmed are 优秀 and the next G 良好;
    ``not_confirmed`` is 合格; ``poor`` and fraud are 不合格; members never on the list are
    合格 (不合格 if fraud). ``verdicts`` must hold every institution that joins the list or
    ``MissingVerdict`` names it. Still-equal institutions across a deciding line raise
    ``BlockingTie``.
    """
    listed = reverification_list(
        order, excellent_places=excellent_places, good_places=good_places
    )

    def verdict(institution_id: str) -> Verdict:
        try:
            return verdicts[institution_id]
        except KeyError:
            raise MissingVerdict(institution_id) from None

    def takes_place(institution_id: str) -> bool:
        # Fraud is checked first: a fraud finding voids whatever verdict was recorded (R8).
        return institution_id not in fraud and verdict(institution_id) == Verdict.CONFIRMED

    joined = _join(order, listed, takes_place, alternates_allowed)
    confirmed = [i for i in listed + joined if takes_place(i)]
    if joined:
        end = len(listed) + len(joined)
        order.check_line(end, TieLine.ALTERNATES)
        if takes_place(joined[-1]) and len(confirmed) == len(listed):
            # The last alternate filled the last vacancy.
            _check_alternates_run(order, len(listed), end, takes_place)

    among_confirmed = order.subsequence(set(confirmed))
    among_confirmed.check_line(excellent_places, TieLine.EXCELLENT)
    # Alternates only fill vacancies, so at most E+G are confirmed and this line has nobody
    # below it; it is checked because R6 names it, should the list ever be drawn otherwise.
    among_confirmed.check_line(excellent_places + good_places, TieLine.GOOD)
    excellent = among_confirmed.ids[:excellent_places]
    good = among_confirmed.ids[excellent_places: excellent_places + good_places]

    on_list = set(listed) | set(joined)
    finals: dict[str, Final] = {}
    for institution_id in order.ids:
        if institution_id in fraud:
            finals[institution_id] = Final.UNQUALIFIED
        elif institution_id not in on_list:
            finals[institution_id] = Final.QUALIFIED
        elif verdict(institution_id) == Verdict.POOR:
            finals[institution_id] = Final.UNQUALIFIED
        else:
            # not_confirmed, and (never, since confirmed <= E+G) a confirmed without a place.
            finals[institution_id] = Final.QUALIFIED
    for institution_id in excellent:
        finals[institution_id] = Final.EXCELLENT
    for institution_id in good:
        finals[institution_id] = Final.GOOD
    return GroupAOutcome(
        listed=listed,
        alternates=tuple(joined),
        excellent=excellent,
        good=good,
        finals=finals,
    )


def alternates_joining(
    order: PanelOrder,
    listed: tuple[str, ...],
    *,
    verdicts: Mapping[str, Verdict],
    fraud: Collection[str] = frozenset(),
    alternates_allowed: int = 0,
) -> tuple[str, ...]:
    """The members of A beyond ``listed`` that join it (R7, R8), in the order they join, as
    ``settle_group_a`` walks them but without its checks of the alternates line: who would
    join should the verdicts be these. A member missing from ``verdicts`` counts as
    ``confirmed`` (it keeps its place), so this answers while verdicts are still to come,
    when a tie across the line may yet vanish."""

    def takes_place(institution_id: str) -> bool:
        return (institution_id not in fraud
                and verdicts.get(institution_id, Verdict.CONFIRMED) == Verdict.CONFIRMED)

    return _join(order, listed, takes_place, alternates_allowed)


def _join(order: PanelOrder, listed: tuple[str, ...], takes_place: Callable[[str], bool],
          alternates_allowed: int) -> tuple[str, ...]:
    """The members of A beyond the list that join one by one in panel order while a vacancy
    remains and fewer than ``alternates_allowed`` have joined (R7)."""
    vacancies = sum(not takes_place(i) for i in listed)
    joined: list[str] = []
    for institution_id in order.ids[len(listed):]:
        if vacancies == 0 or len(joined) == alternates_allowed:
            break
        joined.append(institution_id)
        if takes_place(institution_id):
            vacancies -= 1
    return tuple(joined)


def _check_alternates_run(
    order: PanelOrder, start: int, end: int, takes_place: Callable[[str], bool]
) -> None:
    """When the last alternate filled the last vacancy, the alternates line also blocks if
    another order of the still-equal alternates would have left one of them out (R6, R7).

    ``start``…``end`` are the positions of the alternates that joined. Only the run of equal
    scores that ends with the last one matters: before it the vacancies cannot run out. An
    alternate of that run that did not take a place joins in every admissible order only if a
    listed alternate after it (hence forced after it) took a place; otherwise the places could
    all be filled before it is reached, and which alternates join depends on an order nobody
    recorded.
    """
    score = order.scores[end - 1]
    run_start = end - 1
    while run_start > start and order.scores[run_start - 1] == score:
        run_start -= 1
    listed_filler_after = False
    for position in range(end - 1, run_start - 1, -1):
        institution_id = order.ids[position]
        if takes_place(institution_id):
            listed_filler_after = listed_filler_after or order.listed[position]
        elif not (order.listed[position] and listed_filler_after):
            raise BlockingTie(TieLine.ALTERNATES, order.ids[run_start:end], score)


@dataclass(frozen=True)
class GroupBOutcome:
    """Group B after the spot check (R7, R8)."""

    sample: tuple[str, ...]
    finals: Mapping[str, Final]


def spot_check_draw(candidate_ids: Iterable[str], size: int, seed: str) -> tuple[str, ...]:
    """The spot-check sample (R7): exactly
    ``random.Random(seed).sample(sorted(candidate_ids), size)``, in draw order.

    The seed is a string recorded with the draw and shown on the public record; anyone can
    repeat the draw from it and the sorted identifiers (string seeds hash with SHA-512, so the
    draw does not depend on PYTHONHASHSEED).
    """
    if not isinstance(seed, str):
        raise TypeError(f"the spot-check seed must be a string: {seed!r}")
    return tuple(random.Random(seed).sample(sorted(candidate_ids), size))


def settle_group_b(
    members: Iterable[str],
    *,
    size: int,
    seed: str,
    verdicts: Mapping[str, SpotVerdict],
    fraud: Collection[str] = frozenset(),
) -> GroupBOutcome:
    """Final results of group B (R7, R8): ``size`` (S) members are drawn for the spot check
    (every member of B is a candidate, fraud included); a drawn member found ``poor`` is
    不合格, fraud is 不合格, every other member 合格. ``verdicts`` must hold every drawn member
    or ``MissingVerdict`` names it."""
    members = tuple(members)
    sample = spot_check_draw(members, size, seed)
    finals = {i: Final.UNQUALIFIED if i in fraud else Final.QUALIFIED for i in members}
    for institution_id in sample:
        try:
            found = verdicts[institution_id]
        except KeyError:
            raise MissingVerdict(institution_id) from None
        if found == SpotVerdict.POOR:
            finals[institution_id] = Final.UNQUALIFIED
    return GroupBOutcome(sample=sample, finals=finals)
