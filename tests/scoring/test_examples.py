"""The committed example scenarios still give their committed outputs, and the generator still
produces the committed xuzhou.json."""
import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from scoring import ScenarioError
from scoring.scenario import simulate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def _generator():
    spec = importlib.util.spec_from_file_location("generate", EXAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _render(result):
    """What ``simulate_cycle --out`` writes."""
    return json.dumps(result, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("name", ["small", "xuzhou", "panels"])
def test_example_scenario_gives_the_committed_result(name):
    scenario = (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")
    expected = (EXAMPLES / f"{name}.result.json").read_text(encoding="utf-8")
    assert _render(simulate(scenario)) == expected


def test_example_blocking_tie_gives_the_committed_error_line():
    scenario = (EXAMPLES / "blocking_tie.json").read_text(encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        simulate(scenario)
    assert f"error: {caught.value}\n" == (EXAMPLES / "blocking_tie.out.txt").read_text(
        encoding="utf-8")


def test_example_blocking_tie_is_small_without_its_tiebreak():
    small = json.loads((EXAMPLES / "small.json").read_text(encoding="utf-8"))
    tie = json.loads((EXAMPLES / "blocking_tie.json").read_text(encoding="utf-8"))
    assert (small["panel_tiebreak"], tie["panel_tiebreak"]) == (["yl-02", "gl-02"], [])
    assert {k: v for k, v in small.items() if k != "panel_tiebreak"} == {
        k: v for k, v in tie.items() if k != "panel_tiebreak"}


def test_example_panels_is_small_with_a_draw_and_the_same_results():
    small = json.loads((EXAMPLES / "small.json").read_text(encoding="utf-8"))
    panels = json.loads((EXAMPLES / "panels.json").read_text(encoding="utf-8"))
    draw_fields = {"cluster", "legal_representative", "contact"}
    stripped = [{k: v for k, v in i.items() if k not in draw_fields}
                for i in panels["institutions"]]
    assert stripped == small["institutions"]
    assert {k: v for k, v in panels.items()
            if k not in {"experts", "panels", "policy", "institutions"}} == {
        k: v for k, v in small.items() if k not in {"policy", "institutions"}}
    small_result = simulate((EXAMPLES / "small.json").read_text(encoding="utf-8"))
    result = simulate((EXAMPLES / "panels.json").read_text(encoding="utf-8"))
    assert small_result["panels"] == {}
    assert {k: v for k, v in result.items() if k != "panels"} == {
        k: v for k, v in small_result.items() if k != "panels"}
    assert list(result["panels"]) == ["A-优势", "A-新兴特色", "C"]


def test_generator_reproduces_xuzhou_json():
    generate = _generator()
    text = generate.dumps(generate.generate(
        institutions=150, district_count=13, year=2025, seed="xuzhou-2025", alternates=2))
    assert text == (EXAMPLES / "xuzhou.json").read_text(encoding="utf-8")


def test_xuzhou_ids_are_valid_xuzhou_credit_codes_in_the_13_districts():
    data = json.loads((EXAMPLES / "xuzhou.json").read_text(encoding="utf-8"))
    ids = [i["id"] for i in data["institutions"]]
    assert [i for i in ids if not (uscc.is_valid(i) and i.startswith("913203"))] == []
    assert len(set(ids)) == len(ids) == 150
    assert {i["district"] for i in data["institutions"]} == {
        name for _, name in _generator().XUZHOU_DISTRICTS}


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_generator_check_character_agrees_with_stdnum(body):
    assert _generator().uscc_check_character(body) == uscc.calc_check_digit(body)


def test_generator_large_scenario_runs_without_blocking():
    generate = _generator()
    scenario = generate.generate(institutions=3000, district_count=100, year=2025,
                                 seed="test", alternates=3)
    result = simulate(scenario)
    assert len(result["results"]) == 3000
    assert len(result["quotas"]["districts"]) <= 100
