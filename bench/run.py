"""`make bench`: every speed target the issues set, as medians of several runs.

Each benchmark lives in its own module with a ``main()``; this runs them one after the other.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    bench_dashboard,
    bench_import,
    bench_preliminary,
    bench_self_evaluation,
    bench_simulate,
    bench_upload,
)


def main() -> int:
    print("== simulate_cycle: 20,000 institutions, 100 districts ==", flush=True)
    status = bench_simulate.main([])
    print("\n== registry import: 20,000-row workbook ==", flush=True)
    bench_import.main()
    print("\n== self-evaluation: 40 indicators, 200 files; report PDF ==", flush=True)
    bench_self_evaluation.main()
    print("\n== evidence upload: 200 MB ==", flush=True)
    bench_upload.main()
    print("\n== city dashboard: 20,000 institutions ==", flush=True)
    bench_dashboard.main()
    print("\n== preliminary review: a district of 2,000 ==", flush=True)
    bench_preliminary.main()
    return status or 0


if __name__ == "__main__":
    raise SystemExit(main())
