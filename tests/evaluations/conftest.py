"""Fixtures of the evaluation tests: the self-evaluation's open cycle, its report and
accounts (the helpers behind them are in ``self_evaluation_setup``); the panel review's cycle
and a drawn panel (``panel_setup``)."""
from __future__ import annotations

import pytest

from evaluations.models import Cycle, Submission
from evaluations.services.panel import panel_draw
from institutions.enums import ClusterGroup, Role
from institutions.models import Cluster
from tests.evaluations.panel_setup import open_panel_review, pool
from tests.evaluations.preliminary_setup import add_institutions
from tests.evaluations.self_evaluation_setup import open_cycle
from tests.factories import UserFactory


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


# --- Stage 3, the panel review -----------------------------------------------------------------

@pytest.fixture
def organiser(users):
    return users["panel_organiser"]


@pytest.fixture
def clusters(reference_data):
    return {group: list(Cluster.objects.filter(group=group))
            for group in ClusterGroup.values}


@pytest.fixture
def stage(users, gulou, clusters, default_policy):
    """Group A: two institutions of a leading cluster, one of an emerging one; group C: one
    of a distinctive cluster."""
    leading, emerging, distinctive = (clusters[ClusterGroup.LEADING][0],
                                      clusters[ClusterGroup.EMERGING][0],
                                      clusters[ClusterGroup.DISTINCTIVE][0])
    made = add_institutions(gulou, 4)
    for institution, cluster in zip(made, [leading, leading, emerging, distinctive],
                                    strict=True):
        institution.cluster = cluster
        institution.save()
    cycle = open_panel_review(users["city_admin"], a=made[:3], c=made[3:])
    return cycle, made


@pytest.fixture
def drawn(stage, organiser):
    """Group A's panel drawn from a pool of nine experts, each with an account."""
    cycle, made = stage
    experts = pool(9)
    for expert in experts:
        expert.user = UserFactory(username=f"x-{expert.pool_number}", role=Role.EXPERT)
        expert.save()
    panel = cycle.panels.get(position=1)
    panel_draw(panel=panel, actor=organiser, seed="invite")
    return panel, made


