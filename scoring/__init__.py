"""The evaluation policy (docs/rules.md, R1–R13) as pure functions over plain values.

Nothing here imports Django: services load rows, call these rules and save the answer.

Where each rule lives (every name below is re-exported here, except the scenario's):

==== ================================ ========= ==================================================
rule what                             policy    module: functions
==== ================================ ========= ==================================================
R1   cohort                           Art 5     cohort: in_cohort, out_of_cohort_reason,
                                                evaluated_period
R2   non-participation                Art 15    cycle: run_cycle counts participants only;
                                                enums: Final.NOT_PARTICIPATING; scenario:
                                                run_scenario lists the ``abandoned``
R3   evidence, preliminary score      Art 9     preliminary: Claim, claim_reviewed,
                                                preliminary_score
R4   district split and ranking       Art 10    preliminary: GroupSizes, district_split,
                                                group_of_rank, rank_groups, district_groups,
                                                score_order, tie_groups, unexplained_inversions,
                                                out_of_score_order, RankingProblem,
                                                ranking_problems
R5   city quotas                      Art 7     quotas: CityQuotas, city_quotas, floor_share,
                                                ceil_share
R6a  expert pool, panels, the draw    Art 11    draw: Expert, PanelInstitution, drawable,
                                                Eligibility, eligibility, eligible_experts,
                                                DrawRecord, draw, replay, new_seed,
                                                replace_member, supplementary_draw,
                                                detected_conflicts, conflict_reasons,
                                                conflict_map, split_group, CoverageProblem,
                                                panel_assignment_problems, PanelSpec,
                                                PanelResult, run_draws, assignments;
                                                enums: ClusterCategory, CLUSTERS, Ineligible,
                                                ConflictReason
R6   panel review                     Art 11    panel: panel_score, round_half_up, panel_order,
                                                PanelOrder, fail_count, settle_group_c,
                                                PanelStatistics, panel_statistics,
                                                disagreement, expert_calibration, expert_total;
                                                reverification: reverification_size,
                                                reverification_list
R7   re-verification, spot check      Art 12    reverification: settle_group_a, spot_check_draw,
                                                settle_group_b, alternates_joining
R8   fraud                            Art 9     the ``fraud`` argument of settle_group_a,
                                                settle_group_b and settle_group_c;
                                                cycle: Participant.fraud
R9   final results, checks            Art 7, 13 results: Checks, publication_checks;
                                                explain: explain_cycle, run_and_explain, Step,
                                                Reason, REASON_TIERS, ExplanationMismatch
R10  public notice                    Art 13    notice: NoticePeriod, notice_period,
                                                CalendarNotCovered (the objections and
                                                finalising: not yet, stage 5)
R11  rewards                          Art 14    not yet (stage 5); the cap is
                                                PolicyParams.reward_cap_yuan
R12  de-registration                  Art 15    results: deregistrations
R13  policy versions                  Art 16–18 policy: PolicyParams, DEFAULT_POLICY
==== ================================ ========= ==================================================

A whole cycle at once: ``cycle.run_cycle`` (R4–R9, R12); the scenario file of
``simulate_cycle``: ``scenario.simulate``; the exceptions in ``errors``, the values the rules
speak in (groups, tiers, verdicts) in ``enums``.
"""
from .cohort import evaluated_period, in_cohort, out_of_cohort_reason
from .cycle import CycleResult, Participant, run_cycle
from .draw import (
    CoverageProblem,
    DrawRecord,
    Eligibility,
    Expert,
    PanelInstitution,
    PanelResult,
    PanelSpec,
    assignments,
    conflict_map,
    conflict_reasons,
    detected_conflicts,
    draw,
    drawable,
    eligibility,
    eligible_experts,
    new_seed,
    panel_assignment_problems,
    replace_member,
    replay,
    run_draws,
    split_group,
    supplementary_draw,
)
from .enums import (
    CLUSTERS,
    TIERS,
    ClusterCategory,
    ConflictReason,
    Final,
    Group,
    Ineligible,
    OutOfCohort,
    SpotVerdict,
    TieLine,
    Verdict,
)
from .errors import (
    BlockingTie,
    CalendarNotCovered,
    FailCountError,
    MissingPanelScore,
    MissingVerdict,
    NotEnoughExperts,
    PolicyError,
    RankingError,
    ScenarioError,
    ScoringError,
)
from .explain import (
    REASON_TIERS,
    ExplanationMismatch,
    Reason,
    Step,
    explain_cycle,
    run_and_explain,
)
from .notice import NoticePeriod, notice_period
from .panel import (
    GroupCOutcome,
    PanelOrder,
    PanelStatistics,
    disagreement,
    expert_calibration,
    expert_total,
    fail_count,
    panel_order,
    panel_score,
    panel_statistics,
    round_half_up,
    settle_group_c,
)
from .policy import DEFAULT_POLICY, PolicyParams
from .preliminary import (
    Claim,
    GroupSizes,
    RankingProblem,
    claim_reviewed,
    district_groups,
    district_split,
    group_of_rank,
    out_of_score_order,
    preliminary_score,
    rank_groups,
    ranking_problems,
    score_order,
    tie_groups,
    unexplained_inversions,
)
from .quotas import CityQuotas, ceil_share, city_quotas, floor_share
from .results import Checks, deregistrations, publication_checks
from .reverification import (
    GroupAOutcome,
    GroupBOutcome,
    alternates_joining,
    reverification_list,
    reverification_size,
    settle_group_a,
    settle_group_b,
    spot_check_draw,
)

__all__ = [
    "DEFAULT_POLICY", "TIERS", "BlockingTie", "Checks", "CityQuotas", "Claim",
    "RankingProblem", "claim_reviewed", "group_of_rank", "out_of_score_order",
    "preliminary_score", "rank_groups", "ranking_problems", "score_order", "tie_groups",
    "unexplained_inversions", "CycleResult",
    "FailCountError", "Final", "Group", "GroupAOutcome", "GroupBOutcome", "GroupCOutcome",
    "GroupSizes", "MissingPanelScore", "MissingVerdict", "OutOfCohort", "PanelOrder",
    "Participant", "PolicyError", "PolicyParams", "RankingError", "ScenarioError",
    "ScoringError", "SpotVerdict", "TieLine", "Verdict", "ceil_share", "city_quotas",
    "deregistrations", "district_groups", "district_split", "evaluated_period", "fail_count",
    "floor_share", "in_cohort", "out_of_cohort_reason", "panel_order", "panel_score",
    "publication_checks", "reverification_list", "reverification_size", "round_half_up",
    "run_cycle", "settle_group_a", "settle_group_b", "settle_group_c", "spot_check_draw",
    "alternates_joining",
    # R6a: the pool, the panels and the draw; R6: the console's statistics.
    "CLUSTERS", "ClusterCategory", "ConflictReason", "CoverageProblem", "DrawRecord",
    "Eligibility", "Expert", "Ineligible", "NotEnoughExperts", "PanelInstitution",
    "PanelResult", "PanelSpec", "PanelStatistics", "assignments", "conflict_map",
    "conflict_reasons", "detected_conflicts", "disagreement", "draw", "drawable", "expert_total",
    "eligibility", "eligible_experts", "expert_calibration", "new_seed",
    "panel_assignment_problems", "panel_statistics", "replace_member", "replay", "run_draws",
    "split_group", "supplementary_draw",
    # R9: every tier explained.
    "REASON_TIERS", "ExplanationMismatch", "Reason", "Step", "explain_cycle", "run_and_explain",
    # R10: the notice period.
    "CalendarNotCovered", "NoticePeriod", "notice_period",
]
