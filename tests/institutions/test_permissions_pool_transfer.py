"""The expert pool's Excel pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): the panel organiser downloads the template and imports,
whoever reads the pool (the city administrator too) exports it; nobody else. A refused POST
to the import writes nothing."""
from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from institutions.models import Expert
from tests.institutions.test_importers import upload, xlsx_bytes
from tests.institutions.test_pool_transfer import HEADER, good_row
from tests.test_permission_matrix import ROLES, XLSX, Row, _outcome, only

READ = ("city_admin", "panel_organiser")
KEEP = ("panel_organiser",)

GET_ROWS = [
    Row("institutions:expert_import", only(KEEP, 200)),
    Row("institutions:expert_import_template", only(KEEP, 200), content_type=XLSX),
    Row("institutions:expert_export", only(READ, 200), content_type=XLSX),
]


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_pool_transfer_pages_give_expected_outcome_for_every_role(row, users, client_for):
    login_url = reverse("login")
    url = reverse(row.name)
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == row.expected


@pytest.mark.parametrize("role", [r for r in ROLES if r != "panel_organiser"])
def test_a_refused_import_writes_nothing(role, users, client_for):
    entries = LogEntry.objects.count()
    client = client_for(users.get(role))

    response = client.post(reverse("institutions:expert_import"), {
        "file": upload(xlsx_bytes([good_row(1), good_row(2)], HEADER), "experts.xlsx")})

    assert response.status_code in (302, 403)
    assert not Expert.objects.exists()
    assert LogEntry.objects.count() == entries
