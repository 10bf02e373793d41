"""The review pages × every role (the rows join ``tests/test_permission_matrix.py``'s coverage
check).

Objects, seen from the accounts of the ``users`` fixture, in the 2025 cycle whose preliminary
review is open:
- ``own``: 鼓楼区's district review, or the participant ``institution`` (鼓楼区, bound to
  ``institution_filer`` and ``institution_admin``);
- ``same_district``: the participant ``sibling_institution`` (鼓楼区, no account);
- ``other_district``: 云龙区's district review, or the participant ``other_institution``
  (云龙区, bound to ``institution_filer_other``);
- ``missing``: a primary key that does not exist.
Each participant has a site visit with one PDF.

The city reads every district (200 on pages, 403 on actions); a district reviewer reads and
acts on its own district; everybody else, the institutions included, gets 404, exactly as for a
missing object. Anonymous visitors go to the login page.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import ClaimReview, Indicator, Participant, SiteVisit, SiteVisitFile
from tests.evaluations.preliminary_setup import district_review, open_preliminary_review
from tests.evaluations.review_setup import give_visit
from tests.evaluations.self_evaluation_setup import PDF, upload
from tests.test_permission_matrix import (
    CITY_STAFF,
    LOGIN,
    MISSING_PK,
    ROLES,
    Row,
    _outcome,
    outcomes,
)

PDF_TYPE = "application/pdf"
PARTICIPANTS = ("own", "same_district", "other_district", "missing")
REVIEWS = ("own", "other_district", "missing")

# The district reviewer of each object's district.
REVIEWER = {"own": "district_reviewer", "same_district": "district_reviewer",
            "other_district": "district_reviewer_other", "missing": None}
# Who may see each object (evaluations.view_district_review through the scoped selectors).
VIEW = {obj: outcomes(404, **dict.fromkeys(CITY_STAFF, 200), **(
    {REVIEWER[obj]: 200} if REVIEWER[obj] else {})) if obj != "missing" else outcomes(404)
    for obj in PARTICIPANTS}


def acting(obj: str, outcome) -> dict:
    """Those who see the object but may not act (the city) get 403; the district's reviewer
    gets ``outcome``; the rest keep the 404 (or the login redirect) of ``VIEW``."""
    return {role: (outcome if role == REVIEWER[obj] else 403) if seen == 200 else seen
            for role, seen in VIEW[obj].items()}


GET_ROWS = [
    *[Row("evaluations:participant_list", VIEW[obj], obj) for obj in REVIEWS],
    *[Row("evaluations:participant_review", VIEW[obj], obj) for obj in PARTICIPANTS],
    *[Row("evaluations:site_visit_file", VIEW[obj], obj, content_type=PDF_TYPE)
      for obj in PARTICIPANTS],
    *[Row("evaluations:site_visit_create", acting(obj, 200), obj) for obj in PARTICIPANTS],
    # Actions are POSTs: a GET by who may act is 405, by who may only look 403.
    *[Row(name, acting(obj, 405), obj)
      for name in ("evaluations:claim_save", "evaluations:participant_comment")
      for obj in PARTICIPANTS],
]


@pytest.fixture
def objects(users, default_policy, private_media, institution, sibling_institution,
            other_institution, gulou, yunlong) -> dict:
    """Each matrix object: its district review, participant and site-visit file."""
    cycle = open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])
    found = {}
    for obj, inst, district in (("own", institution, gulou),
                                ("same_district", sibling_institution, gulou),
                                ("other_district", other_institution, yunlong)):
        participant = Participant.objects.get(cycle=cycle, institution=inst)
        visit = give_visit(participant, users["city_admin"])
        found[obj] = {"review": district_review(cycle, district), "participant": participant,
                      "file": visit.files.get()}
    found["indicator"] = Indicator.objects.filter(category__cycle=cycle).order_by(
        "category__order", "order").first()
    return found


def url_of(name: str, obj: str, objects: dict) -> str:
    found = objects.get(obj)

    def pk(kind: str) -> int:
        return found[kind].pk if found else MISSING_PK

    if name == "evaluations:participant_list":
        kwargs = {"pk": pk("review")}
    elif name == "evaluations:site_visit_file":
        kwargs = {"pk": pk("file")}
    elif name == "evaluations:claim_save":
        kwargs = {"pk": pk("participant"), "indicator_pk": objects["indicator"].pk}
    else:
        kwargs = {"pk": pk("participant")}
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_review_get_gives_expected_outcome_for_every_role(row, users, objects, client_for):
    url = url_of(row.name, row.obj, objects)
    login_url = reverse("login")
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, objects, login_url)
              for role in ROLES}
    assert actual == row.expected


def _state() -> dict:
    """Everything a review action may change."""
    return {
        "participants": list(Participant.objects.order_by("pk").values()),
        "claims": list(ClaimReview.objects.order_by("pk").values()),
        "visits": list(SiteVisit.objects.order_by("pk").values()),
        "visit_files": list(SiteVisitFile.objects.order_by("pk").values()),
    }


def _post_data(name: str, objects: dict) -> dict:
    if name == "evaluations:claim_save":
        prefix = f"claim-{objects['indicator'].pk}"
        return {f"{prefix}-verdict": "supported", f"{prefix}-score": "1",
                f"{prefix}-comment": "", f"{prefix}-revision": 0}
    if name == "evaluations:participant_comment":
        return {"comment": "篡改的意见"}
    return {"visited_on": "2025-01-02", "visitors": "某人", "findings": "篡改",
            "files": [upload("篡改.pdf", PDF)]}


ACTIONS = ("evaluations:claim_save", "evaluations:participant_comment",
           "evaluations:site_visit_create")


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("role, obj, status", [
    ("anonymous", "own", LOGIN),
    ("city_admin", "own", 403),
    ("panel_organiser", "own", 403),
    ("district_reviewer_other", "own", 404),
    ("district_reviewer", "other_district", 404),
    ("district_reviewer", "missing", 404),
    ("expert", "own", 404),
    ("institution_filer", "own", 404),
    ("institution_admin", "own", 404),
    ("institution_filer_other", "other_district", 404),
])
def test_review_post_is_refused_and_changes_nothing(name, role, obj, status, users, objects,
                                                    client_for):
    url = url_of(name, obj, objects)
    before = _state()
    response = client_for(users.get(role)).post(url, _post_data(name, objects))
    outcome = LOGIN if response.status_code == 302 and response["Location"].startswith(
        reverse("login")) else response.status_code
    assert (outcome, _state()) == (status, before)


@pytest.mark.parametrize("name", ACTIONS)
def test_review_post_by_the_districts_reviewer_changes_the_state(name, users, objects,
                                                                 client_for):
    """The counterpart of the refusals above: the same POST by the reviewer of the district
    goes through (so the refusals are not an accident of the data)."""
    url = url_of(name, "own", objects)
    before = _state()
    response = client_for(users["district_reviewer"]).post(url, _post_data(name, objects))
    assert (response.status_code, _state() != before) == (302, True)
