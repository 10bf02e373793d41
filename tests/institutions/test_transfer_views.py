"""The import, template and export pages: permissions, the import report, the export scope."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from institutions.importers import RowError
from institutions.models import Cluster, District, Institution
from tests.factories import InstitutionFactory, make_credit_code
from tests.institutions.test_importers import good_row, xlsx_bytes

IMPORT_URL = reverse("institutions:import")
TEMPLATE_URL = reverse("institutions:import_template")
EXPORT_URL = reverse("institutions:export")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ROLES = ["city_admin", "panel_organiser", "expert", "district_reviewer",
         "district_reviewer_other", "institution_filer", "institution_admin",
         "institution_filer_other"]
MANAGERS = {"city_admin"}
VIEWERS = {"city_admin", "panel_organiser", "district_reviewer", "district_reviewer_other"}


@pytest.fixture(autouse=True)
def english(client, settings):
    # Messages are asserted in the source language: requests ask for English (LocaleMiddleware
    # reads the cookie), and so does the test code around them.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def logged_in(client, user):
    client.force_login(user)
    return client


def export_names(response) -> list[str]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    try:
        return [row[0] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)]
    finally:
        workbook.close()


# --- Permissions ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", [IMPORT_URL, TEMPLATE_URL, EXPORT_URL])
def test_transfer_views_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (
        302, f"{reverse('login')}?next={url}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url", "allowed"), [
    (IMPORT_URL, MANAGERS), (TEMPLATE_URL, MANAGERS), (EXPORT_URL, VIEWERS),
])
def test_transfer_views_permission_by_role(client, users, role, url, allowed):
    response = logged_in(client, users[role]).get(url)

    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", sorted(set(ROLES) - MANAGERS))
def test_registry_import_view_post_without_permission_is_forbidden(client, users, role):
    upload = SimpleUploadedFile("registry.xlsx", xlsx_bytes([good_row(1)]))

    response = logged_in(client, users[role]).post(IMPORT_URL, {"file": upload})

    assert response.status_code == 403
    assert Institution.objects.filter(credit_code=make_credit_code(1)).exists() is False


# --- Import --------------------------------------------------------------------------------

def test_registry_import_view_get_shows_the_form_and_the_template_link(client, city_admin):
    response = logged_in(client, city_admin).get(IMPORT_URL)

    content = response.content.decode()
    assert response.templates[0].name == "institutions/registry_import.html"
    assert f'href="{TEMPLATE_URL}"' in content
    assert 'enctype="multipart/form-data"' in content
    assert 'accept=".xlsx,' in content


def test_registry_import_view_good_file_imports_and_redirects(client, city_admin):
    before = Institution.objects.count()
    upload = SimpleUploadedFile("registry.xlsx", xlsx_bytes([good_row(1), good_row(2)]))

    response = logged_in(client, city_admin).post(IMPORT_URL, {"file": upload})

    assert (response.status_code, response["Location"]) == (302, reverse("institutions:list"))
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Imported 2 institutions into the registry."]
    assert Institution.objects.count() == before + 2
    # The request's details reach the bulk-written audit entries as they reach save()'s.
    assert set(LogEntry.objects.filter(actor=city_admin).values_list(
        "action", "remote_addr")) == {(LogEntry.Action.CREATE, "127.0.0.1")}
    assert LogEntry.objects.filter(actor=city_admin).count() == 3


def test_registry_import_view_bad_file_shows_the_report_and_imports_nothing(client,
                                                                           city_admin):
    before = Institution.objects.count()
    rows = [good_row(1), good_row(2, cluster="航空航天", contact_email="bad")]
    upload = SimpleUploadedFile("registry.xlsx", xlsx_bytes(rows))

    response = logged_in(client, city_admin).post(IMPORT_URL, {"file": upload})

    assert response.status_code == 200
    assert (response.context["file_errors"], response.context["row_errors"]) == ([], [
        RowError(3, "产业集群", "Unknown industry cluster “航空航天”: use a cluster name from "
                              "the instructions sheet."),
        RowError(3, "电子邮箱", "Enter a valid email address."),
    ])
    content = response.content.decode()
    assert "<tr><td>3</td><td>电子邮箱</td><td>Enter a valid email address.</td></tr>" in content
    assert "Nothing was imported" in content
    assert Institution.objects.count() == before


def test_registry_import_view_text_file_is_refused_with_a_message(client, city_admin):
    before = Institution.objects.count()
    upload = SimpleUploadedFile("registry.xlsx", "名称,统一社会信用代码\n".encode())

    response = logged_in(client, city_admin).post(IMPORT_URL, {"file": upload})

    assert response.status_code == 200
    assert (response.context["file_errors"], response.context["row_errors"]) == ([RowError(
        None, "", "The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it "
                  "as “Excel workbook (*.xlsx)” and upload it again.")], [])
    assert "The file is not an Excel workbook (.xlsx)." in response.content.decode()
    assert Institution.objects.count() == before


def test_registry_import_view_oversized_file_is_refused(client, city_admin, settings):
    settings.REGISTRY_IMPORT_MAX_BYTES = 2048
    before = Institution.objects.count()
    content = xlsx_bytes([good_row(n) for n in range(1, 40)])
    assert len(content) > 2048
    upload = SimpleUploadedFile("registry.xlsx", content)

    response = logged_in(client, city_admin).post(IMPORT_URL, {"file": upload})

    assert response.status_code == 200
    [error] = response.context["file_errors"]
    assert (error.row, error.column, error.reason.endswith(
        "the largest file accepted is 2.0\xa0KB.")) == (None, "", True)
    assert Institution.objects.count() == before


def test_registry_import_view_without_a_file_shows_the_form_error(client, city_admin):
    response = logged_in(client, city_admin).post(IMPORT_URL, {})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This field is required."]}


# --- Template ------------------------------------------------------------------------------

def test_registry_import_template_view_downloads_the_workbook(client, city_admin):
    response = logged_in(client, city_admin).get(TEMPLATE_URL)

    assert (response["Content-Type"], response["Content-Disposition"]) == (
        XLSX, "attachment; filename*=utf-8''%E6%96%B0%E5%9E%8B%E7%A0%94%E5%8F%91%E6%9C%BA%E6%9E"
              "%84%E5%90%8D%E5%BD%95%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["机构名录", "填写说明"]


# --- Export --------------------------------------------------------------------------------

def test_registry_export_view_names_the_file_with_the_date(client, city_admin):
    response = logged_in(client, city_admin).get(EXPORT_URL)

    assert (response["Content-Type"], response["Content-Disposition"]) == (
        XLSX, f'attachment; filename="registry-{timezone.localdate():%Y-%m-%d}.xlsx"')


def test_registry_export_view_city_admin_exports_every_district(client, users):
    response = logged_in(client, users["city_admin"]).get(EXPORT_URL)

    assert sorted(export_names(response)) == sorted(["徐州工程机械研究院", "云龙新材料研究院"])


def test_registry_export_view_district_reviewer_exports_only_its_district(client, users, gulou,
                                                                           yunlong):
    InstitutionFactory(name="鼓楼第二研究院", district=gulou)
    InstitutionFactory(name="云龙第二研究院", district=yunlong)

    # A reviewer cannot widen the scope by asking for another district in the query.
    response = logged_in(client, users["district_reviewer"]).get(
        EXPORT_URL, {"district": yunlong.pk})

    assert sorted(export_names(response)) == sorted(["徐州工程机械研究院", "鼓楼第二研究院"])


def test_registry_export_view_applies_the_list_filters(client, users, gulou):
    new_materials = Cluster.objects.get(name="新材料")
    InstitutionFactory(name="鼓楼新材料研究院", district=gulou, cluster=new_materials,
                       filing_date=dt.date(2023, 4, 1))
    InstitutionFactory(name="鼓楼新材料研究院旧", district=gulou, cluster=new_materials,
                       filing_date=dt.date(2019, 4, 1))

    response = logged_in(client, users["city_admin"]).get(EXPORT_URL, {
        "q": "新材料", "district": gulou.pk, "cluster": new_materials.pk, "filing_year": 2023,
    })

    assert export_names(response) == ["鼓楼新材料研究院"]


def test_registry_export_view_query_count_does_not_grow_with_the_data(client, users):
    client = logged_in(client, users["city_admin"])
    counts = []
    for extra in (2, 40):
        InstitutionFactory.create_batch(extra, district=District.objects.get(name="泉山区"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(EXPORT_URL).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_registry_import_view_long_report_is_cut_with_a_count(client, city_admin, monkeypatch):
    monkeypatch.setattr("institutions.views.transfer.REPORT_ROWS_SHOWN", 2)
    rows = [good_row(n, cluster="航空航天") for n in range(1, 6)]
    upload = SimpleUploadedFile("registry.xlsx", xlsx_bytes(rows))

    response = logged_in(client, city_admin).post(IMPORT_URL, {"file": upload})

    assert [error.row for error in response.context["shown_row_errors"]] == [2, 3]
    assert response.context["hidden_error_count"] == 3
    assert "… and 3 more problems not shown." in response.content.decode()
