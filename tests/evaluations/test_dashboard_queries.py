"""The two stage-2 dashboards make as many SQL queries with 2 districts and 2 participants as
with 8 districts, 200 participants and their visits, rectification notices and fraud
reports."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import FraudKind, RectificationStatus, SubmissionStatus
from evaluations.models import (
    DistrictReview,
    FraudReport,
    Participant,
    Rectification,
    SiteVisit,
    Submission,
)
from institutions.models import District
from tests.evaluations.preliminary_setup import district_review, open_preliminary_review
from tests.factories import InstitutionFactory

MAX_QUERIES = 20


def _grow(cycle, actor, *, districts: int, per_district: int) -> None:
    """``per_district`` more participants in each of the first ``districts`` districts (rows
    written directly: the services are not what is measured), each with a score, a visit, a
    rectification notice (every third overdue) and, for every tenth, a fraud report."""
    today = timezone.localdate()
    for district in District.objects.order_by("sort_order")[:districts]:
        review, _ = DistrictReview.objects.get_or_create(cycle=cycle, district=district)
        institutions = [InstitutionFactory(district=district, filing_date=dt.date(2021, 3, 1))
                        for _ in range(per_district)]
        submissions = Submission.objects.bulk_create([
            Submission(cycle=cycle, institution=i, district=district, cluster=i.cluster,
                       deadline=today, status=SubmissionStatus.SUBMITTED,
                       submitted_at=timezone.now()) for i in institutions])
        participants = Participant.objects.bulk_create([
            Participant(cycle=cycle, submission=s, institution=s.institution,
                        district_review=review, score=Decimal(40 + k % 60), reviewed=24)
            for k, s in enumerate(submissions)])
        SiteVisit.objects.bulk_create([
            SiteVisit(participant=p, visited_on=today, visitors="张三", findings="一致。",
                      recorded_by=actor) for p in participants])
        Rectification.objects.bulk_create([
            Rectification(participant=p, problems="补充材料。",
                          deadline=today - dt.timedelta(days=1 if k % 3 == 0 else -5),
                          status=RectificationStatus.OPEN, issued_by=actor)
            for k, p in enumerate(participants)])
        FraudReport.objects.bulk_create([
            FraudReport(participant=p, kind=FraudKind.OVERSTATED, description="虚报。",
                        reported_by=actor) for p in participants[::10]])


def _count(client, url: str) -> int:
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("role", "page"), [
    ("district_reviewer", "district"), ("city_admin", "district"), ("city_admin", "city")])
def test_dashboard_queries_do_not_grow_with_the_data(role, page, users, client_for, gulou,
                                                     default_policy, private_media):
    cycle = open_preliminary_review(users["city_admin"])
    url = (reverse("evaluations:district_dashboard", args=[district_review(cycle, gulou).pk])
           if page == "district" else
           reverse("evaluations:preliminary_city", kwargs={"year": cycle.year}))
    client = client_for(users[role])
    small = _count(client, url)
    _grow(cycle, users["district_reviewer"], districts=8, per_district=25)
    assert (Participant.objects.filter(cycle=cycle).count(),
            DistrictReview.objects.filter(cycle=cycle).count()) == (202, 8)
    large = _count(client, url)
    assert small == large <= MAX_QUERIES
