"""The re-verification (Art 12; R7, R8), as the city bureau lives it in the browser.

The panel review of the 2025 cycle is closed (built with ``reverification_setup``): thirteen
participants, so one excellent and three good places, and the list is the first four of group
A's seven. The city administrator allows one alternate with a reason; plans the first
institution's visit, records the visit with a photo and confirms it; finds the second operating
poorly, and the page shows the next member of group A joining in its place; confirms the third,
the fourth and the alternate, and the tier preview reads one excellent and three good. Then the
spot check of group B: the candidates by credit code, S and the digest before the draw; the draw
with a typed seed through the confirmation; the record replays; its public page, opened in a
browser with no login, says the sample matches; the institution drawn gets its verdict and the
stage has nothing left to record."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from evaluations.models import Participant, SpotCheckDraw, Verification
from tests.conftest import PASSWORD
from tests.evaluations.reverification_setup import open_reverification
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

GROUP_A = [
    ("徐州工程机械智能装备研究院", 91), ("徐州绿色低碳能源研究院", 88),
    ("徐州先进材料产业技术研究院", 86), ("徐州数字经济创新研究院", 84),
    ("徐州集成电路产业研究院", 82), ("徐州医药健康技术研究院", 79),
    ("徐州安全应急装备研究院", 75),
]
GROUP_B = ["徐州精品钢材研究院", "徐州高端纺织技术研究院", "徐州食品加工产业研究院"]
GROUP_C = ("徐州农副产品研究院", 48)


@pytest.fixture
def reverification(users, gulou, default_policy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    made = {name: InstitutionFactory(district=gulou, name=name, filing_date=dt.date(2021, 3, 1))
            for name in [n for n, _s in GROUP_A] + GROUP_B + [GROUP_C[0]]}
    cycle = open_reverification(users["city_admin"],
                                a=[(made[name], score) for name, score in GROUP_A],
                                c=[(made[GROUP_C[0]], GROUP_C[1])])
    assert cycle.participants.count() == 13
    return cycle


def _accepting(page):
    page.once("dialog", lambda dialog: dialog.accept())


def _open(page, name: str) -> None:
    page.get_by_test_id("reverification-list").get_by_role("link", name=name).click()
    expect(page.locator("h1")).to_have_text(name)


def _verdict(page, label: str, reason: str) -> None:
    form = page.get_by_test_id("verdict-form")
    form.get_by_label(label, exact=True).check()
    form.get_by_label("结论理由").fill(reason)
    _accepting(page)
    form.get_by_role("button", name="录入结论").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("实地复核结论已录入")


def _back(page) -> None:
    page.get_by_role("link", name="2025年度实地复核").first.click()
    expect(page.locator("h1")).to_have_text("2025年度实地复核")


def test_city_verifies_the_list_draws_the_spot_check_and_anyone_replays_it(
        page, browser, browser_context_args, live_server, users, reverification, login, shot,
        tmp_path):
    cycle = reverification
    first, second, third, fourth, alternate = (name for name, _s in GROUP_A[:5])

    # The stage page: the list in panel order, nothing recorded yet.
    login(page, "city", PASSWORD)
    page.goto(f"{live_server.url}/reverification/")
    expect(page).to_have_url(re.compile(rf"/cycles/{cycle.year}/reverification/$"))
    expect(page.locator("h1")).to_have_text("2025年度实地复核")
    expect(page.get_by_text("第十二条", exact=False).first).to_be_visible()
    rows = page.get_by_test_id("verification-row")
    expect(rows).to_have_count(4)
    for n, name in enumerate((first, second, third, fourth)):
        expect(rows.nth(n)).to_contain_text(name)
    expect(page.get_by_test_id("places")).to_have_text("1 / 3")
    expect(page.get_by_test_id("pending")).to_have_text("4")
    shot(page, "reverification-01-list")

    # One alternate allowed, with the reason.
    form = page.get_by_test_id("alternates-form")
    form.get_by_label("允许递补数").fill("1")
    form.get_by_label("原因").fill("经局务会研究，允许递补一家。")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".messages .alert-success")).to_have_text(
        re.compile("现在最多可递补 1 家。"))
    expect(page.get_by_test_id("alternates")).to_contain_text("经局务会研究，允许递补一家。")

    # The first: the visit planned, then recorded with a photo, and confirmed.
    _open(page, first)
    plan = page.get_by_test_id("plan-form")
    day = dt.date.today() + dt.timedelta(days=3)
    plan.get_by_label("计划复核日期").fill(day.isoformat())
    plan.get_by_label("请机构准备的材料").fill("近两年研发投入台账、研发人员花名册原件")
    plan.get_by_role("button", name="安排实地复核").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("已通知机构日期及需准备的材料")
    expect(page.get_by_test_id("planned-on")).to_contain_text(day.isoformat())
    page.get_by_text("登记实地考察").click()
    visit = page.get_by_test_id("visit-form")
    visit.get_by_label("考察日期").fill(dt.date.today().isoformat())
    visit.get_by_label("考察人员").fill("李明、王芳")
    visit.get_by_label("考察情况").fill("研发场地、设备与申报一致，研发人员在岗。")
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    visit.locator("input[type=file]").set_input_files(str(photo))
    visit.get_by_role("button", name="保存考察记录").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("附件1个")
    expect(page.get_by_test_id("visit")).to_contain_text("研发场地、设备与申报一致")
    expect(page.get_by_test_id("visit-file")).to_have_text(re.compile("现场照片.png"))
    _verdict(page, "确认", "研发投入、人员与台账一致。")
    expect(page.get_by_test_id("verdict")).to_have_text("确认")
    expect(page.get_by_test_id("tier-preview")).to_have_text("优秀")
    shot(page, "reverification-02-confirmed")

    # The second operates poorly: its place empties and the alternate joins.
    _back(page)
    _open(page, second)
    _verdict(page, "运行情况较差", "现场无研发活动，设备长期闲置。")
    _back(page)
    expect(rows).to_have_count(5)
    joining = rows.nth(4)
    expect(joining).to_contain_text(alternate)
    expect(joining).to_contain_text("递补：需单独实地复核")
    expect(page.get_by_test_id("vacancies")).to_have_text("1 / 1")
    expect(rows.nth(1).get_by_test_id("row-verdict")).to_have_text("运行情况较差")
    expect(rows.nth(1).get_by_test_id("row-tier")).to_have_text("不合格")
    shot(page, "reverification-03-alternate-joins")

    for name in (third, fourth, alternate):
        _open(page, name)
        _verdict(page, "确认", "现场核查情况与申报一致。")
        _back(page)
    preview = page.get_by_test_id("tier-preview")
    expect(preview.get_by_test_id("preview-excellent")).to_have_text(first)
    expect(preview.get_by_test_id("preview-good").locator("li")).to_have_text(
        [third, fourth, alternate])
    expect(page.get_by_test_id("pending")).to_have_text("0")
    shot(page, "reverification-04-tier-preview")

    # The spot check: the candidates, S and the digest before the draw; the draw, once.
    page.get_by_test_id("spot-check-link").click()
    expect(page.locator("h1")).to_have_text("2025年度合格组随机抽查")
    expect(page.get_by_test_id("candidate-count")).to_have_text("5")
    expect(page.get_by_test_id("spot-size")).to_contain_text("1")
    digest = page.get_by_test_id("digest").inner_text()
    assert re.fullmatch("[0-9a-f]{64}", digest)
    shot(page, "reverification-05-spot-preview")
    draw_form = page.get_by_test_id("draw-form")
    draw_form.get_by_label("随机种子（选填）").fill("2025-徐州-随机抽查")
    _accepting(page)
    draw_form.get_by_role("button", name="立即抽取").click()
    expect(page.locator(".messages .alert-success")).to_contain_text(
        "随机抽查已抽取：合格组 1 家机构，随机种子 2025-徐州-随机抽查。")
    expect(page.get_by_test_id("replay-ok")).to_be_visible()
    expect(page.get_by_test_id("draw-record").get_by_test_id("digest")).to_have_text(digest)
    draw = SpotCheckDraw.objects.get(cycle=cycle)
    drawn = Participant.objects.select_related("institution").get(
        cycle=cycle, institution__credit_code=draw.sample[0])
    expect(page.get_by_test_id("spot-row")).to_contain_text(drawn.institution.name)
    shot(page, "reverification-06-spot-drawn")
    public = page.get_by_test_id("public-link").get_attribute("href")

    # Anyone with the link, logged in or not, sees the draw replayed and matching.
    anonymous = browser.new_context(**browser_context_args)
    try:
        other = anonymous.new_page()
        other.goto(public)
        expect(other.locator("h1")).to_have_text("2025年度绩效评价随机抽查记录")
        expect(other.get_by_test_id("replay-match")).to_have_text("一致")
        expect(other.get_by_test_id("seed")).to_have_text("2025-徐州-随机抽查")
        expect(other.get_by_test_id("sample")).to_have_text(draw.sample[0])
        expect(other.locator("main")).not_to_contain_text(drawn.institution.name)
        shot(other, "reverification-07-public-replay")
    finally:
        anonymous.close()

    # The institution drawn gets its verdict; nothing is left to record.
    page.get_by_test_id("spot-row").get_by_test_id("verification-link").click()
    expect(page.get_by_test_id("verdict-form").get_by_label("不予确认")).to_have_count(0)
    _verdict(page, "确认", "抽查现场运行正常。")
    _back(page)
    expect(page.get_by_test_id("pending")).to_have_text("0")
    expect(page.get_by_test_id("problems")).to_have_count(0)
    expect(page.get_by_test_id("spot-summary")).to_contain_text(drawn.institution.name)
    shot(page, "reverification-08-done")
    assert Verification.objects.filter(participant__cycle=cycle, verdict="").count() == 0
