"""Simultaneous requests on the same object (issue 9 §3), on whichever database the suite
runs (SQLite by default, PostgreSQL with ``DATABASE_URL``): two logged-in clients post at
the same moment, each from its own thread with its own database connection, and exactly one
of them takes effect; the other is told why (409 for a save made from an older page, the
first one's object for a create posted twice, a refusal otherwise), never a server error and
never "database is locked".

To make the two requests really overlap, each thread's connection holds its transaction for
a moment after its first statement (``race``): without IMMEDIATE transactions on SQLite both
would read, then both try to write, and one would fail with "database is locked".

SQLite's in-memory test database is one shared-cache connection set, which does not lock like
a file: this module copies it into a file for its own tests (``file_database``).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import DistrictReviewStatus, FraudKind, FraudStatus, SubmissionStatus
from evaluations.models import (
    ClaimReview,
    CreditRecord,
    DistrictReview,
    FraudReport,
    Indicator,
    Participant,
    RankingRevision,
    Rectification,
    SiteVisit,
    SubmissionVersion,
)
from evaluations.services.findings import fraud_report_file
from evaluations.services.preliminary import district_review_submit, summary_scan_upload
from institutions.enums import Role
from institutions.models import Notification
from tests.evaluations.preliminary_setup import open_preliminary_review, rank_by_score
from tests.evaluations.ranking_setup import generated_summary, ranking_data, scored
from tests.evaluations.self_evaluation_setup import open_cycle, ready_to_submit, upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# How long each request holds its transaction after its first statement: long enough for the
# other thread to reach the same point, short enough for the whole module to take seconds.
HOLD = 0.4
# No test may hang: a thread that is not done by then fails the test.
DEADLINE = 60


@pytest.fixture(scope="module", autouse=True)
def file_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """On SQLite, run this module on a file copy of the test database (WAL and IMMEDIATE
    transactions as the settings ask), so that each thread's connection locks as in
    production; the in-memory database is kept aside, untouched, for the other modules."""
    if connection.vendor != "sqlite":
        yield
        return
    with django_db_blocker.unblock():
        connection.ensure_connection()
        path = tmp_path_factory.mktemp("race") / "race.sqlite3"
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        in_memory, name = connection.connection, connection.settings_dict["NAME"]
        # Every thread's connection reads the same settings dictionary.
        connection.connection, connection.settings_dict["NAME"] = None, str(path)
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"], connection.connection = name, in_memory


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def race(*calls: Callable[[], object]) -> list:
    """Run ``calls`` at the same moment, each in its own thread and database connection, and
    return what each returned (or raised). Each connection holds its first transaction for
    ``HOLD`` seconds after its first statement, so that the others arrive while it is open."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(k: int, call: Callable[[], object]) -> None:
        own = connections["default"]
        held = []

        def hold(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if own.in_atomic_block and not held:
                held.append(sql)
                time.sleep(HOLD)
            return result

        try:
            with own.execute_wrapper(hold):
                barrier.wait(timeout=DEADLINE)
                results[k] = call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[k] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(k, call), daemon=True)
               for k, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE)
    assert not any(thread.is_alive() for thread in threads), "a request did not finish"
    for result in results:
        if isinstance(result, BaseException):
            raise AssertionError(f"a request failed: {result!r}") from result
    for result in results:
        assert result.status_code < 500, result.content.decode()[:500]
    return results


def logged_in(user) -> Client:
    # A server error is a response here (as the user sees it), not an exception in the test.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def post(client: Client, url: str, data: dict | None = None, **extra) -> Callable:
    return lambda: client.post(url, data or {}, **extra)


def statuses(responses) -> list[int]:
    return sorted(r.status_code for r in responses)


# --- Set-up -----------------------------------------------------------------------------------

@pytest.fixture
def cycle(users, default_policy, institution, sibling_institution):
    return open_preliminary_review(users["city_admin"],
                                   submitted=[institution, sibling_institution])


@pytest.fixture
def review(cycle, gulou) -> DistrictReview:
    return DistrictReview.objects.select_related("cycle", "district").get(cycle=cycle,
                                                                           district=gulou)


