"""The organiser's console and the close of the panel review (R6, R6a): the progress matrix,
each institution's statistics and flags from hand-computed scores (the trim from five scores
included), the experts' calibration, the rankings with their lines, a blocking tie flagged
then resolved by a recorded order, the number of 不合格 never below F, the close refused for
each problem and then accepted, the results fixed; the console's queries do not grow with the
data."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

import scoring
from evaluations.enums import CycleStatus
from evaluations.models import (
    CycleStage,
    ExpertScore,
    PanelOutcome,
    PanelResult,
    Participant,
)
from evaluations.selectors.panel_console import Cell, panel_console
from evaluations.services.panel import (
    conflict_declare,
    panel_draw,
    seat_accept,
    seat_decline,
)
from evaluations.services.panel_close import (
    panel_fail_count_set,
    panel_review_close,
    panel_review_close_problems,
    panel_score_reopen,
    panel_tiebreak_set,
)
from institutions.enums import Role
from institutions.exceptions import DomainError
from tests.evaluations.panel_setup import pool
from tests.evaluations.panel_setup import score as _score
from tests.evaluations.panel_setup import serve as _serve
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _group(cycle, group):
    return list(cycle.participants.filter(group=group).select_related("institution")
                .order_by("institution__credit_code"))


def _draw_c(cycle, organiser):
    """Group C's panel drawn from nine more experts, each with an account."""
    for expert in pool(9):
        expert.user = UserFactory(username=f"c-{expert.pool_number}", role=Role.EXPERT)
        expert.save()
    panel = cycle.panels.get(position=2)
    panel_draw(panel=panel, actor=organiser, seed="group-c")
    return panel


@pytest.fixture
def scored(drawn, organiser):
    """Group A's panel with five members serving; the first A institution scored 60, 80, 84,
    85, 100 by them, the second 70, 71, 72, 73.5 by four, the third not at all."""
    panel, _made = drawn
    seats = _serve(panel, organiser, accepting=5)
    first, second, _third = _group(panel.cycle, "A")
    for seat, total in zip(seats, [60, 80, 84, 85, 100], strict=False):
        _score(seat, first, total)
    for seat, total in zip(seats, ["70", "71", "72", "73.5"], strict=False):
        _score(seat, second, total)
    return panel, seats


# --- The console's figures --------------------------------------------------------------------

def test_statistics_and_flags_follow_the_hand_computed_scores(scored):
    panel, _seats = scored
    console = panel_console(panel.cycle)
    first, second, third = (console.rows[p.pk] for p in _group(panel.cycle, "A"))
    # 60 80 84 85 100: mean 409/5; five scores, so 60 and 100 go: (80+84+85)/3 = 83;
    # squared gaps to 81.8 add up to 824.8, / 4 = 206.2, root 14.36.
    assert (len(first.scores), first.statistics.mean, first.statistics.mean_shown,
            first.panel_score, first.lowest, first.highest, first.stdev_shown) == (
        5, Fraction(409, 5), Decimal("81.80"), Decimal("83.00"), Decimal("60.00"),
        Decimal("100.00"), "14.36")
    assert (first.disagreement, first.below_minimum) == (True, False)
    # Four scores: no trim, 286.5 / 4 = 71.625, kept half up as 71.63; 3.5 points apart;
    # squared gaps 2.640625 + 0.390625 + 0.140625 + 3.515625 = 6.6875, / 3, root 1.49.
    assert (second.panel_score, second.stdev_shown, second.disagreement,
            second.below_minimum) == (Decimal("71.63"), "1.49", False, True)
    assert (third.statistics, third.below_minimum, third.scores) == (None, True, [])


