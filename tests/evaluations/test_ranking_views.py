"""The district's ranking page (R4), the summary page with its PDF, stamped scan and
submission, and the city's decision (Art 10), driven through the views."""
from __future__ import annotations

import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from evaluations.enums import DistrictReviewStatus, ReportStatus
from evaluations.models import DistrictReview, Participant, RankingRevision
from evaluations.services.preliminary import district_review_submit, summary_scan_upload
from institutions.enums import Role
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
)
from tests.evaluations.ranking_setup import (
    generated_summary,
    ranking_data,
    ranking_url,
    render_done,
    revision_of,
    rows_of,
    scored,
    summary_groups,
    summary_url,
)
from tests.evaluations.self_evaluation_setup import upload
from tests.factories import UserFactory


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


@pytest.fixture
def city(users):
    return users["city_admin"]


@pytest.fixture
def cycle(users, default_policy, private_media, gulou, institution, sibling_institution,
          other_institution):
    """Gulou has four participants (``institution``, ``sibling_institution`` and two more),
    Yunlong one (``other_institution``)."""
    extra = add_institutions(gulou, 2)
    return open_preliminary_review(
        users["city_admin"],
        submitted=[institution, sibling_institution, *extra, other_institution])


@pytest.fixture
def review(cycle, gulou) -> DistrictReview:
    return district_review(cycle, gulou)


def saved_ranks(review) -> list[int]:
    return list(review.participants.order_by("rank").values_list("pk", flat=True))


# --- The ranking page ------------------------------------------------------------------------

def test_ranking_page_before_any_save_lists_score_order_with_r4_groups(review, reviewer,
                                                                       client_for):
    ps = scored(review, [70, 90, 80, 60])
    response = client_for(reviewer).get(ranking_url(review))
    assert response.status_code == 200
    assert rows_of(response) == [(ps[1].pk, "A"), (ps[2].pk, "A"), (ps[0].pk, "B"),
                                 (ps[3].pk, "B")]
    assert 'data-testid="r4-sizes" data-n="4" data-a="2" data-b="2" data-c="0"' in \
        response.content.decode()
    assert "参评4家 → 优良组2家，合格组2家，较差组0家" in response.content.decode()
    assert 'data-testid="fraud-badge"' not in response.content.decode()


def test_ranking_page_marks_a_confirmed_fraud(review, reviewer, client_for):
    ps = scored(review, [70, 90, 80, 60])
    Participant.objects.filter(pk=ps[0].pk).update(fraud_confirmed_at=timezone.now())
    content = client_for(reviewer).get(ranking_url(review)).content.decode()
    assert content.count('data-testid="fraud-badge"') == 1
    row = content.split(f'data-pid="{ps[0].pk}"')[1].split("</tr>")[0]
    assert 'data-testid="fraud-badge"' in row


def test_ranking_page_links_an_unfinished_review(review, reviewer, client_for):
    ps = scored(review, [70, 90, 80, 60])
    Participant.objects.filter(pk=ps[2].pk).update(score=None, reviewed=5)
    response = client_for(reviewer).get(ranking_url(review))
    content = response.content.decode()
    link = reverse("evaluations:participant_review", args=[ps[2].pk])
    assert f'href="{link}" class="text-danger" data-testid="review-incomplete"' in content
    assert [pid for pid, _group in rows_of(response)][-1] == ps[2].pk  # no score: last


def test_ranking_save_with_a_manual_move_and_a_reason(review, reviewer, client_for):
    ps = scored(review, [90, 80, 70, 60])
    client = client_for(reviewer)
    order = [ps[3].pk, ps[0].pk, ps[1].pk, ps[2].pk]  # 60 moved to the top
    response = client.post(ranking_url(review), ranking_data(
        order, revision=0, reasons={ps[3].pk: "现场核实成果转化突出"}))
    assert response.status_code == 302 and response["Location"] == ranking_url(review)
    assert saved_ranks(review) == order
    assert [(p.rank, p.group, p.rank_reason) for p in review.participants.order_by("rank")] \
        == [(1, "A", "现场核实成果转化突出"), (2, "A", ""), (3, "B", ""), (4, "B", "")]
    assert RankingRevision.objects.get(district_review=review).order == order
    page = client.get(ranking_url(review))
    assert rows_of(page) == [(order[0], "A"), (order[1], "A"), (order[2], "B"), (order[3], "B")]
    assert 'data-testid="ranking-ready"' in page.content.decode()
    assert review.participants.get(pk=ps[3].pk).rank_reason == "现场核实成果转化突出"


