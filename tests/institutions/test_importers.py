"""The registry Excel import: all or nothing, with a report of every bad row."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook
from stdnum.cn import uscc

from institutions.importers import (
    COLUMNS,
    ImportResult,
    RowError,
    registry_import,
    registry_template_workbook,
)
from institutions.models import Cluster, District, Institution
from institutions.services import institution_create
from tests.factories import InstitutionFactory, UserFactory, make_credit_code

HEADER = [column.title for column in COLUMNS]
CODE_TITLE = "统一社会信用代码"


@pytest.fixture(autouse=True)
def english():
    # Reasons are asserted in the source language, whatever catalogue is compiled.
    with translation.override("en"):
        yield


@pytest.fixture
def actor(db):
    return UserFactory(username="importer", email="importer@example.cn")


def good_row(n: int, **changes) -> list:
    """A valid registry row for serial ``n``; ``changes`` replace cells by field name."""
    values = {
        "name": f"导入测试研究院{n:03d}",
        "credit_code": make_credit_code(n),
        "district": "鼓楼区",
        "cluster": "工程机械",
        "filing_date": "2021-05-10",
        "legal_representative": "张三",
        "contact_person": "李四",
        "contact_phone": "0516-83000000",
        "contact_email": f"inst{n}@example.cn",
        "address": "徐州市鼓楼区科技路1号",
    }
    values.update(changes)
    return [values[column.field] for column in COLUMNS]


def xlsx_bytes(rows: list[list], header: list | None = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "registry.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def xlsx_upload(rows: list[list], header: list | None = HEADER) -> SimpleUploadedFile:
    return upload(xlsx_bytes(rows, header))


def registry_rows() -> list[tuple]:
    return list(Institution.objects.order_by("credit_code").values_list(
        "name", "credit_code", "district__name", "cluster__name", "filing_date",
        "legal_representative", "contact_person", "contact_phone", "contact_email", "address",
        "status",
    ))


# --- A good file ---------------------------------------------------------------------------

def test_registry_import_good_file_creates_every_institution(actor):
    rows = [
        good_row(1),
        good_row(2, district="320303", cluster="新材料", filing_date=dt.date(2020, 3, 5),
                 contact_email="", address=""),
        good_row(3, district="徐州高新技术产业开发区", filing_date="2019/6/1",
                 contact_phone=13800000000),
        good_row(4, filing_date="2018年12月31日", credit_code=f" {make_credit_code(4).lower()} "),
    ]

    result = registry_import(file=xlsx_upload(rows), actor=actor)

    assert result == ImportResult(created=4, errors=[])
    assert registry_rows() == sorted([
        ("导入测试研究院001", make_credit_code(1), "鼓楼区", "工程机械", dt.date(2021, 5, 10),
         "张三", "李四", "0516-83000000", "inst1@example.cn", "徐州市鼓楼区科技路1号", "active"),
        ("导入测试研究院002", make_credit_code(2), "云龙区", "新材料", dt.date(2020, 3, 5),
         "张三", "李四", "0516-83000000", "", "", "active"),
        ("导入测试研究院003", make_credit_code(3), "徐州高新技术产业开发区", "工程机械",
         dt.date(2019, 6, 1), "张三", "李四", "13800000000", "inst3@example.cn",
         "徐州市鼓楼区科技路1号", "active"),
        ("导入测试研究院004", make_credit_code(4), "鼓楼区", "工程机械", dt.date(2018, 12, 31),
         "张三", "李四", "0516-83000000", "inst4@example.cn", "徐州市鼓楼区科技路1号", "active"),
    ], key=lambda row: row[1])


def test_registry_import_good_file_writes_the_audit_trail_of_institution_create(actor):
    registered = institution_create(actor=actor, **{
        "name": "逐个登记研究院", "credit_code": make_credit_code(90),
        "district": District.objects.get(name="鼓楼区"),
        "cluster": Cluster.objects.get(name="工程机械"), "filing_date": dt.date(2021, 5, 10),
        "legal_representative": "张三", "contact_person": "李四",
        "contact_phone": "0516-83000000", "contact_email": "one@example.cn",
        "address": "徐州市鼓楼区科技路1号",
    })
    single_entry = LogEntry.objects.get_for_object(registered).get()

    result = registry_import(file=xlsx_upload([good_row(1), good_row(2)]), actor=actor)

    assert result == ImportResult(created=2, errors=[])
    institution_type = ContentType.objects.get_for_model(Institution)
    for row_number, code in ((2, make_credit_code(1)), (3, make_credit_code(2))):
        institution = Institution.objects.get(credit_code=code)
        entry = LogEntry.objects.get_for_object(institution).get()
        assert (entry.action, entry.actor, entry.actor_email, entry.object_repr,
                entry.object_id, entry.content_type) == (
            LogEntry.Action.CREATE, actor, "importer@example.cn", institution.name,
            institution.pk, institution_type)
        assert entry.changes == {field: list(values) for field, values
                                 in model_instance_diff(None, institution).items()}
        assert entry.changes.keys() == single_entry.changes.keys()
        assert entry.changes["district"] == [
            "None", str(District.objects.get(name="鼓楼区").pk)]
        assert entry.additional_data == {
            "registry_import": {"file": "registry.xlsx", "row": row_number}}
    summary = LogEntry.objects.get(content_type=institution_type, object_pk="")
    first, second = sorted(Institution.objects.exclude(pk=registered.pk)
                           .values_list("pk", flat=True))
    assert (summary.action, summary.actor, summary.object_repr, summary.additional_data) == (
        LogEntry.Action.CREATE, actor, "Registry import of 2 institutions from registry.xlsx",
        {"registry_import": {"file": "registry.xlsx", "created": 2, "first_pk": first,
                             "last_pk": second}})


def test_registry_import_more_rows_than_a_batch_imports_all(actor):
    rows = [good_row(n) for n in range(1, 1203)]

    result = registry_import(file=xlsx_upload(rows), actor=actor)

    assert result == ImportResult(created=1202, errors=[])
    assert Institution.objects.count() == 1202
    assert LogEntry.objects.filter(actor=actor).count() == 1203


def test_registry_import_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(actor):
    rows = [good_row(1), [None] * len(COLUMNS), ["", " "], good_row(2, district="火星区")]

    result = registry_import(file=xlsx_upload(rows), actor=actor)

    assert result == ImportResult(created=0, errors=[
        RowError(5, "所属地区", "Unknown district “火星区”: use a district name or its 6-digit "
                              "code from the instructions sheet."),
    ])


def test_registry_import_export_only_columns_are_accepted_and_ignored(actor):
    header = [*HEADER, "备案状态", "状态变更日期"]
    rows = [[*good_row(1), "撤销备案", dt.date(2024, 1, 1)]]

    result = registry_import(file=xlsx_upload(rows, header), actor=actor)

    assert result == ImportResult(created=1, errors=[])
    assert Institution.objects.get().status == "active"


def test_registry_import_columns_in_another_order_are_read_by_title(actor):
    order = list(reversed(range(len(HEADER))))
    row = good_row(1)

    result = registry_import(
        file=xlsx_upload([[row[i] for i in order]], [HEADER[i] for i in order]), actor=actor)

    assert result == ImportResult(created=1, errors=[])
    assert registry_rows()[0][:2] == ("导入测试研究院001", make_credit_code(1))


# --- Bad rows: exact (row, column, reason), nothing imported -------------------------------

def _wrong_check_character(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


TOMORROW = "tomorrow"

BAD_ROWS = [
    pytest.param(
        {"credit_code": _wrong_check_character(make_credit_code(2))}, CODE_TITLE,
        f"The check character of credit code {_wrong_check_character(make_credit_code(2))} "
        "does not match.", id="checksum"),
    pytest.param(
        {"credit_code": "91320302MA1XZ00"}, CODE_TITLE,
        "91320302MA1XZ00 is not a valid unified social credit code (18 characters, GB 32100).",
        id="length"),
    pytest.param(
        {"credit_code": make_credit_code(1)}, CODE_TITLE,
        f"Credit code {make_credit_code(1)} also appears in row 2.", id="duplicate-in-file"),
    pytest.param({"district": "火星区"}, "所属地区",
                 "Unknown district “火星区”: use a district name or its 6-digit code from the "
                 "instructions sheet.", id="unknown-district"),
    pytest.param({"district": "320399"}, "所属地区",
                 "Unknown district “320399”: use a district name or its 6-digit code from the "
                 "instructions sheet.", id="unknown-district-code"),
    pytest.param({"cluster": "航空航天"}, "产业集群",
                 "Unknown industry cluster “航空航天”: use a cluster name from the instructions "
                 "sheet.", id="unknown-cluster"),
    pytest.param({"filing_date": "2021-13-01"}, "备案日期",
                 "“2021-13-01” is not a date: enter it as YYYY-MM-DD, YYYY/MM/DD or "
                 "YYYY年M月D日.", id="bad-date"),
    pytest.param({"filing_date": "10/05/2021"}, "备案日期",
                 "“10/05/2021” is not a date: enter it as YYYY-MM-DD, YYYY/MM/DD or "
                 "YYYY年M月D日.", id="day-first-date"),
    pytest.param({"filing_date": TOMORROW}, "备案日期", None, id="future-date"),
    pytest.param({"legal_representative": ""}, "法定代表人", "This field cannot be blank.",
                 id="missing-legal-representative"),
    pytest.param({"credit_code": None}, CODE_TITLE, "This field cannot be blank.",
                 id="missing-credit-code"),
    pytest.param({"district": " "}, "所属地区", "This field cannot be blank.",
                 id="missing-district"),
    pytest.param({"filing_date": None}, "备案日期", "This field cannot be blank.",
                 id="missing-date"),
    pytest.param({"name": "研" * 201}, "名称",
                 "Ensure this value has at most 200 characters (it has 201).", id="name-too-long"),
    pytest.param({"contact_phone": "1" * 31}, "联系电话",
                 "Ensure this value has at most 30 characters (it has 31).", id="phone-too-long"),
    pytest.param({"contact_email": "not-an-email"}, "电子邮箱", "Enter a valid email address.",
                 id="bad-email"),
]


@pytest.mark.parametrize(("changes", "column", "reason"), BAD_ROWS)
def test_registry_import_bad_row_is_reported_and_nothing_imported(actor, changes, column,
                                                                  reason):
    if changes.get("filing_date") == TOMORROW:
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        changes = {"filing_date": tomorrow}
        reason = f"The filing date {tomorrow.isoformat()} is in the future."
    rows = [good_row(1), good_row(2, **changes), good_row(3)]

    result = registry_import(file=xlsx_upload(rows), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(3, column, reason)])
    assert Institution.objects.count() == 0
    assert LogEntry.objects.filter(actor=actor).count() == 0


def test_registry_import_code_already_registered_is_reported(actor):
    InstitutionFactory(name="已登记研究院", credit_code=make_credit_code(2))
    # Codes are compared after normalisation: lower case and spaces do not hide a duplicate.
    rows = [good_row(1), good_row(2, credit_code=make_credit_code(2).lower().replace("3", "3 ")),
            good_row(3)]

    result = registry_import(file=xlsx_upload(rows), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(
        3, CODE_TITLE,
        f"An institution with credit code {make_credit_code(2)} is already registered: "
        "已登记研究院.")])
    assert Institution.objects.count() == 1


def test_registry_import_every_problem_of_every_row_is_reported(actor):
    InstitutionFactory(name="已登记研究院", credit_code=make_credit_code(4))
    rows = [
        good_row(1, district="火星区", cluster="航空航天"),
        good_row(2),
        good_row(3, credit_code=make_credit_code(2), contact_email="bad", filing_date="昨天"),
        good_row(4, contact_person=""),
    ]

    result = registry_import(file=xlsx_upload(rows), actor=actor)

    assert result == ImportResult(created=0, errors=[
        RowError(2, "所属地区", "Unknown district “火星区”: use a district name or its 6-digit "
                              "code from the instructions sheet."),
        RowError(2, "产业集群", "Unknown industry cluster “航空航天”: use a cluster name from "
                              "the instructions sheet."),
        RowError(4, CODE_TITLE, f"Credit code {make_credit_code(2)} also appears in row 3."),
        RowError(4, "备案日期", "“昨天” is not a date: enter it as YYYY-MM-DD, YYYY/MM/DD or "
                              "YYYY年M月D日."),
        RowError(4, "电子邮箱", "Enter a valid email address."),
        RowError(5, CODE_TITLE, f"An institution with credit code {make_credit_code(4)} is "
                                "already registered: 已登记研究院."),
        RowError(5, "联系人", "This field cannot be blank."),
    ])
    assert Institution.objects.count() == 1


# --- Bad files -----------------------------------------------------------------------------

NOT_XLSX = ("The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
            "“Excel workbook (*.xlsx)” and upload it again.")


def test_registry_import_text_file_renamed_xlsx_is_refused(actor):
    content = "名称,统一社会信用代码\n导入测试研究院,91320302MA1XZ0001X\n".encode()

    result = registry_import(file=upload(content), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(None, "", NOT_XLSX)])


def test_registry_import_zip_that_is_not_a_workbook_is_refused(actor):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")

    result = registry_import(file=upload(buffer.getvalue()), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(None, "", NOT_XLSX)])


def test_registry_import_damaged_sheet_is_refused(actor):
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([good_row(1), good_row(2)])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[:len(content) // 2]
            archive.writestr(item, content)

    result = registry_import(file=upload(buffer.getvalue()), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "The workbook could not be read; it may be damaged. Open it in Excel or WPS, "
                  "save it again as .xlsx and upload it again.")])
    assert Institution.objects.count() == 0


def test_registry_import_file_above_the_limit_is_refused(actor, settings):
    settings.REGISTRY_IMPORT_MAX_BYTES = 1024
    content = b"PK\x03\x04" + b"0" * 2044

    result = registry_import(file=upload(content), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "The file is 2.0\xa0KB; the largest file accepted is 1.0\xa0KB.")])


def test_registry_import_empty_sheet_is_refused(actor):
    result = registry_import(file=xlsx_upload([], header=None), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "The sheet is empty: the first row must hold the column titles of the "
                  "template.")])


def test_registry_import_header_without_rows_is_refused(actor):
    result = registry_import(file=xlsx_upload([]), actor=actor)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "The sheet has no institution rows under its header.")])


def test_registry_import_missing_unknown_and_repeated_columns_are_reported(actor):
    header = [title for title in HEADER if title not in ("产业集群", "地址")]
    header += ["备注", "名称"]
    row = [value for title, value in zip(HEADER, good_row(1), strict=True)
           if title not in ("产业集群", "地址")]

    result = registry_import(file=xlsx_upload([[*row, "x", "y"]], header), actor=actor)

    assert result == ImportResult(created=0, errors=[
        RowError(1, "备注", "Unknown column: use the column titles of the import template."),
        RowError(1, "名称", "This column appears more than once."),
        RowError(1, "产业集群", "This required column is missing."),
    ])


def test_registry_import_optional_columns_may_be_left_out(actor):
    header = HEADER[:-2]

    result = registry_import(file=xlsx_upload([good_row(1)[:-2]], header), actor=actor)

    assert result == ImportResult(created=1, errors=[])
    assert Institution.objects.values_list("contact_email", "address").get() == ("", "")


# --- The template --------------------------------------------------------------------------

def test_registry_template_workbook_has_the_header_sample_and_instructions(db):
    workbook = load_workbook(io.BytesIO(registry_template_workbook()))

    data, notes = workbook.worksheets
    assert (data.title, notes.title) == ("机构名录", "填写说明")
    assert [cell.value for cell in data[1]] == HEADER
    assert data["A2"].value is None
    column_a = [row[0] for row in notes.iter_rows(values_only=True)]
    districts = list(District.objects.values_list("name", flat=True))
    clusters = list(Cluster.objects.values_list("name", flat=True))
    start = column_a.index("所属地区") + 1
    assert column_a[start:start + len(districts)] == districts
    start = column_a.index("产业集群") + 1
    assert column_a[start:start + len(clusters)] == clusters
    assert sorted(str(v.sqref) for v in data.data_validations.dataValidation) == [
        "C2:C1001", "D2:D1001"]


def test_registry_template_workbook_unchanged_imports_nothing(actor):
    """The sample lives on the instructions sheet: an unfilled template imports no one."""
    template = registry_template_workbook()

    result = registry_import(file=upload(template, "template.xlsx"), actor=actor)

    assert (result.created, [error.row for error in result.errors]) == (0, [None])
    assert Institution.objects.count() == 0


def test_registry_template_workbook_sample_line_is_a_valid_code(db):
    notes = load_workbook(io.BytesIO(registry_template_workbook()))["填写说明"]
    sample = next(row[0] for row in notes.iter_rows(values_only=True)
                  if row[0] and str(row[0]).startswith("2. 填写示例"))
    code = sample.split(" | ")[1]
    assert uscc.is_valid(code)
