"""The audit trail records every write of stages 1 and 2 through the real services: who, what,
and the cycle, district and institution each entry concerns (its scope).

Each test lists the entries a call wrote as ``(model, action, actor, scope)`` and the changes of
the ones it is about."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import ClaimVerdict, CycleStatus, FraudKind, ReportStatus
from evaluations.models import Indicator, Participant
from evaluations.services import findings, preliminary
from evaluations.services import indicators as indicator_services
from evaluations.services.cycles import cycle_create, cycle_stage_schedule, cycle_transition
from evaluations.services.documents import document_set_status
from evaluations.services.self_evaluation import (
    evidence_delete,
    evidence_upload,
    extension_grant,
    report_request,
    report_scan_upload,
    response_save,
    self_evaluation_close,
    submission_pledge,
    submission_submit,
    submission_withdraw,
)
from institutions.audit.actions import entry_action
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import district_review, open_preliminary_review
from tests.evaluations.ranking_setup import generated_summary, render_done, scored
from tests.evaluations.self_evaluation_setup import (
    PDF,
    PNG,
    fill,
    open_cycle,
    ready_to_submit,
    upload,
    valid_data,
)

TODAY = timezone.localdate


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _last_pk() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _scope(entry) -> tuple:
    scope = getattr(entry, "scope", None)
    return (scope.cycle_id, scope.district_id, scope.institution_id) if scope else (None,) * 3


def written(since: int) -> list[tuple]:
    """``(model, action, actor's username, (cycle, district, institution))`` of every entry
    written after entry ``since``, in order."""
    entries = LogEntry.objects.filter(pk__gt=since).select_related(
        "content_type", "actor", "scope").order_by("pk")
    return [(e.content_type.model, str(entry_action(e).value),
             e.actor.username if e.actor else None, _scope(e)) for e in entries]


def changes(since: int, model: str) -> list[dict]:
    """The changes of the ``model`` entries written after entry ``since``; auditlog also lists
    an empty date-time of a new row as ``["None", "None"]``, left out here."""
    return [{name: values for name, values in e.changes_dict.items() if values[0] != values[1]}
            for e in LogEntry.objects.filter(pk__gt=since, content_type__model=model)
            .order_by("pk")]


# --- Cycles, indicators --------------------------------------------------------------------

def test_cycle_create_records_the_cycle_its_indicator_system_and_stage(city_admin,
                                                                       default_policy):
    since = _last_pk()
    today = TODAY()
    cycle = cycle_create(year=2025, actor=city_admin, stage_dates={
        CycleStatus.SELF_EVALUATION: (today, today + dt.timedelta(days=30))})
    kinds = [(model, action) for model, action, _actor, _scope in written(since)]
    indicators = Indicator.objects.filter(category__cycle=cycle).count()
    assert (kinds[0], kinds.count(("indicatorcategory", "create")),
            kinds.count(("indicator", "create")), kinds[-1]) == (
        ("cycle", "create"), 8, indicators, ("cyclestage", "create"))
    assert {(actor, scope) for _m, _a, actor, scope in written(since)} == {
        ("city", (cycle.pk, None, None))}
    assert changes(since, "cycle")[0] == {
        "year": ["None", "2025"], "policy_version": ["None", str(default_policy.pk)],
        "status": ["None", "draft"], "created_by": ["None", str(city_admin.pk)]}


def test_cycle_transition_is_a_status_change_of_the_cycle(city_admin, users, default_policy,
                                                         private_media):
    today = TODAY()
    cycle = cycle_create(year=2025, actor=city_admin, stage_dates={
        CycleStatus.SELF_EVALUATION: (today, today + dt.timedelta(days=30))})
    since = _last_pk()
    cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city_admin)
    invited = [("submission", "create", "city", (cycle.pk, s.district_id, s.institution_id))
               for s in cycle.submissions.order_by("pk")]
    # The move, the stage's opening, and the cohort's reports (written in bulk, still one
    # entry each, with their scope).
    assert written(since) == [("cycle", "status", "city", (cycle.pk, None, None)),
                              ("cyclestage", "update", "city", (cycle.pk, None, None)),
                              *invited]
    assert len(invited) == 2
    assert changes(since, "cycle") == [{"status": ["draft", "self_evaluation"]}]


def test_indicator_edits_are_recorded_field_by_field(city_admin, default_policy):
    cycle = cycle_create(year=2025, actor=city_admin)
    indicator = Indicator.objects.filter(category__cycle=cycle).prefetch_related("fields") \
        .order_by("category__order", "order").first()
    fields = list(indicator.fields.all())
    since = _last_pk()
    indicator_services.indicator_update(
        indicator=indicator, actor=city_admin, points=Decimal("4"),
        fields=[indicator_services.FieldChange(pk=f.pk, label=f.label, kind=f.kind,
                                               required=f.required, delete=(k == 1))
                for k, f in enumerate(fields)])
    assert written(since) == [
        ("indicator", "update", "city", (cycle.pk, None, None)),
        ("indicatorfield", "delete", "city", (cycle.pk, None, None))]
    assert changes(since, "indicator") == [{"points": ["3.00", "4"]}]
    since = _last_pk()
    indicator_services.indicator_delete(indicator=indicator, actor=city_admin)
    assert written(since) == [
        ("indicatorfield", "delete", "city", (cycle.pk, None, None)),
        ("indicator", "delete", "city", (cycle.pk, None, None))]


def test_stage_dates_are_recorded(city_admin, default_policy):
    cycle = cycle_create(year=2025, actor=city_admin)
    since = _last_pk()
    today = TODAY()
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.SELF_EVALUATION, opens_on=today,
                         closes_on=today + dt.timedelta(days=9), actor=city_admin)
    assert written(since) == [("cyclestage", "create", "city", (cycle.pk, None, None))]
    assert changes(since, "cyclestage") == [{
        "cycle": ["None", str(cycle.pk)], "stage": ["None", "self_evaluation"],
        "opens_on": ["None", str(today)],
        "closes_on": ["None", str(today + dt.timedelta(days=9))]}]


# --- Stage 1 -------------------------------------------------------------------------------

@pytest.fixture
def report(users, default_policy, private_media, institution):
    cycle = open_cycle(users["city_admin"])
    return cycle.submissions.select_related("cycle").get(institution=institution)


def _first_indicator(submission) -> Indicator:
    return Indicator.objects.filter(category__cycle=submission.cycle) \
        .prefetch_related("fields").order_by("category__order", "order").first()


def test_answer_is_recorded_and_starts_the_report(report, users, institution):
    scope = (report.cycle_id, institution.district_id, institution.pk)
    indicator = _first_indicator(report)
    since = _last_pk()
    response_save(submission=report, indicator=indicator, data=valid_data(indicator),
                  narrative="稳步推进", self_score="3", revision=0,
                  actor=users["institution_filer"])
    assert written(since) == [("indicatorresponse", "create", "filer", scope),
                              ("indicatorresponse", "update", "filer", scope),
                              ("submission", "status", "filer", scope)]
    created, updated = changes(since, "indicatorresponse")
    assert (created, updated.keys()) == (
        {"submission": ["None", str(report.pk)], "indicator": ["None", str(indicator.pk)],
         "data": ["None", "{}"], "narrative": ["None", ""]},
        {"data", "narrative", "self_score"})
    assert changes(since, "submission") == [{"status": ["not_started", "in_progress"]}]


def test_evidence_added_and_removed_is_recorded(report, users, institution):
    scope = (report.cycle_id, institution.district_id, institution.pk)
    filer = users["institution_filer"]
    indicator = _first_indicator(report)
    since = _last_pk()
    evidence = evidence_upload(submission=report, indicator=indicator,
                               upload=upload("人才名单.pdf", PDF), actor=filer)
    added = written(since)
    since = _last_pk()
    evidence_delete(evidence=evidence, actor=filer)
    assert (added[1:], written(since)) == (
        [("evidencefile", "create", "filer", scope), ("submission", "status", "filer", scope)],
        [("evidencefile", "delete", "filer", scope)])
    [deleted] = changes(since, "evidencefile")
    assert {name: deleted[name] for name in ("original_name", "kind", "size")} == {
        "original_name": ["人才名单.pdf", "None"], "kind": ["pdf", "None"],
        "size": [str(len(PDF)), "None"]}


def test_pledge_submission_withdrawal_and_resubmission_are_recorded(report, users,
                                                                    institution):
    scope = (report.cycle_id, institution.district_id, institution.pk)
    filer, admin = users["institution_filer"], users["institution_admin"]
    ready_to_submit(report, filer, admin)
    report.refresh_from_db()
    since = _last_pk()
    submission_submit(submission=report, actor=filer)
    submitted = written(since)
    since = _last_pk()
    submission_withdraw(submission=report, actor=filer)
    assert (submitted, written(since)) == (
        [("submissionversion", "create", "filer", scope),
         ("submission", "status", "filer", scope),
         ("submission", "update", "filer", scope)],
        [("submissionversion", "update", "filer", scope),
         ("submission", "status", "filer", scope),
         ("submission", "update", "filer", scope)])
    assert (changes(since, "submissionversion")[0].keys(), changes(since, "submission")[0]) == (
        {"withdrawn_at", "withdrawn_by"}, {"status": ["submitted", "in_progress"]})
    assert changes(since, "submission")[1].keys() == {"pledge_accepted_at",
                                                      "pledge_accepted_by"}


def test_report_generation_and_its_stamped_scan_are_recorded(report, users, institution):
    scope = (report.cycle_id, institution.district_id, institution.pk)
    filer, admin = users["institution_filer"], users["institution_admin"]
    fill(report, filer)
    submission_pledge(submission=report, actor=admin)
    report.refresh_from_db()
    since = _last_pk()
    generated = report_request(submission=report, actor=filer)
    generated.file.save("report.pdf", ContentFile(PDF), save=False)
    document_set_status(document=generated, to_status=ReportStatus.RUNNING)
    document_set_status(document=generated, to_status=ReportStatus.DONE, update_fields=("file",))
    report_scan_upload(report=generated, upload=upload("盖章扫描件.pdf"), actor=filer)
    assert written(since) == [("reportfile", "create", "filer", scope),
                              ("reportfile", "status", None, scope),
                              ("reportfile", "status", None, scope),
                              ("reportfile", "update", "filer", scope)]
    assert [c.get("status") for c in changes(since, "reportfile")[1:3]] == [
        ["pending", "running"], ["running", "done"]]


def test_pledge_is_recorded_with_the_administrator(report, users, institution):
    since = _last_pk()
    submission_pledge(submission=report, actor=users["institution_admin"])
    [(model, action, actor, _scope), *rest] = written(since)
    assert (model, action, actor, changes(since, "submission")[0]["pledge_accepted_by"]) == (
        "submission", "update", "instadmin", ["None", str(users["institution_admin"].pk)])


def test_extension_is_recorded_with_its_reason_and_the_new_deadline(report, users,
                                                                   institution):
    scope = (report.cycle_id, institution.district_id, institution.pk)
    new_deadline = report.deadline + dt.timedelta(days=7)
    since = _last_pk()
    extension_grant(submission=report, new_deadline=new_deadline, reason="疫情封控",
                    actor=users["city_admin"])
    assert written(since) == [("extension", "create", "city", scope),
                              ("submission", "update", "city", scope)]
    assert (changes(since, "extension")[0]["reason"], changes(since, "submission")) == (
        ["None", "疫情封控"], [{"deadline": [str(report.deadline), str(new_deadline)]}])


def test_closing_self_evaluation_records_non_participation_and_the_abandoned_filing(
        report, users, institution):
    cycle = report.cycle
    yesterday = TODAY() - dt.timedelta(days=1)
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.SELF_EVALUATION,
                         opens_on=yesterday - dt.timedelta(days=9), closes_on=yesterday,
                         actor=users["city_admin"])
    since = _last_pk()
    self_evaluation_close(cycle=cycle, actor=users["city_admin"])
    entries = written(since)
    mine = [e for e in entries if e[3][2] == institution.pk]
    assert mine == [
        ("submission", "status", "city", (cycle.pk, institution.district_id, institution.pk)),
        ("institution", "status", "city", (None, institution.district_id, institution.pk)),
        ("institutionstatuschange", "create", "city",
         (None, institution.district_id, institution.pk))]
    assert entries[-1] == ("cyclestage", "update", "city", (cycle.pk, None, None))


# --- Stage 2 -------------------------------------------------------------------------------

@pytest.fixture
def cycle2(users, default_policy, private_media, institution, sibling_institution,
           other_institution):
    return open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])


@pytest.fixture
def participant(cycle2, institution) -> Participant:
    return Participant.objects.select_related("cycle", "district_review", "institution") \
        .get(cycle=cycle2, institution=institution)


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


def test_claim_review_and_opinion_are_recorded(participant, reviewer, institution):
    scope = (participant.cycle_id, institution.district_id, institution.pk)
    indicator = Indicator.objects.filter(category__cycle_id=participant.cycle_id) \
        .select_related("category").order_by("category__order", "order").first()
    since = _last_pk()
    preliminary.claim_review_save(participant=participant, indicator=indicator,
                                  verdict=ClaimVerdict.NOT_SUPPORTED, score="",
                                  comment="无佐证材料", revision=0, actor=reviewer)
    preliminary.participant_comment_save(participant=participant, comment="总体规范",
                                         actor=reviewer)
    assert written(since) == [
        ("districtreview", "status", "gulou", (participant.cycle_id, institution.district_id,
                                               None)),
        ("claimreview", "create", "gulou", scope),
        ("participant", "update", "gulou", scope)]
    # A first verdict is one "created" entry holding its values.
    verdict = {name: values for name, values in changes(since, "claimreview")[0].items()
               if name in ("verdict", "comment")}
    assert (verdict, changes(since, "participant")) == (
        {"verdict": ["None", "not_supported"], "comment": ["None", "无佐证材料"]},
        [{"comment": ["", "总体规范"], "comment_by": ["None", str(reviewer.pk)]}])


def test_ranking_summary_submission_and_the_city_decisions_are_recorded(
        cycle2, users, reviewer, gulou):
    review = district_review(cycle2, gulou)
    participants = scored(review, [90, 80])
    district = (cycle2.pk, gulou.pk, None)
    since = _last_pk()
    preliminary.district_ranking_save(
        district_review=review, order=[p.pk for p in participants], reasons={},
        tie_confirmed=set(), revision=review.revision, actor=reviewer)
    summary = render_done(preliminary.summary_request(district_review=review, actor=reviewer))
    preliminary.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    preliminary.district_review_submit(district_review=review, actor=reviewer)
    preliminary.district_review_return(district_review=review, reason="排名理由不充分",
                                       actor=users["city_admin"])
    assert written(since) == [
        ("districtreview", "status", "gulou", district),
        ("rankingrevision", "create", "gulou", district),
        ("districtsummaryfile", "create", "gulou", district),
        ("districtsummaryfile", "status", None, district),  # rendered by the task
        ("districtsummaryfile", "update", "gulou", district),
        ("districtreview", "update", "gulou", district),
        ("districtreview", "status", "gulou", district),
        ("districtreview", "status", "city", district),
        ("districtreview", "update", "city", district)]
    ranking = changes(since, "rankingrevision")[0]
    assert (ranking["number"], ranking["order"]) == (
        ["None", "1"], ["None", str([p.pk for p in participants])])
    assert changes(since, "districtreview")[-2:] == [
        {"status": ["submitted", "returned"]},
        {"return_reason": ["", "排名理由不充分"], "decided_by": ["None",
                                                         str(users["city_admin"].pk)],
         "decided_at": changes(since, "districtreview")[-1]["decided_at"]}]


def test_site_visit_notice_answer_and_decision_are_recorded(participant, reviewer, users,
                                                            institution):
    scope = (participant.cycle_id, institution.district_id, institution.pk)
    filer = users["institution_filer"]
    since = _last_pk()
    findings.site_visit_record(participant=participant, visited_on=TODAY(),
                               visitors="张三、李四", findings="场地与申报一致",
                               uploads=[upload("现场.png", PNG)], actor=reviewer)
    notice = findings.rectification_issue(participant=participant, problems="补充凭证",
                                          deadline=TODAY() + dt.timedelta(days=7),
                                          actor=reviewer)
    answer = findings.rectification_answer(rectification=notice, text="已补充",
                                           uploads=[upload("凭证.pdf")], actor=filer)
    findings.rectification_decide(answer=answer, accepted=True, comment="", actor=reviewer)
    assert written(since) == [
        # The district's first change puts its review in review.
        ("districtreview", "status", "gulou", (participant.cycle_id, institution.district_id,
                                               None)),
        ("sitevisit", "create", "gulou", scope),
        ("sitevisitfile", "create", "gulou", scope),
        ("rectification", "create", "gulou", scope),
        ("rectificationanswer", "create", "filer", scope),
        ("rectificationfile", "create", "filer", scope),
        ("rectification", "status", "filer", scope),
        ("rectificationanswer", "update", "gulou", scope),
        ("rectification", "status", "gulou", scope)]
    assert [c["status"] for c in changes(since, "rectification")[1:]] == [
        ["open", "answered"], ["answered", "closed"]]


def test_fraud_report_and_its_confirmation_are_recorded_with_the_credit_record(
        participant, reviewer, users, institution):
    scope = (participant.cycle_id, institution.district_id, institution.pk)
    since = _last_pk()
    report = findings.fraud_report_file(participant=participant, kind=FraudKind.FABRICATED,
                                        description="虚构合作协议",
                                        uploads=[upload("协议.pdf")], actor=reviewer)
    findings.fraud_report_decide(report=report, confirm=True, reason="经核实属实",
                                 person_name="王五", person_role="法定代表人",
                                 actor=users["city_admin"])
    assert written(since) == [
        ("fraudreport", "create", "gulou", scope),
        ("fraudevidencefile", "create", "gulou", scope),
        ("fraudreport", "status", "city", scope),
        ("fraudreport", "update", "city", scope),
        ("participant", "update", "city", scope),
        ("creditrecord", "create", "city", scope)]
    assert changes(since, "fraudreport")[1]["status"] == ["reported", "confirmed"]


def test_closing_the_preliminary_review_is_recorded(cycle2, users, reviewer, gulou, yunlong):
    city = users["city_admin"]
    for district, who in ((gulou, reviewer), (yunlong, users["district_reviewer_other"])):
        review = district_review(cycle2, district)
        participants = scored(review, [90 - k for k in range(review.participants.count())])
        preliminary.district_ranking_save(
            district_review=review, order=[p.pk for p in participants], reasons={},
            tie_confirmed=set(), revision=review.revision, actor=who)
        preliminary.summary_scan_upload(summary=generated_summary(review, who),
                                        upload=upload("盖章.pdf"), actor=who)
        preliminary.district_review_submit(district_review=review, actor=who)
        preliminary.district_review_accept(district_review=review, actor=city)
    since = _last_pk()
    preliminary.preliminary_review_close(cycle=cycle2, actor=city)
    assert written(since) == [("cyclestage", "update", "city", (cycle2.pk, None, None))]
    assert changes(since, "cyclestage")[0]["closed_by"] == ["None", str(city.pk)]


# --- Logins, failed logins, lockouts -------------------------------------------------------

def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_is_recorded_with_the_account_and_its_address(client, users, institution):
    filer = users["institution_filer"]
    since = _last_pk()
    assert _login(client, "filer", PASSWORD).status_code == 302
    [entry] = LogEntry.objects.filter(pk__gt=since)
    assert written(since) == [("user", "login", "filer",
                               (None, institution.district_id, institution.pk))]
    assert (entry.object_id, entry.remote_addr, entry.additional_data) == (
        filer.pk, "127.0.0.1", {"event": "login", "username": "filer"})


def test_failed_login_names_the_account_tried_and_nobody_as_actor(client, users, gulou):
    since = _last_pk()
    assert _login(client, "gulou", "wrong-password-1").status_code == 200
    assert _login(client, "nobody", "wrong-password-1").status_code == 200
    assert written(since) == [("user", "login_failed", None, (None, gulou.pk, None)),
                              ("user", "login_failed", None, (None, None, None))]
    assert [(e.object_repr, e.additional_data) for e in LogEntry.objects.filter(
        pk__gt=since).order_by("pk")] == [
        ("gulou", {"event": "login_failed", "username": "gulou"}),
        ("nobody", {"event": "login_failed", "username": "nobody"})]


def test_lockout_is_recorded_once_and_later_attempts_as_refused(client, users, settings):
    settings.AXES_FAILURE_LIMIT = 3
    since = _last_pk()
    for _attempt in range(4):
        _login(client, "city", "wrong-password-1")
    assert [(action, actor) for _m, action, actor, _s in written(since)] == [
        ("login_failed", None), ("login_failed", None), ("locked_out", None),
        ("login_failed", None)]
    entries = list(LogEntry.objects.filter(pk__gt=since).order_by("pk"))
    assert (entries[2].additional_data, entries[3].additional_data) == (
        {"event": "locked_out", "username": "city", "failures": 3},
        {"event": "login_failed", "username": "city", "locked": True})


def test_force_login_of_the_test_client_writes_no_entry(client_for, users):
    since = _last_pk()
    client_for(users["city_admin"])
    assert written(since) == []