def test_the_matrix_counts_submitted_pending_conflicted_and_declined(drawn, organiser):
    panel, _made = drawn
    seats = _serve(panel, organiser, accepting=4)
    first, second, third = _group(panel.cycle, "A")
    _score(seats[0], first, 90)
    _score(seats[0], second, 80, submit=False)  # a draft is still pending
    conflict_declare(seat=seats[1], participant_id=third.pk, reason="曾任该机构顾问",
                     actor=seats[1].expert.user)
    seat_decline(seat=seats[6], actor=seats[6].expert.user, reason="出差")
    console = panel_console(panel.cycle)
    # Seven members (one declined) and the alternate who took its place, invited.
    assert [len(block.columns) for block in console.blocks] == [8, 0]
    states = {row.name: [state for _c, state, _s in row.cells]
              for row in console.blocks[0].rows}
    assert states[first.institution.name] == [Cell.SCORED] + [Cell.PENDING] * 5 + [
        Cell.DECLINED, Cell.PENDING]
    assert states[third.institution.name] == [Cell.PENDING, Cell.CONFLICTED] + [
        Cell.PENDING] * 4 + [Cell.DECLINED, Cell.PENDING]
    assert dict(console.totals) == {Cell.SCORED: 1, Cell.PENDING: 19, Cell.CONFLICTED: 1,
                                    Cell.DECLINED: 3}
    assert dict(console.experts[0].counts) == {Cell.SCORED: 1, Cell.PENDING: 2}


def test_an_experts_calibration_is_its_mean_gap_to_the_panel_scores(scored):
    panel, _seats = scored
    console = panel_console(panel.cycle)
    # Expert 1 scored 60 (panel 83) and 70 (panel 71.63): (−23 − 1.63) / 2 = −12.315.
    assert console.experts[0].calibration == Fraction(-12315, 1000)
    assert console.experts[0].calibration_shown == Decimal("-12.32")
    # Expert 5 scored only the first: 100 − 83.
    assert console.experts[4].calibration == Fraction(17)
    assert [c.calibration for c in console.experts[5:]] == [None, None]


# --- Rankings, lines and ties -----------------------------------------------------------------

def _all_a_scored(panel, organiser, totals_by_institution):
    """Five members serve; each A institution gets the five scores given."""
    seats = _serve(panel, organiser, accepting=5)
    for participant, totals in zip(_group(panel.cycle, "A"), totals_by_institution,
                                   strict=True):
        for seat, total in zip(seats[:5], totals, strict=True):
            _score(seat, participant, total)
    return seats


def test_the_reverification_list_is_the_first_min_of_e_plus_g_and_a(drawn, organiser):
    panel, _made = drawn
    cycle = panel.cycle
    _all_a_scored(panel, organiser, [[70] * 5, [90] * 5, [80] * 5])
    first, second, third = _group(cycle, "A")
    quotas = scoring.city_quotas(Participant.objects.filter(cycle=cycle).count())
    console = panel_console(cycle)
    size = min(quotas.E + quotas.G, 3)
    assert [r.row.participant_pk for r in console.a.ranked] == [second.pk, third.pk, first.pk]
    assert [r.participant_pk for r in console.reverification] == [
        second.pk, third.pk, first.pk][:size]
    # More places than members of A: the whole group is on the list.
    cycle.policy_version.__class__.objects.filter(pk=cycle.policy_version_id).update(
        good_share=100)
    cycle.refresh_from_db()
    assert [r.participant_pk for r in panel_console(cycle).reverification] == [
        second.pk, third.pk, first.pk]


