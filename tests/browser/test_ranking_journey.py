"""The ranking journey (Art 10; R4): a district reviewer reorders the district's institutions
with the keyboard, an arrow button and the mouse (drag and drop), sees the places renumbered,
the rows recoloured A/B/C and the reasons the moves need, confirms the order of two equal
scores and saves."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
)
from tests.evaluations.ranking_setup import scored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def review(users, default_policy, settings, tmp_path, gulou, institution,
           sibling_institution):
    settings.MEDIA_ROOT = tmp_path / "media"
    extra = add_institutions(gulou, 2)
    cycle = open_preliminary_review(users["city_admin"],
                                    submitted=[institution, sibling_institution, *extra])
    review = district_review(cycle, gulou)
    return review, scored(review, [90, 80, 80, 60])


def rows(page):
    return page.locator("tr[data-pid]")


def expect_order(page, pids, groups):
    expect(rows(page)).to_have_count(len(pids))
    for k, (pid, group) in enumerate(zip(pids, groups, strict=True)):
        row = rows(page).nth(k)
        expect(row).to_have_attribute("data-pid", str(pid))
        expect(row).to_have_attribute("data-group", group)
        expect(row.locator("[data-place]")).to_have_text(str(k + 1))


def test_reviewer_reorders_with_keyboard_button_and_mouse_then_saves(page, live_server, users,
                                                                     review, login, shot):
    review, ps = review
    login(page, "gulou", PASSWORD)
    page.goto(f"{live_server.url}/preliminary/{review.pk}/ranking/")
    top, tie_a, tie_b, low = ps
    expect_order(page, [top.pk, tie_a.pk, tie_b.pk, low.pk], "AABB")
    expect(page.get_by_test_id("tie-flag")).to_have_count(2)
    shot(page, "ranking-01-score-order")

    # Keyboard: Alt+ArrowUp on the focused last row moves it to the top, live.
    last = page.locator(f"tr[data-pid='{low.pk}']")
    last.focus()
    for _ in range(3):
        page.keyboard.press("Alt+ArrowUp")
    expect_order(page, [low.pk, top.pk, tie_a.pk, tie_b.pk], "AABB")
    expect(last).to_be_focused()
    expect(last.get_by_test_id("moved")).to_be_visible()
    expect(page.locator(f"#reason-{low.pk}")).to_have_class(
        "form-control form-control-sm is-invalid")
    expect(page.locator(f"#reason-{top.pk}")).to_have_class(
        "form-control form-control-sm is-invalid")
    page.fill(f"#reason-{low.pk}", "现场考察发现成果转化突出")
    expect(page.locator(f"#reason-{top.pk}")).to_have_class("form-control form-control-sm")
    expect(page.locator(f"#reason-{low.pk}")).to_have_class("form-control form-control-sm")
    shot(page, "ranking-02-moved-with-keyboard")

    # An arrow button moves a row without reloading the page.
    page.locator(f"tr[data-pid='{tie_b.pk}'] [data-move=up]").click()
    expect_order(page, [low.pk, top.pk, tie_b.pk, tie_a.pk], "AABB")
    expect(page.get_by_test_id("ranking-unsaved")).to_have_count(0)

    # The mouse: the top row dragged by its handle below the last one (the whole table in
    # view: the pointer cannot drag beyond the window).
    page.get_by_test_id("ranking-table").evaluate(
        "table => table.scrollIntoView({block: 'start', behavior: 'instant'})")
    handle = page.locator(f"tr[data-pid='{low.pk}'] [data-handle]").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    target = page.locator(f"tr[data-pid='{tie_a.pk}']").bounding_box()
    page.mouse.move(target["x"] + 20, target["y"] + target["height"] - 3, steps=12)
    # The rows change height as they move (reason hints come and go): aim again at the lower
    # half of the row now last.
    target = page.locator(f"tr[data-pid='{tie_a.pk}']").bounding_box()
    page.mouse.move(target["x"] + 20, target["y"] + target["height"] - 3, steps=3)
    page.mouse.up()
    expect_order(page, [top.pk, tie_b.pk, tie_a.pk, low.pk], "AABB")
    expect(page.locator(f"tr[data-pid='{low.pk}']").get_by_test_id("moved")).to_be_hidden()
    shot(page, "ranking-03-dragged")

    # Equal scores confirmed, then saved.
    page.locator(f"#tie-{tie_a.pk}").check()
    page.locator(f"#tie-{tie_b.pk}").check()
    page.get_by_test_id("ranking-save").click()
    expect(page.get_by_test_id("ranking-ready")).to_be_visible()
    expect_order(page, [top.pk, tie_b.pk, tie_a.pk, low.pk], "AABB")
    shot(page, "ranking-04-saved")
    saved = list(review.participants.order_by("rank").values_list("pk", "group",
                                                                   "tie_confirmed"))
    assert saved == [(top.pk, "A", False), (tie_b.pk, "A", True), (tie_a.pk, "B", True),
                     (low.pk, "B", False)]
