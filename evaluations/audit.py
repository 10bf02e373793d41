"""Audit trail of the evaluation: who changed a policy version, a cycle, its stages and
indicator system, a deadline — before → after."""
from auditlog.registry import auditlog

from .models import (
    Cycle,
    CycleStage,
    Extension,
    Indicator,
    IndicatorCategory,
    IndicatorField,
    PolicyVersion,
    Submission,
    SubmissionVersion,
)

auditlog.register(PolicyVersion, exclude_fields=["cycles"])
auditlog.register(Cycle, exclude_fields=["stages", "transitions", "categories", "submissions"])
auditlog.register(CycleStage)
auditlog.register(IndicatorCategory, exclude_fields=["indicators"])
auditlog.register(Indicator, exclude_fields=["responses", "fields"])
auditlog.register(IndicatorField)
# Submissions: status, deadline and pledge changes (the answers themselves are versioned).
auditlog.register(Submission, include_fields=["status", "deadline", "pledge_accepted_at",
                                              "submitted_at"])
auditlog.register(SubmissionVersion, include_fields=["number", "digest", "withdrawn_at"])
auditlog.register(Extension)
