"""The district's summary as an Excel workbook (Art 10): title rows, a frozen header, one row
per participant in rank order with the columns of the PDF, scores as numbers."""
from __future__ import annotations

import io

import pytest
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from evaluations.enums import ClaimVerdict
from evaluations.exporters.preliminary import COLUMNS, district_summary_workbook
from evaluations.models import ClaimReview
from evaluations.selectors.preliminary import district_summary
from evaluations.services import preliminary
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)

HEADER_ROW = 5


@pytest.fixture
def review(users, default_policy, private_media, gulou, institution, sibling_institution):
    """Gulou with five participants scored 60, 70, 80, 90, 85.5 and ranked by score."""
    members = [institution, sibling_institution, *add_institutions(gulou, 3)]
    cycle = open_preliminary_review(users["city_admin"], submitted=members)
    review = district_review(cycle, gulou)
    for participant, score in zip(review.participants.order_by("pk"),
                                  ["60", "70", "80", "90", "85.5"], strict=True):
        score_directly(participant, score)
    rank_by_score(review, users["district_reviewer"])
    return district_review(cycle, gulou)


def _sheet(review, **kwargs):
    with translation.override("zh-hans"):
        workbook = district_summary_workbook(district_summary(review), **kwargs)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue())).active


def test_workbook_has_title_rows_a_frozen_header_and_a_row_per_participant(review):
    sheet = _sheet(review, document_number="鼓楼区初评〔2025〕2号")
    with translation.override("zh-hans"):
        titles = [gettext(str(title)) for title, _width in COLUMNS]
    assert "鼓楼区" in sheet["A1"].value and "2025" in sheet["A1"].value
    assert "鼓楼区初评〔2025〕2号" in sheet["A2"].value
    assert [cell.value for cell in sheet[HEADER_ROW]] == titles
    assert titles[1] == "统一社会信用代码"
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    participants = list(review.participants.order_by("rank").select_related("institution"))
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert [(row[0], row[1], row[2], row[4]) for row in rows] == [
        (p.rank, p.institution.credit_code, p.institution.name, p.score) for p in participants]
    assert [row[4] for row in rows] == [90, 85.5, 80, 70, 60]


def test_scores_are_numbers_and_groups_follow_r4(review):
    sheet = _sheet(review)
    scores = [sheet.cell(row=r, column=5) for r in range(HEADER_ROW + 1, HEADER_ROW + 6)]
    assert all(cell.data_type == "n" for cell in scores)
    assert scores[1].value == 85.5 and scores[1].number_format == "0.00"
    with translation.override("zh-hans"):
        a, b, c = (gettext(label) for label in ("Group A (good)", "Group B (qualified)",
                                                "Group C (poor)"))
    assert (a, b, c) == ("优良组", "合格组", "较差组")  # the policy's words (Art 10)
    groups = [sheet.cell(row=r, column=6).value for r in range(HEADER_ROW + 1, HEADER_ROW + 6)]
    assert groups == [a, a, b, b, c]  # n = 5 → (2, 2, 1)


def test_multi_line_cells_are_joined_with_newlines_and_wrap(review, users):
    top = review.participants.get(rank=1)
    claims = list(ClaimReview.objects.filter(participant=top).select_related("indicator")
                  .order_by("indicator__category__order", "indicator__order")[:2])
    for claim in claims:
        preliminary.claim_review_save(
            participant=top, indicator=claim.indicator, verdict=ClaimVerdict.NOT_SUPPORTED,
            score="", comment="缺少佐证材料", revision=claim.revision,
            actor=users["district_reviewer"])
    preliminary.participant_comment_save(participant=top, comment="总体较好",
                                         actor=users["district_reviewer"])
    content = district_summary(district_review(review.cycle, review.district))
    with translation.override("zh-hans"):
        workbook = district_summary_workbook(content)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    row = next(r for r in sheet.iter_rows(min_row=HEADER_ROW + 1)
               if r[1].value == top.institution.credit_code)
    opinion = row[6]
    lines = opinion.value.split("\n")
    assert lines[0] == "总体较好" and len(lines) == 4
    assert all(line.endswith("缺少佐证材料") for line in lines[2:])
    assert opinion.alignment.wrap_text


def test_a_name_starting_with_equals_is_text_not_a_formula(review):
    participant = review.participants.get(rank=1)
    participant.institution.name = "=HYPERLINK(\"http://x\")"
    participant.institution.save(update_fields=["name"])
    sheet = _sheet(review)
    cell = sheet.cell(row=HEADER_ROW + 1, column=3)
    assert (cell.value, cell.data_type) == ("=HYPERLINK(\"http://x\")", "s")

