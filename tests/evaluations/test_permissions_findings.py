"""The findings pages (rectification, fraud, credit records) × every role; the rows join
``tests/test_permission_matrix.py``'s coverage check.

Objects, seen from the accounts of the ``users`` fixture — each is a participant of the 2025
cycle in its preliminary review, with a rectification notice answered with a file, and a fraud
report with an evidence file:
- ``own``: ``institution`` (鼓楼区), bound to ``institution_filer`` and ``institution_admin``;
- ``same_district``: ``sibling_institution``, another 鼓楼区 institution with no account;
- ``other_district``: ``other_institution`` (云龙区), bound to ``institution_filer_other``;
- ``missing``: a primary key that does not exist.

City staff see everything; a district sees its own district's notices and reports and acts on
them; an institution sees its own notices only and never a fraud report. Whatever a user may
not see is a 404, exactly like a missing object; anonymous visitors go to the login page.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.enums import FraudKind
from evaluations.models import (
    CreditRecord,
    FraudEvidenceFile,
    FraudReport,
    Participant,
    Rectification,
    RectificationAnswer,
    RectificationFile,
)
from evaluations.services.findings import (
    fraud_report_file,
    rectification_answer,
    rectification_issue,
)
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.evaluations.self_evaluation_setup import PDF, upload
from tests.test_permission_matrix import (
    CITY_STAFF,
    DISTRICT,
    LOGIN,
    MISSING_PK,
    OWN_INSTITUTION,
    ROLES,
    Row,
    _outcome,
    only,
    outcomes,
)

PDF_TYPE = "application/pdf"
OBJECTS = ("own", "same_district", "other_district", "missing")
DISTRICT_OF = {"own": "district_reviewer", "same_district": "district_reviewer",
               "other_district": "district_reviewer_other"}

# Rectification notices: the city, the district, the institution's own accounts.
VIEW_RECTIFICATION = {
    "own": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer", *OWN_INSTITUTION),
                                         200)),
    "same_district": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer"), 200)),
    "other_district": outcomes(404, **dict.fromkeys(
        (*CITY_STAFF, "district_reviewer_other", "institution_filer_other"), 200)),
    "missing": outcomes(404),
}
# Participants and fraud reports: the city and the district, never an institution.
VIEW_DISTRICT = {
    obj: outcomes(404, **dict.fromkeys((*CITY_STAFF, DISTRICT_OF[obj]), 200))
    for obj in ("own", "same_district", "other_district")
}
VIEW_DISTRICT["missing"] = outcomes(404)

ANSWERERS = {"own": OWN_INSTITUTION, "other_district": ("institution_filer_other",)}


def acting(seen: dict, actors, outcome) -> dict:
    """Who sees the object but may not act gets 403; who may act gets ``outcome``; the rest
    keep the 404 (or the login redirect) of ``seen``."""
    return {role: (outcome if role in actors else 403) if was == 200 else was
            for role, was in seen.items()}


GET_ROWS = [
    # Lists: the selector decides what they hold; experts have none.
    Row("evaluations:rectification_list",
        only((*CITY_STAFF, *DISTRICT, *OWN_INSTITUTION, "institution_filer_other"), 200)),
    Row("evaluations:fraud_list", only((*CITY_STAFF, *DISTRICT), 200)),
    Row("evaluations:credit_record_list", only(CITY_STAFF, 200)),
    # Pages that show a notice or a report, and the files they hold.
    *[Row("evaluations:rectification_detail", VIEW_RECTIFICATION[obj], obj) for obj in OBJECTS],
    *[Row("evaluations:rectification_file", VIEW_RECTIFICATION[obj], obj, content_type=PDF_TYPE)
      for obj in OBJECTS],
    *[Row("evaluations:fraud_detail", VIEW_DISTRICT[obj], obj) for obj in OBJECTS],
    *[Row("evaluations:fraud_file", VIEW_DISTRICT[obj], obj, content_type=PDF_TYPE)
      for obj in OBJECTS],
    # The district's forms about one of its participants.
    *[Row(name, acting(VIEW_DISTRICT[obj], (DISTRICT_OF.get(obj),), 200), obj)
      for name in ("evaluations:rectification_create", "evaluations:fraud_report_create")
      for obj in OBJECTS],
    # Actions are POSTs: a GET by whoever may act is 405, by whoever may only look 403.
    *[Row("evaluations:rectification_answer",
          acting(VIEW_RECTIFICATION[obj], ANSWERERS.get(obj, ()), 405), obj)
      for obj in OBJECTS],
    *[Row("evaluations:rectification_decide",
          acting(VIEW_RECTIFICATION[obj], (DISTRICT_OF.get(obj),), 405), obj)
      for obj in OBJECTS],
    *[Row("evaluations:fraud_decide", acting(VIEW_DISTRICT[obj], ("city_admin",), 405), obj)
      for obj in OBJECTS],
]


@pytest.fixture
def findings(users, default_policy, private_media, institution, sibling_institution,
             other_institution) -> dict:
    """Each matrix object's participant, its notice answered with a file, and a fraud report
    with an evidence file."""
    actor = users["city_admin"]  # who writes does not matter to who may see
    cycle = open_preliminary_review(
        actor, submitted=[institution, sibling_institution, other_institution])
    found = {}
    for obj, owner in (("own", institution), ("same_district", sibling_institution),
                       ("other_district", other_institution)):
        participant = Participant.objects.get(cycle=cycle, institution=owner)
        notice = rectification_issue(participant=participant, problems="研发投入核算不清",
                                     deadline=cycle.stages.get(stage="preliminary_review")
                                     .closes_on, actor=actor)
        answer = rectification_answer(rectification=notice, text="已整改",
                                      uploads=[upload("整改报告.pdf")], actor=actor)
        report = fraud_report_file(participant=participant, kind=FraudKind.OVERSTATED,
                                   description="研发费用虚报", uploads=[upload("审计底稿.pdf")],
                                   actor=actor)
        found[obj] = {"participant": participant, "rectification": notice, "answer": answer,
                      "rectification_file": answer.files.get(), "fraud": report,
                      "fraud_file": report.files.get()}
    return found


KIND_OF = {
    "evaluations:rectification_create": "participant",
    "evaluations:fraud_report_create": "participant",
    "evaluations:rectification_detail": "rectification",
    "evaluations:rectification_answer": "rectification",
    "evaluations:rectification_decide": "answer",
    "evaluations:rectification_file": "rectification_file",
    "evaluations:fraud_detail": "fraud",
    "evaluations:fraud_decide": "fraud",
    "evaluations:fraud_file": "fraud_file",
}


def url_of(name: str, obj: str | None, findings: dict) -> str:
    if obj is None:
        return reverse(name)
    found = findings.get(obj)
    return reverse(name, kwargs={"pk": found[KIND_OF[name]].pk if found else MISSING_PK})


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_findings_get_gives_expected_outcome_for_every_role(row, users, findings, client_for):
    url = url_of(row.name, row.obj, findings)
    login_url = reverse("login")
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, findings, login_url)
              for role in ROLES}
    assert actual == row.expected


def test_an_institution_never_reads_a_fraud_report_of_its_own(users, findings, client_for):
    client = client_for(users["institution_admin"])
    own = findings["own"]
    pages = [reverse("evaluations:fraud_detail", args=[own["fraud"].pk]),
             reverse("evaluations:fraud_file", args=[own["fraud_file"].pk]),
             reverse("evaluations:fraud_list")]
    assert [client.get(url).status_code for url in pages] == [404, 404, 403]
    # Nor on its notice's page.
    page = client.get(reverse("evaluations:rectification_detail",
                              args=[own["rectification"].pk])).content.decode()
    assert "研发费用虚报" not in page and "fraud" not in page.lower()


def _state() -> dict:
    """Everything a findings action may change."""
    return {
        "rectifications": list(Rectification.objects.order_by("pk").values()),
        "answers": list(RectificationAnswer.objects.order_by("pk").values()),
        "answer_files": RectificationFile.objects.count(),
        "fraud_reports": list(FraudReport.objects.order_by("pk").values()),
        "fraud_files": FraudEvidenceFile.objects.count(),
        "credit_records": CreditRecord.objects.count(),
        "participants": list(Participant.objects.order_by("pk").values("pk",
                                                                         "fraud_confirmed_at")),
    }


def _post_data(name: str) -> dict:
    return {
        "evaluations:rectification_create": {"problems": "篡改", "deadline": "2099-01-01"},
        "evaluations:rectification_answer": {"text": "篡改",
                                             "files": [upload("篡改.pdf", PDF)]},
        "evaluations:rectification_decide": {"decision": "accept", "comment": ""},
        "evaluations:fraud_report_create": {"kind": "fabricated", "description": "篡改",
                                            "files": [upload("篡改.pdf", PDF)],
                                            "confirm": "on"},
        "evaluations:fraud_decide": {"decision": "confirm", "reason": "篡改",
                                     "person_name": "某人", "person_role": "法定代表人",
                                     "irreversible": "on"},
    }[name]


@pytest.mark.parametrize("name, role, obj, status", [
    *[(name, role, obj, status)
      for name in ("evaluations:rectification_create", "evaluations:fraud_report_create")
      for role, obj, status in (
          ("anonymous", "own", LOGIN), ("city_admin", "own", 403),
          ("panel_organiser", "own", 403), ("expert", "own", 404),
          ("district_reviewer_other", "own", 404), ("district_reviewer", "other_district", 404),
          ("institution_admin", "own", 404), ("institution_filer_other", "other_district", 404))],
    *[("evaluations:rectification_answer", role, obj, status)
      for role, obj, status in (
          ("anonymous", "own", LOGIN), ("city_admin", "own", 403),
          ("district_reviewer", "own", 403), ("district_reviewer_other", "own", 404),
          ("expert", "own", 404), ("institution_filer", "same_district", 404),
          ("institution_filer", "other_district", 404),
          ("institution_filer_other", "own", 404))],
    *[("evaluations:rectification_decide", role, obj, status)
      for role, obj, status in (
          ("anonymous", "own", LOGIN), ("city_admin", "own", 403),
          ("panel_organiser", "own", 403), ("institution_admin", "own", 403),
          ("district_reviewer_other", "own", 404), ("district_reviewer", "other_district", 404),
          ("expert", "own", 404), ("institution_filer_other", "own", 404))],
    *[("evaluations:fraud_decide", role, obj, status)
      for role, obj, status in (
          ("anonymous", "own", LOGIN), ("panel_organiser", "own", 403),
          ("district_reviewer", "own", 403), ("district_reviewer_other", "own", 404),
          ("expert", "own", 404), ("institution_admin", "own", 404),
          ("institution_filer_other", "other_district", 404))],
])
def test_findings_post_is_refused_and_changes_nothing(name, role, obj, status, users, findings,
                                                      client_for):
    url = url_of(name, obj, findings)
    before = _state()
    response = client_for(users.get(role)).post(url, _post_data(name))
    outcome = LOGIN if response.status_code == 302 and response["Location"].startswith(
        reverse("login")) else response.status_code
    assert (outcome, _state()) == (status, before)
