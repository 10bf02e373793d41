"""Stage 2 findings services (Art 9, 10; R8): site visits, rectification notices and their
answers, fraud reports, the city's decision and the credit records it makes. Notifications are
sent when the transaction commits, so the tests that read them run the commit callbacks."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from evaluations.enums import AnswerDecision, FraudKind, FraudStatus, RectificationStatus
from evaluations.models import (
    CreditRecord,
    FraudEvidenceFile,
    FraudReport,
    Participant,
    Rectification,
    RectificationAnswer,
    RectificationFile,
    SiteVisit,
)
from evaluations.services import findings as services
from institutions.exceptions import DomainError
from institutions.models import Notification
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.evaluations.self_evaluation_setup import EXE, PDF, PNG, upload

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def english():
    """The services' sentences are matched in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def cycle(users, default_policy, private_media, institution, sibling_institution,
          other_institution):
    return open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])


@pytest.fixture
def participant(cycle, institution) -> Participant:
    return Participant.objects.select_related("cycle", "district_review", "institution") \
        .get(cycle=cycle, institution=institution)


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


@pytest.fixture
def filer(users):
    return users["institution_filer"]


def notified(subject_part: str) -> set[str]:
    """Usernames of the notifications whose subject contains ``subject_part``."""
    return {n.user.username for n in Notification.objects.select_related("user")
            if subject_part in n.subject}


def issue(participant, reviewer, *, days: int = 14, problems: str = "研发投入核算不清") \
        -> Rectification:
    return services.rectification_issue(participant=participant, problems=problems,
                                        deadline=TODAY() + dt.timedelta(days=days),
                                        actor=reviewer)


def answer(notice, filer, text: str = "已重新核算并补充凭证", uploads=()) -> RectificationAnswer:
    return services.rectification_answer(rectification=notice, text=text, uploads=uploads,
                                         actor=filer)


# --- Site visits ----------------------------------------------------------------------------

def test_site_visit_record_keeps_the_visit_and_its_files(participant, reviewer):
    visit = services.site_visit_record(
        participant=participant, visited_on=TODAY(), visitors="王科长、李主任",
        findings="场地与申报一致", uploads=[upload("现场照片.png", PNG)], actor=reviewer)
    stored = SiteVisit.objects.get(pk=visit.pk)
    assert (stored.visitors, stored.findings, stored.recorded_by) == (
        "王科长、李主任", "场地与申报一致", reviewer)
    assert [(f.original_name, f.kind) for f in stored.files.all()] == [("现场照片.png", "png")]


@pytest.mark.parametrize("change, message", [
    ({"visited_on": 1}, "before it takes place"),
    ({"visitors": "  "}, "who went"),
    ({"findings": ""}, "what the visit found"),
])
def test_site_visit_record_refuses_incomplete_or_future_visits(participant, reviewer, change,
                                                               message):
    values = {"visited_on": TODAY(), "visitors": "王科长", "findings": "场地与申报一致"}
    if "visited_on" in change:
        values["visited_on"] = TODAY() + dt.timedelta(days=change.pop("visited_on"))
    values.update(change)
    with pytest.raises(DomainError, match=message):
        services.site_visit_record(participant=participant, actor=reviewer, **values)
    assert SiteVisit.objects.count() == 0


def test_site_visit_record_with_a_file_of_the_wrong_type_stores_nothing(participant, reviewer):
    with pytest.raises(DomainError, match="not an accepted file"):
        services.site_visit_record(participant=participant, visited_on=TODAY(),
                                   visitors="王科长", findings="场地与申报一致",
                                   uploads=[upload("照片.png", EXE)], actor=reviewer)
    assert SiteVisit.objects.count() == 0


# --- Rectification --------------------------------------------------------------------------

