"""Stage 3's pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): the panel organiser runs the panel review, the city
administrator follows it read-only, districts, institutions and experts see nothing of it; a
missing cycle or panel is a 404 to those who may see the stage. A refused POST changes
nothing."""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import Conflict, Panel, PanelDraw
from evaluations.services.panel import panel_draw
from tests.evaluations.panel_setup import open_panel_review, pool
from tests.evaluations.preliminary_setup import add_institutions
from tests.test_permission_matrix import ROLES, Redirect, Row, _outcome, only

READ = ("city_admin", "panel_organiser")
RUN = ("panel_organiser",)
REPORT = ("city_admin",)
MISSING = 987654

GET_ROWS = [
    Row("evaluations:panel_home", only(READ, Redirect("evaluations:panel_stage", "cycle"))),
    Row("evaluations:panel_stage", only(READ, 200), "cycle"),
    Row("evaluations:panel_stage", only(READ, 404), "missing_cycle"),
    Row("evaluations:panel_split", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:panel_detail", only(READ, 200), "panel"),
    Row("evaluations:panel_detail", only(READ, 404), "missing"),
    Row("evaluations:panel_record_pdf", only(READ, 200), "panel",
        content_type="application/pdf"),
    Row("evaluations:panel_record_pdf", only(READ, 404), "missing"),
    Row("evaluations:panel_widen", only(RUN, 405), "panel"),  # a POST only
    Row("evaluations:panel_draw", only(RUN, 200), "panel"),
    Row("evaluations:panel_draw", only(RUN, 404), "missing"),
    Row("evaluations:panel_invite", only(RUN, 405), "panel"),  # a POST only
    Row("evaluations:conflict_record", only(RUN, 405), "panel"),  # a POST only
    Row("evaluations:panel_supplementary", only(RUN, 405), "panel"),  # a POST only
    # Fraud found during the panel review is the city administrator's to report (R8); who
    # may not is refused before the participant is looked up.
    Row("evaluations:panel_fraud_report", only(REPORT, 200), "participant"),
    Row("evaluations:panel_fraud_report", only(REPORT, 404), "missing_participant"),
    Row("evaluations:expert_home", only(["expert"], 200)),
    # Another expert's assignment is a 404, like a missing one.
    Row("evaluations:expert_score", only(["expert"], 404), "assignment"),
    # An answer is a POST; another's seat is a 404 to every account, like a missing one.
    Row("evaluations:seat_accept", only([], 404, default=404), "seat"),
    Row("evaluations:seat_decline", only([], 404, default=404), "seat"),
    Row("evaluations:seat_withdraw", only([], 404, default=404), "seat"),
]


@pytest.fixture
def panel_cycle(users, gulou):
    """Group A's panel drawn from nine experts; the ``expert`` account is none of them."""
    made = add_institutions(gulou, 2)
    cycle = open_panel_review(users["city_admin"], a=made[:1], c=made[1:])
    pool(9)
    panel_draw(panel=cycle.panels.order_by("position").first(),
               actor=users["panel_organiser"], seed="matrix")
    return cycle


def _kwargs(obj, cycle):
    panel = cycle.panels.order_by("position").first()
    return {None: {}, "cycle": {"year": cycle.year}, "missing_cycle": {"year": 1999},
            "panel": {"pk": panel.pk}, "missing": {"pk": MISSING},
            "seat": {"pk": panel.seats.first().pk},
            "participant": {"year": cycle.year,
                            "pk": cycle.participants.filter(group="A").first().pk},
            "missing_participant": {"year": cycle.year, "pk": MISSING},
            "assignment": {"seat": panel.seats.first().pk,
                           "pk": cycle.participants.filter(group="A").first().pk}}[obj]


def _resolve(outcome, cycle):
    if isinstance(outcome, Redirect):
        return reverse(outcome.to, kwargs=_kwargs(outcome.obj, cycle))
    return outcome


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_panel_pages_give_expected_outcome_for_every_role(row, users, panel_cycle, client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row.obj, panel_cycle))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == {role: _resolve(outcome, panel_cycle)
                      for role, outcome in row.expected.items()}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "panel_organiser"])
def test_only_the_organiser_splits_widens_or_draws(role, users, panel_cycle, client_for):
    client = client_for(users.get(role))
    panel = panel_cycle.panels.order_by("position").first()
    client.post(reverse("evaluations:panel_split", args=[panel_cycle.year]),
                {"group": "A", "A-layout": "three"})
    client.post(reverse("evaluations:panel_widen", args=[panel.pk]), {"reason": "不足"})
    client.post(reverse("evaluations:panel_draw", args=[panel.pk]), {"seed": "x"})
    client.post(reverse("evaluations:panel_invite", args=[panel.pk]))
    client.post(reverse("evaluations:conflict_record", args=[panel.pk]), {
        "seat": panel.seats.first().pk, "participant": panel_cycle.participants.first().pk,
        "reason": "x"})
    assert not Conflict.objects.filter(source="recorded").exists()
    seat = panel.seats.order_by("position").first()
    client.post(reverse("evaluations:seat_decline", args=[seat.pk]), {f"seat{seat.pk}-reason": "x"})
    assert list(Panel.objects.values_list("group", "categories", "widen")) == [
        ("A", [], False), ("C", [], False)]
    assert PanelDraw.objects.count() == 1
    assert set(panel.seats.values_list("status", flat=True)) == {"drawn", "standby"}
