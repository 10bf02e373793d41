"""The city administrator's Excel journey: template, a refused upload, a good one, an export."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from institutions.models import Institution
from tests.conftest import BAD_CHECK_CODE, PASSWORD, VALID_CODE, VALID_CODE_2, VALID_CODE_3

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["名称", "统一社会信用代码", "所属地区", "产业集群", "备案日期", "法定代表人", "联系人",
          "联系电话", "电子邮箱", "地址"]


def _row(name: str, code: str, district: str) -> list[str]:
    return [name, code, district, "新材料", "2022-04-18", "王伟", "刘芳", "0516-85550000",
            "office@example.cn", "徐州市示例路1号"]


GOOD_ROWS = [
    _row("徐州铜山先进材料研究院", VALID_CODE, "铜山区"),
    _row("徐州铜山智能制造研究院", VALID_CODE_2, "铜山区"),
    _row("徐州泉山生物医药研究院", VALID_CODE_3, "泉山区"),
]


def _workbook(path: Path, rows: list[list[str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _sheet_rows(path: Path) -> list[list]:
    workbook = load_workbook(path, read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _upload(page, path: Path) -> None:
    form = page.get_by_test_id("import-form")
    form.locator("input[type=file]").set_input_files(str(path))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_city_admin_imports_and_exports_the_registry(page, live_server, users, login, shot,
                                                     tmp_path):
    login(page, "city", PASSWORD)
    page.get_by_role("link", name=re.compile("^(备案名录|Registry)$")).first.click()
    page.get_by_role("link", name=re.compile("从 Excel 导入|Import from Excel")).click()
    expect(page.locator("h1")).to_have_text(re.compile("Excel"))
    shot(page, "import-01-page")

    with page.expect_download() as template_info:
        page.get_by_test_id("template-link").click()
    template = template_info.value
    assert template.suggested_filename == "新型研发机构名录导入模板.xlsx"
    template_path = tmp_path / "template.xlsx"
    template.save_as(template_path)
    header, *blank_rows = _sheet_rows(template_path)
    assert header == HEADER
    assert {value for row in blank_rows for value in row} <= {None}

    bad_rows = [GOOD_ROWS[0], _row("徐州铜山智能制造研究院", BAD_CHECK_CODE, "铜山区"),
                _row("徐州泉山生物医药研究院", VALID_CODE_3, "徐州新区")]
    _upload(page, _workbook(tmp_path / "名录-有误.xlsx", bad_rows))
    expect(page.get_by_test_id("import-report")).to_contain_text(re.compile("未导入|Nothing"))
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td")).to_have_text(
        ["3", "统一社会信用代码", re.compile(f"{BAD_CHECK_CODE}.*(校验|check)")])
    expect(errors.nth(1).locator("td")).to_have_text(
        ["4", "所属地区", re.compile("徐州新区")])
    shot(page, "import-02-errors")
    assert Institution.objects.count() == 2

    _upload(page, _workbook(tmp_path / "名录-已改正.xlsx", GOOD_ROWS))
    expect(page).to_have_url(f"{live_server.url}/registry/")
    expect(page.locator(".alert-success")).to_contain_text(re.compile("已导入 3 家|Imported 3"))
    table = page.locator("table")
    for row in GOOD_ROWS:
        expect(table).to_contain_text(row[0])
    shot(page, "import-03-imported")
    assert Institution.objects.count() == 5

    page.select_option("#id_district", label="铜山区")
    page.get_by_role("button", name=re.compile("^(筛选|Filter)$")).click()
    expect(page.locator("tbody tr")).to_have_count(2)
    shot(page, "import-04-filtered")
    with page.expect_download() as export_info:
        page.get_by_test_id("export-link").click()
    export_path = tmp_path / "export.xlsx"
    export_info.value.save_as(export_path)
    exported = _sheet_rows(export_path)
    assert exported[0][:len(HEADER)] == HEADER
    assert sorted((row[0], row[1], row[2]) for row in exported[1:]) == [
        ("徐州铜山先进材料研究院", VALID_CODE, "铜山区"),
        ("徐州铜山智能制造研究院", VALID_CODE_2, "铜山区"),
    ]
