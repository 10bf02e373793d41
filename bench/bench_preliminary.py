"""Benchmark of the district's preliminary review with 2,000 participants in one district
(issue 4): the ranking page (median milliseconds and its query count), the ranking's save
(median milliseconds of the POST of the whole order, against 2 s: issue 9), the summary PDF
(median seconds and peak memory, against 8 s and 400 MB) and the summary's Excel export
(median seconds).

The district is bulk-inserted into a fresh, migrated database in a child process (a new
SQLite file, or a throw-away PostgreSQL database when DATABASE_URL is set): its institutions,
their submitted reports, the district review and one participant each with a score, a rank,
a group (R4) and an opinion, and, for some, claims not supported, site visits, open
rectification notices and a confirmed fraud finding. Each PDF is rendered by a process of its
own, started for it, so that its peak memory is its own: the peak is the largest sum of the
proportional set sizes (PSS) of that process and its rendering workers, sampled every 50 ms,
and the largest resident set of any one of them is printed as well.
Run it directly (``python bench/bench_preliminary.py [--participants N] [--runs N]``) or call
``main()``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARTICIPANTS = 2000
PAGE_RUNS = 7
PDF_RUNS = 3
EXCEL_RUNS = 5
TARGET_PDF_SECONDS = 8.0
TARGET_PDF_MB = 400.0
TARGET_SAVE_MS = 2000.0
# The issue's yardstick: "a naive single WeasyPrint document of 1,000 rows takes about 4 s
# here". Measured on the same rows, it turns the 8 s target into a ratio (2.0) that does not
# depend on the machine's speed.
NAIVE_ROWS = 1000
TARGET_RATIO = 8.0 / 4.0


@dataclass(frozen=True)
class PreliminaryBench:
    participants: int
    ranking_ms: list[float]  # empty when the page is not there yet
    ranking_queries: int
    ranking_status: int
    save_ms: list[float]  # the POST that saves the whole order (two rows swapped each time)
    pdf_seconds: list[float]
    pdf_cpu_seconds: list[float]  # all its processes together
    pdf_peak_mb: float  # the process and its workers together (PSS)
    pdf_largest_rss_mb: float  # the largest single process
    pdf_pages: int
    excel_seconds: list[float]
    setup_seconds: float
    naive_seconds: list[float]  # one WeasyPrint document of NAIVE_ROWS rows, one process

    @property
    def pdf_ok(self) -> bool:
        return (statistics.median(self.pdf_seconds) < TARGET_PDF_SECONDS
                and self.pdf_peak_mb < TARGET_PDF_MB)

    @property
    def save_ok(self) -> bool:
        return bool(self.save_ms) and statistics.median(self.save_ms) < TARGET_SAVE_MS

    def lines(self) -> list[str]:
        n = self.participants
        if self.ranking_ms:
            ranking = (f"ranking page, {n} participants: median "
                       f"{statistics.median(self.ranking_ms):.0f} ms over "
                       f"{len(self.ranking_ms)} runs, {self.ranking_queries} queries")
        else:
            ranking = (f"ranking page, {n} participants: not measured (HTTP "
                       f"{self.ranking_status}: the page is not built yet)")
        verdict = "PASS" if self.pdf_ok else "FAIL"
        save = (f"ranking save, {n} participants: median "
                f"{statistics.median(self.save_ms):.0f} ms over {len(self.save_ms)} saves — "
                f"{'PASS' if self.save_ok else 'FAIL'} (target < {TARGET_SAVE_MS:.0f} ms)"
                if self.save_ms else f"ranking save, {n} participants: not measured — FAIL")
        return [
            ranking,
            save,
            f"summary PDF, {n} rows ({self.pdf_pages} pages): median "
            f"{statistics.median(self.pdf_seconds):.2f} s over {len(self.pdf_seconds)} runs "
            f"({statistics.median(self.pdf_cpu_seconds):.1f} s of CPU in all its processes), "
            f"peak {self.pdf_peak_mb:.0f} MB with its workers (largest process "
            f"{self.pdf_largest_rss_mb:.0f} MB) — {verdict} "
            f"(target < {TARGET_PDF_SECONDS:.0f} s, < {TARGET_PDF_MB:.0f} MB)",
            f"reference, one WeasyPrint document of {min(NAIVE_ROWS, n)} of these rows in one "
            f"process: "
            f"median {statistics.median(self.naive_seconds):.2f} s over "
            f"{len(self.naive_seconds)} runs; the {n}-row summary takes "
            f"{statistics.median(self.pdf_seconds) / statistics.median(self.naive_seconds):.2f}"
            f"× that (the issue's target, 8 s against ~4 s, is {TARGET_RATIO:.1f}×)",
            f"summary Excel export, {n} rows: median "
            f"{statistics.median(self.excel_seconds):.2f} s over {len(self.excel_seconds)} runs",
            f"(district of {n} set up in {self.setup_seconds:.1f} s)",
        ]


def _populate(n: int):
    """A 2025 cycle in its preliminary review with one district of ``n`` participants,
    ranked, and the district's reviewer. Bulk inserts only: the services are not what is
    measured."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from evaluations.enums import (
        ClaimVerdict,
        CycleStatus,
        DistrictReviewStatus,
        FraudKind,
        FraudStatus,
        SubmissionStatus,
    )
    from evaluations.models import (
        ClaimReview,
        Cycle,
        CycleStage,
        DistrictReview,
        FraudReport,
        Indicator,
        Participant,
        PolicyVersion,
        Rectification,
        SiteVisit,
        Submission,
    )
    from evaluations.services.cycles import copy_indicator_template
    from institutions.models import Cluster, District, Institution, User
    from scoring import rank_groups

    sys.path.insert(0, str(ROOT))
    from bench.bench_import import credit_code

    district = District.objects.get(name="鼓楼区")
    clusters = list(Cluster.objects.all())
    reviewer = User.objects.create(username="bench-gulou", role="district_reviewer",
                                   district=district)
    city = User.objects.create(username="bench-city", role="city_admin")
    Institution.objects.bulk_create([
        Institution(name=f"徐州市鼓楼区第{i:04d}号新型研发机构有限公司",
                    credit_code=credit_code(i + 1), district=district,
                    cluster=clusters[i % len(clusters)], filing_date=dt.date(2021, 3, 1),
                    legal_representative="张三", contact_person="李四",
                    contact_phone=f"0516-8{i:07d}")
        for i in range(n)], batch_size=1000)
    today, now = timezone.localdate(), timezone.now()
    cycle = Cycle.objects.create(year=2025, policy_version=PolicyVersion.objects.first(),
                                 status=CycleStatus.PRELIMINARY_REVIEW)
    CycleStage.objects.bulk_create([
        CycleStage(cycle=cycle, stage=CycleStatus.SELF_EVALUATION,
                   opens_on=today - dt.timedelta(days=60), closes_on=today - dt.timedelta(days=1),
                   opened_at=now, closed_at=now),
        CycleStage(cycle=cycle, stage=CycleStatus.PRELIMINARY_REVIEW, opens_on=today,
                   closes_on=today + dt.timedelta(days=30), opened_at=now)])
    copy_indicator_template(cycle=cycle)
    indicators = list(Indicator.objects.filter(category__cycle=cycle)
                      .order_by("category__order", "order"))
    Submission.objects.bulk_create([
        Submission(cycle=cycle, institution_id=pk, district_id=district.pk,
                   cluster_id=cluster_id, status=SubmissionStatus.SUBMITTED,
                   deadline=today - dt.timedelta(days=1), submitted_at=now)
        for pk, cluster_id in Institution.objects.order_by("pk").values_list("pk", "cluster_id")
    ], batch_size=1000)
    review = DistrictReview.objects.create(cycle=cycle, district=district,
                                           status=DistrictReviewStatus.IN_REVIEW, revision=1,
                                           ranking_saved_at=now, ranking_saved_by=reviewer)
    submissions = list(Submission.objects.filter(cycle=cycle).order_by("pk")
                       .values_list("pk", "institution_id"))
    # Distinct scores, best first in pk order: the ranking is the score order.
    scores = [Decimal(9990 - 4 * k) / 100 for k in range(n)]
    groups = rank_groups(list(range(n)))
    Participant.objects.bulk_create([
        Participant(cycle=cycle, submission_id=submission_id, institution_id=institution_id,
                    district_review=review, score=scores[k], reviewed=len(indicators),
                    comment="研发投入持续增长，成果转化情况良好，建议继续加强产学研合作。",
                    rank=k + 1, group=str(groups[k]), tie_confirmed=True,
                    rank_reason="现场核实后调整" if k % 40 == 7 else "",
                    fraud_confirmed_at=now if k % 100 == 99 else None)
        for k, (submission_id, institution_id) in enumerate(submissions)], batch_size=1000)
    participants = list(Participant.objects.filter(district_review=review).order_by("rank")
                        .values_list("pk", flat=True))
    ClaimReview.objects.bulk_create([
        ClaimReview(participant_id=pid, indicator=indicator, verdict=ClaimVerdict.NOT_SUPPORTED,
                    comment="佐证材料不足", revision=1, updated_by=reviewer)
        for k, pid in enumerate(participants) if k % 10 == 3
        for indicator in indicators[:2]], batch_size=1000)
    SiteVisit.objects.bulk_create([
        SiteVisit(participant_id=pid, visited_on=today, visitors="区科技局 张三、李四",
                  findings="研发场地、人员与申报材料一致。", recorded_by=reviewer)
        for k, pid in enumerate(participants) if k % 5 == 0], batch_size=1000)
    Rectification.objects.bulk_create([
        Rectification(participant_id=pid, problems="补充2023年度研发费用专项审计报告。",
                      deadline=today + dt.timedelta(days=15), issued_by=reviewer)
        for k, pid in enumerate(participants) if k % 20 == 11], batch_size=1000)
    FraudReport.objects.bulk_create([
        FraudReport(participant_id=pid, kind=FraudKind.OVERSTATED, description="研发投入虚报。",
                    reported_by=reviewer, status=FraudStatus.CONFIRMED, decided_by=city,
                    decided_at=now, decision_reason="核实属实。")
        for k, pid in enumerate(participants) if k % 100 == 99], batch_size=1000)
    return review, reviewer