@pytest.fixture
def participant(cycle, institution) -> Participant:
    return Participant.objects.get(cycle=cycle, institution=institution)


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


@pytest.fixture
def colleague(gulou):
    return UserFactory(username="gulou2", role=Role.DISTRICT_REVIEWER, district=gulou)


def submitted_review(review: DistrictReview, reviewer) -> DistrictReview:
    scored(review, [90, 80])
    rank_by_score(review, reviewer)
    summary = generated_summary(review, reviewer)
    summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    return district_review_submit(district_review=review, actor=reviewer)


# --- Saves from the same page: one is saved, the other answers 409 ----------------------------

def test_claim_saved_by_two_reviewers_at_once_saves_one_and_answers_409(
        participant, reviewer, colleague):
    indicator = Indicator.objects.filter(category__cycle=participant.cycle).order_by(
        "category__order", "order").first()
    url = reverse("evaluations:claim_save", args=[participant.pk, indicator.pk])
    prefix = f"claim-{indicator.pk}"
    responses = race(*(
        post(logged_in(user), url, {f"{prefix}-verdict": "supported",
                                    f"{prefix}-score": score, f"{prefix}-comment": "",
                                    f"{prefix}-revision": 0}, HTTP_HX_REQUEST="true")
        for user, score in ((reviewer, "1"), (colleague, "2"))))
    assert statuses(responses) == [200, 409]
    claim = ClaimReview.objects.get(participant=participant, indicator=indicator)
    saved = next(r for r in responses if r.status_code == 200)
    assert (claim.revision, claim.updated_by) == (1, saved.wsgi_request.user)


def test_ranking_saved_by_two_reviewers_at_once_saves_one_and_answers_409(
        review, reviewer, colleague):
    ps = scored(review, [90, 80])
    orders = ([ps[0].pk, ps[1].pk], [ps[1].pk, ps[0].pk])
    url = reverse("evaluations:ranking", args=[review.pk])
    responses = race(*(post(logged_in(user), url, ranking_data(
        order, revision=0, reasons={ps[1].pk: "现场考察成果显著"} if order[0] == ps[1].pk
        else None, ties=order)) for user, order in zip((reviewer, colleague), orders,
                                                        strict=True)))
    assert statuses(responses) == [302, 409]
    assert RankingRevision.objects.filter(district_review=review).count() == 1
    assert DistrictReview.objects.get(pk=review.pk).revision == 1


# --- One-time actions: one takes effect, the other is refused ---------------------------------

def test_report_submitted_twice_at_once_makes_one_version(users, default_policy,
                                                          institution):
    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=institution)
    ready_to_submit(submission, users["institution_filer"], users["institution_admin"])
    url = reverse("evaluations:submission_submit", args=[submission.pk])
    detail = reverse("evaluations:submission_detail", args=[submission.pk])
    responses = race(post(logged_in(users["institution_filer"]), url),
                     post(logged_in(users["institution_admin"]), url))
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, detail)] * 2
    assert SubmissionVersion.objects.filter(submission=submission).count() == 1
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


