"""The outbox (issue 9 §1): side effects written with the action, handed to the broker after
the commit and again with backoff, once per deduplication key; e-mails sent once however
often their task runs; PDFs left behind queued again, and a summary numbered only when it is
made. The broker outage end to end is ``test_outbox_broker``."""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone, translation

from config.celery_app import TRANSIENT_ERRORS
from evaluations import tasks as evaluation_tasks
from evaluations.enums import ReportStatus
from evaluations.models import DistrictSummaryFile, ReportFile
from evaluations.selectors.preliminary import district_summary
from evaluations.services import document_queue, preliminary
from evaluations.services import summary_pdf as summary_service
from institutions import tasks as institution_tasks
from institutions.enums import OutboxStatus
from institutions.models import Notification, OutboxMessage
from institutions.notifications import EMAIL_TASK, notification_emails_send, notify
from institutions.services import outbox
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)
from tests.outbox_setup import celery_broker, free_port

REPORT_TASK = "evaluations.tasks.render_self_evaluation_report"


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def dead_broker():
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0") as app:
        yield app


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _row(key: str = "demo:1", **fields) -> OutboxMessage:
    values = {"kind": EMAIL_TASK, "payload": {"notification_ids": []}, "dedupe_key": key}
    values.update(fields)
    return OutboxMessage.objects.create(**values)


def _seconds(delta: dt.timedelta) -> float:
    return delta.total_seconds()


# --- Backoff and deduplication ---------------------------------------------------------------

def test_retry_delay_doubles_from_thirty_seconds_up_to_fifteen_minutes():
    assert [_seconds(outbox.retry_delay(n)) for n in range(0, 9)] == [
        0, 30, 60, 120, 240, 480, 900, 900, 900]
    assert outbox.retry_delay(outbox.MAX_ATTEMPTS) == dt.timedelta(minutes=15)


def test_outbox_enqueue_the_same_key_twice_makes_one_row(db):
    first = outbox.outbox_enqueue(task=EMAIL_TASK, payload={"notification_ids": [1]},
                                  dedupe_key="notification-emails:1")
    again = outbox.outbox_enqueue(task=EMAIL_TASK, payload={"notification_ids": [1]},
                                  dedupe_key="notification-emails:1")
    assert (again.pk, OutboxMessage.objects.count()) == (first.pk, 1)


def test_outbox_row_is_written_with_the_action_and_rolled_back_with_it(users):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(users=[users["city_admin"]], subject="回滚")
        raise RuntimeError("the action failed")
    assert (Notification.objects.count(), OutboxMessage.objects.count()) == (0, 0)


# --- Delivery --------------------------------------------------------------------------------

def test_outbox_hands_over_after_the_commit_and_marks_the_row_sent(
        users, django_capture_on_commit_callbacks):
    """Without a broker (the embedded set-up) the task runs in-process."""
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[users["city_admin"]], subject="已提交")
    row = OutboxMessage.objects.get()
    assert (row.kind, row.status, row.attempts, row.last_error, row.sent_at is not None) == (
        EMAIL_TASK, OutboxStatus.SENT, 1, "", True)
    assert [m.to for m in mail.outbox] == [["city@example.cn"]]


def test_outbox_with_the_broker_down_keeps_the_row_pending_with_its_error(
        users, dead_broker, django_capture_on_commit_callbacks):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[users["city_admin"]], subject="已提交")  # must not raise
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.sent_at, mail.outbox) == (
        OutboxStatus.PENDING, 1, None, [])
    assert row.last_error.startswith("OperationalError:") and "127.0.0.1" in row.last_error
    # Tried again 30 s later, not before.
    assert before + dt.timedelta(seconds=30) <= row.next_attempt_at \
        <= timezone.now() + dt.timedelta(seconds=30)
    assert outbox.outbox_deliver() == outbox.DeliveryResult(sent=0, failed=0)


def test_outbox_retries_each_time_later_and_gives_up_after_max_attempts(db, dead_broker):
    row = _row(attempts=3)
    assert outbox.outbox_deliver() == outbox.DeliveryResult(sent=0, failed=1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 4)
    wait = row.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=230) < wait <= dt.timedelta(seconds=240)  # 4th failure: 4 min

    OutboxMessage.objects.filter(pk=row.pk).update(attempts=outbox.MAX_ATTEMPTS - 1,
                                                   next_attempt_at=timezone.now())
    outbox.outbox_deliver()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, outbox.MAX_ATTEMPTS)


