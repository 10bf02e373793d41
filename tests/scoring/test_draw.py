"""R6a Expert pool, panels and the draw: one test per sentence of the rule, then the invariants
as properties."""
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (
    CLUSTERS,
    ClusterCategory,
    ConflictReason,
    CoverageProblem,
    DrawRecord,
    Expert,
    Group,
    Ineligible,
    NotEnoughExperts,
    PanelInstitution,
    PanelResult,
    PanelSpec,
    PolicyParams,
    assignments,
    conflict_map,
    conflict_reasons,
    detected_conflicts,
    draw,
    drawable,
    eligibility,
    eligible_experts,
    new_seed,
    panel_assignment_problems,
    replace_member,
    replay,
    run_draws,
    split_group,
    supplementary_draw,
)


def _expert(expert_id, *clusters, **fields):
    return Expert(id=expert_id, clusters=frozenset(clusters or {"工程机械"}), **fields)


# --- The pool -------------------------------------------------------------------------------


def test_drawable_only_active_and_senior():
    assert [drawable(_expert("1", senior=s, active=a))
            for s, a in [(True, True), (False, True), (True, False), (False, False)]] == [
        True, False, False, False]


def test_clusters_are_the_ten_343_clusters_in_their_categories():
    by_category = {c: [n for n, k in CLUSTERS.items() if k == c] for c in ClusterCategory}
    assert by_category == {
        ClusterCategory.LEADING: ["工程机械", "绿色低碳能源", "新材料"],
        ClusterCategory.EMERGING: ["数字经济", "集成电路与ICT", "医药健康", "安全应急"],
        ClusterCategory.DISTINCTIVE: ["精品钢材", "高端纺织", "食品及农副产品加工"],
    }


# --- Eligible -------------------------------------------------------------------------------


def test_eligibility_by_cluster_and_the_reason_for_every_other_expert():
    pool = [
        _expert("E3", "新材料"),
        _expert("E1", "工程机械", "数字经济"),
        _expert("E2", "高端纺织"),
        _expert("E4", "新材料", active=False),
        _expert("E5", "新材料", senior=False),
        _expert("E6", "数字经济"),
    ]
    assert eligibility(pool, {"新材料", "数字经济"}, already_drawn={"E6"}) == \
        eligibility(pool, ["数字经济", "新材料"], already_drawn=["E6"])
    result = eligibility(pool, {"新材料", "数字经济"}, already_drawn={"E6"})
    assert result.eligible == ("E1", "E3")
    assert result.excluded == {
        "E2": Ineligible.NO_MATCHING_CLUSTER,
        "E4": Ineligible.INACTIVE,
        "E5": Ineligible.NOT_SENIOR,
        "E6": Ineligible.ALREADY_DRAWN,
    }


def test_eligibility_widen_takes_every_drawable_expert_whatever_its_clusters():
    pool = [_expert("E1", "高端纺织"), _expert("E2", "新材料"), _expert("E3", active=False),
            _expert("E4", "新材料"), Expert(id="E5")]
    assert eligible_experts(pool, {"新材料"}, {"E4"}, widen=True) == ("E1", "E2", "E5")
    assert eligibility(pool, {"新材料"}, {"E4"}, widen=True).excluded == {
        "E3": Ineligible.INACTIVE, "E4": Ineligible.ALREADY_DRAWN}


def test_eligibility_first_reason_wins():
    # Inactive before not senior before no cluster before already drawn.
    pool = [_expert("E1", "高端纺织", active=False, senior=False),
            _expert("E2", "高端纺织", senior=False), _expert("E3", "高端纺织")]
    assert eligibility(pool, {"新材料"}, {"E1", "E2", "E3"}).excluded == {
        "E1": Ineligible.INACTIVE, "E2": Ineligible.NOT_SENIOR,
        "E3": Ineligible.NO_MATCHING_CLUSTER}


def test_eligible_are_sorted_as_strings_not_numbers():
    pool = [_expert(i) for i in ["10", "9", "100", "E2", "E10"]]
    assert eligible_experts(pool, {"工程机械"}) == ("10", "100", "9", "E10", "E2")


# --- The draw -------------------------------------------------------------------------------


