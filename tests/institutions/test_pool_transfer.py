"""The expert pool's Excel template, import and export (R6a): the registry import's refusal of
hostile files and its all-or-nothing report, with every row checked as ``expert_create``
checks an expert and written through it."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from institutions.enums import ExpertStatus, Gender, TitleLevel
from institutions.importers import ImportResult, RowError
from institutions.models import Cluster, Expert, ExpertEmployment
from institutions.pool_workbooks import (
    COLUMNS,
    expert_import,
    expert_template_workbook,
    expert_workbook,
)
from tests.conftest import VALID_CODE, VALID_CODE_2, VALID_CODE_3
from tests.factories import ExpertFactory, make_credit_code
from tests.institutions.test_importers import upload, xlsx_bytes
from tests.test_hostile_archives import CONTENT_TYPES, package, workbook_with_shared_strings

HEADER = [column.title for column in COLUMNS]
IMPORT_URL = reverse("institutions:expert_import")
TEMPLATE_URL = reverse("institutions:expert_import_template")
EXPORT_URL = reverse("institutions:expert_export")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADER = [*HEADER, "状态", "暂停原因"]


@pytest.fixture(autouse=True)
def english(client, settings):
    # Reasons are asserted in the source language; the sheet's data stays Chinese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def organiser(users):
    return users["panel_organiser"]


def good_row(n: int, **changes) -> list:
    """A valid pool row for serial ``n``; ``changes`` replace cells by field name."""
    values = {
        "pool_number": f"E{n:04d}", "name": f"导入专家{n:03d}", "gender": "男",
        "employer_name": "中国矿业大学", "employer_credit_code": make_credit_code(n, "12"),
        "title": "教授", "title_level": "正高级职称", "clusters": "工程机械",
        "phone": "13900000000", "email": f"expert{n}@example.cn", "employments": "",
    }
    values.update(changes)
    return [values[column.field] for column in COLUMNS]


def pool_upload(rows: list[list], header: list | None = HEADER, name: str = "experts.xlsx"):
    return upload(xlsx_bytes(rows, header), name)


def sheet_rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def _nothing_written(actor) -> bool:
    return (not Expert.objects.exists() and not ExpertEmployment.objects.exists()
            and not LogEntry.objects.filter(actor=actor).exists())


# --- The template --------------------------------------------------------------------------

def test_expert_template_has_the_header_instructions_and_drop_downs(reference_data):
    data, notes = load_workbook(io.BytesIO(expert_template_workbook())).worksheets

    assert [data.title, notes.title, data["A2"].value] == ["专家名录", "填写说明", None]
    assert [cell.value for cell in data[1]] == HEADER
    column_a = [row[0] for row in notes.iter_rows(values_only=True)]
    assert set(HEADER) <= set(column_a)  # what each column takes
    clusters = list(Cluster.objects.values_list("name", flat=True))
    start = column_a.index("产业集群") + 1
    assert column_a[start:start + len(clusters)] == clusters
    formulas = {str(v.sqref): v.formula1 for v in data.data_validations.dataValidation}
    assert formulas["C2:C1001"] == '"男,女"'
    assert formulas["G2:G1001"] == '"正高级职称,副高级职称,中级职称,初级职称"'
    assert formulas["H2:H1001"] == f"'填写说明'!$A${start + 1}:$A${start + len(clusters)}"


def test_expert_template_unchanged_imports_nothing_and_filled_in_imports(organiser):
    template = expert_template_workbook()
    result = expert_import(file=upload(template, "template.xlsx"), actor=organiser)
    assert (result.created, [error.row for error in result.errors]) == (0, [None])

    workbook = load_workbook(io.BytesIO(template))
    workbook["专家名录"].append(good_row(1, clusters="工程机械、新材料",
                                        employments=f"徐州工程机械研究院|{VALID_CODE}"))
    filled = io.BytesIO()
    workbook.save(filled)

    result = expert_import(file=upload(filled.getvalue(), "filled.xlsx"), actor=organiser)

    assert result == ImportResult(created=1, errors=[])
    expert = Expert.objects.get()
    assert sorted(expert.clusters.values_list("name", flat=True)) == ["工程机械", "新材料"]
    assert list(expert.employments.values_list("credit_code", flat=True)) == [VALID_CODE]


def test_expert_template_view_downloads_the_workbook(client, organiser):
    client.force_login(organiser)

    response = client.get(TEMPLATE_URL)

    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["专家名录", "填写说明"]


# --- A good file ---------------------------------------------------------------------------

def test_expert_import_good_file_creates_experts_with_clusters_and_past_employers(organiser):
    rows = [
        good_row(1, pool_number=" e0001 ", clusters="工程机械，新材料；工程机械",
                 employments=f"徐州工程机械研究院|{VALID_CODE}|2019-01-01|2024-06-30；"
                             f"江苏师范大学｜{VALID_CODE_3.lower()}"),
        good_row(2, gender="女", title="研究员", title_level="副高级职称",
                 employer_credit_code=f" {VALID_CODE_2.lower()} ", phone=13800000000,
                 clusters="新材料, 工程机械", employments=f"徐州市某公司|{VALID_CODE}||2023-12-31"),
    ]

    result = expert_import(file=pool_upload(rows), actor=organiser)

    assert result == ImportResult(created=2, errors=[])
    first, second = Expert.objects.order_by("pool_number")
    assert (first.pool_number, first.name, first.gender, first.title_level, first.status) == (
        "E0001", "导入专家001", Gender.MALE, TitleLevel.FULL_SENIOR, ExpertStatus.ACTIVE)
    assert (second.gender, second.title_level, second.employer_credit_code, second.phone) == (
        Gender.FEMALE, TitleLevel.ASSOCIATE_SENIOR, VALID_CODE_2, "13800000000")
    for expert in (first, second):
        assert sorted(expert.clusters.values_list("name", flat=True)) == ["工程机械", "新材料"]
    assert sorted(first.employments.values_list("employer_name", "credit_code", "started_on",
                                                "ended_on")) == [
        ("徐州工程机械研究院", VALID_CODE, dt.date(2019, 1, 1), dt.date(2024, 6, 30)),
        ("江苏师范大学", VALID_CODE_3, None, None)]
    assert list(second.employments.values_list("started_on", "ended_on")) == [
        (None, dt.date(2023, 12, 31))]


def test_expert_import_writes_the_audit_trail_of_expert_create_by_the_actor(organiser):
    result = expert_import(file=pool_upload([good_row(1), good_row(2)]), actor=organiser)

    assert result.created == 2
    for row_number, pool_number in ((2, "E0001"), (3, "E0002")):
        expert = Expert.objects.get(pool_number=pool_number)
        entry = LogEntry.objects.get_for_object(expert).get()
        assert (entry.action, entry.actor, entry.object_repr) == (
            LogEntry.Action.CREATE, organiser, str(expert))
        assert entry.changes["pool_number"] == ["None", pool_number]
        assert entry.additional_data == {
            "expert_import": {"file": "experts.xlsx", "row": row_number}}
    summary = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(Expert),
                                   object_pk="")
    pks = sorted(Expert.objects.values_list("pk", flat=True))
    assert (summary.actor, summary.object_repr, summary.additional_data) == (
        organiser, "Expert pool import of 2 experts from experts.xlsx",
        {"expert_import": {"file": "experts.xlsx", "created": 2, "first_pk": pks[0],
                           "last_pk": pks[1]}})


def test_expert_import_export_only_columns_and_column_order(organiser):
    order = list(reversed(range(len(EXPORT_HEADER))))
    row = [*good_row(1), "暂停", "出国"]

    result = expert_import(file=pool_upload([[row[i] for i in order]],
                                            [EXPORT_HEADER[i] for i in order]), actor=organiser)

    assert result == ImportResult(created=1, errors=[])
    assert Expert.objects.values_list("status", "suspension_reason").get() == (
        ExpertStatus.ACTIVE, "")


def test_expert_import_past_employers_column_may_be_left_out(organiser):
    result = expert_import(file=pool_upload([good_row(1)[:-1]], HEADER[:-1]), actor=organiser)

    assert result == ImportResult(created=1, errors=[])


# --- Bad rows: exact (row, column, reason), nothing written ------------------------------

BAD_CODE = VALID_CODE[:-1] + ("0" if VALID_CODE[-1] != "0" else "1")

BAD_ROWS = [
    pytest.param({"title_level": "中级职称", "title": "工程师"}, "职称级别",
                 "The expert pool takes experts with a title of Associate senior title or "
                 "higher.", id="title-below-associate-senior"),
    pytest.param({"title_level": "高级"}, "职称级别",
                 "Unknown title level “高级”: enter one of "
                 "正高级职称、副高级职称、中级职称、初级职称.",
                 id="unknown-title-level"),
    pytest.param({"gender": "M"}, "性别", "Unknown gender “M”: enter 男 or 女.",
                 id="unknown-gender"),
    pytest.param({"clusters": "工程机械、航空航天"}, "可评审产业集群",
                 "Unknown industry cluster “航空航天”: use a cluster name from the instructions "
                 "sheet.", id="unknown-cluster"),
    pytest.param({"clusters": " "}, "可评审产业集群",
                 "Choose at least one cluster the expert can judge.", id="no-cluster"),
    pytest.param({"employer_credit_code": BAD_CODE}, "工作单位统一社会信用代码",
                 f"The check character of credit code {BAD_CODE} does not match.",
                 id="bad-credit-code"),
    pytest.param({"employments": f"徐州工程机械研究院|{BAD_CODE}"}, "近三年其他工作单位",
                 f"Past employer 1: The check character of credit code {BAD_CODE} does not "
                 "match.", id="bad-past-employer-code"),
    pytest.param({"employments": f"甲单位|{VALID_CODE}；乙单位|{VALID_CODE}|2024-13-01"},
                 "近三年其他工作单位",
                 "Past employer 2: “2024-13-01” is not a date: enter it as YYYY-MM-DD.",
                 id="bad-past-employer-date"),
    pytest.param({"employments": f"甲单位|{VALID_CODE}|2024-01-01|2020-01-01"},
                 "近三年其他工作单位",
                 "Past employer 1: A past employer's end date is before its start date: 甲单位.",
                 id="past-employer-dates-reversed"),
    pytest.param({"employments": "甲单位"}, "近三年其他工作单位",
                 "Past employer 1: “甲单位” is not 单位名称|信用代码|起始日期|截止日期 (the dates "
                 "may be left out).", id="past-employer-format"),
    pytest.param({"pool_number": "E0001"}, "专家编号", "Pool number E0001 also appears in row 2.",
                 id="duplicate-in-file"),
    pytest.param({"pool_number": "E 01"}, "专家编号", "Letters, digits and hyphens only.",
                 id="bad-pool-number"),
    pytest.param({"name": ""}, "姓名", "This field cannot be blank.", id="missing-name"),
    pytest.param({"email": "not-an-email"}, "电子邮箱", "Enter a valid email address.",
                 id="bad-email"),
]


@pytest.mark.parametrize(("changes", "column", "reason"), BAD_ROWS)
def test_expert_import_bad_row_is_reported_and_nothing_written(organiser, changes, column,
                                                               reason):
    rows = [good_row(1), good_row(2, **changes), good_row(3)]

    result = expert_import(file=pool_upload(rows), actor=organiser)

    assert result == ImportResult(created=0, errors=[RowError(3, column, reason)])
    assert _nothing_written(organiser)


def test_expert_import_title_the_pool_requires_is_the_services_setting(organiser, settings):
    settings.EXPERT_MIN_TITLE_LEVEL = TitleLevel.FULL_SENIOR

    result = expert_import(file=pool_upload([good_row(1, title_level="副高级职称")]),
                           actor=organiser)

    assert result == ImportResult(created=0, errors=[RowError(
        2, "职称级别", "The expert pool takes experts with a title of Full senior title or "
                     "higher.")])
    notes = load_workbook(io.BytesIO(expert_template_workbook()))["填写说明"]
    assert any("专家库只收正高级职称及以上的专家" in str(row[2])
               for row in notes.iter_rows(values_only=True) if row[0] == "职称级别")


def test_expert_import_pool_number_already_in_the_pool_is_reported(organiser):
    ExpertFactory(pool_number="E0002", name="库中专家")
    before = LogEntry.objects.count()

    result = expert_import(file=pool_upload([good_row(1), good_row(2, pool_number="e0002")]),
                           actor=organiser)

    assert result == ImportResult(created=0, errors=[RowError(
        3, "专家编号", "An expert with pool number E0002 is already in the pool: 库中专家.")])
    assert Expert.objects.count() == 1
    assert LogEntry.objects.count() == before


def test_expert_import_every_problem_of_every_row_is_reported(organiser):
    ExpertFactory(pool_number="E0009", name="库中专家")
    rows = [
        good_row(1, title_level="中级职称", clusters="航空航天"),
        good_row(2, employer_credit_code=BAD_CODE),
        good_row(3, pool_number="E0001"),
        good_row(4, pool_number="E0009", gender="未知"),
        good_row(5),
    ]

    result = expert_import(file=pool_upload(rows), actor=organiser)

    assert result.created == 0
    assert [(error.row, error.column, error.reason) for error in result.errors] == [
        (2, "职称级别",
         "The expert pool takes experts with a title of Associate senior title or higher."),
        (2, "可评审产业集群",
         "Unknown industry cluster “航空航天”: use a cluster name from the instructions sheet."),
        (3, "工作单位统一社会信用代码",
         f"The check character of credit code {BAD_CODE} does not match."),
        (4, "专家编号", "Pool number E0001 also appears in row 2."),
        (5, "专家编号", "An expert with pool number E0009 is already in the pool: 库中专家."),
        (5, "性别", "Unknown gender “未知”: enter 男 or 女."),
    ]
    assert Expert.objects.count() == 1


def test_expert_import_missing_and_unknown_columns_are_reported(organiser):
    header = [title for title in HEADER if title != "职称级别"] + ["备注"]
    row = [value for title, value in zip(HEADER, good_row(1), strict=True) if title != "职称级别"]

    result = expert_import(file=pool_upload([[*row, "x"]], header), actor=organiser)

    assert result == ImportResult(created=0, errors=[
        RowError(1, "备注", "Unknown column: use the column titles of the import template."),
        RowError(1, "职称级别", "This required column is missing."),
    ])


def test_expert_import_header_without_rows_is_refused(organiser):
    result = expert_import(file=pool_upload([]), actor=organiser)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "The sheet has no expert rows under its header.")])


# --- Hostile files: refused before anything parses them ---------------------------------

@pytest.fixture
def no_parsing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")
    monkeypatch.setattr("institutions.importers.load_workbook", refuse)


def test_expert_import_many_shared_strings_are_refused_unopened(organiser, settings,
                                                                 no_parsing):
    settings.XLSX_MAX_SHARED_STRINGS = 1000

    result = expert_import(file=upload(workbook_with_shared_strings(5000), "专家.xlsx"),
                           actor=organiser)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "“专家.xlsx” holds more than 1,000 distinct texts; a workbook may hold at "
                  "most 1,000. It was not opened.")])
    assert _nothing_written(organiser)


def test_expert_import_zip_bomb_is_refused_unopened(organiser, settings, no_parsing):
    settings.REGISTRY_IMPORT_MAX_UNCOMPRESSED_BYTES = 2**20
    bomb = package({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": "<workbook/>",
                    "xl/worksheets/sheet1.xml": bytes(2 * 2**20)})

    result = expert_import(file=upload(bomb, "专家.xlsx"), actor=organiser)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "“专家.xlsx” unpacks to 2.0\xa0MB; a Word or Excel file may unpack to at most "
                  "1.0\xa0MB. It was not opened.")])
    assert _nothing_written(organiser)


def test_expert_import_too_many_entries_are_refused_unopened(organiser, settings, no_parsing):
    settings.OFFICE_MAX_ENTRIES = 50
    bomb = package({"[Content_Types].xml": CONTENT_TYPES,
                    **{f"xl/media/{k}.xml": b"" for k in range(60)}})

    result = expert_import(file=upload(bomb, "专家.xlsx"), actor=organiser)

    assert result == ImportResult(created=0, errors=[RowError(
        None, "", "“专家.xlsx” is a package of 61 parts; a Word or Excel file may have at most "
                  "50. It was not opened.")])


def test_expert_import_file_above_the_limit_and_text_file_are_refused(organiser, settings,
                                                                      no_parsing):
    settings.REGISTRY_IMPORT_MAX_BYTES = 1024
    too_large = expert_import(file=upload(b"PK\x03\x04" + b"0" * 2044), actor=organiser)
    text = expert_import(file=upload("专家编号,姓名\nE0001,王强\n".encode()), actor=organiser)

    assert [error.reason for error in too_large.errors] == [
        "The file is 2.0\xa0KB; the largest file accepted is 1.0\xa0KB."]
    assert [error.reason for error in text.errors] == [
        "The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
        "“Excel workbook (*.xlsx)” and upload it again."]
    assert _nothing_written(organiser)


# --- The export ----------------------------------------------------------------------------

def test_expert_workbook_lists_the_import_columns_the_status_and_the_reason(reference_data):
    clusters = list(Cluster.objects.order_by("sort_order")[:2])
    expert = ExpertFactory(pool_number="E0001", name="王强", gender=Gender.FEMALE,
                           employer_credit_code=VALID_CODE_2,
                           title_level=TitleLevel.ASSOCIATE_SENIOR, clusters=clusters,
                           status=ExpertStatus.SUSPENDED, suspension_reason="出国")
    ExpertEmployment.objects.create(expert=expert, employer_name="甲单位", credit_code=VALID_CODE,
                                    started_on=dt.date(2019, 1, 1), ended_on=dt.date(2024, 6, 30))
    ExpertEmployment.objects.create(expert=expert, employer_name="乙单位",
                                    credit_code=VALID_CODE_3)

    rows = sheet_rows(expert_workbook(Expert.objects.all()))

    assert list(rows[0]) == EXPORT_HEADER
    assert rows[1] == (
        "E0001", "王强", "女", "中国矿业大学", VALID_CODE_2, "教授", "副高级职称",
        "、".join(cluster.name for cluster in clusters), "13800000000", expert.email,
        f"甲单位|{VALID_CODE}|2019-01-01|2024-06-30；乙单位|{VALID_CODE_3}", "暂停", "出国")


def test_expert_workbook_reimports_into_an_empty_pool(organiser):
    ExpertFactory(pool_number="E0001", clusters=list(Cluster.objects.order_by("sort_order")[:3]))
    ExpertFactory(pool_number="E0002", status=ExpertStatus.SUSPENDED, suspension_reason="病休")
    exported = expert_workbook(Expert.objects.all())
    before = sorted(Expert.objects.values_list("pool_number", "name", "employer_credit_code"))
    Expert.objects.all().delete()

    result = expert_import(file=upload(exported, "export.xlsx"), actor=organiser)

    assert result == ImportResult(created=2, errors=[])
    assert sorted(Expert.objects.values_list("pool_number", "name",
                                             "employer_credit_code")) == before
    assert set(Expert.objects.values_list("status", flat=True)) == {ExpertStatus.ACTIVE}


def test_expert_export_view_applies_the_list_filters(client, users):
    new_materials = Cluster.objects.get(name="新材料")
    ExpertFactory(pool_number="E0001", clusters=[new_materials])
    ExpertFactory(pool_number="E0002", clusters=[new_materials],
                  title_level=TitleLevel.ASSOCIATE_SENIOR)
    ExpertFactory(pool_number="E0003", clusters=[new_materials], status=ExpertStatus.SUSPENDED)
    ExpertFactory(pool_number="E0004")
    client.force_login(users["city_admin"])

    response = client.get(EXPORT_URL, {"cluster": new_materials.pk,
                                       "title_level": TitleLevel.FULL_SENIOR})
    suspended = client.get(EXPORT_URL, {"status": ExpertStatus.SUSPENDED})

    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="experts-')
    assert [(row[0], row[11]) for row in sheet_rows(response.content)[1:]] == [
        ("E0001", "在库"), ("E0003", "暂停")]
    assert [row[0] for row in sheet_rows(suspended.content)[1:]] == ["E0003"]


def test_expert_export_view_query_count_does_not_grow_with_the_pool(client, users):
    client.force_login(users["panel_organiser"])
    counts = []
    for extra in (2, 30):
        for expert in ExpertFactory.create_batch(extra):
            ExpertEmployment.objects.create(expert=expert, employer_name="甲单位",
                                            credit_code=VALID_CODE)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(EXPORT_URL).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- The pages -----------------------------------------------------------------------------

def test_expert_import_view_good_file_imports_and_redirects(client, organiser):
    client.force_login(organiser)

    response = client.post(IMPORT_URL, {"file": pool_upload([good_row(1), good_row(2)])})

    assert response.status_code == 302
    assert response["Location"] == reverse("institutions:expert_list")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Imported 2 experts into the pool."]
    assert Expert.objects.count() == 2


def test_expert_import_view_bad_file_shows_the_report_and_writes_nothing(client, organiser):
    client.force_login(organiser)

    response = client.post(IMPORT_URL, {"file": pool_upload(
        [good_row(1), good_row(2, clusters="航空航天")])})

    assert response.status_code == 200
    assert response.context["row_errors"] == [RowError(
        3, "可评审产业集群", "Unknown industry cluster “航空航天”: use a cluster name from the "
                          "instructions sheet.")]
    content = response.content.decode()
    assert 'data-testid="import-report"' in content
    assert "The file has 1 problem." in content
    assert not Expert.objects.exists()


def test_expert_import_view_refused_file_shows_the_reason(client, organiser):
    client.force_login(organiser)

    response = client.post(IMPORT_URL, {"file": upload(b"not a workbook", "experts.xlsx")})

    assert [error.row for error in response.context["file_errors"]] == [None]
    assert response.context["row_errors"] == []
    assert not Expert.objects.exists()


def test_expert_import_view_get_shows_the_form_and_the_template_link(client, organiser):
    client.force_login(organiser)

    content = client.get(IMPORT_URL).content.decode()

    assert TEMPLATE_URL in content
    assert "Expert pool workbook (.xlsx)" in content


@pytest.mark.parametrize(("role", "buttons"), [
    ("panel_organiser", {"import", "export"}), ("city_admin", {"export"})])
def test_expert_list_shows_import_and_export_buttons_by_permission(client, users, role,
                                                                  buttons):
    client.force_login(users[role])

    content = client.get(reverse("institutions:expert_list"), {"status": "active"}
                         ).content.decode()

    shown = {name for name, url in (("import", IMPORT_URL), ("export", EXPORT_URL))
             if f'href="{url}' in content}
    assert shown == buttons
    assert f'href="{EXPORT_URL}?status=active"' in content