def test_outbox_stops_at_the_first_broker_that_cannot_be_reached(db, dead_broker):
    rows = [_row(f"demo:{n}") for n in range(3)]
    assert outbox.outbox_deliver() == outbox.DeliveryResult(sent=0, failed=1)
    assert [OutboxMessage.objects.get(pk=r.pk).attempts for r in rows] == [1, 0, 0]


@pytest.fixture
def hung_broker():
    """A Redis that accepts connections and never answers."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []

    def accept():
        with contextlib.suppress(OSError):
            while True:
                held.append(server.accept()[0])

    listener = threading.Thread(target=accept, daemon=True)
    listener.start()
    with celery_broker(f"redis://127.0.0.1:{server.getsockname()[1]}/0") as app:
        yield app
    # Closing the socket does not wake a thread blocked in accept(); shutting it down does,
    # and the thread is joined so that it does not outlive the test (a PDF test that forks
    # needs the process to have one thread).
    with contextlib.suppress(OSError):
        server.shutdown(socket.SHUT_RDWR)
    server.close()
    listener.join(timeout=5)
    for connection in held:
        connection.close()


def test_outbox_with_a_hung_broker_waits_one_short_timeout(db, hung_broker):
    rows = [_row(f"demo:{n}") for n in range(3)]
    started = time.monotonic()
    assert outbox.outbox_deliver() == outbox.DeliveryResult(sent=0, failed=1)
    assert time.monotonic() - started < 3  # one socket timeout (2 s), not one per row
    assert [OutboxMessage.objects.get(pk=r.pk).attempts for r in rows] == [1, 0, 0]


def test_outbox_leaves_rows_not_due_yet(db):
    """Rows waiting for their retry, and rows another delivery holds (it moved their next
    attempt forward while it hands them over)."""
    later = _row("demo:later", next_attempt_at=timezone.now() + dt.timedelta(minutes=1))
    assert outbox.outbox_deliver() == outbox.DeliveryResult()
    later.refresh_from_db()
    assert (later.status, later.attempts) == (OutboxStatus.PENDING, 0)


def test_outbox_after_commit_never_raises_whatever_fails(db):
    row = _row(kind="evaluations.tasks.no_such_task")
    assert outbox.outbox_deliver_after_commit(ids=[row.pk]) == outbox.DeliveryResult(
        sent=0, failed=1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "no_such_task" in row.last_error


def test_outbox_beat_task_delivers_the_due_rows(users, dead_broker,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[users["city_admin"]], subject="迟到的邮件")
    OutboxMessage.objects.update(next_attempt_at=timezone.now())  # its retry is due
    dead_broker.conf.task_always_eager = True  # the broker is back (in-process)
    assert institution_tasks.outbox_deliver_due() == 1
    assert ([m.subject for m in mail.outbox], OutboxMessage.objects.get().status) == (
        ["迟到的邮件"], OutboxStatus.SENT)


# --- E-mails: once ---------------------------------------------------------------------------

def test_notification_emails_sent_twice_are_sent_once(users):
    with transaction.atomic():
        notify(users=[users["city_admin"], users["district_reviewer"]], subject="一次")
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert notification_emails_send(notification_ids=ids) == 2
    assert notification_emails_send(notification_ids=ids) == 0
    assert institution_tasks.send_notification_emails.apply(
        kwargs={"notification_ids": ids}).get() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["city@example.cn", "gulou@example.cn"]


class RedeliveringBackend(BaseEmailBackend):
    """A mail server slow enough for the same task to be delivered again (to another worker)
    while it sends: the second delivery runs during the first one's send."""

    sent: list = []

    def send_messages(self, messages):
        type(self).sent.extend(messages)
        if len(type(self).sent) == 1:
            notification_emails_send(notification_ids=list(
                Notification.objects.values_list("pk", flat=True)))
        return len(messages)


def test_notification_email_delivered_again_while_it_is_sent_goes_out_once(users, settings):
    notify(users=[users["city_admin"]], subject="只发一次")
    settings.EMAIL_BACKEND = "tests.test_outbox.RedeliveringBackend"
    RedeliveringBackend.sent = []
    assert notification_emails_send(notification_ids=list(
        Notification.objects.values_list("pk", flat=True))) == 1
    assert [m.subject for m in RedeliveringBackend.sent] == ["只发一次"]


