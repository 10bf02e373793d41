"""R9 Every tier with the chain of facts that produced it (Art 7, 12, 13).

``explain_cycle`` reads the inputs of ``run_cycle`` and the ``CycleResult`` it returned and
gives each participant its explanation: a tuple of steps, each a plain dict
``{"step": code, ...facts}`` that can be stored as JSON and worded in any language by the
caller. The steps follow the stages: the preliminary group with the district and the
district rank (R4); the panel score with the place in group A, or in group C counted from
the bottom (R6); on the re-verification list or not, an alternate joining it, the on-site
verdict (R7); the spot check drawn or not, with its seed (R7); a fraud finding (R8); and last
the tier with its reason (the confirmed places 1…E for 优秀, E+1…E+G for 良好, k for the
不合格 of group C).

The explanation does not decide anything: the tier of its last step is the engine's. Its
reason is read off the facts independently, and a reason that does not lead to the engine's
tier raises ``ExplanationMismatch`` (a bug of one of the two, never a user's error); the
property tests hold both to the same answer.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from .cycle import CycleResult, Participant, run_cycle
from .enums import Final, Group, SpotVerdict, Verdict
from .errors import ScoringError
from .panel import fail_count, panel_order
from .policy import DEFAULT_POLICY, PolicyParams


class Step(StrEnum):
    """The codes of an explanation's steps, in the order they can appear."""

    PRELIMINARY = "preliminary"  # group, district, district_rank, district_size (R4)
    PANEL = "panel"  # group, score, place, of; from_bottom for group C (R6)
    LIST = "list"  # listed, size: on the re-verification list (first size of A) or not (R6)
    ALTERNATE = "alternate"  # joined: n-th alternate to join the list (R7)
    VERDICT = "verdict"  # verdict of the on-site re-verification (R7)
    SPOT_CHECK = "spot_check"  # drawn, seed, size, candidates; position when drawn (R7)
    SPOT_VERDICT = "spot_verdict"  # verdict of the spot check (R7)
    FRAUD = "fraud"  # plus the caller's facts (the credit record) (R8)
    TIER = "tier"  # tier, reason and the reason's facts (R9)


class Reason(StrEnum):
    """Why a participant has its tier: the last step's ``reason``."""

    FRAUD = "fraud"  # R8, wherever it stood
    EXCELLENT_PLACE = "excellent_place"  # confirmed, among the first E confirmed (R7)
    GOOD_PLACE = "good_place"  # confirmed, among the next G confirmed (R7)
    CONFIRMED_NO_PLACE = "confirmed_no_place"  # confirmed beyond E+G (alternates make it
    # impossible; kept so that the explanation never has to guess)
    NOT_CONFIRMED = "not_confirmed"  # on the list, not confirmed (R7)
    POOR = "poor"  # on the list, operating poorly (R7)
    NOT_LISTED = "not_listed"  # group A, never on the list (R7)
    NOT_DRAWN = "not_drawn"  # group B, not drawn for the spot check (R7)
    SPOT_CONFIRMED = "spot_confirmed"  # group B, drawn and confirmed (R7)
    SPOT_POOR = "spot_poor"  # group B, drawn and operating poorly (R7)
    FAIL_LINE = "fail_line"  # group C, among the lowest k (R6)
    ABOVE_FAIL_LINE = "above_fail_line"  # group C, above the lowest k (R6)


REASON_TIERS: Mapping[Reason, Final] = {
    Reason.FRAUD: Final.UNQUALIFIED,
    Reason.EXCELLENT_PLACE: Final.EXCELLENT,
    Reason.GOOD_PLACE: Final.GOOD,
    Reason.CONFIRMED_NO_PLACE: Final.QUALIFIED,
    Reason.NOT_CONFIRMED: Final.QUALIFIED,
    Reason.POOR: Final.UNQUALIFIED,
    Reason.NOT_LISTED: Final.QUALIFIED,
    Reason.NOT_DRAWN: Final.QUALIFIED,
    Reason.SPOT_CONFIRMED: Final.QUALIFIED,
    Reason.SPOT_POOR: Final.UNQUALIFIED,
    Reason.FAIL_LINE: Final.UNQUALIFIED,
    Reason.ABOVE_FAIL_LINE: Final.QUALIFIED,
}
"""The tier each reason leads to (R7, R8, R6)."""

