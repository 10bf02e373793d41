"""The self-evaluation services (Art 9): answering, completeness, the pledge, the generated
report and its stamped scan, submitting, withdrawing, extensions — and every refusal."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone, translation

from evaluations import completeness
from evaluations.enums import ReportStatus, SubmissionStatus
from evaluations.models import EvidenceFile, Indicator, IndicatorResponse, SubmissionVersion
from evaluations.services.self_evaluation import (
    EditConflict,
    evidence_delete,
    evidence_upload,
    extension_grant,
    report_request,
    report_scan_upload,
    response_save,
    submission_editable_problem,
    submission_gaps,
    submission_pledge,
    submission_snapshot,
    submission_submit,
    submission_submit_problems,
    submission_withdraw,
)
from institutions.exceptions import DomainError
from institutions.models import Notification
from tests.evaluations.self_evaluation_setup import (
    answer,
    fill,
    generated_report,
    ready_to_submit,
    upload,
    valid_data,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def indicator(submission, code: str) -> Indicator:
    return Indicator.objects.prefetch_related("fields").get(category__cycle=submission.cycle,
                                                            code=code)


def past_deadline(submission) -> None:
    """Move the report's deadline to yesterday (the stage date itself is not checked here)."""
    submission.deadline = timezone.localdate() - dt.timedelta(days=1)
    submission.save(update_fields=["deadline"])


# --- Answering --------------------------------------------------------------------------------

def test_response_save_stores_answer_and_starts_report(submission, filer):
    team = indicator(submission, "1.1")
    saved = response_save(submission=submission, indicator=team,
                          data={"team_size": {"y1": "12", "y2": "15"}, "unknown": {"y1": "x"}},
                          narrative="团队稳定。", self_score="2.5", revision=0, actor=filer)
    saved.refresh_from_db()
    submission.refresh_from_db()
    assert (saved.data, saved.narrative, saved.self_score, saved.revision, saved.updated_by,
            submission.status) == (
        {"team_size": {"y1": "12", "y2": "15"}}, "团队稳定。", Decimal("2.50"), 1, filer,
        SubmissionStatus.IN_PROGRESS)


def test_response_save_keeps_invalid_values_of_a_draft_and_lists_them(submission, filer):
    team = indicator(submission, "1.1")
    response_save(submission=submission, indicator=team,
                  data={"team_size": {"y1": "十二", "y2": "12"},
                        "team_share": {"y1": "130", "y2": "30"}},
                  narrative="", self_score="", revision=0, actor=filer)
    assert IndicatorResponse.objects.get(submission=submission, indicator=team).data == {
        "team_size": {"y1": "十二", "y2": "12"}, "team_share": {"y1": "130", "y2": "30"}}
    gaps = [g.message for g in submission_gaps(submission) if g.code == "1.1"]
    assert gaps == [
        "人才团队人数（人） for 2023: not a number.",
        "团队持股比例（%） for 2023: must be at most 100.",
        "The self-assessed score is missing.",
        "Evidence is required: upload at least one file.",
    ]


def test_response_save_with_stale_revision_is_a_conflict_and_overwrites_nothing(submission,
                                                                               filer, inst_admin):
    team = indicator(submission, "1.1")
    answer(submission, team, filer, narrative="第一个标签页", revision=0)
    with pytest.raises(EditConflict) as raised:
        answer(submission, team, inst_admin, narrative="第二个标签页", revision=0)
    stored = IndicatorResponse.objects.get(submission=submission, indicator=team)
    assert (stored.narrative, stored.revision, stored.updated_by) == ("第一个标签页", 1, filer)
    assert str(raised.value).startswith("filer saved this indicator at ")
    assert raised.value.response.pk == stored.pk


@pytest.mark.parametrize("score, message", [
    ("3.01", "The self-assessed score must be from 0 to 3.00."),
    ("-1", "The self-assessed score must be from 0 to 3.00."),
    ("abc", "The self-assessed score must be a number."),
    ("NaN", "The self-assessed score must be a number."),
])
def test_response_save_refuses_a_score_outside_the_points(submission, filer, score, message):
    with pytest.raises(DomainError) as raised:
        answer(submission, indicator(submission, "1.1"), filer, self_score=score)
    assert str(raised.value) == message
    assert not IndicatorResponse.objects.filter(submission=submission).exists()


def test_response_save_after_deadline_is_refused(submission, filer):
    past_deadline(submission)
    with pytest.raises(DomainError) as raised:
        answer(submission, indicator(submission, "1.1"), filer)
    assert str(raised.value) == (f"The deadline ({submission.deadline}) has passed.")
    assert not IndicatorResponse.objects.filter(submission=submission).exists()


