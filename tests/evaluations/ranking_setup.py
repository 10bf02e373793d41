"""Shared set-up of the ranking, summary and decision page tests: scoring a district, the
ranking form's POST data, reading the ranking table back from a page, and the Celery worker's
part of the summary PDF (its rendering is ``services.summary_pdf``'s concern, tested with it)."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from django.core.files.base import ContentFile
from django.urls import reverse

from evaluations.enums import ReportStatus
from evaluations.models import DistrictReview, DistrictSummaryFile, Participant
from evaluations.selectors.preliminary import district_summary
from tests.evaluations.preliminary_setup import score_directly
from tests.evaluations.self_evaluation_setup import PDF

ROW = re.compile(r'data-testid="ranking-row" data-pid="(\d+)" data-score="([^"]*)" '
                 r'data-group="([ABC])"')
SUMMARY_GROUP = re.compile(r'data-testid="summary-group" title="([ABC])"')
REVISION = re.compile(r'name="revision" value="(\d+)"')


def scored(review: DistrictReview, scores) -> list[Participant]:
    """Score the district's participants (by pk) with ``scores``; returns them in that order."""
    participants = list(review.participants.select_related("institution").order_by("pk"))
    for participant, score in zip(participants, scores, strict=True):
        score_directly(participant, Decimal(str(score)))
    return participants


def ranking_data(order, *, revision: int, reasons: dict | None = None, ties=(),
                 move: str | None = None, without_js: bool = False) -> dict:
    """The POST of the ranking form: what the script writes into the one ``ranking`` JSON
    field (order, reasons, confirmed ties), the revision the page was loaded with and (without
    JavaScript) the move pressed. ``without_js`` posts, as a page without the script does,
    the JSON as rendered together with each row's own reason and tie inputs."""
    reasons = {pid: text for pid, text in (reasons or {}).items() if text}
    data: dict = {"revision": revision, "ranking": json.dumps(
        {"order": list(order), "reasons": {str(pid): text for pid, text in reasons.items()},
         "ties": sorted(ties)})}
    if without_js:
        data["row_fields"] = "1"
        for pid in order:
            data[f"reason-{pid}"] = reasons.get(pid, "")
            if pid in ties:
                data[f"tie-{pid}"] = "on"
    if move:
        data["move"] = move
    return data


def rows_of(response) -> list[tuple[int, str]]:
    """(participant id, group) of each row of the ranking table, in page order."""
    return [(int(pid), group) for pid, _score, group in ROW.findall(response.content.decode())]


def summary_groups(response) -> list[str]:
    return SUMMARY_GROUP.findall(response.content.decode())


def revision_of(response) -> int:
    return int(REVISION.search(response.content.decode()).group(1))


def ranking_url(review) -> str:
    return reverse("evaluations:ranking", args=[review.pk])


def summary_url(review) -> str:
    return reverse("evaluations:district_summary", args=[review.pk])


def render_done(summary_file: DistrictSummaryFile) -> DistrictSummaryFile:
    """What the Celery worker does with a queued summary: the PDF is stored and ready."""
    summary_file.file.save("summary.pdf", ContentFile(PDF), save=False)
    summary_file.status, summary_file.progress = ReportStatus.DONE, 100
    summary_file.save()
    return summary_file


def generated_summary(review: DistrictReview, actor) -> DistrictSummaryFile:
    """A ready summary PDF of the district's current content."""
    return render_done(DistrictSummaryFile.objects.create(
        district_review=review, digest=district_summary(review).digest(),
        document_number=f"测试〔{review.cycle.year}〕{review.pk}号", requested_by=actor))