Explanation = tuple[dict, ...]

# The codes as plain strings, looked up once (an enum member's ``.value`` is a descriptor
# call, and an explanation of 20,000 participants makes 150,000 of them).
_CODE = {step: step.value for step in Step}


class ExplanationMismatch(ScoringError):
    """The facts explain another tier than the engine gave: a bug, never a user's error."""

    def __init__(self, institution_id: str, reason: Reason, tier: Final) -> None:
        self.institution_id = institution_id
        self.reason = reason
        self.tier = tier
        super().__init__(
            f"institution {institution_id!r}: the facts give {REASON_TIERS[reason]} "
            f"({reason}) but the engine gave {tier}"
        )


def explain_cycle(
    participants: Sequence[Participant],
    result: CycleResult,
    *,
    spot_check_seed: str,
    panel_fail_count: int | None = None,
    panel_tiebreak: Sequence[str] = (),
    frauds: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, Explanation]:
    """Each participant's explanation (R9), keyed by id in the participants' order.

    ``participants``, ``spot_check_seed``, ``panel_fail_count`` and ``panel_tiebreak`` are
    what ``run_cycle`` was given and ``result`` what it returned. ``frauds`` adds facts to the
    fraud step of the institutions it names (the web app's credit record number and finding).
    Raises ``ExplanationMismatch`` if the facts lead to another tier than ``result``'s.
    """
    frauds = frauds or {}
    quotas = result.quotas
    sizes = dict(result.districts)
    groups = result.preliminary
    members: dict[Group, list[Participant]] = {Group.A: [], Group.B: [], Group.C: []}
    for p in participants:
        members[groups[p.id]].append(p)

    a_order = panel_order({p.id: p.panel_score for p in members[Group.A]}, panel_tiebreak)
    c_order = panel_order({p.id: p.panel_score for p in members[Group.C]}, panel_tiebreak)
    a_place = {i: n for n, i in enumerate(a_order.ids, start=1)}
    c_from_bottom = {i: len(c_order) - n for n, i in enumerate(c_order.ids)}
    chosen = None if panel_fail_count is None else max(panel_fail_count, quotas.F)
    k = fail_count(quotas.F, chosen, len(c_order))

    alternates = result.alternates
    listed = result.reverification_list[: len(result.reverification_list) - len(alternates)]
    listed_set = set(listed)
    joined_at = {i: n for n, i in enumerate(alternates, start=1)}
    by_id = {p.id: p for p in participants}
    on_list = [i for i in a_order.ids if i in listed_set or i in joined_at]
    confirmed = [i for i in on_list
                 if not by_id[i].fraud and by_id[i].reverify == Verdict.CONFIRMED]
    confirmed_place = {i: n for n, i in enumerate(confirmed, start=1)}
    sample_position = {i: n for n, i in enumerate(result.spot_check_sample, start=1)}
    b_size = len(members[Group.B])

    explanations: dict[str, Explanation] = {}
    for p in participants:
        group = groups[p.id]
        steps: list[dict] = [{
            "step": _CODE[Step.PRELIMINARY], "group": group.value, "district": p.district,
            "district_rank": p.district_rank, "district_size": sizes[p.district].n,
        }]
        if group == Group.A:
            steps.append({"step": _CODE[Step.PANEL], "group": group.value,
                          "score": _score(p), "place": a_place[p.id], "of": len(a_order)})
        elif group == Group.C:
            steps.append({"step": _CODE[Step.PANEL], "group": group.value,
                          "score": _score(p), "place": len(c_order) - c_from_bottom[p.id] + 1,
                          "from_bottom": c_from_bottom[p.id], "of": len(c_order)})

        if p.fraud:
            steps.append({"step": _CODE[Step.FRAUD], **frauds.get(p.id, {})})
            reason, facts = Reason.FRAUD, {}
        elif group == Group.A:
            reason, facts = _explain_a(p, steps, listed_set, len(listed), joined_at,
                                       confirmed_place, quotas.E, quotas.G)
        elif group == Group.B:
            steps.append({"step": _CODE[Step.SPOT_CHECK], "drawn": p.id in sample_position,
                          "seed": spot_check_seed, "size": quotas.S, "candidates": b_size,
                          **({"position": sample_position[p.id]}
                             if p.id in sample_position else {})})
            if p.id in sample_position:
                steps.append({"step": _CODE[Step.SPOT_VERDICT], "verdict": p.spot_check.value})
                reason = (Reason.SPOT_POOR if p.spot_check == SpotVerdict.POOR
                          else Reason.SPOT_CONFIRMED)
            else:
                reason = Reason.NOT_DRAWN
            facts = {}
        else:
            reason = (Reason.FAIL_LINE if c_from_bottom[p.id] <= k
                      else Reason.ABOVE_FAIL_LINE)
            facts = {"fail_count": k}

        tier = result.finals[p.id]
        if REASON_TIERS[reason] != tier:
            raise ExplanationMismatch(p.id, reason, tier)
        steps.append({"step": _CODE[Step.TIER], "tier": tier.value, "reason": reason.value,
                      **facts})
        explanations[p.id] = tuple(steps)
    return explanations


