"""A broker outage (issue 9 §1), against a real Redis: with the broker down the four actions
that queue side effects (issue a rectification notice, request the report PDF, submit the
report, request the summary PDF) answer at once and say what is happening, and nothing is
lost; when the broker is back, the beat job delivers every pending side effect, each once,
however often the broker delivers its message.

The Celery app is the project's own, sending to ``redis://127.0.0.1:<port>`` (a port nothing
listens on, then a ``redis-server`` started on it); the worker's part is played in-process by
taking the messages off that Redis (``outbox_setup.drain``), so the test is bounded in time.
"""
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from evaluations.enums import ReportStatus, SubmissionStatus
from evaluations.models import DistrictSummaryFile, Participant, Rectification, ReportFile
from evaluations.services.preliminary import summary_document_number
from institutions.enums import OutboxStatus
from institutions.models import Notification, OutboxMessage
from institutions.services.outbox import DeliveryResult, outbox_deliver
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)
from tests.evaluations.self_evaluation_setup import open_cycle, ready_to_submit
from tests.outbox_setup import celery_broker, drain, free_port, needs_redis, redis_server

pytestmark = [needs_redis, pytest.mark.django_db(transaction=True)]

# What a user may wait for an answer, broker or not.
ANSWER_WITHIN = 2.0


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stage_two(users, default_policy, private_media, gulou, institution, sibling_institution):
    """The 2025 preliminary review: Gulou's four participants scored and ranked."""
    members = [institution, sibling_institution, *add_institutions(gulou, 2)]
    cycle = open_preliminary_review(users["city_admin"], submitted=members)
    review = district_review(cycle, gulou)
    for k, participant in enumerate(review.participants.order_by("institution__name")):
        score_directly(participant, 90 - 5 * k)
    rank_by_score(review, users["district_reviewer"])
    return district_review(cycle, gulou)


@pytest.fixture
def stage_one(users, stage_two, institution):
    """The 2027 self-evaluation: ``institution``'s report filled in, pledged and stamped."""
    cycle = open_cycle(users["city_admin"], year=2027)
    submission = cycle.submissions.get(institution=institution)
    ready_to_submit(submission, users["institution_filer"], users["institution_admin"])
    return submission


def _timed(client, url: str, data: dict | None = None):
    started = time.monotonic()
    response = client.post(url, data or {})
    return response, time.monotonic() - started


