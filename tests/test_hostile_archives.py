"""Issue 9 §4: archive bombs (XLSX, DOCX) are refused from their zip directory, before
``zipfile`` lists their entries or openpyxl parses them, in the evidence upload's check and
in the registry import. The hostile files are made in memory and weigh little."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from evaluations.enums import EvidenceType
from evaluations.services.uploads import check_upload, sniff_type
from institutions.exceptions import DomainError
from institutions.importers import registry_import
from institutions.models import Institution
from tests.evaluations.self_evaluation_setup import docx_bytes, xlsx_bytes

ALL = [EvidenceType.PDF, EvidenceType.DOCX, EvidenceType.XLSX]
CONTENT_TYPES = "<Types/>"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def package(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def workbook_with_shared_strings(count: int) -> bytes:
    return package({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": "<workbook/>",
                    "xl/sharedStrings.xml": b'<sst xmlns="x">' + b"<si><t>a</t></si>" * count
                    + b"</sst>"})


def docx_with_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", "<w:document/>")
        for k in range(count):
            archive.writestr(f"word/media/{k}.xml", b"")
    return buffer.getvalue()


def refusal(content: bytes, name: str) -> str:
    with pytest.raises(DomainError) as refused:
        check_upload(SimpleUploadedFile(name, content), accepted=ALL, max_bytes=50 * 2**20)
    return str(refused.value)


def test_workbook_of_a_million_and_a_half_shared_strings_is_refused_unopened(db):
    bomb = workbook_with_shared_strings(1_500_000)
    assert len(bomb) < 200_000  # ~25 MB of XML in a few dozen KB
    assert refusal(bomb, "统计表.xlsx") == (
        "“统计表.xlsx”包含超过 1,000,000 条不同文本，工作簿最多允许 1,000,000 条，未予打开。")
    result = registry_import(file=SimpleUploadedFile("名录.xlsx", bomb), actor=None)
    assert [error.reason for error in result.errors] == [
        "“名录.xlsx”包含超过 1,000,000 条不同文本，工作簿最多允许 1,000,000 条，未予打开。"]
    assert Institution.objects.count() == 0


def test_docx_of_20000_entries_is_refused_from_its_directory(db):
    bomb = docx_with_entries(20_000)
    started = time.perf_counter()
    message = refusal(bomb, "说明.docx")
    assert time.perf_counter() - started < 0.5
    assert message == ("“说明.docx”由 20,002 个部件组成，Word 或 Excel 文件最多 10,000 个，"
                       "未予打开。")
    assert sniff_type(io.BytesIO(bomb)) is None


def test_package_unpacking_past_the_limit_is_refused(db, settings):
    settings.OFFICE_MAX_UNCOMPRESSED_BYTES = 8 * 2**20
    bomb = package({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": bytes(9 * 2**20)})
    assert len(bomb) < 20_000
    assert refusal(bomb, "说明.docx") == \
        "“说明.docx”解压后为 9.0\xa0MB，Word 或 Excel 文件解压后最多 8.0\xa0MB，未予打开。"


def test_shared_strings_larger_than_the_limit_are_refused(db, settings):
    settings.XLSX_MAX_SHARED_STRINGS_BYTES = 2**20
    message = refusal(workbook_with_shared_strings(100_000), "统计表.xlsx")
    assert message == "“统计表.xlsx”的共享文本有 1.6\xa0MB，工作簿最多 1.0\xa0MB，未予打开。"


def test_registry_workbook_unpacking_past_its_own_limit_is_refused(db, settings):
    settings.REGISTRY_IMPORT_MAX_UNCOMPRESSED_BYTES = 2**20
    bomb = package({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": "<workbook/>",
                    "xl/worksheets/sheet1.xml": bytes(2 * 2**20)})
    result = registry_import(file=SimpleUploadedFile("名录.xlsx", bomb), actor=None)
    assert [error.reason for error in result.errors] == [
        "“名录.xlsx”解压后为 2.0\xa0MB，Word 或 Excel 文件解压后最多 1.0\xa0MB，未予打开。"]


def test_ordinary_office_files_pass(db):
    for name, content, kind in (("说明.docx", docx_bytes(), EvidenceType.DOCX),
                                ("统计表.xlsx", xlsx_bytes(), EvidenceType.XLSX)):
        checked = check_upload(SimpleUploadedFile(name, content), accepted=ALL,
                               max_bytes=50 * 2**20)
        assert checked.kind == kind
