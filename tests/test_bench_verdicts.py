"""`make bench` prints a verdict for every target and exits non-zero when one is missed (issue
9 §5): the runner is checked here with each benchmark replaced by one that meets or misses its
target, so that no real measurement runs in the suite."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench import run


def _fake(missed: str | None):
    """Benchmarks answering as their ``main`` does: a status for the command-like ones, a
    result with ``ok`` (or the preliminary's two verdicts) for the others."""
    def status(name):
        return lambda *a, **k: 1 if name == missed else 0

    def result(name):
        return lambda *a, **k: SimpleNamespace(ok=name != missed)

    return {
        "bench_simulate": SimpleNamespace(main=status("bench_simulate")),
        "bench_draw": SimpleNamespace(main=status("bench_draw")),
        "bench_import": SimpleNamespace(main=result("bench_import")),
        "bench_self_evaluation": SimpleNamespace(main=lambda *a, **k: None),
        "bench_upload": SimpleNamespace(main=result("bench_upload")),
        "bench_dashboard": SimpleNamespace(main=result("bench_dashboard")),
        "bench_preliminary": SimpleNamespace(main=lambda *a, **k: SimpleNamespace(
            save_ok=missed != "ranking save", pdf_ok=missed != "summary pdf")),
        "bench_panel": SimpleNamespace(main=lambda *a, **k: SimpleNamespace(
            console_ok=missed != "panel console", draw_ok=missed != "panel draw")),
        "bench_results": SimpleNamespace(main=result("bench_results")),
        "bench_scenario": SimpleNamespace(main=result("bench_scenario")),
        "bench_load": SimpleNamespace(main=status("bench_load")),
    }


@pytest.mark.parametrize("missed", [None, "bench_simulate", "bench_draw", "bench_import",
                                    "bench_upload", "bench_dashboard", "ranking save",
                                    "summary pdf", "panel console",
                                    "panel draw", "bench_results", "bench_scenario",
                                    "bench_load"])
def test_make_bench_exits_non_zero_exactly_when_a_target_is_missed(monkeypatch, capsys,
                                                                   missed):
    for name, fake in _fake(missed).items():
        monkeypatch.setattr(run, name, fake)
    status = run.main()
    verdicts = capsys.readouterr().out.split("== verdicts ==")[1].strip().splitlines()
    assert status == (0 if missed is None else 1)
    assert sum(line.startswith("MISSED") for line in verdicts) == (0 if missed is None else 1)
    assert len(verdicts) == 12  # one a target; self-evaluation and the panel export: figures
