"""The ranking, summary and decision pages make as many SQL queries for a district of 12
participants as for one of 3."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Participant, Rectification, SiteVisit
from evaluations.services.preliminary import summary_scan_upload
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
)
from tests.evaluations.ranking_setup import generated_summary, scored
from tests.evaluations.self_evaluation_setup import upload

MAX_QUERIES = 30


def _count(client, url: str) -> int:
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _busy(review, reviewer, scores):
    """A district scored (with two equal scores), ranked, with a site visit and an open
    rectification notice for each participant and a stamped summary."""
    participants = scored(review, scores)
    rank_by_score(review, reviewer)
    for participant in participants:
        SiteVisit.objects.create(participant=participant, visited_on=dt.date(2025, 4, 1),
                                 visitors="张三、李四", findings="研发场地与申报一致",
                                 recorded_by=reviewer)
        Rectification.objects.create(participant=participant, problems="补充研发费用凭证",
                                     deadline=dt.date(2025, 5, 1), issued_by=reviewer)
    Participant.objects.filter(pk=participants[0].pk).update(comment="运行规范")
    summary_scan_upload(summary=generated_summary(review, reviewer), upload=upload("盖章.pdf"),
                        actor=reviewer)


@pytest.fixture
def districts(users, default_policy, private_media, gulou, yunlong, institution,
              sibling_institution, other_institution):
    """鼓楼区 with 3 participants, 云龙区 with 12, both in the same state."""
    small = [institution, sibling_institution, *add_institutions(gulou, 1)]
    large = [other_institution, *add_institutions(yunlong, 11)]
    cycle = open_preliminary_review(users["city_admin"], submitted=[*small, *large])
    gulou_review, yunlong_review = district_review(cycle, gulou), district_review(cycle, yunlong)
    _busy(gulou_review, users["district_reviewer"], [90, 80, 80])
    _busy(yunlong_review, users["district_reviewer_other"], [90 - k for k in range(11)] + [80])
    assert (gulou_review.participants.count(), yunlong_review.participants.count()) == (3, 12)
    return gulou_review, yunlong_review


PAGES = ("evaluations:ranking", "evaluations:district_summary",
         "evaluations:district_review_detail")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["district_reviewer", "city_admin"])
def test_ranking_page_query_count_does_not_grow(districts, users, client_for, page, role):
    small, large = districts
    if role == "district_reviewer":
        counts = (_count(client_for(users["district_reviewer"]), reverse(page, args=[small.pk])),
                  _count(client_for(users["district_reviewer_other"]),
                         reverse(page, args=[large.pk])))
    else:
        client = client_for(users[role])
        counts = (_count(client, reverse(page, args=[small.pk])),
                  _count(client, reverse(page, args=[large.pk])))
    assert counts[0] == counts[1] <= MAX_QUERIES
