"""The results services (Art 7, 12, 13; R9): computing every tier from what stages 2–4
recorded, with the rules.md examples (R5's N = 9, 40, 100, 137; R6's k lowest of group C;
R7's list, alternates and spot check; R8's fraud) at the service level; the explanations in
Chinese; the refusals; computing again from the stored inputs ("一致", then a tampered tier);
the justification a failed check needs before the public notice; the audit trail."""
from __future__ import annotations

import dataclasses
from collections import Counter
from decimal import Decimal

import pytest
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

import scoring
from evaluations.enums import CycleStatus, VerificationKind
from evaluations.models import (
    CreditRecord,
    CycleResults,
    PanelOutcome,
    PanelResult,
    Participant,
    ParticipantTier,
    SpotCheckDraw,
    Verification,
)
from evaluations.selectors.results import explanation_text
from evaluations.services.cycles import cycle_transition
from evaluations.services.results import (
    results_compute,
    results_digest,
    results_justify,
    results_recompute_compare,
)
from institutions.audit.registry import audited_models, creation_diff
from institutions.exceptions import DomainError
from institutions.models import AuditScope
from tests.evaluations.results_setup import build_reverification_cycle, district, entry

pytestmark = pytest.mark.usefixtures("default_policy")


def _scores(top: float, n: int) -> list[str]:
    return [f"{top - 0.3 * k:.2f}" for k in range(n)]


def _hundred(**options):
    """rules.md R5: N = 100 → E8 G22 F3 S3, in three districts (R4: 40 → 20/16/4,
    30 → 15/12/3 twice). 鼓楼区's second is the third of group A with 88.50; the lowest of C
    is 云龙区's 51.00, then 鼓楼区's last with 52.10."""
    gulou = ["90.00", "88.50", *_scores(80.00, 18)] + [None] * 16 \
        + ["60.00", "58.00", "56.00", "52.10"]
    yunlong = ["89.00", *_scores(79.90, 14)] + [None] * 12 + ["61.00", "59.00", "51.00"]
    quanshan = _scores(79.80, 15) + [None] * 12 + ["62.00", "57.00", "55.00"]
    changes = options.pop("changes", {})

    def entries(name, scores):
        return [entry(score=s, **changes.get((name, k), {}))
                for k, s in enumerate(scores, start=1)]

    return {"鼓楼区": entries("鼓楼区", gulou), "云龙区": entries("云龙区", yunlong),
            "泉山区": entries("泉山区", quanshan)}


def _named(built, district_name, rank) -> Participant:
    return Participant.objects.select_related("institution").get(
        cycle=built.cycle, district_review__district__name=district_name, rank=rank)


def _tiers(built) -> Counter:
    return Counter(ParticipantTier.objects.filter(results__cycle=built.cycle)
                   .values_list("tier", flat=True))


def _explained(participant) -> str:
    with translation.override("zh-hans"):
        return explanation_text(ParticipantTier.objects.get(participant=participant).explanation)


# --- rules.md's examples at the service level --------------------------------------------------

def test_compute_n100_gives_e8_g22_with_one_tier_each_and_the_checks_passing(city_admin):
    built = build_reverification_cycle(city_admin, _hundred(), fail_count=5)
    results = results_compute(cycle=built.cycle, actor=city_admin)
    assert results.quotas == {"N": 100, "E": 8, "G": 22, "K": 30, "F": 3, "S": 3, "districts": {
        "鼓楼区": {"n": 40, "A": 20, "B": 16, "C": 4},
        "云龙区": {"n": 30, "A": 15, "B": 12, "C": 3},
        "泉山区": {"n": 30, "A": 15, "B": 12, "C": 3}}}
    assert _tiers(built) == {"excellent": 8, "good": 22, "qualified": 65, "unqualified": 5}
    assert results.checks == {"passed": True, "failures": []}
    assert ParticipantTier.objects.filter(results=results).count() == 100
    assert results.seeds == {"spot_check": "2025-xz-01"}
    assert results.rule_version == str(built.cycle.policy_version)
    assert results.params == {**dataclasses.asdict(scoring.DEFAULT_POLICY),
                              "district_shares": [50, 40, 10]}


