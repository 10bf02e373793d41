"""`make bench`: every speed target the issues set, as medians of several runs.

Each benchmark lives in its own module with a ``main()``; this runs them one after the other,
prints a verdict for every target and exits non-zero when one is missed.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    bench_dashboard,
    bench_draw,
    bench_import,
    bench_load,
    bench_panel,
    bench_preliminary,
    bench_results,
    bench_scenario,
    bench_self_evaluation,
    bench_simulate,
    bench_upload,
)


def main() -> int:
    verdicts: list[tuple[str, bool]] = []
    print("== python -m scoring / simulate_cycle: 20,000 institutions, 100 districts ==",
          flush=True)
    verdicts.append(("scenario runner (< 1 s pure, < 3 s and < 300 MB command)",
                     bench_simulate.main([]) == 0))
    print("\n== expert draw (R6a): 5,000 experts, 2,000 panel institutions ==", flush=True)
    verdicts.append(("conflicts and draws (< 1 s)", bench_draw.main([]) == 0))
    print("\n== registry import: 20,000-row workbook ==", flush=True)
    verdicts.append(("registry import (< 20 s, < 300 MB)", bench_import.main().ok))
    print("\n== self-evaluation: 40 indicators, 200 files; report PDF ==", flush=True)
    bench_self_evaluation.main()  # figures only: the issue set no target for them
    print("\n== evidence upload: 200 MB ==", flush=True)
    verdicts.append(("evidence upload memory (< 30 MB)", bench_upload.main().ok))
    print("\n== city dashboard: 20,000 institutions ==", flush=True)
    verdicts.append(("city dashboard pages", bench_dashboard.main().ok))
    print("\n== preliminary review: a district of 2,000 ==", flush=True)
    preliminary = bench_preliminary.main()
    verdicts.append(("ranking save, a district of 2,000 (< 2 s)", preliminary.save_ok))
    verdicts.append(("district summary PDF of 2,000 rows (< 8 s, < 400 MB)",
                     preliminary.pdf_ok))
    print("\n== panel review: 1,000 institutions × 9 experts; draws from 5,000 experts ==",
          flush=True)
    panel = bench_panel.main([])
    verdicts.append(("panel console and ranking pages (< 500 ms)", panel.console_ok))
    # The score export is figures only (its time beside openpyxl's for the same cells): the
    # issue sets no target for it.
    verdicts.append(("panel draws through the service, 5,000 experts (< 1 s)", panel.draw_ok))
    print("\n== results: 20,000 participants computed, stored and explained ==", flush=True)
    verdicts.append(("results computed and stored, 20,000 participants (< 10 s on PostgreSQL)",
                     bench_results.main([]).ok))
    print("\n== cycle_from_scenario: xuzhou.json through the services ==", flush=True)
    verdicts.append(("cycle_from_scenario on xuzhou.json (< 15 s, simulate_cycle's output)",
                     bench_scenario.main([]).ok))
    print("\n== load run: gunicorn, 2 workers, 8 clients ==", flush=True)
    verdicts.append(("pages under load (>= 30 % of the trivial view, no error)",
                     bench_load.main([]) == 0))
    print("\n== verdicts ==")
    for name, ok in verdicts:
        print(f"{'met   ' if ok else 'MISSED'} {name}")
    return 0 if all(ok for _name, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
