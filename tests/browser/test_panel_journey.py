"""The panel review journey (Art 11; R6a, R6): the organiser splits group A by cluster category
in the page, draws the first panel with a seed typed in beforehand, lands on the draw record
that replays and invites the members; in their own browsers one member declines with a
reason, the alternate who takes its place sees the invitation, accepts, scores an institution
(the total follows the typing), saves a draft and submits; another member accepts and declares
a conflict with an institution, which leaves its list."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from evaluations.enums import ConflictSource, SeatRole, SeatStatus
from evaluations.models import Conflict, ExpertScore, Indicator, Panel, PanelSeat
from institutions.enums import ClusterGroup, Role
from institutions.models import Cluster
from tests.conftest import PASSWORD
from tests.evaluations.panel_setup import open_panel_review, pool
from tests.evaluations.preliminary_setup import add_institutions
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = "2025-会评-C"
DECLINE_REASON = "评审当周在外地出差，无法参加。"
CONFLICT_REASON = "本人曾为该机构技术顾问。"


@pytest.fixture
def cycle(users, gulou, default_policy, settings, tmp_path):
    """The 2025 cycle in its panel review: group A two institutions of a leading cluster and
    one of an emerging one, group C two of a distinctive one; nine experts, each with an
    account."""
    settings.MEDIA_ROOT = tmp_path / "media"
    by_group = {g: Cluster.objects.filter(group=g).order_by("sort_order").first()
                for g in ClusterGroup.values}
    made = add_institutions(gulou, 5)
    clusters = [ClusterGroup.LEADING, ClusterGroup.LEADING, ClusterGroup.EMERGING,
                ClusterGroup.DISTINCTIVE, ClusterGroup.DISTINCTIVE]
    for institution, group in zip(made, clusters, strict=True):
        institution.cluster = by_group[group]
        institution.save()
    cycle = open_panel_review(users["city_admin"], a=made[:3], c=made[3:])
    for expert in pool(9):
        expert.user = UserFactory(username=f"x-{expert.pool_number.lower()}",
                                  role=Role.EXPERT, full_name=expert.name)
        expert.save()
    return cycle


def _seat(panel: Panel, role: str, n: int) -> PanelSeat:
    return panel.seats.filter(role=role).select_related("expert__user").order_by(
        "position")[n]


def _expert_page(browser, login, live_server, seat: PanelSeat):
    """The expert's own browser, on its list of panels (where its invitation leads)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, seat.expert.user.username, PASSWORD)
    page.goto(f"{live_server.url}/expert/")
    return page


