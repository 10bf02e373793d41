"""The district's summary as a PDF (Art 10; R4): rendered in Chinese with its document number,
embedded CJK fonts, every row whatever the chunking, numbered pages, and a failure recorded
rather than raised. The text is read back with poppler-utils (pdftotext, pdffonts, pdfinfo)."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from evaluations.enums import ReportStatus
from evaluations.models import DistrictSummaryFile
from evaluations.selectors.preliminary import district_summary
from evaluations.services import findings, preliminary
from evaluations.services import summary_pdf as service
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)


def _in_a_fresh_process(nodeid: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p",
                           "no:cacheprovider", "-q", nodeid],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.fixture
def review(users, default_policy, private_media, gulou, institution, sibling_institution):
    """Gulou with eight participants scored 90, 85, … 55 and ranked by score; the first
    has a site visit, an open rectification notice and a confirmed fraud finding."""
    members = [institution, sibling_institution, *add_institutions(gulou, 6)]
    cycle = open_preliminary_review(users["city_admin"], submitted=members)
    review = district_review(cycle, gulou)
    reviewer = users["district_reviewer"]
    for k, participant in enumerate(review.participants.order_by("institution__name")):
        score_directly(participant, 90 - 5 * k)
    rank_by_score(review, reviewer)
    top = review.participants.get(rank=1)
    today = timezone.localdate()
    findings.site_visit_record(participant=top, visited_on=today, visitors="张三、李四",
                               findings="研发场地与申报一致", actor=reviewer)
    findings.rectification_issue(participant=top, problems="补充审计报告",
                                 deadline=today + dt.timedelta(days=10), actor=reviewer)
    report = findings.fraud_report_file(participant=top, kind="overstated",
                                        description="研发投入虚报", actor=reviewer)
    findings.fraud_report_decide(report=report, confirm=True, reason="核实属实",
                                 actor=users["city_admin"], person_name="王五",
                                 person_role="法定代表人")
    return district_review(cycle, gulou)


def _summary_file(review, actor, number="鼓楼区初评〔2025〕1号") -> DistrictSummaryFile:
    return DistrictSummaryFile.objects.create(
        district_review=review, digest=district_summary(review).digest(),
        document_number=number, requested_by=actor)


def _text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])


def _fonts(path: Path) -> list[tuple[str, str]]:
    """(name, embedded) of every font, from pdffonts."""
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    return [(line.split()[0], line.split()[-5]) for line in lines]


def _zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def _flat(text: str) -> str:
    """pdftotext breaks a cell's lines where the table wraps them."""
    return re.sub(r"\s+", "", text)


def test_summary_render_makes_a_chinese_pdf_with_the_number_and_embedded_fonts(review, users):
    summary = _summary_file(review, users["district_reviewer"])
    with translation.override("en"):  # whoever queued it: the summary is in Chinese
        rendered = service.summary_render(summary_id=summary.pk)
    summary.refresh_from_db()
    assert (rendered.status, summary.status, summary.progress, summary.error) == (
        ReportStatus.DONE, ReportStatus.DONE, 100, "")
    path = Path(summary.file.path)
    text = _text(path)
    flat = _flat(text)
    assert "鼓楼区初评〔2025〕1号" in text
    assert _zh("Unified social credit code") == "统一社会信用代码"
    assert "统一社会信用代码" in text
    for participant in review.participants.select_related("institution"):
        assert _flat(participant.institution.name) in flat
    assert "研发场地与申报一致" in flat and "补充审计报告" in flat
    assert _flat(_zh("Fraud confirmed: unqualified (Art 9)")) in flat
    assert "不合格" in flat  # in Chinese, whoever asked for the PDF
    assert _flat(_zh("Reviewed by (signature):")) in flat
    assert _flat(_zh("(Seal)")) in flat
    fonts = _fonts(path)
    assert fonts and all(embedded == "yes" for _name, embedded in fonts)
    assert all("Noto-Sans-CJK-SC" in name for name, _embedded in fonts)


def test_rows_come_in_rank_order_with_the_r4_group_sizes(review, tmp_path):
    content = district_summary(review)
    with translation.override("zh-hans"):
        pdf = service.summary_pdf(content, document_number="X-1", workers=1)
        sizes = gettext("%(n)s participants. Preliminary groups (Art 10): group A (good) "
                        "%(a)s, group B (qualified) %(b)s, group C (poor) %(c)s.") % {
            "n": 8, "a": 4, "b": 3, "c": 1}
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    flat = _flat(_text(path))
    assert _flat(sizes) in flat
    codes = [row.credit_code for row in content.rows]
    assert [row.rank for row in content.rows] == list(range(1, 9))
    assert sorted(codes, key=flat.index) == codes


@pytest.mark.parametrize("workers", [1, 2])
def test_chunks_keep_every_row_and_the_page_numbers_run_on(review, tmp_path, workers, request):
    """Three rows a chunk: the eight rows become three documents, merged and numbered."""
    if workers > 1 and threading.active_count() > 1:
        # The render forks its workers only from a process with one thread; a pytest-xdist
        # worker has its channel's thread, so this case runs again in a process of its own.
        _in_a_fresh_process(request.node.nodeid)
        return
    content = district_summary(review)
    with translation.override("zh-hans"):
        pdf = service.summary_pdf(content, document_number="X-2", chunk_rows=3,
                                  workers=workers)
        label = gettext("Page %(page)s of %(total)s")
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    pages = _pages(path)
    # The last chunk takes in the rows the chunk before it left on its last page (here all
    # of that chunk): fewer pages than chunks.
    assert pages >= 2
    flat = _flat(_text(path))
    for row in content.rows:
        assert flat.count(row.credit_code) == 1
    header = _flat(_zh("Unified social credit code"))
    for page in range(1, pages + 1):
        text = _flat(_text(path, page))
        assert _flat(label % {"page": page, "total": pages}) in text
        assert header in text  # the table's header on every page
    assert _flat(_zh("(Seal)")) in _flat(_text(path, pages))
    names = [name for name, _embedded in _fonts(path)]
    assert len(names) == len(set(names))  # each part's font subset has a name of its own
    assert all(embedded == "yes" for _name, embedded in _fonts(path))


def test_requesting_a_summary_renders_it_through_the_task(review, users,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summary = preliminary.summary_request(district_review=review,
                                              actor=users["district_reviewer"])
    summary.refresh_from_db()
    assert (summary.status, summary.progress) == (ReportStatus.DONE, 100)
    assert summary.document_number in _text(Path(summary.file.path))


def test_a_failure_is_recorded_not_raised(review, users, monkeypatch):
    summary = _summary_file(review, users["district_reviewer"])
    monkeypatch.setattr(service, "STYLESHEET", Path("/nonexistent/summary-pdf.css"))
    rendered = service.summary_render(summary_id=summary.pk)
    summary.refresh_from_db()
    assert (rendered.status, summary.status) == (ReportStatus.FAILED, ReportStatus.FAILED)
    assert "summary-pdf.css" in summary.error
    assert not summary.file
