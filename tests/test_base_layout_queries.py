"""Issue 9 §5: what the base layout shows on every page (the navigation by permission, the
user menu's district and institution, the bell's unread count) costs no query of its own:
permissions are the rules predicates, and the rest comes with the session's user."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institutions.models import Notification
from institutions.notifications import notification_mark_read


def _page_queries(client, url: str) -> tuple[list[str], str]:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries], response.content.decode()


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer", "institution_filer",
                                  "expert"])
def test_base_layout_reads_nothing_beyond_the_session_and_its_user(users, client_for, role):
    user = users[role]
    Notification.objects.bulk_create([Notification(user=user, subject=f"通知{k}")
                                      for k in range(3)])
    sql, page = _page_queries(client_for(user), reverse("institutions:notifications"))
    # The notification page lists them itself (one query, and one to count its pages); the
    # layout reads no permission rows, no district, no institution, no count of its own.
    assert not [q for q in sql if "auth_permission" in q]
    assert not [q for q in sql if q.lstrip().startswith('SELECT "institutions_district"')]
    assert not [q for q in sql if q.lstrip().startswith('SELECT "institutions_institution"')]
    user_queries = [q for q in sql if 'FROM "institutions_user"' in q]
    assert len(user_queries) == 1 and "institutions_notification" in user_queries[0]
    assert 'data-testid="unread-count">3<' in page
    if user.district_id:
        assert user.district.name in page


def test_the_bell_counts_what_is_left_after_marking_read(users, client_for):
    user = users["district_reviewer"]
    notes = Notification.objects.bulk_create([Notification(user=user, subject=f"通知{k}")
                                              for k in range(2)])
    client = client_for(user)
    client.post(reverse("institutions:notification_read", args=[notes[0].pk]))
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-count">1<' in page
    notification_mark_read(user=user)
    assert 'data-testid="unread-count"' not in client.get(reverse("home")).content.decode()


def test_navigation_bar_is_each_users_own_though_rendered_once_per_combination(
        users, client_for):
    """The bar is kept per combination of what it shows: two accounts of one role and the
    same page share nothing but the markup of what they have in common."""
    from tests.factories import UserFactory

    other = UserFactory(username="gulou_second", role=users["district_reviewer"].role,
                        district=users["district_reviewer"].district, full_name="第二审核员")
    pages = {}
    for user in (users["district_reviewer"], other):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        page = client.get(reverse("home") + "?x=<b>&y=1").content.decode()
        nav = page[page.index('<nav class="navbar'):page.index("</nav>")]
        pages[user.username] = nav
        assert f" {user}<" in nav
        # Its forms carry this page's path and a CSRF input that the logout form's post
        # passes with.
        assert 'name="next" value="/?x=%3Cb%3E&amp;y=1"' in nav
        token = nav.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 200
        assert "_auth_user_id" not in client.session
    assert pages["gulou_second"] != pages[users["district_reviewer"].username]
    assert "Account management" not in pages["gulou_second"] and \
        "账号管理" not in pages["gulou_second"]