def _render_child(summary_id: int) -> None:
    """Render one summary in this fresh process and print how long the render took."""
    _setup_django()
    from evaluations.models import DistrictSummaryFile
    from evaluations.services.summary_pdf import summary_render

    def cpu() -> float:
        return sum(usage.ru_utime + usage.ru_stime for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN)))

    started, cpu_started = time.perf_counter(), cpu()
    summary = summary_render(summary_id=summary_id)
    seconds = time.perf_counter() - started
    if summary.status != "done":
        raise SystemExit(f"summary failed: {summary.error}")
    summary = DistrictSummaryFile.objects.get(pk=summary_id)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu() - cpu_started,
                      "path": summary.file.path}))


def _tree_pss_mb(root: int) -> tuple[float, float]:
    """(sum of PSS, largest RSS) in MB of ``root`` and all its descendants, from /proc."""
    pids, pss, rss = [root], 0, 0
    while pids:
        pid = pids.pop()
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pids.extend(int(child) for child in children.read().split())
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss = max(rss, int(line.split()[1]))
        except OSError:  # gone meanwhile
            continue
    return pss / 1024, rss / 1024


def _render_measured(summary_id: int) -> tuple[float, float, float, float, str]:
    """Render in a process of its own while sampling its memory and its workers'."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--render", str(summary_id)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"pss": 0.0, "rss": 0.0}

    def sample() -> None:
        while process.poll() is None:
            pss, rss = _tree_pss_mb(process.pid)
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"summary render failed:\n{stdout}\n{stderr}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    return (figures["seconds"], figures["cpu_seconds"], peak["pss"], peak["rss"],
            figures["path"])


def _pages(path: str) -> int:
    import re
    import shutil

    if not shutil.which("pdfinfo"):
        return 0
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=False)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    return int(found[1]) if found else 0


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["AXES_ENABLED"] = "false"
    import django

    django.setup()
    from django.conf import settings

    # The test settings fix MEDIA_ROOT: the PDFs go to the benchmark's temporary directory.
    settings.MEDIA_ROOT = os.environ.get("BENCH_MEDIA_ROOT", settings.MEDIA_ROOT)


def _child(n: int, page_runs: int, pdf_runs: int, excel_runs: int) -> None:
    _setup_django()
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import translation

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    review, reviewer = _populate(n)
    setup_seconds = time.perf_counter() - started

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(reviewer)
    url = reverse("evaluations:ranking", args=[review.pk])
    response = client.get(url)  # warm up: caches, compiled templates
    ranking_ms, queries = [], 0
    if response.status_code == 200:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = len(captured.captured_queries)
        for _ in range(page_runs):
            t0 = time.perf_counter()
            client.get(url)
            ranking_ms.append((time.perf_counter() - t0) * 1000)
    save_ms = []
    if response.status_code == 200:
        import html
        import re

        for run in range(page_runs):
            page = client.get(url).content.decode()
            state = json.loads(html.unescape(
                re.search(r'name="ranking" value="([^"]*)"', page).group(1)))
            revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
            order = state["order"]
            k = 2 * run  # a different pair each time, so that every save changes the order
            order[k], order[k + 1] = order[k + 1], order[k]
            reasons = {**state["reasons"], str(order[k]): "现场核实后上调"}
            body = {"revision": revision, "ranking": json.dumps(
                {"order": order, "reasons": reasons, "ties": state["ties"]})}
            t0 = time.perf_counter()
            saved = client.post(url, body)
            took = (time.perf_counter() - t0) * 1000
            if saved.status_code != 302:
                raise SystemExit(f"ranking save answered {saved.status_code}")
            save_ms.append(took)

    from evaluations.exporters.preliminary import district_summary_workbook
    from evaluations.models import DistrictSummaryFile
    from evaluations.selectors.preliminary import district_summary

    pdf_seconds, pdf_cpu, peaks, largest, pages = [], [], [], [], 0
    for run in range(pdf_runs):
        summary = DistrictSummaryFile.objects.create(
            district_review=review, digest="0" * 64, requested_by=reviewer,
            document_number=f"鼓楼区初评〔2025〕{run + 1}号")
        seconds, cpu_seconds, peak, rss, path = _render_measured(summary.pk)
        pdf_seconds.append(seconds)
        pdf_cpu.append(cpu_seconds)
        peaks.append(peak)
        largest.append(rss)
        pages = _pages(path)

    excel_seconds = []
    for _ in range(excel_runs):
        t0 = time.perf_counter()
        with translation.override("zh-hans"):
            workbook = district_summary_workbook(district_summary(review),
                                                 document_number="鼓楼区初评〔2025〕1号")
            workbook.save(io.BytesIO())
        excel_seconds.append(time.perf_counter() - t0)
    from dataclasses import replace

    from evaluations.services.summary_pdf import summary_pdf

    with translation.override("zh-hans"):
        content = district_summary(review)
        first = replace(content, rows=content.rows[:NAIVE_ROWS], n=min(NAIVE_ROWS, n))
        naive_seconds = []
        for _ in range(pdf_runs):
            t0 = time.perf_counter()
            summary_pdf(first, document_number="鼓楼区初评〔2025〕1号",
                        chunk_rows=len(first.rows) or 1, workers=1)
            naive_seconds.append(time.perf_counter() - t0)
    print(json.dumps({
        "naive_seconds": naive_seconds,
        "ranking_ms": ranking_ms, "ranking_queries": queries, "save_ms": save_ms,
        "ranking_status": response.status_code, "pdf_seconds": pdf_seconds,
        "pdf_cpu_seconds": pdf_cpu,
        "pdf_peak_mb": max(peaks), "pdf_largest_rss_mb": max(largest), "pdf_pages": pages,
        "excel_seconds": excel_seconds, "setup_seconds": setup_seconds}))


def main(participants: int = DEFAULT_PARTICIPANTS, page_runs: int = PAGE_RUNS,
         pdf_runs: int = PDF_RUNS, excel_runs: int = EXCEL_RUNS,
         verbose: bool = True) -> PreliminaryBench:
    """Run the benchmark and return the figures; prints them when ``verbose``."""
    sys.path.insert(0, str(ROOT))
    from bench.bench_import import _throwaway_postgres

    with tempfile.TemporaryDirectory(prefix="bench-preliminary-") as tmp:
        env = dict(os.environ)
        cleanup = None
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"])
        else:
            env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench-preliminary.sqlite3'}"
        env["BENCH_MEDIA_ROOT"] = str(Path(tmp) / "media")
        try:
            completed = subprocess.run(
                [sys.executable, __file__, "--child", "--participants", str(participants),
                 "--runs", str(page_runs), "--pdf-runs", str(pdf_runs),
                 "--excel-runs", str(excel_runs)],
                env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        finally:
            if cleanup:
                cleanup()
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark failed:\n{completed.stdout}\n{completed.stderr}")
    bench = PreliminaryBench(participants=participants,
                             **json.loads(completed.stdout.strip().splitlines()[-1]))
    if verbose:
        for line in bench.lines():
            print(line, flush=True)
    return bench


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=DEFAULT_PARTICIPANTS)
    parser.add_argument("--runs", type=int, default=PAGE_RUNS, help="ranking page requests")
    parser.add_argument("--pdf-runs", type=int, default=PDF_RUNS)
    parser.add_argument("--excel-runs", type=int, default=EXCEL_RUNS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--render", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.render:
        _render_child(arguments.render)
    elif arguments.child:
        _child(arguments.participants, arguments.runs, arguments.pdf_runs,
               arguments.excel_runs)
    else:
        result = main(arguments.participants, arguments.runs, arguments.pdf_runs,
                      arguments.excel_runs)
        sys.exit(0 if result.pdf_ok and result.save_ok else 1)