def _score(p: Participant) -> str:
    # Panel scores are kept to 2 decimals (R6); a scenario may give fewer.
    return f"{p.panel_score:.2f}"


def _explain_a(
    p: Participant,
    steps: list[dict],
    listed: set[str],
    list_size: int,
    joined_at: Mapping[str, int],
    confirmed_place: Mapping[str, int],
    excellent_places: int,
    good_places: int,
) -> tuple[Reason, dict]:
    """The re-verification of a member of group A (R7), appended to ``steps``."""
    steps.append({"step": _CODE[Step.LIST], "listed": p.id in listed, "size": list_size})
    if p.id not in listed and p.id not in joined_at:
        return Reason.NOT_LISTED, {}
    if p.id in joined_at:
        steps.append({"step": _CODE[Step.ALTERNATE], "joined": joined_at[p.id]})
    steps.append({"step": _CODE[Step.VERDICT], "verdict": p.reverify.value})
    if p.reverify == Verdict.POOR:
        return Reason.POOR, {}
    if p.reverify == Verdict.NOT_CONFIRMED:
        return Reason.NOT_CONFIRMED, {}
    place = confirmed_place[p.id]
    if place <= excellent_places:
        return Reason.EXCELLENT_PLACE, {"place": place, "first": 1, "last": excellent_places}
    if place <= excellent_places + good_places:
        return Reason.GOOD_PLACE, {"place": place, "first": excellent_places + 1,
                                   "last": excellent_places + good_places}
    return Reason.CONFIRMED_NO_PLACE, {"place": place}


def run_and_explain(
    participants: Sequence[Participant],
    *,
    params: PolicyParams = DEFAULT_POLICY,
    spot_check_seed: str,
    panel_fail_count: int | None = None,
    alternates: int = 0,
    panel_tiebreak: Sequence[str] = (),
    frauds: Mapping[str, Mapping[str, object]] | None = None,
) -> tuple[CycleResult, dict[str, Explanation]]:
    """``run_cycle`` (R4–R9, R12) and ``explain_cycle`` of its result, from the same inputs."""
    result = run_cycle(participants, params=params, spot_check_seed=spot_check_seed,
                       panel_fail_count=panel_fail_count, alternates=alternates,
                       panel_tiebreak=panel_tiebreak)
    return result, explain_cycle(participants, result, spot_check_seed=spot_check_seed,
                                 panel_fail_count=panel_fail_count,
                                 panel_tiebreak=panel_tiebreak, frauds=frauds)
