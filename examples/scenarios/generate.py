"""Generate a deterministic scenario file for ``manage.py simulate_cycle`` (rules.md).

    python examples/scenarios/generate.py --out examples/scenarios/xuzhou.json
    python examples/scenarios/generate.py --institutions 20000 --districts 100 --out /tmp/big.json

The defaults produce the committed ``xuzhou.json``: the 13 districts of domain.md, about 150
institutions identified by valid unified social credit codes (GB 32100) registered in Xuzhou.
Everything is drawn from ``random.Random(seed)``, so the same arguments give the same file.
Ties that would block (R6) are resolved by appending the tied ids to ``panel_tiebreak``, so
every generated scenario runs.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scoring import BlockingTie, ScenarioError, district_split, in_cohort  # noqa: E402
from scoring.scenario import simulate  # noqa: E402

# domain.md: the 13 districts whose science bureaus do the preliminary review. The two zones
# without a GB/T 2260 code are registered under the city's own code 320300.
XUZHOU_DISTRICTS = (
    ("320302", "鼓楼区"), ("320303", "云龙区"), ("320305", "贾汪区"), ("320311", "泉山区"),
    ("320312", "铜山区"), ("320321", "丰县"), ("320322", "沛县"), ("320324", "睢宁县"),
    ("320381", "新沂市"), ("320382", "邳州市"), ("320371", "徐州经济技术开发区"),
    ("320300", "徐州高新技术产业开发区"), ("320300", "徐州淮海国际港务区"),
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z


def uscc_check_character(body: str) -> str:
    """GB 32100 check character of the first 17 characters (domain.md): weights 3^(i−1) mod 31,
    check = 31 − (Σ value × weight mod 31), 31 → '0'."""
    total = sum(USCC_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code(digits: str) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and their check character."""
    total = sum(int(d) * w for d, w in zip(digits, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return digits + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(region: str, serial: int) -> str:
    """A valid unified social credit code of an enterprise (91…) registered in ``region``."""
    body = "91" + region + organisation_code(f"{serial:08d}")
    return body + uscc_check_character(body)


def districts(count: int) -> list[tuple[str, str]]:
    """The 13 districts of Xuzhou, then made-up ones for larger benchmarks."""
    extra = [
        (f"3203{90 + k % 10:02d}", f"模拟区{k:03d}") for k in range(len(XUZHOU_DISTRICTS), count)
    ]
    return list(XUZHOU_DISTRICTS[:count]) + extra


def cents(value: int) -> str:
    """A panel score written as a decimal string with 2 decimals."""
    value = max(0, min(10000, value))
    return f"{value // 100}.{value % 100:02d}"


def generate(*, institutions: int, district_count: int, year: int, seed: str,
             alternates: int) -> dict:
    """A scenario document with ``institutions`` institutions in ``district_count`` districts."""
    rng = random.Random(seed)
    places = districts(district_count)
    weights = [rng.randint(5, 20) for _ in places]
    serials = rng.sample(range(10**7, 10**8), institutions)
    cohort_years = [y for y in range(year - 12, year - 1) if y % 2 == year % 2]
    other_years = [y for y in range(year - 11, year + 1) if y % 2 != year % 2] + [year]

    rows = []
    for serial in serials:
        d = rng.choices(range(len(places)), weights=weights)[0]
        region, name = places[d]
        filing_year = rng.choice(cohort_years if rng.random() < 0.85 else other_years)
        rows.append({
            "district_index": d, "id": credit_code(region, serial), "district": name,
            "filing_year": filing_year, "submitted": rng.random() < 0.97,
            "quality": rng.randrange(1_000_000),
        })
    rows.sort(key=lambda r: (r["district_index"], r["id"]))

    entries = []
    by_district: dict[str, list[dict]] = {}
    for row in rows:
        entry = {"id": row["id"], "district": row["district"], "filing_year": row["filing_year"]}
        entries.append(entry)
        if not in_cohort(row["filing_year"], year):
            continue
        if not row["submitted"]:
            entry["submitted"] = False
            continue
        by_district.setdefault(row["district"], []).append((row, entry))

    for members in by_district.values():
        # The district ranks by its own assessment (quality), best first.
        members.sort(key=lambda pair: -pair[0]["quality"])
        sizes = district_split(len(members))
        for rank, (row, entry) in enumerate(members, start=1):
            entry["district_rank"] = rank
            quality = row["quality"] // 10_000  # 0…99
            if rank <= sizes.a:
                entry["panel_score"] = cents(6500 + quality * 30 + rng.randint(-500, 500))
                entry["reverify"] = rng.choices(
                    ["confirmed", "not_confirmed", "poor"], weights=[85, 10, 5])[0]
            elif rank <= sizes.a + sizes.b:
                entry["spot_check"] = "poor" if rng.random() < 0.2 else "confirmed"
            else:
                entry["panel_score"] = cents(3500 + quality * 30 + rng.randint(-800, 800))
            if rng.random() < 0.01:
                entry["fraud"] = True
            if row["filing_year"] <= year - 4:
                entry["previous_final"] = rng.choices(
                    ["excellent", "good", "qualified", "unqualified"], weights=[8, 20, 62, 10])[0]

    scenario = {
        "year": year,
        "policy": {},
        "spot_check_seed": f"{year}-xz-01",
        "panel_fail_count": None,
        "alternates": alternates,
        "institutions": entries,
        "panel_tiebreak": [],
    }
    resolve_ties(scenario)
    return scenario


def resolve_ties(scenario: dict) -> None:
    """Record an order (id order) for every tie that blocks, as an organiser would (R6)."""
    while True:
        try:
            simulate(scenario)
            return
        except ScenarioError as exc:
            if not isinstance(exc.__cause__, BlockingTie):
                raise
            listed = set(scenario["panel_tiebreak"])
            scenario["panel_tiebreak"].extend(i for i in exc.__cause__.ids if i not in listed)


def dumps(scenario: dict) -> str:
    """The scenario as JSON with one institution per line, so that diffs stay readable."""
    lines = ["{"]
    for key, value in scenario.items():
        if key == "institutions":
            rows = [json.dumps(entry, ensure_ascii=False) for entry in value]
            lines.append('  "institutions": [\n    ' + ",\n    ".join(rows) + "\n  ],")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=150)
    parser.add_argument("--districts", type=int, default=13)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", default="xuzhou-2025")
    parser.add_argument("--alternates", type=int, default=2)
    parser.add_argument("--out", help="write here instead of to stdout")
    args = parser.parse_args(argv)
    text = dumps(generate(
        institutions=args.institutions, district_count=args.districts, year=args.year,
        seed=args.seed, alternates=args.alternates,
    ))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
