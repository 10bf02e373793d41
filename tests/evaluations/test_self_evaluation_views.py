"""The self-evaluation pages: autosave and its conflicts, uploads that fail without harm,
file headers, the submit page (once only), withdrawing, and the read-only staff view."""
from __future__ import annotations

import re
import urllib.parse

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from evaluations.enums import ReportStatus, SubmissionStatus
from evaluations.models import EvidenceFile, Indicator, IndicatorResponse, SubmissionVersion
from evaluations.services.self_evaluation import evidence_upload, submission_submit
from tests.evaluations.self_evaluation_setup import (
    EXE,
    PDF,
    PNG,
    answer,
    docx_bytes,
    fill,
    generated_report,
    ready_to_submit,
    upload,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def team(submission) -> Indicator:
    return Indicator.objects.prefetch_related("fields").get(category__cycle=submission.cycle,
                                                            code="1.1")


@pytest.fixture
def client(client_for, filer):
    client = client_for(filer)
    client.cookies["django_language"] = "en"
    return client


def form_url(submission, indicator) -> str:
    return reverse("evaluations:submission_indicator", args=[submission.pk, indicator.pk])


def post_data(revision: int, **values) -> dict:
    data = {"revision": revision, "team_size__y1": "12", "team_size__y2": "15",
            "team_share__y1": "30", "team_share__y2": "35", "narrative": "团队稳定。",
            "self_score": "2.5"}
    data.update(values)
    return data


def stored(submission, indicator) -> IndicatorResponse:
    return IndicatorResponse.objects.get(submission=submission, indicator=indicator)


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Autosave ------------------------------------------------------------------------------

def test_autosave_saves_and_returns_the_new_revision(client, submission, team):
    response = client.post(form_url(submission, team), post_data(0), **HTMX)
    assert response.status_code == 200
    saved = stored(submission, team)
    assert (saved.revision, saved.narrative, saved.data["team_share"]) == (
        1, "团队稳定。", {"y1": "30", "y2": "35"})
    html = response.content.decode()
    assert re.search(r'<input type="hidden" name="revision" value="1" id="revision" '
                     r'hx-swap-oob="true">', html)
    # Saved today: the time alone (another day would show its date too).
    assert re.search(r'data-state="saved"><i [^>]*></i> Saved (\d\d:\d\d)</span>', html) \
        .group(1) == f"{timezone.localtime(saved.updated_at):%H:%M}"
    assert 'id="indicator-gaps" data-testid="indicator-gaps" hx-swap-oob="true"' in html


def test_autosave_of_an_unchanged_form_writes_nothing(client, submission, team):
    client.post(form_url(submission, team), post_data(0), **HTMX)
    before = stored(submission, team)
    response = client.post(form_url(submission, team), post_data(1), **HTMX)
    after = stored(submission, team)
    assert (response.status_code, after.revision, after.updated_at) == (
        200, 1, before.updated_at)


def test_stale_tab_gets_a_conflict_and_does_not_overwrite(client, client_for, inst_admin,
                                                          submission, team):
    client.post(form_url(submission, team), post_data(0, narrative="标签页一"), **HTMX)
    other_tab = client_for(inst_admin)
    other_tab.cookies["django_language"] = "en"
    response = other_tab.post(form_url(submission, team), post_data(0, narrative="标签页二"),
                              **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-state="conflict"' in html
    assert "filer saved this indicator at" in html and "Your changes were not saved" in html
    assert "hx-swap-oob" not in html  # the stale copy keeps its revision: no silent retry
    saved = stored(submission, team)
    assert (saved.narrative, saved.revision) == ("标签页一", 1)


def test_stale_tab_with_the_same_content_is_brought_up_to_date(client, submission, team):
    client.post(form_url(submission, team), post_data(0), **HTMX)
    response = client.post(form_url(submission, team), post_data(0), **HTMX)
    assert response.status_code == 200
    assert 'name="revision" value="1"' in response.content.decode()


def test_conflict_without_htmx_shows_the_typed_copy_again(client, client_for, inst_admin,
                                                          submission, team):
    client_for(inst_admin).post(form_url(submission, team), post_data(0, narrative="先保存"))
    response = client.post(form_url(submission, team), post_data(0, narrative="我的草稿"))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="save-error"' in html and "我的草稿</textarea>" in html
    assert stored(submission, team).narrative == "先保存"


def test_invalid_score_is_refused_with_the_reason(client, submission, team):
    response = client.post(form_url(submission, team), post_data(0, self_score="9"), **HTMX)
    assert response.status_code == 422
    assert "The self-assessed score must be from 0 to 3.00." in response.content.decode()
    assert not IndicatorResponse.objects.filter(submission=submission).exists()


def test_save_button_without_htmx_redirects_with_a_message(client, submission, team):
    response = client.post(form_url(submission, team), post_data(0))
    assert response.status_code == 302
    assert response["Location"] == form_url(submission, team)
    assert re.fullmatch(r"Saved at \d\d:\d\d:\d\d\.", message_texts(response)[0])


def test_save_sent_as_the_page_closes_is_kept(client, submission, team):
    response = client.post(form_url(submission, team), post_data(0, beacon="1"))
    assert (response.status_code, stored(submission, team).revision) == (204, 1)
    assert message_texts(response) == []


def test_indicator_form_round_trips_the_revision_and_autosave_triggers(client, submission,
                                                                       team, filer):
    answer(submission, team, filer)
    html = client.get(form_url(submission, team)).content.decode()
    assert '<input type="hidden" name="revision" value="1" id="revision">' in html
    assert 'hx-trigger="input changed delay:2s, every 20s, submit"' in html
    assert 'data-testid="save"' in html


def test_indicator_of_another_cycle_is_404(client, submission, users, default_policy):
    from tests.evaluations.self_evaluation_setup import open_cycle

    other = open_cycle(users["city_admin"], year=2027)
    foreign = Indicator.objects.filter(category__cycle=other).first()
    assert client.get(form_url(submission, foreign)).status_code == 404


# --- Uploads -------------------------------------------------------------------------------

def upload_url(submission, indicator) -> str:
    return reverse("evaluations:evidence_upload", args=[submission.pk, indicator.pk])


def test_upload_of_several_files_lists_the_refused_one_with_the_reason(client, submission,
                                                                       team):
    response = client.post(upload_url(submission, team), {
        "files": [upload("证明一.pdf"), upload("病毒.pdf", EXE), upload("截图.png", PNG)]},
        **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 files uploaded: 证明一.pdf、截图.png" in html
    assert "“病毒.pdf” is not an accepted file" in html
    assert list(EvidenceFile.objects.values_list("original_name", flat=True)) == [
        "证明一.pdf", "截图.png"]


def test_failed_upload_leaves_the_draft_intact(client, submission, team):
    client.post(form_url(submission, team), post_data(0, narrative="上传前的草稿"), **HTMX)
    response = client.post(upload_url(submission, team), {"files": [upload("a.pdf", EXE)]},
                           **HTMX)
    assert 'data-testid="upload-errors"' in response.content.decode()
    saved = stored(submission, team)
    assert (saved.narrative, saved.revision, EvidenceFile.objects.count()) == (
        "上传前的草稿", 1, 0)
    # …and the next autosave of the open form is no conflict.
    assert client.post(form_url(submission, team), post_data(1, narrative="继续"),
                       **HTMX).status_code == 200


def test_upload_without_htmx_redirects_with_messages(client, submission, team):
    response = client.post(upload_url(submission, team), {})
    assert response.status_code == 302
    assert message_texts(response) == ["Choose at least one file to upload."]


def test_delete_with_htmx_returns_the_list_without_the_file(client, submission, team, filer):
    evidence = evidence_upload(submission=submission, indicator=team, upload=upload("删.pdf"),
                               actor=filer)
    response = client.post(reverse("evaluations:evidence_delete", args=[evidence.pk]), **HTMX)
    html = response.content.decode()
    assert "“删.pdf” was deleted." in html and 'data-testid="evidence-row"' not in html
    assert not EvidenceFile.objects.exists()


# --- Files ---------------------------------------------------------------------------------

def test_preview_is_inline_with_the_sanitised_chinese_name(client, submission, team, filer):
    evidence = evidence_upload(submission=submission, indicator=team,
                               upload=upload("../研发 明细.pdf"), actor=filer)
    response = client.get(reverse("evaluations:evidence_preview", args=[evidence.pk]))
    assert response.status_code == 200
    quoted = urllib.parse.quote("研发 明细.pdf")
    assert {key: response[key] for key in ("Content-Type", "Content-Disposition",
                                           "X-Content-Type-Options", "Content-Length")} == {
        "Content-Type": "application/pdf",
        "Content-Disposition": f"inline; filename*=utf-8''{quoted}",
        "X-Content-Type-Options": "nosniff", "Content-Length": str(len(PDF))}
    assert b"".join(response.streaming_content) == PDF


def test_download_is_an_attachment(client, submission, team, filer):
    evidence = evidence_upload(submission=submission, indicator=team, upload=upload("报告.pdf"),
                               actor=filer)
    response = client.get(reverse("evaluations:evidence_download", args=[evidence.pk]))
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{urllib.parse.quote('报告.pdf')}")


def test_office_file_is_never_shown_inline(client, submission, team, filer):
    evidence = evidence_upload(submission=submission, indicator=team,
                               upload=upload("说明.docx", docx_bytes()), actor=filer)
    response = client.get(reverse("evaluations:evidence_preview", args=[evidence.pk]))
    assert response["Content-Type"] == ("application/vnd.openxmlformats-officedocument."
                                        "wordprocessingml.document")
    assert response["Content-Disposition"].startswith("attachment;")


def test_report_and_scan_are_served_with_their_types(client, submission, filer, inst_admin):
    report = ready_to_submit(submission, filer, inst_admin)
    pdf = client.get(reverse("evaluations:report_download", args=[report.pk]))
    scan = client.get(reverse("evaluations:report_scan", args=[report.pk]))
    code = submission.institution.credit_code
    assert (pdf["Content-Type"], pdf["Content-Disposition"]) == (
        "application/pdf", f'attachment; filename="self-evaluation-2025-{code}.pdf"')
    assert (scan["Content-Type"], scan["X-Content-Type-Options"]) == ("application/pdf",
                                                                      "nosniff")
    assert scan["Content-Disposition"].startswith("inline; filename*=utf-8''")


def test_report_not_generated_cannot_be_downloaded(client, submission, filer):
    report = generated_report(submission, filer)
    report.status = ReportStatus.RUNNING
    report.save()
    assert client.get(reverse("evaluations:report_download", args=[report.pk])).status_code \
        == 404


def test_report_box_polls_while_running_and_stops_when_done(client, submission, filer):
    report = generated_report(submission, filer)
    url = reverse("evaluations:report_progress", args=[report.pk])
    assert 'hx-trigger="every 1s"' not in client.get(url).content.decode()
    report.status, report.progress = ReportStatus.RUNNING, 30
    report.save()
    html = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="30"' in html


# --- The checklist and the submit page ------------------------------------------------------

def test_checklist_shows_progress_and_each_indicator_state(client, submission, team, filer):
    fill(submission, filer, skip=("1.2", "1.3"))
    answer(submission, Indicator.objects.get(category__cycle=submission.cycle, code="1.2"),
           filer, data={})
    response = client.get(reverse("evaluations:submission_detail", args=[submission.pk]))
    html = response.content.decode()
    total = Indicator.objects.filter(category__cycle=submission.cycle).count()
    assert f'data-testid="progress-count">{total - 2} / {total}<' in html

    def state(code):
        row = re.search(rf'data-testid="indicator-{re.escape(code)}">(.*?)</tr>', html, re.S)
        return re.search(r'data-testid="(complete|incomplete|not-started)"', row[1])[1]

    assert (state("1.1"), state("1.2"), state("1.3")) == ("complete", "incomplete",
                                                          "not-started")


def test_submit_page_lists_the_gaps_with_links(client, submission, team):
    html = client.get(reverse("evaluations:submission_submit", args=[submission.pk])) \
        .content.decode()
    assert f'href="{form_url(submission, team)}">1.1</a>' in html
    assert "人才团队人数（人） for 2023 is missing." in html
    assert re.search(r'data-testid="submit" disabled', html)


def test_pledge_checkbox_is_required(client_for, submission, inst_admin):
    client = client_for(inst_admin)
    url = reverse("evaluations:submission_pledge", args=[submission.pk])
    client.post(url, {})
    submission.refresh_from_db()
    assert submission.pledge_accepted_at is None
    client.post(url, {"confirm": "on"})
    submission.refresh_from_db()
    assert submission.pledge_accepted_by == inst_admin


def test_double_submit_gives_a_friendly_message_and_one_version(client, submission, filer,
                                                                inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    url = reverse("evaluations:submission_submit", args=[submission.pk])
    first = client.post(url)
    second = client.post(url)
    detail = reverse("evaluations:submission_detail", args=[submission.pk])
    assert (first.status_code, first["Location"], second.status_code, second["Location"]) == (
        302, detail, 302, detail)
    assert message_texts(second)[-1] == "The report has already been submitted."
    assert SubmissionVersion.objects.filter(submission=submission).count() == 1


def test_submit_refused_says_why(client, submission):
    response = client.post(reverse("evaluations:submission_submit", args=[submission.pk]))
    assert response.status_code == 302
    assert "is missing" in message_texts(response)[0]


def test_submitted_report_is_locked_with_versions_and_withdraw(client, submission, team, filer,
                                                               inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    submission_submit(submission=submission, actor=filer)
    html = client.get(reverse("evaluations:submission_detail", args=[submission.pk])) \
        .content.decode()
    assert 'data-testid="locked"' in html and 'data-testid="withdraw"' in html
    assert reverse("evaluations:submission_version", args=[submission.pk, 1]) in html
    form = client.get(form_url(submission, team)).content.decode()
    assert "hx-post" not in form.split('id="answer-form"')[1].split(">")[0]
    assert re.search(r'<textarea name="narrative"[^>]* disabled', form)
    response = client.post(form_url(submission, team), post_data(1), **HTMX)
    assert response.status_code == 422
    version = client.get(reverse("evaluations:submission_version", args=[submission.pk, 1]))
    assert 'data-testid="version-answer-1.1"' in version.content.decode()

    client.post(reverse("evaluations:submission_withdraw", args=[submission.pk]))
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.IN_PROGRESS


def test_staff_see_the_report_read_only(client_for, users, submission, team, filer):
    answer(submission, team, filer)
    reviewer = client_for(users["district_reviewer"])
    html = reviewer.get(form_url(submission, team)).content.decode()
    assert 'data-testid="read-only"' in html and "data-autosave" not in html
    assert 'data-testid="upload"' not in html
    assert reviewer.post(form_url(submission, team), post_data(1), **HTMX).status_code == 403
    assert stored(submission, team).revision == 1


def test_my_submission_redirects_to_the_current_report(client, submission):
    response = client.get(reverse("evaluations:my_submission"))
    assert response["Location"] == reverse("evaluations:submission_detail",
                                           args=[submission.pk])


def test_my_submission_without_a_report_says_so(client_for, users, default_policy):
    response = client_for(users["institution_filer"]).get(reverse("evaluations:my_submission"))
    assert (response.status_code, 'data-testid="no-submission"' in response.content.decode()) \
        == (200, True)


def test_home_card_shows_the_current_report(client, submission):
    html = client.get(reverse("home")).content.decode()
    card = html.split('data-testid="submission-card"')[1]
    assert submission.deadline.isoformat() in card
    assert reverse("evaluations:submission_detail", args=[submission.pk]) in card