def test_fraud_confirmed_twice_at_once_makes_one_credit_record(participant, reviewer,
                                                               users):
    report = fraud_report_file(participant=participant, kind=FraudKind.OVERSTATED,
                               description="研发费用虚报", uploads=[upload("审计底稿.pdf")],
                               actor=reviewer)
    second_admin = UserFactory(username="city2", role=Role.CITY_ADMIN)
    url = reverse("evaluations:fraud_decide", args=[report.pk])
    data = {"decision": "confirm", "reason": "审计证据确凿", "person_name": "张三",
            "person_role": "法定代表人", "irreversible": "on"}
    responses = race(post(logged_in(users["city_admin"]), url, data),
                     post(logged_in(second_admin), url, data))
    assert statuses(responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert "This fraud report has already been decided." in refused.content.decode()
    assert 'data-testid="credit-record"' in refused.content.decode()
    assert CreditRecord.objects.count() == 1
    assert FraudReport.objects.get(pk=report.pk).status == FraudStatus.CONFIRMED


def test_district_summary_accepted_and_returned_at_once_takes_one_decision(
        review, reviewer, users):
    submitted_review(review, reviewer)
    second_admin = UserFactory(username="city2", role=Role.CITY_ADMIN)
    accept = reverse("evaluations:district_review_accept", args=[review.pk])
    send_back = reverse("evaluations:district_review_return", args=[review.pk])
    before = Notification.objects.filter(user=reviewer).count()
    responses = race(post(logged_in(users["city_admin"]), accept, {"confirm": "on"}),
                     post(logged_in(second_admin), send_back, {"reason": "排序理由不充分"}))
    assert statuses(responses) == [302, 409]
    decided = DistrictReview.objects.get(pk=review.pk)
    accepted = responses[0].status_code == 302
    assert decided.status == (DistrictReviewStatus.ACCEPTED if accepted
                              else DistrictReviewStatus.RETURNED)
    # One decision, one notification to the district.
    assert Notification.objects.filter(user=reviewer).count() == before + 1


# --- Creates posted twice at once (a double click): one object, both answered with it ---------

def test_rectification_posted_twice_at_once_issues_one_notice(participant, reviewer):
    client = logged_in(reviewer)
    url = reverse("evaluations:rectification_create", args=[participant.pk])
    data = {"problems": "补充2023年审计报告", "form_token": "double-click-1",
            "deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat()}
    responses = race(post(client, url, data), post(client, url, data))
    assert statuses(responses) == [302, 302]
    notice = Rectification.objects.get()
    assert Notification.objects.filter(
        url=reverse("evaluations:rectification_detail", args=[notice.pk])).count() == \
        participant.institution.users.filter(is_active=True).count()


def test_site_visit_posted_twice_at_once_records_one_visit(participant, reviewer):
    client = logged_in(reviewer)
    url = reverse("evaluations:site_visit_create", args=[participant.pk])
    data = {"visited_on": timezone.localdate().isoformat(), "visitors": "张三、李四",
            "findings": "场地与申报一致", "form_token": "double-click-2"}
    responses = race(post(client, url, data), post(client, url, data))
    assert statuses(responses) == [302, 302]
    assert SiteVisit.objects.filter(participant=participant).count() == 1


# --- Creates with a uniqueness rule (a year, a date, a credit code, a user name) --------------

@pytest.fixture
def two_city_admins(users):
    return logged_in(users["city_admin"]), logged_in(UserFactory(username="city2",
                                                                 role=Role.CITY_ADMIN))


def one_made_one_told(responses, field: str) -> None:
    """One post made the row (a redirect to it); the other shows its form again with an
    error on ``field``, the value that is now taken."""
    assert statuses(responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200)
    assert list(refused.context["form"].errors) == [field]


def test_cycle_created_twice_at_once_makes_one_cycle(two_city_admins, default_policy):
    from evaluations.models import Cycle

    url = reverse("evaluations:cycle_create")
    responses = race(*(post(client, url, {"year": 2031}) for client in two_city_admins))
    one_made_one_told(responses, "__all__")
    assert Cycle.objects.filter(year=2031).count() == 1


def test_policy_version_created_twice_at_once_makes_one_version(two_city_admins,
                                                                default_policy, policy_data):
    from evaluations.models import PolicyVersion

    url = reverse("evaluations:policy_create")
    responses = race(*(post(client, url, policy_data()) for client in two_city_admins))
    one_made_one_told(responses, "effective_date")
    assert PolicyVersion.objects.filter(effective_date=dt.date(2026, 7, 1)).count() == 1


def test_institution_registered_twice_at_once_makes_one_institution(two_city_admins,
                                                                    institution_data):
    from institutions.models import Institution
    from tests.conftest import VALID_CODE

    url = reverse("institutions:create")
    responses = race(*(post(client, url, institution_data()) for client in two_city_admins))
    one_made_one_told(responses, "credit_code")
    assert Institution.objects.filter(credit_code=VALID_CODE).count() == 1


def test_account_created_twice_at_once_makes_one_account(two_city_admins, gulou):
    from institutions.models import User

    url = reverse("institutions:account_create")
    data = {"username": "gulou_wang", "full_name": "王审核", "email": "wang@example.cn",
            "phone": "", "role": Role.DISTRICT_REVIEWER, "district": gulou.pk,
            "institution": ""}
    responses = race(*(post(client, url, data) for client in two_city_admins))
    one_made_one_told(responses, "username")
    assert User.objects.filter(username="gulou_wang").count() == 1


def test_administrators_created_in_bulk_twice_at_once_makes_each_account_once(
        two_city_admins, users, default_policy, institution, other_institution):
    from institutions.models import User
    from institutions.services.accounts import admin_username

    cycle = open_cycle(users["city_admin"])
    institution.users.filter(role=Role.INSTITUTION_ADMIN).delete()
    url = reverse("institutions:account_bulk_create")
    responses = race(*(post(client, url, {"cycle": cycle.pk, "confirm": "on"})
                       for client in two_city_admins))
    assert statuses(responses) == [302, 302]
    assert User.objects.filter(username=admin_username(institution)).count() == 1
    assert User.objects.filter(role=Role.INSTITUTION_ADMIN,
                               institution=institution).count() == 1


def test_fraud_report_posted_twice_at_once_files_one_report(participant, reviewer):
    client = logged_in(reviewer)
    url = reverse("evaluations:fraud_report_create", args=[participant.pk])
    responses = race(*(post(client, url, {
        "kind": FraudKind.OVERSTATED, "description": "研发费用虚报", "confirm": "on",
        "files": [upload("审计底稿.pdf")], "form_token": "double-click-3"}) for _ in range(2)))
    report = FraudReport.objects.get()
    detail = reverse("evaluations:fraud_detail", args=[report.pk])
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, detail)] * 2
    assert report.files.count() == 1


