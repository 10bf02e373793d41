"""Issue 9 §4: the summary PDF's signature and seal block never stands alone on a page of
its own, not when it does not fit under the table (the last row goes over with it) nor when
the table ends in a chunk before the last one (the last chunk takes in the rows of that
chunk's last page); credit codes never break across lines. Read back with pdftotext."""
from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from evaluations.selectors.preliminary import DistrictSummary, SummaryRow
from evaluations.services.summary_pdf import summary_pdf

SEAL = "（盖章）"


def code(k: int) -> str:
    """A credit code with the widest letters the alphabet of codes has."""
    return f"91320302MWQX{k:04d}MW"


def content(n: int) -> DistrictSummary:
    rows = tuple(SummaryRow(
        rank=k + 1, credit_code=code(k), name=f"徐州市鼓楼区第{k:04d}号新型研发机构有限公司",
        cluster="新材料", score=Decimal(90) - k, group="A", opinion="研发投入持续增长。",
        not_supported=(), reason="", visits=(), open_rectifications=(), fraud=False)
        for k in range(n))
    return DistrictSummary(year=2025, district="鼓楼区", n=n, sizes=(n, 0, 0), rows=rows)


def pages_of(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def render(n: int, chunk_rows: int) -> bytes:
    with translation.override("zh-hans"):
        return summary_pdf(content(n), document_number="鼓楼区初评〔2025〕1号",
                           chunk_rows=chunk_rows, workers=1)


@pytest.mark.parametrize(("n", "chunk_rows"), [
    (10, 100),  # one document whose last page has no room for the block
    (21, 20),  # the table's last chunk-page has room; the last chunk holds one row
    (5, 4),  # the first chunk fits on one page with the block
])
def test_signatures_are_never_alone_and_codes_never_break(tmp_path, n, chunk_rows):
    pages = pages_of(render(n, chunk_rows), tmp_path)
    text = "\n".join(pages)
    # Whole on one line and exactly once, whatever the chunking.
    assert [text.count(code(k)) for k in range(n)] == [1] * n
    last = pages[-1]
    assert SEAL in last and "".join(pages[:-1]).count(SEAL) == 0
    rows_on_last = [k for k in range(n) if code(k) in last]
    assert rows_on_last and rows_on_last[-1] == n - 1


def test_last_chunk_continues_the_page_the_table_left(tmp_path):
    """21 rows in chunks of 20: the 21st row and the block follow the rows of the first
    chunk's last page instead of starting a page of their own."""
    pages = pages_of(render(21, 20), tmp_path)
    rows_on_last = [k for k in range(21) if code(k) in pages[-1]]
    assert len(rows_on_last) > 1 and rows_on_last[-1] == 20
