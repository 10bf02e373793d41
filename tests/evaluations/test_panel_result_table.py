"""The panel result table (会评结果表, Art 11): only once the panel review is closed, queued
through the outbox, rendered in Chinese on landscape pages with every serving expert's score,
the recusals, the panel score and the result fixed at the close, and a signature line for each
expert; a failure is recorded, a transient error retried; the signed scan is uploaded for the
file. The PDF is read back with poppler-utils."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from evaluations.enums import ReportStatus
from evaluations.models import PanelResultTable
from evaluations.selectors.panel_table import panel_result_table
from evaluations.services import panel_table as service
from evaluations.services.panel import conflict_declare, panel_draw
from evaluations.services.panel_close import (
    panel_fail_count_set,
    panel_review_close,
    panel_tiebreak_set,
)
from institutions.enums import OutboxStatus, Role
from institutions.exceptions import DomainError
from institutions.models import OutboxMessage
from tests.evaluations.panel_setup import pool, score, serve
from tests.factories import UserFactory

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _members(cycle, group):
    return list(cycle.participants.filter(group=group).select_related("institution")
                .order_by("institution__credit_code"))


@pytest.fixture
def closed(drawn, organiser, settings, tmp_path):
    """Group A's panel: six members serve, the sixth recused from the first institution;
    scores 90/80/85 from five; group C's one institution scored by five of its panel; the tie
    of A at the list line ordered, F confirmed, the review closed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    panel, _made = drawn
    cycle = panel.cycle
    seats = serve(panel, organiser, accepting=6)
    first, second, third = _members(cycle, "A")
    conflict_declare(seat=seats[5], participant_id=first.pk, reason="曾任该机构顾问",
                     actor=seats[5].expert.user)
    for participant, total in ((first, 90), (second, 80), (third, 85)):
        for seat in seats[:5]:
            score(seat, participant, total)
    for seat in seats[5:6]:
        score(seat, second, 70)
        score(seat, third, 70)
    for expert in pool(9):
        expert.user = UserFactory(username=f"c-{expert.pool_number}", role=Role.EXPERT)
        expert.save()
    c_panel = cycle.panels.get(position=2)
    panel_draw(panel=c_panel, actor=organiser, seed="group-c")
    (c_only,) = _members(cycle, "C")
    for seat, total in zip(serve(c_panel, organiser, accepting=5), [40, 50, 55, 60, 95],
                           strict=False):
        score(seat, c_only, total)
    panel_fail_count_set(cycle=cycle, chosen=None, actor=organiser)
    try:
        panel_review_close(cycle=cycle, actor=organiser)
    except DomainError:
        panel_tiebreak_set(cycle=cycle, order=[p.pk for p in (first, third, second)],
                           reason="创新成效更显著", actor=organiser)
        panel_review_close(cycle=cycle, actor=organiser)
    cycle.refresh_from_db()
    return cycle, seats