def test_move_without_a_reason_is_saved_and_shows_the_problem(review, reviewer, client_for):
    ps = scored(review, [90, 80, 70, 60])
    client = client_for(reviewer)
    order = [ps[3].pk, ps[0].pk, ps[1].pk, ps[2].pk]
    client.post(ranking_url(review), ranking_data(order, revision=0))
    assert saved_ranks(review) == order
    content = client.get(ranking_url(review)).content.decode()
    problems = content.split('data-testid="ranking-problems"')[1].split("</div>")[0]
    assert ps[3].institution.name in problems
    assert f'class="form-control form-control-sm is-invalid" id="reason-{ps[3].pk}"' in content
    assert 'data-testid="moved">' in content  # the marker is shown (not hidden) somewhere


def test_ties_are_flagged_and_confirmed(review, reviewer, client_for):
    ps = scored(review, [90, 80, 80, 70])
    client = client_for(reviewer)
    content = client.get(ranking_url(review)).content.decode()
    assert content.count('data-testid="tie-flag"') == 2
    order = [ps[0].pk, ps[2].pk, ps[1].pk, ps[3].pk]  # the equal scores in a chosen order
    client.post(ranking_url(review), ranking_data(order, revision=0))
    content = client.get(ranking_url(review)).content.decode()
    assert 'data-testid="ranking-problems"' in content
    problems = content.split('data-testid="ranking-problems"')[1].split("</div>")[0]
    assert ps[1].institution.name in problems and ps[2].institution.name in problems
    client.post(ranking_url(review), ranking_data(order, revision=1,
                                                  ties={ps[1].pk, ps[2].pk}))
    assert set(review.participants.filter(tie_confirmed=True).values_list("pk", flat=True)) \
        == {ps[1].pk, ps[2].pk}
    assert saved_ranks(review) == order
    assert 'data-testid="ranking-ready"' in client.get(ranking_url(review)).content.decode()


def test_move_buttons_without_javascript_reorder_the_page_without_saving(review, reviewer,
                                                                        client_for):
    ps = scored(review, [90, 80, 70, 60])
    client = client_for(reviewer)
    order = [p.pk for p in ps]
    response = client.post(ranking_url(review), ranking_data(
        order, revision=0, reasons={ps[2].pk: "已录入的理由"}, move=f"{ps[2].pk}:up",
        without_js=True))
    assert response.status_code == 200
    assert rows_of(response) == [(ps[0].pk, "A"), (ps[2].pk, "A"), (ps[1].pk, "B"),
                                 (ps[3].pk, "B")]
    content = response.content.decode()
    assert 'data-testid="ranking-unsaved"' in content
    assert f'name="reason-{ps[2].pk}" value="已录入的理由"' in content
    assert revision_of(response) == 0
    assert review.participants.filter(rank__isnull=False).count() == 0  # nothing saved
    # The first row cannot go further up; the last further down.
    top = client.post(ranking_url(review), ranking_data(order, revision=0,
                                                        move=f"{ps[0].pk}:up"))
    assert [pid for pid, _g in rows_of(top)] == order
    # Pressing save with the moved order keeps it.
    moved = [ps[0].pk, ps[2].pk, ps[1].pk, ps[3].pk]
    client.post(ranking_url(review), ranking_data(moved, revision=0,
                                                  reasons={ps[2].pk: "已录入的理由"}))
    assert saved_ranks(review) == moved


