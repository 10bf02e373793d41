"""Benchmark of the panel review (stage 3, Art 11, R6 and R6a) on a database of its own:

1. the organiser's console with 1,000 institutions of groups A and C and 9 experts per panel,
   every expert having submitted its score of every institution of its panel: the read
   (``selectors.panel_console.panel_console``) and the console page (GET
   ``evaluations:panel_console``), against 500 ms; the ranking page
   (``evaluations:panel_ranking``), against the same 500 ms;
2. the scores' Excel export (GET ``evaluations:panel_scores_export``) of the same cycle. The
   issue names no figure for it ("the score export of the same"). Its time is openpyxl's: the
   9,000 rows × some 30 columns are 290,000 cells, which openpyxl's write-only writer (with
   lxml) takes seconds to write whatever writes them. So it is shown beside that floor: the
   same cells (read back from the export) written again as plain values into a write-only
   workbook, in the same process, and the ratio of the two (what the app adds: reading,
   statistics, styles, the response). Figures only, with no verdict, as the issue sets none;
3. the draws through the service (``services.panel.panel_draw``, with the conflict detection
   it runs and records for the drawn experts) of the four panels of a cycle (A split into
   优势, 新兴 and 特色, C whole) from a pool of 5,000 experts and 2,000 institutions of
   groups A and C, against 1 s for the four together. It prints the median at half size too,
   so that a time that grows faster than the data shows. A draw cannot be redone: each run
   draws inside a transaction that is rolled back.

    .venv/bin/python bench/bench_panel.py [--institutions 1000] [--experts-per-panel 9]
        [--draw-experts 5000] [--draw-institutions 2000] [--runs 7] [--profile]

Each part runs in a child process of its own with a fresh, migrated database (a copy of one
migrated SQLite file, or a throw-away PostgreSQL database when DATABASE_URL is set), filled
with ``bulk_create`` from deterministic seeds; group B is there too (its size from the policy's
shares), so that the city quotas are those of a real cycle. Medians of ``--runs`` runs after a
warm-up; ``--profile`` prints, for each measured operation, its query count and the functions
taking the most time (cProfile). Exits with status 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_PAGE_MS = 500.0
TARGET_DRAW_MS = 1000.0
DEFAULT_INSTITUTIONS = 1000
DEFAULT_EXPERTS_PER_PANEL = 9
DEFAULT_DRAW_EXPERTS = 5000
DEFAULT_DRAW_INSTITUTIONS = 2000
DEFAULT_RUNS = 7
PROFILE_LINES = 18


@dataclass(frozen=True)
class PanelBench:
    institutions: int
    experts_per_panel: int
    draw_experts: int
    draw_institutions: int
    console: dict          # the child's figures: lists of milliseconds, query counts, sizes
    draw_full: dict
    draw_half: dict
    profiles: list[str] = field(default_factory=list)

    @property
    def console_ok(self) -> bool:
        return (_median(self.console["page_ms"]) < TARGET_PAGE_MS
                and _median(self.console["ranking_ms"]) < TARGET_PAGE_MS)

    @property
    def export_ratio(self) -> float:
        return _median(self.console["export_ms"]) / _median(self.console["plain_write_ms"])

    @property
    def draw_ok(self) -> bool:
        return _median(self.draw_full["draw_ms"]) < TARGET_DRAW_MS

    @property
    def ok(self) -> bool:
        return self.console_ok and self.draw_ok

    def lines(self) -> list[str]:
        c, full, half = self.console, self.draw_full, self.draw_half
        size = (f"{self.institutions} institutions of A and C × {self.experts_per_panel} "
                f"experts per panel ({c['scores']} submitted scores)")

        def verdict(ms: list[float], target: float) -> str:
            return "met" if _median(ms) < target else "MISSED"

        full_ms, half_ms = _median(full["draw_ms"]), _median(half["draw_ms"])
        return [
            f"console read panel_console(), {size}: median {_median(c['read_ms']):.0f} ms over "
            f"{len(c['read_ms'])} runs, {c['read_queries']} queries",
            f"console page: median {_median(c['page_ms']):.0f} ms over {len(c['page_ms'])} "
            f"runs, {c['page_queries']} queries, {c['page_kb']:.0f} KB "
            f"(target < {TARGET_PAGE_MS:.0f} ms) {verdict(c['page_ms'], TARGET_PAGE_MS)}",
            f"ranking page: median {_median(c['ranking_ms']):.0f} ms over "
            f"{len(c['ranking_ms'])} runs, {c['ranking_queries']} queries, "
            f"{c['ranking_kb']:.0f} KB (target < {TARGET_PAGE_MS:.0f} ms) "
            f"{verdict(c['ranking_ms'], TARGET_PAGE_MS)}",
            f"score export (xlsx): median {_median(c['export_ms']):.0f} ms over "
            f"{len(c['export_ms'])} runs, {c['export_queries']} queries, "
            f"{c['export_kb']:.0f} KB; the same {c['export_cells']} cells written plainly "
            f"by openpyxl: median {_median(c['plain_write_ms']):.0f} ms; ratio "
            f"{self.export_ratio:.2f} (no target: figures only)",
            f"draws via panel_draw, {self.draw_experts} experts and {self.draw_institutions} "
            f"institutions, {full['panels']} panels: median {full_ms:.0f} ms over "
            f"{len(full['draw_ms'])} runs, {full['draw_queries']} queries, "
            f"{full['conflicts']} conflicts recorded (target < {TARGET_DRAW_MS:.0f} ms) "
            f"{verdict(full['draw_ms'], TARGET_DRAW_MS)}",
            "  per panel (median ms, in draw order): "
            + ", ".join(f"{name} {ms:.0f}" for name, ms in full["per_panel_ms"]),
            f"  half size ({self.draw_experts // 2} experts, {self.draw_institutions // 2} "
            f"institutions): {half_ms:.0f} ms; full / half = {full_ms / half_ms:.2f} "
            "(about 2 when linear)",
            f"  draw page preview (draw_preview of the first panel): median "
            f"{_median(full['preview_ms']):.0f} ms, {full['preview_queries']} queries; "
            f"half size {_median(half['preview_ms']):.0f} ms",
            f"(set up: console cycle in {c['setup_seconds']:.1f} s, draw pools in "
            f"{full['setup_seconds']:.1f} s and {half['setup_seconds']:.1f} s)",
        ]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("inf")


# --- The child processes -------------------------------------------------------------------

def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["AXES_ENABLED"] = "false"
    import django

    django.setup()


def _cycle(n_ac: int, rng):
    """A 2025 cycle in its panel review, stages 1 and 2 closed: ``n_ac`` members of groups A
    and C (in the policy's proportions A : C) and group B in proportion, spread over the
    districts and clusters. Returns the cycle and the panel organiser."""
    import datetime as dt

    from django.utils import timezone

    from bench.bench_draw import _name
    from bench.bench_import import credit_code
    from evaluations.enums import CycleStatus, DistrictReviewStatus, SubmissionStatus
    from evaluations.models import (
        Cycle,
        CycleStage,
        DistrictReview,
        Participant,
        PolicyVersion,
        Submission,
    )
    from evaluations.services.cycles import copy_indicator_template
    from institutions.enums import Role
    from institutions.models import Cluster, District, Institution, User

    policy = PolicyVersion.objects.order_by("effective_date").first()
    share_a, share_b, share_c = policy.as_params().district_shares
    n_a = round(n_ac * share_a / (share_a + share_c))
    n_c = n_ac - n_a
    n_b = round(n_ac * share_b / (share_a + share_c))
    groups = ["A"] * n_a + ["B"] * n_b + ["C"] * n_c
    rng.shuffle(groups)
    organiser = User.objects.create(username="bench-organiser", role=Role.PANEL_ORGANISER)
    districts = list(District.objects.order_by("sort_order", "pk"))
    clusters = list(Cluster.objects.order_by("sort_order", "pk"))
    Institution.objects.bulk_create([
        Institution(name=f"徐州市第{i:04d}号新型研发机构有限公司", credit_code=credit_code(i + 1),
                    district=districts[i % len(districts)], cluster=rng.choice(clusters),
                    filing_date=dt.date(2021, 3, 1), legal_representative=_name(rng),
                    contact_person=_name(rng), contact_phone=f"0516-8{i:07d}")
        for i in range(len(groups))], batch_size=1000)
    today, now = timezone.localdate(), timezone.now()
    cycle = Cycle.objects.create(year=2025, policy_version=policy,
                                 status=CycleStatus.PANEL_REVIEW, created_by=organiser)
    CycleStage.objects.bulk_create([
        CycleStage(cycle=cycle, stage=CycleStatus.SELF_EVALUATION,
                   opens_on=today - dt.timedelta(days=90), closes_on=today - dt.timedelta(days=60),
                   opened_at=now, closed_at=now),
        CycleStage(cycle=cycle, stage=CycleStatus.PRELIMINARY_REVIEW,
                   opens_on=today - dt.timedelta(days=59), closes_on=today - dt.timedelta(days=1),
                   opened_at=now, closed_at=now),
        CycleStage(cycle=cycle, stage=CycleStatus.PANEL_REVIEW, opens_on=today,
                   closes_on=today + dt.timedelta(days=30), opened_at=now)])
    copy_indicator_template(cycle=cycle)
    institutions = list(Institution.objects.order_by("pk")
                        .values_list("pk", "district_id", "cluster_id"))
    Submission.objects.bulk_create([
        Submission(cycle=cycle, institution_id=pk, district_id=district_id,
                   cluster_id=cluster_id, status=SubmissionStatus.SUBMITTED,
                   deadline=today - dt.timedelta(days=60), submitted_at=now)
        for pk, district_id, cluster_id in institutions], batch_size=1000)
    reviews = {r.district_id: r.pk for r in DistrictReview.objects.bulk_create([
        DistrictReview(cycle=cycle, district=d, status=DistrictReviewStatus.ACCEPTED,
                       revision=1, ranking_saved_at=now, decided_at=now)
        for d in districts])}
    submissions = Submission.objects.filter(cycle=cycle).order_by("institution_id") \
        .values_list("pk", "institution_id", "district_id")
    Participant.objects.bulk_create([
        Participant(cycle=cycle, submission_id=submission_id, institution_id=institution_id,
                    district_review_id=reviews[district_id],
                    score=rng.randint(4000, 9800) / 100, rank=k + 1, group=groups[k],
                    tie_confirmed=True, comment="研发投入持续增长，成果转化情况良好。",
                    fraud_confirmed_at=now if groups[k] != "B" and k % 97 == 13 else None)
        for k, (submission_id, institution_id, district_id) in enumerate(submissions)],
        batch_size=1000)
    return cycle, organiser


def _populate_console(n_ac: int, per_panel: int, rng):
    """The console's cycle: the default panels (A whole, C whole), each with a recorded draw
    of ``per_panel`` members who accepted, and every member's submitted score of every
    institution of its panel, indicator by indicator."""
    from decimal import Decimal

    from django.utils import timezone

    from bench.bench_draw import _name
    from bench.bench_import import credit_code
    from evaluations.enums import DrawKind, PanelGroup, SeatRole, SeatStatus
    from evaluations.models import ExpertScore, Indicator, Panel, PanelDraw, PanelSeat
    from evaluations.selectors.panel import panel_institutions, panel_members
    from institutions.enums import Gender, TitleLevel
    from institutions.models import Cluster, Expert

    cycle, organiser = _cycle(n_ac, rng)
    now = timezone.now()
    panels = Panel.objects.bulk_create([Panel(cycle=cycle, group=PanelGroup.A, position=1),
                                        Panel(cycle=cycle, group=PanelGroup.C, position=2)])
    experts = Expert.objects.bulk_create([
        Expert(pool_number=f"E{k + 1:05d}", name=_name(rng), gender=Gender.MALE,
               employer_name="中国矿业大学", employer_credit_code=credit_code(k + 1, "320311"),
               title="教授", title_level=TitleLevel.FULL_SENIOR, phone="13800000000",
               email=f"expert{k}@example.cn")
        for k in range(per_panel * len(panels))])
    Expert.clusters.through.objects.bulk_create([
        Expert.clusters.through(expert_id=e.pk, cluster_id=c.pk)
        for e in experts for c in Cluster.objects.all()])
    members = panel_members(cycle)
    indicators = list(Indicator.objects.filter(category__cycle=cycle).values_list("pk", "points"))
    scores = []
    for p, panel in enumerate(panels):
        mine = experts[p * per_panel:(p + 1) * per_panel]
        draw = PanelDraw.objects.create(
            panel=panel, kind=DrawKind.INITIAL, seed=f"bench-{panel.position}",
            seed_entered=True, eligible=[e.pool_number for e in mine], members=len(mine),
            alternates=0, drawn_by=organiser)
        seats = PanelSeat.objects.bulk_create([
            PanelSeat(panel=panel, draw=draw, expert=e, position=n, role=SeatRole.MEMBER,
                      status=SeatStatus.ACCEPTED, responded_at=now)
            for n, e in enumerate(mine, start=1)])
        for institution in panel_institutions(panel, members):
            quality = rng.uniform(0.45, 0.95)  # the institution's level, each expert near it
            for seat in seats:
                level = min(1.0, max(0.0, quality + rng.uniform(-0.08, 0.08)))
                given = {str(pk): (Decimal(points) * Decimal(str(level))).quantize(
                    Decimal("0.01")) for pk, points in indicators}
                scores.append(ExpertScore(
                    seat=seat, participant_id=members.participant_pk[institution.id],
                    scores={k: str(v) for k, v in given.items()}, total=sum(given.values()),
                    comment="材料翔实，成果转化成效明显。", revision=2, submitted_at=now))
    ExpertScore.objects.bulk_create(scores, batch_size=1000)
    return cycle, organiser, len(scores)


def _populate_draw(experts: int, n_ac: int, rng):
    """The draw's cycle: four panels (A split by cluster category, then C), none drawn, and a
    pool of ``experts`` as ``bench_draw`` builds it — one to three clusters each, 90 % with
    a senior title, 95 % active, one to three employers now or in the last three years (30 %
    of them institutions of the cycle) — so that the conflicts found are of the same
    kind."""
    import datetime as dt

    from django.utils import timezone

    from bench.bench_draw import _name
    from bench.bench_import import credit_code
    from evaluations.enums import PanelGroup
    from evaluations.models import Panel
    from institutions.enums import ClusterGroup, ExpertStatus, Gender, TitleLevel
    from institutions.models import Cluster, Expert, ExpertEmployment, Institution

    cycle, organiser = _cycle(n_ac, rng)
    Panel.objects.bulk_create([
        Panel(cycle=cycle, group=PanelGroup.A, position=1, categories=[ClusterGroup.LEADING]),
        Panel(cycle=cycle, group=PanelGroup.A, position=2, categories=[ClusterGroup.EMERGING]),
        Panel(cycle=cycle, group=PanelGroup.A, position=3,
              categories=[ClusterGroup.DISTINCTIVE]),
        Panel(cycle=cycle, group=PanelGroup.C, position=4)])
    codes = list(Institution.objects.filter(participations__cycle=cycle,
                                            participations__group__in=PanelGroup.values)
                 .order_by("credit_code").values_list("credit_code", flat=True))
    clusters = list(Cluster.objects.order_by("sort_order", "pk"))
    since = timezone.localdate() - dt.timedelta(days=400)
    rows, jobs, judged = [], [], []
    for k in range(experts):
        employers = [rng.choice(codes) if rng.random() < 0.3
                     else credit_code(k * 4 + j + 1, "320311")
                     for j in range(rng.randint(1, 3))]
        rows.append(Expert(
            pool_number=f"E{k:05d}", name=_name(rng), gender=Gender.MALE,
            employer_name="徐州某单位", employer_credit_code=employers[0], title="教授",
            title_level=TitleLevel.FULL_SENIOR if rng.random() < 0.9 else TitleLevel.INTERMEDIATE,
            phone="13800000000", email=f"expert{k}@example.cn",
            status=ExpertStatus.ACTIVE if rng.random() < 0.95 else ExpertStatus.SUSPENDED))
        jobs.append(employers[1:])
        judged.append(rng.sample(clusters, rng.randint(1, 3)))
    rows = Expert.objects.bulk_create(rows, batch_size=1000)
    Expert.clusters.through.objects.bulk_create([
        Expert.clusters.through(expert_id=e.pk, cluster_id=c.pk)
        for e, chosen in zip(rows, judged, strict=True) for c in chosen], batch_size=2000)
    ExpertEmployment.objects.bulk_create([
        ExpertEmployment(expert_id=e.pk, employer_name="徐州某单位", credit_code=code,
                         started_on=dt.date(2015, 1, 1), ended_on=since)
        for e, past in zip(rows, jobs, strict=True) for code in past], batch_size=2000)
    return cycle, organiser


def _profiled(fn) -> str:
    """``fn()`` under cProfile: the functions with the most own time, then the application's
    functions with the most cumulated time."""
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    own = pstats.Stats(profile, stream=out)
    own.sort_stats("cumulative").print_stats(
        r"/(evaluations|scoring|institutions|reports)/", PROFILE_LINES)
    return out.getvalue()


def _timed(fn, runs: int) -> list[float]:
    fn()  # warm up: caches, compiled templates
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def _plain_write(xlsx: bytes):
    """The number of cells of the workbook ``xlsx`` and a function writing the same values,
    sheet by sheet, into a new write-only workbook (no style), into memory."""
    import io

    from openpyxl import Workbook, load_workbook

    source = load_workbook(io.BytesIO(xlsx), read_only=True)
    sheets = [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
              for sheet in source.worksheets]
    source.close()

    def write():
        workbook = Workbook(write_only=True)
        for title, rows in sheets:
            sheet = workbook.create_sheet(title)
            for row in rows:
                sheet.append(row)
        workbook.save(io.BytesIO())

    return sum(len(row) for _title, rows in sheets for row in rows), write


def _as_a_server_process() -> None:
    """Leave the objects the set-up made out of the garbage collector's way. The measuring
    process built the whole database's rows in Python first; a server's worker never holds
    them, and with them every full collection during a measured request walks them all (the
    profiles showed object creation costing ten times its due)."""
    import gc

    gc.collect()
    gc.freeze()


def _child_console(n_ac: int, per_panel: int, runs: int, profile: bool) -> dict:
    import random

    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from evaluations.models import Cycle
    from evaluations.selectors.panel_console import panel_console

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    cycle, organiser, scores = _populate_console(n_ac, per_panel, random.Random("bench-panel"))
    setup_seconds = time.perf_counter() - started
    _as_a_server_process()

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(organiser)
    urls = {name: reverse(f"evaluations:{name}", kwargs={"year": cycle.year})
            for name in ("panel_console", "panel_ranking", "panel_scores_export")}
    sizes, bodies = {}, {}

    def get(name: str):
        def fetch():
            response = client.get(urls[name])
            if response.status_code != 200:
                raise SystemExit(f"{name} answered {response.status_code}")
            sizes[name] = len(response.content) / 1024
            bodies[name] = response.content
        return fetch

    def read():
        panel_console(Cycle.objects.select_related("policy_version").get(pk=cycle.pk))

    figures = {"scores": scores, "setup_seconds": setup_seconds}
    profiles = []
    for key, fn in (("read", read), ("page", get("panel_console")),
                    ("ranking", get("panel_ranking")), ("export", get("panel_scores_export"))):
        figures[f"{key}_ms"] = _timed(fn, runs)
        figures[f"{key}_queries"] = _queries(fn)
        if profile:
            profiles.append(f"--- profile: console {key} ({figures[f'{key}_queries']} queries)"
                            f" ---\n{_profiled(fn)}")
    figures["export_cells"], plain_write = _plain_write(bodies["panel_scores_export"])
    figures["plain_write_ms"] = _timed(plain_write, runs)
    figures["page_kb"] = sizes["panel_console"]
    figures["ranking_kb"] = sizes["panel_ranking"]
    figures["export_kb"] = sizes["panel_scores_export"]
    figures["profiles"] = profiles
    return figures


class _Rollback(Exception):
    """Raised at the end of a run to undo its draws: a draw cannot be redone."""


def _child_draw(experts: int, n_ac: int, runs: int, profile: bool) -> dict:
    import random

    from django.core.management import call_command
    from django.db import transaction

    from evaluations.models import Conflict, Panel
    from evaluations.selectors.panel import draw_preview
    from evaluations.services.panel import panel_draw, panel_draw_problems

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    cycle, organiser = _populate_draw(experts, n_ac, random.Random("bench-panel-draw"))
    setup_seconds = time.perf_counter() - started
    _as_a_server_process()
    panels = list(Panel.objects.filter(cycle=cycle).select_related("cycle__policy_version")
                  .order_by("position"))
    found = {}

    def draw_all(per_panel: list[float] | None = None):
        try:
            with transaction.atomic():
                for panel in panels:
                    t0 = time.perf_counter()
                    panel_draw(panel=panel, actor=organiser, seed=f"bench-{panel.position}")
                    if per_panel is not None:
                        per_panel.append((time.perf_counter() - t0) * 1000)
                found["conflicts"] = Conflict.objects.filter(cycle=cycle).count()
                raise _Rollback
        except _Rollback:
            pass

    def draw_timed():
        # The time of the draws alone: the count of conflicts and the rollback are left out.
        per_panel = []
        draw_all(per_panel)
        return sum(per_panel), per_panel

    draw_all()  # warm up
    draw_ms, per_panel = [], []
    for _ in range(runs):
        total, each = draw_timed()
        draw_ms.append(total)
        per_panel.append(each)

    first = panels[0]

    def preview():
        draw_preview(first, panel_draw_problems(first))

    figures = {
        "panels": len(panels), "setup_seconds": setup_seconds, "draw_ms": draw_ms,
        "per_panel_ms": [(p.name, statistics.median(run[k] for run in per_panel))
                         for k, p in enumerate(panels)],
        "draw_queries": _queries(draw_all), "conflicts": found["conflicts"],
        "preview_ms": _timed(preview, runs), "preview_queries": _queries(preview),
        "profiles": []}
    if profile:
        figures["profiles"] = [
            f"--- profile: draws, {experts} experts ({figures['draw_queries']} queries) ---\n"
            f"{_profiled(draw_all)}",
            f"--- profile: draw preview ({figures['preview_queries']} queries) ---\n"
            f"{_profiled(preview)}"]
    return figures


# --- The parent ----------------------------------------------------------------------------

def _run_child(args: list[str], template: Path | None, workdir: Path, name: str) -> dict:
    from bench.bench_import import _throwaway_postgres

    env = dict(os.environ)
    cleanup = None
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"])
    else:
        database = workdir / f"{name}.sqlite3"
        shutil.copyfile(template, database)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    try:
        completed = subprocess.run([sys.executable, __file__, *args], env=env, cwd=ROOT,
                                   capture_output=True, text=True, check=False)
    finally:
        if cleanup:
            cleanup()
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark {name} failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _migrated_sqlite(workdir: Path) -> Path:
    """One migrated SQLite file that each part starts from (migrating takes seconds)."""
    template = workdir / "migrated.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{template}"}
    completed = subprocess.run([sys.executable, __file__, "--child", "migrate"], env=env,
                               cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{completed.stdout}\n{completed.stderr}")
    return template


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=DEFAULT_INSTITUTIONS,
                        help="institutions of groups A and C in the console's cycle")
    parser.add_argument("--experts-per-panel", type=int, default=DEFAULT_EXPERTS_PER_PANEL)
    parser.add_argument("--draw-experts", type=int, default=DEFAULT_DRAW_EXPERTS)
    parser.add_argument("--draw-institutions", type=int, default=DEFAULT_DRAW_INSTITUTIONS)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of each measured operation")
    parser.add_argument("--child", choices=("migrate", "console", "draw"),
                        help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None, verbose: bool = True) -> PanelBench:
    """Run the three parts and return the figures; prints them when ``verbose``."""
    args = _parser().parse_args(argv)
    common = ["--runs", str(args.runs)] + (["--profile"] if args.profile else [])
    with tempfile.TemporaryDirectory(prefix="bench-panel-") as tmp:
        workdir = Path(tmp)
        template = None if os.environ.get("DATABASE_URL") else _migrated_sqlite(workdir)
        console = _run_child(["--child", "console", "--institutions", str(args.institutions),
                              "--experts-per-panel", str(args.experts_per_panel), *common],
                             template, workdir, "console")
        half = _run_child(["--child", "draw", "--draw-experts", str(args.draw_experts // 2),
                           "--draw-institutions", str(args.draw_institutions // 2), *common],
                          template, workdir, "draw-half")
        full = _run_child(["--child", "draw", "--draw-experts", str(args.draw_experts),
                           "--draw-institutions", str(args.draw_institutions), *common],
                          template, workdir, "draw-full")
    profiles = console.pop("profiles") + full.pop("profiles")
    half.pop("profiles")
    bench = PanelBench(institutions=args.institutions, experts_per_panel=args.experts_per_panel,
                       draw_experts=args.draw_experts, draw_institutions=args.draw_institutions,
                       console=console, draw_full=full, draw_half=half, profiles=profiles)
    if verbose:
        for line in bench.lines():
            print(line, flush=True)
        for text in bench.profiles:
            print(text, flush=True)
    return bench


def _child(args: argparse.Namespace) -> None:
    _setup_django()
    if args.child == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        print(json.dumps({}))
    elif args.child == "console":
        print(json.dumps(_child_console(args.institutions, args.experts_per_panel, args.runs,
                                        args.profile)))
    else:
        print(json.dumps(_child_draw(args.draw_experts, args.draw_institutions, args.runs,
                                     args.profile)))


if __name__ == "__main__":
    arguments = _parser().parse_args()
    if arguments.child:
        _child(arguments)
    else:
        raise SystemExit(0 if main(sys.argv[1:]).ok else 1)
