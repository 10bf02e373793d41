"""The Content-Security-Policy breaks none of the pages' scripts (issue 9 §2): htmx, Chart.js and
Bootstrap run on three pages that use them, and the browser reports no violation."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from evaluations.models import Indicator
from tests.conftest import PASSWORD
from tests.evaluations.self_evaluation_setup import YEAR, fill, open_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every page before its own scripts (Playwright's init scripts are not subject to the
# page's policy), so that a violation anywhere in the page's life is kept.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def submission(users, default_policy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=users["institution_filer"].institution)
    fill(submission, users["institution_filer"], skip=("1.1",))
    return submission


def _watch(context) -> list[str]:
    """Console messages of ``context``'s pages that report a blocked resource or script."""
    context.add_init_script(RECORD_VIOLATIONS)
    messages: list[str] = []
    context.on("console", lambda message: messages.append(message.text)
               if "Content Security Policy" in message.text else None)
    return messages


def _open(page, url: str) -> None:
    response = page.goto(url)
    assert "default-src 'self'" in response.header_value("content-security-policy")
    page.wait_for_load_state("networkidle")


def test_pages_with_htmx_charts_and_bootstrap_run_under_the_policy(
        browser, browser_context_args, live_server, users, submission, login):
    city = browser.new_context(**browser_context_args)
    city_console = _watch(city)
    page = city.new_page()
    login(page, "city", PASSWORD)

    # 1. The city's home: Chart.js draws the districts' progress.
    _open(page, live_server.url + reverse("home"))
    expect(page.locator("canvas").first).to_be_visible()
    assert page.evaluate("typeof window.Chart") == "function"
    # 2. The progress page: charts, and Bootstrap's navigation menu.
    _open(page, live_server.url + reverse("evaluations:progress", kwargs={"year": YEAR}))
    expect(page.locator("canvas").first).to_be_visible()
    page.get_by_test_id("user-menu").click()
    expect(page.locator(".dropdown-menu.show")).to_be_visible()
    city_violations = page.evaluate("window.cspViolations")

    # 3. An indicator of the self-evaluation: htmx saves it as the filer types.
    filer = browser.new_context(**browser_context_args)
    filer_console = _watch(filer)
    page = filer.new_page()
    login(page, "filer", PASSWORD)
    team = Indicator.objects.get(category__cycle=submission.cycle, code="1.1")
    _open(page, live_server.url + reverse("evaluations:submission_indicator",
                                          kwargs={"pk": submission.pk, "indicator": team.pk}))
    page.fill("#id_narrative", "团队稳定。")
    expect(page.get_by_test_id("save-status")).to_have_text(
        re.compile(r"^\s*已保存 \d\d:\d\d\s*$"), timeout=10_000)
    filer_violations = page.evaluate("window.cspViolations")

    assert (city_violations, filer_violations, city_console, filer_console) == ([], [], [], [])
    city.close()
    filer.close()