def test_draw_is_the_formula_on_the_sorted_ids():
    ids = [f"E{k:04d}" for k in range(40, 0, -1)]
    expected = random.Random("7f3a9c01d2e4b6a8").sample(sorted(ids), 9)
    record = draw(ids, "7f3a9c01d2e4b6a8", 7, 2)
    assert record == DrawRecord(
        seed="7f3a9c01d2e4b6a8",
        eligible=tuple(sorted(ids)),
        members=tuple(expected[:7]),
        alternates=tuple(expected[7:]),
    )
    assert record.drawn == tuple(expected)


def test_draw_first_m_are_members_the_rest_alternates_in_order():
    record = draw(["a", "b", "c", "d", "e"], "s", 3, 2)
    order = random.Random("s").sample(["a", "b", "c", "d", "e"], 5)
    assert (record.members, record.alternates) == (tuple(order[:3]), tuple(order[3:]))


def test_draw_refused_with_the_number_missing():
    with pytest.raises(NotEnoughExperts) as caught:
        draw([f"E{k}" for k in range(6)], "seed", 7, 2)
    assert (caught.value.needed, caught.value.eligible, caught.value.missing) == (9, 6, 3)
    assert str(caught.value) == (
        "the draw needs 9 experts but only 6 are eligible: 3 missing (R6a)")


def test_draw_exactly_enough_takes_everyone():
    record = draw(["b", "a", "c"], "x", 2, 1)
    assert sorted(record.drawn) == ["a", "b", "c"]


def test_draw_refuses_a_non_string_seed_and_duplicate_ids():
    with pytest.raises(TypeError):
        draw(["a", "b"], 7, 1, 0)
    with pytest.raises(ValueError):
        draw(["a", "a", "b"], "s", 1, 0)


def test_new_seed_is_16_hex_characters_from_secrets(monkeypatch):
    assert re.fullmatch("[0-9a-f]{16}", new_seed())
    assert new_seed() != new_seed()
    monkeypatch.setattr("secrets.token_hex", lambda n: f"token-{n}")
    assert new_seed() == "token-8"


def test_replay_true_for_a_draw_false_when_anything_changed():
    record = draw([f"E{k}" for k in range(20)], "2025-A", 7, 2)
    assert replay(record)
    tampered = [
        DrawRecord(record.seed, record.eligible, record.alternates + record.members[:5],
                   record.members[5:]),
        DrawRecord("2025-B", record.eligible, record.members, record.alternates),
        DrawRecord(record.seed, record.eligible[1:], record.members, record.alternates),
        DrawRecord(record.seed, tuple(reversed(record.eligible)), record.members,
                   record.alternates),
    ]
    assert [replay(t) for t in tampered] == [False, False, False, False]


# --- Replacement ----------------------------------------------------------------------------


def test_replace_member_takes_the_first_unused_alternate():
    members, alternates = ("E1", "E2", "E3"), ("A1", "A2")
    assert replace_member(members, alternates, (), "E2") == "A1"
    assert replace_member(("E1", "A1", "E3"), alternates, {"A1"}, "E3") == "A2"
    assert replace_member(("E1", "A1", "A2"), alternates, {"A1", "A2"}, "E1") is None


def test_replace_member_refuses_someone_not_on_the_panel():
    with pytest.raises(ValueError):
        replace_member(("E1",), ("A1",), (), "E9")


def test_supplementary_draw_takes_from_the_eligible_not_yet_drawn():
    eligible = [f"E{k:02d}" for k in range(12)]
    first = draw(eligible, "first", 5, 2)
    extra = supplementary_draw(eligible, first.drawn, "second", 2)
    rest = sorted(set(eligible) - set(first.drawn))
    assert extra == DrawRecord("second", tuple(rest),
                               tuple(random.Random("second").sample(rest, 2)), ())
    assert set(extra.members).isdisjoint(first.drawn)
    assert replay(extra)


def test_supplementary_draw_refused_when_too_few_are_left():
    with pytest.raises(NotEnoughExperts) as caught:
        supplementary_draw(["a", "b", "c"], {"a", "b"}, "s", 3)
    assert caught.value.missing == 2


# --- Conflicts ------------------------------------------------------------------------------

INSTITUTION = PanelInstitution(id="i1", cluster="新材料", credit_code="91320300MA1XXXXXX1",
                               legal_representative="刘建国", contact="王芳")


