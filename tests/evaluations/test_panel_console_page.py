"""The console's matrix a page of institutions at a time (R6): the pages and the filter of
those below the minimum of submitted scores, with the counts, statistics and calibration of
the whole cycle on every page; the one reopen form, filled for a score from its cell's link
(without JavaScript) and absent for the city administrator; the same queries on every page;
the export writes what it must as text and keeps the totals' format."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

import evaluations.selectors.panel_console as panel_console_module
from evaluations.models import ExpertScore
from evaluations.selectors.panel_console import Cell, matrix_page, panel_console
from tests.evaluations.panel_setup import score as _score
from tests.evaluations.panel_setup import serve as _serve


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _group(cycle, group):
    return list(cycle.participants.filter(group=group).select_related("institution")
                .order_by("institution__credit_code"))


@pytest.fixture
def scored(drawn, organiser):
    """Group A's panel with five members serving: the first A institution scored by all five
    (not below the minimum of five), the second by four, the third by none; group C's panel
    is not drawn (its institution has no expert)."""
    panel, _made = drawn
    seats = _serve(panel, organiser, accepting=5)
    first, second, _third = _group(panel.cycle, "A")
    for seat, total in zip(seats[:5], [60, 80, 84, 85, 100], strict=True):
        _score(seat, first, total)
    for seat, total in zip(seats[:4], [70, 71, 72, 73], strict=True):
        _score(seat, second, total)
    return panel, seats


def _names(matrix):
    return [[row.name for row in block.rows] for block in matrix.blocks]


def test_the_matrix_pages_and_filter_keep_the_panels_order(scored):
    panel, _seats = scored
    console = panel_console(panel.cycle)
    a = [p.institution.name for p in _group(panel.cycle, "A")]
    (c,) = [p.institution.name for p in _group(panel.cycle, "C")]
    first = matrix_page(console, 1, size=2)
    assert _names(first) == [a[:2]]
    assert (first.institutions, first.below_minimum, first.listed,
            first.page.paginator.num_pages) == (4, 3, 4, 2)
    second = matrix_page(console, "2", size=2)
    assert _names(second) == [a[2:], [c]]
    assert [block.columns for block in second.blocks] == [console.blocks[0].columns, []]
    # Out of range or not a page number: the nearest page.
    assert _names(matrix_page(console, "9", size=2)) == _names(second)
    assert _names(matrix_page(console, "x", size=2)) == _names(first)
    below = matrix_page(console, 1, below_only=True, size=2)
    assert _names(below) == [a[1:]] and (below.listed, below.institutions) == (3, 4)
    assert _names(matrix_page(console, 2, below_only=True, size=2)) == [[c]]
    assert _names(matrix_page(console, 1)) == [a, [c]]


def test_a_panel_without_institutions_is_on_the_first_page(scored):
    panel, _seats = scored
    console = panel_console(panel.cycle)
    console.blocks[1].rows.clear()
    assert [len(b.rows) for b in matrix_page(console, 1, size=2).blocks] == [2, 0]
    assert [len(b.rows) for b in matrix_page(console, 2, size=2).blocks] == [1]


def _html(client, cycle, query=""):
    client.cookies["django_language"] = "en"
    response = client.get(reverse("evaluations:panel_console", args=[cycle.year]) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_every_page_shows_the_whole_cycles_counts_statistics_and_calibration(
        scored, organiser, client_for, monkeypatch):
    panel, _seats = scored
    monkeypatch.setattr(panel_console_module, "MATRIX_PAGE_SIZE", 2)
    client = client_for(organiser)
    pages = [_html(client, panel.cycle), _html(client, panel.cycle, "?page=2"),
             _html(client, panel.cycle, "?below=1")]
    # Page 2: the last of group A, and group C's institution, whose panel has no expert yet.
    assert [html.count('data-testid="matrix-row"') for html in pages] == [2, 1, 2]
    assert "No expert serves on this panel yet." in pages[1]
    assert "Institutions 1–2 of 4" in pages[0] and "Institutions 3–4 of 4" in pages[1]
    assert "Institutions 1–2 of 3" in pages[2]
    assert 'href="?page=2"' in pages[0] and 'href="?below=1&amp;page=2"' in pages[2]
    assert "All institutions (4)" in pages[0] and "Fewer than 5 scores (3)" in pages[0]
    for html in pages:
        assert re.search(r'data-count="scored">9<', html)
        assert html.count('data-testid="statistics-row"') == 4
        assert html.count('data-testid="calibration-value"') == 7


def test_the_filter_says_when_no_institution_is_below_the_minimum(scored, organiser,
                                                                   client_for):
    panel, _seats = scored
    console = panel_console(panel.cycle)
    for row in console.rows.values():
        row.below_minimum = False
    assert matrix_page(console, 1, below_only=True).listed == 0
    html = _html(client_for(organiser), panel.cycle, "?below=1&page=1")
    assert 'data-testid="matrix-shown"' in html


def test_a_scored_cell_links_to_the_one_reopen_form_filled_for_it(scored, organiser,
                                                                  client_for):
    panel, seats = scored
    client = client_for(organiser)
    html = _html(client, panel.cycle)
    # One form for the page, hidden until a score is chosen; every submitted score links.
    assert html.count('name="reason"') == 1
    assert re.search(r"<details [^>]*id=\"reopen\"[^>]*\bhidden\b", html)
    submitted = ExpertScore.objects.filter(submitted_at__isnull=False)
    assert html.count("data-score=") == submitted.count() == 9
    score = submitted.select_related("seat__expert", "participant__institution").get(
        seat=seats[1], participant__institution__name=_group(panel.cycle, "A")[0]
        .institution.name)
    assert f'href="?page=1&amp;reopen={score.pk}#reopen" data-score="{score.pk}"' in html
    # Following the link (no JavaScript): the form is shown, open, filled for that score.
    html = _html(client, panel.cycle, f"?page=1&reopen={score.pk}")
    details = html.split('id="reopen"')[1].split("</details>")[0]
    assert " open" in details.split(">")[0] and "hidden" not in details.split(">")[0]
    assert f'name="score" value="{score.pk}"' in details
    assert (f"The score {score.total} of {score.seat.expert.name} for "
            f"{score.participant.institution.name}.") in details
    # A score of no one's, or not submitted: nothing is filled.
    draft = _score(seats[4], _group(panel.cycle, "A")[1], 50, submit=False)
    for wrong in (draft.pk, 999999, "x"):
        html = _html(client, panel.cycle, f"?reopen={wrong}")
        assert 'name="score" value=""' in html
        assert re.search(r"<details [^>]*id=\"reopen\"[^>]*\bhidden\b", html)


def test_the_city_administrator_sees_no_reopen_form_nor_links(scored, users, client_for):
    panel, _seats = scored
    score = ExpertScore.objects.filter(submitted_at__isnull=False).first()
    html = _html(client_for(users["city_admin"]), panel.cycle, f"?reopen={score.pk}")
    assert 'id="reopen"' not in html and "data-score=" not in html
    assert html.count('data-state="scored"') == 9


def test_the_pages_of_the_console_read_in_the_same_queries(scored, organiser, client_for,
                                                          monkeypatch):
    panel, _seats = scored
    monkeypatch.setattr(panel_console_module, "MATRIX_PAGE_SIZE", 2)
    client = client_for(organiser)
    _html(client, panel.cycle)
    counts = []
    for query in ("", "?page=2", "?below=1", "?below=1&page=2"):
        with CaptureQueriesContext(connection) as captured:
            _html(client, panel.cycle, query)
        counts.append(len(captured))
    assert len(set(counts)) == 1


def test_the_matrix_cells_keep_their_states(scored):
    panel, _seats = scored
    console = panel_console(panel.cycle)
    page = matrix_page(console, 1)
    states = [[state for _column, state, _score in row.cells] for row in page.blocks[0].rows]
    assert states[0][:5] == [Cell.SCORED] * 5 and states[2][:5] == [Cell.PENDING] * 5
    assert all(score.submitted for _c, state, score in page.blocks[0].rows[0].cells[:5])


def test_the_export_keeps_formula_like_names_as_text_and_the_totals_format(
        scored, organiser, client_for):
    from openpyxl import load_workbook

    panel, _seats = scored
    first = _group(panel.cycle, "A")[0].institution
    first.name = "=HYPERLINK(\"http://example.com\")研究院"
    first.save()
    response = client_for(organiser).get(
        reverse("evaluations:panel_scores_export", args=[panel.cycle.year]))
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    total = len(sheet[1]) - 2  # the total, then the status
    named = [row for row in sheet.iter_rows(min_row=2) if row[4].value == first.name]
    assert len(named) == 7  # its row for each of the panel's seven members
    for row in named:
        assert row[4].data_type == "s"
    totals = [row[total] for row in named if row[total].value is not None]
    assert sorted(c.value for c in totals) == [60, 80, 84, 85, 100]
    assert {c.number_format for c in totals} == {"0.00"}
    # The indicator scores are numbers, adding up to the total.
    for row in named:
        if row[total].value is not None:
            assert sum(c.value or 0 for c in row[5:total]) == pytest.approx(row[total].value)
