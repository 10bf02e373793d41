"""Fraud reported during the panel review (R8, Art 9: "at any stage"): the city administrator
files it from the rankings' page through the one service of every stage, decides on it on the
report's page, and a confirmed finding flows through the close of the panel review into the
re-verification: the member of group A keeps its place on the fixed list but the place is
empty (alternates apply) and its tier is 不合格. Who may report in which stage is the rule of
``evaluations.rules``; the stage must still be open."""
from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone, translation

import scoring
from evaluations.enums import CycleStatus, FraudKind, VerificationKind
from evaluations.models import (
    Cycle,
    CycleStage,
    FraudReport,
    PanelResult,
    Participant,
    Verification,
)
from evaluations.selectors.reverification import reverification_board
from evaluations.services.cycles import cycle_stage_schedule, cycle_transition
from evaluations.services.findings import fraud_report_decide, fraud_report_file
from evaluations.services.panel import panel_draw
from evaluations.services.panel_close import panel_fail_count_set, panel_review_close
from evaluations.services.reverification import reverification_alternates_set
from institutions.enums import Role
from institutions.exceptions import DomainError
from institutions.models import Notification
from tests.evaluations.panel_setup import pool, score, serve
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.evaluations.self_evaluation_setup import PNG, upload
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def english():
    """The services' sentences are matched in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin(users):
    return users["city_admin"]


def _members(cycle, group) -> list[Participant]:
    return list(cycle.participants.filter(group=group).select_related("institution", "cycle")
                .order_by("institution__credit_code"))


def _report(participant, actor, **extra) -> FraudReport:
    return fraud_report_file(participant=participant, kind=FraudKind.FABRICATED,
                             description="会评中发现合作协议系伪造", actor=actor, **extra)


def _confirm(report, admin) -> FraudReport:
    return fraud_report_decide(report=report, confirm=True, reason="证据确凿", actor=admin,
                               person_name="张三", person_role="法定代表人")


def _score_everyone(cycle, organiser) -> list[Participant]:
    """Group A's three scored 90, 80, 70 by five experts each, group C's one by five of its
    own panel; F confirmed. Returns group A best first."""
    first, second, third = _members(cycle, "A")
    seats = serve(cycle.panels.get(position=1), organiser, accepting=5)[:5]
    for participant, total in ((first, 90), (second, 80), (third, 70)):
        for seat in seats:
            score(seat, participant, total)
    for expert in pool(9):
        expert.user = UserFactory(username=f"c-{expert.pool_number}", role=Role.EXPERT)
        expert.save()
    c_panel = cycle.panels.get(position=2)
    panel_draw(panel=c_panel, actor=organiser, seed="group-c")
    (c_only,) = _members(cycle, "C")
    for seat in serve(c_panel, organiser, accepting=5)[:5]:
        score(seat, c_only, 50)
    panel_fail_count_set(cycle=cycle, chosen=None, actor=organiser)
    return [first, second, third]


# --- Filing in the panel review -----------------------------------------------------------------

def test_the_city_reports_fraud_in_the_panel_review_and_the_others_are_told(
        drawn, admin, users, private_media):
    panel, _made = drawn
    cycle = panel.cycle
    other_admin = UserFactory(username="city-2", role=Role.CITY_ADMIN)
    first = _members(cycle, "A")[0]
    report = fraud_report_file(participant=first, kind=FraudKind.OVERSTATED,
                               description="研发费用虚报", uploads=[upload("审计.png", PNG)],
                               actor=admin, stage=CycleStatus.PANEL_REVIEW)
    assert (report.participant, report.reported_by, report.files.count()) == (first, admin, 1)
    # The other city administrators are told; the one who reported is not.
    told = Notification.objects.filter(url=reverse("evaluations:fraud_detail",
                                                   args=[report.pk]))
    assert list(told.values_list("user", flat=True)) == [other_admin.pk]
    assert LogEntry.objects.get_for_object(report).get().actor == admin


def test_a_report_is_refused_once_the_panel_review_is_closed_or_the_page_is_stale(
        drawn, admin):
    panel, _made = drawn
    cycle = panel.cycle
    first = _members(cycle, "A")[0]
    CycleStage.objects.filter(cycle=cycle, stage=CycleStatus.PANEL_REVIEW).update(
        closed_at=timezone.now())
    with pytest.raises(DomainError) as caught:
        _report(first, admin)
    assert str(caught.value) == "The panel review is not open."
    # A page of the preliminary review posted now is not filed in another stage.
    with pytest.raises(DomainError) as caught:
        _report(first, admin, stage=CycleStatus.PRELIMINARY_REVIEW)
    assert str(caught.value) == "The preliminary review is not open."
    assert not FraudReport.objects.exists()


def test_no_report_outside_the_three_stages(drawn, admin, users):
    panel, _made = drawn
    cycle = panel.cycle
    # Set up as the public notice would find it (the status is not the service's to move).
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.PUBLIC_NOTICE)
    first = _members(cycle, "A")[0]
    with pytest.raises(DomainError) as caught:
        _report(first, admin)
    assert str(caught.value) == ("Fraud is reported during the preliminary review, the panel "
                                 "review or the on-site re-verification.")
    assert not admin.has_perm("evaluations.report_fraud", first)


# --- Who may report in which stage (rules) ------------------------------------------------------

def test_who_may_report_follows_the_stage(drawn, users, admin):
    panel, _made = drawn
    cycle = panel.cycle
    first = _members(cycle, "A")[0]
    may = {role: users[role].has_perm("evaluations.report_fraud", first)
           for role in ("city_admin", "panel_organiser", "district_reviewer", "expert")}
    assert may == {"city_admin": True, "panel_organiser": False, "district_reviewer": False,
                   "expert": False}
    preliminary = open_preliminary_review(admin, year=2027)
    own = preliminary.participants.filter(
        district_review__district=users["district_reviewer"].district).first()
    assert users["district_reviewer"].has_perm("evaluations.report_fraud", own)
    assert not users["district_reviewer_other"].has_perm("evaluations.report_fraud", own)
    assert not admin.has_perm("evaluations.report_fraud", own)


# --- A confirmed finding through the close and into the re-verification -------------------------

def test_fraud_confirmed_in_the_panel_review_empties_the_place_and_makes_it_unqualified(
        drawn, organiser, admin):
    panel, _made = drawn
    cycle = panel.cycle
    first, second, third = _score_everyone(cycle, organiser)
    _confirm(_report(first, admin, stage=CycleStatus.PANEL_REVIEW), admin)

    panel_review_close(cycle=cycle, actor=organiser)
    # The panel review ranks by the panel scores: the fraud does not move the list's line.
    results = {r.participant_id: (r.rank, r.result) for r in PanelResult.objects.filter(
        participant__group="A")}
    assert results == {first.pk: (1, "reverify"), second.pk: (2, "not_listed"),
                       third.pk: (3, "not_listed")}

    today = timezone.localdate()
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.REVERIFICATION, opens_on=today,
                         closes_on=today + dt.timedelta(days=30), actor=admin)
    cycle_transition(cycle=cycle, to_status=CycleStatus.REVERIFICATION, actor=admin)
    cycle.refresh_from_db()
    board = reverification_board(cycle)
    (row,) = board.list_rows
    assert (row.participant.pk, row.fraud, row.pending, row.final) == (
        first.pk, True, False, scoring.Final.UNQUALIFIED)
    assert (board.emptied, board.vacancies, board.pending) == (1, 1, 0)

    # The city allows an alternate: the next of group A joins the empty place.
    reverification_alternates_set(cycle=cycle, allowed=1, reason="递补一家", actor=admin)
    board = reverification_board(cycle)
    assert board.settlement.joined == (str(second.pk),)
    assert Verification.objects.get(participant=second).kind == VerificationKind.ALTERNATE
    assert board.settlement.final(str(first.pk)) == scoring.Final.UNQUALIFIED


# --- The pages ------------------------------------------------------------------------------

def test_the_rankings_link_each_institution_to_the_report_for_the_city_only(
        drawn, users, client_for):
    panel, _made = drawn
    cycle = panel.cycle
    url = reverse("evaluations:panel_ranking", args=[cycle.year])
    links = [reverse("evaluations:panel_fraud_report", args=[cycle.year, p.pk])
             for p in (*_members(cycle, "A"), *_members(cycle, "C"))]
    html = client_for(users["city_admin"]).get(url).content.decode()
    assert all(link in html for link in links)
    html = client_for(users["panel_organiser"]).get(url).content.decode()
    assert 'data-testid="fraud-report-link"' not in html


def test_the_city_files_the_report_from_the_panel_page_and_decides_on_its_page(
        drawn, users, client_for, private_media):
    panel, _made = drawn
    cycle = panel.cycle
    first = _members(cycle, "A")[0]
    client = client_for(users["city_admin"])
    url = reverse("evaluations:panel_fraud_report", args=[cycle.year, first.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="fraud-warning"' in html and 'data-testid="fraud-form"' in html
    response = client.post(url, {"kind": "fabricated", "description": "合同系伪造",
                                 "files": [upload("证据.png", PNG)], "confirm": "on"})
    report = FraudReport.objects.get()
    assert (response.status_code, response["Location"]) == (
        302, reverse("evaluations:fraud_detail", args=[report.pk]))
    assert (report.participant, report.files.count()) == (first, 1)
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="fraud-decision-form"' in detail
    # Confirmed, the page says so instead of offering the form again.
    _confirm(report, users["city_admin"])
    html = client.get(url).content.decode()
    assert 'data-testid="fraud-closed"' in html and 'data-testid="fraud-form"' not in html
    ranking = client.get(reverse("evaluations:panel_ranking", args=[cycle.year]))
    assert 'data-testid="row-fraud"' in ranking.content.decode()


def test_the_panel_page_refuses_once_the_stage_is_closed(drawn, users, client_for):
    panel, _made = drawn
    cycle = panel.cycle
    first = _members(cycle, "A")[0]
    CycleStage.objects.filter(cycle=cycle, stage=CycleStatus.PANEL_REVIEW).update(
        closed_at=timezone.now())
    client = client_for(users["city_admin"])
    url = reverse("evaluations:panel_fraud_report", args=[cycle.year, first.pk])
    assert 'data-testid="fraud-closed"' in client.get(url).content.decode()
    response = client.post(url, {"kind": "fabricated", "description": "合同系伪造",
                                 "confirm": "on"})
    assert response.status_code == 422
    assert not FraudReport.objects.exists()
    ranking = client.get(reverse("evaluations:panel_ranking", args=[cycle.year]))
    assert 'data-testid="fraud-report-link"' not in ranking.content.decode()
