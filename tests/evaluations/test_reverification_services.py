"""Stage 4's services (Art 12; R7, R8): the list opened in panel order, the verdicts and the
tier preview, the alternates joining in order up to the number allowed, a place left empty,
fraud found on site, the spot check drawn once and reproducible from its record, a stale page
refused, a verdict changed only with a reason, and the audit trail in Chinese.

The cycle (``standard_cycle``): E1 G3, so the list is the first four of group A's seven
(a1 … a7, panel scores 90 … 60), and S1."""
from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest
from auditlog.models import LogEntry
from django.utils import timezone, translation

import scoring
from evaluations.enums import FraudKind, SiteVerdict, VerificationKind
from evaluations.models import (
    CreditRecord,
    FraudReport,
    Participant,
    Reverification,
    SiteVisit,
    SpotCheckDraw,
    VerdictChange,
    Verification,
)
from evaluations.selectors.reverification import (
    candidates_digest,
    reverification_board,
    spot_check_preview,
    spot_check_replay,
)
from evaluations.services import reverification as services
from evaluations.services.findings import fraud_report_decide, fraud_report_file
from institutions.audit.display import describe
from institutions.exceptions import DomainError
from institutions.models import Notification
from tests.evaluations.preliminary_setup import add_institutions
from tests.evaluations.reverification_setup import open_reverification, standard_cycle
from tests.evaluations.self_evaluation_setup import EXE, PNG, upload

C, N, P = SiteVerdict.CONFIRMED, SiteVerdict.NOT_CONFIRMED, SiteVerdict.POOR


