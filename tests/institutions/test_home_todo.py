"""Each role's to-do list (issue 8 §4): what waits for the user across every open cycle, each
item a link to the page where it is done, read in a fixed number of queries."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from evaluations.enums import CycleStatus, FraudKind, RectificationStatus
from evaluations.models import CycleStage, Rectification, Submission
from evaluations.selectors.todo import (
    TodoItem,
    city_todo,
    district_todo,
    expert_todo,
    institution_todo,
    todo_for_user,
)
from evaluations.services import findings, preliminary
from evaluations.services.self_evaluation import (
    submission_submit,
    submission_submit_problems,
    submission_withdraw,
)
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)
from tests.evaluations.ranking_setup import generated_summary
from tests.evaluations.self_evaluation_setup import PDF, open_cycle, ready_to_submit, upload

TODAY = timezone.localdate
LINK = re.compile(r'href="([^"]+)" data-testid="todo-link">([^<]+)</a>')
EMPTY = re.compile(r'data-testid="todo-empty">([^<]+)</p>')


@pytest.fixture(autouse=True)
def english():
    """The selector's sentences are compared in English; the pages are read in Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def city(users):
    return users["city_admin"]


@pytest.fixture
def filer(users):
    return users["institution_filer"]


@pytest.fixture
def inst_admin(users):
    return users["institution_admin"]


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


@pytest.fixture
def self_evaluation(city, default_policy, private_media, institution):
    """The 2025 cycle open for self-evaluation, closing in 30 days."""
    return open_cycle(city)


@pytest.fixture
def report(self_evaluation, institution) -> Submission:
    return Submission.objects.select_related("cycle").get(cycle=self_evaluation,
                                                          institution=institution)


@pytest.fixture
def review_cycle(city, default_policy, private_media, gulou, institution, sibling_institution,
                 other_institution):
    """The 2025 cycle in its preliminary review: Gulou with two participants, Yunlong one."""
    return open_preliminary_review(city, submitted=[institution, sibling_institution,
                                                    other_institution])


def _url(name, *args, anchor="", query=""):
    return reverse(f"evaluations:{name}", args=args) + (f"?{query}" if query else "") \
        + (f"#{anchor}" if anchor else "")


def _closes_on(cycle, stage=CycleStatus.PRELIMINARY_REVIEW):
    return CycleStage.objects.get(cycle=cycle, stage=stage).closes_on


def _notice(participant, reviewer, *, days=14, problems="研发投入核算不清"):
    return findings.rectification_issue(participant=participant, problems=problems,
                                        deadline=TODAY() + dt.timedelta(days=days),
                                        actor=reviewer)


def _make_overdue(notice, days=3):
    Rectification.objects.filter(pk=notice.pk).update(deadline=TODAY() - dt.timedelta(days=days))


def _links(response) -> list[tuple[str, str]]:
    return LINK.findall(response.content.decode())


# --- Institution ------------------------------------------------------------------------------

def test_institution_todo_of_a_report_not_started_is_to_finish_it_by_its_deadline(filer, report):
    left = len(submission_submit_problems(report))
    assert institution_todo(filer) == [TodoItem(
        label="Finish the 2025 self-evaluation",
        url=_url("submission_detail", report.pk), count=left, deadline=report.deadline,
        note=f"{left} things are left before it can be submitted.")]


def test_institution_todo_of_the_administrator_adds_signing_the_pledge(inst_admin, report):
    items = institution_todo(inst_admin)
    assert [(item.label, item.url, item.deadline, item.tone) for item in items] == [
        ("Sign the truthfulness pledge of the 2025 self-evaluation",
         _url("submission_submit", report.pk, anchor="pledge"), report.deadline, "warning"),
        ("Finish the 2025 self-evaluation", _url("submission_detail", report.pk),
         report.deadline, "primary")]


def test_institution_todo_of_a_complete_report_is_to_submit_it(filer, inst_admin, report):
    ready_to_submit(report, filer, inst_admin)
    expected = [TodoItem(label="Submit the 2025 self-evaluation",
                         url=_url("submission_submit", report.pk, anchor="submit"),
                         deadline=report.deadline, tone="success",
                         note="Everything is in place: it only needs to be submitted.")]
    assert institution_todo(filer) == expected
    assert institution_todo(inst_admin) == expected  # the pledge is signed already