def test_notification_email_that_fails_is_not_marked_and_goes_out_on_the_retry(users,
                                                                               settings):
    notify(users=[users["city_admin"]], subject="重试")
    note = Notification.objects.get()
    settings.EMAIL_BACKEND = "tests.test_outbox.RefusingBackend"
    with pytest.raises(ConnectionRefusedError):
        notification_emails_send(notification_ids=[note.pk])
    note.refresh_from_db()
    assert note.emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_emails_send(notification_ids=[note.pk]) == 1
    assert [m.subject for m in mail.outbox] == ["重试"]


def test_side_effect_tasks_are_acknowledged_late_and_retried_on_transient_errors():
    tasks = [institution_tasks.send_notification_emails, institution_tasks.outbox_deliver_due,
             evaluation_tasks.render_self_evaluation_report,
             evaluation_tasks.render_district_summary, evaluation_tasks.requeue_stale_documents]
    assert [(t.acks_late, t.reject_on_worker_lost, t.autoretry_for, bool(t.retry_backoff))
            for t in tasks] == [(True, True, TRANSIENT_ERRORS, True)] * len(tasks)


# --- PDFs left behind ------------------------------------------------------------------------

@pytest.fixture
def review(users, default_policy, private_media, gulou, institution, sibling_institution):
    """Gulou with four participants, scored and ranked: its summary may be requested."""
    members = [institution, sibling_institution, *add_institutions(gulou, 2)]
    cycle = open_preliminary_review(users["city_admin"], submitted=members)
    review = district_review(cycle, gulou)
    for k, participant in enumerate(review.participants.order_by("institution__name")):
        score_directly(participant, 90 - 5 * k)
    rank_by_score(review, users["district_reviewer"])
    return district_review(cycle, gulou)


def _summary(review, users, minutes_ago: int, status=ReportStatus.PENDING):
    summary = DistrictSummaryFile.objects.create(
        district_review=review, digest=district_summary(review).digest(), status=status,
        requested_by=users["district_reviewer"])
    then = timezone.now() - dt.timedelta(minutes=minutes_ago)
    DistrictSummaryFile.objects.filter(pk=summary.pk).update(requested_at=then)
    with transaction.atomic():
        document_queue.document_render_queue(document=summary)
    OutboxMessage.objects.filter(pk__in=[row.pk for row in _rows(summary)]).update(
        status=OutboxStatus.SENT, created_at=then, sent_at=then)
    summary.refresh_from_db()
    return summary


def _rows(document) -> list[OutboxMessage]:
    task = document_queue.RENDER_TASKS[type(document)][0]
    return [row for row in OutboxMessage.objects.filter(kind=task)
            if row.payload == {"summary_id" if task.endswith("summary") else "report_id":
                               document.pk}]


def _keys(document) -> list[str]:
    return sorted(row.dedupe_key for row in _rows(document))


def test_stale_queued_pdf_is_queued_again_once(review, users):
    stale = _summary(review, users, minutes_ago=6)
    fresh = _summary(review, users, minutes_ago=2)
    running = _summary(review, users, minutes_ago=10, status=ReportStatus.RUNNING)
    assert document_queue.documents_requeue_stale() == 1
    task = "evaluations.tasks.render_district_summary"
    assert (_keys(stale), _keys(fresh), _keys(running)) == (
        [f"{task}:{stale.pk}", f"{task}:{stale.pk}:again:1"], [f"{task}:{fresh.pk}"],
        [f"{task}:{running.pk}"])
    # Just queued again: not again until it is stale once more, nor while the broker is down.
    assert document_queue.documents_requeue_stale() == 0


def test_stale_job_waiting_in_the_outbox_is_left_to_it(review, users):
    stale = _summary(review, users, minutes_ago=20, status=ReportStatus.RUNNING)
    OutboxMessage.objects.update(status=OutboxStatus.PENDING)  # the broker is down
    assert document_queue.documents_requeue_stale() == 0
    assert len(_keys(stale)) == 1


def test_pdf_never_made_after_a_few_tries_fails_and_gives_its_number_back(review, users):
    stale = _summary(review, users, minutes_ago=30, status=ReportStatus.RUNNING)
    DistrictSummaryFile.objects.filter(pk=stale.pk).update(document_number="鼓楼区初评〔2025〕1号")
    later = timezone.now()
    for attempt in range(document_queue.MAX_REQUEUES):
        later += dt.timedelta(minutes=16)
        assert document_queue.documents_requeue_stale(now=later) == 1, attempt
        OutboxMessage.objects.update(status=OutboxStatus.SENT, sent_at=later)
    assert document_queue.documents_requeue_stale(now=later + dt.timedelta(minutes=16)) == 0
    stale.refresh_from_db()
    with translation.override(settings.LANGUAGE_CODE):
        error = translation.gettext("The PDF was not generated after several tries.")
    assert (stale.status, stale.document_number, stale.error) == (
        ReportStatus.FAILED, "", error)


