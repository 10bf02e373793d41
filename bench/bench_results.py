"""Benchmark of the results (Art 7, 13; R9, issue 11): computing and storing every
participant's tier and explanation (``services.results.results_compute``) for a cycle of
20,000 participants in its re-verification, against 10 s on PostgreSQL.

The cycle is bulk-inserted into a fresh, migrated database in a child process (a new SQLite
file, or a throw-away PostgreSQL database on the server of DATABASE_URL, dropped afterwards)
by ``tests/evaluations/results_setup.py``: 13 districts, every member of groups A and C with
a panel score, the panel review closed (its results, fail count above F), the
re-verification list with its verdicts (some not confirmed, some poor), two alternates
allowed and called in, the spot check drawn with its verdicts, 1 % confirmed frauds with
their credit records. Measured, medians of ``--runs`` runs:

1. the first computation (the tiers created, and the results' audit entry): the stored results
   are removed between runs with raw deletes, which the service never does;
2. a computation again over stored results (the tiers compared and updated in place);
3. ``results_recompute_compare`` (the stored inputs computed again and compared).

    .venv/bin/python bench/bench_results.py [--participants 20000] [--runs 3] [--profile]

Exits with status 1 when the first computation misses its target.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PARTICIPANTS = 20_000
DEFAULT_RUNS = 3
TARGET_SECONDS = 10.0
DISTRICTS = ("鼓楼区", "云龙区", "贾汪区", "泉山区", "铜山区", "丰县", "沛县", "睢宁县", "新沂市",
             "邳州市", "徐州经济技术开发区", "徐州高新技术产业开发区", "徐州淮海国际港务区")


@dataclass(frozen=True)
class ResultsBench:
    participants: int
    database: str
    compute_seconds: list[float]
    again_seconds: list[float]
    compare_seconds: list[float]
    queries: int
    tiers: dict
    setup_seconds: float
    profile: str = ""

    @property
    def ok(self) -> bool:
        return statistics.median(self.compute_seconds) < TARGET_SECONDS

    def lines(self) -> list[str]:
        verdict = "met" if self.ok else "MISSED"
        tiers = ", ".join(f"{k} {v}" for k, v in self.tiers.items())
        return [
            f"results_compute, {self.participants} participants ({self.database}): median "
            f"{statistics.median(self.compute_seconds):.2f} s over {len(self.compute_seconds)} "
            f"runs ({', '.join(f'{s:.2f}' for s in self.compute_seconds)}), {self.queries} "
            f"queries (target < {TARGET_SECONDS:.0f} s) {verdict}",
            f"  computed again over stored results: median "
            f"{statistics.median(self.again_seconds):.2f} s",
            f"  results_recompute_compare: median {statistics.median(self.compare_seconds):.2f} s",
            f"  tiers: {tiers}",
            f"(cycle set up in {self.setup_seconds:.1f} s)",
        ]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["AXES_ENABLED"] = "false"
    import django

    django.setup()


def _scenario(n: int) -> dict:
    """The districts' entries (rank order) for ``n`` participants. Panel scores are distinct
    within groups A and C (no tie can block), from a fixed seed."""
    import random

    from scoring import district_split
    from tests.evaluations.results_setup import entry

    rng = random.Random("bench-results")
    sizes = [n // len(DISTRICTS) + (1 if k < n % len(DISTRICTS) else 0)
             for k in range(len(DISTRICTS))]
    splits = [district_split(size) for size in sizes]
    a_total = sum(s.a for s in splits)
    c_total = sum(s.c for s in splits)
    a_scores = iter(sorted(rng.sample(range(1, 10001), a_total), reverse=True))
    c_scores = iter(rng.sample(range(1, 10001), c_total))
    districts = {}
    for name, split in zip(DISTRICTS, splits, strict=True):
        entries = []
        for k in range(1, split.n + 1):
            if k <= split.a:
                score = next(a_scores)
            elif k > split.a + split.b:
                score = next(c_scores)
            else:
                score = None
            roll = rng.random()
            entries.append(entry(
                score=None if score is None else f"{score / 100:.2f}",
                reverify="poor" if roll < 0.03 else "not_confirmed" if roll < 0.08
                else "confirmed",
                spot="poor" if roll < 0.05 else "confirmed",
                fraud=rng.random() < 0.01))
        districts[name] = entries
    return districts


def _child(n: int, runs: int, profile: bool) -> None:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from evaluations.models import CycleResults, ParticipantTier
    from evaluations.services.results import results_compute, results_recompute_compare
    from institutions.models import User
    from tests.evaluations.results_setup import build_reverification_cycle

    call_command("migrate", verbosity=0, interactive=False)
    city = User.objects.create(username="bench-city", role="city_admin")
    started = time.perf_counter()
    districts = _scenario(n)
    built = build_reverification_cycle(city, districts, fail_count=None, alternates=2)
    setup_seconds = time.perf_counter() - started
    cycle = built.cycle

    def clear() -> None:
        # What the benchmark needs between first computations, never the service: raw
        # deletes send no signal (so write no audit entry for 20,000 rows).
        with transaction.atomic():
            ParticipantTier.objects.filter(results__cycle=cycle)._raw_delete(connection.alias)
            CycleResults.objects.filter(cycle=cycle)._raw_delete(connection.alias)
        if connection.vendor == "postgresql":
            # The deleted tiers' dead index entries would slow the next run's inserts (a
            # first computation never meets them): vacuumed, as autovacuum would.
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {ParticipantTier._meta.db_table}, "
                               f"{CycleResults._meta.db_table}")

    compute_seconds, queries = [], 0
    for run in range(runs):
        clear()
        if run == 0:
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                results_compute(cycle=cycle, actor=city)
                compute_seconds.append(time.perf_counter() - t0)
            queries = len(captured.captured_queries)
        else:
            t0 = time.perf_counter()
            results_compute(cycle=cycle, actor=city)
            compute_seconds.append(time.perf_counter() - t0)
    again_seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        results_compute(cycle=cycle, actor=city)
        again_seconds.append(time.perf_counter() - t0)
    compare_seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        comparison = results_recompute_compare(cycle=cycle)
        compare_seconds.append(time.perf_counter() - t0)
        if not comparison.identical:
            raise SystemExit(f"the results computed again differ: {comparison}")
    profiled = ""
    if profile:
        import cProfile
        import io
        import pstats

        clear()
        profiler = cProfile.Profile()
        profiler.enable()
        results_compute(cycle=cycle, actor=city)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        profiled = out.getvalue()
    from collections import Counter

    tiers = Counter(ParticipantTier.objects.filter(results__cycle=cycle)
                    .values_list("tier", flat=True))
    print(json.dumps({
        "database": connection.vendor, "compute_seconds": compute_seconds,
        "again_seconds": again_seconds, "compare_seconds": compare_seconds,
        "queries": queries, "setup_seconds": setup_seconds, "profile": profiled,
        "tiers": {t: tiers[t] for t in ("excellent", "good", "qualified", "unqualified")}}))


def main(argv: list[str] | None = None, *, participants: int = DEFAULT_PARTICIPANTS,
         runs: int = DEFAULT_RUNS, profile: bool = False, verbose: bool = True) -> ResultsBench:
    """Run the benchmark in a child process on a database of its own; print the figures
    when ``verbose`` and return them."""
    if argv is not None:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--participants", type=int, default=participants)
        parser.add_argument("--runs", type=int, default=runs)
        parser.add_argument("--profile", action="store_true")
        arguments = parser.parse_args(argv)
        participants, runs, profile = arguments.participants, arguments.runs, arguments.profile
    from bench.bench_import import _throwaway_postgres

    with tempfile.TemporaryDirectory(prefix="bench-results-") as tmp:
        env = dict(os.environ)
        cleanup = None
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"],
                                                              "bench_results")
        else:
            env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench-results.sqlite3'}"
        try:
            command = [sys.executable, __file__, "--child", "--participants", str(participants),
                       "--runs", str(runs)] + (["--profile"] if profile else [])
            completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True,
                                       text=True, check=False)
        finally:
            if cleanup:
                cleanup()
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark failed:\n{completed.stdout}\n{completed.stderr}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    bench = ResultsBench(participants=participants, **figures)
    if verbose:
        for line in bench.lines():
            print(line, flush=True)
        if bench.profile:
            print(bench.profile)
    return bench


if __name__ == "__main__":
    if "--child" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--child", action="store_true")
        parser.add_argument("--participants", type=int, default=DEFAULT_PARTICIPANTS)
        parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
        parser.add_argument("--profile", action="store_true")
        arguments = parser.parse_args()
        _child(arguments.participants, arguments.runs, arguments.profile)
    else:
        sys.exit(0 if main(sys.argv[1:]).ok else 1)
