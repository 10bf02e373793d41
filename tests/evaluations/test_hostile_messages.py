"""Issue 9 §4: refusals say what is wrong. A narrative or a self-assessed score too long is
not an out-of-date page, and a file one byte over the limit does not read as the limit."""
from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from evaluations.models import EvidenceFile, Indicator, IndicatorResponse
from evaluations.services.uploads import check_upload
from institutions.exceptions import DomainError
from tests.evaluations.self_evaluation_setup import PDF

HTMX = {"HTTP_HX_REQUEST": "true"}
LIMIT = 50 * 2**20


@pytest.fixture
def team(submission) -> Indicator:
    return Indicator.objects.get(category__cycle=submission.cycle, code="1.1")


def form_url(submission, indicator) -> str:
    return reverse("evaluations:submission_indicator", args=[submission.pk, indicator.pk])


def save(client, submission, team, **values):
    data = {"revision": 0, "narrative": "团队稳定。", "self_score": "2.5", **values}
    return client.post(form_url(submission, team), data, **HTMX)


def test_narrative_too_long_says_so(client_for, filer, submission, team):
    response = save(client_for(filer), submission, team, narrative="研" * 20001)
    assert response.status_code == 422
    content = response.content.decode()
    assert "“情况说明”最多 20000 个字，现有 20001 个字，未保存。" in content
    assert "过期" not in content
    assert not IndicatorResponse.objects.filter(submission=submission).exists()


def test_self_score_too_long_says_it_must_be_a_number(client_for, filer, submission, team):
    with translation.override("en"):
        client = client_for(filer)
        client.cookies["django_language"] = "en"
        response = save(client, submission, team, self_score="1" * 21)
    assert response.status_code == 422
    content = response.content.decode()
    assert "The self-assessed score must be a number." in content
    assert "out of date" not in content


def test_broken_revision_is_still_an_out_of_date_page(client_for, filer, submission, team):
    with translation.override("en"):
        client = client_for(filer)
        client.cookies["django_language"] = "en"
        response = save(client, submission, team, revision="x")
    assert response.status_code == 400
    assert "The page is out of date; reload it." in response.content.decode()


def test_file_one_byte_over_the_limit_gives_its_size_in_bytes(db):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        check_upload(SimpleUploadedFile("年报.pdf", PDF + bytes(LIMIT + 1 - len(PDF))),
                     accepted=["pdf"], max_bytes=LIMIT)
    assert str(refused.value) == ("The file “年报.pdf” has 52,428,801 bytes, over the limit "
                                  "of 50 MB (52,428,800 bytes).")


def test_upload_one_byte_over_arrives_and_is_refused_with_its_size(client_for, filer,
                                                                   submission, team):
    url = reverse("evaluations:evidence_upload", args=[submission.pk, team.pk])
    response = client_for(filer).post(url, {"files": SimpleUploadedFile(
        "年报.pdf", PDF + bytes(LIMIT + 1 - len(PDF)))})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "文件“年报.pdf”有 52,428,801 字节，超过 50 MB（52,428,800 字节）的上限。"]
    assert EvidenceFile.objects.count() == 0