def test_institution_todo_of_a_submitted_report_is_empty_and_a_withdrawn_one_asks_again(
        filer, inst_admin, report):
    ready_to_submit(report, filer, inst_admin)
    submission_submit(submission=report, actor=filer)
    assert institution_todo(filer) == []
    submission_withdraw(submission=Submission.objects.get(pk=report.pk), actor=filer)
    # The pledge must be signed again; the content, its PDF and scan are still current.
    assert institution_todo(filer) == [TodoItem(
        label="The 2025 self-evaluation was withdrawn: submit it again",
        url=_url("submission_submit", report.pk), count=1, deadline=report.deadline,
        tone="warning", note="1 thing is left before it can be submitted.")]


def test_institution_todo_after_the_deadline_is_empty(filer, report):
    Submission.objects.filter(pk=report.pk).update(deadline=TODAY() - dt.timedelta(days=1))
    assert institution_todo(filer) == []


def test_institution_todo_lists_open_notices_by_deadline_with_the_overdue_marked(
        filer, reviewer, review_cycle, institution):
    participant = review_cycle.participants.get(institution=institution)
    later = _notice(participant, reviewer, days=20, problems="补充  研发人员\n社保证明")
    overdue = _notice(participant, reviewer, days=5, problems="核实场地")
    _make_overdue(overdue)
    answered = _notice(participant, reviewer, days=7)
    findings.rectification_answer(rectification=answered, text="已补充", actor=filer)
    late_date = TODAY() - dt.timedelta(days=3)
    assert institution_todo(filer) == [
        TodoItem(label="Answer the rectification notice of the 2025 evaluation",
                 url=_url("rectification_detail", overdue.pk), deadline=late_date,
                 tone="danger", overdue=True,
                 note=f"The deadline ({late_date.isoformat()}) has passed; contact the "
                      "district science bureau."),
        TodoItem(label="Answer the rectification notice of the 2025 evaluation",
                 url=_url("rectification_detail", later.pk),
                 deadline=TODAY() + dt.timedelta(days=20), tone="warning",
                 note="补充 研发人员 社保证明"),
    ]


def test_institution_todo_never_shows_another_institutions_notice(users, reviewer,
                                                                  review_cycle, institution):
    _notice(review_cycle.participants.get(institution=institution), reviewer)
    assert institution_todo(users["institution_filer_other"]) == []


# --- District ---------------------------------------------------------------------------------

def test_district_todo_counts_the_reports_not_fully_reviewed(reviewer, review_cycle, gulou,
                                                             institution):
    review = district_review(review_cycle, gulou)
    score_directly(review.participants.get(institution=institution), 80)
    assert district_todo(reviewer) == [TodoItem(
        label="2025 preliminary review: reports to review",
        url=_url("participant_list", review.pk), count=1,
        deadline=_closes_on(review_cycle))]


def test_district_todo_lists_overdue_notices_and_answers_to_check(
        reviewer, filer, review_cycle, gulou, institution, sibling_institution):
    review = district_review(review_cycle, gulou)
    for participant in review.participants.all():
        score_directly(participant, 70)
    mine = review.participants.get(institution=institution)
    _make_overdue(_notice(mine, reviewer))
    _make_overdue(_notice(review.participants.get(institution=sibling_institution), reviewer))
    findings.rectification_answer(rectification=_notice(mine, reviewer), text="已补充",
                                  actor=filer)
    items = district_todo(reviewer)
    assert items[:2] == [
        TodoItem(label="2025 preliminary review: overdue rectification notices",
                 url=_url("rectification_list", query="status=overdue"), count=2,
                 tone="danger", overdue=True),
        TodoItem(label="2025 preliminary review: rectification answers to check",
                 url=_url("rectification_list", query="status=answered"), count=1,
                 tone="info"),
    ]


def test_district_todo_once_every_report_is_reviewed_is_to_rank_then_to_submit(
        reviewer, review_cycle, gulou):
    review = district_review(review_cycle, gulou)
    for score, participant in zip((90, 80), review.participants.order_by("pk"), strict=True):
        score_directly(participant, score)
    deadline = _closes_on(review_cycle)
    assert district_todo(reviewer) == [TodoItem(
        label="Rank the 2025 reports and submit the summary", url=_url("ranking", review.pk),
        deadline=deadline)]
    rank_by_score(review, reviewer)
    summary = generated_summary(district_review(review_cycle, gulou), reviewer)
    preliminary.summary_scan_upload(summary=summary, upload=upload("盖章.pdf", PDF),
                                    actor=reviewer)
    assert district_todo(reviewer) == [TodoItem(
        label="Submit the 2025 summary to the city bureau",
        url=_url("district_summary", review.pk, anchor="submit"), deadline=deadline,
        tone="success")]
    preliminary.district_review_submit(district_review=district_review(review_cycle, gulou),
                                       actor=reviewer)
    assert district_todo(reviewer) == []  # with the city now


