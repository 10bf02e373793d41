"""Stage 4's pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): the city administrator verifies, draws and records; the
information institute reads; districts, experts and institutions see none of the stage's
pages (a district reads the visits on its own institution's review page, see
``test_reverification_views``); an institution's account reads the visit planned to it; the
spot check's replay page is open to anyone, anonymous visitors included. A missing cycle or
an institution not verified is a 404 to those who may see the stage. A refused POST changes
nothing."""
from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from evaluations.models import (
    FraudReport,
    Participant,
    Reverification,
    SiteVisit,
    SpotCheckDraw,
    Verification,
)
from evaluations.services.reverification import spot_check_draw
from tests.evaluations.reverification_setup import standard_cycle
from tests.test_permission_matrix import OWN_INSTITUTION, ROLES, Row, _outcome, only, outcomes

READ = ("city_admin", "panel_organiser")
RUN = ("city_admin",)
YEAR = 2025
STAGE = f"/cycles/{YEAR}/reverification/"
SPOT = f"/cycles/{YEAR}/reverification/spot-check/"

GET_ROWS = [
    Row("evaluations:reverification_home", only(READ, STAGE)),
    Row("evaluations:reverification_stage", only(READ, 200), "cycle"),
    Row("evaluations:reverification_stage", only(READ, 404), "missing_cycle"),
    Row("evaluations:reverification_alternates", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:verification_detail", only(READ, 200), "listed"),
    Row("evaluations:verification_detail", only(READ, 404), "unverified"),
    Row("evaluations:verification_detail", only(READ, 404), "missing"),
    Row("evaluations:verification_plan", only(RUN, 405), "listed"),  # a POST only
    Row("evaluations:verification_visit", only(RUN, 405), "listed"),  # a POST only
    Row("evaluations:verification_verdict", only(RUN, 405), "listed"),  # a POST only
    Row("evaluations:verification_verdict_change", only(RUN, 405), "listed"),  # a POST only
    Row("evaluations:verification_fraud_report", only(RUN, 200), "listed"),
    Row("evaluations:verification_fraud_report", only(RUN, 404), "unverified"),
    Row("evaluations:spot_check", only(READ, 200), "cycle"),
    Row("evaluations:spot_check", only(READ, 404), "missing_cycle"),
    Row("evaluations:spot_check_draw", only(RUN, SPOT), "cycle"),  # GET goes to the page
    Row("evaluations:spot_check_replay", outcomes(200, anonymous=200), "draw"),
    Row("evaluations:spot_check_replay", outcomes(404, anonymous=404), "missing_draw"),
    # Each institution's account reads its own participation's page (the other one's is
    # in the cycle too); nobody else has one.
    Row("evaluations:my_planned_visit",
        only((*OWN_INSTITUTION, "institution_filer_other"), 200), "cycle"),
    Row("evaluations:my_planned_visit",
        only((*OWN_INSTITUTION, "institution_filer_other"), 404), "missing_cycle"),
]


@pytest.fixture
def stage(users, gulou, default_policy, private_media, institution):
    """The standard cycle with ``users``' institution first on the list and the spot check
    drawn."""
    cycle, group_a = standard_cycle(users["city_admin"], gulou, first=institution)
    spot_check_draw(cycle=cycle, actor=users["city_admin"], seed="matrix")
    listed = Participant.objects.get(cycle=cycle, institution=institution)
    unverified = Participant.objects.get(cycle=cycle, institution=group_a[-1])
    return cycle, listed, unverified, SpotCheckDraw.objects.get(cycle=cycle)


def _kwargs(obj, cycle, listed, unverified, draw):
    return {None: {}, "cycle": {"year": cycle.year}, "missing_cycle": {"year": 1999},
            "listed": {"year": cycle.year, "pk": listed.pk},
            "unverified": {"year": cycle.year, "pk": unverified.pk},
            "missing": {"year": cycle.year, "pk": 987654},
            "draw": {"key": draw.public_key},
            "missing_draw": {"key": "00000000-0000-4000-8000-000000000000"}}[obj]


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_reverification_pages_give_expected_outcome_for_every_role(row, users, stage,
                                                                    client_for):
    assert stage[0].year == YEAR
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row.obj, *stage))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == row.expected


def _snapshot() -> dict:
    return {
        "verifications": list(Verification.objects.order_by("pk").values()),
        "reverifications": list(Reverification.objects.values()),
        "draws": SpotCheckDraw.objects.count(),
        "visits": SiteVisit.objects.count(),
        "fraud": FraudReport.objects.count(),
        "audit": LogEntry.objects.count(),
    }


@pytest.mark.parametrize("role", [r for r in ROLES if r != "city_admin"])
def test_only_the_city_administrator_records_anything(role, users, stage, client_for):
    cycle, listed, _unverified, draw = stage
    SpotCheckDraw.objects.all().delete()  # so that a draw would be possible
    before = _snapshot()
    client = client_for(users.get(role))
    year, pk = cycle.year, listed.pk
    today = timezone.localdate().isoformat()
    posts = [
        ("evaluations:reverification_alternates", {"year": year},
         {"allowed": "1", "reason": "x"}),
        ("evaluations:verification_plan", {"year": year, "pk": pk},
         {"planned_on": today, "to_prepare": "x", "revision": "0"}),
        ("evaluations:verification_visit", {"year": year, "pk": pk},
         {"visited_on": today, "visitors": "x", "findings": "x"}),
        ("evaluations:verification_verdict", {"year": year, "pk": pk},
         {"verdict": "confirmed", "reason": "x", "revision": "0"}),
        ("evaluations:verification_verdict_change", {"year": year, "pk": pk},
         {"verdict": "poor", "reason": "x", "revision": "0"}),
        ("evaluations:verification_fraud_report", {"year": year, "pk": pk},
         {"kind": "fabricated", "description": "x", "confirm": "on"}),
        ("evaluations:spot_check_draw", {"year": year}, {"seed": "x"}),
    ]
    for name, kwargs, data in posts:
        response = client.post(reverse(name, kwargs=kwargs), data)
        assert response.status_code in (302, 403), (name, response.status_code)
    assert _snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_a_reverification_visits_file_reaches_the_city_and_its_district_only(role, users, stage,
                                                                             client_for):
    """The photos of a stage-4 visit are served by the site-visit file view: the city staff
    and the institution's own district read them; the institution itself (which sees nothing
    of the verdict before publication), another district and an expert get nothing."""
    from evaluations.services.reverification import verification_visit_record
    from tests.evaluations.self_evaluation_setup import upload

    _cycle, listed, _unverified, _draw = stage
    visit = verification_visit_record(
        participant=listed, visited_on=timezone.localdate(), visitors="李明、王芳",
        findings="现场核查情况与申报一致。", uploads=[upload("现场照片.pdf")],
        actor=users["city_admin"])
    url = reverse("evaluations:site_visit_file", args=[visit.files.get().pk])
    from django.test import Client

    client = Client() if role == "anonymous" else client_for(users[role])
    status = client.get(url).status_code
    allowed = role in (*READ, "district_reviewer")
    assert (status == 200) == allowed, status
