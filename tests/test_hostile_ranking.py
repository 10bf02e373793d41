"""Issue 9 §4: a district of 2,000 participants ranks, saves and submits through the views.
The ranking form posts one JSON field instead of two fields a row, which a district of more
than about 500 took past Django's cap of 1,000 fields (400 ``TooManyFieldsSent``)."""
from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse

from bench.bench_preliminary import _populate
from evaluations.enums import DistrictReviewStatus
from tests.evaluations.ranking_setup import ranking_url, render_done, revision_of, rows_of
from tests.evaluations.self_evaluation_setup import upload

PARTICIPANTS = 2000
STATE = re.compile(r'name="ranking" value="([^"]*)"')


@pytest.fixture
def large(db, gulou, default_policy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return _populate(PARTICIPANTS)


def state_of(response) -> dict:
    return json.loads(html.unescape(STATE.search(response.content.decode()).group(1)))


def posted_fields(response) -> set[str]:
    """The names a browser without JavaScript posts from the ranking form."""
    form = response.content.decode().split('id="ranking-form"')[1].split("</form>")[0]
    return set(re.findall(r'\sname="([^"]+)"', form)) | {"csrfmiddlewaretoken"}


def test_ranking_of_2000_participants_saves_and_submits(large, client_for):
    review, reviewer = large
    client = client_for(reviewer)
    page = client.get(ranking_url(review))
    state = state_of(page)
    assert len(state["order"]) == PARTICIPANTS
    # Without JavaScript the form stays under the cap: no input per row.
    assert posted_fields(page) == {"csrfmiddlewaretoken", "revision", "ranking", "move"}

    # The script's post: the last two swapped, with a reason.
    order = state["order"]
    order[-2], order[-1] = order[-1], order[-2]
    reasons = {**state["reasons"], str(order[-2]): "现场核实后上调"}
    saved = client.post(ranking_url(review), {
        "revision": revision_of(page),
        "ranking": json.dumps({"order": order, "reasons": reasons, "ties": state["ties"]})})
    assert saved.status_code == 302
    assert list(review.participants.order_by("rank").values_list("pk", flat=True)) == order
    assert review.participants.get(pk=order[-2]).rank_reason == "现场核实后上调"

    # Without JavaScript: the move button posts the page's JSON, the revision and the move.
    page = client.get(ranking_url(review))
    moved = client.post(ranking_url(review), {
        "revision": revision_of(page), "ranking": html.unescape(
            STATE.search(page.content.decode()).group(1)), "move": f"{order[1]}:up"})
    assert moved.status_code == 200
    assert [pid for pid, _group in rows_of(moved)][:2] == [order[1], order[0]]
    assert 'data-testid="ranking-unsaved"' in moved.content.decode()

    # The summary of the saved ranking, its stamped scan, and the submission.
    client.post(reverse("evaluations:district_summary_request", args=[review.pk]))
    summary_file = render_done(review.summaries.get())
    client.post(reverse("evaluations:district_summary_scan", args=[summary_file.pk]),
                {"scan": upload("盖章汇总表.pdf")})
    submitted = client.post(reverse("evaluations:district_review_submit", args=[review.pk]),
                            {"confirm": "on"})
    assert submitted.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.summary_id) == (DistrictReviewStatus.SUBMITTED,
                                                  summary_file.pk)
