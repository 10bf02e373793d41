"""What a self-evaluation still lacks before it can be submitted (Art 9), and the checks of
typed values — plain functions over plain values, so the page and the submit service agree."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .enums import FieldKind

YEARS = ("y1", "y2")  # Y−2 and Y−1


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str
    required: bool


@dataclass(frozen=True)
class IndicatorSpec:
    id: int
    code: str
    name: str
    points: Decimal
    evidence_required: bool
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Answer:
    data: dict
    narrative: str
    self_score: Decimal | None
    evidence_count: int


@dataclass(frozen=True)
class Gap:
    """One missing or invalid item, named for the user."""

    indicator_id: int
    code: str
    message: str


def value_error(kind: str, raw: str) -> str | None:
    """Why ``raw`` is not a valid value of ``kind`` (None when it is, or when it is empty)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if kind == FieldKind.TEXT:
        return None if len(raw) <= 2000 else _("at most 2,000 characters")
    if kind == FieldKind.DATE:
        try:
            dt.date.fromisoformat(raw)
        except ValueError:
            return _("not a date (YYYY-MM-DD)")
        return None
    try:
        number = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return _("not a number")
    if not number.is_finite() or number < 0:
        return _("must be zero or more")
    if kind == FieldKind.COUNT and number != number.to_integral_value():
        return _("must be a whole number")
    if kind == FieldKind.PERCENT and number > 100:
        return _("must be at most 100")
    if kind in (FieldKind.AMOUNT, FieldKind.PERCENT) and number.as_tuple().exponent < -2:
        return _("at most 2 decimals")
    return None


def gaps(indicators: list[IndicatorSpec], answers: dict[int, Answer],
         period: tuple[int, int]) -> list[Gap]:
    """Everything that keeps a report from being submitted: required data missing for a year,
    invalid values, a missing self-assessed score or one above the points, missing evidence."""
    found: list[Gap] = []
    for indicator in indicators:
        answer = answers.get(indicator.id) or Answer({}, "", None, 0)

        def gap(message: str, indicator: IndicatorSpec = indicator) -> None:
            found.append(Gap(indicator.id, indicator.code, message))

        for spec in indicator.fields:
            values = answer.data.get(spec.key) or {}
            for year_key, year in zip(YEARS, period, strict=True):
                raw = str(values.get(year_key, "") or "").strip()
                if not raw and spec.required:
                    gap(_("%(field)s for %(year)s is missing.")
                        % {"field": spec.label, "year": year})
                problem = value_error(spec.kind, raw)
                if problem:
                    gap(_("%(field)s for %(year)s: %(problem)s.")
                        % {"field": spec.label, "year": year, "problem": problem})
        if answer.self_score is None:
            gap(_("The self-assessed score is missing."))
        elif not 0 <= answer.self_score <= indicator.points:
            gap(_("The self-assessed score must be from 0 to %(points)s.")
                % {"points": indicator.points})
        if indicator.evidence_required and answer.evidence_count == 0:
            gap(_("Evidence is required: upload at least one file."))
    return found


def content_digest(snapshot: dict) -> str:
    """A fingerprint of a report's content: a stamped scan belongs to exactly one content."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