def _text(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text


def test_the_table_is_refused_until_the_panel_review_is_closed(drawn, organiser):
    panel, _made = drawn
    with pytest.raises(DomainError, match="会评结束后方可生成结果表"):
        service.panel_table_request(cycle=panel.cycle, actor=organiser)
    assert not PanelResultTable.objects.exists()


def test_the_content_holds_each_panels_serving_experts_and_fixed_results(closed):
    cycle, seats = closed
    table = panel_result_table(cycle)
    a, c = table.sections
    assert [col.seat.pk for col in a.experts] == [s.pk for s in seats[:6]]
    first = a.rows[0]
    assert (first.place, first.panel_score, first.result) == (1, 90, "reverify")
    assert first.cells[:5] == [90] * 5 and first.cells[5] == "conflicted"
    assert first.count == 5
    assert [r.place for r in a.rows] == [1, 2, 3]
    # Group C lowest first; its single member is unqualified (F is at least one).
    assert [(r.place, str(r.panel_score), r.result) for r in c.rows] == [
        (1, "55.00", "unqualified")]
    assert [cell for cell in c.rows[0].cells if cell == "pending"] == ["pending"] * (
        len(c.experts) - 5)
    assert table.digest() == panel_result_table(cycle).digest()


def test_the_request_queues_the_render_through_the_outbox_once_per_form(closed, organiser):
    cycle, _seats = closed
    table = service.panel_table_request(cycle=cycle, actor=organiser, form_token="t" * 32)
    again = service.panel_table_request(cycle=cycle, actor=organiser, form_token="t" * 32)
    assert again.pk == table.pk and PanelResultTable.objects.count() == 1
    message = OutboxMessage.objects.get(kind="evaluations.tasks.render_panel_result_table")
    assert message.kind == "evaluations.tasks.render_panel_result_table"
    assert message.payload == {"table_id": table.pk}
    assert message.status == OutboxStatus.PENDING  # handed to the broker after the commit
    assert table.status == ReportStatus.PENDING


def test_the_pdf_prints_every_score_the_recusal_and_a_signature_line_per_expert(
        closed, organiser):
    cycle, seats = closed
    table = service.panel_table_request(cycle=cycle, actor=organiser)
    table = service.panel_table_render(table_id=table.pk)
    assert table.status == ReportStatus.DONE and table.progress == 100
    path = Path(table.file.path)
    assert path.read_bytes().startswith(b"%PDF")
    text = _text(path)
    assert "2025年度新型研发机构绩效评价专家会评结果表" in text.replace(" ", "")
    for seat in seats[:6]:
        assert seat.expert.name in text and seat.expert.pool_number in text
    assert "回避" in text and "列入复核名单" in text and "不合格" in text
    assert "90.00" in text and "55.00" in text
    assert text.count("签名") >= 2  # each panel's experts sign below its table
    assert f"编码 {table.digest[:12].upper()}" in text
    assert "2025年度专家会评结果表 · 1 / 2" in text  # the footer of every page
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert "841.89 x 595.276 pts (A4)" in info  # landscape
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts and "emb" in fonts.splitlines()[0]
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded


def test_a_failed_render_is_recorded_and_a_transient_one_retried(closed, organiser,
                                                                  monkeypatch):
    cycle, _seats = closed
    table = service.panel_table_request(cycle=cycle, actor=organiser)

    def broken(content):
        raise ValueError("layout")

    monkeypatch.setattr(service, "panel_table_pdf", broken)
    assert service.panel_table_render(table_id=table.pk).status == ReportStatus.FAILED
    again = service.panel_table_request(cycle=cycle, actor=organiser)

    def away(content):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(service, "panel_table_pdf", away)
    with pytest.raises(OperationalError):
        service.panel_table_render(table_id=again.pk)
    again.refresh_from_db()
    assert again.status == ReportStatus.RUNNING  # the task tries again


def test_the_organiser_generates_downloads_and_uploads_the_signed_scan(closed, organiser,
                                                                       users, client_for):
    cycle, _seats = closed
    client = client_for(organiser)
    ranking = reverse("evaluations:panel_ranking", args=[cycle.year])
    html = client.get(ranking).content.decode()
    assert 'data-testid="result-table-generate"' in html
    response = client.post(reverse("evaluations:panel_table_request", args=[cycle.year]))
    assert response.status_code == 302 and response["Location"].endswith("#result-table")
    table = PanelResultTable.objects.get()
    status_url = reverse("evaluations:panel_table_status", args=[cycle.year, table.pk])
    box = client.get(status_url).content.decode()
    assert 'data-status="pending"' in box and "hx-get" in box
    service.panel_table_render(table_id=table.pk)
    box = client.get(status_url).content.decode()
    assert 'data-status="done"' in box and "hx-get" not in box

    pdf = client.get(reverse("evaluations:panel_table_file", args=[cycle.year, table.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    scan_url = reverse("evaluations:panel_table_scan", args=[cycle.year, table.pk])
    client.post(scan_url, {"scan": SimpleUploadedFile("签字版.png", PNG, "image/png")})
    table.refresh_from_db()
    assert table.scan and table.scan_name == "签字版.png" and table.scan_uploaded_by == organiser
    # Who asked for it and who uploaded the scan in the audit trail; the rendering is the
    # system's.
    entries = list(LogEntry.objects.get_for_object(table).order_by("pk"))
    assert entries[0].actor == organiser and entries[-1].actor == organiser
    assert {entry.actor for entry in entries[1:-1]} == {None}
    hostile = SimpleUploadedFile("table.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client.post(scan_url, {"scan": hostile}, follow=True)
    table.refresh_from_db()
    assert table.scan_name == "签字版.png"  # the refused file replaced nothing
    assert any(m.level_tag == "error" for m in response.context["messages"])

    # The city administrator reads and downloads, with no button to make one.
    reader = client_for(users["city_admin"])
    html = reader.get(ranking).content.decode()
    assert 'data-testid="result-table-download"' in html
    assert 'data-testid="result-table-generate"' not in html
    assert 'data-testid="result-table-scan-upload"' not in html
    reader.post(reverse("evaluations:panel_table_request", args=[cycle.year]))
    assert PanelResultTable.objects.count() == 1


def test_a_table_of_another_cycle_is_not_found(closed, organiser, client_for):
    cycle, _seats = closed
    table = service.panel_table_request(cycle=cycle, actor=organiser)
    cycle.__class__.objects.create(year=2027, policy_version=cycle.policy_version)
    client = client_for(organiser)
    for name in ("panel_table_status", "panel_table_file", "panel_table_scan_file"):
        assert client.get(reverse(f"evaluations:{name}", args=[2027, table.pk])) \
            .status_code == 404
