"""Policy parameters (R13): every number of the rules lives here, with the policy's defaults."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import PolicyError, show


@dataclass(frozen=True)
class PolicyParams:
    """One policy version's parameters (R13). Construction validates every value.

    ``district_shares`` are the A / B / C shares of R4 (percent, summing to 100); the other
    shares are percentages of N (R5); ``trim_from_scores`` is R6's "5 or more scores";
    ``panel_size`` and ``panel_alternates`` are the members and alternates drawn per panel and
    ``min_panel_scores`` the scores an institution's panel score needs (R6a).
    """

    district_shares: tuple[int, int, int] = (50, 40, 10)
    excellent_share: int = 10
    good_share: int = 25
    top_tier_cap: int = 30
    fail_min_share: int = 3
    spot_check_share: int = 3
    trim_from_scores: int = 5
    notice_working_days: int = 5
    reward_cap_yuan: int = 5_000_000
    cohort_min_age_years: int = 2
    panel_size: int = 7
    panel_alternates: int = 2
    min_panel_scores: int = 5

    def __post_init__(self) -> None:
        shares = self.district_shares
        if (
            not isinstance(shares, list | tuple)
            or len(shares) != 3
            or not all(_is_int(s) and s >= 0 for s in shares)
            or sum(shares) != 100
        ):
            raise PolicyError(
                "district_shares",
                f"must be 3 non-negative integers summing to 100, got {show(shares)}",
            )
        # Accept a list (JSON, forms) but keep the frozen value hashable.
        object.__setattr__(self, "district_shares", tuple(shares))
        for name in ("excellent_share", "good_share", "fail_min_share", "spot_check_share"):
            check_int(name, getattr(self, name), low=0, high=100)
        check_int("top_tier_cap", self.top_tier_cap, low=0)
        # Trimming one highest and one lowest needs at least one score left over.
        check_int("trim_from_scores", self.trim_from_scores, low=3)
        check_int("notice_working_days", self.notice_working_days, low=1)
        check_int("reward_cap_yuan", self.reward_cap_yuan, low=0)
        check_int("cohort_min_age_years", self.cohort_min_age_years, low=0)
        check_int("panel_size", self.panel_size, low=1)
        check_int("panel_alternates", self.panel_alternates, low=0)
        check_int("min_panel_scores", self.min_panel_scores, low=1)

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, object]) -> PolicyParams:
        """The defaults with ``overrides`` applied by name (R13); an unknown name, a value of the
        wrong type or out of range raises ``PolicyError`` naming the parameter."""
        known = [f.name for f in dataclasses.fields(cls)]
        for name in overrides:
            if name not in known:
                raise PolicyError(
                    str(name), f"unknown parameter (known: {', '.join(known)})"
                )
        return cls(**overrides)


def _is_int(value: object) -> bool:
    # bool is an int subclass, but true is not a number of anything.
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(name: str, value: object, *, low: int, high: int | None = None) -> None:
    """Refuse ``value`` for the parameter ``name`` unless it is an integer (not a bool) in
    ``low``…``high``; shared by the checks of the parameters and by their users (R10)."""
    if not _is_int(value):
        raise PolicyError(name, f"must be an integer, got {show(value)}")
    if value < low or (high is not None and value > high):
        bounds = f"{low}–{high}" if high is not None else f"at least {low}"
        raise PolicyError(name, f"must be {bounds}, got {value}")


DEFAULT_POLICY = PolicyParams()
"""The parameters as the policy states them (R13)."""