def test_second_reviewer_saving_from_the_same_revision_is_refused(review, reviewer, gulou,
                                                                  client_for):
    ps = scored(review, [90, 80, 70, 60])
    colleague = UserFactory(username="gulou2", full_name="鼓楼区第二审核员",
                            role=Role.DISTRICT_REVIEWER, district=gulou)
    first, second = client_for(reviewer), client_for(colleague)
    revision = revision_of(first.get(ranking_url(review)))
    assert revision_of(second.get(ranking_url(review))) == revision
    first_order = [ps[1].pk, ps[0].pk, ps[2].pk, ps[3].pk]
    saved = first.post(ranking_url(review), ranking_data(
        first_order, revision=revision, reasons={ps[1].pk: "第一位审核员的理由"}))
    assert saved.status_code == 302
    second_order = [ps[0].pk, ps[1].pk, ps[3].pk, ps[2].pk]
    refused = second.post(ranking_url(review), ranking_data(
        second_order, revision=revision, reasons={ps[3].pk: "第二位审核员的理由"}))
    assert refused.status_code == 409
    content = refused.content.decode()
    error = content.split('data-testid="ranking-error"')[1].split("</div>")[0]
    assert str(reviewer) in error and ps[1].institution.name in error
    # The second reviewer's order and reason stay on the page, at the old revision.
    assert [pid for pid, _g in rows_of(refused)] == second_order
    assert f'name="reason-{ps[3].pk}" value="第二位审核员的理由"' in content
    assert revision_of(refused) == revision
    assert 'data-testid="ranking-reload"' in content
    # The database keeps the first save.
    assert saved_ranks(review) == first_order
    assert review.participants.get(pk=ps[1].pk).rank_reason == "第一位审核员的理由"
    assert RankingRevision.objects.filter(district_review=review).count() == 1
    # Sending the same page again is refused again: the new revision is never adopted.
    again = second.post(ranking_url(review), ranking_data(second_order, revision=revision))
    assert again.status_code == 409 and saved_ranks(review) == first_order


def test_ranking_with_a_forged_order_is_refused(review, reviewer, client_for):
    ps = scored(review, [90, 80, 70, 60])
    response = client_for(reviewer).post(ranking_url(review), ranking_data(
        [ps[0].pk, ps[0].pk, ps[1].pk, ps[2].pk], revision=0))
    assert response.status_code == 400
    assert review.participants.filter(rank__isnull=False).count() == 0


def test_ranking_is_read_only_for_city_staff(review, reviewer, city, users, client_for):
    ps = scored(review, [90, 80, 70, 60])
    rank_by_score(review, reviewer)
    for role in ("city_admin", "panel_organiser"):
        response = client_for(users[role]).get(ranking_url(review))
        content = response.content.decode()
        assert response.status_code == 200
        assert 'name="order"' not in content and 'name="move"' not in content
        assert 'data-testid="read-only"' in content
        assert [pid for pid, _g in rows_of(response)] == [p.pk for p in ps]
    forbidden = client_for(city).post(ranking_url(review), ranking_data(
        [p.pk for p in reversed(ps)], revision=1))
    assert forbidden.status_code == 403 and saved_ranks(review) == [p.pk for p in ps]


# --- Summary, PDF, scan, submission and the city's decision ----------------------------------