def test_a_blocking_tie_at_the_list_line_is_flagged_then_resolved_by_a_recorded_order(
        drawn, organiser):
    panel, _made = drawn
    cycle = panel.cycle
    # Good places for two of the three: the second and third place are equal.
    cycle.policy_version.__class__.objects.filter(pk=cycle.policy_version_id).update(
        excellent_share=0, good_share=40)
    cycle.refresh_from_db()
    n = Participant.objects.filter(cycle=cycle).count()
    assert scoring.city_quotas(n, cycle.policy_version.as_params()).G == 2, n
    first, second, third = _group(cycle, "A")
    _all_a_scored(panel, organiser, [[90] * 5, [80] * 5, [80] * 5])
    console = panel_console(cycle)
    assert set(console.a.tie) == {str(second.pk), str(third.pk)}
    assert [r.tied for r in console.a.ranked] == [False, True, True]
    assert any("straddle the line of the re-verification list" in p
               for p in panel_review_close_problems(cycle))

    with pytest.raises(DomainError, match="equal panel scores can be ordered"):
        panel_tiebreak_set(cycle=cycle, order=[first.pk, third.pk], reason="x",
                           actor=organiser)
    panel_tiebreak_set(cycle=cycle, order=[third.pk, second.pk], reason="创新成效更显著",
                       actor=organiser)
    console = panel_console(cycle)
    assert console.a.tie == ()
    assert [r.participant_pk for r in console.reverification] == [first.pk, third.pk]
    assert PanelOutcome.objects.get(cycle=cycle).tiebreak == [third.pk, second.pk]
    assert not any("re-verification list" in p for p in panel_review_close_problems(cycle))


# --- The number of 不合格 --------------------------------------------------------------------

def test_a_fail_count_below_f_is_refused_naming_f(stage, organiser):
    cycle, _made = stage
    f = scoring.city_quotas(Participant.objects.filter(cycle=cycle).count()).F
    with pytest.raises(DomainError, match=f"At least {f} institutions of group C"):
        panel_fail_count_set(cycle=cycle, chosen=f - 1, actor=organiser)
    assert not PanelOutcome.objects.filter(fail_count_confirmed=True).exists()
    outcome = panel_fail_count_set(cycle=cycle, chosen=f + 1, actor=organiser)
    assert (outcome.fail_count, outcome.fail_count_confirmed) == (f + 1, True)
    # Never more than |C| (one institution).
    assert panel_console(cycle).fail_count == 1


def test_the_fail_count_form_refuses_below_f_and_the_line_moves_after_save(
        stage, organiser, client_for):
    cycle, _made = stage
    client = client_for(organiser)
    url = reverse("evaluations:panel_fail_count", args=[cycle.year])
    # The pages speak the site's language (Chinese): the messages as the page shows them.
    with translation.override("zh-hans"):
        refused = gettext(
            "At least %(minimum)s institutions of group C (poor) are unqualified (Article "
            "11): choose %(minimum)s or more, not %(chosen)s.") % {"minimum": 1, "chosen": 0}
        moved = gettext(
            "The number of unqualified institutions of group C is confirmed: the line now "
            "falls after the lowest %(after)s (it was %(before)s).") % {"after": 1, "before": 1}
    response = client.post(url, {"chosen": "0"}, follow=True)
    assert refused in response.content.decode()
    assert not PanelOutcome.objects.filter(fail_count_confirmed=True).exists()
    response = client.post(url, {"chosen": "1"}, follow=True)
    html = response.content.decode()
    assert moved in html
    assert 'data-testid="fail-count-confirmed"' in html


# --- Closing ---------------------------------------------------------------------------------

