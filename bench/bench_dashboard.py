"""Benchmark of the city dashboards with 20,000 institutions (issue 3 §6): the self-evaluation
progress page, its filtered drill-down, the city home and the progress export.

The data is bulk-inserted into a fresh, migrated database in a child process (a new SQLite file,
or a throw-away PostgreSQL database when DATABASE_URL is set): 20,000 institutions over the 13
districts and 10 clusters, each invited to a cycle in self-evaluation with a mix of statuses,
and one saved answer for every report that is not "not started". Each page is requested
through Django's test client as the city administrator, once to warm up and then ``--runs``
times; the median and the peak RSS of the child are printed. Run it directly
(``python bench/bench_dashboard.py [--institutions N] [--runs N]``) or call ``main()``.
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
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTITUTIONS = 20_000
DEFAULT_RUNS = 7
TARGET_MS = 1000.0  # each page, median
TARGET_MB = 300.0


@dataclass(frozen=True)
class DashboardBench:
    institutions: int
    pages: dict[str, list[float]]  # page → milliseconds of each run
    queries: dict[str, int]
    peak_mb: float
    setup_seconds: float

    def median_ms(self, page: str) -> float:
        return statistics.median(self.pages[page])

    @property
    def ok(self) -> bool:
        return all(self.median_ms(page) < TARGET_MS for page in self.pages
                   if "export" not in page) and self.peak_mb < TARGET_MB

    def lines(self) -> list[str]:
        lines = [f"{page}: median {self.median_ms(page):.0f} ms over {len(runs)} runs, "
                 f"{self.queries[page]} queries" for page, runs in self.pages.items()]
        lines.append(f"dashboards with {self.institutions} institutions: peak "
                     f"{self.peak_mb:.0f} MB (data set up in {self.setup_seconds:.1f} s; "
                     f"target < {TARGET_MS:.0f} ms per page, < {TARGET_MB:.0f} MB)")
        return lines


def _populate(n: int):
    """``n`` institutions, a 2026 cycle in self-evaluation inviting all of them, and the city
    administrator who looks at it. Bulk inserts only: the services are not what is measured."""
    import datetime as dt
    import itertools

    from django.utils import timezone

    from evaluations.enums import CycleStatus, SubmissionStatus
    from evaluations.models import (
        Cycle,
        CycleStage,
        Indicator,
        IndicatorResponse,
        PolicyVersion,
        Submission,
    )
    from evaluations.services.cycles import copy_indicator_template
    from institutions.models import Cluster, District, Institution, User

    sys.path.insert(0, str(ROOT))
    from bench.bench_import import credit_code

    districts = list(District.objects.all())
    clusters = list(Cluster.objects.all())
    Institution.objects.bulk_create([
        Institution(name=f"徐州市第{i:05d}号新型研发机构有限公司", credit_code=credit_code(i + 1),
                    district=districts[i % len(districts)],
                    cluster=clusters[(i // len(districts)) % len(clusters)],
                    filing_date=dt.date(2014 + 2 * (i % 6), 1 + i % 12, 1 + i % 28),
                    legal_representative="张三", contact_person="李四",
                    contact_phone=f"0516-8{i:07d}")
        for i in range(n)
    ], batch_size=2000)
    today = timezone.localdate()
    cycle = Cycle.objects.create(year=2026, policy_version=PolicyVersion.objects.first(),
                                 status=CycleStatus.SELF_EVALUATION)
    CycleStage.objects.create(cycle=cycle, stage=CycleStatus.SELF_EVALUATION,
                              opens_on=today - dt.timedelta(days=20),
                              closes_on=today + dt.timedelta(days=25), opened_at=timezone.now())
    copy_indicator_template(cycle=cycle)
    statuses = itertools.cycle([SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS,
                                SubmissionStatus.IN_PROGRESS, SubmissionStatus.SUBMITTED,
                                SubmissionStatus.SUBMITTED])
    deadline = today + dt.timedelta(days=25)
    Submission.objects.bulk_create([
        Submission(cycle=cycle, institution_id=pk, district_id=district_id,
                   cluster_id=cluster_id, status=next(statuses), deadline=deadline)
        for pk, district_id, cluster_id in Institution.objects.values_list(
            "pk", "district_id", "cluster_id").iterator()
    ], batch_size=2000)
    indicator = Indicator.objects.filter(category__cycle=cycle).first()
    IndicatorResponse.objects.bulk_create([
        IndicatorResponse(submission_id=pk, indicator=indicator, data={"x": {"y1": "1"}})
        for pk in Submission.objects.exclude(status=SubmissionStatus.NOT_STARTED)
        .values_list("pk", flat=True).iterator()
    ], batch_size=2000)
    return cycle, User.objects.create(username="bench-city", role="city_admin")


def _child(n: int, runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    cycle, city = _populate(n)
    setup_seconds = time.perf_counter() - started
    from institutions.models import Cluster, District

    client = Client()
    client.force_login(city)
    progress = reverse("evaluations:progress", kwargs={"year": cycle.year})
    district = District.objects.order_by("sort_order").first()
    cluster = Cluster.objects.order_by("sort_order").first()
    pages = {
        "city progress page": (progress, {}),
        "city progress drill-down (district, cluster, status, page 3)": (
            progress, {"district": district.pk, "cluster": cluster.pk,
                       "status": "in_progress", "page": 3}),
        "city home": (reverse("home"), {}),
        "progress export (every report)": (
            reverse("evaluations:progress_export", kwargs={"year": cycle.year}), {}),
    }
    timings: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    for name, (url, data) in pages.items():
        response = client.get(url, data)  # warm up: caches, compiled templates
        assert response.status_code == 200, (name, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(url, data)
        queries[name] = len(captured.captured_queries)
        runs_here = runs if "export" not in name else max(1, runs // 2)
        timings[name] = []
        for _ in range(runs_here):
            t0 = time.perf_counter()
            response = client.get(url, data)
            timings[name].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
    # ru_maxrss is in kilobytes on Linux: the peak of this whole process, set-up included.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"pages": timings, "queries": queries, "peak_mb": peak_mb,
                      "setup_seconds": setup_seconds}))


def _run_child(n: int, runs: int, workdir: Path) -> dict:
    env = dict(os.environ)
    cleanup = None
    if os.environ.get("DATABASE_URL"):
        sys.path.insert(0, str(ROOT))
        from bench.bench_import import _throwaway_postgres

        env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"])
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench-dashboard.sqlite3'}"
    env["DJANGO_MEDIA_ROOT"] = str(workdir / "media")
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--child", "--institutions", str(n), "--runs", str(runs)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    finally:
        if cleanup:
            cleanup()
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark run failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(institutions: int = DEFAULT_INSTITUTIONS, runs: int = DEFAULT_RUNS,
         verbose: bool = True) -> DashboardBench:
    """Run the benchmark and return the figures; prints them when ``verbose``."""
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        figures = _run_child(institutions, runs, Path(tmp))
    bench = DashboardBench(institutions=institutions, pages=figures["pages"],
                           queries=figures["queries"], peak_mb=figures["peak_mb"],
                           setup_seconds=figures["setup_seconds"])
    if verbose:
        for line in bench.lines():
            print(line)
    return bench


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=DEFAULT_INSTITUTIONS)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.institutions, arguments.runs)
    else:
        sys.exit(0 if main(arguments.institutions, arguments.runs).ok else 1)