@pytest.mark.parametrize(("n", "quotas"), [
    (40, {"N": 40, "E": 4, "G": 10, "K": 30, "F": 2, "S": 2}),
    (137, {"N": 137, "E": 8, "G": 22, "K": 30, "F": 5, "S": 5}),
])
def test_compute_stores_the_quotas_of_rules_md(city_admin, n, quotas):
    built = build_reverification_cycle(city_admin, {"铜山区": district(n, top=99.0, step=0.5)})
    results = results_compute(cycle=built.cycle, actor=city_admin)
    assert {k: v for k, v in results.quotas.items() if k != "districts"} == quotas
    count = _tiers(built)
    assert sum(count.values()) == n
    assert count["excellent"] == quotas["E"] and count["good"] == quotas["G"]


def test_compute_n9_without_group_c_fails_the_minimum_of_unqualified(city_admin):
    # rules.md R5: N = 9 → E0 G2 F1 S1; districts of 3 have no group C (R4: 3 → 2/1/0).
    built = build_reverification_cycle(city_admin, {
        "鼓楼区": district(3, top=90), "云龙区": district(3, top=80.5),
        "泉山区": district(3, top=70.25)})
    results = results_compute(cycle=built.cycle, actor=city_admin)
    assert {k: v for k, v in results.quotas.items() if k != "districts"} == {
        "N": 9, "E": 0, "G": 2, "K": 30, "F": 1, "S": 1}
    assert results.checks == {"passed": False, "failures": [
        "0 unqualified are fewer than the minimum F = 1"]}
    assert _tiers(built) == {"good": 2, "qualified": 7}


def test_compute_gives_run_cycles_tiers_for_the_same_inputs(city_admin):
    built = build_reverification_cycle(city_admin, _hundred(changes={
        ("鼓楼区", 1): {"reverify": "poor"}, ("云龙区", 1): {"reverify": "not_confirmed"},
        ("泉山区", 20): {"fraud": True}}), fail_count=5, alternates=2)
    results = results_compute(cycle=built.cycle, actor=city_admin)
    people = [scoring.Participant(
        id=p["id"], district=p["district"], district_rank=p["district_rank"],
        panel_score=None if p["panel_score"] is None else Decimal(p["panel_score"]),
        reverify=scoring.Verdict(p["reverify"]), spot_check=scoring.SpotVerdict(p["spot_check"]),
        fraud=p["fraud"]) for p in results.inputs["participants"]]
    expected = scoring.run_cycle(people, spot_check_seed="2025-xz-01", panel_fail_count=5,
                                 alternates=2)
    pk_of = {p["id"]: p["participant"] for p in results.inputs["participants"]}
    stored = dict(ParticipantTier.objects.filter(results=results)
                  .values_list("participant_id", "tier"))
    assert stored == {pk_of[i]: f.value for i, f in expected.finals.items()}
    # Two places emptied (poor, not confirmed): two alternates joined and were verified.
    assert len(expected.alternates) == 2
    assert set(Verification.objects.filter(kind=VerificationKind.ALTERNATE)
               .values_list("participant__institution__credit_code", flat=True)) == set(
        expected.alternates)


# --- The explanations, in Chinese --------------------------------------------------------------

@pytest.fixture
def hundred(city_admin):
    built = build_reverification_cycle(city_admin, _hundred(changes={
        ("泉山区", 20): {"fraud": True}, ("鼓楼区", 2): {}}), fail_count=5)
    results_compute(cycle=built.cycle, actor=city_admin)
    return built


def test_explanation_of_a_confirmed_member_of_the_list(hundred):
    assert _explained(_named(hundred, "鼓楼区", 2)) == (
        "初评A组（鼓楼区第2名）→ 会评得分 88.50，A组第3名 → 进入复核名单 → 实地复核：确认 → "
        "优秀（复核确认的第1至8名）")