def test_summary_request_is_refused_while_the_ranking_cannot_be_submitted(review, reviewer,
                                                                          client_for):
    scored(review, [90, 80, 70, 60])
    client = client_for(reviewer)
    page = client.get(summary_url(review)).content.decode()
    assert 'data-testid="summary-request-problems"' in page
    response = client.post(reverse("evaluations:district_summary_request", args=[review.pk]),
                           follow=True)
    assert review.summaries.count() == 0
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_summary_request_scan_submit_return_resubmit_accept(review, reviewer, city,
                                                            client_for):
    ps = scored(review, [90, 80, 70, 60])
    district, bureau = client_for(reviewer), client_for(city)
    order = [p.pk for p in ps]
    district.post(ranking_url(review), ranking_data(order, revision=0))

    # The PDF is queued, the status box polls, then offers the download and the scan upload.
    district.post(reverse("evaluations:district_summary_request", args=[review.pk]))
    summary_file = review.summaries.get()
    assert summary_file.status == ReportStatus.PENDING
    status_url = reverse("evaluations:district_summary_status", args=[summary_file.pk])
    polling = district.get(status_url).content.decode()
    assert f'hx-get="{status_url}" hx-trigger="every 1s"' in polling
    render_done(summary_file)
    ready = district.get(status_url).content.decode()
    assert "hx-trigger" not in ready and 'data-testid="summary-download"' in ready
    pdf = district.get(reverse("evaluations:district_summary_file", args=[summary_file.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")

    district.post(reverse("evaluations:district_summary_scan", args=[summary_file.pk]),
                  {"scan": upload("盖章汇总表.pdf")})
    summary_file.refresh_from_db()
    assert summary_file.scan_name == "盖章汇总表.pdf"
    scan = district.get(reverse("evaluations:district_summary_scan_file",
                                args=[summary_file.pk]))
    assert (scan.status_code, scan["Content-Type"]) == (200, "application/pdf")

    # Submitting needs the confirmation box.
    submit_url = reverse("evaluations:district_review_submit", args=[review.pk])
    district.post(submit_url, {})
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.IN_REVIEW
    response = district.post(submit_url, {"confirm": "on"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.summary_id) == (DistrictReviewStatus.SUBMITTED,
                                                  summary_file.pk)
    assert 'name="order"' not in district.get(ranking_url(review)).content.decode()
    locked = district.post(ranking_url(review), ranking_data(list(reversed(order)), revision=1))
    assert locked.status_code == 302 and saved_ranks(review) == order

    # The city sees the submitted summary with its scan; a return needs a reason.
    detail_url = reverse("evaluations:district_review_detail", args=[review.pk])
    detail = bureau.get(detail_url).content.decode()
    assert 'data-testid="submitted-scan"' in detail and 'data-testid="decision-return"' in detail
    return_url = reverse("evaluations:district_review_return", args=[review.pk])
    refused = bureau.post(return_url, {"reason": "  "})
    assert refused.status_code == 422
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.SUBMITTED
    bureau.post(return_url, {"reason": "第三名的排序理由不充分"})
    review.refresh_from_db()
    assert review.status == DistrictReviewStatus.RETURNED
    page = district.get(summary_url(review)).content.decode()
    assert 'data-testid="return-reason">第三名的排序理由不充分' in page

    # The district changes its ranking: the stamped summary is outdated and must be redone.
    changed = [ps[0].pk, ps[2].pk, ps[1].pk, ps[3].pk]
    district.post(ranking_url(review), ranking_data(
        changed, revision=1, reasons={ps[2].pk: "补充说明：现场考察成果显著"}))
    page = district.get(summary_url(review)).content.decode()
    assert 'data-testid="summary-outdated"' in page
    district.post(submit_url, {"confirm": "on"})
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.RETURNED
    district.post(reverse("evaluations:district_summary_request", args=[review.pk]))
    second = render_done(review.summaries.order_by("-pk").first())
    district.post(reverse("evaluations:district_summary_scan", args=[second.pk]),
                  {"scan": upload("盖章汇总表（第二版）.pdf")})
    district.post(submit_url, {"confirm": "on"})
    review.refresh_from_db()
    assert (review.status, review.summary_id) == (DistrictReviewStatus.SUBMITTED, second.pk)

    # Accepting needs the confirmation box too.
    accept_url = reverse("evaluations:district_review_accept", args=[review.pk])
    assert bureau.post(accept_url, {}).status_code == 422
    assert bureau.post(accept_url, {"confirm": "on"}).status_code == 302
    review.refresh_from_db()
    assert review.status == DistrictReviewStatus.ACCEPTED
    assert saved_ranks(review) == changed
    final = district.get(summary_url(review)).content.decode()
    assert 'data-testid="district-submit"' not in final


def test_return_refused_keeps_what_was_typed(review, reviewer, city, client_for):
    scored(review, [90, 80, 70, 60])
    rank_by_score(review, reviewer)
    summary_file = generated_summary(review, reviewer)
    summary_scan_upload(summary=summary_file, upload=upload("盖章.pdf"), actor=reviewer)
    district_review_submit(district_review=review, actor=reviewer)
    bureau = client_for(city)
    url = reverse("evaluations:district_review_return", args=[review.pk])
    too_long = "请补充现场考察记录。" * 401
    response = bureau.post(url, {"reason": too_long})
    assert response.status_code == 422
    assert too_long in response.content.decode()
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.SUBMITTED


def test_decision_refused_by_the_service_says_why(review, reviewer, city, client_for):
    scored(review, [90, 80, 70, 60])
    rank_by_score(review, reviewer)
    response = client_for(city).post(
        reverse("evaluations:district_review_return", args=[review.pk]),
        {"reason": "请补充现场考察记录"})
    assert response.status_code == 422  # not submitted: nothing to return
    assert 'data-testid="decision-error"' in response.content.decode()
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.IN_REVIEW


def test_decision_page_is_read_only_for_the_district_and_the_panel_organiser(
        review, reviewer, users, client_for):
    scored(review, [90, 80, 70, 60])
    rank_by_score(review, reviewer)
    summary_file = generated_summary(review, reviewer)
    summary_scan_upload(summary=summary_file, upload=upload("盖章.pdf"), actor=reviewer)
    district_review_submit(district_review=review, actor=reviewer)
    url = reverse("evaluations:district_review_detail", args=[review.pk])
    for role in ("district_reviewer", "panel_organiser"):
        content = client_for(users[role]).get(url).content.decode()
        assert 'data-testid="submitted-scan"' in content
        assert 'data-testid="decision-accept"' not in content
    assert 'data-testid="decision-accept"' in client_for(users["city_admin"]).get(url) \
        .content.decode()


def test_summary_excel_is_a_workbook_named_with_district_and_year(review, reviewer,
                                                                  client_for):
    ps = scored(review, [90, 80, 70, 60])
    rank_by_score(review, reviewer)
    response = client_for(reviewer).get(reverse("evaluations:district_summary_excel",
                                                args=[review.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "鼓楼区" in unquote(disposition) and "2025" in disposition
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell}
    assert {p.institution.credit_code for p in ps} <= values


# --- R4 at submission ------------------------------------------------------------------------

SIZES = {1: (1, 0, 0), 2: (1, 1, 0), 3: (2, 1, 0), 5: (2, 2, 1), 7: (3, 3, 1),
         11: (6, 4, 1), 15: (7, 6, 2)}


@pytest.mark.parametrize("n", sorted(SIZES))
def test_r4_group_sizes_are_enforced_at_submission(n, users, default_policy, private_media,
                                                   gulou, client_for):
    reviewer = users["district_reviewer"]
    cycle = open_preliminary_review(users["city_admin"], submitted=add_institutions(gulou, n))
    review = district_review(cycle, gulou)
    scores = [Decimal(90 - k) for k in range(n)]
    if n >= 2:
        scores[-1] = scores[-2]  # the last two are equal: the order must be confirmed
    ps = scored(review, scores)
    order = [p.pk for p in ps]
    client = client_for(reviewer)
    request_url = reverse("evaluations:district_summary_request", args=[review.pk])
    submit_url = reverse("evaluations:district_review_submit", args=[review.pk])
    client.post(ranking_url(review), ranking_data(order, revision=0))
    revision = 1
    if n >= 2:
        # A tie not confirmed: no summary can be generated, nothing can be submitted.
        client.post(request_url)
        client.post(submit_url, {"confirm": "on"})
        assert review.summaries.count() == 0
        assert DistrictReview.objects.get(pk=review.pk).status == \
            DistrictReviewStatus.IN_REVIEW
        client.post(ranking_url(review), ranking_data(order, revision=1, ties=set(order[-2:])))
        revision = 2
    assert DistrictReview.objects.get(pk=review.pk).revision == revision
    client.post(request_url)
    summary_file = render_done(review.summaries.get())
    client.post(reverse("evaluations:district_summary_scan", args=[summary_file.pk]),
                {"scan": upload("盖章.pdf")})

    # A group corrupted behind the services' back is refused at submission.
    top = ps[0]
    Participant.objects.filter(pk=top.pk).update(group="C")
    client.post(submit_url, {"confirm": "on"})
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.IN_REVIEW
    problems = client.get(summary_url(review)).content.decode() \
        .split('data-testid="submit-problems"')[1].split("</ul>")[0]
    assert top.institution.name in problems
    Participant.objects.filter(pk=top.pk).update(group="A")

    response = client.post(submit_url, {"confirm": "on"})
    assert response.status_code == 302
    assert DistrictReview.objects.get(pk=review.pk).status == DistrictReviewStatus.SUBMITTED
    a, b, c = SIZES[n]
    expected = ["A"] * a + ["B"] * b + ["C"] * c
    stored = list(review.participants.order_by("rank").values_list("group", flat=True))
    assert stored == expected
    ranking_page = client.get(ranking_url(review))
    assert [group for _pid, group in rows_of(ranking_page)] == expected
    assert (f'data-testid="r4-sizes" data-n="{n}" data-a="{a}" data-b="{b}" data-c="{c}"'
            in ranking_page.content.decode())
    assert summary_groups(client.get(summary_url(review))) == expected


def test_reason_too_long_says_so_and_where(review, reviewer, client_for):
    ps = scored(review, [90, 80, 70, 60])
    order = [ps[1].pk, ps[0].pk, ps[2].pk, ps[3].pk]
    for without_js in (False, True):
        response = client_for(reviewer).post(ranking_url(review), ranking_data(
            order, revision=0, reasons={ps[1].pk: "研" * 2001}, without_js=without_js))
        assert response.status_code == 400
        error = response.content.decode().split('data-testid="ranking-error"')[1] \
            .split("</div>")[0]
        assert "排序理由最多 2000 个字" in error and "第 1 名" in error
        assert review.participants.filter(rank__isnull=False).count() == 0
