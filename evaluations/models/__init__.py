"""The evaluation models, one module per part of the cycle:

- ``policy``: policy versions (R13);
- ``cycles``: the cycle, its stages and status changes (Art 8);
- ``indicators``: the indicator system (Art 6);
- ``self_evaluation``: stage 1, the institutions' reports and evidence (Art 9);
- ``preliminary``: stage 2, the district's review, ranking and summary (Art 10, R3, R4);
- ``findings``: stage 2, site visits, rectification notices, fraud reports and credit
  records (Art 9, 10, R8);
- ``panel``: stage 3, the panels, their recorded draws, the experts drawn, the conflicts
  of interest and the experts' scores (Art 11, R6a);
- ``panel_outcome``: stage 3's close, the organiser's fail count and tie-break order and the
  results fixed for the rest of the cycle (R6), and the result table the experts sign;
- ``reverification``: stage 4, the re-verification of the list, the spot check of group B and
  the on-site verdicts (Art 12, R7, R8);
- ``results``: every participant's tier with its explanation and the inputs that give it
  again (Art 7, R9);
- ``files``: what stored and generated files share.
"""
from .cycles import Cycle, CycleStage, CycleTransition
from .findings import (
    CreditRecord,
    FraudEvidenceFile,
    FraudReport,
    Rectification,
    RectificationAnswer,
    RectificationFile,
    SiteVisit,
    SiteVisitFile,
)
from .indicators import Indicator, IndicatorCategory, IndicatorField
from .panel import Conflict, ExpertScore, Panel, PanelDraw, PanelSeat
from .panel_outcome import PanelOutcome, PanelResult, PanelResultKind, PanelResultTable
from .policy import PolicyVersion
from .preliminary import (
    ClaimReview,
    DistrictReview,
    DistrictSummaryFile,
    Participant,
    RankingRevision,
)
from .results import CycleResults, ParticipantTier
from .reverification import Reverification, SpotCheckDraw, VerdictChange, Verification
from .self_evaluation import (
    EvidenceFile,
    Extension,
    IndicatorResponse,
    ReportFile,
    Submission,
    SubmissionVersion,
)

__all__ = [
    "ClaimReview", "CreditRecord", "DistrictReview", "DistrictSummaryFile", "FraudEvidenceFile",
    "FraudReport", "Participant", "RankingRevision", "Rectification", "RectificationAnswer",
    "RectificationFile", "SiteVisit", "SiteVisitFile",
    "Cycle", "CycleStage", "CycleTransition", "EvidenceFile", "Extension", "Indicator",
    "IndicatorCategory", "IndicatorField", "IndicatorResponse", "PolicyVersion", "ReportFile",
    "Submission", "SubmissionVersion", "Conflict", "ExpertScore", "Panel", "PanelDraw",
    "PanelSeat", "PanelOutcome", "PanelResult", "PanelResultKind", "PanelResultTable",
    "Reverification", "SpotCheckDraw", "VerdictChange", "Verification", "CycleResults",
    "ParticipantTier",
]
