"""Reads of the findings (Art 9, 10; R8): rectification notices and their answers."""
from __future__ import annotations

from ..enums import AnswerDecision
from ..models import (
    RectificationAnswer,
)


def pending_answer(answers: list[RectificationAnswer]) -> RectificationAnswer | None:
    """The answer waiting for the reviewer's decision (the latest; there is at most one)."""
    waiting = [a for a in answers if a.decision == AnswerDecision.PENDING]
    return waiting[-1] if waiting else None
