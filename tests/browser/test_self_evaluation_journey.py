"""The self-evaluation journey (Art 9): an institution user fills in two indicators (one saved
by the autosave, one by the Save button), uploads a PDF, reads the completeness list, signs
the pledge, generates the report PDF, uploads its stamped scan, submits, and sees the locked
report with its version."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from evaluations.enums import SubmissionStatus
from evaluations.models import EvidenceFile, Indicator, IndicatorResponse
from tests.conftest import PASSWORD
from tests.evaluations.self_evaluation_setup import PDF, fill, open_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"^\s*(已保存|Saved) \d\d:\d\d\s*$")  # today: the time alone


@pytest.fixture
def submission(users, default_policy, settings, tmp_path):
    """The 2025 cycle opened with the services; ``institution`` (filed 2021) is in its cohort.
    Everything is already answered except indicators 1.1 and 1.4."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=users["institution_admin"].institution)
    fill(submission, users["institution_filer"], skip=("1.1", "1.4"))
    return submission


def test_institution_fills_in_uploads_submits_and_sees_the_locked_report(
        page, live_server, users, submission, login, shot, tmp_path):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    login(page, "instadmin", PASSWORD)
    expect(page.get_by_test_id("submission-card")).to_be_visible()
    shot(page, "self-evaluation-01-home")

    page.get_by_role("link", name=re.compile("^(自评填报|Fill in the self-evaluation)$")).first \
        .click()
    expect(page.get_by_test_id("progress-count")).to_have_text("22 / 24")
    expect(page.get_by_test_id("indicator-1.1").get_by_test_id("not-started")).to_be_visible()
    shot(page, "self-evaluation-02-checklist")

    # Indicator 1.1: typed into, saved by the autosave, then a PDF uploaded.
    page.get_by_test_id("indicator-1.1").get_by_role("link").click()
    page.fill("#id_team_size__y1", "18")
    page.fill("#id_team_size__y2", "23")
    page.fill("#id_team_share__y1", "35")
    page.fill("#id_team_share__y2", "40.5")
    page.fill("#id_narrative", "团队由18人增至23人，核心成员持股比例提高。")
    page.fill("#id_self_score", "2.5")
    expect(page.get_by_test_id("save-status")).to_have_text(SAVED, timeout=10_000)
    expect(page.locator("#revision")).not_to_have_value("0")
    team = Indicator.objects.get(category__cycle=submission.cycle, code="1.1")
    saved = IndicatorResponse.objects.get(submission=submission, indicator=team)
    assert (saved.data["team_share"], saved.narrative) == (
        {"y1": "35", "y2": "40.5"}, "团队由18人增至23人，核心成员持股比例提高。")

    evidence = tmp_path / "人才团队证明材料.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("#id_files", str(evidence))
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("upload-done")).to_contain_text("人才团队证明材料.pdf")
    expect(page.get_by_test_id("evidence-row")).to_have_count(1)
    expect(page.get_by_test_id("indicator-complete")).to_be_visible()
    shot(page, "self-evaluation-03-indicator-saved-and-uploaded")
    assert EvidenceFile.objects.get(response__indicator=team).original_name == \
        "人才团队证明材料.pdf"

    # The completeness list still names what indicator 1.4 lacks.
    page.get_by_test_id("back-to-checklist").click()
    expect(page.get_by_test_id("progress-count")).to_have_text("23 / 24")
    page.get_by_test_id("to-submit").click()
    expect(page.get_by_test_id("gap-1.4")).to_be_visible()
    expect(page.get_by_test_id("gap-list").locator("[data-testid^=gap-]")).to_have_count(1)
    expect(page.get_by_test_id("submit")).to_be_disabled()
    shot(page, "self-evaluation-04-completeness-list")

    # Indicator 1.4, from the completeness list, saved with the Save button.
    page.get_by_test_id("gap-1.4").get_by_role("link").click()
    page.fill("#id_new_staff__y1", "4")
    page.fill("#id_new_staff__y2", "5")
    page.fill("#id_self_score", "3")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("save-status")).to_have_text(SAVED)
    expect(page.get_by_test_id("indicator-complete")).to_be_visible()
    shot(page, "self-evaluation-05-second-indicator")

    page.get_by_test_id("back-to-checklist").click()
    expect(page.get_by_test_id("progress-count")).to_have_text("24 / 24")
    page.get_by_test_id("to-submit").click()
    expect(page.get_by_test_id("no-gaps")).to_be_visible()

    # Pledge, report PDF, stamped scan.
    page.locator("#id_confirm").check()
    page.get_by_test_id("pledge-sign").click()
    expect(page.get_by_test_id("pledge-signed")).to_be_visible()
    page.get_by_test_id("report-generate").click()
    expect(page.get_by_test_id("report-box")).to_have_attribute("data-status", "done",
                                                                timeout=30_000)
    expect(page.get_by_test_id("report-download")).to_be_visible()
    shot(page, "self-evaluation-06-report-generated")
    with page.expect_download() as download:
        page.get_by_test_id("report-download").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"

    scan = tmp_path / "盖章扫描件.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#id_scan", str(scan))
    page.get_by_test_id("scan-upload").click()
    expect(page.get_by_test_id("scan-done")).to_contain_text("盖章扫描件.pdf")
    expect(page.get_by_test_id("submit")).to_be_enabled()
    shot(page, "self-evaluation-07-ready-to-submit")

    # Submit: confirmed once; a double click submits once.
    page.get_by_test_id("submit").dblclick()
    expect(page.get_by_test_id("locked")).to_be_visible()
    assert dialogs and set(dialogs) == {dialogs[0]}
    expect(page.get_by_test_id("submission-status")).to_have_text(re.compile("已提交|Submitted"))
    expect(page.get_by_test_id("versions").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("withdraw")).to_be_visible()
    shot(page, "self-evaluation-08-locked")
    submission.refresh_from_db()
    assert (submission.status, submission.versions.count()) == (SubmissionStatus.SUBMITTED, 1)

    page.get_by_test_id("indicator-1.1").get_by_role("link").click()
    expect(page.locator("#id_narrative")).to_be_disabled()
    expect(page.get_by_test_id("upload")).to_have_count(0)
    shot(page, "self-evaluation-09-locked-indicator")

    page.get_by_test_id("back-to-checklist").click()
    page.get_by_test_id("versions").get_by_role("link", name=re.compile("1")).first.click()
    expect(page.get_by_test_id("version-answer-1.1")).to_contain_text("团队由18人增至23人")
    shot(page, "self-evaluation-10-version")


def test_two_tabs_on_one_indicator_do_not_overwrite_each_other(
        page, context, live_server, users, submission, login, shot):
    login(page, "filer", PASSWORD)
    team = Indicator.objects.get(category__cycle=submission.cycle, code="1.1")
    url = f"{live_server.url}/self-evaluation/{submission.pk}/indicators/{team.pk}/"
    page.goto(url)
    other = context.new_page()
    other.goto(url)

    page.fill("#id_narrative", "第一个标签页的内容")
    expect(page.get_by_test_id("save-status")).to_have_text(SAVED, timeout=10_000)
    other.fill("#id_narrative", "第二个标签页的内容")
    status = other.get_by_test_id("save-status")
    expect(status.locator("[data-state=conflict]")).to_be_visible(timeout=10_000)
    expect(status).to_contain_text(re.compile("filer"))
    expect(other.locator("#id_narrative")).to_have_value("第二个标签页的内容")  # still there
    shot(other, "self-evaluation-11-conflict")
    assert IndicatorResponse.objects.get(submission=submission, indicator=team).narrative == \
        "第一个标签页的内容"

    status.get_by_test_id("reload").click()
    expect(other.locator("#id_narrative")).to_have_value("第一个标签页的内容")
