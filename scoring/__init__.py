"""The evaluation policy of rules.md (R1–R13) as pure functions over plain values.

Nothing here imports Django: services load rows, call these rules and save the answer.
"""
from .cohort import evaluated_period, in_cohort, out_of_cohort_reason
from .cycle import CycleResult, Participant, run_cycle
from .enums import TIERS, Final, Group, OutOfCohort, SpotVerdict, TieLine, Verdict
from .errors import (
    BlockingTie,
    FailCountError,
    MissingPanelScore,
    MissingVerdict,
    PolicyError,
    RankingError,
    ScenarioError,
    ScoringError,
)
from .panel import (
    GroupCOutcome,
    PanelOrder,
    fail_count,
    panel_order,
    panel_score,
    round_half_up,
    settle_group_c,
)
from .policy import DEFAULT_POLICY, PolicyParams
from .preliminary import (
    Claim,
    RankingProblem,
    claim_reviewed,
    group_of_rank,
    out_of_score_order,
    preliminary_score,
    rank_groups,
    ranking_problems,
    score_order,
    tie_groups,
    unexplained_inversions,
)
from .quotas import (
    CityQuotas,
    GroupSizes,
    ceil_share,
    city_quotas,
    district_groups,
    district_split,
    floor_share,
)
from .results import Checks, deregistrations, publication_checks
from .reverification import (
    GroupAOutcome,
    GroupBOutcome,
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
]