def test_a_report_pdf_stuck_in_the_queue_is_queued_again(users, default_policy, private_media):
    from tests.evaluations.self_evaluation_setup import open_cycle

    cycle = open_cycle(users["city_admin"])
    submission = cycle.submissions.get(institution=users["institution_filer"].institution)
    report = ReportFile.objects.create(submission=submission, digest="x",
                                       requested_by=users["institution_filer"])
    ReportFile.objects.filter(pk=report.pk).update(
        requested_at=timezone.now() - dt.timedelta(minutes=6))
    assert document_queue.documents_requeue_stale() == 1
    assert _keys(report) == [f"{REPORT_TASK}:{report.pk}:again:0"]


# --- The summary's number --------------------------------------------------------------------

def _number(review, sequence: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # the PDF's language
        return preliminary.summary_document_number(review, sequence)


def test_summary_request_takes_no_number_and_the_render_gives_the_first_free_one(
        review, users, monkeypatch):
    reviewer = users["district_reviewer"]
    first = preliminary.summary_request(district_review=review, actor=reviewer)
    assert (first.status, first.document_number) == (ReportStatus.PENDING, "")
    # Its render fails: the number it took goes back.
    with monkeypatch.context() as patch:
        patch.setattr(summary_service, "STYLESHEET", Path("/nonexistent/summary-pdf.css"))
        summary_service.summary_render(summary_id=first.pk)
    first.refresh_from_db()
    assert (first.status, first.document_number) == (ReportStatus.FAILED, "")
    # Requested twice more; the later one is rendered first.
    second = preliminary.summary_request(district_review=review, actor=reviewer)
    third = preliminary.summary_request(district_review=review, actor=reviewer)
    assert summary_service.summary_render(summary_id=third.pk).document_number == \
        _number(review, 1)
    assert summary_service.summary_render(summary_id=second.pk).document_number == \
        _number(review, 2)
    # A render started again (its worker died) keeps its number.
    DistrictSummaryFile.objects.filter(pk=second.pk).update(status=ReportStatus.RUNNING)
    second.refresh_from_db()
    assert summary_service.summary_number_assign(summary=second) == _number(review, 2)


def test_summary_render_hit_by_a_transient_error_is_tried_again_not_failed(review, users,
                                                                           monkeypatch):
    from django.db import OperationalError

    summary = preliminary.summary_request(district_review=review,
                                          actor=users["district_reviewer"])

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(summary_service, "render_pdf_in_chunks", database_gone)
        with pytest.raises(OperationalError):
            summary_service.summary_render(summary_id=summary.pk)
    summary.refresh_from_db()
    assert (summary.status, summary.document_number) == (ReportStatus.RUNNING,
                                                         _number(review, 1))
    # The task's retry makes it, with the number it took.
    evaluation_tasks.render_district_summary.apply(kwargs={"summary_id": summary.pk})
    summary.refresh_from_db()
    assert (summary.status, summary.document_number) == (ReportStatus.DONE,
                                                         _number(review, 1))


def test_without_a_broker_a_failed_side_effect_goes_out_with_the_next_commit(
        users, settings, django_capture_on_commit_callbacks):
    """The embedded set-up runs tasks in-process and has no beat job."""
    settings.EMAIL_BACKEND = "tests.test_outbox.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[users["city_admin"]], subject="邮件服务器停机时")
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.update(next_attempt_at=timezone.now())  # its retry is due
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[users["district_reviewer"]], subject="恢复后")
    assert sorted(m.subject for m in mail.outbox) == ["恢复后", "邮件服务器停机时"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_outbox_forgets_rows_sent_a_month_ago_and_keeps_the_rest(db):
    now = timezone.now()
    old = _row("demo:old", status=OutboxStatus.SENT, sent_at=now - dt.timedelta(days=31))
    recent = _row("demo:recent", status=OutboxStatus.SENT, sent_at=now - dt.timedelta(days=29))
    failed = _row("demo:failed", status=OutboxStatus.FAILED, attempts=outbox.MAX_ATTEMPTS)
    pending = _row("demo:pending", next_attempt_at=now + dt.timedelta(minutes=5))
    assert outbox.outbox_purge(now=now) == 1
    assert sorted(OutboxMessage.objects.values_list("pk", flat=True)) == sorted(
        [recent.pk, failed.pk, pending.pk])
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()