def test_the_close_is_refused_for_each_problem_then_fixes_the_results(drawn, organiser):
    panel, _made = drawn
    cycle = panel.cycle
    cycle.policy_version.__class__.objects.filter(pk=cycle.policy_version_id).update(
        excellent_share=0, good_share=40)
    cycle.refresh_from_db()
    first, second, third = _group(cycle, "A")
    (c_only,) = _group(cycle, "C")

    problems = panel_review_close_problems(cycle)
    assert len(problems) == 2 and "4 institutions have fewer than 5" in problems[0]
    assert "Confirm the number of unqualified" in problems[1]

    seats = _all_a_scored(panel, organiser, [[90] * 5, [80] * 5, [80] * 5])
    c_seats = _serve(_draw_c(cycle, organiser), organiser, accepting=5)
    for seat, total in zip(c_seats[:5], [40, 50, 55, 60, 95], strict=True):
        _score(seat, c_only, total)
    problems = panel_review_close_problems(cycle)
    assert [p.split(":")[0] for p in problems] == [
        "Institutions of group A (good) with equal panel scores straddle the line of the "
        "re-verification list", "Confirm the number of unqualified institutions of group C "
        "(poor)"]
    with pytest.raises(DomainError, match="straddle the line"):
        panel_review_close(cycle=cycle, actor=organiser)

    panel_tiebreak_set(cycle=cycle, order=[third.pk, second.pk], reason="创新成效更显著",
                       actor=organiser)
    with pytest.raises(DomainError, match="Confirm the number of unqualified"):
        panel_review_close(cycle=cycle, actor=organiser)
    panel_fail_count_set(cycle=cycle, chosen=1, actor=organiser)
    assert panel_review_close_problems(cycle) == []

    outcome = panel_review_close(cycle=cycle, actor=organiser)
    assert outcome.closed_by == organiser and outcome.closed_at is not None
    assert CycleStage.objects.get(cycle=cycle, stage=CycleStatus.PANEL_REVIEW).closed_by \
        == organiser
    assert {(r.participant_id, r.score, r.rank, r.result)
            for r in PanelResult.objects.all()} == {
        (first.pk, Decimal("90.00"), 1, "reverify"),
        (third.pk, Decimal("80.00"), 2, "reverify"),
        (second.pk, Decimal("80.00"), 3, "not_listed"),
        (c_only.pk, Decimal("55.00"), 1, "unqualified"),  # (50 + 55 + 60) / 3
    }

    # Fixed: nothing changes any more.
    with pytest.raises(DomainError, match="already closed"):
        panel_fail_count_set(cycle=cycle, chosen=2, actor=organiser)
    with pytest.raises(DomainError, match="already closed"):
        panel_score_reopen(score=ExpertScore.objects.filter(seat=seats[0]).first(),
                           reason="笔误", actor=organiser)
    with pytest.raises(DomainError, match="already closed"):
        panel_review_close(cycle=cycle, actor=organiser)
    assert PanelResult.objects.count() == 4


def test_the_organiser_reopens_a_score_with_a_reason_from_the_console(scored, organiser,
                                                                      client_for):
    panel, seats = scored
    score = ExpertScore.objects.filter(seat=seats[0]).first()
    client = client_for(organiser)
    url = reverse("evaluations:panel_score_reopen", args=[panel.cycle.year])
    client.post(url, {"score": score.pk, "reason": ""})
    score.refresh_from_db()
    assert score.submitted_at is not None
    response = client.post(url, {"score": score.pk, "reason": "总分录入有误"})
    assert response.status_code == 302
    score.refresh_from_db()
    assert (score.submitted_at, score.reopened_reason) == (None, "总分录入有误")


# --- Pages ----------------------------------------------------------------------------------

def test_the_city_administrator_reads_the_console_and_rankings_without_forms(
        scored, users, client_for):
    panel, _seats = scored
    client = client_for(users["city_admin"])
    console = client.get(reverse("evaluations:panel_console", args=[panel.cycle.year]))
    ranking = client.get(reverse("evaluations:panel_ranking", args=[panel.cycle.year]))
    for response in (console, ranking):
        html = response.content.decode()
        assert response.status_code == 200 and "<form method=\"post\"" not in html.split(
            "<main")[-1].split("</main>")[0]
    assert 'data-flag="disagreement"' in console.content.decode()
    assert 'id="calibration-chart-data"' in console.content.decode()


def test_the_export_holds_every_score_and_the_statistics(scored, organiser, client_for):
    from io import BytesIO

    from openpyxl import load_workbook

    panel, _seats = scored
    response = client_for(organiser).get(
        reverse("evaluations:panel_scores_export", args=[panel.cycle.year]))
    workbook = load_workbook(BytesIO(response.content))
    scores, stats = workbook.worksheets
    # Seven members × three institutions of A, under a header row.
    assert scores.max_row == 1 + 21
    totals = sorted(row[-2] for row in scores.iter_rows(min_row=2, values_only=True)
                    if row[-2] is not None)
    assert totals == sorted([60, 80, 84, 85, 100, 70, 71, 72, 73.5])
    by_name = {row[2]: row for row in stats.iter_rows(min_row=2, values_only=True)}
    first = _group(panel.cycle, "A")[0]
    assert by_name[first.institution.name][3:9] == (5, 81.8, 83, 60, 100, 14.36)


