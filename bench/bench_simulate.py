"""Benchmark ``python -m scoring`` and ``manage.py simulate_cycle`` on a 20,000-institution,
100-district scenario.

    .venv/bin/python bench/bench_simulate.py [--runs 5] [--institutions 20000] [--districts 100]

Generates the scenario into a temporary directory (it is never committed), runs the command
as a fresh process each time, and prints the median wall time (start-up included) and the
median peak resident set size against the targets: the pure engine (``python -m scoring``)
< 1 s; the management command < 3 s and < 300 MB. Exits with status 1 when a target is
missed.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 3.0
TARGET_MB = 300.0
TARGET_PURE_SECONDS = 1.0
# A fresh wrapper per run, so RUSAGE_CHILDREN holds that run's peak only. ru_maxrss is in KiB.
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(r)"
)


def run_once(command: list[str], workdir: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one run of ``command``."""
    time_binary = shutil.which("time", path="/usr/bin:/bin")
    if time_binary:
        report = workdir / "time.txt"
        wrapped = [time_binary, "-v", "-o", str(report), *command]
    else:
        wrapped = [sys.executable, "-c", _RUSAGE_WRAPPER, *command]
    started = time.perf_counter()
    finished = subprocess.run(wrapped, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if finished.returncode != 0:
        sys.exit(f"simulate_cycle failed ({finished.returncode}): {finished.stderr.strip()}")
    if time_binary:
        text = report.read_text()
        kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    else:
        kib = int(finished.stderr.strip().splitlines()[-1])
    return wall, kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--institutions", type=int, default=20000)
    parser.add_argument("--districts", type=int, default=100)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        workdir = Path(tmp)
        scenario = workdir / "scenario.json"
        subprocess.run(
            [sys.executable, str(ROOT / "examples/scenarios/generate.py"),
             "--institutions", str(args.institutions), "--districts", str(args.districts),
             "--seed", "bench", "--out", str(scenario)],
            check=True,
        )
        commands = {
            "python -m scoring": ([sys.executable, "-m", "scoring", str(scenario), "--out",
                                   str(workdir / "pure.json")], TARGET_PURE_SECONDS, None),
            "manage.py simulate_cycle": ([sys.executable, "manage.py", "simulate_cycle",
                                          str(scenario), "--out", str(workdir / "result.json")],
                                         TARGET_SECONDS, TARGET_MB),
        }
        medians = {}
        for name, (command, _seconds, _mb) in commands.items():
            walls, peaks = [], []
            for run in range(1, args.runs + 1):
                wall, peak = run_once(command, workdir)
                walls.append(wall)
                peaks.append(peak)
                print(f"{name}, run {run}: {wall:.2f} s, {peak:.0f} MB")
            medians[name] = statistics.median(walls), statistics.median(peaks)
        same = (workdir / "pure.json").read_bytes() == (workdir / "result.json").read_bytes()
        size_mb = os.path.getsize(scenario) / 1e6

    print(f"scenario: {args.institutions} institutions, {args.districts} districts "
          f"({size_mb:.1f} MB of JSON); both outputs identical: {same}")
    ok = same
    for name, (_command, seconds, mb) in commands.items():
        wall, peak = medians[name]
        met = wall < seconds and (mb is None or peak < mb)
        ok = ok and met
        limit = f"target < {seconds:g} s" + (f", < {mb:.0f} MB" if mb else "")
        print(f"{name}: median wall time {wall:.2f} s, median peak RSS {peak:.0f} MB "
              f"({limit}): {'met' if met else 'MISSED'}")
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