def test_report_pdf_requested_twice_at_once_queues_one(users, default_policy, institution):
    from evaluations.models import ReportFile
    from evaluations.services.self_evaluation import submission_pledge
    from tests.evaluations.self_evaluation_setup import fill

    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=institution)
    fill(submission, users["institution_filer"])
    submission_pledge(submission=submission, actor=users["institution_admin"])
    client = logged_in(users["institution_filer"])
    url = reverse("evaluations:report_request", args=[submission.pk])
    responses = race(*(post(client, url, {"form_token": "double-click-4"}) for _ in range(2)))
    assert statuses(responses) == [302, 302]
    assert ReportFile.objects.filter(submission=submission).count() == 1


def test_summary_pdf_requested_twice_at_once_queues_one(review, reviewer):
    from evaluations.models import DistrictSummaryFile

    scored(review, [90, 80])
    rank_by_score(review, reviewer)
    client = logged_in(reviewer)
    url = reverse("evaluations:district_summary_request", args=[review.pk])
    responses = race(*(post(client, url, {"form_token": "double-click-5"}) for _ in range(2)))
    assert statuses(responses) == [302, 302]
    assert DistrictSummaryFile.objects.filter(district_review=review).count() == 1


def test_district_summary_submitted_twice_at_once_submits_once(review, reviewer, colleague,
                                                               users):
    from django.contrib.messages import get_messages

    scored(review, [90, 80])
    rank_by_score(review, reviewer)
    summary = generated_summary(review, reviewer)
    summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    url = reverse("evaluations:district_review_submit", args=[review.pk])
    summary_page = reverse("evaluations:district_summary", args=[review.pk])
    responses = race(*(post(logged_in(user), url, {"confirm": "on"})
                       for user in (reviewer, colleague)))
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, summary_page)] * 2
    # The later click is told the summary is in, not shown an error.
    assert sorted(m.level_tag for r in responses for m in get_messages(r.wsgi_request)) == [
        "info", "success"]
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.SUBMITTED
    assert Notification.objects.filter(user=users["city_admin"], url=reverse(
        "evaluations:district_review_detail", args=[review.pk])).count() == 1
