"""The findings pages (Art 9, 10; R8): rectification notices, answers and decisions, fraud
reports and the city's decision, credit records. Each form's happy path, a refused input that
keeps what was typed, what each role sees, and query counts that do not grow with the data."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
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
)
from evaluations.services.findings import (
    fraud_report_decide,
    fraud_report_file,
    rectification_answer,
    rectification_decide,
    rectification_issue,
)
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.evaluations.self_evaluation_setup import EXE, PDF, PNG, upload
from tests.factories import CycleFactory

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cycle(users, default_policy, private_media, institution, sibling_institution,
          other_institution):
    return open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])


@pytest.fixture
def participant(cycle, institution) -> Participant:
    return Participant.objects.get(cycle=cycle, institution=institution)


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


@pytest.fixture
def filer(users):
    return users["institution_filer"]


@pytest.fixture
def as_user(client_for):
    def make(user):
        client = client_for(user)
        client.cookies["django_language"] = "en"
        return client

    return make


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def checked(html: str, name: str) -> list[str]:
    """The values of the checked radio buttons named ``name`` in the page."""
    return re.findall(rf'<input[^>]*name="{name}" value="([^"]*)"[^>]*\bchecked>', html)


def issue(participant, actor, *, days: int = 14, problems: str = "研发投入核算不清"):
    return rectification_issue(participant=participant, problems=problems,
                               deadline=TODAY() + dt.timedelta(days=days), actor=actor)


def report(participant, actor, *, description: str = "研发费用虚报约300万元"):
    return fraud_report_file(participant=participant, kind=FraudKind.OVERSTATED,
                             description=description, uploads=[upload("审计底稿.pdf")],
                             actor=actor)


# --- Issuing a notice -----------------------------------------------------------------------

def test_rectification_create_sends_the_notice_and_returns_to_the_review(participant, reviewer,
                                                                         as_user):
    url = reverse("evaluations:rectification_create", args=[participant.pk])
    page = as_user(reviewer).get(url)
    assert page.status_code == 200
    assert participant.institution.name in page.content.decode()
    deadline = TODAY() + dt.timedelta(days=10)
    response = as_user(reviewer).post(url, {"problems": "补充2023年审计报告",
                                            "deadline": deadline.isoformat()})
    assert (response.status_code, response["Location"]) == (
        302, reverse("evaluations:participant_review", args=[participant.pk]))
    notice = Rectification.objects.get()
    assert (notice.participant, notice.problems, notice.deadline, notice.issued_by,
            notice.status) == (participant, "补充2023年审计报告", deadline, reviewer,
                               RectificationStatus.OPEN)
    assert message_texts(response) == [
        f"The rectification notice was sent to {participant.institution.name}, who must "
        f"answer by {deadline.isoformat()}."]


def test_rectification_create_with_a_past_deadline_keeps_what_was_typed(participant, reviewer,
                                                                        as_user):
    url = reverse("evaluations:rectification_create", args=[participant.pk])
    past = TODAY() - dt.timedelta(days=1)
    response = as_user(reviewer).post(url, {"problems": "补充2023年审计报告",
                                            "deadline": past.isoformat()})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The deadline cannot be in the past." in html
    assert "补充2023年审计报告</textarea>" in html
    assert f'value="{past.isoformat()}"' in html
    assert Rectification.objects.count() == 0


def test_rectification_create_without_problems_is_a_form_error(participant, reviewer, as_user):
    url = reverse("evaluations:rectification_create", args=[participant.pk])
    deadline = (TODAY() + dt.timedelta(days=5)).isoformat()
    response = as_user(reviewer).post(url, {"problems": "", "deadline": deadline})
    assert response.status_code == 200
    assert response.context["form"].errors == {"problems": ["This field is required."]}
    assert f'value="{deadline}"' in response.content.decode()
    assert Rectification.objects.count() == 0


# --- The list -------------------------------------------------------------------------------

def test_rectification_list_shows_an_institution_only_its_own_notices(
        cycle, participant, sibling_institution, users, filer, as_user):
    sibling = Participant.objects.get(cycle=cycle, institution=sibling_institution)
    issue(participant, users["district_reviewer"], problems="本机构的问题")
    issue(sibling, users["district_reviewer"], problems="兄弟机构的问题")
    html = as_user(filer).get(reverse("evaluations:rectification_list")).content.decode()
    assert "本机构的问题" in html and "兄弟机构的问题" not in html
    assert participant.institution.name not in html.split('data-testid="rectification-list"')[1]
    staff = as_user(users["city_admin"]).get(reverse("evaluations:rectification_list"))
    assert [n.problems for n in staff.context["page"]] == ["兄弟机构的问题", "本机构的问题"]


def test_rectification_list_marks_overdue_notices_in_words(participant, reviewer, filer,
                                                           as_user):
    late = issue(participant, reviewer, problems="逾期的问题")
    issue(participant, reviewer, problems="按期的问题")
    Rectification.objects.filter(pk=late.pk).update(deadline=TODAY() - dt.timedelta(days=2))
    response = as_user(filer).get(reverse("evaluations:rectification_list"))
    rows = response.content.decode().split('data-testid="rectification-row"')[1:]
    overdue = {("逾期的问题" in row): ('data-testid="overdue"' in row and "Overdue" in row
                                   and "table-danger" in row) for row in rows}
    assert overdue == {True: True, False: False}
    only_late = as_user(reviewer).get(reverse("evaluations:rectification_list"),
                                      {"status": "overdue"})
    assert [n.pk for n in only_late.context["page"]] == [late.pk]


# --- Answering and deciding -----------------------------------------------------------------

def test_rectification_answer_with_files_then_the_district_accepts_it(participant, reviewer,
                                                                      filer, as_user):
    notice = issue(participant, reviewer)
    detail = reverse("evaluations:rectification_detail", args=[notice.pk])
    page = as_user(filer).get(detail)
    assert page.context["answer_form"] is not None and page.context["decision_form"] is None
    response = as_user(filer).post(
        reverse("evaluations:rectification_answer", args=[notice.pk]),
        {"text": "已补充审计报告", "files": [upload("审计报告.pdf", PDF), upload("凭证.png", PNG)]})
    assert (response.status_code, response["Location"]) == (302, detail)
    answer = RectificationAnswer.objects.get()
    assert sorted(answer.files.values_list("original_name", flat=True)) == [
        "凭证.png", "审计报告.pdf"]
    # The reviewer sees the answer with its files and the decision form.
    page = as_user(reviewer).get(detail)
    html = page.content.decode()
    assert page.context["decision_form"] is not None and page.context["answer_form"] is None
    for stored in answer.files.all():
        assert reverse("evaluations:rectification_file", args=[stored.pk]) in html
    response = as_user(reviewer).post(
        reverse("evaluations:rectification_decide", args=[answer.pk]),
        {"decision": "accept", "comment": "材料齐全"})
    assert (response.status_code, response["Location"]) == (302, detail)
    answer.refresh_from_db()
    assert (answer.decision, answer.decision_comment,
            Rectification.objects.get().status) == (AnswerDecision.ACCEPTED, "材料齐全",
                                                    RectificationStatus.CLOSED)
    closed = as_user(filer).get(detail)
    assert closed.context["answer_form"] is None
    assert "The district science bureau accepted the rectification." in closed.content.decode()


def test_rectification_answer_with_a_refused_file_keeps_the_text(participant, reviewer, filer,
                                                                 as_user):
    notice = issue(participant, reviewer)
    response = as_user(filer).post(
        reverse("evaluations:rectification_answer", args=[notice.pk]),
        {"text": "已补充审计报告", "files": [upload("审计报告.pdf", EXE)]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not an accepted file" in html
    assert "已补充审计报告</textarea>" in html
    assert 'data-testid="files-dropped"' in html
    assert (RectificationAnswer.objects.count(), RectificationFile.objects.count()) == (0, 0)


def test_rectification_answer_after_the_deadline_shows_why_and_no_form(participant, reviewer,
                                                                       filer, as_user):
    notice = issue(participant, reviewer)
    Rectification.objects.filter(pk=notice.pk).update(deadline=TODAY() - dt.timedelta(days=1))
    page = as_user(filer).get(reverse("evaluations:rectification_detail", args=[notice.pk]))
    assert page.context["answer_form"] is None
    html = page.content.decode()
    assert "has passed; contact the district science bureau" in html
    assert 'data-testid="overdue"' in html


def test_rectification_not_accepted_without_a_comment_keeps_the_choice(participant, reviewer,
                                                                       filer, as_user):
    notice = issue(participant, reviewer)
    answer = rectification_answer(rectification=notice, text="已整改", actor=filer)
    url = reverse("evaluations:rectification_decide", args=[answer.pk])
    response = as_user(reviewer).post(url, {"decision": "reject", "comment": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Say what is still missing." in html
    assert checked(html, "decision") == ["reject"]
    assert Rectification.objects.get().status == RectificationStatus.ANSWERED
    # With the comment, the notice opens again and the institution can answer again.
    response = as_user(reviewer).post(url, {"decision": "reject", "comment": "缺少审计报告"})
    assert response.status_code == 302
    assert Rectification.objects.get().status == RectificationStatus.OPEN
    page = as_user(filer).get(reverse("evaluations:rectification_detail", args=[notice.pk]))
    assert page.context["answer_form"] is not None
    assert "缺少审计报告" in page.content.decode()


def test_rectification_decided_meanwhile_is_refused_with_the_reason(participant, reviewer,
                                                                    filer, as_user):
    notice = issue(participant, reviewer)
    answer = rectification_answer(rectification=notice, text="已整改", actor=filer)
    rectification_decide(answer=answer, accepted=True, comment="", actor=reviewer)
    response = as_user(reviewer).post(
        reverse("evaluations:rectification_decide", args=[answer.pk]),
        {"decision": "reject", "comment": "另一位审核人的意见"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This answer has already been decided." in html
    assert "另一位审核人的意见</textarea>" in html
    answer.refresh_from_db()
    assert answer.decision == AnswerDecision.ACCEPTED


def test_rectification_file_is_served_with_its_name(participant, reviewer, filer, as_user):
    notice = issue(participant, reviewer)
    answer = rectification_answer(rectification=notice, text="已整改",
                                  uploads=[upload("审计报告.pdf")], actor=filer)
    stored = answer.files.get()
    response = as_user(reviewer).get(reverse("evaluations:rectification_file",
                                             args=[stored.pk]))
    assert (response.status_code, response["Content-Type"],
            response["X-Content-Type-Options"], b"".join(response.streaming_content)) == (
        200, "application/pdf", "nosniff", PDF)
    assert "inline" in response["Content-Disposition"]


# --- Fraud ----------------------------------------------------------------------------------

def fraud_data(**overrides) -> dict:
    data = {"kind": "fabricated", "description": "虚构合作项目两项",
            "files": [upload("合同核查.pdf")], "confirm": "on"}
    data.update(overrides)
    return data


def test_fraud_report_create_warns_and_sends_the_report(participant, reviewer, as_user):
    url = reverse("evaluations:fraud_report_create", args=[participant.pk])
    page = as_user(reviewer).get(url)
    html = page.content.decode()
    assert 'data-testid="fraud-warning"' in html and "data-confirm=" in html
    response = as_user(reviewer).post(url, fraud_data())
    filed = FraudReport.objects.get()
    assert (response.status_code, response["Location"]) == (
        302, reverse("evaluations:fraud_detail", args=[filed.pk]))
    assert (filed.participant, filed.kind, filed.description, filed.status) == (
        participant, FraudKind.FABRICATED, "虚构合作项目两项", FraudStatus.REPORTED)
    assert list(filed.files.values_list("original_name", flat=True)) == ["合同核查.pdf"]


@pytest.mark.parametrize("overrides, field", [
    ({"confirm": ""}, "confirm"),
    ({"files": []}, "files"),
])
def test_fraud_report_create_needs_the_confirmation_and_evidence(participant, reviewer, as_user,
                                                                 overrides, field):
    url = reverse("evaluations:fraud_report_create", args=[participant.pk])
    response = as_user(reviewer).post(url, fraud_data(**overrides))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert "虚构合作项目两项</textarea>" in response.content.decode()
    assert (FraudReport.objects.count(), FraudEvidenceFile.objects.count()) == (0, 0)


def test_fraud_report_create_with_a_refused_file_keeps_the_description(participant, reviewer,
                                                                       as_user):
    url = reverse("evaluations:fraud_report_create", args=[participant.pk])
    response = as_user(reviewer).post(url, fraud_data(files=[upload("合同核查.pdf", EXE)]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not an accepted file" in html and "虚构合作项目两项</textarea>" in html
    assert checked(html, "kind") == ["fabricated"]
    assert 'data-testid="files-dropped"' in html
    assert FraudReport.objects.count() == 0


def test_fraud_decision_form_is_prefilled_with_the_legal_representative(participant, reviewer,
                                                                        users, as_user):
    filed = report(participant, reviewer)
    page = as_user(users["city_admin"]).get(reverse("evaluations:fraud_detail",
                                                    args=[filed.pk]))
    form = page.context["decision_form"]
    assert (form["person_name"].value(), form["person_role"].value()) == (
        participant.institution.legal_representative, "法定代表人")
    # Only the city administrator decides.
    for role in ("panel_organiser", "district_reviewer"):
        assert as_user(users[role]).get(reverse(
            "evaluations:fraud_detail", args=[filed.pk])).context["decision_form"] is None


def decide_data(**overrides) -> dict:
    data = {"decision": "confirm", "reason": "审计证据确凿", "person_name": "张三",
            "person_role": "法定代表人", "irreversible": "on"}
    data.update(overrides)
    return data


def test_fraud_decide_confirm_makes_the_credit_record(participant, reviewer, users, as_user):
    filed = report(participant, reviewer)
    detail = reverse("evaluations:fraud_detail", args=[filed.pk])
    response = as_user(users["city_admin"]).post(
        reverse("evaluations:fraud_decide", args=[filed.pk]), decide_data())
    assert (response.status_code, response["Location"]) == (302, detail)
    filed.refresh_from_db()
    participant.refresh_from_db()
    record = CreditRecord.objects.get()
    assert (filed.status, participant.fraud_confirmed_at is not None, record.person_name,
            record.person_role) == (FraudStatus.CONFIRMED, True, "张三", "法定代表人")
    page = as_user(reviewer).get(detail)
    assert page.context["decision_form"] is None
    assert 'data-testid="credit-record"' in page.content.decode()


def test_fraud_decide_confirm_without_the_tick_keeps_what_was_typed(participant, reviewer,
                                                                    users, as_user):
    filed = report(participant, reviewer)
    response = as_user(users["city_admin"]).post(
        reverse("evaluations:fraud_decide", args=[filed.pk]),
        decide_data(irreversible="", reason="证据链完整", person_name="王五"))
    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["decision_form"].errors) == ["irreversible"]
    assert "证据链完整</textarea>" in html and 'value="王五"' in html
    assert (FraudReport.objects.get().status, CreditRecord.objects.count()) == (
        FraudStatus.REPORTED, 0)


def test_fraud_decide_confirm_without_a_person_shows_the_service_refusal(participant, reviewer,
                                                                         users, as_user):
    filed = report(participant, reviewer)
    response = as_user(users["city_admin"]).post(
        reverse("evaluations:fraud_decide", args=[filed.pk]),
        decide_data(person_name="", reason="证据链完整"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Name the responsible person." in html and "证据链完整</textarea>" in html
    assert CreditRecord.objects.count() == 0


def test_fraud_decide_dismiss_needs_no_person_and_makes_no_record(participant, reviewer, users,
                                                                  as_user):
    filed = report(participant, reviewer)
    response = as_user(users["city_admin"]).post(
        reverse("evaluations:fraud_decide", args=[filed.pk]),
        {"decision": "dismiss", "reason": "口径差异", "person_name": "", "person_role": ""})
    assert response.status_code == 302
    filed.refresh_from_db()
    assert (filed.status, CreditRecord.objects.count()) == (FraudStatus.DISMISSED, 0)
    assert message_texts(response) == ["The fraud report was dismissed."]


def test_fraud_list_shows_a_district_only_its_own_reports(cycle, participant, other_institution,
                                                          users, as_user):
    other = Participant.objects.get(cycle=cycle, institution=other_institution)
    mine = report(participant, users["district_reviewer"], description="鼓楼的报告")
    theirs = report(other, users["district_reviewer_other"], description="云龙的报告")
    listed = as_user(users["district_reviewer"]).get(reverse("evaluations:fraud_list"))
    assert [r.pk for r in listed.context["page"]] == [mine.pk]
    everything = as_user(users["city_admin"]).get(reverse("evaluations:fraud_list"))
    assert {r.pk for r in everything.context["page"]} == {mine.pk, theirs.pk}


# --- Credit records -------------------------------------------------------------------------

def confirmed(participant, reviewer, admin, person: str):
    filed = report(participant, reviewer)
    return fraud_report_decide(report=filed, confirm=True, reason="证据确凿",
                               person_name=person, person_role="法定代表人", actor=admin)


def test_credit_record_list_newest_first_and_by_year(cycle, participant, sibling_institution,
                                                     users, as_user):
    admin = users["city_admin"]
    sibling = Participant.objects.get(cycle=cycle, institution=sibling_institution)
    confirmed(participant, users["district_reviewer"], admin, "张三")
    confirmed(sibling, users["district_reviewer"], admin, "李四")
    CreditRecord.objects.filter(person_name="张三").update(
        recorded_on=TODAY() - dt.timedelta(days=3))
    url = reverse("evaluations:credit_record_list")
    response = as_user(admin).get(url)
    assert [r.person_name for r in response.context["page"]] == ["李四", "张三"]
    html = response.content.decode()
    assert participant.institution.credit_code in html and "法定代表人" in html
    # A record of an earlier cycle: each year lists its own.
    earlier = CycleFactory(year=cycle.year - 2, policy_version=cycle.policy_version)
    CreditRecord.objects.filter(person_name="张三").update(cycle=earlier)
    by_year = {year: [r.person_name for r in as_user(admin).get(url, {"year": year})
                      .context["page"]] for year in (cycle.year, earlier.year)}
    assert by_year == {cycle.year: ["李四"], earlier.year: ["张三"]}


# --- Query counts ---------------------------------------------------------------------------

def _count(client, url: str) -> int:
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow_notices(participants, reviewer, n: int) -> None:
    """``n`` more notices spread over ``participants``."""
    for k in range(n):
        issue(participants[k % len(participants)], reviewer, problems=f"问题{k}")


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer", "institution_filer"])
def test_rectification_pages_make_as_many_queries_with_more_notices_and_answers(
        cycle, participant, users, reviewer, filer, role, as_user):
    notice = issue(participant, reviewer)
    client = as_user(users[role])
    list_url = reverse("evaluations:rectification_list")
    detail_url = reverse("evaluations:rectification_detail", args=[notice.pk])

    def answer_round(k: int) -> None:
        answer = rectification_answer(
            rectification=Rectification.objects.get(pk=notice.pk), text=f"第{k}次整改",
            uploads=[upload(f"材料{k}.pdf"), upload(f"照片{k}.png", PNG)], actor=filer)
        rectification_decide(answer=answer, accepted=False, comment="仍不完整", actor=reviewer)

    answer_round(0)
    small = (_count(client, list_url), _count(client, detail_url))
    _grow_notices([participant, *Participant.objects.filter(cycle=cycle)], reviewer, 12)
    for k in range(1, 8):
        answer_round(k)
    assert RectificationAnswer.objects.filter(rectification=notice).count() == 8
    assert (_count(client, list_url), _count(client, detail_url)) == small


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer"])
def test_fraud_and_credit_pages_make_as_many_queries_with_more_reports(
        cycle, participant, sibling_institution, users, reviewer, role, as_user):
    admin = users["city_admin"]
    filed = report(participant, reviewer)
    client = as_user(users[role])
    urls = [reverse("evaluations:fraud_list"),
            reverse("evaluations:fraud_detail", args=[filed.pk])]
    if role == "city_admin":
        urls.append(reverse("evaluations:credit_record_list"))
    confirmed(participant, reviewer, admin, "张三")
    small = [_count(client, url) for url in urls]
    sibling = Participant.objects.get(cycle=cycle, institution=sibling_institution)
    later = [fraud_report_file(participant=sibling, kind=FraudKind.FABRICATED,
                               description=f"第{k}份报告", actor=reviewer,
                               uploads=[upload(f"证据{k}-{j}.pdf") for j in range(3)])
             for k in range(10)]
    for k, filed_later in enumerate(later[:6]):  # 3 confirmed (3 more credit records), 3 not
        fraud_report_decide(report=filed_later, confirm=k % 2 == 0, reason="决定",
                            person_name="李四", person_role="负责人", actor=admin)
    assert CreditRecord.objects.count() == 4
    FraudEvidenceFile.objects.bulk_create([
        FraudEvidenceFile(report=filed, file=filed.files.first().file.name,
                          original_name=f"补充{k}.pdf", kind="pdf", size=len(PDF),
                          sha256="0" * 64, uploaded_by=reviewer) for k in range(20)])
    assert [_count(client, url) for url in urls] == small