@pytest.mark.parametrize(("expert", "reasons"), [
    (Expert(id="E1", employers=frozenset({"91320300MA1XXXXXX1"})), (ConflictReason.EMPLOYER,)),
    # An employer of the last 3 years counts like the current one.
    (Expert(id="E2", employers=frozenset({"91320300OTHER0000X", "91320300MA1XXXXXX1"})),
     (ConflictReason.EMPLOYER,)),
    (Expert(id="E3", name="刘建国"), (ConflictReason.LEGAL_REPRESENTATIVE,)),
    (Expert(id="E4", name="王芳"), (ConflictReason.CONTACT,)),
    (Expert(id="E5", name="王 芳"), (ConflictReason.CONTACT,)),
    (Expert(id="E6", name="刘建国", employers=frozenset({"91320300ma1xxxxxx1"})),
     (ConflictReason.EMPLOYER, ConflictReason.LEGAL_REPRESENTATIVE)),
    (Expert(id="E7", name="张伟", employers=frozenset({"91320300OTHER0000X"})), ()),
])
def test_detected_conflicts(expert, reasons):
    assert detected_conflicts(expert, INSTITUTION) == reasons


def test_detected_conflicts_empty_name_never_matches_an_empty_field():
    blank = PanelInstitution(id="i2", credit_code="")
    assert detected_conflicts(Expert(id="E1", name="", employers=frozenset({" "})), blank) == ()
    assert detected_conflicts(Expert(id="E1", name=" "), PanelInstitution(id="i3",
                              contact=" ")) == ()


def test_declared_conflict_is_a_conflict():
    expert = Expert(id="E1", declared_conflicts=frozenset({"i1"}))
    assert detected_conflicts(expert, INSTITUTION) == ()
    assert conflict_reasons(expert, INSTITUTION) == (ConflictReason.DECLARED,)


def test_conflict_map_lists_each_institution_with_its_conflicted_experts_sorted():
    institutions = [
        INSTITUTION,
        PanelInstitution(id="i2", credit_code="CODE2", legal_representative="张伟"),
        PanelInstitution(id="i3", credit_code="CODE3", contact="张伟"),
        PanelInstitution(id="i4", credit_code="CODE4"),
    ]
    experts = [
        Expert(id="E9", name="张伟"),
        Expert(id="E2", employers=frozenset({"91320300MA1XXXXXX1", "CODE3"})),
        Expert(id="E5", declared_conflicts=frozenset({"i1", "not-in-this-panel"})),
        Expert(id="E7", name="无关"),
    ]
    assert conflict_map(experts, institutions) == {
        "i1": ("E2", "E5"), "i2": ("E9",), "i3": ("E2", "E9")}


@given(st.lists(st.tuples(st.sampled_from(["", "张伟", "王芳", "李娜"]),
                          st.sets(st.sampled_from(["C1", "C2", "C3", "C4"]), max_size=2),
                          st.sets(st.sampled_from(["i0", "i1", "i2", "x"]), max_size=2)),
                max_size=8),
       st.lists(st.tuples(st.sampled_from(["", "C1", "C2", "C3"]),
                          st.sampled_from(["", "张伟", "王芳"]),
                          st.sampled_from(["", "李娜", "王芳"])), min_size=1, max_size=3))
def test_conflict_map_agrees_with_the_pairwise_reasons(expert_rows, institution_rows):
    experts = [Expert(id=f"E{k}", name=name, employers=frozenset(codes),
                      declared_conflicts=frozenset(declared))
               for k, (name, codes, declared) in enumerate(expert_rows)]
    institutions = [PanelInstitution(id=f"i{k}", credit_code=code, legal_representative=rep,
                                     contact=contact)
                    for k, (code, rep, contact) in enumerate(institution_rows)]
    pairwise = {i.id: tuple(sorted(e.id for e in experts if conflict_reasons(e, i)))
                for i in institutions}
    assert conflict_map(experts, institutions) == {i: e for i, e in pairwise.items() if e}


# --- Panels ---------------------------------------------------------------------------------


def test_split_group_by_categories():
    group = {"a": "工程机械", "b": "数字经济", "c": "高端纺织", "d": None, "e": "新材料"}
    assert split_group(group, None) == ("a", "b", "c", "d", "e")
    assert split_group(group, [ClusterCategory.LEADING]) == ("a", "e")
    assert split_group(group, {"新兴", "特色"}) == ("b", "c")


def test_panel_assignment_problems_every_member_in_exactly_one_panel():
    members = ["a1", "a2", "c1"]
    assert panel_assignment_problems(members, {"A": ["a1", "a2"], "C": ["c1"]}) == ()
    assert panel_assignment_problems(members, {"A-1": ["a1"], "A-2": ["a1"], "C": ["c1", "b1"]}) \
        == (CoverageProblem("a1", ("A-1", "A-2")), CoverageProblem("a2", ()),
            CoverageProblem("b1", ("C",), outside=True))


