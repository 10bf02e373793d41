"""The demo's re-verification (stage 4, Art 12, R7, R9): the previous cycle of the 2025
cycle's parity, 2023, taken through stages 1–4 in 2023 and left in its re-verification with
that stage complete:

- stages 1–3 as a past cycle whose reports are not kept: the cohort of the demo registry
  (filings of odd years up to 2021, R1) all submitted, the districts' rankings saved, their
  submissions accepted and the stage closed (R4); the panel review drawn from the demo's
  expert pool (``panel.EXPERTS``) with the seeds the organiser typed in (``PANEL_SEEDS``),
  every member accepting, the scores submitted and the stage closed (R6);
- the re-verification list visited on site (date, team, findings; the first visit with its
  documents as a PDF) and decided: most confirmed, one ``poor`` (``POOR_AT``), one first
  confirmed and then changed to ``not_confirmed`` with its reason (``CHANGED_AT``); the city
  allowed ``ALTERNATES`` alternates, who joined for the two empty places and got their own
  visits and verdicts;
- the spot check of group B drawn with the seed typed in beforehand (``SPOT_SEED``), each
  drawn institution visited and decided, the first in draw order ``poor``;
- the results computed (R9), with the city's justification if a check failed.

Everything through the services, under the city administrator (the panel review's draws
and the experts' answers given by telephone under the organiser, whose work they are), at
the moments of 2023 the stages ran (``support.clock``). Three things are written as
``services.scenario_cycle`` writes a past cycle, since the demo keeps no 2023 reports or
summaries: the opening of self-evaluation with the reports submitted
(``past_self_evaluation_open``), the districts' submissions without a summary PDF
(``district_review_submit_without_summary``), and the experts' submitted scores
(``expert_scores_submitted_create``: through ``expert_score_save`` they would cost seconds).
The notices the 2023 steps send are marked read (``notification_mark_read``): they are no news
today, and the demo logins' bells show the open cycles' notices only.

Deterministic and idempotent: each stage runs in one transaction and only from the state it
left the cycle in; within the re-verification each step is taken only while it is missing
(the alternates, the draw, each visit and verdict, the change, the results), so running it
twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from institutions.models import Notification, User
from institutions.notifications import notification_mark_read

from ..enums import (
    CycleStatus,
    DistrictReviewStatus,
    SeatRole,
    SeatStatus,
    SiteVerdict,
    VerificationKind,
)
from ..models import (
    Cycle,
    CycleResults,
    Indicator,
    PanelSeat,
    Participant,
    Reverification,
    SpotCheckDraw,
    VerdictChange,
)
from ..selectors.cycles import cycle_cohort
from ..selectors.panel_console import panel_console
from ..selectors.reverification import Row, reverification_board
from ..services.cycles import cycle_create, cycle_transition
from ..services.panel import panel_draw, panel_invite, seat_accept
from ..services.panel_close import (
    panel_fail_count_set,
    panel_review_close,
    panel_tiebreak_set,
)
from ..services.preliminary import (
    district_ranking_save,
    district_review_accept,
    preliminary_review_close,
)
from ..services.results import results_compute, results_justify
from ..services.reverification import (
    reverification_alternates_set,
    spot_check_draw,
    verification_verdict_change,
    verification_verdict_record,
    verification_visit_record,
)
from ..services.scenario_cycle import (
    district_review_submit_without_summary,
    expert_scores_submitted_create,
    past_self_evaluation_open,
)
from ..services.self_evaluation import self_evaluation_close
from .support import at, clock, demo_shortcuts, pdf

PAST_YEAR = 2023  # filings of odd years up to 2021 are its cohort (R1)
# The stages' planned dates, as the city set them in February 2023.
STAGE_DATES = {
    CycleStatus.SELF_EVALUATION: (dt.date(2023, 3, 1), dt.date(2023, 4, 28)),
    CycleStatus.PRELIMINARY_REVIEW: (dt.date(2023, 5, 8), dt.date(2023, 6, 16)),
    CycleStatus.PANEL_REVIEW: (dt.date(2023, 6, 26), dt.date(2023, 7, 21)),
    CycleStatus.REVERIFICATION: (dt.date(2023, 8, 1), dt.date(2023, 9, 15)),
    CycleStatus.PUBLIC_NOTICE: (dt.date(2023, 9, 25), dt.date(2023, 10, 13)),
}
# The seeds the organiser typed in before each draw, in the panels' order (R6a), and the
# one the city typed in before the spot check's (R7).
PANEL_SEEDS = ("2023-xz-hy-01", "2023-xz-hy-02")
SPOT_SEED = "2023-xz-cc-01"
ALTERNATES = 2  # the alternates the city allows: one for each place the verdicts empty
POOR_AT = 3  # the place on the list (from 0, panel order) found operating poorly
CHANGED_AT = 8  # the place first confirmed, then changed to not confirmed
FIRST_VISIT = dt.date(2023, 8, 7)  # a Monday; two visits a working day from then on

ALTERNATES_REASON = ("按《管理办法》第十二条，复核名单内出现空缺时，由会评排名在名单之后的优良组"
                     "机构依次递补，本次评价递补名额为2个。")
VISITORS = ["市科技局科研条件处 王建军、刘晓燕，市科技情报研究所 陈磊",
            "市科技局科研条件处 孙立伟、周婷，市财政局 马振华",
            "市科技局科研条件处 王建军、赵雅丽，市科技情报研究所 胡晓峰"]
CONFIRMED_FINDINGS = [
    "研发场地、仪器设备与申报一致，研发人员在岗；抽查2021—2022年度研发费用凭证，与审计报告相符。",
    "中试线运行正常，技术服务合同原件齐全，孵化企业在孵情况与申报一致。",
    "现场查看研发平台及检测中心，核对人员社保缴纳记录及主要科研成果证书，情况属实。",
]
CONFIRMED_REASON = "现场核实情况与申报材料一致，复核通过。"
POOR_FINDINGS = ("研发场地大部分闲置，现场仅见3名工作人员，中试设备长期未运行，"
                 "2022年度无新增技术服务合同。")
POOR_REASON = "运行情况较差：研发活动基本停滞，主要研发场地闲置。"
CHANGED_FINDINGS = "现场情况与申报基本一致，研发人员名册待与社保缴纳记录进一步核对。"
CHANGE_REASON = ("经复查补充提交的社保缴纳记录，申报的42名全职研发人员中有11人为兼职，"
                 "核心指标与申报不符，复核结论改为“复核不通过”。")
SPOT_POOR_FINDINGS = "抽查发现办公场地已转租他用，研发设备封存，近一年无研发投入凭证。"
SPOT_POOR_REASON = "抽查认定运行情况较差：场地转租，研发活动停止。"
RESULTS_JUSTIFICATION = ("本次评价参评机构数量较少，按《管理办法》第七条计算的名额与评价结果"
                         "存在差异，经局务会研究同意按评价结果公示。")
TIEBREAK_REASON = "会评得分相同，按专家组复议意见排序。"


@dataclass(frozen=True)
class ReverificationSeed:
    """What ``seed_reverification`` did: whether it created the 2023 cycle, the stages it
    moved it through (by the status each ended in) and whether it computed the results."""

    created: bool
    stages: tuple[str, ...]
    results: bool


def seed_reverification() -> ReverificationSeed:
    """Create the 2023 cycle and take it through stages 1–4 into a complete re-verification;
    see the module docstring. Runs after ``panel.seed_panel`` (it draws from its pool) and
    needs the demo accounts."""
    with demo_shortcuts():
        city = User.objects.get(username="city_admin")
        organiser = User.objects.get(username="organiser")
        cycle = Cycle.objects.filter(year=PAST_YEAR).first()
        created = cycle is None
        if cycle is None:
            with clock(at(dt.date(2023, 2, 20), 10)):
                cycle = cycle_create(year=PAST_YEAR, actor=city, stage_dates=STAGE_DATES)
        past = _PastCycle(cycle, city, organiser)
        stages = []
        for status, step in ((CycleStatus.DRAFT, past.self_evaluation),
                             (CycleStatus.SELF_EVALUATION, past.preliminary_review),
                             (CycleStatus.PRELIMINARY_REVIEW, past.panel_review),
                             (CycleStatus.PANEL_REVIEW, past.open_reverification)):
            if cycle.status == status:
                with transaction.atomic(), _read_afterwards():
                    step()
                cycle.refresh_from_db()
                stages.append(cycle.status)
        results = False
        if cycle.status == CycleStatus.REVERIFICATION:
            with transaction.atomic(), _read_afterwards():
                results = past.reverification()
    return ReverificationSeed(created, tuple(stages), results)


@contextmanager
def _read_afterwards() -> Iterator[None]:
    """The notices the block sends, marked read: those of 2023 are no news today."""
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    for note in Notification.objects.filter(pk__gt=last, read_at__isnull=True) \
            .select_related("user").order_by("pk"):
        notification_mark_read(user=note.user, notification_id=note.pk)


def _working_day(first: dt.date, n: int) -> dt.date:
    """The ``n``-th working day (Monday to Friday) from ``first``, from 0."""
    day = first
    for step in range(n + 1):
        if step:
            day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return day


class _PastCycle:
    """The 2023 cycle's stages, each as its users would have done it then."""

    def __init__(self, cycle: Cycle, city: User, organiser: User) -> None:
        self.cycle, self.city, self.organiser = cycle, city, organiser

    def _move(self, to_status: str, when: dt.datetime) -> None:
        with clock(when):
            cycle_transition(cycle=self.cycle, to_status=to_status, actor=self.city)
        self.cycle.refresh_from_db()

    # --- Stage 1 -----------------------------------------------------------------------

    def self_evaluation(self) -> None:
        """Open self-evaluation for the cohort, every report submitted (no 未参评: the
        institutions' filings stay as they are), and close it after its deadline."""
        with clock(at(dt.date(2023, 3, 1), 9)):
            cohort = [i.pk for i in cycle_cohort(self.cycle).included]
            self.cycle, _cohort_rows = past_self_evaluation_open(
                cycle=self.cycle, actor=self.city, submitted=cohort)
        with clock(at(dt.date(2023, 5, 4), 9)):
            self_evaluation_close(cycle=self.cycle, actor=self.city)

    # --- Stage 2 -----------------------------------------------------------------------

    def preliminary_review(self) -> None:
        """Open the preliminary review; each district ranks its participants (its review
        scores are not kept: the order is a fixed draw), submits and is accepted; the stage
        closes, which fixes groups A, B and C (R4)."""
        self._move(CycleStatus.PRELIMINARY_REVIEW, at(STAGE_DATES[
            CycleStatus.PRELIMINARY_REVIEW][0], 9))
        reviews = list(self.cycle.district_reviews.select_related("district", "cycle")
                       .order_by("district__sort_order"))
        with clock(at(dt.date(2023, 6, 2), 15)):
            for review in reviews:
                participants = review.participants.select_related("institution")
                order = sorted(participants, key=lambda p: random.Random(
                    f"{PAST_YEAR}-{p.institution.credit_code}").random())
                district_ranking_save(district_review=review, order=[p.pk for p in order],
                                      reasons={}, tie_confirmed=set(),
                                      revision=review.revision, actor=self.city)
        with clock(at(dt.date(2023, 6, 9), 16)):
            for review in reviews:
                district_review_submit_without_summary(district_review=review, actor=self.city)
        with clock(at(dt.date(2023, 6, 14), 10)):
            for review in reviews:
                if review.status == DistrictReviewStatus.SUBMITTED:
                    district_review_accept(district_review=review, actor=self.city)
        with clock(at(dt.date(2023, 6, 19), 10)):
            preliminary_review_close(cycle=self.cycle, actor=self.city)

    # --- Stage 3 -----------------------------------------------------------------------

    def panel_review(self) -> None:
        """Open the panel review with its default panels (A and C), draw and invite each
        with its typed seed, every member accepting; the members score their assignments;
        the organiser confirms F, orders equal scores and closes the stage."""
        self._move(CycleStatus.PANEL_REVIEW, at(STAGE_DATES[CycleStatus.PANEL_REVIEW][0], 9))
        panels = list(self.cycle.panels.select_related("cycle").order_by("position"))
        seats = []
        for index, panel in enumerate(panels):
            with clock(at(dt.date(2023, 6, 27), 10 + index)):
                panel_draw(panel=panel, actor=self.organiser, seed=PANEL_SEEDS[index])
                panel_invite(panel=panel, actor=self.organiser)
            with clock(at(dt.date(2023, 6, 29), 11 + index)):
                for seat in PanelSeat.objects.filter(
                        panel=panel, role=SeatRole.MEMBER, status=SeatStatus.INVITED) \
                        .select_related("expert__user", "panel__cycle").order_by("position"):
                    seats.append(seat_accept(seat=seat, actor=seat.expert.user or self.organiser))
        with clock(at(dt.date(2023, 7, 14), 17)):
            self._scores(seats)
        with clock(at(dt.date(2023, 7, 18), 10)):
            panel_fail_count_set(cycle=self.cycle, chosen=None, actor=self.organiser)
            self._tiebreak()
        with clock(at(dt.date(2023, 7, 24), 10)):
            panel_review_close(cycle=self.cycle, actor=self.organiser)

    def _scores(self, seats: list[PanelSeat]) -> None:
        """Each member's submitted scores of its assignments: around the institution's level
        (group A higher than C, the district's first places higher), each member within six
        points of it (R6)."""
        points = list(Indicator.objects.filter(category__cycle=self.cycle)
                      .order_by("category__order", "order").values_list("pk", "points"))
        about = {p.pk: (p.group, p.rank, p.institution.credit_code)
                 for p in Participant.objects.filter(cycle=self.cycle)
                 .select_related("institution")}

        def scores_of(seat: PanelSeat, assigned: list[int]) -> dict[int, dict[str, str]]:
            given = {}
            for pk in assigned:
                group, rank, code = about[pk]
                level = random.Random(f"{PAST_YEAR}-panel-{code}").randint(
                    *((150, 186) if group == "A" else (100, 136))) - rank
                # Half points: the experts score each indicator to 0.5.
                total = Decimal(level + random.Random(
                    f"{PAST_YEAR}-{code}-{seat.expert.pool_number}").randint(-12, 12)) / 2
                given[pk] = _spread(max(Decimal(0), min(Decimal(100), total)), points)
            return given

        expert_scores_submitted_create(cycle=self.cycle, seats=seats, scores_of=scores_of)

    def _tiebreak(self) -> None:
        """The organiser orders every set of equal panel scores of a group (by credit code),
        so that no line of the list, the 不合格 or the tiers falls between two of them (R6)."""
        console = panel_console(self.cycle)
        classes: dict[tuple[str, Decimal], list] = {}
        for row in console.rows.values():
            if row.panel_score is not None:
                classes.setdefault((row.group, row.panel_score), []).append(row)
        for rows in classes.values():
            if len(rows) > 1:
                panel_tiebreak_set(cycle=self.cycle, order=[r.participant_pk for r in sorted(
                    rows, key=lambda r: r.credit_code)], reason=TIEBREAK_REASON,
                    actor=self.organiser)

    # --- Stage 4 -----------------------------------------------------------------------

    def open_reverification(self) -> None:
        self._move(CycleStatus.REVERIFICATION,
                   at(STAGE_DATES[CycleStatus.REVERIFICATION][0], 9))

    def reverification(self) -> bool:
        """The stage's steps still missing; True when it computed the results."""
        cycle, city = self.cycle, self.city
        settings = Reverification.objects.get(cycle=cycle)
        if not settings.alternates_reason:
            with clock(at(dt.date(2023, 8, 2), 10)):
                reverification_alternates_set(cycle=cycle, allowed=ALTERNATES,
                                              reason=ALTERNATES_REASON, actor=city)
        if not SpotCheckDraw.objects.filter(cycle=cycle).exists():
            with clock(at(dt.date(2023, 8, 3), 10)):
                spot_check_draw(cycle=cycle, actor=city, seed=SPOT_SEED)
        board = reverification_board(cycle)
        listed = [row.key for row in board.list_rows]
        self.poor = {listed[POOR_AT]} if len(listed) > POOR_AT else set()
        self.changed = listed[CHANGED_AT] if len(listed) > CHANGED_AT else None
        self.poor |= {row.key for row in board.spot_rows[:1]}
        self.visits = sum(len(row.visits) for row in (*board.rows, *board.spot_rows))
        self._visit_pending()
        if self.changed is not None and not VerdictChange.objects.filter(
                verification__participant_id=int(self.changed)).exists():
            row = reverification_board(cycle).by_key[self.changed]
            with clock(at(dt.date(2023, 8, 25), 11)):
                verification_verdict_change(
                    participant=row.participant, verdict=SiteVerdict.NOT_CONFIRMED,
                    reason=CHANGE_REASON, revision=row.verification.revision, actor=city)
            self._visit_pending()  # the alternate the emptied place calls in
        if CycleResults.objects.filter(cycle=cycle).exists():
            return False
        with clock(at(dt.date(2023, 9, 8), 10)):
            results = results_compute(cycle=cycle, actor=city)
            if not results.checks.get("passed"):
                results_justify(cycle=cycle, text=RESULTS_JUSTIFICATION, actor=city)
        return True

    def _visit_pending(self) -> None:
        """Visit and decide every institution whose verdict the stage still asks for, until
        none: each verdict that empties a place calls in an alternate (R7)."""
        while True:
            board = reverification_board(self.cycle)
            pending = [row for row in (*board.rows, *board.spot_rows) if row.pending]
            if not pending:
                return
            for row in pending:
                self._visit_and_decide(row)

    def _visit_and_decide(self, row: Row) -> None:
        poor, changed = row.key in self.poor, row.key == self.changed
        day = _working_day(FIRST_VISIT, self.visits // 2)
        with clock(at(day, 17 if self.visits % 2 else 12)):
            if not row.visits:
                findings = (SPOT_POOR_FINDINGS if poor and row.kind == VerificationKind.SPOT_CHECK
                            else POOR_FINDINGS if poor else CHANGED_FINDINGS if changed
                            else CONFIRMED_FINDINGS[self.visits % len(CONFIRMED_FINDINGS)])
                uploads = [] if self.visits else [SimpleUploadedFile(
                    "现场复核记录.pdf", pdf([row.participant.institution.credit_code,
                                          f"On-site re-verification {PAST_YEAR} (demo)"]),
                    "application/pdf")]
                verification_visit_record(
                    participant=row.participant, visited_on=day,
                    visitors=VISITORS[self.visits % len(VISITORS)], findings=findings,
                    uploads=uploads, actor=self.city)
            verdict = SiteVerdict.POOR if poor else SiteVerdict.CONFIRMED
            reason = ((SPOT_POOR_REASON if row.kind == VerificationKind.SPOT_CHECK else POOR_REASON)
                      if poor else CONFIRMED_REASON)
            verification_verdict_record(
                participant=row.participant, verdict=verdict, reason=reason,
                revision=row.verification.revision if row.verification else 0, actor=self.city)
        self.visits += 1


def _spread(total: Decimal, points: list[tuple[int, Decimal]]) -> dict[str, str]:
    """One expert's scores by indicator adding up to ``total`` (a multiple of 0.5): each
    indicator its share of its points, rounded down to 0.5, the rest 0.5 at a time to the
    first indicators with room for it."""
    half = Decimal("0.5")
    given = {pk: (Decimal(most) * total / 100 / half).to_integral_value(ROUND_DOWN) * half
             for pk, most in points}
    left = total - sum(given.values())
    for pk, most in points:
        if left <= 0:
            break
        if given[pk] + half <= Decimal(most):
            given[pk] += half
            left -= half
    return {str(pk): str(score) for pk, score in given.items()}