def test_explanation_of_the_good_and_of_a_member_of_a_beyond_the_list(hundred):
    # 鼓楼区 3rd (80.00) is the 4th of A … places 9 to 30 of the confirmed are good.
    ninth = ParticipantTier.objects.filter(results__cycle=hundred.cycle, tier="good") \
        .order_by("-participant__panel_result__score").first()
    with translation.override("zh-hans"):
        assert explanation_text(ninth.explanation).endswith(
            "→ 进入复核名单 → 实地复核：确认 → 良好（复核确认的第9至30名）")
    beyond = ParticipantTier.objects.filter(results__cycle=hundred.cycle,
                                            participant__group="A", tier="qualified").first()
    with translation.override("zh-hans"):
        assert explanation_text(beyond.explanation).endswith(
            "→ 未进入复核名单（复核名单为A组前30名）→ 合格")


def test_explanation_of_group_b_drawn_or_not(hundred):
    draw = SpotCheckDraw.objects.get(cycle=hundred.cycle)
    drawn = Participant.objects.get(cycle=hundred.cycle,
                                    institution__credit_code=draw.sample[0])
    undrawn = Participant.objects.filter(cycle=hundred.cycle, group="B",
                                         fraud_confirmed_at__isnull=True) \
        .exclude(institution__credit_code__in=draw.sample).select_related(
            "district_review__district").first()
    assert _explained(undrawn) == (
        f"初评B组（{undrawn.district_review.district.name}第{undrawn.rank}名）→ "
        "随机抽查（种子 2025-xz-01）未抽中 → 合格")
    assert _explained(drawn).endswith(
        "→ 随机抽查（种子 2025-xz-01）抽中 → 抽查实地复核：确认 → 合格")


def test_explanation_of_group_c_counted_from_the_bottom(hundred):
    assert _explained(_named(hundred, "鼓楼区", 40)) == (
        "初评C组（鼓楼区第40名）→ 会评得分 52.10，C组倒数第2名 → 不合格（不合格名额 5）")
    assert _explained(_named(hundred, "鼓楼区", 37)) == (
        "初评C组（鼓楼区第37名）→ 会评得分 60.00，C组倒数第8名 → 合格")


def test_explanation_of_a_fraud_names_its_credit_record(hundred):
    fraud = _named(hundred, "泉山区", 20)
    record = CreditRecord.objects.get(fraud_report__participant=fraud)
    assert _explained(fraud) == (
        f"初评B组（泉山区第20名）→ 虚报（信用记录 No. {record.pk}）→ 不合格")


# --- Refusals ------------------------------------------------------------------------------

@pytest.fixture
def small(city_admin):
    """N = 15 (E1 G3 F1 S1): 鼓楼区 10 (5/4/1), 云龙区 5 (2/2/1)."""
    return build_reverification_cycle(
        city_admin, {"鼓楼区": district(10), "云龙区": district(5, top=85.3)})


def _refused(cycle, actor) -> str:
    with translation.override("zh-hans"), pytest.raises(DomainError) as caught:
        results_compute(cycle=cycle, actor=actor)
    assert not CycleResults.objects.filter(cycle=cycle).exists()
    return str(caught.value)


def test_compute_is_refused_outside_the_reverification(small, city_admin):
    type(small.cycle).objects.filter(pk=small.cycle.pk).update(status=CycleStatus.PANEL_REVIEW)
    assert _refused(small.cycle, city_admin) == "评价结果在复核阶段、全部实地复核结论录入后计算。"


def test_compute_is_refused_before_the_panel_review_closed(small, city_admin):
    PanelOutcome.objects.filter(cycle=small.cycle).update(closed_at=None)
    assert _refused(small.cycle, city_admin) == "会评尚未结束。"


def test_compute_is_refused_before_the_spot_check_is_drawn(city_admin):
    built = build_reverification_cycle(city_admin, {"鼓楼区": district(10)}, draw=False)
    assert _refused(built.cycle, city_admin) == "尚未从合格组中随机抽取复核单位。"


def test_compute_names_the_institutions_whose_verdict_is_missing(city_admin):
    built = build_reverification_cycle(city_admin, {"鼓楼区": district(10, changes={
        1: {"reverify": None}, 3: {"reverify": None}})})
    names = [p.institution.name for p in Participant.objects.filter(
        cycle=built.cycle, rank__in=[1, 3]).select_related("institution").order_by("rank")]
    assert _refused(built.cycle, city_admin) == f"以下机构尚无实地复核结论：{'、'.join(names)}。"


