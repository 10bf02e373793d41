"""Every self-evaluation page × every role (the rows join ``tests/test_permission_matrix.py``'s
coverage check).

Objects, seen from the accounts of the ``users`` fixture — each is a report of the open 2025
cycle with one evidence file, a generated report with its stamped scan and a version 1:
- ``own``: the report of ``institution`` (鼓楼区), bound to ``institution_filer`` and
  ``institution_admin``;
- ``same_district``: the report of ``sibling_institution``, another 鼓楼区 institution;
- ``other_district``: the report of ``other_institution`` (云龙区), bound to
  ``institution_filer_other``;
- ``missing``: a primary key that does not exist.

City staff and the district see a report read-only (200 on pages, 403 on actions); the
institution's own accounts may act on it; everybody else gets 404, exactly as for a missing
one — evidence files above all. Anonymous visitors go to the login page.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import (
    EvidenceFile,
    Indicator,
    IndicatorResponse,
    ReportFile,
    Submission,
    SubmissionVersion,
)
from evaluations.services.self_evaluation import (
    evidence_upload,
    report_scan_upload,
    submission_snapshot,
)
from tests.evaluations.self_evaluation_setup import (
    PDF,
    generated_report,
    open_cycle,
    upload,
)
from tests.test_permission_matrix import (
    CITY_STAFF,
    LOGIN,
    MISSING_PK,
    OWN_INSTITUTION,
    ROLES,
    Redirect,
    Row,
    _outcome,
    outcomes,
)

PDF_TYPE = "application/pdf"
OBJECTS = ("own", "same_district", "other_district", "missing")

# Who may see each report (evaluations.view_submission through submissions_for_user).
VIEW = {
    "own": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer", *OWN_INSTITUTION),
                                         200)),
    "same_district": outcomes(404, **dict.fromkeys((*CITY_STAFF, "district_reviewer"), 200)),
    "other_district": outcomes(404, **dict.fromkeys(
        (*CITY_STAFF, "district_reviewer_other", "institution_filer_other"), 200)),
    "missing": outcomes(404),
}
# Who may act on each report (evaluations.edit_submission): its institution's accounts.
OWNERS = {"own": OWN_INSTITUTION, "same_district": (),
          "other_district": ("institution_filer_other",), "missing": ()}


def acting(obj: str, outcome, owners=None) -> dict:
    """Those who see the report but may not act get 403; those who may act get ``outcome``;
    the rest keep the 404 (or the login redirect) of ``VIEW``."""
    owners = OWNERS[obj] if owners is None else owners
    return {role: (outcome if role in owners else 403) if seen == 200 else seen
            for role, seen in VIEW[obj].items()}


def pledge_signers(obj: str) -> tuple[str, ...]:
    return ("institution_admin",) if obj == "own" else ()


GET_ROWS = [
    Row("evaluations:my_submission", outcomes(
        403, **dict.fromkeys(OWN_INSTITUTION,
                             Redirect("evaluations:submission_detail", "own")),
        institution_filer_other=Redirect("evaluations:submission_detail", "other_district"))),
    # Pages: everyone who may see the report, read-only for those who may not act.
    *[Row(name, VIEW[obj], obj, content_type=content_type)
      for name, content_type in (
          ("evaluations:submission_detail", None), ("evaluations:submission_indicator", None),
          ("evaluations:submission_submit", None), ("evaluations:submission_version", None),
          ("evaluations:report_progress", "text/html"),
          ("evaluations:evidence_preview", PDF_TYPE),
          ("evaluations:evidence_download", PDF_TYPE),
          ("evaluations:report_download", PDF_TYPE), ("evaluations:report_scan", PDF_TYPE))
      for obj in OBJECTS],
    # The confirmation page of a deletion: only who may delete.
    *[Row("evaluations:evidence_delete", acting(obj, 200), obj) for obj in OBJECTS],
    # Actions are POSTs: a GET by whoever may act is 405, by whoever may only look 403.
    *[Row(name, acting(obj, 405), obj)
      for name in ("evaluations:evidence_upload", "evaluations:report_request",
                   "evaluations:submission_withdraw", "evaluations:report_scan_upload")
      for obj in OBJECTS],
    *[Row("evaluations:submission_pledge", acting(obj, 405, pledge_signers(obj)), obj)
      for obj in OBJECTS],
]


@pytest.fixture
def reports(users, sibling_institution, default_policy, private_media) -> dict:
    """Each matrix object's report, with an evidence file, a stamped report and version 1."""
    actor = users["city_admin"]  # who uploads does not matter to who may see
    cycle = open_cycle(actor)
    indicator = Indicator.objects.get(category__cycle=cycle, code="1.1")
    institutions = {"own": "institution_filer", "other_district": "institution_filer_other"}
    found = {}
    for obj in ("own", "same_district", "other_district"):
        submission = cycle.submissions.get(
            institution=users[institutions[obj]].institution if obj in institutions
            else sibling_institution)
        evidence = evidence_upload(submission=submission, indicator=indicator,
                                   upload=upload("证明材料.pdf"), actor=actor)
        report = report_scan_upload(report=generated_report(submission, actor),
                                    upload=upload("盖章扫描件.pdf"), actor=actor)
        SubmissionVersion.objects.create(submission=submission, number=1,
                                         snapshot=submission_snapshot(submission),
                                         digest=report.digest, report=report,
                                         submitted_by=actor)
        found[obj] = {"submission": submission, "indicator": indicator, "evidence": evidence,
                      "report": report}
    return found


