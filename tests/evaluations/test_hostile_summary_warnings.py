"""Issue 9 §4: a district about to submit its summary while matters are still open — a fraud
report awaiting the city, an overdue rectification notice, an answer not checked — is warned
on the submit page with the list; the summary (page, Excel, PDF cells) has a column for the
fraud reports awaiting the city."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from evaluations.enums import FraudKind
from evaluations.exporters.preliminary import (
    COLUMNS,
    district_summary_workbook,
    summary_cells,
)
from evaluations.models import Rectification
from evaluations.selectors.preliminary import district_submit_warnings, district_summary
from evaluations.services.findings import (
    fraud_report_file,
    rectification_answer,
    rectification_issue,
)
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
)
from tests.evaluations.ranking_setup import scored, summary_url

WARNING = re.compile(r'<li data-testid="submit-warning" data-kind="(\w+)"><a class="alert-link" '
                     r'href="[^"]+">([^<]+)</a>: ([^<]+)</li>')


@pytest.fixture
def review(users, default_policy, private_media, gulou, institution, sibling_institution):
    extra = add_institutions(gulou, 2)
    cycle = open_preliminary_review(users["city_admin"],
                                    submitted=[institution, sibling_institution, *extra])
    review = district_review(cycle, gulou)
    scored(review, [90, 80, 70, 60])
    rank_by_score(review, users["district_reviewer"])
    return district_review(cycle, gulou)


@pytest.fixture
def open_matters(review, users, institution, sibling_institution):
    """A fraud report on the sibling institution awaiting the city, an overdue notice and a
    notice answered by ``institution`` that the district has not checked."""
    reviewer, today = users["district_reviewer"], timezone.localdate()
    sibling = review.participants.get(institution=sibling_institution)
    own = review.participants.get(institution=institution)
    report = fraud_report_file(participant=sibling, kind=FraudKind.OVERSTATED,
                               description="研发投入虚报。", actor=reviewer)
    overdue = rectification_issue(participant=sibling, problems="补充审计报告。",
                                  deadline=today + dt.timedelta(days=5), actor=reviewer)
    Rectification.objects.filter(pk=overdue.pk).update(deadline=today - dt.timedelta(days=2))
    answered = rectification_issue(participant=own, problems="补充人员名单。",
                                   deadline=today + dt.timedelta(days=5), actor=reviewer)
    rectification_answer(rectification=answered, text="已补充。",
                         actor=users["institution_filer"])
    return report, today


def test_submit_page_lists_what_is_still_open(review, users, client_for, open_matters,
                                              institution, sibling_institution):
    _report, today = open_matters
    page = client_for(users["district_reviewer"]).get(summary_url(review)).content.decode()
    assert 'data-testid="submit-warnings"' in page
    assert "尚有 3 项事项未办结" in page
    past, soon = today - dt.timedelta(days=2), today + dt.timedelta(days=5)
    assert WARNING.findall(page) == [
        ("fraud", sibling_institution.name,
         f"{today:%Y-%m-%d} 报送的虚报虚构问题报告（虚报）待市科技局审定。"),
        ("overdue", sibling_institution.name, f"整改通知已于 {past:%Y-%m-%d} 逾期，尚未答复。"),
        ("answer", institution.name, f"整改答复尚未审核（整改期限 {soon:%Y-%m-%d}）。"),
    ]


def test_no_warning_when_nothing_is_open(review, users, client_for):
    page = client_for(users["district_reviewer"]).get(summary_url(review)).content.decode()
    assert 'data-testid="submit-warnings"' not in page
    assert district_submit_warnings(review) == []


def test_summary_has_a_column_for_fraud_reports_awaiting_the_city(review, open_matters,
                                                                 sibling_institution):
    _report, today = open_matters
    summary = district_summary(review)
    pending = {row.name: row.pending_fraud_lines for row in summary.rows}
    expected = f"{today:%Y-%m-%d} 虚报: 研发投入虚报。"
    assert pending[sibling_institution.name] == [expected]
    assert [str(title) for title, _w in COLUMNS][-1] == "待市科技局审定的虚报虚构问题报告"
    cells = {row.name: summary_cells(summary, row)[-1] for row in summary.rows}
    assert cells[sibling_institution.name] == expected
    buffer = io.BytesIO()
    district_summary_workbook(summary).save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert rows[0][-1] == "待市科技局审定的虚报虚构问题报告"
    assert {row[2]: row[-1] for row in rows[1:]}[sibling_institution.name] == expected
