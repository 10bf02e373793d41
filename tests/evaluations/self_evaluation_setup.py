"""Shared set-up of the self-evaluation tests: a cycle opened with the services, files of every
accepted type built in memory, and a report filled in completely.

The fixtures built on these are in ``conftest.py``.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from evaluations import completeness
from evaluations.enums import CycleStatus, FieldKind, ReportStatus
from evaluations.models import Cycle, Indicator, ReportFile, Submission
from evaluations.services.cycles import cycle_create, cycle_transition
from evaluations.services.self_evaluation import (
    evidence_upload,
    report_scan_upload,
    response_save,
    submission_pledge,
    submission_snapshot,
)

# The factories file institutions in 2021: odd years from 2023 on evaluate them (R1).
YEAR = 2025

PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
       b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def docx_bytes() -> bytes:
    """A minimal Word package: what makes it DOCX is its parts, not its name. Its entries carry a
    fixed date so that two calls give the same bytes (the clock's would differ across a second)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, text in (("[Content_Types].xml", "<Types/>"),
                           ("word/document.xml", "<w:document/>")):
            package.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["研发投入", 120])
    workbook.save(buffer)
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "not an office document")
    return buffer.getvalue()


def upload(name: str = "证明材料.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def open_cycle(actor, *, year: int = YEAR, closes_in: int = 30) -> Cycle:
    """A cycle created and opened for self-evaluation with the services (the cohort of R1
    gets its reports)."""
    today = timezone.localdate()
    cycle = cycle_create(year=year, actor=actor, stage_dates={
        CycleStatus.SELF_EVALUATION: (today, today + dt.timedelta(days=closes_in))})
    cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=actor)
    return cycle


def valid_value(kind: str) -> str:
    return {FieldKind.AMOUNT: "120.50", FieldKind.COUNT: "12", FieldKind.PERCENT: "35",
            FieldKind.DATE: "2024-06-30", FieldKind.TEXT: "已纳入规上统计"}[kind]


def valid_data(indicator: Indicator) -> dict:
    return {f.key: {"y1": valid_value(f.kind), "y2": valid_value(f.kind)}
            for f in indicator.fields.all()}


def answer(submission: Submission, indicator: Indicator, actor, **overrides):
    """Save a complete answer to ``indicator`` (at its current revision)."""
    current = submission.responses.filter(indicator=indicator).first()
    values = {"data": valid_data(indicator), "narrative": "评价期内稳步推进。",
              "self_score": str(indicator.points), "revision": current.revision if current else 0}
    values.update(overrides)
    return response_save(submission=submission, indicator=indicator, actor=actor, **values)


def fill(submission: Submission, actor, *, skip: tuple[str, ...] = ()) -> None:
    """Answer every indicator completely (with a PDF where evidence is required), except
    the codes in ``skip``."""
    for indicator in Indicator.objects.filter(category__cycle=submission.cycle) \
            .prefetch_related("fields"):
        if indicator.code in skip:
            continue
        answer(submission, indicator, actor)
        if indicator.evidence_required:
            evidence_upload(submission=submission, indicator=indicator,
                            upload=upload(f"{indicator.code}证明.pdf"), actor=actor)


def generated_report(submission: Submission, actor) -> ReportFile:
    """A report PDF marked generated from the current content (without running WeasyPrint;
    the rendering has its own test)."""
    digest = completeness.content_digest(submission_snapshot(submission))
    report = ReportFile.objects.create(submission=submission, digest=digest,
                                       status=ReportStatus.DONE, progress=100,
                                       requested_by=actor)
    report.file.save("report.pdf", ContentFile(PDF))
    return report


def ready_to_submit(submission: Submission, filer, admin) -> ReportFile:
    """Filled in, pledged, generated and stamped: everything but the submit click."""
    fill(submission, filer)
    submission_pledge(submission=submission, actor=admin)
    submission.refresh_from_db()
    report = generated_report(submission, filer)
    return report_scan_upload(report=report, upload=upload("盖章扫描件.pdf"), actor=filer)
