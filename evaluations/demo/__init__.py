"""The demo data of `make run`, one module per stage, made only through the services:

- ``registry``: the institutions of the districts and "343" clusters, and an account for every
  role (the logins the README lists, password ``DEMO_PASSWORD``);
- ``self_evaluation``: the 2026 cycle, self-evaluation open, reports not started, in progress
  and submitted;
- ``preliminary``: the 2025 cycle, self-evaluation over and the districts' preliminary review
  under way, the districts in every state;
- ``panel``: the 2025 cycle goes on: the preliminary review finished and closed, the panel
  review open with an expert pool, every panel drawn and invited, the experts in every state;
- ``reverification``: the previous cycle, 2023, taken through stages 1–4 with the same pool
  and left in its re-verification with that stage complete: the list visited and decided
  (one operating poorly, one verdict changed with its reason), alternates joined, the spot
  check drawn with a typed seed and decided, the results computed;
- ``support``: the demo's clock, one password hash and a budget of real PDF renderings (what
  the demo substitutes, and why), and the small PDFs it uploads.

``seed_demo`` runs them in that order. Deterministic and idempotent: running it twice changes
nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from .panel import PanelSeed, panel_logins, seed_panel
from .preliminary import PreliminarySeed, seed_preliminary
from .registry import DEMO_PASSWORD, DemoLogin, seed_accounts, seed_registry
from .registry import demo_logins as registry_logins
from .reverification import ReverificationSeed, seed_reverification
from .self_evaluation import CycleSeed, seed_cycle

__all__ = ["DEMO_PASSWORD", "DemoLogin", "DemoSeed", "demo_logins", "seed_demo"]


@dataclass(frozen=True)
class DemoSeed:
    """What ``seed_demo`` did: the institutions it created, the demo logins (created or
    already there) and what it did to each cycle."""

    institutions: int
    logins: list[DemoLogin]
    cycle: CycleSeed
    preliminary: PreliminarySeed
    panel: PanelSeed
    reverification: ReverificationSeed


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist: the accounts of every role (``registry``), then the
    expert with an invitation to answer (``panel``)."""
    return registry_logins() + panel_logins()


def seed_demo() -> DemoSeed:
    """Load the whole demo: the registry and its accounts, then the 2026 cycle, then the 2025
    cycle (which fills reports in the way the 2026 one does) and its panel review, then the
    2023 cycle through its re-verification (drawn from the 2025 panel review's pool)."""
    institutions = seed_registry()
    logins = seed_accounts()
    cycle, preliminary = seed_cycle(), seed_preliminary()
    panel = seed_panel()
    reverification = seed_reverification()
    return DemoSeed(institutions=institutions, logins=logins + panel_logins(), cycle=cycle,
                    preliminary=preliminary, panel=panel, reverification=reverification)
