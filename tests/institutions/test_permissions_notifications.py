"""The notification pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): every account has its notifications; marking read is a
POST (see ``test_notifications.py`` for the POSTs and for another user's notification)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from institutions.models import Notification
from tests.test_permission_matrix import ROLES, Row, _outcome, outcomes

GET_ROWS = [
    Row("institutions:notifications", outcomes(200)),
    Row("institutions:notification_read", outcomes(405), "note"),
    Row("institutions:notifications_read_all", outcomes(405)),
]


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_notification_pages_give_expected_outcome_for_every_role(row, users, client_for):
    note = Notification.objects.create(user=users["city_admin"], subject="测试通知")
    kwargs = {"pk": note.pk} if row.obj == "note" else {}
    url = reverse(row.name, kwargs=kwargs)
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, reverse("login"))
              for role in ROLES}
    assert actual == row.expected