def test_compute_names_a_missing_spot_check_verdict(city_admin):
    built = build_reverification_cycle(city_admin, {"鼓楼区": district(10)})
    code = built.sample[0]
    Verification.objects.filter(participant__institution__credit_code=code).update(verdict="")
    name = Participant.objects.get(institution__credit_code=code).submission.institution.name
    assert _refused(built.cycle, city_admin) == f"以下机构尚无实地复核结论：{name}。"


def test_compute_refuses_a_group_that_disagrees_with_the_ranking(small, city_admin):
    moved = _named(small, "鼓楼区", 1)
    Participant.objects.filter(pk=moved.pk).update(group="B")
    assert _refused(small.cycle, city_admin) == (
        f"以下机构的初评分组与各地区排名不一致：{moved.institution.name}。")


def test_compute_refuses_a_list_that_disagrees_with_the_panel_review(small, city_admin):
    first = _named(small, "鼓楼区", 1)
    PanelResult.objects.filter(participant=first).update(result="not_listed")
    assert _refused(small.cycle, city_admin) == (
        f"会评确定的复核名单与按规则得出的不一致，涉及：{first.institution.name}。")


def test_compute_refuses_a_spot_sample_its_seed_does_not_give(small, city_admin):
    SpotCheckDraw.objects.filter(cycle=small.cycle).update(seed="another")
    message = _refused(small.cycle, city_admin)
    assert "以下机构的随机抽查复核记录与抽取结果不一致" in message
    assert message.endswith("随机抽查记录的抽取结果与其种子得出的不一致。")


def test_compute_refuses_a_spot_verdict_of_not_confirmed(small, city_admin):
    code = small.sample[0]
    Verification.objects.filter(participant__institution__credit_code=code).update(
        verdict="not_confirmed")
    name = Participant.objects.get(institution__credit_code=code).institution.name
    assert _refused(small.cycle, city_admin) == (
        f"随机抽查的复核结论只能是“确认”或“运行情况较差”，不能是“不予确认”：{name}。")


def test_compute_refuses_a_tie_at_the_excellent_line_naming_the_institutions(city_admin):
    # E = 1 (N = 15): the first two of A have equal scores; the list (4) is not split by
    # them, but the line of the excellent places among the confirmed is.
    built = build_reverification_cycle(city_admin, {
        "鼓楼区": district(10, changes={2: {"score": "95.00"}}), "云龙区": district(5, top=85.3)})
    names = "、".join(p.institution.name for p in (_named(built, "鼓楼区", 1),
                                                   _named(built, "鼓楼区", 2)))
    assert _refused(built.cycle, city_admin) == (
        f"会评得分同为 95.00 的机构跨越优秀名额线：{names}。须先记录其先后顺序，才能计算评价结果。")


# --- Computing again, comparing, replacing -----------------------------------------------------

def test_recompute_compare_is_identical_then_shows_a_tampered_tier(small, city_admin):
    results = results_compute(cycle=small.cycle, actor=city_admin)
    comparison = results_recompute_compare(cycle=small.cycle)
    assert (comparison.identical, comparison.differences, comparison.digest_matches) == (
        True, (), True)
    tier = ParticipantTier.objects.filter(results=results, tier="excellent").select_related(
        "participant__institution").get()
    ParticipantTier.objects.filter(pk=tier.pk).update(tier="good")
    comparison = results_recompute_compare(cycle=small.cycle)
    assert comparison.identical is False
    assert comparison.digest_matches is False
    assert [(d.participant_id, d.name, d.stored, d.recomputed)
            for d in comparison.differences] == [
        (tier.participant_id, tier.participant.institution.name, "good", "excellent")]


def test_recompute_compare_notices_tampered_inputs(small, city_admin):
    results = results_compute(cycle=small.cycle, actor=city_admin)
    inputs = results.inputs
    excellent = results.tiers.get(tier="excellent").participant_id
    for row in inputs["participants"]:
        if row["participant"] == excellent:
            row["reverify"] = "poor"
    CycleResults.objects.filter(pk=results.pk).update(inputs=inputs)
    comparison = results_recompute_compare(cycle=small.cycle)
    assert comparison.digest_matches is False
    assert [(d.stored, d.recomputed) for d in comparison.differences][:1] == [
        ("excellent", "unqualified")]


