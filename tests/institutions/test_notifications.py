"""In-app notifications and their e-mails (issue 3 §5): ``notify``, the user's list, marking
read, and the navigation's bell."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import CycleStatus
from evaluations.services.cycles import cycle_create, cycle_transition
from institutions.context_processors import notifications as bell
from institutions.enums import Role
from institutions.models import Notification
from institutions.notifications import notify
from tests.factories import InstitutionFactory, UserFactory


def _note(user, subject: str, url: str = "", read: bool = False) -> Notification:
    return Notification.objects.create(user=user, subject=subject, body=f"{subject}的正文",
                                       url=url, read_at=timezone.now() if read else None)


def test_notify_creates_one_notification_per_user(users):
    filer, admin = users["institution_filer"], users["institution_admin"]
    assert notify(users=[filer, admin], subject="自评已开启", body="请按时填报。",
                  url="/self-evaluation/") == 2
    rows = list(Notification.objects.order_by("user__username").values_list(
        "user__username", "subject", "body", "url", "read_at"))
    assert rows == [("filer", "自评已开启", "请按时填报。", "/self-evaluation/", None),
                    ("instadmin", "自评已开启", "请按时填报。", "/self-evaluation/", None)]


def test_notify_mails_only_after_the_commit(users, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://kj.example.cn"
    filer = users["institution_filer"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[filer], subject="自评已开启", body="请按时填报。", url="/self-evaluation/")
    assert (len(callbacks), mail.outbox) == (1, [])
    callbacks[0]()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["filer@example.cn"], "自评已开启", "请按时填报。\n\nhttps://kj.example.cn/self-evaluation/")]
    assert Notification.objects.get().emailed_at is not None


def test_notify_mails_users_with_an_address_once(users, django_capture_on_commit_callbacks):
    no_address = UserFactory(username="noaddress", email="")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[users["city_admin"], no_address], subject="提醒")
    assert [m.to for m in mail.outbox] == [["city@example.cn"]]
    emailed = dict(Notification.objects.values_list("user__username", "emailed_at"))
    assert (emailed["city"] is not None, emailed["noaddress"]) == (True, None)
    from institutions.tasks import send_notification_emails

    assert send_notification_emails(notification_ids=list(
        Notification.objects.values_list("pk", flat=True))) == 0  # never twice


def test_notify_nobody_queues_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify(users=[], subject="无人") == 0
    assert callbacks == []


def test_opening_self_evaluation_notifies_the_cohort_accounts(
        users, institution, default_policy, django_capture_on_commit_callbacks):
    """Art 9: the institutions of the cohort hear that the stage is open, in the app and by
    e-mail. The fixtures' institutions were filed in 2021: the 2027 cohort (R1); one filed in
    2022 is not."""
    recent = InstitutionFactory(district=institution.district, filing_date=dt.date(2022, 3, 1))
    UserFactory(username="recent", role=Role.INSTITUTION_FILER, institution=recent)
    today = timezone.localdate()
    cycle = cycle_create(year=2027, actor=users["city_admin"], stage_dates={
        CycleStatus.SELF_EVALUATION: (today, today + dt.timedelta(days=30))})
    with django_capture_on_commit_callbacks(execute=True):
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION,
                         actor=users["city_admin"])
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "filer", "filer2", "instadmin"]
    assert sorted(address for m in mail.outbox for address in m.to) == [
        "filer2@example.cn", "filer@example.cn", "instadmin@example.cn"]


# --- The list and marking read --------------------------------------------------------------

def test_notification_list_shows_only_the_users_own(client_for, users):
    _note(users["institution_filer"], "本单位的通知")
    _note(users["institution_filer_other"], "别人的通知")
    response = client_for(users["institution_filer"]).get(reverse("institutions:notifications"))
    html = response.content.decode()
    assert [n.subject for n in response.context["page"]] == ["本单位的通知"]
    assert "别人的通知" not in html


def test_notification_mark_one_read(client_for, users):
    note = _note(users["city_admin"], "待读")
    other = _note(users["city_admin"], "另一条")
    response = client_for(users["city_admin"]).post(
        reverse("institutions:notification_read", args=[note.pk]))
    assert (response.status_code, response["Location"]) == (
        302, reverse("institutions:notifications"))
    note.refresh_from_db()
    other.refresh_from_db()
    assert (note.read_at is not None, other.read_at) == (True, None)


def test_notification_open_marks_read_and_follows_its_link(client_for, users):
    note = _note(users["city_admin"], "去看看", url="/cycles/2026/progress/")
    response = client_for(users["city_admin"]).post(
        reverse("institutions:notification_read", args=[note.pk]), {"open": "1"})
    assert response["Location"] == "/cycles/2026/progress/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_notification_open_never_follows_a_link_elsewhere(client_for, users):
    note = _note(users["city_admin"], "外链", url="https://evil.example/phish")
    response = client_for(users["city_admin"]).post(
        reverse("institutions:notification_read", args=[note.pk]), {"open": "1"})
    assert response["Location"] == reverse("institutions:notifications")


def test_notification_of_another_user_is_404_and_stays_unread(client_for, users):
    note = _note(users["institution_filer_other"], "别人的通知")
    client = client_for(users["institution_filer"])
    assert client.post(reverse("institutions:notification_read", args=[note.pk])) \
        .status_code == 404
    client.post(reverse("institutions:notifications_read_all"))
    note.refresh_from_db()
    assert note.read_at is None


def test_notification_mark_all_read_marks_only_the_users_own(client_for, users):
    mine = [_note(users["city_admin"], f"通知{n}") for n in range(3)]
    theirs = _note(users["panel_organiser"], "别人的")
    response = client_for(users["city_admin"]).post(reverse("institutions:notifications_read_all"))
    assert response.status_code == 302
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True) \
        .count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notification_views_refuse_anonymous_posts(client_for, users):
    note = _note(users["city_admin"], "待读")
    response = client_for(None).post(reverse("institutions:notification_read", args=[note.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    note.refresh_from_db()
    assert note.read_at is None


# --- The bell -------------------------------------------------------------------------------

def test_bell_shows_the_unread_count(client_for, users):
    _note(users["city_admin"], "一")
    _note(users["city_admin"], "二")
    _note(users["city_admin"], "已读", read=True)
    _note(users["panel_organiser"], "别人的")
    client = client_for(users["city_admin"])
    response = client.get(reverse("home"))
    assert response.context["unread_notifications"] == 2
    assert re.search(r'data-testid="unread-count">2<', response.content.decode())
    client.post(reverse("institutions:notifications_read_all"))
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="notification-bell"' in html and 'data-testid="unread-count"' not in html


@pytest.mark.parametrize("logged_in", [True, False])
def test_bell_count_costs_one_query_for_users_and_none_for_visitors(users, logged_in):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = users["city_admin"] if logged_in else AnonymousUser()
    with CaptureQueriesContext(connection) as queries:
        context = bell(request)
    assert (len(queries), context) == ((1, {"unread_notifications": 0}) if logged_in
                                       else (0, {}))
