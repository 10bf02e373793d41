"""Exceptions of the rules. Each carries the values a caller needs to word its own message
(the web app in Chinese, ``simulate_cycle`` in one English line)."""
from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

from .enums import Group, TieLine


def quote(text: str) -> str:
    """``text`` as a JSON string: quoted, and escaped so that a message stays on one line and
    can be printed whatever the text holds (the scenario file's "one clear line")."""
    # json.dumps escapes the C0 controls; U+0085, U+2028 and U+2029 are line breaks for
    # str.splitlines() too, and a lone surrogate cannot be encoded to UTF-8 at all.
    if not _ESCAPED.search(text):  # the usual identifier: nothing to escape (and fast)
        return f'"{text}"'
    return _UNSAFE.sub(
        lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False)
    )


_UNSAFE = re.compile("[\x85\u2028\u2029\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) escapes, plus the line breaks and surrogates above.
_ESCAPED = re.compile('["\\\\\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]')


def show(value: object) -> str:
    """A short, one-line rendering of a bad value for a message (the scenario file's
    "one clear line")."""
    if isinstance(value, str):
        return quote(_shorten(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value[:5]) + (", …]" if len(value) > 5 else "]")
    if isinstance(value, dict):
        return "an object"
    return _shorten(str(value))


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class ScoringError(Exception):
    """Base of every error the rules (R1–R13) raise."""


class PolicyError(ScoringError, ValueError):
    """A policy parameter (R13) is unknown or has a value the rules cannot use."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")


class RankingError(ScoringError, ValueError):
    """A district's ranking is not exactly 1…n_d (R4)."""

    def __init__(self, district: str, institution_id: str, problem: str) -> None:
        self.district = district
        self.institution_id = institution_id
        self.problem = problem
        super().__init__(f"district {quote(district)}: district_rank: {problem}")


class MissingPanelScore(ScoringError, ValueError):
    """A member of group A or C has no panel score (R6)."""

    def __init__(self, institution_id: str, group: Group) -> None:
        self.institution_id = institution_id
        self.group = group
        super().__init__(
            f"institution {quote(institution_id)} of group {group} has no panel score (R6)"
        )


class MissingVerdict(ScoringError, ValueError):
    """An institution needs an on-site verdict (R7) that has not been recorded."""

    def __init__(self, institution_id: str) -> None:
        self.institution_id = institution_id
        super().__init__(f"institution {quote(institution_id)} needs an on-site verdict (R7)")


class FailCountError(ScoringError, ValueError):
    """The organiser chose fewer 不合格 in group C than the minimum F (R6)."""

    def __init__(self, chosen: int, minimum: int) -> None:
        self.chosen = chosen
        self.minimum = minimum
        super().__init__(
            f"{chosen} is fewer than F = {minimum}; "
            "the organiser may choose more than F, never fewer (R6)"
        )


class BlockingTie(ScoringError):
    """Still-equal institutions fall on both sides of a deciding line (R6): the stage waits
    until the organiser records an order for them."""

    def __init__(self, line: TieLine, ids: tuple[str, ...], score: Decimal) -> None:
        self.line = line
        self.ids = ids
        self.score = score
        names = ", ".join(quote(i) for i in ids)
        super().__init__(
            f"blocking tie at {line.description}: {names} have panel score {score}"
        )


class ScenarioError(ScoringError, ValueError):
    """A scenario file (docs/rules.md "The scenario file") cannot be run. ``str()`` is one line
    naming the field and, where there is one, the institution."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


class NotEnoughExperts(ScoringError, ValueError):
    """A draw (R6a) needs more eligible experts than there are: it is refused, saying how many
    are missing. ``panel_id`` names the panel when the caller knows it."""

    def __init__(self, needed: int, eligible: int, panel_id: str | None = None) -> None:
        self.needed = needed
        self.eligible = eligible
        self.missing = needed - eligible
        self.panel_id = panel_id
        panel = f"panel {quote(panel_id)}: " if panel_id is not None else ""
        super().__init__(
            f"{panel}the draw needs {needed} experts but only {eligible} are eligible: "
            f"{self.missing} missing (R6a)"
        )


class CalendarNotCovered(ScoringError):
    """A notice period (R10) needs a day whose working-day status the installed
    ``chinese-calendar`` does not know: R10 refuses rather than guess from plain weekdays.

    ``year`` is the State Council arrangement that is missing, ``day`` the first day that needed
    it and ``covered`` the (first, last) years the installed calendar holds. ``year`` can be the
    year after ``day``'s: the days from 29 December on are settled by the next year's New Year
    arrangement (see ``scoring.notice``). Not a ``ValueError``: the input is fine, the data is
    missing, and upgrading the package is the cure."""

    def __init__(self, year: int, day: date, covered: tuple[int, int]) -> None:
        self.year = year
        self.day = day
        self.covered = covered
        super().__init__(
            f"whether {day.isoformat()} is a working day depends on the State Council's {year} "
            f"holiday arrangement, which the installed chinese-calendar does not have "
            f"(it covers {covered[0]}–{covered[1]}); upgrade it (R10)"
        )
