"""Benchmark of the registry Excel import: 20,000 rows, target < 20 s and < 300 MB peak RSS.

Each run happens in a fresh process with a fresh, migrated database (a new SQLite file, or a
throw-away PostgreSQL database when DATABASE_URL is set), so that no run warms the next one.
Run it directly (``python bench/bench_import.py [--rows N] [--runs N]``) or call ``main()``.
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
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 20.0
TARGET_MB = 300.0
DEFAULT_ROWS = 20_000
DEFAULT_RUNS = 3

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DISTRICTS = ("鼓楼区", "云龙区", "贾汪区", "泉山区", "铜山区", "320321", "320322", "睢宁县",
              "新沂市", "邳州市", "徐州经济技术开发区", "徐州高新技术产业开发区",
              "徐州淮海国际港务区")
_CLUSTERS = ("工程机械", "绿色低碳能源", "新材料", "数字经济", "集成电路与ICT", "医药健康",
             "安全应急", "精品钢材", "高端纺织", "食品及农副产品加工")


@dataclass(frozen=True)
class ImportBench:
    rows: int
    seconds: list[float]
    peak_mb: list[float]

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_peak_mb(self) -> float:
        return statistics.median(self.peak_mb)

    @property
    def ok(self) -> bool:
        return self.median_seconds < TARGET_SECONDS and self.median_peak_mb < TARGET_MB

    def line(self) -> str:
        return (f"registry import {self.rows} rows: median {self.median_seconds:.1f} s, "
                f"peak {self.median_peak_mb:.0f} MB "
                f"(target < {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB)")


def credit_code(n: int, region: str = "320302") -> str:
    """A valid credit code for serial ``n`` (as ``tests.factories.make_credit_code``)."""
    from stdnum.cn import uscc

    body = ""
    for _ in range(9):
        n, digit = divmod(n, len(_ALPHABET))
        body = _ALPHABET[digit] + body
    partial = f"91{region}{body}"
    return partial + uscc.calc_check_digit(partial)


def write_workbook(path: Path, rows: int, streamed: bool = False) -> None:
    """A valid registry workbook of ``rows`` institutions with distinct codes, mixing the date
    forms and district names and codes the import accepts.

    By default it is written like Excel or WPS write it (shared strings, a dimension record).
    ``streamed`` writes it like the registry export does (openpyxl write-only: inline strings,
    no dimension), which openpyxl reads about 2 s slower at this size.
    """
    import datetime as dt

    from openpyxl import Workbook

    workbook = Workbook(write_only=streamed)
    if streamed:
        sheet = workbook.create_sheet("机构名录")
    else:
        sheet = workbook.active
        sheet.title = "机构名录"
    sheet.append(["名称", "统一社会信用代码", "所属地区", "产业集群", "备案日期", "法定代表人",
                  "联系人", "联系电话", "电子邮箱", "地址"])
    start = dt.date(2012, 1, 1)
    for n in range(rows):
        filed = start + dt.timedelta(days=n % 4000)
        date_cell = (filed if n % 3 == 0 else filed.isoformat() if n % 3 == 1
                     else f"{filed.year}年{filed.month}月{filed.day}日")
        sheet.append([
            f"徐州市第{n:05d}号新型研发机构有限公司", credit_code(n + 1),
            _DISTRICTS[n % len(_DISTRICTS)], _CLUSTERS[n % len(_CLUSTERS)], date_cell,
            "张三", "李四", f"0516-8{n:07d}", f"inst{n}@example.cn", f"徐州市科技路{n}号",
        ])
    workbook.save(path)


def _child(workbook: str) -> None:
    """One run: migrate a fresh database, import the workbook, print the figures as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from institutions.importers import registry_import
    from institutions.models import Institution, User

    actor = User.objects.create(username="bench-importer", role="city_admin")
    with open(workbook, "rb") as file:
        started = time.perf_counter()
        result = registry_import(file=file, actor=actor)
        seconds = time.perf_counter() - started
    if result.errors or Institution.objects.count() != result.created:
        raise SystemExit(f"import failed: {result.errors[:5]}")
    # ru_maxrss is in kilobytes on Linux: the peak of this whole process, import included.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"created": result.created, "seconds": seconds, "peak_mb": peak_mb}))


def _throwaway_postgres(url: str, prefix: str = "bench_import") -> tuple[str, callable]:
    """A new empty database on the server of ``url`` (made from its maintenance database,
    so the one ``url`` names need not exist), and a function that drops it. The other
    benchmarks' databases are made here too, under their own ``prefix``."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))

    def run(sql: str) -> None:
        connection = psycopg2.connect(maintenance)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    run(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: run(
        f'DROP DATABASE IF EXISTS "{name}"')


def _run_once(workbook: Path, workdir: Path, index: int) -> dict:
    env = dict(os.environ)
    cleanup = None
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"])
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / f'bench-{index}.sqlite3'}"
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--child", str(workbook)], env=env, cwd=ROOT,
            capture_output=True, text=True, check=False,
        )
    finally:
        if cleanup:
            cleanup()
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark run failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(rows: int = DEFAULT_ROWS, runs: int = DEFAULT_RUNS, verbose: bool = True,
         streamed: bool = False) -> ImportBench:
    """Run the benchmark and return the figures; prints one summary line when ``verbose``."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        workdir = Path(tmp)
        workbook = workdir / "registry.xlsx"
        write_workbook(workbook, rows, streamed=streamed)
        figures = [_run_once(workbook, workdir, index) for index in range(runs)]
    bench = ImportBench(rows=rows, seconds=[f["seconds"] for f in figures],
                        peak_mb=[f["peak_mb"] for f in figures])
    if verbose:
        print(bench.line())
    return bench


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--streamed", action="store_true",
                        help="write the workbook like the registry export (no dimension)")
    parser.add_argument("--child", metavar="WORKBOOK", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child)
    else:
        bench = main(arguments.rows, arguments.runs, streamed=arguments.streamed)
        sys.exit(0 if bench.ok else 1)
