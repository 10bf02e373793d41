"""The cycle (Art 5, 8, R1, R2, R13): creating it, its transitions with their preconditions,
inviting the cohort and closing self-evaluation with the non-submitters."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from evaluations.enums import CycleStatus, SubmissionStatus
from evaluations.models import (
    Cycle,
    CycleStage,
    CycleTransition,
    Indicator,
    IndicatorCategory,
    Submission,
)
from evaluations.services.cycles import (
    CYCLE_TRANSITIONS,
    cycle_create,
    cycle_schedule,
    cycle_stage_schedule,
    cycle_transition,
    cycle_transition_problems,
    indicator_total,
)
from evaluations.services.self_evaluation import (
    extension_grant,
    self_evaluation_close,
    self_evaluation_close_problems,
)
from evaluations.services.stages import cycle_stage_close
from institutions.enums import FilingStatus
from institutions.exceptions import DomainError
from institutions.models import Institution, InstitutionStatusChange
from tests.factories import InstitutionFactory, PolicyVersionFactory

OPENS, CLOSES = dt.date(2025, 3, 1), dt.date(2025, 4, 30)
TODAY = dt.date(2025, 2, 20)
AFTER_CLOSE = dt.date(2025, 5, 6)
# The later stages, one month each after self-evaluation.
LATER = {
    CycleStatus.PRELIMINARY_REVIEW: (dt.date(2025, 5, 6), dt.date(2025, 5, 31)),
    CycleStatus.PANEL_REVIEW: (dt.date(2025, 6, 1), dt.date(2025, 6, 30)),
    CycleStatus.REVERIFICATION: (dt.date(2025, 7, 1), dt.date(2025, 7, 31)),
    CycleStatus.PUBLIC_NOTICE: (dt.date(2025, 8, 1), dt.date(2025, 8, 10)),
}
# Art 6 and rules.md "Indicator system".
DEFAULT_CATEGORIES = [
    ("1", "团队建设", Decimal(15)), ("2", "研发支出", Decimal(20)), ("3", "运营支撑", Decimal(10)),
    ("4", "科技服务", Decimal(20)), ("5", "科研产出", Decimal(15)), ("6", "成长衍生", Decimal(10)),
    ("7", "机制创新", Decimal(5)), ("8", "其他", Decimal(5)),
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def on(day: dt.date):
    """Services read "today" from ``timezone.localdate``."""
    return patch("django.utils.timezone.localdate", return_value=day)


@pytest.fixture
def cycle(default_policy, city_admin):
    with on(TODAY):
        return cycle_create(year=2025, actor=city_admin,
                            stage_dates={CycleStatus.SELF_EVALUATION: (OPENS, CLOSES)})


@pytest.fixture
def open_cycle(cycle, users, city_admin):
    """The 2025 cycle in self-evaluation; ``users`` brings the two institutions filed in 2021
    (鼓楼区 and 云龙区) with their accounts."""
    with on(TODAY):
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city_admin)
    return cycle


def _categories(cycle: Cycle) -> list[tuple[str, str, Decimal]]:
    return [(c.code, c.name, sum((i.points for i in c.indicators.all()), Decimal(0)))
            for c in IndicatorCategory.objects.filter(cycle=cycle).order_by("order")]


def _status(cycle: Cycle) -> str:
    return Cycle.objects.get(pk=cycle.pk).status


# --- Creating a cycle ----------------------------------------------------------------------

def test_cycle_create_pins_version_in_force_and_copies_template(default_policy, city_admin):
    in_force = PolicyVersionFactory(effective_date=dt.date(2024, 7, 1))
    PolicyVersionFactory(effective_date=dt.date(2025, 7, 1))  # not yet in force
    with on(TODAY):
        cycle = cycle_create(year=2025, actor=city_admin)
    saved = Cycle.objects.get(year=2025)
    assert (saved.pk, saved.policy_version, saved.status, saved.created_by, saved.period) == (
        cycle.pk, in_force, CycleStatus.DRAFT, city_admin, (2023, 2024))
    assert _categories(saved) == DEFAULT_CATEGORIES
    assert indicator_total(saved) == 100


def test_cycle_create_copies_template_indicators_with_fields(cycle):
    indicator = Indicator.objects.get(category__cycle=cycle, code="2.4")
    assert (indicator.name, indicator.points, indicator.evidence_required,
            indicator.evidence_types) == ("产业技术研发能力建设支出", Decimal(5), True,
                                          ["pdf", "jpeg", "png", "docx", "xlsx"])
    assert list(indicator.fields.values_list("key", "kind", "required")) == [
        ("capacity_cost", "amount", True), ("rd_total", "amount", True)]
    assert Indicator.objects.filter(category__cycle=cycle).count() == 24


def test_cycle_create_schedules_given_stage(cycle):
    assert list(cycle.stages.values_list("stage", "opens_on", "closes_on")) == [
        (CycleStatus.SELF_EVALUATION, OPENS, CLOSES)]


def test_cycle_create_refuses_second_cycle_of_year(cycle, city_admin):
    with pytest.raises(DomainError) as exc:
        cycle_create(year=2025, actor=city_admin)
    assert str(exc.value) == "There is already an evaluation cycle for 2025."
    assert Cycle.objects.filter(year=2025).count() == 1


def test_cycle_create_refuses_without_policy_in_force(default_policy, city_admin):
    with on(dt.date(2019, 12, 31)), pytest.raises(DomainError) as exc:
        cycle_create(year=2021, actor=city_admin)
    assert str(exc.value) == "No policy version is in force today; create one first."
    assert Cycle.objects.exists() is False


def test_cycle_create_copies_are_independent_per_cycle(cycle, city_admin):
    with on(TODAY):
        other = cycle_create(year=2026, actor=city_admin)
    Indicator.objects.filter(category__cycle=cycle, code="1.1").update(points=10)
    assert (indicator_total(cycle), indicator_total(other)) == (107, 100)


# --- Scheduling ---------------------------------------------------------------------------

def test_cycle_schedule_sets_all_dates(cycle, city_admin):
    cycle_schedule(cycle=cycle, dates=LATER, actor=city_admin)
    assert list(cycle.stages.order_by("opens_on").values_list("stage", "opens_on", "closes_on")) \
        == [(CycleStatus.SELF_EVALUATION, OPENS, CLOSES),
            *[(stage, *dates) for stage, dates in LATER.items()]]


def test_cycle_schedule_refuses_overlapping_stages_and_saves_nothing(cycle, city_admin):
    dates = {**LATER, CycleStatus.PRELIMINARY_REVIEW: (CLOSES, dt.date(2025, 5, 31))}
    with pytest.raises(DomainError) as exc:
        cycle_schedule(cycle=cycle, dates=dates, actor=city_admin)
    assert str(exc.value) == ("“Preliminary review” must open after “Self-evaluation” closes "
                              "(2025-04-30).")
    assert cycle.stages.count() == 1


def test_cycle_stage_schedule_refuses_closing_before_opening(cycle, city_admin):
    with pytest.raises(ValidationError) as exc:
        cycle_stage_schedule(cycle=cycle, stage=CycleStatus.PANEL_REVIEW,
                             opens_on=dt.date(2025, 6, 30), closes_on=dt.date(2025, 6, 1),
                             actor=city_admin)
    assert exc.value.messages == ["A stage cannot close before it opens."]


def test_cycle_stage_schedule_of_running_self_evaluation_moves_deadlines(open_cycle, city_admin,
                                                                         institution):
    new_close = dt.date(2025, 5, 15)
    cycle_stage_schedule(cycle=open_cycle, stage=CycleStatus.SELF_EVALUATION, opens_on=OPENS,
                         closes_on=new_close, actor=city_admin)
    assert set(open_cycle.submissions.values_list("deadline", flat=True)) == {new_close}


def test_cycle_stage_schedule_refuses_closed_stage(open_cycle, city_admin):
    with on(AFTER_CLOSE):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    with pytest.raises(DomainError) as exc:
        cycle_stage_schedule(cycle=open_cycle, stage=CycleStatus.SELF_EVALUATION,
                             opens_on=OPENS, closes_on=dt.date(2025, 6, 30), actor=city_admin)
    assert str(exc.value) == "The dates of a stage that is over cannot change."


# --- Transitions --------------------------------------------------------------------------

def test_cycle_transitions_table_is_the_order_of_art_8():
    assert [(str(source), str(t.to)) for source, t in CYCLE_TRANSITIONS.items()] == [
        ("draft", "self_evaluation"), ("self_evaluation", "preliminary_review"),
        ("preliminary_review", "panel_review"), ("panel_review", "reverification"),
        ("reverification", "public_notice"), ("public_notice", "final")]


def test_cycle_transition_walks_every_allowed_move_to_final(open_cycle, city_admin,
                                                            monkeypatch):
    # The cycle has no participant and so no results to compute: the results' own gate on
    # the public notice (R9) is tested with results in test_results_services.
    monkeypatch.setattr("evaluations.services.cycles.results_publication_problems",
                        lambda cycle: [])
    cycle_schedule(cycle=open_cycle, dates=LATER, actor=city_admin)
    with on(AFTER_CLOSE):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    for stage in (CycleStatus.PRELIMINARY_REVIEW, CycleStatus.PANEL_REVIEW,
                  CycleStatus.REVERIFICATION, CycleStatus.PUBLIC_NOTICE):
        cycle_transition(cycle=open_cycle, to_status=stage, actor=city_admin)
        cycle_stage_close(cycle=open_cycle, actor=city_admin)
    cycle_transition(cycle=open_cycle, to_status=CycleStatus.FINAL, actor=city_admin)
    assert _status(open_cycle) == CycleStatus.FINAL
    assert list(CycleTransition.objects.filter(cycle=open_cycle).values_list(
        "from_status", "to_status", "by")) == [
        ("draft", "self_evaluation", city_admin.pk),
        ("self_evaluation", "preliminary_review", city_admin.pk),
        ("preliminary_review", "panel_review", city_admin.pk),
        ("panel_review", "reverification", city_admin.pk),
        ("reverification", "public_notice", city_admin.pk),
        ("public_notice", "final", city_admin.pk)]
    assert CycleStage.objects.filter(cycle=open_cycle, opened_at__isnull=True).exists() is False


def test_cycle_transition_records_who_and_when(cycle, users, city_admin):
    with on(TODAY):
        record = cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION,
                                  actor=city_admin)
    saved = CycleTransition.objects.get(cycle=cycle)
    stage = cycle.stages.get(stage=CycleStatus.SELF_EVALUATION)
    assert (saved.pk, saved.from_status, saved.to_status, saved.by) == (
        record.pk, CycleStatus.DRAFT, CycleStatus.SELF_EVALUATION, city_admin)
    assert saved.at is not None and stage.opened_at is not None
    assert (cycle.status, _status(cycle)) == (CycleStatus.SELF_EVALUATION,) * 2


@pytest.mark.parametrize(("status", "to", "problem"), [
    (CycleStatus.DRAFT, CycleStatus.PRELIMINARY_REVIEW,
     "An evaluation cycle cannot go from “Draft” to “Preliminary review”."),
    (CycleStatus.DRAFT, CycleStatus.FINAL,
     "An evaluation cycle cannot go from “Draft” to “Results final”."),
    (CycleStatus.SELF_EVALUATION, CycleStatus.DRAFT,
     "An evaluation cycle cannot go from “Self-evaluation” to “Draft”."),
    (CycleStatus.SELF_EVALUATION, CycleStatus.PANEL_REVIEW,
     "An evaluation cycle cannot go from “Self-evaluation” to “Panel review”."),
    (CycleStatus.PANEL_REVIEW, CycleStatus.PRELIMINARY_REVIEW,
     "An evaluation cycle cannot go from “Panel review” to “Preliminary review”."),
    (CycleStatus.FINAL, CycleStatus.PUBLIC_NOTICE,
     "An evaluation cycle cannot go from “Results final” to “Public notice”."),
    (CycleStatus.DRAFT, "archived",
     "An evaluation cycle cannot go from “Draft” to “archived”."),
])
def test_cycle_transition_refuses_wrong_order(cycle, users, city_admin, status, to, problem):
    Cycle.objects.filter(pk=cycle.pk).update(status=status)
    cycle.refresh_from_db()
    assert cycle_transition_problems(cycle, to) == [problem]
    with on(TODAY), pytest.raises(DomainError) as exc:
        cycle_transition(cycle=cycle, to_status=to, actor=city_admin)
    assert str(exc.value) == problem
    assert (_status(cycle), CycleTransition.objects.count()) == (status, 0)


def _refused_opening(cycle, actor, today=TODAY) -> str:
    with on(today), pytest.raises(DomainError) as exc:
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=actor)
    assert (_status(cycle), CycleTransition.objects.count(), Submission.objects.count()) == (
        CycleStatus.DRAFT, 0, 0)
    return str(exc.value)


def test_cycle_transition_refuses_opening_when_total_is_not_100(cycle, users, city_admin):
    Indicator.objects.filter(category__cycle=cycle, code="8.1").update(points=Decimal("4.5"))
    assert _refused_opening(cycle, city_admin) == \
        "The indicator points add up to 99.50, not 100."


def test_cycle_transition_refuses_opening_without_stage_dates(cycle, users, city_admin):
    cycle.stages.all().delete()
    assert _refused_opening(cycle, city_admin) == \
        "The self-evaluation stage has no opening and closing dates."


def test_cycle_transition_refuses_opening_after_deadline(cycle, users, city_admin):
    assert _refused_opening(cycle, city_admin, today=CLOSES + dt.timedelta(days=1)) == \
        "The self-evaluation closing date 2025-04-30 has passed."


def test_cycle_transition_opens_on_closing_date(cycle, users, city_admin):
    with on(CLOSES):
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city_admin)
    assert _status(cycle) == CycleStatus.SELF_EVALUATION


def test_cycle_transition_refuses_opening_without_cohort(cycle, gulou, city_admin):
    Institution.objects.update(filing_date=dt.date(2024, 1, 5))
    assert _refused_opening(cycle, city_admin) == "No institution is in the cohort of 2025."


def test_cycle_transition_lists_every_problem_of_opening(cycle, city_admin):
    Institution.objects.update(filing_date=dt.date(2023, 1, 5), status=FilingStatus.CANCELLED)
    cycle.stages.all().delete()
    Indicator.objects.filter(category__cycle=cycle, code="1.1").delete()
    with on(TODAY):
        assert cycle_transition_problems(cycle, CycleStatus.SELF_EVALUATION) == [
            "The indicator points add up to 97.00, not 100.",
            "The self-evaluation stage has no opening and closing dates.",
            "No institution is in the cohort of 2025."]


def test_cycle_transition_refuses_next_stage_before_previous_closed(open_cycle, city_admin):
    cycle_schedule(cycle=open_cycle, dates=LATER, actor=city_admin)
    assert cycle_transition_problems(open_cycle, CycleStatus.PRELIMINARY_REVIEW) == [
        "The stage “Self-evaluation” is not closed yet."]
    with pytest.raises(DomainError):
        cycle_transition(cycle=open_cycle, to_status=CycleStatus.PRELIMINARY_REVIEW,
                         actor=city_admin)
    assert _status(open_cycle) == CycleStatus.SELF_EVALUATION


def test_cycle_transition_refuses_next_stage_without_dates(open_cycle, city_admin):
    with on(AFTER_CLOSE):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    assert cycle_transition_problems(open_cycle, CycleStatus.PRELIMINARY_REVIEW) == [
        "The stage “Preliminary review” has no opening and closing dates."]


# --- Opening self-evaluation invites the cohort (R1) ---------------------------------------

def test_cycle_transition_invites_exactly_the_cohort(cycle, gulou, yunlong, city_admin,
                                                    institution, other_institution):
    filed_2023 = InstitutionFactory(district=gulou, filing_date=dt.date(2023, 6, 1))
    filed_2021 = InstitutionFactory(district=yunlong, filing_date=dt.date(2021, 1, 4))
    InstitutionFactory(district=gulou, filing_date=dt.date(2024, 6, 1))   # wrong parity
    InstitutionFactory(district=gulou, filing_date=dt.date(2025, 1, 2))   # too recent
    InstitutionFactory(district=gulou, filing_date=dt.date(2021, 6, 1),
                       status=FilingStatus.ABANDONED)                     # not active
    with on(TODAY):
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city_admin)
    assert sorted(Submission.objects.filter(cycle=cycle).values_list(
        "institution", "district", "cluster", "status", "deadline")) == sorted([
        (i.pk, i.district_id, i.cluster_id, SubmissionStatus.NOT_STARTED, CLOSES)
        for i in (filed_2023, filed_2021, institution, other_institution)])


def test_cycle_transition_notifies_accounts_of_invited_institutions(
        cycle, users, gulou, city_admin, django_capture_on_commit_callbacks):
    InstitutionFactory(district=gulou, filing_date=dt.date(2024, 6, 1))  # not invited
    with on(TODAY), django_capture_on_commit_callbacks(execute=True):
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city_admin)
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == sorted([
        (f"{name}@example.cn", "2025 performance evaluation: self-evaluation is open")
        for name in ("filer", "filer2", "instadmin")])
    assert "by 2025-04-30" in mail.outbox[0].body


# --- Closing self-evaluation (R2) ----------------------------------------------------------

def _submit(submission: Submission) -> None:
    """Stand-in for a full submission (the report itself is tested with its own services)."""
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.SUBMITTED)


def test_self_evaluation_close_refused_before_closing_date_when_all_submitted(open_cycle,
                                                                             city_admin):
    for submission in open_cycle.submissions.all():
        _submit(submission)
    with on(CLOSES), pytest.raises(DomainError) as exc:
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    assert str(exc.value) == "Self-evaluation closes on 2025-04-30; it can be closed after that."
    assert open_cycle.stages.get(stage=CycleStatus.SELF_EVALUATION).is_closed is False


def test_self_evaluation_close_refused_before_closing_date(open_cycle, city_admin):
    with on(CLOSES), pytest.raises(DomainError) as exc:
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    assert str(exc.value) == "Self-evaluation closes on 2025-04-30; it can be closed after that."
    assert set(open_cycle.submissions.values_list("status", flat=True)) == {
        SubmissionStatus.NOT_STARTED}


def test_self_evaluation_close_refused_with_running_extension(open_cycle, city_admin,
                                                              institution):
    submission = open_cycle.submissions.get(institution=institution)
    with on(dt.date(2025, 4, 20)):
        extension_grant(submission=submission, new_deadline=dt.date(2025, 5, 10),
                        reason="疫情封控，材料无法盖章。", actor=city_admin)
    assert self_evaluation_close_problems(open_cycle, today=AFTER_CLOSE) == [
        "1 institution still has a running extension."]
    with on(AFTER_CLOSE), pytest.raises(DomainError):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    assert self_evaluation_close_problems(open_cycle, today=dt.date(2025, 5, 11)) == []


def test_self_evaluation_close_problems_first_only_stops_at_the_closing_date(
        open_cycle, city_admin, institution, django_assert_num_queries):
    """The to-do list asks only whether the stage can close: before its closing date the
    running extensions (a count over the reports) are not read."""
    submission = open_cycle.submissions.get(institution=institution)
    with on(dt.date(2025, 4, 20)):
        extension_grant(submission=submission, new_deadline=dt.date(2025, 5, 10),
                        reason="疫情封控，材料无法盖章。", actor=city_admin)
    before = dt.date(2025, 4, 25)
    assert self_evaluation_close_problems(open_cycle, today=before) == [
        "Self-evaluation closes on 2025-04-30; it can be closed after that.",
        "1 institution still has a running extension."]
    with django_assert_num_queries(1):  # the stage's dates only
        assert self_evaluation_close_problems(open_cycle, today=before, first_only=True) == [
            "Self-evaluation closes on 2025-04-30; it can be closed after that."]


def test_self_evaluation_close_refused_when_not_open(cycle, city_admin):
    assert self_evaluation_close_problems(cycle, today=AFTER_CLOSE) == [
        "Self-evaluation is not open."]


def test_self_evaluation_close_abandons_non_submitters(open_cycle, city_admin, institution,
                                                       other_institution):
    submitted = open_cycle.submissions.get(institution=institution)
    _submit(submitted)
    with on(AFTER_CLOSE):
        count = self_evaluation_close(cycle=open_cycle, actor=city_admin)
    institution.refresh_from_db()
    other_institution.refresh_from_db()
    assert count == 1
    assert sorted(open_cycle.submissions.values_list("institution", "status")) == sorted([
        (institution.pk, SubmissionStatus.SUBMITTED),
        (other_institution.pk, SubmissionStatus.NOT_PARTICIPATING)])
    assert (institution.status, other_institution.status, other_institution.status_changed_on) \
        == (FilingStatus.ACTIVE, FilingStatus.ABANDONED, AFTER_CLOSE)
    assert list(InstitutionStatusChange.objects.values_list(
        "institution", "from_status", "to_status", "effective_on", "reason", "changed_by")) == [
        (other_institution.pk, FilingStatus.ACTIVE, FilingStatus.ABANDONED, AFTER_CLOSE,
         "Did not take part in the 2025 performance evaluation although required: filing "
         "abandoned (Art 15).", city_admin.pk)]
    stage = open_cycle.stages.get(stage=CycleStatus.SELF_EVALUATION)
    assert (stage.is_closed, stage.closed_by) == (True, city_admin)


def test_self_evaluation_close_then_preliminary_review_opens(open_cycle, city_admin):
    cycle_schedule(cycle=open_cycle, dates=LATER, actor=city_admin)
    with on(AFTER_CLOSE):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    assert cycle_transition_problems(open_cycle, CycleStatus.PRELIMINARY_REVIEW) == []
    cycle_transition(cycle=open_cycle, to_status=CycleStatus.PRELIMINARY_REVIEW,
                     actor=city_admin)
    assert _status(open_cycle) == CycleStatus.PRELIMINARY_REVIEW


def test_self_evaluation_close_refused_twice(open_cycle, city_admin):
    with on(AFTER_CLOSE):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
        with pytest.raises(DomainError) as exc:
            self_evaluation_close(cycle=open_cycle, actor=city_admin)
    assert str(exc.value) == "This stage is already closed."


def test_cycle_transition_opening_pins_the_version_in_force_when_it_opens(cycle, users,
                                                                          city_admin):
    """R13: a cycle follows the version in force when it opens, not when it was drafted."""
    newer = PolicyVersionFactory(effective_date=TODAY - dt.timedelta(days=1), top_tier_cap=25)

    with on(TODAY):
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city_admin)

    assert Cycle.objects.get(pk=cycle.pk).policy_version == newer
