"""The registry Excel export: the import columns plus the filing status, re-importable."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from institutions.enums import FilingStatus
from institutions.exporters import registry_workbook
from institutions.importers import ImportResult, registry_import
from institutions.models import Cluster, District, Institution
from institutions.services import institution_change_status
from tests.factories import InstitutionFactory, UserFactory, make_credit_code

EXPORT_HEADER = ("名称", "统一社会信用代码", "所属地区", "产业集群", "备案日期", "法定代表人",
                 "联系人", "联系电话", "电子邮箱", "地址", "备案状态", "状态变更日期")
REGISTRY_FIELDS = ("name", "credit_code", "district__name", "cluster__name", "filing_date",
                   "legal_representative", "contact_person", "contact_phone", "contact_email",
                   "address")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def sheet_rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        # Empty trailing cells are not stored, so a short row means blanks at its end.
        return [row + (None,) * (len(EXPORT_HEADER) - len(row))
                for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_registry_workbook_lists_the_import_columns_and_the_status(db):
    actor = UserFactory(username="exporter")
    gulou = District.objects.get(name="鼓楼区")
    kept = InstitutionFactory(name="甲研究院", credit_code=make_credit_code(1), district=gulou,
                              cluster=Cluster.objects.get(name="新材料"),
                              filing_date=dt.date(2020, 1, 2), contact_email="", address="")
    cancelled = InstitutionFactory(name="乙研究院", credit_code=make_credit_code(2),
                                   district=gulou, contact_email="b@example.cn")
    institution_change_status(institution=cancelled, to_status=FilingStatus.CANCELLED,
                              reason="不再符合条件", actor=actor,
                              effective_on=dt.date(2024, 3, 1))

    rows = sheet_rows(registry_workbook(Institution.objects.order_by("credit_code")))

    assert rows == [
        EXPORT_HEADER,
        ("甲研究院", kept.credit_code, "鼓楼区", "新材料", dt.datetime(2020, 1, 2), "张三",
         "李四", "0516-83000000", None, None, "备案有效", None),
        ("乙研究院", cancelled.credit_code, "鼓楼区", "工程机械", dt.datetime(2021, 5, 10),
         "张三", "李四", "0516-83000000", "b@example.cn", "徐州市鼓楼区科技路1号", "已取消备案",
         dt.datetime(2024, 3, 1)),
    ]


def test_registry_workbook_of_an_empty_queryset_has_only_the_header(db):
    assert sheet_rows(registry_workbook(Institution.objects.none())) == [EXPORT_HEADER]


def test_registry_workbook_writes_formula_like_text_as_text(db):
    InstitutionFactory(name='=HYPERLINK("http://example.com","点击")')

    content = registry_workbook(Institution.objects.all())

    workbook = load_workbook(io.BytesIO(content))
    cell = workbook.worksheets[0]["A2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://example.com","点击")', "s")


def test_registry_workbook_reimports_into_an_empty_registry(db):
    actor = UserFactory(username="roundtrip")
    districts = list(District.objects.all())
    clusters = list(Cluster.objects.all())
    for n in range(30):
        InstitutionFactory(
            name=f"往返测试研究院{n:02d}", credit_code=make_credit_code(n, region="320303"),
            district=districts[n % len(districts)], cluster=clusters[n % len(clusters)],
            filing_date=dt.date(2015, 1, 1) + dt.timedelta(days=97 * n),
            contact_phone=f"1380000{n:04d}", contact_email="" if n % 3 else f"x{n}@example.cn",
            address="" if n % 4 else f"地址{n}",
        )
    before = list(Institution.objects.order_by("credit_code").values_list(*REGISTRY_FIELDS))
    content = registry_workbook(Institution.objects.all())
    Institution.objects.all().delete()

    result = registry_import(file=SimpleUploadedFile("registry-export.xlsx", content),
                             actor=actor)

    assert result == ImportResult(created=30, errors=[])
    after = list(Institution.objects.order_by("credit_code").values_list(*REGISTRY_FIELDS))
    assert after == before