def test_district_todo_of_a_returned_summary_gives_the_citys_reason(reviewer, city,
                                                                    review_cycle, gulou):
    review = district_review(review_cycle, gulou)
    for score, participant in zip((90, 80), review.participants.order_by("pk"), strict=True):
        score_directly(participant, score)
    rank_by_score(review, reviewer)
    summary = generated_summary(district_review(review_cycle, gulou), reviewer)
    preliminary.summary_scan_upload(summary=summary, upload=upload("盖章.pdf", PDF),
                                    actor=reviewer)
    preliminary.district_review_submit(district_review=district_review(review_cycle, gulou),
                                       actor=reviewer)
    preliminary.district_review_return(district_review=district_review(review_cycle, gulou),
                                       reason="排序理由不充分", actor=city)
    deadline = _closes_on(review_cycle)
    assert district_todo(reviewer) == [
        TodoItem(label="The city bureau returned the 2025 summary of 鼓楼区",
                 url=_url("district_dashboard", review.pk), deadline=deadline,
                 tone="warning", note="Reason for returning: 排序理由不充分"),
        TodoItem(label="Submit the 2025 summary to the city bureau",
                 url=_url("district_summary", review.pk, anchor="submit"),
                 deadline=deadline, tone="success"),
    ]


def test_district_todo_holds_only_its_own_district(users, reviewer, review_cycle, yunlong):
    other = district_review(review_cycle, yunlong)
    assert district_todo(users["district_reviewer_other"]) == [TodoItem(
        label="2025 preliminary review: reports to review",
        url=_url("participant_list", other.pk), count=1, deadline=_closes_on(review_cycle))]
    assert [item.count for item in district_todo(reviewer)] == [2]


# --- City -------------------------------------------------------------------------------------

def _submitted(review_cycle, district, reviewer):
    review = district_review(review_cycle, district)
    for participant in review.participants.all():
        score_directly(participant, 80)
    rank_by_score(review, reviewer)
    summary = generated_summary(district_review(review_cycle, district), reviewer)
    preliminary.summary_scan_upload(summary=summary, upload=upload("盖章.pdf", PDF),
                                    actor=reviewer)
    preliminary.district_review_submit(district_review=district_review(review_cycle, district),
                                       actor=reviewer)
    return district_review(review_cycle, district)


def _fraud(participant, reviewer):
    return findings.fraud_report_file(participant=participant, kind=FraudKind.OVERSTATED,
                                      description="研发投入虚报", actor=reviewer,
                                      uploads=[upload("证据.pdf", PDF)])


def test_city_todo_lists_summaries_and_fraud_reports_to_decide(users, city, reviewer,
                                                               review_cycle, gulou, institution):
    review = _submitted(review_cycle, gulou, reviewer)
    report = _fraud(review.participants.get(institution=institution), reviewer)
    assert city_todo(city) == [
        TodoItem(label="Decide the 2025 preliminary review summary of 鼓楼区",
                 url=_url("district_review_detail", review.pk),
                 received_at=review.submitted_at),
        TodoItem(label="2025 preliminary review: fraud reports to decide",
                 url=_url("fraud_detail", report.pk), count=1, tone="danger"),
    ]
    _fraud(review.participants.exclude(institution=institution).get(), reviewer)
    assert city_todo(city)[1] == TodoItem(
        label="2025 preliminary review: fraud reports to decide",
        url=_url("fraud_list", query="status=reported"), count=2, tone="danger")
    assert city_todo(users["panel_organiser"]) == []  # it decides none of these


def test_city_todo_offers_closing_the_preliminary_review_once_every_district_is_accepted(
        users, city, reviewer, review_cycle, gulou, yunlong):
    for district, who in ((gulou, reviewer), (yunlong, users["district_reviewer_other"])):
        preliminary.district_review_accept(
            district_review=_submitted(review_cycle, district, who), actor=city)
    assert city_todo(city) == [TodoItem(
        label="Close the 2025 preliminary review: every district is accepted",
        url=_url("preliminary_close", 2025), deadline=_closes_on(review_cycle),
        tone="warning")]


def test_city_todo_offers_closing_self_evaluation_after_its_deadline_then_the_next_stage(
        city, self_evaluation):
    assert city_todo(city) == []  # still open
    yesterday = TODAY() - dt.timedelta(days=1)
    CycleStage.objects.filter(cycle=self_evaluation, stage=CycleStatus.SELF_EVALUATION) \
        .update(opens_on=yesterday - dt.timedelta(days=30), closes_on=yesterday)
    Submission.objects.filter(cycle=self_evaluation).update(deadline=yesterday)
    assert city_todo(city) == [TodoItem(
        label="Close the 2025 self-evaluation: its deadline has passed",
        url=_url("cycle_close_self_evaluation", 2025), deadline=yesterday, tone="warning")]
    CycleStage.objects.filter(cycle=self_evaluation, stage=CycleStatus.SELF_EVALUATION) \
        .update(closed_at=timezone.now())
    assert city_todo(city) == [TodoItem(
        label="2025: Self-evaluation is closed; move on to Preliminary review",
        url=_url("cycle_detail", 2025),
        note="The stage “Preliminary review” has no opening and closing dates.")]


