"""Benchmark of the self-evaluation pages and report: rendering the checklist and an indicator
page of a report with 40 indicators and 200 evidence files (median milliseconds), and the
PDF of that full report (median seconds).

It runs in a fresh process with a fresh, migrated database (a new SQLite file, or a throw-away
PostgreSQL database when DATABASE_URL is set).
Run it directly (``python bench/bench_self_evaluation.py [--runs N]``) or call ``main()``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDICATORS = 40
FILES = 200
PAGE_RUNS = 20
PDF_RUNS = 3


@dataclass(frozen=True)
class SelfEvaluationBench:
    checklist_ms: float
    indicator_ms: float
    indicator_files: int
    pdf_seconds: float
    pdf_pages: int

    def lines(self) -> list[str]:
        return [
            f"self-evaluation checklist, {INDICATORS} indicators and {FILES} files: "
            f"median {self.checklist_ms:.0f} ms",
            f"self-evaluation indicator page ({self.indicator_files} files): "
            f"median {self.indicator_ms:.0f} ms",
            f"self-evaluation report PDF, {INDICATORS} indicators "
            f"({self.pdf_pages or '?'} pages): "
            f"median {self.pdf_seconds:.2f} s",
        ]


def _pages(path: str) -> int:
    """The page count from poppler's pdfinfo (0 when it is not installed)."""
    import re
    import shutil

    if not shutil.which("pdfinfo"):
        return 0
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=False)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    return int(found[1]) if found else 0


def _child(media: str, page_runs: int, pdf_runs: int) -> None:
    """Build a full report, time the pages and the PDF, print the figures as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["AXES_ENABLED"] = "false"
    import datetime as dt
    from decimal import Decimal

    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = media
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)
    from evaluations.enums import CycleStatus, FieldKind
    from evaluations.models import (
        EvidenceFile,
        Indicator,
        IndicatorField,
        IndicatorResponse,
        ReportFile,
    )
    from evaluations.services.cycles import cycle_create, cycle_transition
    from evaluations.services.reports import report_render
    from evaluations.services.self_evaluation import response_save, submission_pledge
    from institutions.models import Cluster, District, Institution, User

    admin = User.objects.create(username="bench-city", role="city_admin")
    institution = Institution.objects.create(
        name="徐州基准测试研究院", credit_code="91320302MA1N0A2B3N",
        district=District.objects.order_by("sort_order").first(),
        cluster=Cluster.objects.order_by("sort_order").first(), filing_date=dt.date(2021, 5, 10),
        legal_representative="张三", contact_person="李四", contact_phone="0516-83000000")
    filer = User.objects.create(username="bench-filer", role="institution_admin",
                                institution=institution)
    today = timezone.localdate()
    cycle = cycle_create(year=2025, actor=admin, stage_dates={
        CycleStatus.SELF_EVALUATION: (today, today + dt.timedelta(days=30))})
    # Up to 40 indicators: the default 24 and more in the last category (zero points, so the
    # system still adds up to 100 and self-evaluation can open).
    category = cycle.categories.order_by("-order").first()
    for n in range(INDICATORS - Indicator.objects.filter(category__cycle=cycle).count()):
        indicator = Indicator.objects.create(category=category, code=f"9.{n + 1}",
                                             name=f"附加指标{n + 1}", points=Decimal(0),
                                             help_text="基准测试附加指标。", order=100 + n)
        IndicatorField.objects.bulk_create([
            IndicatorField(indicator=indicator, key=f"k{k}", label=f"数据项{k}（万元）",
                           kind=FieldKind.AMOUNT, order=k) for k in range(3)])
    cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=admin)
    submission = cycle.submissions.get(institution=institution)
    values = {FieldKind.AMOUNT: "1280.50", FieldKind.COUNT: "36", FieldKind.PERCENT: "42",
              FieldKind.DATE: "2024-06-30", FieldKind.TEXT: "已纳入规上统计"}
    for indicator in Indicator.objects.filter(category__cycle=cycle).prefetch_related("fields"):
        response_save(
            submission=submission, indicator=indicator, revision=0, actor=filer,
            data={f.key: {"y1": values[f.kind], "y2": values[f.kind]}
                  for f in indicator.fields.all()},
            narrative="评价期内，机构围绕主责主业持续投入研发，" * 8,
            self_score=str(indicator.points))
    responses = list(IndicatorResponse.objects.filter(submission=submission).order_by("pk"))
    stored = EvidenceFile(response=responses[0], original_name="x.pdf", kind="pdf", size=0,
                          sha256="", uploaded_by=filer)
    stored.file.save("x.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    # The first indicator holds 40 files (its page is the one timed); the rest are spread.
    EvidenceFile.objects.bulk_create([
        EvidenceFile(response=responses[0 if i < 40 else i % len(responses)],
                     file=stored.file.name,
                     original_name=f"第{i + 1}号证明材料（盖章版）.pdf", kind="pdf",
                     size=150_000 + i, sha256=f"{i:064x}", uploaded_by=filer)
        for i in range(FILES)])
    submission_pledge(submission=submission, actor=filer)

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(filer)

    def median_ms(url: str) -> float:
        client.get(url)  # warm caches and templates
        times = []
        for _ in range(page_runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
        return statistics.median(times)

    busiest = responses[0]
    checklist = median_ms(reverse("evaluations:submission_detail", args=[submission.pk]))
    indicator = median_ms(reverse("evaluations:submission_indicator",
                                  args=[submission.pk, busiest.indicator_id]))
    pdf_times, pages = [], 0
    for _ in range(pdf_runs):
        report = ReportFile.objects.create(submission=submission, digest="0" * 64,
                                           requested_by=filer)
        started = time.perf_counter()
        report_render(report_id=report.pk)
        pdf_times.append(time.perf_counter() - started)
        report.refresh_from_db()
        if report.error:
            raise SystemExit(f"report failed: {report.error}")
        pages = _pages(report.file.path)
    print(json.dumps({"checklist_ms": checklist, "indicator_ms": indicator,
                      "indicator_files": busiest.evidence.count(),
                      "pdf_seconds": statistics.median(pdf_times), "pdf_pages": pages}))


def main(page_runs: int = PAGE_RUNS, pdf_runs: int = PDF_RUNS,
         verbose: bool = True) -> SelfEvaluationBench:
    """Run the benchmark and return the figures; prints one line per figure when
    ``verbose``."""
    from bench.bench_import import _throwaway_postgres

    with tempfile.TemporaryDirectory(prefix="bench-self-evaluation-") as tmp:
        env = dict(os.environ)
        cleanup = None
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"])
        else:
            env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / f'bench-{uuid.uuid4().hex}.sqlite3'}"
        try:
            completed = subprocess.run(
                [sys.executable, __file__, "--child", str(Path(tmp) / "media"),
                 str(page_runs), str(pdf_runs)],
                env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        finally:
            if cleanup:
                cleanup()
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark failed:\n{completed.stdout}\n{completed.stderr}")
    bench = SelfEvaluationBench(**json.loads(completed.stdout.strip().splitlines()[-1]))
    if verbose:
        for line in bench.lines():
            print(line, flush=True)
    return bench


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=PAGE_RUNS, help="page renderings")
    parser.add_argument("--pdf-runs", type=int, default=PDF_RUNS)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child[0], int(arguments.child[1]), int(arguments.child[2]))
    else:
        sys.path.insert(0, str(ROOT))
        main(arguments.runs, arguments.pdf_runs)
