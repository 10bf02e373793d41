"""The stage-3 pages read in the same number of queries whatever their size: the draw's
preview and record at two pool sizes, the expert's list at two panel sizes, the scoring page
at two numbers of evidence files."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Indicator, IndicatorResponse
from evaluations.services.panel import expert_score_save, panel_draw, panel_invite, seat_accept
from institutions.enums import Role
from tests.evaluations.panel_setup import open_panel_review, pool
from tests.evaluations.preliminary_setup import add_institutions
from tests.evaluations.review_setup import give_evidence
from tests.factories import UserFactory


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def panel_of(users, gulou, default_policy):
    def make(n_institutions: int, n_experts: int):
        made = add_institutions(gulou, n_institutions + 1)
        cycle = open_panel_review(users["city_admin"], a=made[:-1], c=made[-1:])
        experts = pool(n_experts)
        for expert in experts[:9]:
            expert.user = UserFactory(username=f"q-{expert.pool_number}", role=Role.EXPERT)
            expert.save()
        return cycle, cycle.panels.order_by("position").first()
    return make


def test_the_draw_preview_and_record_do_not_grow_with_the_pool(panel_of, users, client_for):
    client = client_for(users["panel_organiser"])
    _cycle, panel = panel_of(2, 9)
    preview = reverse("evaluations:panel_draw", args=[panel.pk])
    small = _count(client, preview)
    pool(31)
    assert _count(client, preview) == small
    panel_draw(panel=panel, actor=users["panel_organiser"], seed="q")
    detail = reverse("evaluations:panel_detail", args=[panel.pk])
    first = _count(client, detail)
    pool(30)
    assert _count(client, detail) == first


def test_the_experts_list_and_scoring_page_do_not_grow(panel_of, users, client_for,
                                                       private_media):
    cycle, panel = panel_of(6, 9)
    organiser = users["panel_organiser"]
    panel_draw(panel=panel, actor=organiser, seed="q")
    panel_invite(panel=panel, actor=organiser)
    seat = panel.seats.select_related("expert__user").order_by("position")[0]
    seat_accept(seat=seat, actor=seat.expert.user)
    client = client_for(seat.expert.user)
    home = reverse("evaluations:expert_home")
    small = _count(client, home)
    participant = cycle.participants.filter(group="A").order_by("pk").first()
    url = reverse("evaluations:expert_score", kwargs={"seat": seat.pk, "pk": participant.pk})
    indicator = Indicator.objects.filter(category__cycle=cycle).first()
    response, _ = IndicatorResponse.objects.get_or_create(
        submission_id=participant.submission_id, indicator=indicator)
    give_evidence(response, users["institution_filer"], n=1)
    one = _count(client, url)
    give_evidence(response, users["institution_filer"], n=6)
    assert _count(client, url) == one
    for other in cycle.participants.filter(group="A").order_by("pk")[:3]:
        expert_score_save(seat=seat, participant_id=other.pk, scores={}, comment="草稿",
                          revision=0, actor=seat.expert.user)
    assert _count(client, home) == small
