"""The audit page reads like Chinese, not like the database: field titles, choice labels, the
names of the rows foreign keys point to (as they were), actions as 新建 / 修改 / 删除 / 状态变更
and 登录 / 登录失败 / 账号锁定, and the cycle and institution each entry concerns."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from evaluations.models import Indicator, Participant
from evaluations.services import findings, preliminary
from evaluations.services.self_evaluation import response_save
from institutions.audit.display import Change, describe
from institutions.audit.registry import audited_models
from institutions.audit.selectors import ENTRY_RELATED
from institutions.models import Institution
from institutions.services import institution_change_status, institution_update
from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import district_review, open_preliminary_review
from tests.evaluations.ranking_setup import scored
from tests.evaluations.self_evaluation_setup import open_cycle
from tests.factories import InstitutionFactory

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _rows(since: int = 0):
    return describe(LogEntry.objects.filter(pk__gt=since).select_related(*ENTRY_RELATED)
                    .order_by("pk"))


def _last_pk() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _shown(row) -> tuple:
    return (str(row.action.label), row.actor, row.record_type, row.record, row.cycle,
            row.district, row.institution, list(row.changes))


# --- Titles of every audited field ----------------------------------------------------------

def test_every_audited_field_and_record_type_has_a_chinese_title():
    from institutions.audit.display import _title

    untitled = []
    for info in audited_models():
        if not CJK.search(str(info.model._meta.verbose_name)):
            untitled.append(info.model.__name__)
        untitled += [f"{info.model.__name__}.{name}" for name in info.fields
                     if not CJK.search(_title(info.model, info, name))]
    assert untitled == []


# --- Registry: choices, foreign keys, status changes ------------------------------------------

def test_institution_change_reads_with_titles_and_district_names(city_admin, institution,
                                                                 yunlong):
    since = _last_pk()
    institution_update(institution=institution, actor=city_admin, name="徐州工程机械创新研究院",
                       district=yunlong)
    [row] = _rows(since)
    assert _shown(row) == ("修改", "city", "新型研发机构", "徐州工程机械创新研究院", "", "云龙区",
                           "徐州工程机械创新研究院", [
                               Change("名称", "徐州工程机械研究院", "徐州工程机械创新研究院"),
                               Change("地区", "鼓楼区", "云龙区")])


def test_status_change_is_told_apart_and_shows_the_choice_labels(city_admin, institution):
    since = _last_pk()
    institution_change_status(institution=institution, to_status="abandoned", reason="未参评",
                              actor=city_admin, effective_on=dt.date(2025, 6, 30))
    status, history = _rows(since)
    assert (_shown(status), _shown(history)) == (
        ("状态变更", "city", "新型研发机构", "徐州工程机械研究院", "", "鼓楼区",
         "徐州工程机械研究院", [
            Change("备案状态", "备案有效", "自动放弃备案资格（未参评）"),
            Change("状态变更日期", "", "2025-06-30")]),
        ("新建", "city", "备案状态变更",
         "徐州工程机械研究院：备案有效 → 自动放弃备案资格（未参评）", "", "鼓楼区",
         "徐州工程机械研究院", [
            Change("新型研发机构", "", "徐州工程机械研究院"),
            Change("原状态", "", "备案有效"), Change("新状态", "", "自动放弃备案资格（未参评）"),
            Change("生效日期", "", "2025-06-30"), Change("原因", "", "未参评"),
            Change("操作人", "", "city")]))


def test_a_deleted_row_keeps_the_name_it_had(city_admin, gulou, institution):
    doomed = InstitutionFactory(district=gulou, name="待撤销研究院")
    user = city_admin.__class__.objects.create(username="doomed_filer", role="institution_filer",
                                               institution=doomed)
    since = _last_pk()
    with set_actor(city_admin):
        user.institution = institution
        user.save()
        doomed.delete()
    change, deleted = _rows(since)
    assert (change.changes, deleted.action.label, deleted.record) == (
        (Change("新型研发机构", "待撤销研究院", "徐州工程机械研究院"),), "删除", "待撤销研究院")


def test_an_entry_written_without_names_is_named_from_the_rows_and_the_trail(city_admin,
                                                                            institution,
                                                                            gulou):
    """Entries written in bulk (the registry import) kept no names: the page reads them."""
    gone = InstitutionFactory(district=gulou, name="已注销研究院")
    gone_pk = gone.pk
    with set_actor(city_admin):
        gone.delete()
    user_type = ContentType.objects.get_for_model(city_admin)
    since = _last_pk()
    LogEntry.objects.bulk_create([LogEntry(
        content_type=user_type, object_pk=str(city_admin.pk), object_id=city_admin.pk,
        object_repr="city", action=LogEntry.Action.UPDATE,
        changes={"institution": [str(gone_pk), str(institution.pk)],
                 "district": ["None", str(gulou.pk)]})])
    [row] = _rows(since)
    assert row.changes == (Change("新型研发机构", "已注销研究院（已删除）", "徐州工程机械研究院"),
                           Change("地区", "", "鼓楼区"))


def test_the_page_never_shows_none_or_a_database_name(admin_client_for_city, city_admin,
                                                       institution, users):
    institution_update(institution=institution, actor=city_admin, contact_email="")
    content = admin_client_for_city.get(reverse("audit_log")).content.decode()
    assert (re.findall(r"\bNone\b|institutions\.\w+\.|evaluations\.\w+\.", content),
            "徐州工程机械研究院" in content) == ([], True)


@pytest.fixture
def admin_client_for_city(client_for, city_admin):
    return client_for(city_admin)


# --- Stage 1 and 2 ------------------------------------------------------------------------

def test_answer_data_reads_field_by_field_with_the_years_of_the_cycle(users, default_policy,
                                                                       private_media,
                                                                       institution):
    cycle = open_cycle(users["city_admin"])
    report = cycle.submissions.get(institution=institution)
    indicator = Indicator.objects.filter(category__cycle=cycle, code="1.1") \
        .prefetch_related("fields").get()
    since = _last_pk()
    response_save(submission=report, indicator=indicator,
                  data={"team_size": {"y1": "12", "y2": "15"}, "team_share": {"y1": "30"}},
                  narrative="", self_score="2.5", revision=0, actor=users["institution_filer"])
    _created, updated, started = _rows(since)
    assert (_shown(updated)[:7], updated.changes, _shown(started)) == (
        ("修改", "filer", "指标填报", updated.record, "2025年度绩效评价", "鼓楼区",
         "徐州工程机械研究院"),
        (Change("人才团队人数（人）（2023年）", "", "12"),
         Change("人才团队人数（人）（2024年）", "", "15"),
         Change("团队持股比例（%）（2023年）", "", "30"),
         Change("自评分", "", "2.5")),
        ("状态变更", "filer", "自评报告", "2025年度绩效评价 · 徐州工程机械研究院",
         "2025年度绩效评价", "鼓楼区", "徐州工程机械研究院", [Change("状态", "未开始", "填报中")]))


@pytest.fixture
def cycle2(users, default_policy, private_media, institution, sibling_institution,
           other_institution):
    return open_preliminary_review(
        users["city_admin"], submitted=[institution, sibling_institution, other_institution])


def test_saved_ranking_reads_as_places_and_moves(cycle2, users, gulou):
    reviewer = users["district_reviewer"]
    review = district_review(cycle2, gulou)
    first, second = scored(review, [90, 80])
    preliminary.district_ranking_save(district_review=review, order=[first.pk, second.pk],
                                      reasons={}, tie_confirmed=set(), revision=0,
                                      actor=reviewer)
    since = _last_pk()
    preliminary.district_ranking_save(district_review=review, order=[second.pk, first.pk],
                                      reasons={second.pk: "现场考察更优"}, tie_confirmed=set(),
                                      revision=1, actor=reviewer)
    [row] = _rows(since)
    assert _shown(row) == (
        "新建", "gulou", "已保存排序", "2025年度绩效评价 · 鼓楼区 第2次保存的排序",
        "2025年度绩效评价", "鼓楼区", "", [
            Change("地区初评", "", "2025年度绩效评价 · 鼓楼区"), Change("修订号", "", "2"),
            Change("保存人", "", "gulou"),
            Change("排序", "", "第1名 鼓楼智能装备研究院；第2名 徐州工程机械研究院"),
            Change("名次变动", "", "鼓楼智能装备研究院名次由2调整为1；"
                                   "徐州工程机械研究院名次由1调整为2"),
            Change("理由", "", "鼓楼智能装备研究院：现场考察更优")])


def test_rectification_notice_names_the_institution_and_its_status(cycle2, users,
                                                                    institution):
    participant = Participant.objects.get(cycle=cycle2, institution=institution)
    deadline = timezone.localdate() + dt.timedelta(days=7)
    since = _last_pk()
    findings.rectification_issue(participant=participant, problems="补充研发费用凭证",
                                 deadline=deadline, actor=users["district_reviewer"])
    _in_review, notice = _rows(since)
    assert _shown(notice)[4:] == ("2025年度绩效评价", "鼓楼区", "徐州工程机械研究院", [
        Change("参评单位", "", "徐州工程机械研究院"), Change("整改问题", "", "补充研发费用凭证"),
        Change("截止日期", "", str(deadline)), Change("状态", "", "待整改"),
        Change("下发人", "", "gulou")])


# --- Logins -------------------------------------------------------------------------------

def test_login_events_read_as_login_failure_and_lockout(client, users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    since = _last_pk()
    client.post(reverse("login"), {"username": "filer", "password": PASSWORD})
    client.post(reverse("logout"))
    for _attempt in range(3):
        client.post(reverse("login"), {"username": "gulou", "password": "wrong-password-1"})
    assert [_shown(row) for row in _rows(since)] == [
        ("登录", "filer", "用户", "filer", "", "鼓楼区", "徐州工程机械研究院",
         [Change("账号", "", "filer"), Change("IP地址", "", "127.0.0.1")]),
        ("登录失败", "", "用户", "gulou", "", "鼓楼区", "",
         [Change("账号", "", "gulou"), Change("IP地址", "", "127.0.0.1")]),
        ("账号锁定", "", "用户", "gulou", "", "鼓楼区", "",
         [Change("账号", "", "gulou"), Change("IP地址", "", "127.0.0.1"),
          Change("连续失败次数", "", "2")]),
        ("登录失败", "", "用户", "gulou", "", "鼓楼区", "",
         [Change("账号", "", "gulou"), Change("IP地址", "", "127.0.0.1"),
          Change("说明", "", "账号已锁定，本次登录被拒绝。")])]


def test_institution_delete_entry_keeps_its_values(city_admin, gulou):
    doomed = InstitutionFactory(district=gulou, name="待删除研究院", address="")
    since = _last_pk()
    with set_actor(city_admin):
        Institution.objects.filter(pk=doomed.pk).delete()
    [row] = _rows(since)
    assert (str(row.action.label), [c.title for c in row.changes][:3],
            row.changes[0].before) == ("删除", ["名称", "统一社会信用代码", "地区"], "待删除研究院")


def test_account_actions_read_as_password_reset_and_unlock(city_admin, users):
    from institutions.audit import acting_as
    from institutions.audit.actions import action_q
    from institutions.audit.auth import account_event_record

    filer = users["institution_filer"]
    since = _last_pk()
    with acting_as(city_admin):
        account_event_record(account=filer, event="password_reset")
        account_event_record(account=filer, event="unlock", attempts_removed=3)
    assert [_shown(row) for row in _rows(since)] == [
        ("重置密码", "city", "用户", "filer", "", "鼓楼区", "徐州工程机械研究院", []),
        ("解除锁定", "city", "用户", "filer", "", "鼓楼区", "徐州工程机械研究院",
         [Change("清除的登录失败记录", "", "3")])]
    recent = LogEntry.objects.filter(pk__gt=since)
    assert [recent.filter(action_q(a)).count() for a in ("unlock", "password_reset",
                                                         "update")] == [1, 1, 0]
