"""The pool as the draw sees it, read in flat queries (R6a): the same experts, clusters, titles,
states and employers — now and within the last three years, 29 February included — as the
models' own rule (``Expert.employer_codes`` over the prefetched rows); a draw's queries do not
grow with the pool; the audit entries of the seats and conflicts it creates still name their
experts and institutions."""
from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import scoring
from evaluations.models import Conflict, PanelSeat
from evaluations.selectors.panel import pool_for_draw
from evaluations.services.panel import panel_draw
from institutions.enums import ExpertStatus, TitleLevel
from institutions.models import Cluster, Expert, ExpertEmployment
from institutions.models.pool import CONFLICT_YEARS, conflict_since
from tests.evaluations.panel_setup import pool
from tests.factories import ExpertFactory

DATES = [dt.date(2025, 6, 30), dt.date(2028, 2, 29), dt.date(2027, 3, 1), dt.date(2025, 1, 1)]


def _model_pool(on: dt.date) -> dict[str, scoring.Expert]:
    """The pool through the models, as ``pool_for_draw`` read it before: every expert with its
    clusters and employments prefetched, and ``Expert.employer_codes`` deciding."""
    experts = Expert.objects.prefetch_related("clusters", "employments").order_by("pool_number")
    return {e.pool_number: scoring.Expert(
        id=e.pool_number, name=e.name, clusters=frozenset(c.name for c in e.clusters.all()),
        senior=e.is_senior, active=e.status == ExpertStatus.ACTIVE,
        employers=e.employer_codes(on)) for e in experts}


@pytest.fixture
def fixture_pool(reference_data):
    """Experts of every kind: several clusters or none, each title level, suspended, and past
    employments ended on either side of each date's three-year line, undated or not ended."""
    clusters = list(Cluster.objects.order_by("sort_order"))
    experts = [ExpertFactory(clusters=clusters[k % 4: k % 4 + k % 3]) for k in range(8)]
    experts += [ExpertFactory(title_level=level, clusters=clusters[:1])
                for level in TitleLevel.values]
    suspended = ExpertFactory(clusters=clusters[2:5])
    Expert.objects.filter(pk=suspended.pk).update(status=ExpertStatus.SUSPENDED)
    experts.append(suspended)
    jobs = []
    for k, expert in enumerate(experts):
        for n, on in enumerate(DATES):
            line = conflict_since(on)
            for m, ended in enumerate((line, line - dt.timedelta(days=1),
                                       line + dt.timedelta(days=1), None)):
                if (k + n + m) % 3:
                    jobs.append(ExpertEmployment(
                        expert=expert, employer_name="某单位",
                        credit_code=f"91320300MA{k:02d}{n}{m}0000X"[:18],
                        started_on=dt.date(2010, 1, 1), ended_on=ended))
    ExpertEmployment.objects.bulk_create(jobs)
    # The same employer twice, once long ago and once within the line: within counts.
    ExpertEmployment.objects.create(expert=experts[0], employer_name="某单位",
                                    credit_code=experts[1].employer_credit_code,
                                    ended_on=dt.date(2001, 1, 1))
    return experts


@pytest.mark.parametrize("on", DATES)
def test_the_flat_pool_is_the_pool_of_the_models_rule(fixture_pool, on):
    flat = pool_for_draw(on)
    assert list(flat) == list(_model_pool(on))
    assert flat == _model_pool(on)
    # The fixture exercises what it is meant to: experts with and without past employers
    # within the line, with several clusters and with none, drawable and not.
    assert any(len(e.employers) > 1 for e in flat.values())
    assert any(not e.clusters for e in flat.values())
    assert {(e.senior, e.active) for e in flat.values()} >= {(True, True), (False, True),
                                                             (True, False)}


def test_the_three_year_line_is_the_models(reference_data):
    # 29 February has no anniversary three years before: the 28th is taken, as the model does.
    assert conflict_since(dt.date(2028, 2, 29)) == dt.date(2025, 2, 28)
    assert conflict_since(dt.date(2025, 6, 30)) == dt.date(2025 - CONFLICT_YEARS, 6, 30)


def test_the_flat_pool_reads_in_three_queries_whatever_its_size(fixture_pool):
    on = DATES[0]
    with CaptureQueriesContext(connection) as small:
        pool_for_draw(on)
    pool(20)
    with CaptureQueriesContext(connection) as large:
        assert len(pool_for_draw(on)) == len(fixture_pool) + 20
    assert len(small) == len(large) == 3


def _draw_queries(panel, organiser) -> tuple[int, int]:
    """The queries of drawing ``panel``, and the conflicts recorded, the draw undone."""
    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                panel_draw(panel=panel, actor=organiser, seed="pool-size")
            conflicts = Conflict.objects.filter(cycle_id=panel.cycle_id).count()
            raise Undo
    except Undo:
        pass
    return len(captured), conflicts


def test_a_draws_queries_do_not_grow_with_the_pool_or_the_conflicts(stage, organiser):
    cycle, made = stage
    panel = cycle.panels.get(position=1)
    everyone = list(Cluster.objects.all())
    # Nine experts, all drawn: two with a conflict (an employer, a contact person).
    pool(7)
    ExpertFactory(employer_credit_code=made[0].credit_code, clusters=everyone)
    made[2].contact_person = "周密"
    made[2].save()
    ExpertFactory(name="周密", clusters=everyone)
    _draw_queries(panel, organiser)  # once first: the content types are cached after it
    small, small_conflicts = _draw_queries(panel, organiser)
    # Forty more, a dozen with conflicts of each kind, most of them drawable.
    for k in range(12):
        ExpertFactory(employer_credit_code=made[k % 3].credit_code, clusters=everyone)
    pool(28)
    large, large_conflicts = _draw_queries(panel, organiser)
    assert small_conflicts == 2 and large_conflicts >= 1
    assert large == small


def test_the_draws_audit_entries_name_the_experts_and_institutions(stage, organiser):
    cycle, made = stage
    pool(8)
    employee = ExpertFactory(employer_credit_code=made[0].credit_code,
                             clusters=list(Cluster.objects.all()))
    panel = cycle.panels.get(position=1)
    panel_draw(panel=panel, actor=organiser, seed="audit")
    seat = PanelSeat.objects.select_related("panel", "expert").get(expert=employee)
    entry = LogEntry.objects.get_for_object(seat).get()
    assert entry.object_repr == str(seat) == f"{panel}：{employee}"
    assert entry.actor == organiser
    conflict = Conflict.objects.select_related("expert", "participant__institution").get(
        expert=employee)
    entry = LogEntry.objects.get_for_object(conflict).get()
    assert entry.object_repr == f"{employee} × {made[0]}"
    names = entry.scope.names["names"]
    assert names["institutions.expert"] == {str(employee.pk): str(employee)}
    assert names["evaluations.participant"] == {str(conflict.participant_id): made[0].name}
