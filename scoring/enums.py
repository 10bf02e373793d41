"""The values the rules speak in (docs/rules.md "Words", R1, R4, R7, Output).

They are ``StrEnum`` members, so they compare equal to, and serialise as, the plain strings of
the scenario format; the web app can build its ``TextChoices`` from the same strings.
"""
from __future__ import annotations

from enum import StrEnum


class Group(StrEnum):
    """Preliminary groups of Art 10 (R4): 优良 / 合格 / 较差."""

    A = "A"
    B = "B"
    C = "C"


class Final(StrEnum):
    """Final values (R9, Output): the four tiers of Art 7 plus the two non-participant values."""

    EXCELLENT = "excellent"
    GOOD = "good"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"
    NOT_PARTICIPATING = "not_participating"  # R2
    NOT_IN_COHORT = "not_in_cohort"  # R1


TIERS = (Final.EXCELLENT, Final.GOOD, Final.QUALIFIED, Final.UNQUALIFIED)
"""The four tiers of Art 7; every participant ends with exactly one of them (R9)."""


class Verdict(StrEnum):
    """On-site verdict of the re-verification (R7)."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"  # -> 合格
    POOR = "poor"  # 运行情况较差 -> 不合格


class SpotVerdict(StrEnum):
    """On-site verdict of the spot check of group B (R7)."""

    CONFIRMED = "confirmed"
    POOR = "poor"


class OutOfCohort(StrEnum):
    """Why an institution is not in a cycle's cohort (R1); the web app shows these reasons."""

    INACTIVE = "inactive"
    WRONG_PARITY = "wrong_parity"
    TOO_RECENT = "too_recent"


class TieLine(StrEnum):
    """The lines that decide a list or a tier (R6); a still-equal pair across one blocks."""

    LIST = "list"
    ALTERNATES = "alternates"
    FAIL = "fail"
    EXCELLENT = "excellent"
    GOOD = "good"

    @property
    def description(self) -> str:
        """The line in the words of docs/rules.md R6, for messages."""
        return _TIE_LINE_DESCRIPTIONS[self]


_TIE_LINE_DESCRIPTIONS = {
    TieLine.LIST: "the E+G line in group A",
    TieLine.ALTERNATES: "the alternates line in group A",
    TieLine.FAIL: "the k line in group C",
    TieLine.EXCELLENT: "the E line among the confirmed",
    TieLine.GOOD: "the E+G line among the confirmed",
}


class ClusterCategory(StrEnum):
    """The three categories of the "343" innovation industry clusters (Art 3, domain.md) by
    which a group may be split into panels (R6a)."""

    LEADING = "优势"
    EMERGING = "新兴"
    DISTINCTIVE = "特色"


CLUSTERS = {
    "工程机械": ClusterCategory.LEADING,
    "绿色低碳能源": ClusterCategory.LEADING,
    "新材料": ClusterCategory.LEADING,
    "数字经济": ClusterCategory.EMERGING,
    "集成电路与ICT": ClusterCategory.EMERGING,
    "医药健康": ClusterCategory.EMERGING,
    "安全应急": ClusterCategory.EMERGING,
    "精品钢材": ClusterCategory.DISTINCTIVE,
    "高端纺织": ClusterCategory.DISTINCTIVE,
    "食品及农副产品加工": ClusterCategory.DISTINCTIVE,
}
"""The ten "343" clusters (domain.md), in the policy's order, with their category (R6a)."""


class Ineligible(StrEnum):
    """Why an expert of the pool is not eligible for a panel (R6a); the draw's preview page
    shows these reasons. The first that applies, in this order, is the one given."""

    INACTIVE = "inactive"  # suspended, or no longer in the pool
    NOT_SENIOR = "not_senior"  # below 副高
    NO_MATCHING_CLUSTER = "no_matching_cluster"
    ALREADY_DRAWN = "already_drawn"  # member or alternate of an earlier panel of the cycle


class ConflictReason(StrEnum):
    """Why an expert has a conflict of interest (回避) with an institution (R6a)."""

    EMPLOYER = "employer"  # the institution's credit code is an employer, now or in 3 years
    LEGAL_REPRESENTATIVE = "legal_representative"  # the expert's name is the institution's
    CONTACT = "contact"  # the expert's name is the institution's contact person
    DECLARED = "declared"  # by the expert, or recorded by the organiser
