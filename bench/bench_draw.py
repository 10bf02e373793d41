"""Benchmark of the draw (R6a) in the pure engine: conflict detection over a pool of 5,000
experts and 2,000 institutions of groups A and C, then the draws of four panels (A split into
优势, 新兴 and 特色, C whole), against 1 s. It prints the median at half size too, so that
a time that grows faster than the data shows (conflict detection must stay linear: no expert is
compared with every institution).

    .venv/bin/python bench/bench_draw.py [--experts 5000] [--institutions 2000] [--runs 7]

Exits with status 1 when the target is missed.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scoring import (  # noqa: E402
    CLUSTERS,
    ClusterCategory,
    Expert,
    Group,
    PanelInstitution,
    PanelSpec,
    conflict_map,
    run_draws,
)

TARGET_SECONDS = 1.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def build(experts: int, institutions: int, seed: str = "bench-draw"):
    """A deterministic pool, groups A and C (A is four fifths) and the four panels."""
    rng = random.Random(seed)
    clusters = list(CLUSTERS)
    members = {Group.A: [], Group.C: []}
    codes = []
    for k in range(institutions):
        code = f"91320300MA{k:08d}"
        codes.append(code)
        group = Group.A if k % 5 else Group.C
        members[group].append(PanelInstitution(
            id=code, cluster=rng.choice(clusters), credit_code=code,
            legal_representative=_name(rng), contact=_name(rng)))
    pool = [
        Expert(
            id=f"E{k:05d}",
            name=_name(rng),
            clusters=frozenset(rng.sample(clusters, rng.randint(1, 3))),
            senior=rng.random() < 0.9,
            active=rng.random() < 0.95,
            employers=frozenset(
                rng.choice(codes) if rng.random() < 0.3 else f"91320300XX{k:04d}{j:04d}"
                for j in range(rng.randint(1, 3))),
            declared_conflicts=frozenset(rng.sample(codes, 1) if rng.random() < 0.05 else ()),
        )
        for k in range(experts)
    ]
    panels = [
        PanelSpec("A-优势", Group.A, "s1", frozenset({ClusterCategory.LEADING})),
        PanelSpec("A-新兴", Group.A, "s2", frozenset({ClusterCategory.EMERGING})),
        PanelSpec("A-特色", Group.A, "s3", frozenset({ClusterCategory.DISTINCTIVE})),
        PanelSpec("C", Group.C, "s4"),
    ]
    return pool, panels, members


def measure(experts: int, institutions: int, runs: int) -> list[float]:
    """Seconds of conflict detection over the whole pool and all institutions, plus the
    draws, for each of ``runs`` runs."""
    pool, panels, members = build(experts, institutions)
    everyone = members[Group.A] + members[Group.C]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        conflict_map(pool, everyone)
        run_draws(pool, panels, members)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=5000)
    parser.add_argument("--institutions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    half = statistics.median(measure(args.experts // 2, args.institutions // 2, args.runs))
    full = statistics.median(measure(args.experts, args.institutions, args.runs))
    ok = full < TARGET_SECONDS
    print(f"draw, {args.experts} experts and {args.institutions} institutions: median "
          f"{full * 1000:.0f} ms over {args.runs} runs (target < {TARGET_SECONDS:.0f} s) "
          f"{'met' if ok else 'MISSED'}")
    print(f"  half size: {half * 1000:.0f} ms; full / half = {full / half:.2f} "
          "(about 2 when linear)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
