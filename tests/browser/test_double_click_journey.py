"""A double click on a create form (issue 9 §3): the district reviewer double-clicks "send the
notice". The page sends one post and disables the button after the first click; one notice
is sent (the page's one-time token would stop a second one on the server as well)."""
from __future__ import annotations

import pytest

from evaluations.models import Participant, Rectification
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import open_preliminary_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts, across the navigation, the submits that went out and whether the button was
# disabled just after the first one (session storage outlives the page in its tab).
WATCH = """() => document.addEventListener("submit", (event) => {
  if (event.defaultPrevented) return;
  sessionStorage.setItem("sent", String(Number(sessionStorage.getItem("sent") || 0) + 1));
  setTimeout(() => sessionStorage.setItem("disabled", String(
    event.target.querySelector("button[type=submit]").disabled)), 10);
})"""


@pytest.fixture
def participant(users, default_policy, settings, tmp_path, institution, sibling_institution):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_preliminary_review(users["city_admin"],
                                    submitted=[institution, sibling_institution])
    return Participant.objects.get(cycle=cycle, institution=institution)


def test_double_click_on_send_the_notice_sends_one(page, live_server, login, participant):
    login(page, "gulou", PASSWORD)
    page.goto(f"{live_server.url}/preliminary/participants/{participant.pk}/rectifications/new/")
    page.evaluate(WATCH)
    form = page.get_by_test_id("rectification-form")
    form.locator("textarea[name=problems]").fill("补充2023年审计报告")
    form.locator("button[type=submit]").dblclick()
    page.wait_for_url(f"**/preliminary/participants/{participant.pk}/")
    assert page.evaluate("() => [sessionStorage.getItem('sent'), "
                         "sessionStorage.getItem('disabled')]") == ["1", "true"]
    assert Rectification.objects.filter(participant=participant).count() == 1