def _pool(count, clusters=("工程机械", "数字经济", "高端纺织")):
    return [Expert(id=f"E{k:03d}", clusters=frozenset({clusters[k % len(clusters)]}))
            for k in range(count)]


GROUPS = {
    Group.A: [PanelInstitution(id="a2", cluster="数字经济"),
              PanelInstitution(id="a1", cluster="工程机械", credit_code="CODE-a1")],
    Group.C: [PanelInstitution(id="c1", cluster="高端纺织", contact="张伟")],
}


def test_run_draws_in_order_each_excluding_the_earlier_panels():
    pool = _pool(30) + [Expert(id="E900", name="张伟", clusters=frozenset({"高端纺织"}))]
    panels = [PanelSpec("A-优势", Group.A, "s1", frozenset({ClusterCategory.LEADING})),
              PanelSpec("A-新兴", Group.A, "s2", frozenset({ClusterCategory.EMERGING})),
              PanelSpec("C", Group.C, "s3", widen=True)]
    params = PolicyParams(panel_size=3, panel_alternates=1)
    first, second, third = run_draws(pool, panels, GROUPS, params)
    leading = [e.id for e in pool if "工程机械" in e.clusters]
    assert first.record == draw(leading, "s1", 3, 1)
    emerging = [e.id for e in pool if "数字经济" in e.clusters]
    assert second.record == draw(emerging, "s2", 3, 1)
    rest = [e.id for e in pool if e.id not in set(first.record.drawn + second.record.drawn)]
    assert third.record == draw(rest, "s3", 3, 1)
    assert (first.institutions, second.institutions, third.institutions) == (
        ("a1",), ("a2",), ("c1",))
    assert (first.eligible, second.eligible, third.eligible) == (10, 10, 23)


def test_run_draws_reports_the_drawn_experts_conflicting():
    pool = [Expert(id=f"E{k}", clusters=frozenset({"工程机械"}),
                   employers=frozenset({"CODE-a1"} if k < 2 else set())) for k in range(4)]
    (panel,) = run_draws(pool, [PanelSpec("A", Group.A, "s")], GROUPS,
                         PolicyParams(panel_size=3, panel_alternates=1))
    assert panel.institutions == ("a1", "a2")
    assert panel.conflicts == {"a1": ("E0", "E1")}


def test_run_draws_refuses_a_panel_naming_it():
    panels = [PanelSpec("A", Group.A, "s"), PanelSpec("C", Group.C, "t")]
    with pytest.raises(NotEnoughExperts) as caught:
        run_draws(_pool(14), panels, GROUPS, PolicyParams(panel_size=5, panel_alternates=2))
    # A takes 7 of the 10 judging 工程机械 or 数字经济; C finds the 4 judging 高端纺织.
    assert (caught.value.panel_id, caught.value.missing) == ("C", 3)
    assert str(caught.value) == ('panel "C": the draw needs 7 experts but only 4 are '
                                 "eligible: 3 missing (R6a)")


def test_assignments_leave_out_the_conflicted_pairs():
    panel = PanelResult(id="A", institutions=("a1", "a2", "a3"),
                        record=DrawRecord("s", ("E1", "E2", "E3"), ("E1", "E2"), ("E3",)))
    assert assignments(panel, {"a2": ("E1", "E3"), "a3": ("E2",)}) == {
        "E1": ("a1", "a3"), "E2": ("a1", "a2")}


# --- Properties -----------------------------------------------------------------------------

ids = st.lists(st.text("0123456789AE", min_size=1, max_size=4), unique=True, max_size=30)
seeds = st.text(max_size=12)


@given(ids, seeds, st.integers(0, 8), st.integers(0, 3), st.randoms(use_true_random=False))
def test_draw_reproducible_from_seed_and_list(eligible, seed, m, a, shuffler):
    shuffled = list(eligible)
    shuffler.shuffle(shuffled)
    try:
        record = draw(eligible, seed, m, a)
    except NotEnoughExperts as exc:
        assert exc.missing == m + a - len(eligible) > 0
        return
    assert draw(shuffled, seed, m, a) == record
    assert replay(record)


