"""The journey of issue 8 §5: the city administrator opens a district reviewer's account, the
reviewer sets its password from the e-mailed link and logs in, finds the reports to review in
its to-do list, reviews one claim, and reads that action in the audit log, in Chinese."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from evaluations.models import ClaimReview, Participant
from institutions.enums import Role
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.evaluations.review_setup import give_answer, give_evidence, indicators_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Yunlong-lake-2026"
CLAIM_COMMENT = "团队名单与劳动合同一致。"
# Each step's screenshot, in a folder of its own: other runs share test-results/.
SCREENSHOTS = Path(tempfile.gettempdir()) / "account-todo-audit-journey"


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def participant(users, default_policy, settings, tmp_path, institution, sibling_institution):
    """鼓楼区 in the 2025 preliminary review with two submitted reports; the first answers its
    first indicator with evidence."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_preliminary_review(users["city_admin"],
                                    submitted=[institution, sibling_institution])
    participant = Participant.objects.get(cycle=cycle, institution=institution)
    first = indicators_of(participant)[0]
    give_evidence(give_answer(participant, first, narrative="团队由18人增至23人。",
                              self_score="2.5"), users["institution_filer"], name="团队名单")
    return participant


def _open_user_menu(page) -> None:
    page.get_by_test_id("user-menu").click()
    expect(page.locator(".dropdown-menu.show")).to_be_visible()


def test_new_district_reviewer_acts_on_its_todo_and_reads_it_in_the_audit_log(
        page, live_server, users, participant, login, shot, settings):
    # The e-mailed link points at the site the test serves.
    settings.SITE_URL = live_server.url
    institution = participant.institution
    indicator = indicators_of(participant)[0]

    # The city administrator opens the reviewer's account from the user menu.
    login(page, "city", PASSWORD)
    _open_user_menu(page)
    page.get_by_test_id("nav-accounts").click()
    expect(page.locator("main h1")).to_have_text("账号管理")
    page.get_by_test_id("account-create-link").click()
    page.fill("#id_username", "gulou_chen")
    page.fill("#id_full_name", "陈审核")
    page.fill("#id_email", "chen@example.cn")
    page.select_option("#id_role", Role.DISTRICT_REVIEWER)
    page.select_option("#id_district", label="鼓楼区")
    shot(page, "todo-audit-01-create-reviewer")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("chen@example.cn")
    expect(page.get_by_test_id("account-role")).to_have_text("地区科技部门审核员")
    shot(page, "todo-audit-02-reviewer-created")
    _open_user_menu(page)
    page.locator(".dropdown-menu.show").get_by_role("button", name="退出登录").click()
    expect(page.get_by_test_id("logged-out")).to_be_visible()

    # The reviewer sets its password from the e-mail and logs in.
    # (The set-up's stage openings mailed the other accounts before.)
    [message] = [m for m in mail.outbox if m.to == ["chen@example.cn"]]
    link = re.search(rf"{re.escape(live_server.url)}/accounts/reset/\S+/",
                     message.body).group(0)
    page.goto(link)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    shot(page, "todo-audit-03-set-password")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_be_visible()
    login(page, "gulou_chen", NEW_PASSWORD)
    expect(page.get_by_test_id("user-menu")).to_contain_text("陈审核")

    # Its home lists the two reports to review; the item leads to the district's reports.
    todo = page.get_by_test_id("todo")
    expect(todo.get_by_test_id("todo-item")).to_have_count(1)
    item = todo.get_by_test_id("todo-item")
    expect(item.get_by_test_id("todo-link")).to_have_text("2025年度初评：待审核的自评报告")
    expect(item.get_by_test_id("todo-count")).to_have_text("2")
    shot(page, "todo-audit-04-reviewer-home")
    item.get_by_test_id("todo-link").click()
    expect(page).to_have_url(
        re.compile(rf"/preliminary/{participant.district_review_id}/reports/$"))
    shot(page, "todo-audit-05-reports")

    # One claim supported with its score: saved with htmx.
    page.get_by_test_id(f"participant-{institution.credit_code}") \
        .get_by_test_id("to-review").click()
    claim = page.get_by_test_id(f"claim-{indicator.code}")
    claim.locator("[data-claim-verdict][value=supported]").check()
    claim.locator("[data-claim-score]").fill("2.5")
    claim.locator("textarea").fill(CLAIM_COMMENT)
    claim.get_by_test_id("claim-save").click()
    expect(page.get_by_test_id(f"claim-{indicator.code}").get_by_test_id("claim-saved")) \
        .to_be_visible()
    page.get_by_test_id(f"claim-{indicator.code}").scroll_into_view_if_needed()
    shot(page, "todo-audit-06-claim-saved", full_page=False)  # the report runs 24 claims long
    saved = ClaimReview.objects.get(participant=participant, indicator=indicator)
    assert (saved.verdict, str(saved.score), saved.updated_by.username) == (
        "supported", "2.50", "gulou_chen")

    # The audit log, from the navigation, names the reviewer, the action and the claim.
    page.get_by_role("navigation").get_by_role("link", name="操作日志").click()
    expect(page.locator("main h1")).to_have_text("操作日志")
    shot(page, "todo-audit-07-audit-log")
    # The row of the verdict (today the first save of a claim also writes a 新建 row of
    # its empty record before the 修改 that fills it).
    row = page.get_by_test_id("audit-row").filter(has_text="申报内容审核") \
        .filter(has_text="审核结论")
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(1)).to_have_text("陈审核")
    expect(cells.nth(2)).to_have_text(re.compile("^(新建|修改)$"))
    expect(cells.nth(3)).to_have_text("申报内容审核")
    expect(cells.nth(4)).to_have_text(f"2025年度绩效评价 · {institution.name} · {indicator.code}")
    expect(cells.nth(5)).to_have_text("2025年度绩效评价")
    expect(cells.nth(6)).to_have_text(f"{institution.name}鼓楼区")
    for text in ("审核结论", "予以采纳", "得分", "2.5", "意见", CLAIM_COMMENT):
        expect(cells.nth(7)).to_contain_text(text)
    for raw in ("None", "institutions.", "evaluations.", "supported"):
        expect(row).not_to_contain_text(raw)