def test_expert_todo_is_empty_until_the_panel_review(users, review_cycle):
    assert expert_todo(users["expert"]) == []
    assert todo_for_user(users["expert"]) == []


# --- The home pages ---------------------------------------------------------------------------

def test_home_of_each_role_shows_its_todo_in_chinese(client_for, users, filer, reviewer,
                                                     review_cycle, gulou, institution):
    participant = review_cycle.participants.get(institution=institution)
    notice = _notice(participant, reviewer)
    _fraud(participant, reviewer)
    review = district_review(review_cycle, gulou)
    with translation.override("zh-hans"):
        institution_page = client_for(filer).get(reverse("home"))
        district_page = client_for(reviewer).get(reverse("home"))
        city_page = client_for(users["city_admin"]).get(reverse("home"))
        expert_page = client_for(users["expert"]).get(reverse("home"))
    assert _links(institution_page) == [(_url("rectification_detail", notice.pk),
                                         "回复2025年度评价的整改通知")]
    assert _links(district_page) == [(_url("participant_list", review.pk),
                                      "2025年度初评：待审核的自评报告")]
    assert _links(city_page) == [(_url("fraud_detail", participant.fraud_reports.get().pk),
                                  "2025年度初评：待审定的虚报虚构问题报告")]
    assert _links(expert_page) == []
    assert EMPTY.findall(expert_page.content.decode()) == [
        "目前没有需要您评分的机构。您被抽取参加会评后，评审任务将显示在这里。"]
    district_html = district_page.content.decode()
    assert district_html.index('data-testid="todo"') < district_html.index(
        'data-testid="count-total"')  # above the dashboard, which stays


# --- Queries: the same number whatever the size -------------------------------------------

def _grow_district(review_cycle, gulou, reviewer, filer, n):
    """``n`` notices overdue and ``n`` answered in Gulou, and ``n`` more participants."""
    review = district_review(review_cycle, gulou)
    participants = list(review.participants.all())
    for i in range(n):
        participant = participants[i % len(participants)]
        _make_overdue(_notice(participant, reviewer))
        answered = _notice(participant, reviewer)
        Rectification.objects.filter(pk=answered.pk).update(status=RectificationStatus.ANSWERED)
    from evaluations.models import Participant
    extra = add_institutions(gulou, n)
    for inst in extra:
        submission = Submission.objects.create(
            cycle=review_cycle, institution=inst, district=gulou, cluster=inst.cluster,
            deadline=TODAY(), status="submitted")
        Participant.objects.create(cycle=review_cycle, submission=submission, institution=inst,
                                   district_review=review)


@pytest.mark.parametrize("role", ["institution_filer", "district_reviewer", "city_admin"])
def test_todo_reads_the_same_number_of_queries_at_two_sizes(
        users, role, review_cycle, gulou, reviewer, institution, django_assert_num_queries):
    """Two open cycles: 2025 in its preliminary review, 2027 in self-evaluation."""
    user = users[role]
    open_cycle(users["city_admin"], year=2027)
    participant = review_cycle.participants.get(institution=institution)
    _notice(participant, reviewer)
    _fraud(participant, reviewer)
    with CaptureQueriesContext(connection) as small:
        todo_for_user(user)
    _grow_district(review_cycle, gulou, reviewer, users["institution_filer"], 12)
    for p in review_cycle.participants.exclude(pk=participant.pk)[:6]:
        _fraud(p, reviewer)
    with django_assert_num_queries(len(small.captured_queries)):
        items = todo_for_user(user)
    assert items  # something waits for each of them


@pytest.mark.parametrize("role", ["institution_filer", "district_reviewer", "city_admin"])
def test_home_page_reads_the_same_number_of_queries_at_two_sizes(
        client_for, users, role, review_cycle, gulou, reviewer, institution):
    client = client_for(users[role])
    participant = review_cycle.participants.get(institution=institution)
    _notice(participant, reviewer)
    client.get(reverse("home"))  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("home")).status_code == 200
    _grow_district(review_cycle, gulou, reviewer, users["institution_filer"], 12)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("home")).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)
