"""Closing a stage of the cycle (Art 8): the mark every stage's own closing service sets once
its conditions hold (``self_evaluation.self_evaluation_close``,
``preliminary.preliminary_review_close``). Only models are imported here, so that the stage
services build on it and ``cycles`` builds on them, never the other way round."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.audit import acting_as
from institutions.exceptions import DomainError
from institutions.models import User

from ..models import Cycle, CycleStage


def cycle_stage_close(*, cycle: Cycle, actor: User | None) -> CycleStage:
    """Mark the current stage closed (its own closing service checks the stage's conditions
    first; see ``self_evaluation.self_evaluation_close``)."""
    stage = cycle.stages.get(stage=cycle.status)
    if stage.is_closed:
        raise DomainError(_("This stage is already closed."))
    stage.closed_at = timezone.now()
    stage.closed_by = actor
    with acting_as(actor):
        stage.save(update_fields=["closed_at", "closed_by"])
    return stage
