"""Stage 2 services (Art 10; R3, R4): opening, claims, ranking, submission, the city's
decision and closing the stage."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from evaluations.enums import (
    ClaimVerdict,
    CycleStatus,
    DistrictReviewStatus,
    ReportStatus,
    SubmissionStatus,
)
from evaluations.models import DistrictSummaryFile, Indicator, Participant
from evaluations.selectors.preliminary import district_summary
from evaluations.services import preliminary as services
from institutions.exceptions import DomainError
from institutions.models import Notification
from tests.evaluations.preliminary_setup import (
    add_institutions,
    district_review,
    open_preliminary_review,
    rank_by_score,
    score_directly,
)
from tests.evaluations.self_evaluation_setup import PDF, upload

D = Decimal


@pytest.fixture
def reviewer(users):
    return users["district_reviewer"]


@pytest.fixture
def cycle(users, default_policy, private_media, gulou, institution, sibling_institution):
    """Gulou has ``institution``, ``sibling_institution`` and three more; Yunlong has one
    (``other_institution``). One Gulou institution does not submit."""
    extra = add_institutions(gulou, 3)
    submitted = [institution, sibling_institution, *extra[:2], users["institution_filer_other"]
                 .institution]
    return open_preliminary_review(users["city_admin"], submitted=submitted)


def test_opening_creates_a_review_per_district_and_a_participant_per_submitted_report(
        cycle, gulou, yunlong, reviewer):
    assert {(dr.district.name, dr.status, dr.participants.count())
            for dr in cycle.district_reviews.all()} == {
        ("鼓楼区", DistrictReviewStatus.NOT_STARTED, 4),
        ("云龙区", DistrictReviewStatus.NOT_STARTED, 1)}
    assert cycle.submissions.filter(status=SubmissionStatus.NOT_PARTICIPATING).count() == 1
    assert Notification.objects.filter(user=reviewer).count() == 1


def test_claim_not_supported_is_not_scored(cycle, gulou, reviewer):
    participant = district_review(cycle, gulou).participants.first()
    indicators = list(Indicator.objects.filter(category__cycle=cycle).order_by(
        "category__order", "order"))
    for k, indicator in enumerate(indicators):
        verdict = ClaimVerdict.NOT_SUPPORTED if k == 0 else ClaimVerdict.SUPPORTED
        services.claim_review_save(participant=participant, indicator=indicator,
                                   verdict=verdict, score=indicator.points,
                                   comment="无支撑材料" if k == 0 else "", revision=0,
                                   actor=reviewer)
    participant.refresh_from_db()
    assert participant.score == D(100) - indicators[0].points
    assert participant.reviewed == len(indicators)
    assert district_review(cycle, gulou).status == DistrictReviewStatus.IN_REVIEW


def test_score_is_none_until_every_claim_is_reviewed(cycle, gulou, reviewer):
    participant = district_review(cycle, gulou).participants.first()
    indicator = Indicator.objects.filter(category__cycle=cycle).first()
    services.claim_review_save(participant=participant, indicator=indicator,
                               verdict=ClaimVerdict.SUPPORTED, score="1.5", comment="",
                               revision=0, actor=reviewer)
    participant.refresh_from_db()
    assert (participant.score, participant.reviewed) == (None, 1)


@pytest.mark.parametrize("score", ["-1", "abc", "1.234", "1000"])
def test_claim_score_outside_the_points_is_refused(cycle, gulou, reviewer, score):
    participant = district_review(cycle, gulou).participants.first()
    indicator = Indicator.objects.filter(category__cycle=cycle).first()
    with pytest.raises(DomainError):
        services.claim_review_save(participant=participant, indicator=indicator,
                                   verdict=ClaimVerdict.SUPPORTED, score=score, comment="",
                                   revision=0, actor=reviewer)


def test_not_supported_needs_a_comment(cycle, gulou, reviewer):
    participant = district_review(cycle, gulou).participants.first()
    indicator = Indicator.objects.filter(category__cycle=cycle).first()
    with pytest.raises(DomainError, match="not supported|不予采纳"):
        services.claim_review_save(participant=participant, indicator=indicator,
                                   verdict=ClaimVerdict.NOT_SUPPORTED, score="", comment=" ",
                                   revision=0, actor=reviewer)


def test_second_reviewer_saving_a_claim_from_an_old_page_is_refused(cycle, gulou, reviewer,
                                                                     users):
    participant = district_review(cycle, gulou).participants.first()
    indicator = Indicator.objects.filter(category__cycle=cycle).first()
    services.claim_review_save(participant=participant, indicator=indicator,
                               verdict=ClaimVerdict.SUPPORTED, score="2", comment="",
                               revision=0, actor=reviewer)
    with pytest.raises(services.ReviewConflict) as refused:
        services.claim_review_save(participant=participant, indicator=indicator,
                                   verdict=ClaimVerdict.SUPPORTED, score="3", comment="",
                                   revision=0, actor=users["city_admin"])
    assert str(reviewer) in str(refused.value)
    assert participant.claims.get().score == D(2)


def scored(cycle, gulou, scores):
    review = district_review(cycle, gulou)
    participants = list(review.participants.order_by("pk"))
    for participant, score in zip(participants, scores, strict=True):
        score_directly(participant, score)
    return review, participants


def test_ranking_in_score_order_sets_ranks_and_r4_groups(cycle, gulou, reviewer):
    review, participants = scored(cycle, gulou, [80, 90, 70, 60])
    rank_by_score(review, reviewer)
    assert [(p.institution_id, p.rank, p.group) for p in
            review.participants.order_by("rank")] == [
        (participants[1].institution_id, 1, "A"), (participants[0].institution_id, 2, "A"),
        (participants[2].institution_id, 3, "B"), (participants[3].institution_id, 4, "B")]
    assert services.district_ranking_problems(review) == []


def test_a_move_needs_a_reason_and_ties_an_explicit_order(cycle, gulou, reviewer):
    review, ps = scored(cycle, gulou, [90, 80, 80, 70])
    order = [ps[3].pk, ps[0].pk, ps[1].pk, ps[2].pk]  # 70 moved to the top
    services.district_ranking_save(district_review=review, order=order, reasons={},
                                   tie_confirmed=set(), revision=0, actor=reviewer)
    problems = services.district_ranking_problems(review)
    assert len(problems) == 2 and ps[3].institution.name in problems[0]
    services.district_ranking_save(district_review=review, order=order,
                                   reasons={ps[3].pk: "现场核实成果转化突出"},
                                   tie_confirmed={ps[1].pk, ps[2].pk}, revision=1,
                                   actor=reviewer)
    assert services.district_ranking_problems(review) == []
    assert Participant.objects.get(pk=ps[3].pk).rank_reason == "现场核实成果转化突出"


def test_second_ranking_save_from_an_old_page_says_who_changed_what(cycle, gulou, reviewer,
                                                                    users):
    review, ps = scored(cycle, gulou, [90, 80, 70, 60])
    rank_by_score(review, reviewer)
    stale = district_review(cycle, gulou)  # loaded at revision 1
    order = [ps[1].pk, ps[0].pk, ps[2].pk, ps[3].pk]
    services.district_ranking_save(district_review=review, order=order,
                                   reasons={ps[1].pk: "理由"}, tie_confirmed=set(),
                                   revision=1, actor=reviewer)
    with pytest.raises(services.ReviewConflict) as refused:
        services.district_ranking_save(district_review=stale, order=list(reversed(order)),
                                       reasons={}, tie_confirmed=set(), revision=1,
                                       actor=users["city_admin"])
    message = str(refused.value)
    assert str(reviewer) in message and ps[1].institution.name in message
    assert Participant.objects.get(pk=ps[1].pk).rank == 1


def _generated(review, actor) -> DistrictSummaryFile:
    summary = DistrictSummaryFile.objects.create(
        district_review=review, digest=district_summary(review).digest(),
        document_number="测试", status=ReportStatus.DONE, progress=100, requested_by=actor)
    summary.file.save("summary.pdf", ContentFile(PDF))
    return summary


def ready_district(cycle, gulou, reviewer):
    review, _ = scored(cycle, gulou, [90, 80, 70, 60])
    rank_by_score(review, reviewer)
    summary = _generated(review, reviewer)
    services.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    return review


def test_submit_locks_the_district_and_the_city_returns_or_accepts(
        cycle, gulou, reviewer, users, django_capture_on_commit_callbacks):
    review = ready_district(cycle, gulou, reviewer)
    services.district_review_submit(district_review=review, actor=reviewer)
    assert review.status == DistrictReviewStatus.SUBMITTED
    with pytest.raises(DomainError):
        rank_by_score(district_review(cycle, gulou), reviewer)
    with pytest.raises(DomainError):
        services.district_review_return(district_review=review, reason=" ",
                                        actor=users["city_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        services.district_review_return(district_review=review, reason="排序理由不充分",
                                        actor=users["city_admin"])
    assert Notification.objects.filter(user=reviewer, body="排序理由不充分").exists()
    rank_by_score(district_review(cycle, gulou), reviewer)  # unlocked again
    summary = _generated(district_review(cycle, gulou), reviewer)
    services.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    services.district_review_submit(district_review=review, actor=reviewer)
    services.district_review_accept(district_review=review, actor=users["city_admin"])
    assert district_review(cycle, gulou).status == DistrictReviewStatus.ACCEPTED


def test_submit_needs_the_scan_of_the_current_summary(cycle, gulou, reviewer):
    review = ready_district(cycle, gulou, reviewer)
    participant = review.participants.get(rank=4)
    services.participant_comment_save(participant=participant, comment="新意见",
                                      actor=reviewer)
    with pytest.raises(DomainError, match="scan|扫描件"):
        services.district_review_submit(district_review=review, actor=reviewer)


def test_closing_needs_every_district_accepted_then_closes_the_stage(cycle, gulou, yunlong,
                                                                     reviewer, users):
    city = users["city_admin"]
    review = ready_district(cycle, gulou, reviewer)
    services.district_review_submit(district_review=review, actor=reviewer)
    services.district_review_accept(district_review=review, actor=city)
    assert services.preliminary_review_close_problems(cycle) != []
    other = district_review(cycle, yunlong)
    score_directly(other.participants.get(), 75)
    rank_by_score(other, users["district_reviewer_other"])
    summary = _generated(other, users["district_reviewer_other"])
    services.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"),
                                 actor=users["district_reviewer_other"])
    services.district_review_submit(district_review=other, actor=users["district_reviewer_other"])
    services.district_review_accept(district_review=other, actor=city)
    assert services.preliminary_review_close(cycle=cycle, actor=city) == 5
    assert cycle.stages.get(stage=CycleStatus.PRELIMINARY_REVIEW).is_closed


R4_EXAMPLES = [(1, (1, 0, 0)), (2, (1, 1, 0)), (3, (2, 1, 0)), (5, (2, 2, 1)), (7, (3, 3, 1)),
               (11, (6, 4, 1)), (15, (7, 6, 2))]


@pytest.mark.parametrize(("n", "sizes"), R4_EXAMPLES)
def test_submission_stores_exactly_the_r4_groups(n, sizes, users, default_policy,
                                                 private_media, yunlong):
    """rules.md R4 examples: a district of n participants submits groups of exactly these
    sizes (云龙区 holds ``other_institution`` plus n − 1 more)."""
    reviewer = users["district_reviewer_other"]
    add_institutions(yunlong, n - 1)
    cycle = open_preliminary_review(users["city_admin"])
    review = district_review(cycle, yunlong)
    for k, participant in enumerate(review.participants.order_by("pk")):
        score_directly(participant, 90 - k)
    rank_by_score(review, reviewer)
    summary = _generated(review, reviewer)
    services.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    services.district_review_submit(district_review=review, actor=reviewer)
    groups = list(review.participants.order_by("rank").values_list("group", flat=True))
    assert (groups.count("A"), groups.count("B"), groups.count("C")) == sizes
    assert groups == sorted(groups)


def test_submission_refused_until_equal_scores_are_ordered_explicitly(cycle, gulou, reviewer):
    review, ps = scored(cycle, gulou, [90, 80, 80, 70])
    rank_by_score(review, reviewer, confirm_ties=False)
    summary = _generated(review, reviewer)
    services.summary_scan_upload(summary=summary, upload=upload("盖章.pdf"), actor=reviewer)
    with pytest.raises(DomainError, match=ps[1].institution.name):
        services.district_review_submit(district_review=review, actor=reviewer)


def test_submission_refused_when_a_group_does_not_follow_the_rank(cycle, gulou, reviewer):
    review = ready_district(cycle, gulou, reviewer)
    Participant.objects.filter(district_review=review, rank=4).update(group="A")
    with pytest.raises(DomainError):
        services.district_review_submit(district_review=review, actor=reviewer)


def test_a_changed_score_asks_again_for_the_order_of_equal_scores(cycle, gulou, reviewer):
    review, ps = scored(cycle, gulou, [90, 80, 80, 70])
    rank_by_score(review, reviewer)
    score_directly(Participant.objects.get(pk=ps[3].pk), 80)
    assert Participant.objects.get(pk=ps[3].pk).tie_confirmed is False
    assert any(ps[3].institution.name in p for p in services.district_ranking_problems(review))
