"""The draw in a scenario file (docs/rules.md "The draw and the rewards in a scenario", R6a):
the optional keys ``experts`` and ``panels``, their defaults, validation and output."""
import copy
import random

import pytest

from scoring import ScenarioError
from scoring.scenario import simulate

CLUSTER_OF = {"a": "工程机械", "b": "数字经济", "c": "新材料", "d": "高端纺织", "e": "精品钢材"}


def _base():
    """One district of 5 → A = a, b; B = c, d; C = e. 12 experts judging 工程机械 / 数字经济
    (E01…E12), 6 judging 精品钢材 (E13…E18); panels draw 3 members and 1 alternate."""
    institutions = [
        {"id": "a", "district": "鼓楼区", "filing_year": 2023, "district_rank": 1,
         "panel_score": "90.00"},
        {"id": "b", "district": "鼓楼区", "filing_year": 2023, "district_rank": 2,
         "panel_score": "80.00"},
        {"id": "c", "district": "鼓楼区", "filing_year": 2021, "district_rank": 3},
        {"id": "d", "district": "鼓楼区", "filing_year": 2021, "district_rank": 4},
        {"id": "e", "district": "鼓楼区", "filing_year": 2021, "district_rank": 5,
         "panel_score": "40.00"},
    ]
    for institution in institutions:
        institution["cluster"] = CLUSTER_OF[institution["id"]]
    experts = [{"id": f"E{k:02d}", "clusters": ["工程机械" if k % 2 else "数字经济"]}
               for k in range(1, 13)]
    experts += [{"id": f"E{k:02d}", "clusters": ["精品钢材"]} for k in range(13, 19)]
    return {
        "year": 2025,
        "policy": {"panel_size": 3, "panel_alternates": 1},
        "institutions": institutions,
        "experts": experts,
        "panels": [{"id": "A-1", "group": "A", "categories": None, "seed": "seed-a"},
                   {"id": "C-1", "group": "C", "categories": None, "seed": "seed-c"}],
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


def _sample(ids, seed, k):
    return random.Random(seed).sample(sorted(ids), k)


def test_panels_output_is_the_draw_of_each_panel_in_order():
    result = simulate(_base())
    a = _sample([f"E{k:02d}" for k in range(1, 13)], "seed-a", 4)
    c = _sample([f"E{k:02d}" for k in range(13, 19)], "seed-c", 4)
    assert result["panels"] == {
        "A-1": {"institutions": ["a", "b"], "eligible": 12, "members": a[:3],
                "alternates": a[3:], "conflicts": {}},
        "C-1": {"institutions": ["e"], "eligible": 6, "members": c[:3], "alternates": c[3:],
                "conflicts": {}},
    }
    assert list(result["panels"]) == ["A-1", "C-1"]


def test_panels_absent_gives_an_empty_object_even_with_experts():
    data = _base()
    del data["panels"]
    assert simulate(data)["panels"] == {}


def test_panels_do_not_change_the_results():
    data = _base()
    without = copy.deepcopy(data)
    del without["panels"]
    assert {k: v for k, v in simulate(data).items() if k != "panels"} == {
        k: v for k, v in simulate(without).items() if k != "panels"}


def test_panels_default_policy_draws_panel_size_plus_alternates():
    data = _with(lambda d: d.pop("policy"))
    data["experts"] = [{"id": f"X{k:02d}", "clusters": ["工程机械", "精品钢材"]}
                       for k in range(18)]
    result = simulate(data)["panels"]
    ids = [f"X{k:02d}" for k in range(18)]
    a = _sample(ids, "seed-a", 9)
    assert (result["A-1"]["members"], result["A-1"]["alternates"]) == (a[:7], a[7:])
    assert result["C-1"]["eligible"] == 9
    assert result["C-1"]["members"] + result["C-1"]["alternates"] == _sample(
        sorted(set(ids) - set(a)), "seed-c", 9)


def test_panels_expert_defaults_name_empty_senior_active_no_employers():
    data = _with(lambda d: d["experts"].__setitem__(0, {"id": "E01", "clusters": ["工程机械"]}))
    assert simulate(data) == simulate(_with(lambda d: d["experts"].__setitem__(0, {
        "id": "E01", "clusters": ["工程机械"], "name": "", "senior": True, "active": True,
        "employers": [], "declared_conflicts": []})))


def test_panels_later_panel_excludes_experts_drawn_earlier():
    data = _base()
    data["experts"] = [{"id": f"E{k:02d}", "clusters": ["工程机械", "精品钢材"]}
                       for k in range(1, 9)]
    result = simulate(data)["panels"]
    first = set(result["A-1"]["members"] + result["A-1"]["alternates"])
    assert result["C-1"]["eligible"] == 4
    assert first.isdisjoint(result["C-1"]["members"] + result["C-1"]["alternates"])


def test_panels_split_by_categories():
    data = _base()
    data["panels"] = [
        {"id": "A-优势", "group": "A", "categories": ["优势"], "seed": "1"},
        {"id": "A-新兴特色", "group": "A", "categories": ["新兴", "特色"], "seed": "2"},
        {"id": "C", "group": "C", "categories": ["特色"], "seed": "3"},
    ]
    result = simulate(data)["panels"]
    assert {p: v["institutions"] for p, v in result.items()} == {
        "A-优势": ["a"], "A-新兴特色": ["b"], "C": ["e"]}
    # Only the 6 experts judging 工程机械 for a, the 6 judging 数字经济 for b.
    assert (result["A-优势"]["eligible"], result["A-新兴特色"]["eligible"]) == (6, 6)


def test_panels_widen_makes_every_drawable_expert_eligible():
    data = _base()
    data["panels"][1]["widen"] = True
    data["experts"][0]["active"] = False
    data["experts"][1]["senior"] = False
    result = simulate(data)["panels"]
    # 18 − 2 not drawable − 4 drawn for A-1 (neither of the 2 is eligible there either).
    assert result["C-1"]["eligible"] == 12


def test_panels_conflicts_detected_and_declared_among_the_drawn():
    data = _base()
    data["institutions"][0].update(legal_representative="刘建国", contact="王芳")
    data["experts"] = [
        {"id": "E1", "clusters": ["工程机械"], "name": "刘建国"},
        {"id": "E2", "clusters": ["工程机械"], "name": "王芳"},
        {"id": "E3", "clusters": ["工程机械"], "employers": ["x", "b"]},
        {"id": "E4", "clusters": ["工程机械"], "declared_conflicts": ["a", "e"]},
        {"id": "E5", "clusters": ["精品钢材"], "employers": ["e"]},
        {"id": "E6", "clusters": ["精品钢材"]},
        {"id": "E7", "clusters": ["精品钢材"]},
        {"id": "E8", "clusters": ["精品钢材"]},
    ]
    result = simulate(data)["panels"]
    # The draw takes all four of each panel, so every conflict is among the drawn.
    assert result["A-1"]["conflicts"] == {"a": ["E1", "E2", "E4"], "b": ["E3"]}
    assert result["C-1"]["conflicts"] == {"e": ["E5"]}


def test_panels_conflicts_list_only_drawn_experts():
    data = _base()
    data["experts"].append({"id": "Z", "clusters": ["新材料"], "employers": ["a"]})
    assert simulate(data)["panels"]["A-1"]["conflicts"] == {}


def test_panels_member_in_no_panel_is_refused_naming_it():
    data = _base()
    data["panels"][0]["categories"] = ["优势"]
    assert _error(data) == (
        'institutions[1] (id "b"): panels: member of group A is in no panel (its cluster is '
        '"数字经济"); every member of groups A and C must be in exactly one panel (R6a)')


def test_panels_member_without_cluster_is_in_no_categorised_panel():
    data = _base()
    del data["institutions"][4]["cluster"]
    data["panels"][1]["categories"] = ["优势", "新兴", "特色"]
    assert _error(data) == (
        'panels[1] (id "C-1"): holds no institution of group C in 优势, 新兴, 特色; a panel '
        'needs at least one (R6a)')


def test_panels_member_in_two_panels_is_refused_naming_it():
    data = _base()
    data["panels"].insert(1, {"id": "A-2", "group": "A", "categories": ["新兴"], "seed": "x"})
    assert _error(data) == (
        'institutions[1] (id "b"): panels: member of group A is in panels "A-1" and "A-2"; '
        'every member of groups A and C must be in exactly one panel (R6a)')


def test_panels_group_without_panel_is_refused():
    data = _base()
    data["panels"].pop(1)
    assert _error(data) == (
        'institutions[4] (id "e"): panels: member of group C is in no panel (its cluster is '
        '"精品钢材"); every member of groups A and C must be in exactly one panel (R6a)')


def test_panels_too_few_eligible_is_refused_naming_the_panel():
    data = _base()
    data["experts"] = data["experts"][:15]
    assert _error(data) == (
        'panels[1] (id "C-1"): 3 eligible experts, the draw needs 4 (panel_size 3 + '
        'panel_alternates 1): 1 missing (R6a)')


def test_panels_without_experts_are_refused():
    data = _with(lambda d: d.pop("experts"))
    assert _error(data) == (
        'panels[0] (id "A-1"): 0 eligible experts, the draw needs 4 (panel_size 3 + '
        'panel_alternates 1): 4 missing (R6a)')


def _expert_set(index, field, value):
    def change(d):
        d["experts"][index][field] = value
    return change


def _panel_set(index, field, value):
    def change(d):
        d["panels"][index][field] = value
    return change


def _panel_drop(index, field):
    def change(d):
        d["panels"][index].pop(field)
    return change


CLUSTER_LIST = ("工程机械, 绿色低碳能源, 新材料, 数字经济, 集成电路与ICT, 医药健康, "
                "安全应急, 精品钢材, 高端纺织, 食品及农副产品加工")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.__setitem__("experts", {}), "experts: must be a list, got an object"),
    (lambda d: d["experts"].append(3), "experts[18]: must be an object, got the number 3"),
    (_expert_set(0, "id", ""), 'experts[0]: id: must be a non-empty string, got ""'),
    (lambda d: d["experts"][0].pop("id"), "experts[0]: id: missing; a non-empty string is "
                                          "required"),
    (_expert_set(3, "id", "E01"), 'experts[3] (id "E01"): id: duplicate of experts[0]'),
    (_expert_set(2, "title", "教授"), 'experts[2] (id "E03"): "title": unknown field (known: '
                                    'id, name, clusters, senior, active, employers, '
                                    'declared_conflicts)'),
    (lambda d: d["experts"][1].pop("clusters"), 'experts[1] (id "E02"): clusters: missing; a '
                                                'list of the clusters the expert judges is '
                                                'required'),
    (_expert_set(1, "clusters", "工程机械"), 'experts[1] (id "E02"): clusters: must be a list '
                                          'of cluster names, got the string "工程机械"'),
    (_expert_set(1, "clusters", ["工程机械", "机器人"]),
     f'experts[1] (id "E02"): clusters[1]: must be one of the ten "343" clusters '
     f'({CLUSTER_LIST}), got "机器人"'),
    (_expert_set(1, "clusters", [None]),
     f'experts[1] (id "E02"): clusters[0]: must be one of the ten "343" clusters '
     f'({CLUSTER_LIST}), got null'),
    (_expert_set(0, "name", 5), 'experts[0] (id "E01"): name: must be a string, got 5'),
    (_expert_set(0, "senior", "yes"), 'experts[0] (id "E01"): senior: must be true or false, '
                                      'got "yes"'),
    (_expert_set(0, "active", None), 'experts[0] (id "E01"): active: must be true or false, '
                                     'got null'),
    (_expert_set(0, "employers", "913203"), 'experts[0] (id "E01"): employers: must be a list '
                                            'of credit codes, got the string "913203"'),
    (_expert_set(0, "employers", ["a", ""]), 'experts[0] (id "E01"): employers[1]: must be a '
                                             'non-empty string, got ""'),
    (_expert_set(0, "declared_conflicts", ["zz"]),
     'experts[0] (id "E01"): declared_conflicts[0]: "zz" is not an institution id'),
    (_expert_set(0, "declared_conflicts", [1]),
     'experts[0] (id "E01"): declared_conflicts[0]: must be an institution id, got 1'),
    (lambda d: d.__setitem__("panels", "A"), 'panels: must be a list, got the string "A"'),
    (lambda d: d["panels"].append([]), "panels[2]: must be an object, got a list"),
    (lambda d: d["panels"][0].pop("id"), "panels[0]: id: missing; a non-empty string is "
                                         "required"),
    (_panel_set(1, "id", "A-1"), 'panels[1] (id "A-1"): id: duplicate of panels[0]'),
    (_panel_set(0, "reason", "x"), 'panels[0] (id "A-1"): "reason": unknown field (known: id, '
                                   'group, categories, seed, widen)'),
    (_panel_drop(0, "group"), 'panels[0] (id "A-1"): group: missing; must be A or C'),
    (_panel_set(0, "group", "B"), 'panels[0] (id "A-1"): group: must be A or C, got "B"'),
    (_panel_drop(0, "seed"), 'panels[0] (id "A-1"): seed: missing; a non-empty string is '
                             'required'),
    (_panel_set(0, "seed", ""), 'panels[0] (id "A-1"): seed: must be a non-empty string, '
                                'got ""'),
    (_panel_set(0, "seed", 7), 'panels[0] (id "A-1"): seed: must be a non-empty string, got 7'),
    (_panel_set(0, "categories", "优势"), 'panels[0] (id "A-1"): categories: must be null or a '
                                        'non-empty list of 优势, 新兴, 特色, got the string '
                                        '"优势"'),
    (_panel_set(0, "categories", []), 'panels[0] (id "A-1"): categories: must be null or a '
                                      'non-empty list of 优势, 新兴, 特色, got an empty list'),
    (_panel_set(0, "categories", ["优势", "leading"]),
     'panels[0] (id "A-1"): categories[1]: must be one of 优势, 新兴, 特色, got "leading"'),
    (_panel_set(0, "widen", "no"), 'panels[0] (id "A-1"): widen: must be true or false, '
                                   'got "no"'),
    (lambda d: d["institutions"][0].__setitem__("cluster", "机器人"),
     f'institutions[0] (id "a"): cluster: must be one of the ten "343" clusters '
     f'({CLUSTER_LIST}) or null, got "机器人"'),
    (lambda d: d["institutions"][0].__setitem__("contact", ["王芳"]),
     'institutions[0] (id "a"): contact: must be a string, got ["王芳"]'),
    (lambda d: d["institutions"][0].__setitem__("legal_representative", 1),
     'institutions[0] (id "a"): legal_representative: must be a string, got 1'),
])
def test_panels_malformed_keys_name_the_field_and_the_entry(change, message):
    assert _error(_with(change)) == message


def test_panels_institution_fields_outside_the_cohort_are_not_read():
    data = _base()
    data["institutions"].append({"id": "new", "district": "鼓楼区", "filing_year": 2024,
                                 "cluster": "机器人", "contact": 5})
    assert simulate(data)["results"]["new"] == {"preliminary": None, "final": "not_in_cohort"}


def test_panels_policy_override_of_the_draw_size_is_validated():
    data = _with(lambda d: d["policy"].update(panel_size=0))
    assert _error(data) == "policy.panel_size: must be at least 1, got 0"
