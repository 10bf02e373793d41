"""The self-evaluation pages make as many SQL queries with 40 indicators and 200 files as with
the default 24 indicators and 2 files."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.enums import EvidenceType
from evaluations.models import EvidenceFile, Indicator, IndicatorField, IndicatorResponse
from evaluations.services.self_evaluation import submission_submit
from tests.evaluations.self_evaluation_setup import (
    PDF,
    answer,
    ready_to_submit,
    upload,
)

MAX_QUERIES = 30


def _grow(submission, *, indicators: int, files: int, actor) -> Indicator:
    """Add ``indicators`` indicators (each with two fields and an answer) and ``files``
    evidence rows spread over the answers; returns the indicator holding the most files."""
    category = submission.cycle.categories.order_by("-order").first()
    start = Indicator.objects.filter(category=category).count()
    for n in range(indicators):
        indicator = Indicator.objects.create(category=category, code=f"9.{start + n + 1}",
                                             name=f"附加指标{n}", points=Decimal(0),
                                             order=start + n + 1)
        IndicatorField.objects.bulk_create([
            IndicatorField(indicator=indicator, key=f"k{k}", label=f"数据{k}", kind="count",
                           order=k) for k in range(2)])
        answer(submission, Indicator.objects.prefetch_related("fields").get(pk=indicator.pk),
               actor, self_score="0")
    responses = list(IndicatorResponse.objects.filter(submission=submission))
    stored = EvidenceFile(response=responses[0], original_name="x.pdf", kind="pdf", size=0,
                          sha256="", uploaded_by=actor)
    stored.file.save("x.pdf", upload("x.pdf", PDF), save=False)
    EvidenceFile.objects.bulk_create([
        EvidenceFile(response=responses[i % len(responses)], file=stored.file.name,
                     original_name=f"证明{i}.pdf", kind=EvidenceType.PDF, size=len(PDF),
                     sha256="0" * 64, uploaded_by=actor)
        for i in range(files)])
    return Indicator.objects.get(pk=responses[0].indicator_id)


def _count(client, url: str) -> int:
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _counts(client, submission, filer, page) -> tuple[int, int]:
    first = Indicator.objects.filter(category__cycle=submission.cycle).order_by(
        "category__order", "order").first()
    answer(submission, Indicator.objects.prefetch_related("fields").get(pk=first.pk), filer)
    busiest = _grow(submission, indicators=0, files=2, actor=filer)
    small = _count(client, page(submission, busiest))
    total = Indicator.objects.filter(category__cycle=submission.cycle).count()
    busiest = _grow(submission, indicators=40 - total, files=198, actor=filer)
    assert (Indicator.objects.filter(category__cycle=submission.cycle).count(),
            EvidenceFile.objects.filter(response__submission=submission).count()) == (40, 200)
    return small, _count(client, page(submission, busiest))


PAGES = {
    "checklist": lambda s, i: reverse("evaluations:submission_detail", args=[s.pk]),
    "indicator": lambda s, i: reverse("evaluations:submission_indicator", args=[s.pk, i.pk]),
    "submit": lambda s, i: reverse("evaluations:submission_submit", args=[s.pk]),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["institution_filer", "district_reviewer"])
def test_self_evaluation_page_query_count_does_not_grow(client_for, users, submission, filer,
                                                        page, role):
    small, large = _counts(client_for(users[role]), submission, filer, PAGES[page])
    assert small == large <= MAX_QUERIES


def test_version_page_query_count_does_not_grow(client_for, submission, filer, inst_admin):
    ready_to_submit(submission, filer, inst_admin)
    submission_submit(submission=submission, actor=filer)
    client = client_for(filer)
    url = reverse("evaluations:submission_version", args=[submission.pk, 1])
    small = _count(client, url)
    version = submission.versions.get()
    for answer_ in version.snapshot["answers"]:
        answer_["evidence"] += [{"name": f"证明{i}.pdf", "sha256": f"{i:064d}", "size": 10}
                                for i in range(10)]
    version.save()
    assert small == _count(client, url) <= MAX_QUERIES
