"""The panel console's pages × every role (rows collected by the coverage test of
``tests/test_permission_matrix.py``): the panel organiser decides and closes, the city
administrator reads the console, the rankings and the export, districts, institutions and
experts see none of them; a missing cycle is a 404 to those who may see the stage. A refused
POST changes nothing."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import ReportStatus
from evaluations.models import CycleStage, PanelOutcome, PanelResultTable
from evaluations.services.panel import panel_draw
from tests.evaluations.panel_setup import open_panel_review, pool
from tests.evaluations.preliminary_setup import add_institutions
from tests.test_permission_matrix import ROLES, XLSX, Row, _outcome, only

PDF, PNG = "application/pdf", "image/png"
READ = ("city_admin", "panel_organiser")
RUN = ("panel_organiser",)

GET_ROWS = [
    Row("evaluations:panel_console", only(READ, 200), "cycle"),
    Row("evaluations:panel_console", only(READ, 404), "missing_cycle"),
    Row("evaluations:panel_ranking", only(READ, 200), "cycle"),
    Row("evaluations:panel_ranking", only(READ, 404), "missing_cycle"),
    Row("evaluations:panel_scores_export", only(READ, 200), "cycle", content_type=XLSX),
    Row("evaluations:panel_scores_export", only(READ, 404), "missing_cycle"),
    Row("evaluations:panel_fail_count", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:panel_tiebreak", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:panel_score_reopen", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:panel_close", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:panel_table_request", only(RUN, 405), "cycle"),  # a POST only
    Row("evaluations:panel_table_status", only(READ, 200), "table"),
    Row("evaluations:panel_table_status", only(READ, 404), "missing_table"),
    Row("evaluations:panel_table_file", only(READ, 200), "table", content_type=PDF),
    Row("evaluations:panel_table_file", only(READ, 404), "missing_table"),
    Row("evaluations:panel_table_scan", only(RUN, 405), "table"),  # a POST only
    Row("evaluations:panel_table_scan_file", only(READ, 200), "table", content_type=PNG),
    Row("evaluations:panel_table_scan_file", only(READ, 404), "missing_table"),
]


@pytest.fixture
def panel_cycle(users, gulou):
    """Group A's panel drawn from nine experts; the ``expert`` account is none of them."""
    made = add_institutions(gulou, 2)
    cycle = open_panel_review(users["city_admin"], a=made[:1], c=made[1:])
    pool(9)
    panel_draw(panel=cycle.panels.order_by("position").first(),
               actor=users["panel_organiser"], seed="matrix")
    return cycle


@pytest.fixture
def table(panel_cycle, users, settings, tmp_path):
    """A generated result table with its signed scan (the review marked closed as the close
    would leave it)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    outcome = PanelOutcome.objects.create(cycle=panel_cycle, closed_at=timezone.now(),
                                          closed_by=users["panel_organiser"])
    table = PanelResultTable(outcome=outcome, digest="d" * 64, status=ReportStatus.DONE,
                             requested_by=users["panel_organiser"], scan_kind="png",
                             scan_name="signed.png")
    table.file.save("table.pdf", ContentFile(b"%PDF-1.7 table"), save=False)
    table.scan.save("signed.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    table.save()
    return table


def _kwargs(obj, cycle, table=None):
    return {None: {}, "cycle": {"year": cycle.year}, "missing_cycle": {"year": 1999},
            "table": {"year": cycle.year, "pk": table.pk if table else 0},
            "missing_table": {"year": cycle.year, "pk": 987654}}[obj]


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.id)
def test_panel_console_pages_give_expected_outcome_for_every_role(row, users, panel_cycle,
                                                                  table, client_for):
    login_url = reverse("login")
    url = reverse(row.name, kwargs=_kwargs(row.obj, panel_cycle, table))
    actual = {role: _outcome(client_for(users.get(role)).get(url), row, {}, login_url)
              for role in ROLES}
    assert actual == row.expected


@pytest.mark.parametrize("role", [r for r in ROLES if r != "panel_organiser"])
def test_only_the_organiser_decides_or_closes(role, users, panel_cycle, client_for):
    client = client_for(users.get(role))
    year = panel_cycle.year
    client.post(reverse("evaluations:panel_fail_count", args=[year]), {"chosen": "1"})
    participant = panel_cycle.participants.filter(group="A").first()
    client.post(reverse("evaluations:panel_tiebreak", args=[year]),
                {f"place-{participant.pk}": "1", "reason": "x"})
    client.post(reverse("evaluations:panel_score_reopen", args=[year]),
                {"score": "1", "reason": "x"})
    client.post(reverse("evaluations:panel_close", args=[year]))
    assert not PanelOutcome.objects.exists()
    assert CycleStage.objects.get(cycle=panel_cycle, stage="panel_review").closed_at is None


@pytest.mark.parametrize("role", [r for r in ROLES if r != "panel_organiser"])
def test_only_the_organiser_generates_the_result_table_or_uploads_its_scan(role, users,
                                                                           table,
                                                                           client_for):
    client = client_for(users.get(role))
    year = table.outcome.cycle.year
    client.post(reverse("evaluations:panel_table_request", args=[year]))
    client.post(reverse("evaluations:panel_table_scan", args=[year, table.pk]),
                {"scan": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    assert PanelResultTable.objects.get() == table
    table.refresh_from_db()
    assert table.scan_name == "signed.png" and table.scan_uploaded_by is None
