"""Benchmark of ``manage.py cycle_from_scenario`` (issue 11 §5): a scenario's whole cycle
through the web application's services of stages 2–4, on a scratch cycle rolled back at the
end, against 15 s for ``examples/scenarios/xuzhou.json`` (150 institutions in Xuzhou's 13
districts, 123 participants).

    .venv/bin/python bench/bench_scenario.py [--scenario examples/scenarios/xuzhou.json]
        [--runs 3]

The database is a fresh, migrated one of its own: a new SQLite file, or a throw-away
PostgreSQL database on the server of DATABASE_URL, dropped afterwards. Each run is the command
as a user runs it, a fresh process (start-up included) writing its output with ``--out``;
the figure is the median of ``--runs`` runs. Every run's output must be ``simulate_cycle``'s,
byte for byte, and the database must hold as many rows of every table after the runs as
before them (the scratch cycle leaves nothing behind). Exits with status 1 when the target is
missed or either check fails.
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

TARGET_SECONDS = 15.0
DEFAULT_SCENARIO = ROOT / "examples" / "scenarios" / "xuzhou.json"
DEFAULT_RUNS = 3


@dataclass(frozen=True)
class ScenarioBench:
    scenario: str
    database: str
    seconds: list[float]
    simulate_seconds: float
    identical: bool
    rows_unchanged: bool
    setup_seconds: float

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def time_ok(self) -> bool:
        return self.median < TARGET_SECONDS

    @property
    def ok(self) -> bool:
        return self.time_ok and self.identical and self.rows_unchanged

    def lines(self) -> list[str]:
        verdict = "met" if self.time_ok else "MISSED"
        return [
            f"cycle_from_scenario {self.scenario} ({self.database}): median "
            f"{self.median:.2f} s over {len(self.seconds)} runs "
            f"({', '.join(f'{s:.2f}' for s in self.seconds)}), start-up included "
            f"(target < {TARGET_SECONDS:.0f} s) {verdict}",
            f"  simulate_cycle on the same scenario: {self.simulate_seconds:.2f} s",
            f"  every output identical to simulate_cycle's: {self.identical}",
            f"  rows of every table unchanged after the runs: {self.rows_unchanged}",
            f"(database migrated in {self.setup_seconds:.1f} s)",
        ]


def _manage(env: dict, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=ROOT,
                               capture_output=True, text=True, check=False)
    return time.perf_counter() - started, completed


def _row_counts(env: dict) -> dict:
    """The number of rows of every table of the application's models, in a child process."""
    completed = subprocess.run([sys.executable, __file__, "--child", "counts"], env=env,
                               cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"counting rows failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _child_counts() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.apps import apps

    print(json.dumps({model._meta.label: model._default_manager.count()
                      for model in apps.get_models()
                      if model._meta.managed and not model._meta.proxy}))


def _measure(env: dict, scenario: Path, runs: int, workdir: Path) -> dict:
    """The runs on the database of ``env``, already migrated."""
    simulate_seconds, simulated = _manage(env, "simulate_cycle", str(scenario), "--out",
                                          str(workdir / "simulated.json"))
    if simulated.returncode != 0:
        raise RuntimeError(f"simulate_cycle failed: {simulated.stderr.strip()}")
    expected = (workdir / "simulated.json").read_bytes()
    before = _row_counts(env)
    seconds, identical = [], True
    for run in range(1, runs + 1):
        out = workdir / f"run-{run}.json"
        wall, completed = _manage(env, "cycle_from_scenario", str(scenario), "--out", str(out))
        if completed.returncode != 0:
            raise RuntimeError(f"cycle_from_scenario failed ({completed.returncode}): "
                               f"{completed.stderr.strip()}")
        seconds.append(wall)
        identical = identical and out.read_bytes() == expected
        print(f"cycle_from_scenario, run {run}: {wall:.2f} s", flush=True)
    return {"seconds": seconds, "simulate_seconds": simulate_seconds, "identical": identical,
            "rows_unchanged": _row_counts(env) == before}


def main(argv: list[str] | None = None, verbose: bool = True) -> ScenarioBench:
    """Run the benchmark on a database of its own; print the figures when ``verbose`` and
    return them."""
    from bench.bench_import import _throwaway_postgres

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    arguments = parser.parse_args(argv or [])
    scenario = arguments.scenario.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-scenario-") as tmp:
        workdir = Path(tmp)
        env = dict(os.environ)
        cleanup = None
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"])
            database = "PostgreSQL"
        else:
            env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench-scenario.sqlite3'}"
            database = "SQLite"
        try:
            setup_seconds, migrated = _manage(env, "migrate", "--verbosity", "0",
                                              "--no-input")
            if migrated.returncode != 0:
                raise RuntimeError(f"migrate failed:\n{migrated.stderr}")
            figures = _measure(env, scenario, arguments.runs, workdir)
        finally:
            if cleanup:
                cleanup()
    try:
        shown = str(scenario.relative_to(ROOT))
    except ValueError:
        shown = str(scenario)
    bench = ScenarioBench(scenario=shown, database=database, setup_seconds=setup_seconds,
                          **figures)
    if verbose:
        for line in bench.lines():
            print(line, flush=True)
    return bench


if __name__ == "__main__":
    if sys.argv[1:3] == ["--child", "counts"]:
        _child_counts()
    else:
        sys.exit(0 if main(sys.argv[1:]).ok else 1)