def test_broker_outage_loses_nothing_and_delivers_each_side_effect_once(
        users, stage_one, stage_two, institution, client_for):
    submission, review = stage_one, stage_two
    reviewer, admin = client_for(users["district_reviewer"]), client_for(
        users["institution_admin"])
    participant = Participant.objects.get(cycle=review.cycle, institution=institution)
    reports_before = set(ReportFile.objects.values_list("pk", flat=True))
    outbox_before = set(OutboxMessage.objects.values_list("pk", flat=True))
    notes_before = set(Notification.objects.values_list("pk", flat=True))
    mail.outbox.clear()
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    # --- The broker is down: every action answers at once, and says the truth. ------------
    with celery_broker(url, result_backend=url):
        timings = {}
        response, timings["rectification"] = _timed(
            reviewer, reverse("evaluations:rectification_create", args=[participant.pk]),
            {"problems": "补充2024年审计报告",
             "deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat()})
        assert response.status_code == 302
        response, timings["report PDF"] = _timed(
            admin, reverse("evaluations:report_request", args=[submission.pk]))
        assert response.status_code == 302
        page = admin.get(response["Location"]).content.decode()
        assert 'data-testid="report-queued"' in page
        response, timings["submit"] = _timed(
            admin, reverse("evaluations:submission_submit", args=[submission.pk]))
        assert (response.status_code, response["Location"]) == (
            302, reverse("evaluations:submission_detail", args=[submission.pk]))
        response, timings["summary PDF"] = _timed(
            reviewer, reverse("evaluations:district_summary_request", args=[review.pk]))
        assert response.status_code == 302
        page = reviewer.get(response["Location"])
        # No error: the notice's and the request's confirmations.
        assert [m.level_tag for m in page.context["messages"]] == ["success", "success"]
        summary = DistrictSummaryFile.objects.get(district_review=review)
        status_url = reverse("evaluations:district_summary_status", args=[summary.pk])
        box = reviewer.get(status_url).content.decode()
        assert 'data-testid="summary-queued"' in box
        assert f'hx-get="{status_url}" hx-trigger="every 1s"' in box  # it keeps polling
    print("answers with the broker down (s):",
          {action: round(seconds, 3) for action, seconds in timings.items()})
    assert all(seconds < ANSWER_WITHIN for seconds in timings.values()), timings

    # The actions are done; their side effects wait in the outbox, none lost, none sent.
    rectification = Rectification.objects.get(participant=participant)
    submission.refresh_from_db()
    (report,) = ReportFile.objects.exclude(pk__in=reports_before)
    assert (submission.status, report.status, summary.status, summary.document_number) == (
        SubmissionStatus.SUBMITTED, ReportStatus.PENDING, ReportStatus.PENDING, "")
    waiting = OutboxMessage.objects.exclude(pk__in=outbox_before).order_by("pk")
    assert [(row.kind, row.status, row.attempts) for row in waiting] == [
        ("institutions.tasks.send_notification_emails", OutboxStatus.PENDING, 1),
        ("evaluations.tasks.render_self_evaluation_report", OutboxStatus.PENDING, 1),
        ("institutions.tasks.send_notification_emails", OutboxStatus.PENDING, 1),
        ("evaluations.tasks.render_district_summary", OutboxStatus.PENDING, 1)]
    assert all(f"127.0.0.1:{port}" in row.last_error for row in waiting)
    notes = list(Notification.objects.exclude(pk__in=notes_before).select_related("user"))
    assert {note.url for note in notes} == {
        reverse("evaluations:rectification_detail", args=[rectification.pk]),
        reverse("evaluations:my_submission")}
    assert (mail.outbox, [n.emailed_at for n in notes]) == ([], [None] * len(notes))

    # --- The broker is back: the beat job delivers them, each once. -----------------------
    waiting.update(next_attempt_at=timezone.now())  # their retry is due
    with redis_server(port), celery_broker(url, result_backend=url):
        from institutions.tasks import outbox_deliver_due

        outbox_deliver_due.delay()  # what beat sends every minute
        # The worker runs the beat job, which sends the side effects, and then each of them;
        # the broker delivers every message twice (as after a worker lost between the work
        # and its acknowledgement): each is done once.
        delivered = drain(runs=2)
        assert delivered[0] == ("institutions.tasks.outbox_deliver_due", {})
        assert sorted(delivered[1:], key=str) == sorted([(row.kind, row.payload)
                                                         for row in waiting], key=str)
        assert (outbox_deliver(), drain()) == (DeliveryResult(), [])

    assert [(row.status, row.attempts) for row in waiting.all()] == \
        [(OutboxStatus.SENT, 2)] * 4
    report.refresh_from_db()
    summary.refresh_from_db()
    with translation.override(settings.LANGUAGE_CODE):
        first_number = summary_document_number(review, 1)
    assert (report.status, bool(report.file), summary.status, summary.document_number) == (
        ReportStatus.DONE, True, ReportStatus.DONE, first_number)
    assert ReportFile.objects.exclude(pk__in=reports_before).count() == 1
    # The boxes that kept polling now offer the PDFs, and stop polling.
    box = reviewer.get(status_url).content.decode()
    assert 'data-testid="summary-download"' in box and "hx-trigger" not in box
    box = admin.get(reverse("evaluations:report_progress", args=[report.pk])).content.decode()
    assert 'data-testid="report-download"' in box and "hx-trigger" not in box
    # One e-mail per notification of a user with an address, no more.
    expected = sorted((note.user.email, note.subject) for note in notes if note.user.email)
    assert len(expected) == 4  # the notice and the receipt, to the filer and the administrator
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == expected
