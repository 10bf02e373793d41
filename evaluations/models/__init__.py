"""The evaluation models, one module per part of the cycle:

- ``policy``: policy versions (R13);
- ``cycles``: the cycle, its stages and status changes (Art 8);
- ``indicators``: the indicator system (Art 6);
- ``self_evaluation``: stage 1, the institutions' reports and evidence (Art 9).
"""
from .cycles import Cycle, CycleStage, CycleTransition
from .indicators import Indicator, IndicatorCategory, IndicatorField
from .policy import PolicyVersion
from .self_evaluation import (
    EvidenceFile,
    Extension,
    IndicatorResponse,
    ReportFile,
    Submission,
    SubmissionVersion,
)

__all__ = [
    "Cycle", "CycleStage", "CycleTransition", "EvidenceFile", "Extension", "Indicator",
    "IndicatorCategory", "IndicatorField", "IndicatorResponse", "PolicyVersion", "ReportFile",
    "Submission", "SubmissionVersion",
]