def test_recompute_compare_refuses_a_cycle_without_results(small):
    with translation.override("zh-hans"), pytest.raises(DomainError) as caught:
        results_recompute_compare(cycle=small.cycle)
    assert str(caught.value) == "评价结果尚未计算。"


def test_digest_is_the_sha256_of_the_canonical_record(small, city_admin):
    results = results_compute(cycle=small.cycle, actor=city_admin)
    finals = dict(results.tiers.values_list("participant_id", "tier"))
    assert results.digest == results_digest(
        rule_version=results.rule_version, params=results.params, seeds=results.seeds,
        inputs=results.inputs, quotas=results.quotas, checks=results.checks, finals=finals)
    assert len(results.digest) == 64


def test_compute_again_replaces_in_place_and_records_the_tier_that_changed(small, city_admin,
                                                                           users):
    first = results_compute(cycle=small.cycle, actor=city_admin)
    pks = dict(ParticipantTier.objects.values_list("participant_id", "pk"))
    top = _named(small, "鼓楼区", 1)
    Verification.objects.filter(participant=top).update(verdict="poor")
    again = results_compute(cycle=small.cycle, actor=city_admin)
    assert again.pk == first.pk and CycleResults.objects.count() == 1
    assert dict(ParticipantTier.objects.values_list("participant_id", "pk")) == pks
    assert ParticipantTier.objects.get(participant=top).tier == "unqualified"
    tier_type = ContentType.objects.get_for_model(ParticipantTier)
    updates = LogEntry.objects.filter(content_type=tier_type, action=LogEntry.Action.UPDATE)
    changed = {e.object_pk: e.changes_dict["tier"] for e in updates}
    # The first of the list is now poor; its place goes to the next confirmed (no alternates).
    assert changed[str(pks[top.pk])] == ["excellent", "unqualified"]
    assert all(e.actor == city_admin for e in updates)


# --- Audit ------------------------------------------------------------------------------------

def test_compute_is_audited_under_the_actor_with_the_cycle_as_scope(small, city_admin):
    # One entry for the computation, whose digest pins every tier; a tier that a later
    # computation changes is an entry of its own.
    results = results_compute(cycle=small.cycle, actor=city_admin)
    types = {m: ContentType.objects.get_for_model(m) for m in (CycleResults, ParticipantTier)}
    created = LogEntry.objects.filter(action=LogEntry.Action.CREATE,
                                      content_type__in=types.values())
    assert Counter(e.content_type_id for e in created) == {types[CycleResults].pk: 1}
    assert {e.actor_id for e in created} == {city_admin.pk}
    assert set(AuditScope.objects.filter(entry__in=created).values_list("cycle_id", flat=True)) \
        == {small.cycle.pk}
    entry_ = created.get(content_type=types[CycleResults])
    assert "inputs" not in entry_.changes_dict and entry_.object_pk == str(results.pk)
    assert entry_.changes_dict["digest"] == ["None", results.digest]
    assert results.digest == results_digest(
        rule_version=results.rule_version, params=results.params, seeds=results.seeds,
        inputs=results.inputs, quotas=results.quotas, checks=results.checks,
        finals=dict(ParticipantTier.objects.filter(results=results)
                    .values_list("participant_id", "tier")))


def test_creation_diff_is_auditlogs_own_diff(small, city_admin):
    # bulk_created_record writes the entries of rows created in bulk (a stage opening, the
    # registry import) with creation_diff: auditlog's own diff with the fields looked up once.
    results_compute(cycle=small.cycle, actor=city_admin)
    checked = Counter()
    for info in audited_models():
        for row in info.model._default_manager.all()[:5]:
            assert creation_diff(row) == (model_instance_diff(None, row) or {}), row
            checked[info.model] += 1
    assert checked[ParticipantTier] == 5 and len(checked) >= 10


