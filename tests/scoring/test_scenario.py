"""The scenario file of docs/rules.md: validation messages (one line each), defaults and output."""
import copy
import json

import pytest

from scoring import ScenarioError
from scoring.scenario import load_scenario, parse_scenario, simulate


def _base():
    """A valid scenario: one district of 5 → A 2, B 2, C 1; N 5 → E 0, G 1, F 1, S 1."""
    return {
        "year": 2025,
        "institutions": [
            {"id": "a", "district": "鼓楼区", "filing_year": 2023, "district_rank": 1,
             "panel_score": "90.00"},
            {"id": "b", "district": "鼓楼区", "filing_year": 2023, "district_rank": 2,
             "panel_score": "80.00"},
            {"id": "c", "district": "鼓楼区", "filing_year": 2021, "district_rank": 3},
            {"id": "d", "district": "鼓楼区", "filing_year": 2021, "district_rank": 4},
            {"id": "e", "district": "鼓楼区", "filing_year": 2021, "district_rank": 5,
             "panel_score": "40.00"},
        ],
    }


def _error(source):
    with pytest.raises(ScenarioError) as caught:
        simulate(source)
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    return message


def _with(change):
    data = _base()
    change(data)
    return data


def test_simulate_base_scenario_with_defaults():
    assert simulate(_base()) == {
        "quotas": {"N": 5, "E": 0, "G": 1, "K": 30, "F": 1, "S": 1,
                   "districts": {"鼓楼区": {"n": 5, "A": 2, "B": 2, "C": 1}}},
        "results": {
            "a": {"preliminary": "A", "final": "good"},
            "b": {"preliminary": "A", "final": "qualified"},
            "c": {"preliminary": "B", "final": "qualified"},
            "d": {"preliminary": "B", "final": "qualified"},
            "e": {"preliminary": "C", "final": "unqualified"},
        },
        "reverification_list": ["a"],
        # The default seed is the year as a string.
        "spot_check_sample": list(__import__("random").Random("2025").sample(["c", "d"], 1)),
        "deregistered": [],
        "abandoned": [],
        "checks": {"passed": True, "failures": []},
        # R6a: no panels without the key.
        "panels": {},
    }


def test_simulate_json_text_and_parsed_document_agree():
    assert simulate(json.dumps(_base())) == simulate(_base())


def test_simulate_non_cohort_fields_are_ignored_and_non_submitters_abandoned():
    data = _base()
    data["institutions"] += [
        {"id": "new", "district": "云龙区", "filing_year": 2024, "district_rank": "x",
         "panel_score": 500},
        {"id": "quit", "district": "云龙区", "filing_year": 2019, "submitted": False,
         "reverify": "maybe"},
    ]
    result = simulate(data)
    assert (result["results"]["new"], result["results"]["quit"]) == (
        {"preliminary": None, "final": "not_in_cohort"},
        {"preliminary": None, "final": "not_participating"})
    assert result["abandoned"] == ["quit"]
    assert list(result["quotas"]["districts"]) == ["鼓楼区"]


def test_simulate_panel_fail_count_above_f_makes_more_unqualified():
    data = _with(lambda d: d.update(panel_fail_count=3))
    assert simulate(data)["results"]["e"] == {"preliminary": "C", "final": "unqualified"}


def test_simulate_panel_fail_count_below_f_counts_as_f():
    """R6: a scenario's chosen count below F is raised to F (the web page refuses it)."""
    assert simulate(_with(lambda d: d.update(panel_fail_count=0))) == simulate(
        _with(lambda d: d.update(panel_fail_count=None)))


def test_load_scenario_reads_fractions_as_decimals():
    assert load_scenario('{"x": 84.125}') == {"x": __import__("decimal").Decimal("84.125")}


@pytest.mark.parametrize(("text", "message"), [
    ("{", "scenario: not valid JSON: Expecting property name enclosed in double quotes "
          "at line 1 column 2"),
    ("", "scenario: not valid JSON: Expecting value at line 1 column 1"),
    ('{"year": NaN}', "scenario: not valid JSON: NaN is not a JSON number"),
    ("[" * 100000, "scenario: not valid JSON: nested too deeply"),
    ("[]", "scenario: must be a JSON object, got a list"),
])
def test_simulate_text_that_is_not_a_scenario_object(text, message):
    assert _error(text) == message


def _drop(field, index=None):
    def change(d):
        (d if index is None else d["institutions"][index]).pop(field)
    return change