def test_rectification_issue_notifies_the_institution_accounts(
        participant, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue(participant, reviewer, days=7)
    stored = Rectification.objects.get(pk=notice.pk)
    assert (stored.status, stored.problems, stored.deadline, stored.issued_by) == (
        RectificationStatus.OPEN, "研发投入核算不清", TODAY() + dt.timedelta(days=7), reviewer)
    assert notified("Rectification notice") == {"filer", "instadmin"}
    note = Notification.objects.filter(user__username="filer").order_by("-pk").first()
    assert note.url.endswith(f"/rectifications/{notice.pk}/")


def test_rectification_issue_with_a_past_deadline_is_refused(participant, reviewer):
    with pytest.raises(DomainError, match="past"):
        issue(participant, reviewer, days=-1)
    assert Rectification.objects.count() == 0


def test_rectification_issue_without_problems_is_refused(participant, reviewer):
    with pytest.raises(DomainError, match="problems"):
        issue(participant, reviewer, problems=" \n ")
    assert Rectification.objects.count() == 0


def test_rectification_due_today_is_not_overdue_and_can_be_answered(participant, reviewer,
                                                                     filer):
    notice = issue(participant, reviewer, days=0)
    assert notice.is_overdue is False
    answer(notice, filer)
    assert Rectification.objects.get(pk=notice.pk).status == RectificationStatus.ANSWERED


def test_rectification_answer_with_files_notifies_the_district(
        participant, reviewer, filer, django_capture_on_commit_callbacks):
    notice = issue(participant, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        reply = answer(notice, filer, uploads=[upload("整改报告.pdf", PDF),
                                               upload("凭证.png", PNG)])
    assert Rectification.objects.get(pk=notice.pk).status == RectificationStatus.ANSWERED
    assert (reply.text, reply.answered_by, reply.decision) == (
        "已重新核算并补充凭证", filer, AnswerDecision.PENDING)
    assert sorted((f.original_name, f.kind) for f in reply.files.all()) == [
        ("凭证.png", "png"), ("整改报告.pdf", "pdf")]
    assert notified(participant.institution.name) == {"gulou"}


def test_rectification_answer_after_the_deadline_is_refused(participant, reviewer, filer):
    notice = issue(participant, reviewer)
    # The clock moves on: the deadline is now yesterday.
    Rectification.objects.filter(pk=notice.pk).update(deadline=TODAY() - dt.timedelta(days=1))
    notice.refresh_from_db()
    assert notice.is_overdue is True
    with pytest.raises(DomainError, match="deadline"):
        answer(notice, filer)
    assert (RectificationAnswer.objects.count(),
            Rectification.objects.get(pk=notice.pk).status) == (0, RectificationStatus.OPEN)


def test_rectification_answered_twice_is_refused(participant, reviewer, filer):
    notice = issue(participant, reviewer)
    answer(notice, filer)
    with pytest.raises(DomainError, match="Your answer is with the district science bureau"):
        answer(notice, filer, text="再次提交")
    assert RectificationAnswer.objects.count() == 1


def test_rectification_answer_without_text_is_refused(participant, reviewer, filer):
    notice = issue(participant, reviewer)
    with pytest.raises(DomainError, match="answer"):
        answer(notice, filer, text="  ")
    assert RectificationAnswer.objects.count() == 0


def test_rectification_answer_with_a_refused_file_stores_nothing(participant, reviewer, filer):
    notice = issue(participant, reviewer)
    with pytest.raises(DomainError, match="not an accepted file"):
        answer(notice, filer, uploads=[upload("整改报告.pdf", PDF), upload("病毒.pdf", EXE)])
    assert (RectificationAnswer.objects.count(), RectificationFile.objects.count(),
            Rectification.objects.get(pk=notice.pk).status) == (0, 0, RectificationStatus.OPEN)


def test_rectification_accepted_closes_the_notice_and_notifies_the_institution(
        participant, reviewer, filer, django_capture_on_commit_callbacks):
    notice = issue(participant, reviewer)
    reply = answer(notice, filer)
    with django_capture_on_commit_callbacks(execute=True):
        services.rectification_decide(answer=reply, accepted=True, comment="",
                                      actor=reviewer)
    stored = Rectification.objects.get(pk=notice.pk)
    reply.refresh_from_db()
    assert (stored.status, stored.closed_at is not None) == (RectificationStatus.CLOSED, True)
    assert (reply.decision, reply.decided_by) == (AnswerDecision.ACCEPTED, reviewer)
    assert notified("accepted") == {"filer", "instadmin"}


def test_rectification_not_accepted_opens_again_and_can_be_answered_again(
        participant, reviewer, filer, django_capture_on_commit_callbacks):
    notice = issue(participant, reviewer)
    first = answer(notice, filer)
    with django_capture_on_commit_callbacks(execute=True):
        services.rectification_decide(answer=first, accepted=False,
                                      comment="缺少审计报告", actor=reviewer)
    stored = Rectification.objects.get(pk=notice.pk)
    first.refresh_from_db()
    assert (stored.status, stored.closed_at) == (RectificationStatus.OPEN, None)
    assert (first.decision, first.decision_comment) == (AnswerDecision.NOT_ACCEPTED,
                                                        "缺少审计报告")
    assert notified("not accepted") == {"filer", "instadmin"}
    second = answer(stored, filer, text="补充审计报告")
    assert Rectification.objects.get(pk=notice.pk).status == RectificationStatus.ANSWERED
    assert list(stored.answers.values_list("text", "decision")) == [
        ("已重新核算并补充凭证", AnswerDecision.NOT_ACCEPTED),
        ("补充审计报告", AnswerDecision.PENDING)]
    assert second.pk != first.pk


def test_rectification_not_accepted_needs_a_comment(participant, reviewer, filer):
    notice = issue(participant, reviewer)
    reply = answer(notice, filer)
    with pytest.raises(DomainError, match="missing"):
        services.rectification_decide(answer=reply, accepted=False, comment=" ",
                                      actor=reviewer)
    assert Rectification.objects.get(pk=notice.pk).status == RectificationStatus.ANSWERED


@pytest.mark.parametrize("second_accepted", [True, False])
def test_rectification_decided_twice_is_refused(participant, reviewer, filer, second_accepted):
    notice = issue(participant, reviewer)
    reply = answer(notice, filer)
    services.rectification_decide(answer=reply, accepted=True, comment="", actor=reviewer)
    with pytest.raises(DomainError, match="already been decided"):
        services.rectification_decide(answer=reply, accepted=second_accepted,
                                      comment="改判", actor=reviewer)
    reply.refresh_from_db()
    assert (reply.decision, reply.decision_comment,
            Rectification.objects.get(pk=notice.pk).status) == (
        AnswerDecision.ACCEPTED, "", RectificationStatus.CLOSED)


def test_rectification_not_accepted_after_the_deadline_needs_a_new_deadline(
        participant, reviewer, filer):
    notice = issue(participant, reviewer)
    reply = answer(notice, filer)
    # The reviewer decides after the deadline.
    Rectification.objects.filter(pk=notice.pk).update(deadline=TODAY() - dt.timedelta(days=1))
    with pytest.raises(DomainError, match="new deadline|新的"):
        services.rectification_decide(answer=reply, accepted=False, comment="缺少审计报告",
                                      actor=reviewer)
    assert Rectification.objects.get(pk=notice.pk).status == RectificationStatus.ANSWERED
    later = TODAY() + dt.timedelta(days=7)
    services.rectification_decide(answer=reply, accepted=False, comment="缺少审计报告",
                                  new_deadline=later, actor=reviewer)
    stored = Rectification.objects.get(pk=notice.pk)
    assert (stored.status, stored.deadline) == (RectificationStatus.OPEN, later)
    answer(stored, filer, text="补充审计报告")
    assert Rectification.objects.get(pk=notice.pk).status == RectificationStatus.ANSWERED


# --- Fraud (R8) -----------------------------------------------------------------------------

def report(participant, reviewer, *, kind=FraudKind.OVERSTATED,
           description="研发费用虚报约300万元", uploads=None) -> FraudReport:
    return services.fraud_report_file(
        participant=participant, kind=kind, description=description,
        uploads=[upload("审计底稿.pdf", PDF)] if uploads is None else uploads, actor=reviewer)


def test_fraud_report_file_keeps_the_evidence_and_notifies_the_city_administrators(
        participant, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        filed = report(participant, reviewer)
    stored = FraudReport.objects.get(pk=filed.pk)
    assert (stored.status, stored.kind, stored.reported_by) == (
        FraudStatus.REPORTED, FraudKind.OVERSTATED, reviewer)
    assert [f.original_name for f in stored.files.all()] == ["审计底稿.pdf"]
    # The city administrators decide; the panel organiser, the districts and the
    # institution are not told.
    assert notified(participant.institution.name) == {"city"}


@pytest.mark.parametrize("kind, description, message", [
    ("exaggerated", "虚报", "overstated or fabricated"),
    (FraudKind.FABRICATED, "  ", "Describe"),
])
def test_fraud_report_file_refuses_an_unknown_kind_or_no_description(participant, reviewer,
                                                                     kind, description,
                                                                     message):
    with pytest.raises(DomainError, match=message):
        report(participant, reviewer, kind=kind, description=description)
    assert (FraudReport.objects.count(), FraudEvidenceFile.objects.count()) == (0, 0)


def test_fraud_report_confirmed_makes_the_finding_and_a_credit_record(
        participant, reviewer, users, django_capture_on_commit_callbacks):
    filed = report(participant, reviewer, kind=FraudKind.FABRICATED,
                   description="虚构合作项目两项")
    Notification.objects.all().delete()  # the filing's own, to the city (tested above)
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.fraud_report_decide(
            report=filed, confirm=True, reason="审计证据确凿", person_name="张三",
            person_role="法定代表人", actor=users["city_admin"])
    assert (decided.status, decided.decision_reason, decided.decided_by) == (
        FraudStatus.CONFIRMED, "审计证据确凿", users["city_admin"])
    participant.refresh_from_db()
    assert participant.fraud_confirmed_at == decided.decided_at
    record = CreditRecord.objects.get()
    assert (record.institution, record.cycle, record.fraud_report, record.person_name,
            record.person_role, record.recorded_on, record.recorded_by) == (
        participant.institution, participant.cycle, decided, "张三", "法定代表人", TODAY(),
        users["city_admin"])
    assert record.finding.endswith("虚构合作项目两项")
    # The district and the institution are told; the other district is not.
    assert notified(participant.institution.name) == {"gulou", "filer", "instadmin"}


def test_fraud_report_dismissed_makes_no_record_and_tells_only_the_district(
        participant, reviewer, users, django_capture_on_commit_callbacks):
    filed = report(participant, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.fraud_report_decide(report=filed, confirm=False,
                                               reason="数据口径差异，非虚报",
                                               actor=users["city_admin"])
    participant.refresh_from_db()
    assert (decided.status, participant.fraud_confirmed_at, CreditRecord.objects.count()) == (
        FraudStatus.DISMISSED, None, 0)
    assert notified("dismissed") == {"gulou"}


@pytest.mark.parametrize("person_name, person_role, message", [
    ("", "法定代表人", "responsible person"), ("张三", " ", "role"),
])
def test_fraud_report_confirm_needs_the_responsible_person(participant, reviewer, users,
                                                          person_name, person_role, message):
    filed = report(participant, reviewer)
    with pytest.raises(DomainError, match=message):
        services.fraud_report_decide(report=filed, confirm=True, reason="证据确凿",
                                     person_name=person_name, person_role=person_role,
                                     actor=users["city_admin"])
    assert (FraudReport.objects.get().status, CreditRecord.objects.count()) == (
        FraudStatus.REPORTED, 0)


def test_fraud_report_decision_needs_a_reason(participant, reviewer, users):
    filed = report(participant, reviewer)
    with pytest.raises(DomainError, match="reason"):
        services.fraud_report_decide(report=filed, confirm=False, reason="",
                                     actor=users["city_admin"])
    assert FraudReport.objects.get().status == FraudStatus.REPORTED


@pytest.mark.parametrize("first, second", [(True, False), (False, True), (True, True)])
def test_fraud_report_decided_twice_is_refused(participant, reviewer, users, first, second):
    filed = report(participant, reviewer)
    services.fraud_report_decide(report=filed, confirm=first, reason="第一次决定",
                                 person_name="张三", person_role="法定代表人",
                                 actor=users["city_admin"])
    with pytest.raises(DomainError, match="already been decided"):
        services.fraud_report_decide(report=filed, confirm=second, reason="第二次决定",
                                     person_name="李四", person_role="负责人",
                                     actor=users["city_admin"])
    stored = FraudReport.objects.get()
    assert (stored.status, stored.decision_reason, CreditRecord.objects.count()) == (
        FraudStatus.CONFIRMED if first else FraudStatus.DISMISSED, "第一次决定",
        1 if first else 0)


def test_fraud_report_after_a_confirmed_finding_is_refused(participant, reviewer, users):
    filed = report(participant, reviewer)
    services.fraud_report_decide(report=filed, confirm=True, reason="证据确凿",
                                 person_name="张三", person_role="法定代表人",
                                 actor=users["city_admin"])
    with pytest.raises(DomainError, match="already confirmed"):
        report(participant, reviewer, kind=FraudKind.FABRICATED)
    assert FraudReport.objects.count() == 1
