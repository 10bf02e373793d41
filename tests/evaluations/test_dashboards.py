"""Stage 2 dashboards (issue 4 §4): where each role lands, the district's dashboard, the
city's dashboard of every district and closing the preliminary review."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import (
    CycleStatus,
    DistrictReviewStatus,
    FraudKind,
    PreliminaryGroup,
    ReportStatus,
)
from evaluations.models import DistrictSummaryFile, Rectification
from evaluations.selectors.preliminary import district_summary, score_distribution
from evaluations.services import findings
from evaluations.services import preliminary as services
from institutions.enums import Role
from institutions.models import District
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)
from tests.evaluations.self_evaluation_setup import PDF, upload
from tests.factories import UserFactory


@pytest.fixture
def cycle(users, default_policy, private_media, gulou, yunlong, institution,
          sibling_institution):
    """鼓楼区: ``institution``, ``sibling_institution`` and three more (5 participants, R4
    sizes 2/2/1); 云龙区: ``other_institution`` and one more (2 participants, 1/1/0)."""
    add_institutions(gulou, 3)
    add_institutions(yunlong, 1)
    return open_preliminary_review(users["city_admin"])


@pytest.fixture
def gulou_review(cycle, gulou):
    return district_review(cycle, gulou)


@pytest.fixture
def yunlong_review(cycle, yunlong):
    return district_review(cycle, yunlong)


def _participants(review):
    return list(review.participants.select_related("institution").order_by("pk"))


def _scored(review, scores):
    for participant, score in zip(_participants(review), scores, strict=False):
        score_directly(participant, score)


def _submit(review, reviewer):
    """Rank in score order, a generated summary (the row the render task leaves), its stamped
    scan, submitted."""
    review = district_review(review.cycle, review.district)
    rank_by_score(review, reviewer)
    summary = DistrictSummaryFile.objects.create(
        district_review=review, digest=district_summary(review).digest(),
        document_number="测试〔2025〕1号", status=ReportStatus.DONE, progress=100,
        requested_by=reviewer)
    summary.file.save("summary.pdf", ContentFile(PDF))
    services.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    services.district_review_submit(district_review=review, actor=reviewer)
    return review


def _accept_all(cycle, users):
    city = users["city_admin"]
    for review, reviewer, scores in (
            (district_review(cycle, District.objects.get(name="鼓楼区")),
             users["district_reviewer"], [90, 80, 70, 60, 50]),
            (district_review(cycle, District.objects.get(name="云龙区")),
             users["district_reviewer_other"], [75, 65])):
        _scored(review, scores)
        _submit(review, reviewer)
        services.district_review_accept(district_review=review, actor=city)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _testid(response, testid: str) -> str:
    """The text of the first element carrying ``data-testid``, tags stripped."""
    html = response.content.decode()
    match = re.search(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, testid
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(2))).strip()


# --- Where each role lands --------------------------------------------------------------------

def test_review_home_sends_each_role_to_its_dashboard(cycle, users, client_for, gulou_review,
                                                      yunlong_review):
    url = reverse("evaluations:review_home")
    landing = {role: client_for(users[role]).get(url) for role in users}
    city = reverse("evaluations:preliminary_city", kwargs={"year": 2025})
    assert {role: (r.status_code, r.get("Location")) for role, r in landing.items()} == {
        "city_admin": (302, city), "panel_organiser": (302, city),
        "district_reviewer": (302, reverse("evaluations:district_dashboard",
                                           args=[gulou_review.pk])),
        "district_reviewer_other": (302, reverse("evaluations:district_dashboard",
                                                 args=[yunlong_review.pk])),
        "expert": (403, None), "institution_filer": (403, None),
        "institution_admin": (403, None), "institution_filer_other": (403, None)}


@pytest.mark.parametrize("role", ["city_admin", "district_reviewer"])
def test_review_home_without_a_cycle_in_preliminary_review_says_so(users, client_for, role):
    response = client_for(users[role]).get(reverse("evaluations:review_home"))
    assert (response.status_code, response.context["cycle"]) == (200, None)
    assert 'data-testid="preliminary-none"' in response.content.decode()


def test_review_home_of_a_district_without_participants_says_so(cycle, client_for):
    jiawang = District.objects.get(name="贾汪区")
    reviewer = UserFactory(username="jiawang", role=Role.DISTRICT_REVIEWER, district=jiawang)
    response = client_for(reviewer).get(reverse("evaluations:review_home"))
    assert (response.status_code, response.context["cycle"]) == (200, cycle)
    assert "贾汪区" in _testid(response, "preliminary-none")


def test_city_dashboard_of_a_cycle_before_its_preliminary_review_says_so(
        users, client_for, default_policy):
    from tests.evaluations.self_evaluation_setup import open_cycle

    open_cycle(users["city_admin"], year=2027)
    response = client_for(users["city_admin"]).get(
        reverse("evaluations:preliminary_city", kwargs={"year": 2027}))
    assert (response.status_code, response.context["not_open"]) == (200, True)


# --- The district's dashboard -----------------------------------------------------------------

@pytest.fixture
def busy_gulou(cycle, gulou_review, users):
    """Two reports fully reviewed, two visits of one institution, four notices: open, overdue,
    answered, closed; two fraud reports, one of them on the institution visited twice (the
    dashboard counts visits and reports in one query, where the two would multiply)."""
    reviewer = users["district_reviewer"]
    ps = _participants(gulou_review)
    score_directly(ps[0], 91)
    score_directly(ps[1], 55)
    today = timezone.localdate()
    findings.site_visit_record(participant=ps[0], visited_on=today, visitors="张三、李四",
                               findings="研发场地与申报一致。", actor=reviewer)
    findings.site_visit_record(participant=ps[0], visited_on=today - dt.timedelta(days=2),
                               visitors="张三", findings="复查。", actor=reviewer)
    findings.rectification_issue(participant=ps[1], problems="补充研发费用明细。",
                                 deadline=today + dt.timedelta(days=7), actor=reviewer)
    late = findings.rectification_issue(participant=ps[2], problems="补充专利证书扫描件。",
                                        deadline=today, actor=reviewer)
    # The service refuses a deadline in the past: let the deadline pass.
    Rectification.objects.filter(pk=late.pk).update(deadline=today - dt.timedelta(days=3))
    answered = findings.rectification_issue(participant=ps[3], problems="补充合同。",
                                            deadline=today, actor=reviewer)
    findings.rectification_answer(rectification=answered, text="已补充。",
                                  actor=users["institution_filer"])
    closed = findings.rectification_issue(participant=ps[4], problems="补充人员名单。",
                                          deadline=today, actor=reviewer)
    answer = findings.rectification_answer(rectification=closed, text="已补充名单。",
                                           actor=users["institution_filer"])
    findings.rectification_decide(answer=answer, accepted=True, comment="", actor=reviewer)
    findings.fraud_report_file(participant=ps[4], kind=FraudKind.OVERSTATED,
                               description="研发投入虚报。", actor=reviewer)
    findings.fraud_report_file(participant=ps[0], kind=FraudKind.OVERSTATED,
                               description="专利数量虚报。", actor=reviewer)
    return gulou_review


def test_district_dashboard_counts_progress_and_lists_overdue_notices_in_red(
        busy_gulou, users, client_for):
    response = client_for(users["district_reviewer"]).get(
        reverse("evaluations:district_dashboard", args=[busy_gulou.pk]))
    assert response.status_code == 200
    progress = response.context["progress"]
    assert (progress.n, progress.reviewed, progress.visited, progress.visits,
            progress.rectifications, progress.overdue) == (
        5, 2, 1, 2, {"open": 2, "answered": 1, "closed": 1}, 1)
    assert (_testid(response, "meter-reviewed-count"), _testid(response, "meter-visited-count"),
            _testid(response, "sizes")) == ("2", "1", "优良组2家 · 合格组2家 · 较差组1家")
    overdue = response.context["overdue"]
    assert [(n.participant.institution.name, n.days_overdue) for n in overdue] == [
        (_participants(busy_gulou)[2].institution.name, 3)]
    html = response.content.decode()
    row = re.search(r'<tr class="table-danger" data-testid="overdue-row">(.*?)</tr>', html, re.S)
    assert row and overdue[0].participant.institution.name in row.group(1)
    assert 'data-testid="overdue-marker"' in row.group(1)
    assert "补充研发费用明细" not in html  # open but not overdue: not in the overdue list
    assert _testid(response, "review-status") == str(DistrictReviewStatus.IN_REVIEW.label)
    assert response.context["pending_fraud"] == 2
    for name in ("participant_list", "ranking", "district_summary"):
        assert reverse(f"evaluations:{name}", args=[busy_gulou.pk]) in html
    assert reverse("evaluations:rectification_list") in html


def test_district_dashboard_histogram_and_cut_lines_follow_score_order_until_ranked(
        gulou_review, users, client_for):
    _scored(gulou_review, [50, 90, 70, 80, 60])
    distribution = score_distribution(gulou_review)
    assert (distribution.ranked, distribution.unscored) == (False, 0)
    assert [b["count"] for b in distribution.bins] == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    # Sizes 2/2/1 (R4): A ends at the 2nd best (80), B at the 4th (60).
    assert [(c.upper, c.lower, c.rank, c.score) for c in distribution.cuts] == [
        ("A", "B", 2, 80), ("B", "C", 4, 60)]
    ps = _participants(gulou_review)
    by_score = {int(p.score): p.pk for p in ps}
    # The district moves the 50 up to third place (with its reason): lines of the ranking.
    order = [by_score[90], by_score[80], by_score[50], by_score[70], by_score[60]]
    services.district_ranking_save(district_review=gulou_review, order=order,
                                   reasons={by_score[50]: "现场考察成果突出"},
                                   tie_confirmed=set(), revision=0,
                                   actor=users["district_reviewer"])
    distribution = score_distribution(district_review(gulou_review.cycle, gulou_review.district))
    assert distribution.ranked is True
    assert [(c.rank, c.score) for c in distribution.cuts] == [(2, 80), (4, 70)]
    response = client_for(users["district_reviewer"]).get(
        reverse("evaluations:district_dashboard", args=[gulou_review.pk]))
    assert response.context["score_chart"]["cuts"] == [
        {"score": "80.00", "label": "优良组 | 合格组"},
        {"score": "70.00", "label": "合格组 | 较差组"}]
    assert 'id="score-chart-data"' in response.content.decode()


def test_district_dashboard_histogram_counts_only_scored_reports(gulou_review):
    _scored(gulou_review, [100, 0])
    distribution = score_distribution(gulou_review)
    assert ([b["count"] for b in distribution.bins], distribution.unscored) == (
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 1], 3)
    # Score order puts the unscored last: A ends at the 100, B with an unscored report.
    assert [(c.rank, c.score) for c in distribution.cuts] == [(2, 0), (4, None)]


def test_district_dashboard_shows_the_citys_reason_when_returned(gulou_review, users,
                                                                client_for):
    _scored(gulou_review, [90, 80, 70, 60, 50])
    review = _submit(gulou_review, users["district_reviewer"])
    services.district_review_return(district_review=review, reason="第3名排序理由不充分。",
                                    actor=users["city_admin"])
    response = client_for(users["district_reviewer"]).get(
        reverse("evaluations:district_dashboard", args=[review.pk]))
    assert _testid(response, "review-status") == str(DistrictReviewStatus.RETURNED.label)
    assert _testid(response, "return-reason") == "第3名排序理由不充分。"


# --- The city's dashboard ---------------------------------------------------------------------

def _rows(response) -> dict:
    return {row.review.district.name: (row.n, (row.sizes.a, row.sizes.b, row.sizes.c),
                                       row.reviewed, row.visited, row.open_rectifications,
                                       row.overdue, row.review.status)
            for row in response.context["rows"]}


def test_city_dashboard_has_a_row_per_district_with_sizes_progress_and_status(
        busy_gulou, yunlong_review, users, client_for):
    _scored(yunlong_review, [75, 65])
    _submit(yunlong_review, users["district_reviewer_other"])
    response = client_for(users["panel_organiser"]).get(
        reverse("evaluations:preliminary_city", kwargs={"year": 2025}))
    assert response.status_code == 200
    assert _rows(response) == {
        "鼓楼区": (5, (2, 2, 1), 2, 1, 2, 1, DistrictReviewStatus.IN_REVIEW),
        "云龙区": (2, (1, 1, 0), 2, 0, 0, 0, DistrictReviewStatus.SUBMITTED)}
    html = response.content.decode()
    for review in (busy_gulou, yunlong_review):
        assert reverse("evaluations:district_review_detail", args=[review.pk]) in html
        assert reverse("evaluations:district_dashboard", args=[review.pk]) in html
    assert response.context["progress_chart"]["series"][0]["data"] == [2, 2]
    assert re.findall(r"\d+", _testid(response, "pending-fraud")) == ["2"]
    assert reverse("evaluations:fraud_list") in html
    assert [(s.value, n) for s, n, _tone in response.context["statuses"]] == [
        ("not_started", 0), ("in_review", 1), ("submitted", 1), ("returned", 0),
        ("accepted", 0)]
    assert response.context["can_close"] is False
    assert reverse("evaluations:preliminary_close", kwargs={"year": 2025}) not in html


def test_city_dashboard_counts_groups_assigned_against_the_r4_sizes(
        gulou_review, yunlong_review, users, client_for):
    _scored(gulou_review, [90, 80, 70, 60, 50])
    rank_by_score(gulou_review, users["district_reviewer"])
    response = client_for(users["city_admin"]).get(
        reverse("evaluations:preliminary_city", kwargs={"year": 2025}))
    # 鼓楼区 ranked (2/2/1 assigned), 云龙区 not yet (its 1/1/0 still to assign).
    assert [(g["group"].value, g["assigned"], g["size"], g["complete"])
            for g in response.context["groups"]] == [
        ("A", 2, 3, False), ("B", 2, 3, False), ("C", 1, 1, True)]
    assert (_testid(response, "assigned-A"), _testid(response, "size-A")) == ("2", "3")


def test_city_dashboard_offers_closing_once_every_district_is_accepted(cycle, users,
                                                                       client_for):
    _accept_all(cycle, users)
    url = reverse("evaluations:preliminary_city", kwargs={"year": 2025})
    close = reverse("evaluations:preliminary_close", kwargs={"year": 2025})
    admin = client_for(users["city_admin"]).get(url)
    organiser = client_for(users["panel_organiser"]).get(url)
    assert (admin.context["can_close"], close in admin.content.decode()) == (True, True)
    assert (organiser.context["can_close"], close in organiser.content.decode()) == (False,
                                                                                     False)


# --- Closing the stage ------------------------------------------------------------------------

def test_close_is_refused_with_the_problems_until_every_district_is_accepted(
        cycle, users, client_for, gulou_review):
    client = client_for(users["city_admin"])
    url = reverse("evaluations:preliminary_close", kwargs={"year": 2025})
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["problems"] == services.preliminary_review_close_problems(cycle) != []
    assert "鼓楼区" in _text(page).split('data-testid="close-problems"')[1]
    assert 'data-testid="close-form"' not in page.content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert cycle.stages.get(stage=CycleStatus.PRELIMINARY_REVIEW).is_closed is False


def test_close_works_when_every_district_is_accepted(cycle, users, client_for):
    _accept_all(cycle, users)
    client = client_for(users["city_admin"])
    url = reverse("evaluations:preliminary_close", kwargs={"year": 2025})
    page = client.get(url)
    assert page.context["problems"] == []
    assert page.context["group_counts"] == [(PreliminaryGroup.A.label, 3),
                                            (PreliminaryGroup.B.label, 3),
                                            (PreliminaryGroup.C.label, 1)]
    assert 'data-testid="close-form"' in page.content.decode()
    response = client.post(url)
    assert response["Location"] == reverse("evaluations:preliminary_city",
                                           kwargs={"year": 2025})
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    assert cycle.stages.get(stage=CycleStatus.PRELIMINARY_REVIEW).is_closed is True
    after = client.get(reverse("evaluations:preliminary_city", kwargs={"year": 2025}))
    assert after.context["can_close"] is False
    assert 'data-testid="stage-closed"' in after.content.decode()


@pytest.mark.parametrize("role", ["panel_organiser", "district_reviewer", "institution_admin"])
def test_close_post_by_anyone_but_the_city_administrator_is_refused(cycle, users, client_for,
                                                                    role):
    _accept_all(cycle, users)
    response = client_for(users[role]).post(
        reverse("evaluations:preliminary_close", kwargs={"year": 2025}))
    assert response.status_code == 403
    assert cycle.stages.get(stage=CycleStatus.PRELIMINARY_REVIEW).is_closed is False


# --- Navigation -------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "links"), [
    ("city_admin", ["evaluations:review_home", "evaluations:credit_record_list"]),
    ("panel_organiser", ["evaluations:review_home", "evaluations:credit_record_list"]),
    ("district_reviewer", ["evaluations:review_home"]),
    ("institution_filer", ["evaluations:rectification_list"]),
    ("institution_admin", ["evaluations:rectification_list"]),
    ("expert", []),
])
def test_navigation_links_the_preliminary_review_by_role(users, client_for, role, links):
    stage2 = {reverse(name) for name in (
        "evaluations:review_home", "evaluations:rectification_list", "evaluations:fraud_list",
        "evaluations:credit_record_list")}
    shown = [link["url"] for link in
             client_for(users[role]).get(reverse("home")).context["nav_links"]
             if link["url"] in stage2]
    assert shown == [reverse(name) for name in links]


def test_navigation_highlights_preliminary_review_on_the_district_dashboard(
        gulou_review, users, client_for):
    response = client_for(users["district_reviewer"]).get(
        reverse("evaluations:district_dashboard", args=[gulou_review.pk]))
    assert [link["name"] for link in response.context["nav_links"] if link["active"]] == [
        "evaluations:review_home"]