def url_of(name: str, obj: str | None, reports: dict) -> str:
    if obj is None:
        return reverse(name)
    found = reports.get(obj)

    def pk(kind: str) -> int:
        return found[kind].pk if found else MISSING_PK

    indicator = reports["own"]["indicator"].pk
    if name in ("evaluations:submission_indicator", "evaluations:evidence_upload"):
        kwargs = {"pk": pk("submission"), "indicator": indicator}
    elif name == "evaluations:submission_version":
        kwargs = {"pk": pk("submission"), "number": 1}
    elif name.startswith("evaluations:evidence_"):
        kwargs = {"pk": pk("evidence")}
    elif name.startswith("evaluations:report_") and name != "evaluations:report_request":
        kwargs = {"pk": pk("report")}
    else:
        kwargs = {"pk": pk("submission")}
    return reverse(name, kwargs=kwargs)


def expected_of(row: Row, reports: dict) -> dict:
    def resolve(outcome):
        if isinstance(outcome, Redirect):
            return reverse(outcome.to, kwargs={"pk": reports[outcome.obj]["submission"].pk})
        return outcome

    return {role: resolve(outcome) for role, outcome in row.expected.items()}


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_self_evaluation_get_gives_expected_outcome_for_every_role(row, users, reports,
                                                                   client_for):
    url = url_of(row.name, row.obj, reports)
    login_url = reverse("login")
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, reports, login_url)
              for role in ROLES}
    assert actual == expected_of(row, reports)


def _state() -> dict:
    """Everything a self-evaluation action may change."""
    return {
        "submissions": list(Submission.objects.order_by("pk").values()),
        "responses": list(IndicatorResponse.objects.order_by("pk").values()),
        "evidence": list(EvidenceFile.objects.order_by("pk").values()),
        "reports": list(ReportFile.objects.order_by("pk").values()),
        "versions": list(SubmissionVersion.objects.order_by("pk").values()),
    }


def _post_data(name: str) -> dict:
    if name == "evaluations:submission_indicator":
        return {"revision": 0, "narrative": "篡改", "self_score": "1"}
    if name == "evaluations:evidence_upload":
        return {"files": [upload("篡改.pdf", PDF)]}
    if name == "evaluations:report_scan_upload":
        return {"scan": upload("篡改.pdf", PDF)}
    if name == "evaluations:submission_pledge":
        return {"confirm": "on"}
    return {}


ACTIONS = ("evaluations:submission_indicator", "evaluations:evidence_upload",
           "evaluations:evidence_delete", "evaluations:submission_pledge",
           "evaluations:report_request", "evaluations:report_scan_upload",
           "evaluations:submission_submit", "evaluations:submission_withdraw")


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("role, obj, status", [
    ("anonymous", "own", LOGIN),
    ("city_admin", "own", 403),
    ("panel_organiser", "own", 403),
    ("district_reviewer", "own", 403),
    ("district_reviewer_other", "own", 404),
    ("expert", "own", 404),
    ("institution_filer", "same_district", 404),
    ("institution_filer", "other_district", 404),
    ("institution_filer_other", "own", 404),
])
def test_self_evaluation_post_is_refused_and_changes_nothing(name, role, obj, status, users,
                                                             reports, client_for):
    url = url_of(name, obj, reports)
    before = _state()
    response = client_for(users.get(role)).post(url, _post_data(name))
    outcome = LOGIN if response.status_code == 302 and response["Location"].startswith(
        reverse("login")) else response.status_code
    assert (outcome, _state()) == (status, before)