def _set(field, value, index=None):
    def change(d):
        (d if index is None else d["institutions"][index])[field] = value
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_drop("year"), "year: missing; an integer is required"),
    (_set("year", "2025"), 'year: must be an integer, got "2025"'),
    (_set("year", True), "year: must be an integer, got true"),
    (_set("year", 2025.0), "year: must be an integer, got 2025.0"),
    (_drop("institutions"), "institutions: missing; a list of institutions is required"),
    (_set("institutions", {"a": 1}), "institutions: must be a list, got an object"),
    (_set("colour", "red"), '"colour": unknown field (known: year, policy, spot_check_seed, '
                            'panel_fail_count, alternates, institutions, panel_tiebreak, '
                            'experts, panels)'),
    (_set("policy", {"bonus": 1}),
     "policy.bonus: unknown parameter (known: district_shares, excellent_share, good_share, "
     "top_tier_cap, fail_min_share, spot_check_share, trim_from_scores, notice_working_days, "
     "reward_cap_yuan, cohort_min_age_years, panel_size, panel_alternates, "
     "min_panel_scores)"),
    (_set("policy", {"good_share": "25"}), 'policy.good_share: must be an integer, got "25"'),
    (_set("policy", []), "policy: must be an object, got a list"),
    (_set("spot_check_seed", 7), "spot_check_seed: must be a string, got 7"),
    (_set("alternates", -1), "alternates: must be a non-negative integer, got -1"),
    (_set("panel_fail_count", "2"), 'panel_fail_count: must be a non-negative integer, got "2"'),
    (_set("panel_tiebreak", "a"), 'panel_tiebreak: must be a list of ids, got the string "a"'),
    (_set("panel_tiebreak", ["a", 3]), "panel_tiebreak[1]: must be an institution id, got 3"),
    (_set("panel_tiebreak", ["a", "b", "a"]),
     'panel_tiebreak[2]: "a" is listed twice (first at panel_tiebreak[0])'),
    (_set("panel_tiebreak", ["zz"]), 'panel_tiebreak[0]: "zz" is not an institution id'),
])
def test_simulate_bad_top_level_fields(change, message):
    assert _error(_with(change)) == message


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["institutions"].append("x"), "institutions[5]: must be an object, got the "
                                              'string "x"'),
    (_drop("id", 1), "institutions[1]: id: missing; a non-empty string is required"),
    (_set("id", "", 1), 'institutions[1]: id: must be a non-empty string, got ""'),
    (_set("id", 17, 1), "institutions[1]: id: must be a non-empty string, got 17"),
    (_set("id", "a", 3), 'institutions[3] (id "a"): id: duplicate of institutions[0]'),
    (_set("id", "x\ud800", 3), 'institutions[3]: id: must be valid Unicode text, '
                               'got "x\\ud800"'),
    (_drop("district", 2), 'institutions[2] (id "c"): district: missing; a non-empty string '
                           'is required'),
    (_set("district", None, 2), 'institutions[2] (id "c"): district: must be a non-empty '
                                'string, got null'),
    (_drop("filing_year", 4), 'institutions[4] (id "e"): filing_year: missing; an integer is '
                              'required'),
    (_set("filing_year", "2021", 4), 'institutions[4] (id "e"): filing_year: must be an '
                                     'integer, got "2021"'),
    (_set("score", 1, 0), 'institutions[0] (id "a"): "score": unknown field (known: id, '
                          'district, filing_year, submitted, district_rank, panel_score, '
                          'reverify, spot_check, fraud, previous_final, cluster, '
                          'legal_representative, contact)'),
    (_set("submitted", "yes", 0), 'institutions[0] (id "a"): submitted: must be true or false, '
                                  'got "yes"'),
    (_drop("district_rank", 2), 'institutions[2] (id "c"): district_rank: missing; every '
                                'participant needs its district rank (R4)'),
    (_set("district_rank", True, 2), 'institutions[2] (id "c"): district_rank: must be a '
                                     'positive integer, got true'),
    (_set("district_rank", 0, 2), 'institutions[2] (id "c"): district_rank: must be a positive '
                                  'integer, got 0'),
    (_set("district_rank", 7, 2),
     'district "鼓楼区": district_rank: ranks must be 1…5 without gaps or duplicates; '
     'got 1, 2, 4, 5, 7 (3 is missing; institution "c" has 7)'),
    (_set("district_rank", 2, 2),
     'district "鼓楼区": district_rank: ranks must be 1…5 without gaps or duplicates; '
     'got 1, 2, 2, 4, 5 (institutions "b" and "c" both have 2)'),
    (_drop("panel_score", 1), 'institutions[1] (id "b"): panel_score: missing; members of '
                              'group A need a panel score (R6)'),
    (_drop("panel_score", 4), 'institutions[4] (id "e"): panel_score: missing; members of '
                              'group C need a panel score (R6)'),
    (_set("panel_score", 101, 0), 'institutions[0] (id "a"): panel_score: 101 is outside 0–100'),
    (_set("panel_score", "-0.5", 0), 'institutions[0] (id "a"): panel_score: "-0.5" is outside '
                                     '0–100'),
    (_set("panel_score", "ninety", 0), 'institutions[0] (id "a"): panel_score: must be a '
                                       'decimal string or number from 0 to 100, got "ninety"'),
    (_set("panel_score", True, 0), 'institutions[0] (id "a"): panel_score: must be a decimal '
                                   'string or number from 0 to 100, got true'),
    (_set("panel_score", [90], 0), 'institutions[0] (id "a"): panel_score: must be a decimal '
                                   'string or number from 0 to 100, got [90]'),
    (_set("panel_score", "87.555", 0), 'institutions[0] (id "a"): panel_score: "87.555" has more '
                                       'than 2 decimals; panel scores are kept to 2 (R6)'),
    (_set("reverify", "maybe", 0), 'institutions[0] (id "a"): reverify: must be one of '
                                   'confirmed, not_confirmed, poor, got "maybe"'),
    (_set("reverify", None, 0), 'institutions[0] (id "a"): reverify: must be one of confirmed, '
                                'not_confirmed, poor, got null'),
    (_set("spot_check", "not_confirmed", 2), 'institutions[2] (id "c"): spot_check: must be '
                                             'one of confirmed, poor, got "not_confirmed"'),
    (_set("fraud", 1, 2), 'institutions[2] (id "c"): fraud: must be true or false, got 1'),
    (_set("previous_final", "bad", 2), 'institutions[2] (id "c"): previous_final: must be one '
                                       'of excellent, good, qualified, unqualified, '
                                       'not_participating, not_in_cohort or null, got "bad"'),
])
def test_simulate_bad_institution_fields(change, message):
    assert _error(_with(change)) == message