def test_organiser_draws_a_panel_and_experts_answer_score_and_declare_a_conflict(
        page, browser, live_server, users, cycle, login, shot):
    # The organiser opens the panel review from the navigation: groups A and C, one panel each.
    login(page, "organiser", PASSWORD)
    page.get_by_role("link", name=re.compile("^(会评|Panel review)$")).first.click()
    expect(page).to_have_url(re.compile(rf"/cycles/{cycle.year}/panels"))
    expect(page.get_by_test_id("panel-row")).to_have_count(2)
    shot(page, "panel-01-stage")

    # Group A in two panels: leading / emerging and distinctive.
    split = page.get_by_test_id("split-A")
    split.get_by_label(re.compile("优势 / 新兴与特色|leading / emerging and")).check()
    split.get_by_role("button", name=re.compile("按此设置评审组|Form these panels")).click()
    expect(page.get_by_test_id("panel-row")).to_have_count(3)
    expect(page.get_by_test_id("panel-table")).to_contain_text("优良组·优势产业集群")
    shot(page, "panel-02-split")

    # The first panel in the order of the draws is group C's: its draw page, a typed seed.
    first = page.get_by_test_id("panel-row").first
    expect(first).to_contain_text("较差组")
    first.get_by_role("link", name=re.compile("^(抽取|Draw)$")).click()
    expect(page.get_by_test_id("eligible-count")).to_have_text("9")
    page.get_by_label(re.compile("种子|Seed")).fill(SEED)
    shot(page, "panel-03-draw-preview")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("立即抽取|Draw now")).click()

    # The draw record: the typed seed, and the replay gives the same experts.
    expect(page.get_by_test_id("seed")).to_have_text(SEED)
    expect(page.get_by_test_id("replay-ok")).to_contain_text("结果一致")
    expect(page.get_by_test_id("seat-row")).to_have_count(9)
    shot(page, "panel-04-draw-record")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("invite").click()
    expect(page.get_by_test_id("seats")).to_contain_text("已邀请")
    shot(page, "panel-05-invited")

    panel = cycle.panels.get(group="C")
    decliner, declarer = _seat(panel, SeatRole.MEMBER, 0), _seat(panel, SeatRole.MEMBER, 1)
    alternate = _seat(panel, SeatRole.ALTERNATE, 0)
    assert (decliner.status, alternate.status) == (SeatStatus.INVITED, SeatStatus.STANDBY)

    # A member declines with a reason, in its own browser.
    expert = _expert_page(browser, login, live_server, decliner)
    expect(expert.get_by_test_id("accept-form")).to_be_visible()
    shot(expert, "panel-06-invitation")
    expert.get_by_test_id("decline-form").locator("textarea").fill(DECLINE_REASON)
    expert.once("dialog", lambda dialog: dialog.accept())
    expert.get_by_test_id("decline-form").get_by_role("button").click()
    expect(expert.get_by_test_id("seat-status")).to_have_text(re.compile("谢绝|Declined"))
    expect(expert.get_by_test_id("seat-card")).to_contain_text(DECLINE_REASON)
    shot(expert, "panel-07-declined")
    expert.context.close()

    # The first alternate takes its place: it sees the invitation and accepts.
    alternate.refresh_from_db()
    assert (alternate.status, alternate.replaces_id) == (SeatStatus.INVITED, decliner.pk)
    substitute = _expert_page(browser, login, live_server, alternate)
    form = substitute.get_by_test_id("accept-form")
    form.locator("input[type=checkbox][name$=pledge]").check()
    shot(substitute, "panel-08-alternate-invited")
    form.get_by_role("button", name=re.compile("接受邀请|Accept the invitation")).click()
    expect(substitute.get_by_test_id("assignment")).to_have_count(2)
    shot(substitute, "panel-09-alternate-list")

    # It opens an institution of its list and scores it: the total follows the typing.
    first_name = substitute.get_by_test_id("assignment").first.get_by_role("link").inner_text()
    substitute.get_by_test_id("assignment").first.get_by_role("link").click()
    expect(substitute.get_by_test_id("institution-name")).to_be_visible()
    indicators = list(Indicator.objects.filter(category__cycle=cycle)
                      .order_by("category__order", "order"))
    inputs = substitute.locator("[data-indicator-score]")
    expect(inputs).to_have_count(len(indicators))
    inputs.nth(0).fill("5")
    expect(substitute.get_by_test_id("score-total")).to_have_text("≥ 5.00")
    total = 0
    for n, indicator in enumerate(indicators):
        given = max(indicator.points - 1, 0)
        inputs.nth(n).fill(str(given))
        total += given
    expect(substitute.get_by_test_id("score-total")).to_have_text(f"{total:.2f}")
    substitute.fill("#comment", "运营机制完善，成果转化成效明显。")
    shot(substitute, "panel-10-scoring")
    substitute.get_by_test_id("save-score").click()
    expect(substitute.locator(".alert-success")).to_be_visible()
    expect(substitute.get_by_test_id("score-total")).to_have_text(re.compile(rf"^{total}(\.00)?$"))
    score = ExpertScore.objects.get(seat=alternate)
    assert (score.total, score.submitted_at) == (total, None)
    substitute.once("dialog", lambda dialog: dialog.accept())
    substitute.get_by_test_id("submit-score").click()
    # Submitting goes straight on to the next institution to score; the list shows the first
    # one submitted.
    expect(substitute.locator(".alert-success")).to_contain_text(first_name)
    shot(substitute, "panel-11-next-to-score")
    substitute.get_by_role("link", name=re.compile("^(我的评审组|My panels)$")).first.click()
    expect(substitute).to_have_url(re.compile(r"/expert/$"))
    # The badge reads "提交" for now: the template's "Submitted" lacks its "expert score"
    # context (reported), so match both.
    expect(substitute.get_by_test_id("assignment").first.locator(".badge.text-bg-success")) \
        .to_have_text(re.compile("提交|Submitted"))
    shot(substitute, "panel-12-submitted")
    score.refresh_from_db()
    assert score.submitted_at is not None
    substitute.context.close()

    # Another member accepts, then declares a conflict with an institution of its list.
    member = _expert_page(browser, login, live_server, declarer)
    form = member.get_by_test_id("accept-form")
    form.locator("input[type=checkbox][name$=pledge]").check()
    form.get_by_role("button", name=re.compile("接受邀请|Accept the invitation")).click()
    expect(member.get_by_test_id("assignment")).to_have_count(2)
    row = member.get_by_test_id("assignment").first
    name = row.get_by_role("link").inner_text()
    row.get_by_role("link").click()
    member.locator("details summary").filter(
        has_text=re.compile("申报与该单位的利益冲突|Declare a conflict of interest")).click()
    member.locator("input[name=reason]").fill(CONFLICT_REASON)
    shot(member, "panel-13-declare-conflict")
    member.once("dialog", lambda dialog: dialog.accept())
    member.get_by_test_id("declare-conflict").click()
    expect(member).to_have_url(re.compile(r"/expert/$"))
    expect(member.get_by_test_id("assignment")).to_have_count(1)
    expect(member.get_by_test_id("assignments")).not_to_contain_text(name)
    shot(member, "panel-14-after-conflict")
    conflict = Conflict.objects.get(expert=declarer.expert)
    assert (conflict.source, conflict.reason, conflict.participant.institution.name) == (
        ConflictSource.DECLARED, CONFLICT_REASON, name)
    member.context.close()

    # The organiser's record shows who declined, who joined and the declared conflict.
    page.reload()
    expect(page.get_by_test_id("seats")).to_contain_text(DECLINE_REASON)
    expect(page.get_by_test_id("conflicts")).to_contain_text(name)
    shot(page, "panel-15-record-after-answers")