@given(ids, seeds, st.integers(0, 8), st.integers(0, 3))
def test_draw_members_and_alternates_distinct_and_eligible(eligible, seed, m, a):
    if len(eligible) < m + a:
        return
    record = draw(eligible, seed, m, a)
    drawn = record.members + record.alternates
    assert (len(record.members), len(record.alternates)) == (m, a)
    assert len(set(drawn)) == len(drawn)
    assert set(drawn) <= set(eligible)


pools = st.lists(
    st.tuples(st.sets(st.sampled_from(list(CLUSTERS)), max_size=5), st.booleans(),
              st.booleans()),
    min_size=10, max_size=60,
).map(lambda rows: [Expert(id=f"E{k:03d}", clusters=frozenset(c), senior=s or k % 3 > 0,
                           active=a or k % 4 > 0) for k, (c, s, a) in enumerate(rows)])
panel_lists = st.lists(
    st.tuples(st.sampled_from([Group.A, Group.C]),
              st.none() | st.sets(st.sampled_from(list(ClusterCategory)), min_size=1),
              st.booleans()),
    min_size=1, max_size=4,
).map(lambda rows: [PanelSpec(f"P{k}", g, f"seed-{k}", None if c is None else frozenset(c), w)
                    for k, (g, c, w) in enumerate(rows)])
groups = st.fixed_dictionaries({
    Group.A: st.lists(st.sampled_from(list(CLUSTERS)), min_size=1, max_size=6),
    Group.C: st.lists(st.sampled_from(list(CLUSTERS)), min_size=1, max_size=3),
}).map(lambda g: {group: [PanelInstitution(id=f"{group}{k}", cluster=c)
                          for k, c in enumerate(clusters)] for group, clusters in g.items()})


@given(pools, panel_lists, groups)
def test_run_draws_no_panel_shares_an_expert_with_an_earlier_one(pool, panels, members):
    params = PolicyParams(panel_size=2, panel_alternates=1)
    try:
        results = run_draws(pool, panels, members, params)
    except NotEnoughExperts:
        return
    seen: set[str] = set()
    by_id = {e.id: e for e in pool}
    for result in results:
        drawn = set(result.record.drawn)
        assert drawn.isdisjoint(seen)
        assert all(drawable(by_id[e]) for e in drawn)
        seen |= drawn


@given(st.lists(st.text("ab12", min_size=1, max_size=3), unique=True, min_size=1, max_size=9),
       st.integers(0, 4), seeds, st.randoms(use_true_random=False))
def test_replacement_takes_the_alternates_in_order(eligible, a, seed, chooser):
    m = len(eligible) - a
    if m < 1:
        return
    record = draw(eligible, seed, m, a)
    members, used, joined = list(record.members), [], []
    for _ in range(a + 1):
        leaving = chooser.choice(members)
        replacement = replace_member(members, record.alternates, used, leaving)
        if replacement is None:
            break
        used.append(replacement)
        joined.append(replacement)
        members[members.index(leaving)] = replacement
    assert tuple(joined) == record.alternates
    assert replace_member(members, record.alternates, used, members[0]) is None


@given(st.lists(st.tuples(st.sampled_from(["", "张伟", "王芳"]),
                          st.sets(st.sampled_from(["c0", "c1", "c2"]), max_size=2),
                          st.sets(st.sampled_from(["i0", "i1", "i2"]), max_size=1)),
                min_size=3, max_size=10),
       seeds)
def test_no_conflicted_expert_is_ever_assigned_the_institution(rows, seed):
    institutions = [PanelInstitution(id=f"i{k}", cluster="工程机械", credit_code=f"c{k}",
                                     legal_representative=["张伟", "", "李娜"][k],
                                     contact=["", "王芳", ""][k])
                    for k in range(3)]
    pool = [Expert(id=f"E{k}", name=name, clusters=frozenset({"工程机械"}),
                   employers=frozenset(codes), declared_conflicts=frozenset(declared))
            for k, (name, codes, declared) in enumerate(rows)]
    (panel,) = run_draws(pool, [PanelSpec("A", Group.A, seed)], {Group.A: institutions},
                         PolicyParams(panel_size=len(pool) - 1, panel_alternates=1))
    by_id = {e.id: e for e in pool}
    for expert_id, assigned in assignments(panel, panel.conflicts).items():
        for institution in institutions:
            conflicted = bool(conflict_reasons(by_id[expert_id], institution))
            assert (institution.id in assigned) == (not conflicted)