def test_simulate_panel_score_number_from_json_text_is_exact():
    data = _base()
    data["institutions"][0]["panel_score"] = "__SCORE__"
    text = json.dumps(data).replace('"__SCORE__"', "84.125")
    assert _error(text) == ('institutions[0] (id "a"): panel_score: 84.125 has more than 2 '
                            'decimals; panel scores are kept to 2 (R6)')


def test_simulate_blocking_tie_and_its_resolution_by_panel_tiebreak():
    data = _with(_set("panel_score", "90", 1))
    assert _error(data) == ('blocking tie at the E+G line in group A: "a", "b" have panel '
                            'score 90.00; list them in panel_tiebreak')
    data["panel_tiebreak"] = ["b", "a"]
    assert simulate(data)["reverification_list"] == ["b"]


def test_simulate_tie_inside_the_list_does_not_block():
    data = _with(_set("panel_score", "90", 1))
    data["policy"] = {"good_share": 40}  # G = 2: both a and b are on the list
    assert simulate(data)["reverification_list"] == ["a", "b"]


def test_simulate_message_stays_one_line_whatever_the_id():
    data = _with(_set("id", "a\nb\u2028c", 1))
    data["institutions"][1]["panel_score"] = "x"
    assert _error(data) == ('institutions[1] (id "a\\nb\\u2028c"): panel_score: must be a '
                            'decimal string or number from 0 to 100, got "x"')


def test_parse_scenario_defaults():
    scenario = parse_scenario(_base())
    assert (scenario.spot_check_seed, scenario.panel_fail_count, scenario.alternates,
            scenario.panel_tiebreak) == ("2025", None, 0, ())
    participant = scenario.institutions[0].participant
    assert (participant.reverify, participant.spot_check, participant.fraud,
            participant.previous_final) == ("confirmed", "confirmed", False, None)


def test_parse_scenario_does_not_change_its_input():
    data = _base()
    before = copy.deepcopy(data)
    parse_scenario(data)
    assert data == before