def test_compute_takes_as_many_queries_at_two_sizes(city_admin):
    def count(n):
        built = build_reverification_cycle(city_admin, {"铜山区": district(n, top=99, step=0.25)},
                                           year=2025 + 2 * n)
        with CaptureQueriesContext(connection) as queries:
            results_compute(cycle=built.cycle, actor=city_admin)
        return len(queries)

    assert count(20) == count(60)


# --- Justification and the public notice ---------------------------------------------------------

def _to_notice(cycle, actor) -> str:
    with translation.override("zh-hans"), pytest.raises(DomainError) as caught:
        cycle_transition(cycle=cycle, to_status=CycleStatus.PUBLIC_NOTICE, actor=actor)
    return str(caught.value)


def _nine(city_admin):
    return build_reverification_cycle(city_admin, {
        "鼓楼区": district(3, top=90), "云龙区": district(3, top=80.5),
        "泉山区": district(3, top=70.25)}, stage_closed=True)


def test_the_public_notice_waits_for_the_results(city_admin):
    built = _nine(city_admin)
    assert _to_notice(built.cycle, city_admin) == "评价结果尚未计算。"


def test_a_failed_check_needs_its_justification_before_the_public_notice(city_admin):
    built = _nine(city_admin)
    results_compute(cycle=built.cycle, actor=city_admin)
    assert _to_notice(built.cycle, city_admin) == "评价结果有核查项未通过：请先记录其理由。"
    with translation.override("zh-hans"), pytest.raises(DomainError) as caught:
        results_justify(cycle=built.cycle, text="  ", actor=city_admin)
    assert str(caught.value) == "请填写未通过核查项的理由说明。"
    results = results_justify(cycle=built.cycle, text="本年度各地区参评单位较少，均未形成较差组。",
                              actor=city_admin)
    assert (results.justification, results.justified_by) == (
        "本年度各地区参评单位较少，均未形成较差组。", city_admin)
    entry_ = LogEntry.objects.get_for_object(results).filter(
        action=LogEntry.Action.UPDATE).latest("pk")
    assert entry_.changes_dict["justification"] == [
        "", "本年度各地区参评单位较少，均未形成较差组。"]
    cycle_transition(cycle=built.cycle, to_status=CycleStatus.PUBLIC_NOTICE, actor=city_admin)
    built.cycle.refresh_from_db()
    assert built.cycle.status == CycleStatus.PUBLIC_NOTICE


def test_justification_is_refused_when_every_check_passed(small, city_admin):
    results_compute(cycle=small.cycle, actor=city_admin)
    with translation.override("zh-hans"), pytest.raises(DomainError) as caught:
        results_justify(cycle=small.cycle, text="理由", actor=city_admin)
    assert str(caught.value) == "评价结果的各项核查均已通过，无需说明理由。"


def test_a_justification_stays_only_while_the_same_checks_fail(city_admin):
    built = _nine(city_admin)
    results_compute(cycle=built.cycle, actor=city_admin)
    results_justify(cycle=built.cycle, text="理由", actor=city_admin)
    assert results_compute(cycle=built.cycle, actor=city_admin).justification == "理由"
    # A poor spot check makes one 不合格: every check passes, the justification goes.
    Verification.objects.filter(kind=VerificationKind.SPOT_CHECK).update(verdict="poor")
    results = results_compute(cycle=built.cycle, actor=city_admin)
    assert (results.checks["passed"], results.justification, results.justified_by) == (
        True, "", None)


def test_results_computed_before_a_change_must_be_computed_again(city_admin):
    built = build_reverification_cycle(city_admin, {"鼓楼区": district(10)}, stage_closed=True)
    results_compute(cycle=built.cycle, actor=city_admin)
    first = Verification.objects.filter(kind=VerificationKind.LISTED).order_by("pk").first()
    Verification.objects.filter(pk=first.pk).update(verdict="not_confirmed")
    assert _to_notice(built.cycle, city_admin) == (
        "计算评价结果之后，复核结论、虚报认定或会评决定有变化：请重新计算。")
    results_compute(cycle=built.cycle, actor=city_admin)
    cycle_transition(cycle=built.cycle, to_status=CycleStatus.PUBLIC_NOTICE, actor=city_admin)
