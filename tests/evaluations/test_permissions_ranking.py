"""The ranking, summary and decision pages × every role (the rows join
``tests/test_permission_matrix.py``'s coverage check).

Objects, seen from the accounts of the ``users`` fixture — each is a district review of the
2025 cycle in its preliminary review, ranked, with a generated summary and its stamped scan:
- ``own``: the review of 鼓楼区, the district of ``district_reviewer`` (and of the
  institution accounts' own institution);
- ``other_district``: the review of 云龙区, the district of ``district_reviewer_other``;
- ``missing``: a primary key that does not exist.

City staff see every district's pages read-only (200 on pages, 403 on the district's
actions); the district's reviewers see and act on their own; only the city administrator
decides. Everybody else — the other district, experts, institutions — gets 404, exactly as for
a missing review. The district's reviewers may read the city's decision page too (it shows
nothing their own summary page does not). Anonymous visitors go to the login page.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import (
    DistrictReview,
    DistrictSummaryFile,
    Participant,
    RankingRevision,
)
from evaluations.services.preliminary import summary_scan_upload
from tests.evaluations.preliminary_setup import (
    district_review,
    open_preliminary_review,
    rank_by_score,
)
from tests.evaluations.ranking_setup import (
    generated_summary,
    ranking_data,
    scored,
)
from tests.evaluations.self_evaluation_setup import upload
from tests.test_permission_matrix import (
    CITY_STAFF,
    LOGIN,
    MISSING_PK,
    ROLES,
    XLSX,
    Row,
    _outcome,
    outcomes,
)

PDF_TYPE = "application/pdf"
HTML = "text/html"
OBJECTS = ("own", "other_district", "missing")

# Who may see each district review (evaluations.view_district_review through
# district_reviews_for_user).
VIEW = {
    "own": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer"), 200)),
    "other_district": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer_other"),
                                                    200)),
    "missing": outcomes(404),
}
# Who may change the district's ranking and summary (evaluations.review_district).
REVIEWERS = {"own": ("district_reviewer",), "other_district": ("district_reviewer_other",),
             "missing": ()}
# Who decides on a submitted summary (evaluations.decide_district_review).
DECIDERS = {"own": ("city_admin",), "other_district": ("city_admin",), "missing": ()}


def acting(obj: str, outcome, actors: dict) -> dict:
    """Those who see the review but may not act get 403; those who may act get ``outcome``;
    the rest keep the 404 (or the login redirect) of ``VIEW``."""
    return {role: (outcome if role in actors[obj] else 403) if seen == 200 else seen
            for role, seen in VIEW[obj].items()}


PAGES = (
    ("evaluations:ranking", None),
    ("evaluations:district_summary", None),
    ("evaluations:district_review_detail", None),
    ("evaluations:district_summary_excel", XLSX),
    ("evaluations:district_summary_status", HTML),
    ("evaluations:district_summary_file", PDF_TYPE),
    ("evaluations:district_summary_scan_file", PDF_TYPE),
)
DISTRICT_ACTIONS = ("evaluations:district_summary_request", "evaluations:district_summary_scan",
                    "evaluations:district_review_submit")
CITY_ACTIONS = ("evaluations:district_review_accept", "evaluations:district_review_return")

GET_ROWS = [
    # Pages and files: everyone who may see the district review.
    *[Row(name, VIEW[obj], obj, content_type=content_type)
      for name, content_type in PAGES for obj in OBJECTS],
    # Actions are POSTs: a GET by whoever may act is 405, by whoever may only look 403.
    *[Row(name, acting(obj, 405, REVIEWERS), obj)
      for name in DISTRICT_ACTIONS for obj in OBJECTS],
    *[Row(name, acting(obj, 405, DECIDERS), obj) for name in CITY_ACTIONS for obj in OBJECTS],
]

SUMMARY_URLS = ("evaluations:district_summary_status", "evaluations:district_summary_file",
                "evaluations:district_summary_scan", "evaluations:district_summary_scan_file")


@pytest.fixture
def reviews(users, default_policy, private_media, gulou, yunlong, institution,
            sibling_institution, other_institution) -> dict:
    """Each matrix object's district review, ranked, with a stamped summary."""
    cycle = open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])
    found = {}
    for obj, district, reviewer, scores in (
            ("own", gulou, users["district_reviewer"], [80, 70]),
            ("other_district", yunlong, users["district_reviewer_other"], [75])):
        review = district_review(cycle, district)
        scored(review, scores)
        rank_by_score(review, reviewer)
        summary_file = summary_scan_upload(summary=generated_summary(review, reviewer),
                                           upload=upload("盖章.pdf"), actor=reviewer)
        found[obj] = {"review": review, "summary": summary_file}
    return found


def url_of(name: str, obj: str, reviews: dict) -> str:
    found = reviews.get(obj)
    kind = "summary" if name in SUMMARY_URLS else "review"
    return reverse(name, kwargs={"pk": found[kind].pk if found else MISSING_PK})


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_ranking_pages_give_expected_outcome_for_every_role(row, users, reviews, client_for):
    url = url_of(row.name, row.obj, reviews)
    login_url = reverse("login")
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, reviews, login_url)
              for role in ROLES}
    assert actual == row.expected


def _state() -> dict:
    """Everything the ranking, summary and decision actions may change."""
    return {
        "reviews": list(DistrictReview.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "summaries": list(DistrictSummaryFile.objects.order_by("pk").values()),
        "rankings": list(RankingRevision.objects.order_by("pk").values()),
    }


def _post_data(name: str, obj: str, reviews: dict) -> dict:
    if name == "evaluations:ranking" and obj in reviews:
        review = reviews[obj]["review"]
        order = list(reversed(review.participants.order_by("rank").values_list("pk", flat=True)))
        return ranking_data(order, revision=review.revision, reasons=dict.fromkeys(order, "改"),
                            ties=set(order))
    if name == "evaluations:district_summary_scan":
        return {"scan": upload("篡改.pdf")}
    if name == "evaluations:district_review_return":
        return {"reason": "篡改"}
    return {"confirm": "on"}


ACTIONS = ("evaluations:ranking", *DISTRICT_ACTIONS, *CITY_ACTIONS)
DISTRICT_ONLY = ("evaluations:ranking", *DISTRICT_ACTIONS)


CASES = (("anonymous", "own"), ("city_admin", "own"), ("panel_organiser", "own"),
         ("expert", "own"), ("district_reviewer", "own"), ("district_reviewer", "other_district"),
         ("district_reviewer", "missing"), ("district_reviewer_other", "own"),
         ("institution_filer", "own"), ("institution_admin", "own"),
         ("institution_filer_other", "other_district"))
# Every action × every role and object where it must be refused (the allowed ones are the
# journeys of test_ranking_views).
REFUSED = [(name, role, obj) for name in ACTIONS for role, obj in CASES
           if role not in (DECIDERS if name in CITY_ACTIONS else REVIEWERS)[obj]]


@pytest.mark.parametrize("name, role, obj", REFUSED)
def test_ranking_post_is_refused_and_changes_nothing(name, role, obj, users, reviews,
                                                     client_for):
    seen = VIEW[obj][role]
    expected = 403 if seen == 200 else seen
    url = url_of(name, obj, reviews)
    before = _state()
    response = client_for(users.get(role)).post(url, _post_data(name, obj, reviews))
    outcome = LOGIN if response.status_code == 302 and response["Location"].startswith(
        reverse("login")) else response.status_code
    assert (outcome, _state()) == (expected, before)
