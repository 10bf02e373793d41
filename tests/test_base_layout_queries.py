"""Issue 9 §5: what the base layout shows on every page (the navigation by permission, the
user menu's district and institution, the bell's unread count) costs no query of its own:
permissions are the rules predicates, and the rest comes with the session's user."""
from __future__ import annotations

import pytest
from django.db import connection
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