@pytest.fixture(autouse=True)
def english():
    """The services' sentences are matched in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def setup(users, gulou, default_policy, private_media):
    cycle, group_a = standard_cycle(users["city_admin"], gulou)
    return cycle, [Participant.objects.select_related("cycle", "institution").get(
        cycle=cycle, institution=i) for i in group_a]


@pytest.fixture
def admin(users):
    return users["city_admin"]


def _verdict(participant, verdict, admin, reason="现场核查情况"):
    verification = Verification.objects.filter(participant=participant).first()
    return services.verification_verdict_record(
        participant=participant, verdict=verdict, reason=reason,
        revision=verification.revision if verification else 0, actor=admin)


def _names(rows):
    return [row.participant.institution.name for row in rows]


def _keys(participants):
    return tuple(str(p.pk) for p in participants)


def _finals(board):
    return {row.participant.institution.name: row.final for row in board.rows}


# --- Opening: the list in panel order ---------------------------------------------------------

def test_opening_the_stage_lists_the_panel_reviews_list_in_panel_order(setup):
    cycle, a = setup
    board = reverification_board(cycle)
    assert (board.quotas.E, board.quotas.G, board.quotas.S) == (1, 3, 1)
    assert Reverification.objects.get(cycle=cycle).alternates_allowed == 0
    assert _names(board.rows) == [p.institution.name for p in a[:4]]
    assert [row.place for row in board.rows] == [1, 2, 3, 4]
    assert list(Verification.objects.order_by("pk").values_list("participant", "kind")) == [
        (p.pk, VerificationKind.LISTED) for p in a[:4]]
    assert board.settlement.listed == _keys(a[:4])
    assert board.pending == 4


def test_the_list_follows_the_recorded_order_of_equal_panel_scores(users, gulou,
                                                                  default_policy):
    # Places 4 and 5 are equal at 70: the organiser put the later-made one first.
    made = add_institutions(gulou, 10)  # with users' two: twelve participants, E1 G3
    cycle = open_reverification(
        users["city_admin"], a=list(zip(made[:6], [90, 85, 80, 70, 70, 60], strict=True)),
        c=[(made[6], 40)], tiebreak=[made[4], made[3]])
    listed = list(Verification.objects.order_by("pk").values_list(
        "participant__institution", flat=True))
    assert listed == [made[0].pk, made[1].pk, made[2].pk, made[4].pk]
    assert reverification_board(cycle).settlement.listed == tuple(
        str(Participant.objects.get(cycle=cycle, institution=i).pk)
        for i in (made[0], made[1], made[2], made[4]))


# --- Verdicts and the tier preview (R7) --------------------------------------------------------

def test_first_e_confirmed_are_excellent_next_g_good_poor_unqualified(setup, admin):
    cycle, a = setup
    for participant, verdict in zip(a[:4], [N, C, P, C], strict=True):
        _verdict(participant, verdict, admin)
    board = reverification_board(cycle)
    assert _names(board.excellent) == [a[1].institution.name]
    assert _names(board.good) == [a[3].institution.name]
    assert [row.final for row in board.rows] == ["qualified", "excellent", "unqualified",
                                                 "good"]
    assert board.pending == 0 and board.vacancies == 2
    # Without alternates the empty places stay empty: nobody beyond the list joins.
    assert Verification.objects.filter(kind=VerificationKind.ALTERNATE).exists() is False
    assert len(board.rows) == 4


def test_a_pending_verdict_keeps_its_place_in_the_preview(setup, admin):
    cycle, a = setup
    _verdict(a[0], P, admin)
    board = reverification_board(cycle)
    assert board.settlement.pending == _keys(a[1:4])
    # a2 is excellent if confirmed; its row says the verdict is pending.
    assert [(row.final, row.pending) for row in board.rows] == [
        ("unqualified", False), ("excellent", True), ("good", True), ("good", True)]


def test_alternates_join_the_empty_places_in_panel_order_each_with_its_own_verdict(setup,
                                                                                 admin):
    cycle, a = setup
    services.reverification_alternates_set(cycle=cycle, allowed=3, reason="名额充足",
                                           actor=admin)
    for participant, verdict in zip(a[:4], [C, P, P, C], strict=True):
        _verdict(participant, verdict, admin)
    # Two places empty: the next two of group A join them, each waiting for its verdict.
    joined = Verification.objects.filter(kind=VerificationKind.ALTERNATE).order_by("pk")
    assert list(joined.values_list("participant", flat=True)) == [a[4].pk, a[5].pk]
    assert reverification_board(cycle).settlement.pending == _keys(a[4:6])
    _verdict(a[4], N, admin)  # it is not confirmed: the place stays empty, the next joins
    assert list(joined.values_list("participant", flat=True)) == [a[4].pk, a[5].pk, a[6].pk]
    _verdict(a[5], C, admin)
    _verdict(a[6], C, admin)
    board = reverification_board(cycle)
    assert board.settlement.joined == _keys(a[4:7])
    assert _names(board.excellent) == [a[0].institution.name]
    assert _names(board.good) == [a[3].institution.name, a[5].institution.name,
                                  a[6].institution.name]
    assert _finals(board)[a[4].institution.name] == "qualified"
    assert (board.vacancies, board.pending) == (0, 0)


def test_alternates_stop_at_the_number_allowed(setup, admin):
    cycle, a = setup
    services.reverification_alternates_set(cycle=cycle, allowed=1, reason="只允许递补一家",
                                           actor=admin)
    for participant, verdict in zip(a[:4], [C, C, P, P], strict=True):
        _verdict(participant, verdict, admin)
    _verdict(a[4], C, admin)
    board = reverification_board(cycle)
    assert board.settlement.joined == _keys(a[4:5])
    assert Verification.objects.filter(kind=VerificationKind.ALTERNATE).count() == 1
    assert board.vacancies == 1 and board.pending == 0
    assert _names(board.good) == [a[1].institution.name, a[4].institution.name]


def test_allowing_alternates_later_calls_in_those_the_empty_places_need(setup, admin):
    cycle, a = setup
    _verdict(a[1], P, admin)
    assert not Verification.objects.filter(kind=VerificationKind.ALTERNATE).exists()
    services.reverification_alternates_set(cycle=cycle, allowed=2, reason="局务会决定",
                                           actor=admin)
    assert list(Verification.objects.filter(kind=VerificationKind.ALTERNATE)
                .values_list("participant", flat=True)) == [a[4].pk]


def test_the_alternates_allowed_need_a_reason_and_at_most_the_members_beyond_the_list(
        setup, admin):
    cycle, _a = setup
    with pytest.raises(DomainError) as caught:
        services.reverification_alternates_set(cycle=cycle, allowed=1, reason=" ",
                                               actor=admin)
    assert str(caught.value) == "Give the reason for the number of alternates allowed."
    with pytest.raises(DomainError) as caught:
        services.reverification_alternates_set(cycle=cycle, allowed=4, reason="x",
                                               actor=admin)
    assert str(caught.value) == ("Group A (good) has only 3 members beyond the "
                                 "re-verification list: at most 3 alternates can join.")
    assert Reverification.objects.get(cycle=cycle).alternates_allowed == 0


def test_a_changed_verdict_that_refills_the_place_leaves_the_alternate_its_record(setup,
                                                                                admin):
    cycle, a = setup
    services.reverification_alternates_set(cycle=cycle, allowed=1, reason="x", actor=admin)
    _verdict(a[0], P, admin)
    _verdict(a[4], C, admin)
    services.verification_verdict_change(participant=a[0], verdict=C, reason="复查后确认",
                                         revision=1, actor=admin)
    board = reverification_board(cycle)
    alternate = next(row for row in board.rows if row.participant.pk == a[4].pk)
    assert (alternate.kind, alternate.on_list, alternate.verdict) == ("alternate", False, C)
    assert board.settlement.joined == ()
    assert _names(board.excellent) == [a[0].institution.name]


# --- Fraud found on site (R8) ------------------------------------------------------------------

def test_fraud_found_on_site_empties_the_place_and_the_alternate_joins(setup, admin, users):
    cycle, a = setup
    services.reverification_alternates_set(cycle=cycle, allowed=1, reason="x", actor=admin)
    _verdict(a[0], C, admin)
    report = fraud_report_file(
        participant=a[0], kind=FraudKind.FABRICATED, description="现场发现合同系伪造",
        uploads=[upload("合同.png", PNG)], actor=admin)
    assert report.files.count() == 1
    fraud_report_decide(report=report, confirm=True, reason="证据确凿", actor=admin,
                        person_name="张三", person_role="法定代表人")
    assert CreditRecord.objects.get().fraud_report == report
    board = reverification_board(cycle)
    first = board.rows[0]
    assert (first.fraud, first.final) == (True, "unqualified")
    # The alternate joins at once on the page, and gets its record with the first write.
    assert board.settlement.joined == _keys(a[4:5])
    assert [r.verification for r in board.rows if r.participant.pk == a[4].pk] == [None]
    _verdict(a[4], C, admin)
    board = reverification_board(cycle)
    assert Verification.objects.get(participant=a[4]).kind == VerificationKind.ALTERNATE
    assert _names(board.excellent) == [a[1].institution.name]
    with pytest.raises(DomainError) as caught:
        services.verification_verdict_change(participant=a[0], verdict=P, reason="x",
                                             revision=1, actor=admin)
    assert "fraud finding against this institution is confirmed" in str(caught.value)


def test_a_fraud_report_on_site_needs_a_kind_and_a_description(setup, admin):
    _cycle, a = setup
    with pytest.raises(DomainError):
        fraud_report_file(participant=a[0], kind="other", description="x", actor=admin)
    with pytest.raises(DomainError):
        fraud_report_file(participant=a[0], kind=FraudKind.OVERSTATED, description=" ",
                          actor=admin)
    assert not FraudReport.objects.exists()


def test_a_fraud_report_on_site_is_refused_once_the_stage_is_closed(setup, admin):
    cycle, a = setup
    cycle.stages.filter(stage="reverification").update(closed_at=timezone.now())
    with pytest.raises(DomainError) as caught:
        fraud_report_file(participant=a[0], kind=FraudKind.OVERSTATED, description="虚报",
                          actor=admin)
    assert str(caught.value) == "The re-verification is not open."
    assert not FraudReport.objects.exists()


# --- Verdicts: reasons, changes, stale pages ---------------------------------------------------

def test_a_verdict_needs_a_reason_and_is_recorded_once(setup, admin):
    _cycle, a = setup
    with pytest.raises(DomainError) as caught:
        _verdict(a[0], C, admin, reason=" ")
    assert str(caught.value) == "Give the reason for the verdict."
    verification = _verdict(a[0], C, admin, reason="研发投入与台账一致")
    assert (verification.verdict, verification.reason, verification.decided_by,
            verification.revision) == (C, "研发投入与台账一致", admin, 1)
    with pytest.raises(DomainError) as caught:
        _verdict(a[0], P, admin)
    assert str(caught.value) == "The verdict is recorded already: change it with a reason."


def test_changing_a_verdict_needs_a_reason_and_is_kept(setup, admin):
    _cycle, a = setup
    _verdict(a[0], C, admin)
    with pytest.raises(DomainError) as caught:
        services.verification_verdict_change(participant=a[0], verdict=P, reason="",
                                             revision=1, actor=admin)
    assert str(caught.value) == "Give the reason for changing the verdict."
    with pytest.raises(DomainError):
        services.verification_verdict_change(participant=a[0], verdict=C, reason="同上",
                                             revision=1, actor=admin)
    change = services.verification_verdict_change(
        participant=a[0], verdict=P, reason="复查发现场地闲置", revision=1, actor=admin)
    assert (change.before, change.after, change.reason, change.changed_by) == (
        C, P, "复查发现场地闲置", admin)
    verification = Verification.objects.get(participant=a[0])
    assert (verification.verdict, verification.reason, verification.revision) == (
        P, "复查发现场地闲置", 2)
    assert VerdictChange.objects.count() == 1


def test_a_stale_page_is_refused_and_writes_nothing(setup, admin, users):
    _cycle, a = setup
    _verdict(a[0], C, admin)
    with pytest.raises(services.VerificationConflict) as caught:
        services.verification_verdict_change(participant=a[0], verdict=P, reason="旧页面",
                                             revision=0, actor=admin)
    assert "was changed in another window after you opened this page" in str(caught.value)
    with pytest.raises(services.VerificationConflict):
        services.verification_plan(participant=a[0], planned_on=timezone.localdate(),
                                   to_prepare="", revision=0, actor=admin)
    verification = Verification.objects.get(participant=a[0])
    assert (verification.verdict, verification.revision, verification.planned_on) == (
        C, 1, None)
    assert not VerdictChange.objects.exists()


def test_writes_are_refused_outside_the_running_stage(setup, admin):
    cycle, a = setup
    cycle.stages.filter(stage="reverification").update(closed_at=timezone.now())
    with pytest.raises(DomainError) as caught:
        _verdict(a[0], C, admin)
    assert str(caught.value) == "The re-verification is not open."
    with pytest.raises(DomainError):
        services.spot_check_draw(cycle=cycle, actor=admin, seed="x")


def test_an_institution_not_verified_gets_no_verdict(setup, admin):
    cycle, a = setup
    with pytest.raises(DomainError) as caught:
        _verdict(a[5], C, admin)
    assert str(caught.value) == "This institution is not verified on site in this cycle."
    assert not Verification.objects.filter(participant=a[5]).exists()


# --- The planned visit and the visits -----------------------------------------------------------

def test_planning_a_visit_tells_the_institution_the_date_and_what_to_prepare(
        users, gulou, default_policy, private_media, institution, admin,
        django_capture_on_commit_callbacks):
    cycle, _group = standard_cycle(admin, gulou, first=institution)
    own = Participant.objects.select_related("cycle").get(cycle=cycle, institution=institution)
    day = timezone.localdate() + dt.timedelta(days=7)
    with pytest.raises(DomainError) as caught:
        services.verification_plan(participant=own, planned_on=day - dt.timedelta(days=8),
                                   to_prepare="", revision=0, actor=admin)
    assert str(caught.value) == "The planned date cannot be in the past."
    with django_capture_on_commit_callbacks(execute=True):
        verification = services.verification_plan(
            participant=own, planned_on=day, to_prepare="近两年研发投入台账原件", revision=0,
            actor=admin)
    assert (verification.planned_on, verification.to_prepare, verification.revision) == (
        day, "近两年研发投入台账原件", 1)
    notes = Notification.objects.filter(user__institution=institution,
                                        subject__contains="re-verification")
    assert sorted(notes.values_list("user__username", flat=True)) == ["filer", "instadmin"]
    assert {n.url for n in notes} == {f"/cycles/{cycle.year}/my-visit/"}


def test_a_visit_is_recorded_with_its_files_checked_by_content(setup, admin):
    _cycle, a = setup
    with pytest.raises(DomainError):
        services.verification_visit_record(
            participant=a[0], visited_on=timezone.localdate(), visitors="李明、王芳",
            findings="x", uploads=[upload("照片.png", EXE)], actor=admin)
    assert not SiteVisit.objects.exists()
    visit = services.verification_visit_record(
        participant=a[0], visited_on=timezone.localdate(), visitors="李明、王芳",
        findings="场地与申报一致", uploads=[upload("现场照片.png", PNG)], actor=admin,
        form_token="tok-1")
    again = services.verification_visit_record(
        participant=a[0], visited_on=timezone.localdate(), visitors="李明、王芳",
        findings="场地与申报一致", actor=admin, form_token="tok-1")
    assert again == visit
    assert (visit.stage, visit.files.get().original_name) == ("reverification", "现场照片.png")
    with pytest.raises(DomainError) as caught:
        services.verification_visit_record(
            participant=a[0], visited_on=timezone.localdate() + dt.timedelta(days=1),
            visitors="x", findings="x", actor=admin)
    assert str(caught.value) == "A visit cannot be recorded before it takes place."
    with pytest.raises(DomainError):
        services.verification_visit_record(
            participant=a[6], visited_on=timezone.localdate(), visitors="x", findings="x",
            actor=admin)


# --- The spot check of group B (R7) ------------------------------------------------------------

def test_the_spot_check_preview_lists_group_b_by_credit_code_with_s_and_the_digest(setup):
    cycle, _a = setup
    preview = spot_check_preview(cycle)
    codes = sorted(cycle.participants.filter(group="B").values_list(
        "institution__credit_code", flat=True))
    assert preview.candidates == tuple(codes) and len(codes) == 5
    assert preview.size == 1
    assert preview.digest == hashlib.sha256("\n".join(codes).encode("utf-8")).hexdigest()


def test_the_spot_check_is_drawn_once_and_reproducible_from_its_record(setup, admin):
    cycle, _a = setup
    codes = sorted(cycle.participants.filter(group="B").values_list(
        "institution__credit_code", flat=True))
    draw = services.spot_check_draw(cycle=cycle, actor=admin, seed=" 2025-徐州-抽查 ")
    assert (draw.seed, draw.seed_entered, draw.size, draw.drawn_by) == (
        "2025-徐州-抽查", True, 1, admin)
    assert draw.candidates == codes and draw.digest == candidates_digest(codes)
    # R7 exactly: random.Random(seed).sample(sorted_ids, S), from the record alone.
    record = SpotCheckDraw.objects.get()
    assert record.sample == random.Random(record.seed).sample(record.candidates, record.size)
    assert spot_check_replay(record).matches
    drawn = Verification.objects.get(kind=VerificationKind.SPOT_CHECK)
    assert drawn.participant.institution.credit_code == record.sample[0]
    with pytest.raises(DomainError) as caught:
        services.spot_check_draw(cycle=cycle, actor=admin)
    assert str(caught.value) == "The spot check has been drawn; the draw cannot be redone."
    assert SpotCheckDraw.objects.count() == 1
    assert Verification.objects.filter(kind=VerificationKind.SPOT_CHECK).count() == 1
    # A record that was tampered with no longer replays.
    record.sample = [c for c in codes if c != record.sample[0]][:1]
    assert not spot_check_replay(record).matches


def test_a_policy_with_no_spot_check_has_nothing_to_draw_and_nothing_missing(setup, admin):
    """S = 0 (here a policy drawing none of group B): the draw is refused with a sentence,
    not a crash, and the stage does not wait for a draw that cannot be made."""
    cycle, _a = setup
    version = cycle.policy_version
    version.spot_check_share = 0
    version.save(update_fields=["spot_check_share"])
    with pytest.raises(DomainError) as caught:
        services.spot_check_draw(cycle=cycle, actor=admin)
    assert str(caught.value) == (
        "No institution is to be drawn for the spot check: group B (qualified) has 5 members "
        "and the policy draws none of them.")
    assert SpotCheckDraw.objects.count() == 0
    assert not any("spot check" in problem
                   for problem in services.reverification_open_problems(cycle))


def test_the_spot_checks_seed_comes_from_secrets_when_none_is_typed(setup, admin,
                                                                     monkeypatch):
    cycle, _a = setup
    monkeypatch.setattr("secrets.token_hex", lambda n: "ab" * n)
    draw = services.spot_check_draw(cycle=cycle, actor=admin)
    assert (draw.seed, draw.seed_entered) == ("ab" * 8, False)
    assert tuple(draw.sample) == scoring.spot_check_draw(draw.candidates, 1, "ab" * 8)


def test_a_spot_checks_verdict_is_confirmed_or_poor(setup, admin):
    cycle, _a = setup
    services.spot_check_draw(cycle=cycle, actor=admin, seed="s")
    drawn = Verification.objects.select_related("participant__cycle").get(
        kind=VerificationKind.SPOT_CHECK).participant
    with pytest.raises(DomainError) as caught:
        _verdict(drawn, N, admin)
    assert str(caught.value) == "A spot check's verdict is confirmed or operating poorly."
    _verdict(drawn, P, admin, reason="现场无人办公")
    (row,) = reverification_board(cycle).spot_rows
    assert (row.verdict, row.final, row.pending) == (P, "unqualified", False)


def test_open_problems_list_what_the_results_still_need(setup, admin):
    cycle, a = setup
    assert services.reverification_open_problems(cycle) == [
        "The spot check of group B (qualified) has not been drawn.",
        "4 on-site verdicts are still to be recorded."]
    services.spot_check_draw(cycle=cycle, actor=admin, seed="s")
    for participant in a[:4]:
        _verdict(participant, C, admin)
    drawn = Verification.objects.get(kind=VerificationKind.SPOT_CHECK).participant
    _verdict(Participant.objects.select_related("cycle").get(pk=drawn.pk), C, admin)
    assert services.reverification_open_problems(cycle) == []


# --- The audit trail ------------------------------------------------------------------------

def test_every_write_is_in_the_audit_trail_under_its_actor_in_chinese(setup, admin):
    cycle, a = setup
    _verdict(a[0], C, admin, reason="台账一致")
    services.verification_verdict_change(participant=a[0], verdict=P, reason="复查",
                                         revision=1, actor=admin)
    services.spot_check_draw(cycle=cycle, actor=admin, seed="s")
    verification = Verification.objects.get(participant=a[0])
    entries = LogEntry.objects.get_for_object(verification).order_by("pk")
    # Created at the opening (by the administrator moving the cycle on), the verdict, its
    # change.
    assert [e.actor for e in entries] == [admin, admin, admin]
    with translation.override("zh-hans"):
        rows = describe(entries.order_by("-pk")[:1])
    (row,) = rows
    assert row.record_type == "实地核查"
    assert {(c.title, c.before, c.after) for c in row.changes} >= {
        ("实地核查结论", "确认", "运行情况较差"), ("结论理由", "台账一致", "复查")}
    change = VerdictChange.objects.get()
    assert LogEntry.objects.get_for_object(change).get().actor == admin
    draw = SpotCheckDraw.objects.get()
    assert LogEntry.objects.get_for_object(draw).get().actor == admin
