"""The audit page and its Excel export: who may open them, what each role reads of the trail,
the filters (and what they do with bad input) and queries that do not grow with the trail."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from evaluations.enums import FraudKind
from evaluations.models import FraudReport, Participant, Rectification
from evaluations.services import findings
from institutions.audit.display import describe
from institutions.audit.selectors import ENTRY_RELATED, audit_entries_for_user
from institutions.models import Institution
from institutions.services import institution_update
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import open_preliminary_review
from tests.evaluations.self_evaluation_setup import upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL, EXPORT = "audit_log", "audit_log_export"
ROLES = ("city_admin", "panel_organiser", "expert", "district_reviewer",
         "district_reviewer_other", "institution_filer", "institution_admin",
         "institution_filer_other")


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- Who may open the page -------------------------------------------------------------------

@pytest.mark.parametrize("name", [URL, EXPORT])
@pytest.mark.parametrize("role, status", [
    ("city_admin", 200), ("panel_organiser", 403), ("expert", 403), ("district_reviewer", 200),
    ("district_reviewer_other", 200), ("institution_filer", 403), ("institution_admin", 200),
    ("institution_filer_other", 403)])
def test_audit_pages_answer_each_role(client_for, users, name, role, status):
    assert client_for(users[role]).get(reverse(name)).status_code == status


@pytest.mark.parametrize("name", [URL, EXPORT])
def test_audit_pages_send_anonymous_visitors_to_login(client_for, db, name):
    response = client_for(None).get(reverse(name))
    assert response["Location"] == f"{reverse('login')}?next={reverse(name)}"


# --- What each role reads ------------------------------------------------------------------

@pytest.fixture
def world(users, default_policy, private_media, institution, sibling_institution,
          other_institution, client):
    """A 2025 cycle in its preliminary review, and of each district: a registry change, a
    rectification notice, a fraud report (鼓楼区's confirmed, with its credit record), and a
    login of an institution account."""
    city = users["city_admin"]
    cycle = open_preliminary_review(city, submitted=[institution, sibling_institution,
                                                     other_institution])
    for inst, reviewer in ((institution, users["district_reviewer"]),
                           (other_institution, users["district_reviewer_other"])):
        institution_update(institution=inst, actor=city, contact_phone="0516-80000000")
        participant = Participant.objects.get(cycle=cycle, institution=inst)
        findings.rectification_issue(participant=participant, problems="补充研发费用凭证",
                                     deadline=timezone.localdate() + dt.timedelta(days=7),
                                     actor=reviewer)
        findings.fraud_report_file(participant=participant, kind=FraudKind.OVERSTATED,
                                   description="研发投入虚高", uploads=[upload("凭证.pdf")],
                                   actor=reviewer)
    findings.fraud_report_decide(
        report=FraudReport.objects.get(participant__institution=institution), confirm=True,
        reason="经核实属实", person_name="王五", person_role="法定代表人", actor=city)
    for username in ("filer", "filer2"):
        client.post(reverse("login"), {"username": username, "password": PASSWORD})
        client.post(reverse("logout"))
    return cycle


def _visible(user) -> tuple[int, set[str], set[tuple[str, str]]]:
    """How many entries the page lists for ``user``, their record types, and the (district,
    institution) they concern."""
    rows = describe(audit_entries_for_user(user).select_related(*ENTRY_RELATED))
    return (len(rows), {row.record_type for row in rows},
            {(row.district, row.institution) for row in rows})


# Record types whose audience differs: the institution's, the district's, the city's.
CHECKED = {"新型研发机构", "用户", "整改通知", "虚报虚构问题报告", "虚报虚构佐证材料", "地区初评",
           "信用记录", "评价周期", "环节", "指标", "政策版本"}


def test_city_admin_reads_the_whole_trail(client_for, users, world):
    count, types, _pairs = _visible(users["city_admin"])
    response = client_for(users["city_admin"]).get(reverse(URL))
    assert (response.context["page"].paginator.count, count, types & CHECKED) == (
        LogEntry.objects.count(), LogEntry.objects.count(), CHECKED - {"政策版本"})


def test_district_reviewer_reads_its_districts_records_but_not_the_citys(client_for, users,
                                                                        world):
    seen = {role: _visible(users[role])
            for role in ("district_reviewer", "district_reviewer_other")}
    page = client_for(users["district_reviewer"]).get(reverse(URL))
    assert page.context["page"].paginator.count == seen["district_reviewer"][0]
    assert {role: (types & CHECKED, pairs) for role, (_n, types, pairs) in seen.items()} == {
        "district_reviewer": (
            {"新型研发机构", "用户", "整改通知", "虚报虚构问题报告", "虚报虚构佐证材料",
             "地区初评"},
            {("鼓楼区", ""), ("鼓楼区", "徐州工程机械研究院"), ("鼓楼区", "鼓楼智能装备研究院")}),
        "district_reviewer_other": (
            {"新型研发机构", "用户", "整改通知", "虚报虚构问题报告", "虚报虚构佐证材料",
             "地区初评"},
            {("云龙区", ""), ("云龙区", "云龙新材料研究院")}),
    }


def test_institution_admin_reads_its_institutions_records_but_not_the_review(client_for,
                                                                           users, world):
    count, types, pairs = _visible(users["institution_admin"])
    page = client_for(users["institution_admin"]).get(reverse(URL))
    assert (page.context["page"].paginator.count, types & CHECKED, pairs) == (
        count, {"新型研发机构", "用户", "整改通知"}, {("鼓楼区", "徐州工程机械研究院")})


@pytest.mark.parametrize("role", ["panel_organiser", "expert", "institution_filer",
                                  "institution_filer_other"])
def test_other_roles_read_nothing_of_the_trail(users, world, role):
    assert audit_entries_for_user(users[role]).count() == 0


# --- Filters -------------------------------------------------------------------------------

def _filtered(client, **params) -> list[tuple[str, str, str]]:
    response = client.get(reverse(URL), params)
    assert response.status_code == 200
    return [(row.record_type, str(row.action.label), row.institution)
            for row in response.context["rows"]]


@pytest.fixture
def city(client_for, users):
    return client_for(users["city_admin"])


def test_filter_by_record_type_lists_that_type_only(city, world):
    notice_type = ContentType.objects.get_for_model(Rectification)
    assert _filtered(city, model=notice_type.pk) == [("整改通知", "新建", "云龙新材料研究院"),
                                                     ("整改通知", "新建", "徐州工程机械研究院")]


def test_filter_by_action_tells_status_changes_logins_and_changes_apart(city, world):
    assert (_filtered(city, action="status", model=ContentType.objects.get_for_model(
        FraudReport).pk), _filtered(city, action="login"),
        {kind for kind, _a, _i in _filtered(city, action="update")}) == (
        [("虚报虚构问题报告", "状态变更", "徐州工程机械研究院")],
        [("用户", "登录", "云龙新材料研究院"), ("用户", "登录", "徐州工程机械研究院")],
        {"新型研发机构", "虚报虚构问题报告", "环节", "参评单位"})


def test_filter_by_district_institution_and_actor(city, world, yunlong):
    assert (_filtered(city, district=yunlong.pk, model=ContentType.objects.get_for_model(
                Institution).pk),
            _filtered(city, institution="云龙新材", action="create",
                      model=ContentType.objects.get_for_model(FraudReport).pk),
            {kind for kind, _a, _i in _filtered(city, actor="yunlong")}) == (
        [("新型研发机构", "修改", "云龙新材料研究院"),
         ("新型研发机构", "新建", "云龙新材料研究院")],
        [("虚报虚构问题报告", "新建", "云龙新材料研究院")],
        {"整改通知", "虚报虚构问题报告", "虚报虚构佐证材料", "地区初评"})


def test_filter_by_institution_credit_code(city, world, other_institution):
    rows = _filtered(city, institution=other_institution.credit_code.lower(), action="login")
    assert rows == [("用户", "登录", "云龙新材料研究院")]


def test_filter_by_cycle_keeps_the_entries_of_that_cycle(city, world, users, default_policy):
    from evaluations.services.cycles import cycle_create

    later = cycle_create(year=2027, actor=users["city_admin"])
    in_later = _filtered(city, cycle=later.pk)
    total = LogEntry.objects.filter(scope__cycle=later).count()
    # The first page (50 entries) of the new cycle's own: the cycle, its categories, its
    # indicators and their data fields (copied from the template).
    assert ({kind for kind, _a, _i in in_later} <= {"评价周期", "指标类别", "指标", "指标数据项"},
            len(in_later)) == (True, min(50, total))
    assert total > 0


def test_filter_by_date_range(city, world):
    today = timezone.localdate()
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Rectification)) \
        .update(timestamp=timezone.now() - dt.timedelta(days=40))
    old = (today - dt.timedelta(days=41)).isoformat(), (today - dt.timedelta(days=39)).isoformat()
    assert (_filtered(city, date_from=old[0], date_to=old[1]),
            ("整改通知", "新建", "徐州工程机械研究院") in _filtered(city, date_from=today)) == (
        [("整改通知", "新建", "云龙新材料研究院"), ("整改通知", "新建", "徐州工程机械研究院")],
        False)


def test_filter_by_record_name(city, world):
    assert _filtered(city, q="云龙新材", action="update") == [
        ("新型研发机构", "修改", "云龙新材料研究院")]


@pytest.mark.parametrize("params", [
    {"model": "99999999999999999999999"}, {"model": "abc"}, {"action": "drop table"},
    {"cycle": "99999999999999999999999"}, {"cycle": "-1"}, {"district": "1e9"},
    {"date_from": "2025-13-45"}, {"date_to": "99999-01-01"}, {"q": "研" * 101},
    {"actor": "x" * 101}, {"institution": "\x00"}, {"page": "last-but-one"}, {"page": "-5"},
])
def test_bad_filter_input_is_an_error_and_that_filter_is_left_out(city, world, params):
    everything = LogEntry.objects.count()
    response = city.get(reverse(URL), params)
    errors = response.context["filter"].form.errors
    assert (response.status_code, response.context["page"].paginator.count,
            set(errors) <= set(params) and (bool(errors) or "page" in params)) == (
        200, everything, True)


def test_a_district_reviewer_cannot_filter_its_way_into_another_district(client_for, users,
                                                                        world, yunlong):
    client = client_for(users["district_reviewer"])
    own = client.get(reverse(URL)).context["page"].paginator.count
    response = client.get(reverse(URL), {"district": yunlong.pk, "institution": "云龙"})
    assert (response.context["page"].paginator.count, "district" in response.context[
        "filter"].form.fields) == (0, False)
    assert client.get(reverse(URL), {"district": yunlong.pk}).context[
        "page"].paginator.count == own


def test_record_type_choices_are_the_users_own(client_for, users, world):
    def choices(role):
        form = client_for(users[role]).get(reverse(URL)).context["filter"].form
        return {label for _pk, label in form.fields["model"].choices if _pk}

    city_types, district_types, institution_types = (
        choices("city_admin"), choices("district_reviewer"), choices("institution_admin"))
    assert (institution_types < district_types < city_types,
            sorted(city_types - district_types), sorted(institution_types)) == (
        True, sorted(["产业集群", "信用记录", "地区", "专家", "曾任职单位", "指标", "指标数据项",
                      "指标类别", "政策版本", "评审组", "抽取", "抽中专家", "回避关系", "专家评分",
                      "会评结果", "会评结论", "会评结果表", "复核", "实地核查", "结论修改记录",
                      "随机抽查抽取记录", "评价等次", "评价结果",
                      "评价周期", "环节"]),
        sorted(["佐证材料", "备案状态变更", "已提交版本", "延期", "指标填报", "整改材料",
                "整改答复", "整改通知", "新型研发机构", "生成的报告", "用户", "自评报告"]))


# --- Export --------------------------------------------------------------------------------

def _sheet(response) -> list[tuple]:
    assert (response.status_code, response["Content-Type"]) == (200, XLSX)
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_export_is_the_filtered_list_in_chinese(city, world):
    notice_type = ContentType.objects.get_for_model(Rectification)
    rows = _sheet(city.get(reverse(EXPORT), {"model": notice_type.pk, "institution": "徐州"}))
    header, [row] = rows[0], rows[1:]
    assert header == ("时间", "操作人", "操作", "记录类型", "记录", "评价周期", "地区", "机构名称",
                      "变更内容（原值 → 新值）", "IP地址")
    notice = Rectification.objects.get(participant__institution__name="徐州工程机械研究院")
    deadline = notice.deadline
    address = LogEntry.objects.get_for_object(notice).get().remote_addr
    assert row[1:] == (
        "gulou", "新建", "整改通知", f"2025年度绩效评价 · 徐州工程机械研究院 · {deadline}",
        "2025年度绩效评价", "鼓楼区", "徐州工程机械研究院",
        f"参评单位：徐州工程机械研究院\n整改问题：补充研发费用凭证\n截止日期：{deadline}\n"
        "状态：待整改\n下发人：gulou", address)


def test_export_holds_every_entry_not_one_page(city, world):
    rows = _sheet(city.get(reverse(EXPORT)))
    assert len(rows) - 1 == LogEntry.objects.count() > 50


def test_export_of_a_district_reviewer_is_its_own_trail(client_for, users, world):
    rows = _sheet(client_for(users["district_reviewer"]).get(reverse(EXPORT)))
    assert ({row[6] for row in rows[1:]}, len(rows) - 1) == (
        {"鼓楼区"}, audit_entries_for_user(users["district_reviewer"]).count())


# --- Queries do not grow with the trail ----------------------------------------------------

def _round(city_admin, reviewer, participant, institution, k: int) -> None:
    """One of everything the page names: a registry change, a status change with its history,
    a notice and its answer, a login."""
    institution_update(institution=institution, actor=city_admin,
                       contact_phone=f"0516-8{k:07d}")
    findings.rectification_issue(participant=participant, problems=f"问题{k}",
                                 deadline=timezone.localdate() + dt.timedelta(days=7),
                                 actor=reviewer)


def _count(client, url, params=None) -> int:
    client.get(url, params)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer", "institution_admin"])
@pytest.mark.parametrize("params", [None, {"action": "create", "institution": "徐州"}])
def test_audit_page_queries_do_not_grow_with_the_trail(client_for, users, world, institution,
                                                       role, params, django_assert_num_queries):
    client = client_for(users[role])
    participant = Participant.objects.get(cycle=world, institution=institution)
    args = (users["city_admin"], users["district_reviewer"], participant, institution)
    for k in range(3):
        _round(*args, k)
    small = _count(client, reverse(URL), params)
    for k in range(3, 40):
        _round(*args, k)
    client.get(reverse(URL), params)
    with django_assert_num_queries(small):
        client.get(reverse(URL), params)
    assert audit_entries_for_user(users[role]).count() > 50  # more than a page


def test_export_queries_grow_by_the_chunk_not_by_the_entry(client_for, users, world,
                                                           institution, monkeypatch):
    monkeypatch.setattr("institutions.exporters._AUDIT_CHUNK", 20)
    client = client_for(users["city_admin"])
    participant = Participant.objects.get(cycle=world, institution=institution)
    for k in range(60):
        _round(users["city_admin"], users["district_reviewer"], participant, institution, k)
    entries = LogEntry.objects.count()
    assert _count(client, reverse(EXPORT)) <= 10 + 2 * (entries // 20 + 1)
