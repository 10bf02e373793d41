"""Stage 3's pages (R6a): the organiser forms the panels, previews and makes the draw, and
reads its record with the replay check; the city administrator follows read-only."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from evaluations.enums import ConflictSource, SeatStatus
from evaluations.models import Conflict, PanelDraw
from evaluations.services.panel import panel_draw, panel_invite, seat_decline
from institutions.enums import ClusterGroup, Role
from institutions.models import Cluster
from tests.evaluations.panel_setup import open_panel_review, pool
from tests.evaluations.preliminary_setup import add_institutions
from tests.evaluations.test_summary_pdf import _flat, _fonts, _text
from tests.factories import UserFactory


@pytest.fixture
def cycle(users, gulou, reference_data, default_policy):
    made = add_institutions(gulou, 3)
    for institution, group in zip(made, [ClusterGroup.LEADING, ClusterGroup.EMERGING,
                                         ClusterGroup.DISTINCTIVE], strict=True):
        institution.cluster = Cluster.objects.filter(group=group).first()
        institution.save()
    return open_panel_review(users["city_admin"], a=made[:2], c=made[2:])


def _testids(html: str, name: str) -> int:
    return len(re.findall(f'data-testid="{name}"', html))


def test_the_organiser_splits_group_a_and_draws_the_first_panel(cycle, users, client_for):
    client = client_for(users["panel_organiser"])
    stage = reverse("evaluations:panel_stage", args=[cycle.year])
    html = client.get(stage).content.decode()
    assert _testids(html, "panel-row") == 2 and _testids(html, "split-A") == 1
    response = client.post(reverse("evaluations:panel_split", args=[cycle.year]),
                           {"group": "A", "A-layout": "leading"})
    assert response["Location"] == stage
    names = [p.name for p in cycle.panels.order_by("position")]
    assert len(names) == 3 and names[0].startswith("较差组")  # C first, then A's two
    pool(10)
    first = cycle.panels.order_by("position").first()
    preview = client.get(reverse("evaluations:panel_draw", args=[first.pk]))
    assert re.search(r'data-testid="eligible-count">(\d+)<', preview.content.decode()
                     ).group(1) == "10"
    drawn = client.post(reverse("evaluations:panel_draw", args=[first.pk]), {"seed": "xz-01"})
    assert drawn["Location"] == reverse("evaluations:panel_detail", args=[first.pk])
    record = client.get(drawn["Location"]).content.decode()
    assert ('data-testid="replay-ok"' in record and ">xz-01<" in record
            and _testids(record, "seat-row") == 9)
    again = client.get(stage).content.decode()
    assert _testids(again, "split-A") == 0  # the panels no longer change after a draw


def test_a_short_pool_shows_how_many_are_missing_and_offers_no_draw(cycle, users,
                                                                    client_for):
    pool(4)
    first = cycle.panels.order_by("position").first()
    client = client_for(users["panel_organiser"])
    html = client.get(reverse("evaluations:panel_draw", args=[first.pk])).content.decode()
    assert 'data-testid="draw-missing"' in html and "5" in re.search(
        r'data-testid="draw-missing">([^<]*)<', html).group(1)
    assert 'name="seed"' not in html  # no draw form
    response = client.post(reverse("evaluations:panel_draw", args=[first.pk]), {"seed": ""})
    assert response.status_code == 200 and not PanelDraw.objects.exists()


def test_the_city_administrator_follows_read_only(cycle, users, client_for):
    pool(9)
    html = client_for(users["city_admin"]).get(
        reverse("evaluations:panel_stage", args=[cycle.year])).content.decode()
    assert _testids(html, "panel-row") == 2
    assert _testids(html, "split-A") == 0
    assert reverse("evaluations:panel_draw", args=[cycle.panels.first().pk]) not in html


def test_the_navigation_leads_the_organiser_to_the_panel_review(cycle, users, client_for):
    html = client_for(users["panel_organiser"]).get(reverse("home")).content.decode()
    assert reverse("evaluations:panel_home") in html


def test_an_expert_accepts_declaring_a_conflict_and_another_declines(cycle, users,
                                                                     client_for):
    experts = pool(9)
    for expert in experts:
        expert.user = UserFactory(username=f"x-{expert.pool_number}", role=Role.EXPERT)
        expert.save()
    organiser = users["panel_organiser"]
    panel = cycle.panels.order_by("position").first()
    panel_draw(panel=panel, actor=organiser, seed="page")
    panel_invite(panel=panel, actor=organiser)
    first, second = panel.seats.select_related("expert__user").order_by("position")[:2]
    participant = cycle.participants.filter(group="A").order_by("pk").first()
    me = client_for(first.expert.user)
    home = me.get(reverse("home")).content.decode()
    assert reverse("evaluations:expert_home") in home
    page = me.get(reverse("evaluations:expert_home")).content.decode()
    assert 'data-testid="accept-form"' in page and participant.institution.name in page
    prefix = f"seat{first.pk}"
    me.post(reverse("evaluations:seat_accept", args=[first.pk]), {
        f"{prefix}-conflicts": [str(participant.pk)], f"{prefix}-conflict_reason": "合作项目",
        f"{prefix}-pledge": "on"})
    first.refresh_from_db()
    assert first.status == SeatStatus.ACCEPTED
    assert Conflict.objects.filter(expert=first.expert, participant=participant,
                                   source=ConflictSource.DECLARED).exists()
    other = client_for(second.expert.user)
    prefix = f"seat{second.pk}"
    other.post(reverse("evaluations:seat_decline", args=[second.pk]),
               {f"{prefix}-reason": "时间冲突"})
    second.refresh_from_db()
    assert (second.status, second.reason) == (SeatStatus.DECLINED, "时间冲突")
    assert panel.seats.get(replaces=second).status == SeatStatus.INVITED
    # The first expert cannot answer for the second.
    me.post(reverse("evaluations:seat_accept", args=[second.pk]), {"x": "y"})
    second.refresh_from_db()
    assert second.status == SeatStatus.DECLINED


def test_the_draw_record_prints_as_a_chinese_pdf_with_its_seed_and_experts(
        cycle, users, client_for, tmp_path):
    experts = pool(9)
    panel = cycle.panels.order_by("position").first()
    panel_draw(panel=panel, actor=users["panel_organiser"], seed="pdf-seed-01")
    response = client_for(users["city_admin"]).get(
        reverse("evaluations:panel_record_pdf", args=[panel.pk]))
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "record.pdf"
    path.write_bytes(response.content)
    text = _flat(_text(path))
    assert "pdf-seed-01" in text and "专家抽取记录" in text and "结果一致" in text
    assert all(e.name in text for e in experts)
    assert all(embedded == "yes" for _name, embedded in _fonts(path))


def test_the_pool_shows_each_experts_history_of_draws(cycle, users, client_for):
    experts = pool(9)
    for expert in experts:
        expert.user = UserFactory(username=f"h-{expert.pool_number}", role=Role.EXPERT)
        expert.save()
    organiser = users["panel_organiser"]
    panel = cycle.panels.order_by("position").first()
    panel_draw(panel=panel, actor=organiser, seed="history")
    panel_invite(panel=panel, actor=organiser)
    seat = panel.seats.select_related("expert__user").order_by("position")[0]
    seat_decline(seat=seat, actor=seat.expert.user, reason="出差")
    html = client_for(users["city_admin"]).get(
        reverse("institutions:expert_detail", args=[seat.expert_id])).content.decode()
    counts = re.search(r'data-testid="draw-counts">([^<]*)<', html).group(1)
    assert re.findall(r"\d+", counts) == ["1", "1", "0"]
    assert "出差" in html and panel.name in html