def test_editing_after_submit_is_refused(submission, filer, inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    submission_submit(submission=submission, actor=filer)
    team = indicator(submission, "1.1")
    refused = "The report is submitted; withdraw it first to change it."
    with pytest.raises(DomainError, match=refused):
        answer(submission, team, filer)
    with pytest.raises(DomainError, match=refused):
        evidence_upload(submission=submission, indicator=team, upload=upload(), actor=filer)
    with pytest.raises(DomainError, match=refused):
        evidence_delete(evidence=EvidenceFile.objects.filter(
            response__submission=submission).first(), actor=filer)
    with pytest.raises(DomainError, match=refused):
        submission_pledge(submission=submission, actor=inst_admin)


def test_extension_lets_editing_resume_after_the_deadline(submission, filer, city_admin):
    past_deadline(submission)
    team = indicator(submission, "1.1")
    with pytest.raises(DomainError):
        answer(submission, team, filer)
    new_deadline = timezone.localdate() + dt.timedelta(days=7)
    extension = extension_grant(submission=submission, new_deadline=new_deadline,
                                reason="系统故障导致无法上传。", actor=city_admin)
    submission.refresh_from_db()
    assert (submission.deadline, extension.reason, submission_editable_problem(submission)) \
        == (new_deadline, "系统故障导致无法上传。", "")
    assert answer(submission, team, filer).revision == 1


def test_extension_needs_a_reason(submission, city_admin):
    with pytest.raises(DomainError, match="A reason is required"):
        extension_grant(submission=submission, new_deadline=submission.deadline
                        + dt.timedelta(days=3), reason="  ", actor=city_admin)


# --- Completeness -----------------------------------------------------------------------------

def test_submission_gaps_lists_every_missing_item_then_none(submission, filer):
    gaps = submission_gaps(submission)
    indicators = Indicator.objects.filter(category__cycle=submission.cycle)
    required_values = sum(2 for i in indicators for f in i.fields.all() if f.required)
    assert len(gaps) == (required_values + indicators.count()
                         + indicators.filter(evidence_required=True).count())
    assert gaps[0] == completeness.Gap(indicator(submission, "1.1").pk, "1.1",
                                       "人才团队人数（人） for 2023 is missing.")
    fill(submission, filer)
    assert submission_gaps(submission) == []


def test_submit_problems_name_the_pledge_and_the_scan(submission, filer):
    fill(submission, filer)
    assert submission_submit_problems(submission) == [
        "The truthfulness pledge is not signed.",
        "Upload the stamped scan of the report generated from the current content (generate "
        "it again after any change).",
    ]


def test_snapshot_digest_changes_with_the_data_so_an_old_scan_no_longer_counts(
        submission, filer, inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    before = completeness.content_digest(submission_snapshot(submission))
    assert submission_submit_problems(submission) == []
    answer(submission, indicator(submission, "1.1"), filer, narrative="补充说明。",
           revision=1)
    after = completeness.content_digest(submission_snapshot(submission))
    assert before != after
    assert submission_submit_problems(submission) == [
        "Upload the stamped scan of the report generated from the current content (generate "
        "it again after any change)."]
    with pytest.raises(DomainError, match="stamped scan"):
        submission_submit(submission=submission, actor=filer)


def test_snapshot_holds_every_answer_and_file(submission, filer):
    team = indicator(submission, "1.1")
    answer(submission, team, filer)
    evidence = evidence_upload(submission=submission, indicator=team, upload=upload("证明.pdf"),
                               actor=filer)
    snapshot = submission_snapshot(submission)
    assert snapshot["answers"][0] == {
        "indicator": "1.1", "data": valid_data(team), "narrative": "评价期内稳步推进。",
        "self_score": "3.00",
        "evidence": [{"name": "证明.pdf", "sha256": evidence.sha256, "size": evidence.size}]}
    assert (snapshot["cycle"], snapshot["institution"], len(snapshot["answers"])) == (
        submission.cycle.year, submission.institution.credit_code,
        Indicator.objects.filter(category__cycle=submission.cycle).count())


# --- Pledge and report -----------------------------------------------------------------------

def test_pledge_is_signed_by_the_institution_admin_only(submission, filer, inst_admin, users):
    with pytest.raises(DomainError, match="Only the institution's administrator"):
        submission_pledge(submission=submission, actor=filer)
    other_admin = users["institution_filer_other"]
    other_admin.role = "institution_admin"
    with pytest.raises(DomainError, match="Only the institution's administrator"):
        submission_pledge(submission=submission, actor=other_admin)
    submission_pledge(submission=submission, actor=inst_admin)
    submission.refresh_from_db()
    assert submission.pledge_accepted_by == inst_admin


def test_report_request_needs_the_pledge_and_a_complete_report(submission, filer, inst_admin):
    with pytest.raises(DomainError, match="pledge must be signed"):
        report_request(submission=submission, actor=filer)
    submission_pledge(submission=submission, actor=inst_admin)
    submission.refresh_from_db()
    with pytest.raises(DomainError, match="incomplete"):
        report_request(submission=submission, actor=filer)


def test_report_request_renders_the_pdf_in_the_task(submission, filer, inst_admin,
                                                    django_capture_on_commit_callbacks):
    fill(submission, filer)
    submission_pledge(submission=submission, actor=inst_admin)
    submission.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(submission=submission, actor=filer)
    report.refresh_from_db()
    assert (report.status, report.progress, report.error) == (ReportStatus.DONE, 100, "")
    assert report.digest == completeness.content_digest(submission_snapshot(submission))
    with report.file.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_scan_of_a_report_not_generated_is_refused(submission, filer):
    report = generated_report(submission, filer)
    report.status = ReportStatus.RUNNING
    report.save()
    with pytest.raises(DomainError, match="not generated yet|尚未生成"):
        report_scan_upload(report=report, upload=upload("扫描.pdf"), actor=filer)


# --- Submitting and withdrawing --------------------------------------------------------------

def test_submit_locks_the_report_as_version_one_and_sends_a_receipt(
        submission, filer, inst_admin, django_capture_on_commit_callbacks):
    report = ready_to_submit(submission, filer, inst_admin)
    with django_capture_on_commit_callbacks(execute=True):
        version = submission_submit(submission=submission, actor=filer)
    submission.refresh_from_db()
    assert (version.number, version.report, version.submitted_by, version.digest,
            submission.status) == (1, report, filer, report.digest,
                                   SubmissionStatus.SUBMITTED)
    assert version.snapshot == submission_snapshot(submission)
    receipts = Notification.objects.filter(subject__startswith="Receipt")
    assert sorted(n.user.username for n in receipts) == ["filer", "instadmin"]
    assert len(mail.outbox) == 2


def test_second_submit_is_refused_not_repeated(submission, filer, inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    submission_submit(submission=submission, actor=filer)
    with pytest.raises(DomainError, match="already been submitted"):
        submission_submit(submission=submission, actor=filer)
    assert SubmissionVersion.objects.filter(submission=submission).count() == 1


def test_incomplete_report_cannot_be_submitted(submission, filer):
    with pytest.raises(DomainError, match="is missing"):
        submission_submit(submission=submission, actor=filer)
    assert not SubmissionVersion.objects.exists()


def test_withdraw_then_resubmit_keeps_both_versions(submission, filer, inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    first = submission_submit(submission=submission, actor=filer)
    submission_withdraw(submission=submission, actor=filer)
    submission.refresh_from_db()
    assert (submission.status, submission.pledge_accepted_at) == (
        SubmissionStatus.IN_PROGRESS, None)
    team = indicator(submission, "1.1")
    answer(submission, team, filer, narrative="撤回后修改。", revision=1)
    submission_pledge(submission=submission, actor=inst_admin)
    submission.refresh_from_db()
    report = generated_report(submission, filer)
    report_scan_upload(report=report, upload=upload("第二次盖章.pdf"), actor=filer)
    second = submission_submit(submission=submission, actor=filer)
    first.refresh_from_db()
    versions = list(submission.versions.order_by("number"))
    assert [(v.number, v.withdrawn_at is not None, v.withdrawn_by) for v in versions] == [
        (1, True, filer), (2, False, None)]
    assert first.snapshot["answers"][0]["narrative"] == "评价期内稳步推进。"
    assert second.snapshot["answers"][0]["narrative"] == "撤回后修改。"
    assert first.digest != second.digest


def test_withdraw_after_deadline_is_refused(submission, filer, inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    submission_submit(submission=submission, actor=filer)
    past_deadline(submission)
    with pytest.raises(DomainError, match="can no longer be withdrawn"):
        submission_withdraw(submission=submission, actor=filer)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


def test_withdraw_of_a_report_not_submitted_is_refused(submission, filer):
    with pytest.raises(DomainError, match="Only a submitted report"):
        submission_withdraw(submission=submission, actor=filer)


def test_submit_after_deadline_is_refused(submission, filer, inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    past_deadline(submission)
    with pytest.raises(DomainError, match="has passed"):
        submission_submit(submission=submission, actor=filer)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.IN_PROGRESS


def test_evidence_delete_after_withdrawal_keeps_the_file_a_submitted_version_lists(
        submission, filer, inst_admin, django_capture_on_commit_callbacks):
    ready_to_submit(submission, filer, inst_admin)
    submission_submit(submission=submission, actor=filer)
    submission_withdraw(submission=submission, actor=filer)
    evidence = EvidenceFile.objects.filter(response__submission=submission).first()
    storage, name = evidence.file.storage, evidence.file.name

    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(evidence=evidence, actor=filer)

    assert (EvidenceFile.objects.filter(pk=evidence.pk).exists(), storage.exists(name)) == (
        False, True)
