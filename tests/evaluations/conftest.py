"""Fixtures of the evaluation tests: the self-evaluation's open cycle, its report and
accounts (the helpers behind them are in ``self_evaluation_setup``)."""
from __future__ import annotations

import pytest

from evaluations.models import Cycle, Submission
from tests.evaluations.self_evaluation_setup import open_cycle


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploaded files go to a throw-away directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def self_evaluation_cycle(users, default_policy, private_media) -> Cycle:
    """The 2025 cycle, created and opened with the services: the institutions of ``users``
    (filed 2021) are in its cohort (R1)."""
    return open_cycle(users["city_admin"])


@pytest.fixture
def submission(self_evaluation_cycle, institution) -> Submission:
    """The report of ``institution`` (bound to ``filer`` and ``inst_admin``)."""
    return self_evaluation_cycle.submissions.get(institution=institution)


@pytest.fixture
def filer(users):
    return users["institution_filer"]


@pytest.fixture
def inst_admin(users):
    return users["institution_admin"]
