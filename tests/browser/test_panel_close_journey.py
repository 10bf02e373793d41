"""The panel review's other end (R6a, R6; Art 11), as the panel organiser lives it in the
browser.

First the expert pool: from the pool page the organiser downloads the Excel template, fills it
with nine senior experts and their clusters — the first row with a title too junior for the
pool — and uploads it: nothing is imported and the report names the row, the column and the
reason; the corrected file imports all nine, which the pool then lists.

Then the close: with every score of groups A and C submitted (built with the services), the
ranking page flags two institutions of group A with equal panel scores across the line of the
re-verification list; the organiser records their order with a reason and the tie is
resolved. The number of 不合格 of group C is refused below F with a message saying F, then
confirmed above it and the line moves; on the console the organiser downloads the scores in
Excel and finds an expert's score there; back on the ranking page it closes the stage through
the confirmation and sees the fixed results; it generates the result table, downloads it and
uploads the scan the experts signed."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

import scoring
from evaluations.enums import CycleStatus
from evaluations.models import (
    CycleStage,
    ExpertScore,
    PanelOutcome,
    PanelResult,
    Participant,
)
from evaluations.services.panel import (
    panel_draw,
)
from institutions.enums import ClusterGroup, ExpertStatus, Role, TitleLevel
from institutions.importers import INSTRUCTIONS_SHEET_TITLE
from institutions.models import Cluster, Expert
from institutions.pool_workbooks import DATA_SHEET_TITLE
from tests.conftest import PASSWORD
from tests.evaluations.panel_setup import open_panel_review, pool, score, serve
from tests.factories import InstitutionFactory, UserFactory, make_credit_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A one-pixel PNG: the signed scan.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

# --- The expert pool import -----------------------------------------------------------------

TEMPLATE_HEADER = ["专家编号", "姓名", "性别", "工作单位", "工作单位统一社会信用代码", "职称",
                   "职称级别", "可评审产业集群", "手机", "电子邮箱", "近三年其他工作单位"]

# Nine experts of senior titles, each with the clusters it judges.
EXPERTS = [
    ("E0101", "王强", "男", "中国矿业大学", "教授", "正高级职称", "工程机械、新材料"),
    ("E0102", "李敏", "女", "江苏师范大学", "教授", "正高级职称", "数字经济、集成电路与ICT"),
    ("E0103", "张伟", "男", "徐州工程学院", "副教授", "副高级职称", "精品钢材、工程机械"),
    ("E0104", "刘洋", "男", "徐州医科大学", "研究员", "正高级职称", "医药健康"),
    ("E0105", "陈静", "女", "中国矿业大学", "研究员", "正高级职称", "绿色低碳能源；新材料"),
    ("E0106", "杨帆", "男", "江苏徐工工程机械研究院", "正高级工程师", "正高级职称", "工程机械"),
    ("E0107", "赵磊", "男", "江苏师范大学", "副研究员", "副高级职称",
     "高端纺织，食品及农副产品加工"),
    ("E0108", "黄丽", "女", "徐州工程学院", "高级工程师", "副高级职称", "安全应急"),
    ("E0109", "周涛", "男", "中国矿业大学", "教授", "正高级职称", "新材料、精品钢材"),
]
TOO_JUNIOR = ("工程师", "中级职称")  # the first row as first typed: below the pool's 副高


def _expert_row(n: int, expert: tuple, title: tuple[str, str] | None = None) -> list:
    number, name, gender, employer, job_title, level, clusters = expert
    if title is not None:
        job_title, level = title
    return [number, name, gender, employer, make_credit_code(n + 7_000, "12", "320300"),
            job_title, level, clusters, f"1390516{n:04d}", f"{number.lower()}@example.cn",
            None]


def _filled(template: Path, path: Path, rows: list[list]) -> Path:
    """The downloaded template with ``rows`` typed under its header, from row 2 on, saved as
    ``path``. (The template's blank rows carry its drop-down lists, so ``append`` would write
    after them; a user types into row 2.)"""
    workbook = load_workbook(template)
    sheet = workbook[DATA_SHEET_TITLE]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    workbook.save(path)
    return path


def _upload(page, path: Path) -> None:
    form = page.get_by_test_id("import-form")
    form.locator("input[type=file]").set_input_files(str(path))
    form.get_by_role("button", name=re.compile("检查并导入|Check and import")).click()
    page.wait_for_load_state()


def test_organiser_imports_the_expert_pool_from_the_template(page, live_server, users, login,
                                                             shot, tmp_path):
    # The organiser opens the pool from the navigation: empty for now.
    login(page, "organiser", PASSWORD)
    page.get_by_role("link", name=re.compile("^(专家库|Expert pool)$")).first.click()
    expect(page).to_have_url(re.compile(r"/registry/experts/$"))
    expect(page.locator("h1")).to_have_text("市科技咨询专家库")
    expect(page.get_by_test_id("result-count")).to_have_text("0 位专家")
    shot(page, "pool-01-empty")

    # The import page, and its template: the header row and the instructions sheet.
    page.get_by_test_id("import-link").click()
    expect(page.locator("h1")).to_have_text("从 Excel 导入专家库")
    shot(page, "pool-02-import-page")
    with page.expect_download() as download:
        page.get_by_test_id("template-link").click()
    assert download.value.suggested_filename == "市科技咨询专家库导入模板.xlsx"
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    workbook = load_workbook(template, read_only=True)
    assert workbook.sheetnames == [DATA_SHEET_TITLE, INSTRUCTIONS_SHEET_TITLE]
    rows = list(workbook[DATA_SHEET_TITLE].iter_rows(values_only=True))
    workbook.close()
    assert list(rows[0]) == TEMPLATE_HEADER
    assert {value for row in rows[1:] for value in row} <= {None}  # no sample row

    # The first row typed with an intermediate title: nothing is imported and the report
    # names the row (2, under the header), the column and the reason.
    good = [_expert_row(n, expert) for n, expert in enumerate(EXPERTS)]
    bad = [_expert_row(0, EXPERTS[0], TOO_JUNIOR), *good[1:]]
    _upload(page, _filled(template, tmp_path / "专家库-有误.xlsx", bad))
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("未导入任何专家")
    expect(report).to_contain_text("文件中有 1 处问题，请修改后重新上传。")
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td")).to_have_text(
        ["2", "职称级别", "专家库仅接受副高级职称及以上的专家。"])
    shot(page, "pool-03-refused")
    assert not Expert.objects.exists()

    # The corrected file: the nine experts are imported and listed.
    _upload(page, _filled(template, tmp_path / "专家库.xlsx", good))
    expect(page).to_have_url(re.compile(r"/registry/experts/$"))
    expect(page.locator(".messages .alert-success")).to_contain_text("已向专家库导入 9 位专家。")
    expect(page.get_by_test_id("result-count")).to_have_text("9 位专家")
    listed = page.get_by_test_id("expert-row")
    expect(listed).to_have_count(9)
    for number, name, *_rest in EXPERTS:
        expect(page.get_by_test_id("expert-table")).to_contain_text(number)
        expect(page.get_by_test_id("expert-table")).to_contain_text(name)
    first = listed.filter(has_text="E0101")
    expect(first).to_contain_text("教授（正高级职称）")
    expect(first).to_contain_text("工程机械、新材料")
    expect(first).to_contain_text("在库")
    shot(page, "pool-04-imported")

    experts = {e.pool_number: e for e in Expert.objects.prefetch_related("clusters")}
    assert sorted(experts) == [e[0] for e in EXPERTS]
    assert {e.status for e in experts.values()} == {ExpertStatus.ACTIVE}
    assert experts["E0101"].title_level == TitleLevel.FULL_SENIOR
    assert experts["E0103"].title_level == TitleLevel.ASSOCIATE_SENIOR
    assert {c.name for c in experts["E0105"].clusters.all()} == {"绿色低碳能源", "新材料"}
    assert {c.name for c in experts["E0107"].clusters.all()} == {"高端纺织", "食品及农副产品加工"}


# --- Rankings, ties, the number of 不合格, the export and the close ----------------------------

# Group A (good): the second and third equal at 82.00, across the line after the second place.
A_SCORES = {
    "徐州工程机械智能装备研究院": [86, 88, 90, 91, 92, 94, 99],   # 455 / 5 = 91.00
    "徐州绿色低碳能源研究院": [75, 80, 81, 82, 83, 84, 90],       # 410 / 5 = 82.00
    "徐州先进材料产业技术研究院": [70, 79, 81, 82, 83, 85, 88],   # 410 / 5 = 82.00
}
# Group C (poor), lowest first: 45.00, 55.00, 65.00.
C_SCORES = {
    "徐州精品钢材技术研究院": [35, 40, 44, 45, 46, 50, 60],
    "徐州高端纺织研究院": [50, 52, 54, 55, 56, 58, 70],
    "徐州食品加工技术研究院": [60, 62, 64, 65, 66, 68, 75],
}
A_TOP, *A_TIED = A_SCORES
C_LOWEST, C_SECOND, C_HIGHEST = C_SCORES
TIE_REASON = "两家机构会评评分相同，{}近三年成果转化收入更高，排在前。"


def _serve_and_score(cycle, panel, organiser, scores: dict[str, list[int]]):
    """Invite the panel's members; every one accepts and submits the score of each
    institution (``scores``: an institution's totals in the order of the draw)."""
    seats = serve(panel, organiser, accepting=7)
    assert len(seats) == 7
    participants = {p.institution.name: p for p in cycle.participants.select_related(
        "institution").filter(institution__name__in=scores)}
    for n, seat in enumerate(seats):
        for name, totals in scores.items():
            score(seat, participants[name], totals[n])
    return seats


@pytest.fixture
def scored(users, gulou, default_policy, settings, tmp_path):
    """The 2025 cycle in its panel review, every score in: group A three institutions, group
    C three, the two institutions of ``users`` in B (eight participants: E 0, G 2, F 1);
    both panels drawn from eighteen experts with accounts, their seven members each scored
    every institution of their panel."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cluster = {group: Cluster.objects.filter(group=group).order_by("sort_order").first()
               for group in ClusterGroup.values}
    made = {name: InstitutionFactory(district=gulou, name=name, filing_date=dt.date(2021, 3, 1),
                                     cluster=cluster[group])
            for names, group in ((A_SCORES, ClusterGroup.LEADING),
                                 (C_SCORES, ClusterGroup.DISTINCTIVE)) for name in names}
    organiser = users["panel_organiser"]
    cycle = open_panel_review(users["city_admin"], a=[made[n] for n in A_SCORES],
                              c=[made[n] for n in C_SCORES])
    quotas = scoring.city_quotas(Participant.objects.filter(cycle=cycle).count(),
                                 cycle.policy_version.as_params())
    assert (quotas.N, quotas.E, quotas.G, quotas.F) == (8, 0, 2, 1)
    for expert in pool(18):
        expert.user = UserFactory(username=f"x-{expert.pool_number.lower()}",
                                  role=Role.EXPERT, full_name=expert.name)
        expert.save()
    seats = {}
    for panel in cycle.panels.order_by("position"):
        panel_draw(panel=panel, actor=organiser, seed=f"close-{panel.group}")
        seats[panel.group] = _serve_and_score(
            cycle, panel, organiser, A_SCORES if panel.group == "A" else C_SCORES)
    assert ExpertScore.objects.filter(submitted_at__isnull=False).count() == 42
    return cycle, seats


def _ranked_names(table) -> list[str]:
    return [name.strip() for name in table.locator("[data-testid=ranked] td:nth-child(2)")
            .all_inner_texts()]


def test_organiser_settles_the_ties_and_the_unqualified_exports_and_closes(
        page, live_server, users, scored, login, shot, tmp_path):
    cycle, seats = scored
    organiser = users["panel_organiser"]

    # From the panel review's page to its rankings.
    login(page, "organiser", PASSWORD)
    page.get_by_role("link", name=re.compile("^(会评|Panel review)$")).first.click()
    page.get_by_role("link", name="排名与结束会评").click()
    expect(page).to_have_url(re.compile(rf"/cycles/{cycle.year}/panels/ranking/$"))
    expect(page.locator("h1")).to_have_text(f"{cycle.year}年度会评排名")
    expect(page.get_by_test_id("quotas")).to_have_text(
        "参评机构 8 家：优秀名额 0 个、良好名额 2 个，优良组前 2 名列入复核名单；较差组至少 1 "
        "家为不合格，目前为评分最低的 1 家（第十一条）。")

    # The blocking tie: flagged in the problems and on both rows; the close is disabled.
    problems = page.get_by_test_id("close-problems")
    expect(problems).to_contain_text("会评阶段暂不能结束：")
    expect(problems).to_contain_text(
        re.compile("优良组中会评评分相同的机构分处复核名单线两侧：(.+)、(.+)。请确定其排序。"))
    expect(problems).to_contain_text("请确认较差组的不合格数量：至少 1 家。")
    ranking_a = page.get_by_test_id("ranking-A")
    # The two equal are shown in a fixed but arbitrary order, the same in the problem.
    top, above, below = _ranked_names(ranking_a)
    assert (top, {above, below}) == (A_TOP, set(A_TIED))
    expect(problems).to_contain_text(f"复核名单线两侧：{above}、{below}。")
    tied = ranking_a.locator("tr.table-danger")
    expect(tied).to_have_count(2)
    expect(tied.filter(has_text="同分跨线")).to_have_count(2)
    expect(ranking_a.locator("[data-list=reverify]")).to_have_count(2)
    expect(ranking_a.get_by_test_id("ranked").nth(1).locator("td").nth(2)).to_have_text(
        "82.00")
    expect(ranking_a.get_by_test_id("ranked").nth(2).locator("td").nth(2)).to_have_text(
        "82.00")
    close_button = page.get_by_test_id("close-form").get_by_role("button")
    expect(close_button).to_be_disabled()
    shot(page, "panel-close-01-tie-flagged")

    # The organiser records the order, the second of the tied first, with a reason.
    form = page.get_by_test_id("tiebreak-form")
    expect(form).to_have_count(1)
    expect(form).to_contain_text("为每家机构确定名次，1 为最优。")
    form.get_by_label(re.compile(rf"^{below}")).fill("1")
    form.get_by_label(re.compile(rf"^{above}")).fill("2")
    reason = TIE_REASON.format(below)
    form.get_by_label("排序理由").fill(reason)
    shot(page, "panel-close-02-tie-order")
    form.get_by_role("button", name="记录排序").click()
    expect(page.locator(".messages .alert-success")).to_contain_text("同分机构的排序已记录。")
    expect(page.get_by_test_id("tiebreak-form")).to_have_count(0)
    expect(ranking_a.locator("tr.table-danger")).to_have_count(0)
    assert _ranked_names(ranking_a) == [A_TOP, below, above]
    listed = ranking_a.get_by_test_id("ranked").filter(has=page.locator("[data-list=reverify]"))
    expect(listed).to_have_count(2)
    expect(listed.nth(1)).to_contain_text(below)
    expect(ranking_a.get_by_text("已确定排序")).to_have_count(2)
    expect(page.get_by_test_id("line-A")).to_have_text("—— 复核名单线 ——")
    expect(page.get_by_test_id("tiebreak-reason")).to_contain_text(
        f"{below} > {above}：{reason}")
    expect(page.get_by_test_id("close-problems")).not_to_contain_text("复核名单线两侧")
    shot(page, "panel-close-03-tie-resolved")
    participant = {p.institution.name: p.pk for p in cycle.participants.select_related(
        "institution")}
    outcome = PanelOutcome.objects.get(cycle=cycle)
    assert outcome.tiebreak == [participant[below], participant[above]]

    # Group C lowest first, the line after the lowest F = 1 for now.
    ranking_c = page.get_by_test_id("ranking-C")
    assert _ranked_names(ranking_c) == [C_LOWEST, C_SECOND, C_HIGHEST]
    expect(ranking_c.locator("[data-list=unqualified]")).to_have_count(1)
    fail_form = page.get_by_test_id("fail-count-form")
    expect(fail_form).to_contain_text("尚未确认。")
    expect(fail_form.get_by_label("不合格数量")).to_have_value("1")

    # Fewer than F is refused, with a message saying F.
    fail_form.get_by_label("不合格数量").fill("0")
    fail_form.get_by_role("button", name="确认").click()
    expect(page.locator(".messages .alert-danger")).to_have_text(re.compile(
        r"较差组中至少 1 家机构为不合格（第十一条）：请确定 1 家或以上，不能为 0 家。"))
    expect(page.get_by_test_id("fail-count-confirmed")).to_have_count(0)
    shot(page, "panel-close-04-fail-count-refused")
    outcome.refresh_from_db()
    assert not outcome.fail_count_confirmed

    # Two: the line moves after the lowest two.
    fail_form.get_by_label("不合格数量").fill("2")
    fail_form.get_by_role("button", name="确认").click()
    expect(page.locator(".messages .alert-success")).to_have_text(re.compile(
        r"较差组的不合格数量已确认：不合格线现为评分最低的 2 家（原为 1 家）。"))
    expect(page.get_by_test_id("fail-count-confirmed")).to_have_text("已确认：评分最低的 2 家。")
    unqualified = ranking_c.get_by_test_id("ranked").filter(
        has=page.locator("[data-list=unqualified]"))
    expect(unqualified).to_have_count(2)
    expect(unqualified.nth(0)).to_contain_text(C_LOWEST)
    expect(unqualified.nth(1)).to_contain_text(C_SECOND)
    expect(ranking_c.get_by_test_id("ranked").nth(2)).not_to_contain_text("不合格")
    line = ranking_c.locator("tbody tr").nth(2)
    expect(line).to_have_attribute("data-testid", "line-C")
    expect(line).to_have_text("—— 不合格线 ——")
    expect(page.get_by_test_id("quotas")).to_contain_text("目前为评分最低的 2 家")
    expect(page.get_by_test_id("close-problems")).to_have_count(0)
    expect(close_button).to_be_enabled()
    shot(page, "panel-close-05-fail-count-moved")
    outcome.refresh_from_db()
    assert (outcome.fail_count, outcome.fail_count_confirmed) == (2, True)

    # The console: every score in; the scores in Excel hold the first member's score.
    page.get_by_role("link", name="评分进度").click()
    expect(page).to_have_url(re.compile(rf"/cycles/{cycle.year}/panels/console/$"))
    expect(page.get_by_test_id("matrix")).to_have_count(2)
    expect(page.get_by_test_id("matrix-totals").locator("[data-count=scored]")).to_have_text("42")
    expect(page.get_by_test_id("matrix-totals").locator("[data-count=pending]")).to_have_text("0")
    shot(page, "panel-close-06-console")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出评分（Excel）").click()
    assert download.value.suggested_filename == f"{cycle.year}年度会评专家评分.xlsx"
    exported = tmp_path / "scores.xlsx"
    download.value.save_as(exported)
    workbook = load_workbook(exported, read_only=True)
    assert workbook.sheetnames == ["专家评分", "各机构评分统计"]
    header, *rows = [list(r) for r in workbook["专家评分"].iter_rows(values_only=True)]
    stats = [list(r) for r in workbook["各机构评分统计"].iter_rows(min_row=2, values_only=True)]
    workbook.close()
    assert (header[1], header[2], header[4], header[-2], header[-1]) == (
        "专家编号", "评审专家", "机构名称", "合计", "状态")
    member = seats["A"][0].expert
    given = {(row[1], row[4]): (row[-2], row[-1]) for row in rows}
    assert given[(member.pool_number, A_TOP)] == (A_SCORES[A_TOP][0], "已提交")
    assert given[(member.pool_number, below)] == (A_SCORES[below][0], "已提交")
    assert len(rows) == 7 * 3 * 2
    assert {row[2]: row[5] for row in stats}[above] == 82

    # Back to the rankings: closing asks first; cancelled, nothing happens.
    page.get_by_role("link", name="排名与结束会评").click()
    questions = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="结束会评阶段").click()
    expect(page.get_by_test_id("close-form")).to_be_visible()
    assert questions == ["结束会评阶段？会评评分、复核名单和较差组的不合格机构将随之确定。"]
    assert not PanelResult.objects.exists()

    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="结束会评阶段").click()
    expect(page.locator(".messages .alert-success")).to_contain_text(
        "会评阶段已结束：会评评分、复核名单和较差组的不合格机构已确定。")
    expect(page.get_by_test_id("closed")).to_contain_text("以下结果已确定")
    expect(page.get_by_test_id("close-form")).to_have_count(0)
    expect(page.get_by_test_id("fail-count-form")).to_have_count(0)
    results = page.get_by_test_id("results").locator("tbody tr")
    expect(results).to_have_count(6)
    for name, shown in ((A_TOP, "列入复核名单"), (below, "列入复核名单"),
                        (above, "未列入复核名单"), (C_LOWEST, "不合格"), (C_SECOND, "不合格"),
                        (C_HIGHEST, "合格")):
        expect(results.filter(has_text=name).locator("td").last).to_have_text(shown)
    expect(results.filter(has_text=C_LOWEST)).to_have_attribute("data-result", "unqualified")
    expect(results.filter(has_text=C_SECOND)).to_have_attribute("data-result", "unqualified")
    expect(results.filter(has_text=C_HIGHEST)).to_have_attribute("data-result", "qualified")
    shot(page, "panel-close-07-closed")

    assert {(r.participant.institution.name, r.score, r.rank, r.result)
            for r in PanelResult.objects.select_related("participant__institution")} == {
        (A_TOP, Decimal("91.00"), 1, "reverify"),
        (below, Decimal("82.00"), 2, "reverify"),
        (above, Decimal("82.00"), 3, "not_listed"),
        (C_HIGHEST, Decimal("65.00"), 1, "qualified"),
        (C_SECOND, Decimal("55.00"), 2, "unqualified"),
        (C_LOWEST, Decimal("45.00"), 3, "unqualified"),
    }
    outcome.refresh_from_db()
    assert outcome.closed_by == organiser and outcome.closed_at is not None
    stage = CycleStage.objects.get(cycle=cycle, stage=CycleStatus.PANEL_REVIEW)
    assert stage.closed_by == organiser and stage.closed_at is not None

    # The result table for the experts to sign: generated (in the request here: the tests
    # have no broker), downloaded, printed and signed, and its scan uploaded.
    page.get_by_test_id("result-table-generate").click()
    box = page.get_by_test_id("result-table-box")
    expect(box).to_have_attribute("data-status", "done")
    with page.expect_download() as download:
        page.get_by_test_id("result-table-download").click()
    assert download.value.suggested_filename == "2025年度专家会评结果表.pdf"
    pdf = tmp_path / "result-table.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert A_TOP in text and C_LOWEST in text and member.name in text and "签名" in text
    scan = tmp_path / "会评结果表签字版.png"
    scan.write_bytes(PNG)
    box.locator("input[type=file]").set_input_files(str(scan))
    page.get_by_test_id("result-table-scan-upload").click()
    expect(page.get_by_test_id("result-table-scan-done")).to_contain_text("会评结果表签字版.png")
    shot(page, "panel-close-08-result-table")