# --- Queries ---------------------------------------------------------------------------------

def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_console_and_ranking_queries_do_not_grow_with_the_data(drawn, organiser,
                                                                   client_for):
    panel, _made = drawn
    cycle = panel.cycle
    client = client_for(organiser)
    urls = [reverse(f"evaluations:{name}", args=[cycle.year])
            for name in ("panel_console", "panel_ranking")]
    seats = _serve(panel, organiser, accepting=1)
    first = _group(cycle, "A")[0]
    _score(seats[0], first, 50)
    small = [_queries(client, url) for url in urls]
    # Every other participant joins group A; more experts serve, score and declare conflicts;
    # group C's panel is drawn and scored.
    Participant.objects.filter(cycle=cycle, group="B").update(group="A")
    for seat in seats[1:6]:
        seat_accept(seat=seat, actor=seat.expert.user)
        seat.refresh_from_db()
    a_members = _group(cycle, "A")
    for seat in seats[:5]:
        for participant in a_members:
            if participant != first:
                _score(seat, participant, 75)
    conflict_declare(seat=seats[5], participant_id=first.pk, reason="亲属任职",
                     actor=seats[5].expert.user)
    c_seats = _serve(_draw_c(cycle, organiser), organiser, accepting=3)
    for seat in c_seats[:3]:
        _score(seat, _group(cycle, "C")[0], 40)
    assert len(a_members) > 3 and ExpertScore.objects.count() > 10
    assert [_queries(client, url) for url in urls] == small


def test_the_organiser_records_the_order_and_closes_from_the_ranking_page(drawn, organiser,
                                                                          client_for):
    panel, _made = drawn
    cycle = panel.cycle
    cycle.policy_version.__class__.objects.filter(pk=cycle.policy_version_id).update(
        excellent_share=0, good_share=40)
    first, second, third = _group(cycle, "A")
    (c_only,) = _group(cycle, "C")
    _all_a_scored(panel, organiser, [[90] * 5, [80] * 5, [80] * 5])
    for seat in _serve(_draw_c(cycle, organiser), organiser, accepting=5)[:5]:
        _score(seat, c_only, 30)
    client = client_for(organiser)
    ranking = reverse("evaluations:panel_ranking", args=[cycle.year])
    html = client.get(ranking).content.decode()
    assert html.count('data-testid="tiebreak-form"') == 1
    assert 'data-testid="close-form"' in html and "disabled" in html.split(
        'data-testid="close-form"')[1].split("</form>")[0]
    client.post(reverse("evaluations:panel_tiebreak", args=[cycle.year]),
                {f"place-{second.pk}": "1", f"place-{third.pk}": "1", "reason": "x"})
    assert not PanelOutcome.objects.exists()  # two in the same place: refused
    client.post(reverse("evaluations:panel_tiebreak", args=[cycle.year]),
                {f"place-{second.pk}": "2", f"place-{third.pk}": "1", "reason": "专利转化更多"})
    client.post(reverse("evaluations:panel_fail_count", args=[cycle.year]), {"chosen": "1"})
    response = client.post(reverse("evaluations:panel_close", args=[cycle.year]), follow=True)
    html = response.content.decode()
    assert 'data-testid="closed"' in html and 'data-testid="close-form"' not in html
    assert list(PanelResult.objects.order_by("participant__group", "rank")
                .values_list("participant_id", "result")) == [
        (first.pk, "reverify"), (third.pk, "reverify"), (second.pk, "not_listed"),
        (c_only.pk, "unqualified")]
