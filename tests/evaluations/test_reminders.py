"""Reminders before the self-evaluation deadline (issue 3 §5): the institutions that have not
submitted and whose deadline is N days away hear it, nobody else; Celery beat runs it daily."""
from __future__ import annotations

import datetime as dt
import importlib

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.utils import timezone

from evaluations.enums import CycleStatus, SubmissionStatus
from evaluations.models import Cycle
from evaluations.services.reminders import send_deadline_reminders
from evaluations.tasks import send_self_evaluation_reminders
from institutions.enums import Role
from institutions.models import Notification, User
from tests.evaluations.progress_data import invite, open_cycle
from tests.factories import InstitutionFactory, UserFactory

DAYS = 3


@pytest.fixture
def reminder_days(settings):
    settings.SELF_EVALUATION_REMINDER_DAYS = DAYS
    return DAYS


@pytest.fixture
def cases(reference_data, reminder_days):
    """One institution per case, each with a filer account named after the case."""
    today = timezone.localdate()
    due = today + dt.timedelta(days=DAYS)
    cycle = open_cycle(2026)
    closed = Cycle.objects.create(year=2024, policy_version=cycle.policy_version,
                                  status=CycleStatus.PRELIMINARY_REVIEW)
    closed.stages.create(stage=CycleStatus.SELF_EVALUATION, opens_on=today, closes_on=due)
    plans = {
        "due_not_started": (cycle, SubmissionStatus.NOT_STARTED, due),
        "due_in_progress": (cycle, SubmissionStatus.IN_PROGRESS, due),
        "due_submitted": (cycle, SubmissionStatus.SUBMITTED, due),
        "due_not_participating": (cycle, SubmissionStatus.NOT_PARTICIPATING, due),
        "earlier": (cycle, SubmissionStatus.NOT_STARTED, due - dt.timedelta(days=1)),
        "later": (cycle, SubmissionStatus.IN_PROGRESS, due + dt.timedelta(days=1)),
        "extended_past_it": (cycle, SubmissionStatus.NOT_STARTED, due + dt.timedelta(days=14)),
        "closed_cycle": (closed, SubmissionStatus.IN_PROGRESS, due),
    }
    for name, (in_cycle, status, deadline) in plans.items():
        institution = InstitutionFactory(name=f"{name}研究院")
        UserFactory(username=name, role=Role.INSTITUTION_FILER, institution=institution)
        invite(in_cycle, institution, status, deadline)
    # A deactivated account of a reminded institution is never reminded.
    due_institution = User.objects.get(username="due_not_started").institution
    UserFactory(username="left_the_job", role=Role.INSTITUTION_ADMIN,
                institution=due_institution, is_active=False)
    return cycle


def test_reminders_go_to_unsubmitted_reports_due_in_n_days(cases):
    assert send_deadline_reminders() == 2
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "due_in_progress", "due_not_started"]


def test_reminders_name_the_institution_and_the_deadline(cases):
    send_deadline_reminders()
    due = timezone.localdate() + dt.timedelta(days=DAYS)
    note = Notification.objects.get(user__username="due_in_progress")
    assert due.isoformat() in note.subject and "2026" in note.subject
    assert "due_in_progress研究院" in note.body
    assert note.url == "/self-evaluation/"


def test_reminders_count_from_the_given_day(cases):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert send_deadline_reminders(today=tomorrow) == 1
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["later"]


def test_reminders_are_mailed_after_the_commit(cases, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_deadline_reminders()
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "due_in_progress@example.cn", "due_not_started@example.cn"]


def test_reminders_task_runs_the_service(cases):
    assert send_self_evaluation_reminders.delay().get() == 2


def test_beat_schedule_names_existing_tasks_daily():
    from config.celery_app import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    reminders = schedule["self-evaluation-reminders"]
    assert reminders["task"] == "evaluations.tasks.send_self_evaluation_reminders"
    for entry in schedule.values():
        module, name = entry["task"].rsplit(".", 1)
        task = getattr(importlib.import_module(module), name)
        assert (task.name, task.name in app.tasks) == (entry["task"], True)
    assert isinstance(reminders["schedule"], crontab)
    assert reminders["schedule"].hour == {8} and reminders["schedule"].day_of_week == set(
        range(7))
