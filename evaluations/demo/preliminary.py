"""The demo's preliminary review (issue 4): a second cycle, 2025, whose self-evaluation is over
and whose districts' preliminary review is under way, with the districts in every state:

- 鼓楼区 (login ``district_gulou``) in review with rich data: reports fully and partly
  reviewed, site visits, rectification notices open, answered, rectified and one overdue, a
  fraud report awaiting the city; ``inst_filer_2025`` is the account of its institution with
  the open notice;
- 铜山区 in review too, with a confirmed fraud finding and its credit record (R8);
- 云龙区 (login ``district_yunlong``) ranked and submitted with its stamped summary;
- 贾汪区 submitted and returned by the city with a reason; 泉山区 accepted;
- every other district not started; a handful of the cohort never submitted (未参评, R2).

Everything goes through the services, as the users would have done it; what happened days
ago (the reports, the overdue notice) is done under the demo's clock (``support.clock``).
Deterministic and idempotent: the cycle moves on only from the state it is in, and a
district's review is filled in only while it has not started, so running it twice changes
nothing.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from institutions.enums import INSTITUTION_ROLES, Role
from institutions.models import District, User
from institutions.services import user_create

from ..enums import (
    ClaimVerdict,
    CycleStatus,
    DistrictReviewStatus,
    FraudKind,
    ReportStatus,
    SubmissionStatus,
)
from ..models import (
    Cycle,
    DistrictReview,
    DistrictSummaryFile,
    Indicator,
    Participant,
    Rectification,
)
from ..services.cycles import cycle_create, cycle_stage_schedule, cycle_transition
from ..services.findings import (
    fraud_report_decide,
    fraud_report_file,
    rectification_answer,
    rectification_decide,
    rectification_issue,
    site_visit_record,
)
from ..services.preliminary import (
    claim_review_save,
    district_ranking_save,
    district_review_accept,
    district_review_return,
    district_review_submit,
    participant_comment_save,
    summary_request,
    summary_scan_upload,
)
from ..services.self_evaluation import self_evaluation_close
from ..services.summary_pdf import summary_render
from .registry import DEMO_PASSWORD
from .self_evaluation import ReportFiller, filled_at
from .support import at, clock, demo_shortcuts, pdf

DEMO_YEAR = 2025  # institutions filed in an odd year up to 2023 are its cohort (R1)
SELF_EVALUATION_DAYS = 60  # self-evaluation ran from 60 days ago until yesterday
PRELIMINARY_OPENED_DAYS_AGO = 5
PRELIMINARY_CLOSES_IN_DAYS = 20
NOT_SUBMITTED = 3  # cohort institutions that never submit (未参评, R2)

RICH, IN_REVIEW, SUBMITTED, RETURNED, ACCEPTED = (
    "rich", "in_review", "submitted", "returned", "accepted")
# What the demo does with each district's review; the districts not named stay not started.
PLANS = {"鼓楼区": RICH, "铜山区": IN_REVIEW, "云龙区": SUBMITTED, "贾汪区": RETURNED,
         "泉山区": ACCEPTED}
RETURN_REASON = ("排名第1位机构的研发投入与实地考察记录不一致，"
                 "请核实后补充书面理由，重新生成汇总表并盖章报送。")


@dataclass(frozen=True)
class PreliminarySeed:
    """What ``seed_preliminary`` did: whether it created the cycle, how many reports it
    submitted and how many districts' reviews it filled in."""

    created: bool
    submitted: int
    districts: int


DEMO_LOGIN = "inst_filer_2025"  # a 鼓楼区 institution of the 2025 cohort (demo.registry)


def demo_institution_id() -> int | None:
    """The institution of the ``inst_filer_2025`` login: it gets the open rectification."""
    return User.objects.filter(username=DEMO_LOGIN).values_list("institution_id",
                                                                flat=True).first()


def seed_preliminary(today: dt.date | None = None) -> PreliminarySeed:
    """Create the 2025 cycle and take it to its preliminary review; see the module
    docstring. Runs after ``self_evaluation.seed_cycle`` (it fills reports in the same way)
    and needs the demo accounts.

    The work commits in a few transactions, each all or nothing and committing hundreds of
    service calls once instead of once each: each report; closing self-evaluation with
    opening the review; each district's review. A district that submits commits its ranking,
    then requests its summary, then commits its submission, so that the summary is rendered
    once, by its task, when the request commits (a finished document is never rendered
    again). The tasks and notices the services queue run after each commit.
    """
    today = today or timezone.localdate()
    with demo_shortcuts():
        city = User.objects.filter(role=Role.CITY_ADMIN, username="city_admin").first()
        cycle = Cycle.objects.filter(year=DEMO_YEAR).first()
        created = cycle is None
        if cycle is None:
            dates = (today - dt.timedelta(days=SELF_EVALUATION_DAYS), today)
            cycle = cycle_create(year=DEMO_YEAR, actor=city,
                                 stage_dates={CycleStatus.SELF_EVALUATION: dates})
        if cycle.status == CycleStatus.DRAFT:
            cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city)
        submitted = 0
        if cycle.status == CycleStatus.SELF_EVALUATION:
            submitted = _submit_reports(cycle, today)
            with transaction.atomic():
                _open_preliminary_review(cycle, city, today)
        if cycle.status != CycleStatus.PRELIMINARY_REVIEW:
            return PreliminarySeed(created, submitted, 0)
        districts = 0
        for review in cycle.district_reviews.select_related(
                "district", "cycle__policy_version").order_by("district__sort_order"):
            plan = PLANS.get(review.district.name)
            if plan is None or review.status != DistrictReviewStatus.NOT_STARTED:
                continue
            _District(review, city, today).run(plan)
            districts += 1
    return PreliminarySeed(created, submitted, districts)


# --- Stage 1, replayed quickly ---------------------------------------------------------------

def _not_submitting(cycle: Cycle) -> set[int]:
    """The institutions that never submit: a fixed sample from the districts the demo leaves
    not started (the districts in review keep all their institutions)."""
    candidates = sorted(cycle.submissions.exclude(district__name__in=PLANS)
                        .values_list("institution__credit_code", "institution_id"))
    return {pk for _code, pk in random.Random(DEMO_YEAR).sample(candidates, NOT_SUBMITTED)}


def _submit_reports(cycle: Cycle, today: dt.date) -> int:
    """Every report of the cohort but a handful filled in and submitted, as
    ``self_evaluation`` does for its submitted reports (the same services), on a day of the
    weeks before self-evaluation closed (yesterday)."""
    skip = _not_submitting(cycle)
    filler = ReportFiller(cycle)
    yesterday = today - dt.timedelta(days=1)
    count = 0
    for submission in cycle.submissions.select_related("institution", "cycle") \
            .order_by("institution__credit_code"):
        if submission.institution_id in skip or \
                submission.status != SubmissionStatus.NOT_STARTED:
            continue
        key = f"{DEMO_YEAR}-{submission.institution.credit_code}"
        with clock(filled_at(key, until=yesterday)):
            filler.submit(submission, random.Random(key))
        count += 1
    return count


def _open_preliminary_review(cycle: Cycle, city: User, today: dt.date) -> None:
    """Self-evaluation closed yesterday: close it (the non-submitters become 未参评, R2) and
    open the preliminary review, planned from five days ago."""
    stage = cycle.stages.get(stage=CycleStatus.SELF_EVALUATION)
    yesterday = today - dt.timedelta(days=1)
    if stage.closes_on > yesterday:
        cycle_stage_schedule(cycle=cycle, stage=CycleStatus.SELF_EVALUATION,
                             opens_on=min(stage.opens_on, yesterday), closes_on=yesterday,
                             actor=city)
    self_evaluation_close(cycle=cycle, actor=city)
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.PRELIMINARY_REVIEW,
                         opens_on=today - dt.timedelta(days=PRELIMINARY_OPENED_DAYS_AGO),
                         closes_on=today + dt.timedelta(days=PRELIMINARY_CLOSES_IN_DAYS),
                         actor=city)
    cycle_transition(cycle=cycle, to_status=CycleStatus.PRELIMINARY_REVIEW, actor=city)
    cycle.refresh_from_db()


# --- Stage 2: one district's review ----------------------------------------------------------

_OPINIONS = ["材料齐全，数据与佐证基本一致。", "研发投入稳定，成果转化尚需加强。",
             "运营机制较完善，建议加强人才引进。", "部分指标佐证不足，已要求补充。"]


class _District:
    """Fills in one district's review as its reviewer would, through the services."""

    def __init__(self, review: DistrictReview, city: User, today: dt.date) -> None:
        self.review = review
        self.city = city
        self.today = today
        self.reviewer = _reviewer(review.district)
        self.rng = random.Random(f"{DEMO_YEAR}-{review.district.name}")
        self.indicators = list(Indicator.objects.filter(category__cycle_id=review.cycle_id)
                               .select_related("category").order_by("category__order", "order"))
        self.participants = list(review.participants.select_related("institution")
                                 .order_by("institution__credit_code"))

    def run(self, plan: str) -> None:
        getattr(self, plan)()

    # The plans ---------------------------------------------------------------------------

    @transaction.atomic
    def rich(self) -> None:
        """鼓楼区: the demo institution with an open notice, two reports fully reviewed, two
        partly; visits; notices open, overdue, answered and rectified; a fraud report."""
        own = demo_institution_id()
        ps = sorted(self.participants, key=lambda p: p.institution_id != own)
        mine, others = ps[0], ps[1:]
        for p in others[:2]:
            self.review_claims(p)
        if len(others) > 2:
            self.review_claims(others[2], count=8)
        self.review_claims(mine, count=5)
        self.visit(others[0], days_ago=4, findings="研发场地、设备与申报一致，研发人员在岗。")
        if len(others) > 1:
            self.visit(others[1], days_ago=2, findings="中试线运行正常，部分合同原件待补充。")
        self.visit(mine, days_ago=1, findings="办公场地已搬迁，新址租赁合同未见，需补充。")
        self.notice(mine, "补充新址租赁合同及研发场地照片；说明2024年研发人员减少的原因。",
                    days=10)
        if len(others) > 2:
            self.overdue(others[2], "补充2023—2024年度研发费用专项审计报告。", days_late=4)
        if len(others) > 1:
            answered = self.notice(others[1], "补充技术服务合同原件扫描件。", days=7)
            self.answer(answered, "已上传全部技术服务合同原件扫描件，共12份。")
        closed = self.notice(others[0], "补充高新技术企业孵化名单的证明材料。", days=5)
        self.answer(closed, "已补充孵化企业名单及营业执照复印件。")
        rectification_decide(answer=closed.answers.get(), accepted=True, comment="材料齐全。",
                             actor=self.reviewer)
        if len(others) > 3:
            fraud_report_file(participant=others[3], kind=FraudKind.OVERSTATED,
                              description="申报的2024年度技术合同成交额3200万元，经核实税务"
                                          "发票合计仅约800万元，涉嫌虚报。",
                              actor=self.reviewer)

    @transaction.atomic
    def in_review(self) -> None:
        """铜山区: one report reviewed and visited, another partly; a fraud finding the city
        has confirmed, with its credit record (R8)."""
        self.review_claims(self.participants[0])
        self.visit(self.participants[0], days_ago=3, findings="现场核实情况与申报一致。")
        if len(self.participants) > 1:
            self.review_claims(self.participants[1], count=12)
        if len(self.participants) > 2:
            report = fraud_report_file(
                participant=self.participants[-1], kind=FraudKind.FABRICATED,
                description="申报的3项发明专利经国家知识产权局检索不存在，系虚构。",
                actor=self.reviewer)
            fraud_report_decide(report=report, confirm=True,
                                reason="经核查专利检索结果，确认虚构科研成果。",
                                person_name="赵明", person_role="法定代表人", actor=self.city)

    def submitted(self) -> None:
        """云龙区: every report reviewed, ranked, summary generated, stamped scan uploaded,
        submitted."""
        self.rank_and_submit()

    def returned(self) -> None:
        self.rank_and_submit()
        district_review_return(district_review=self.review, reason=RETURN_REASON,
                               actor=self.city)

    def accepted(self) -> None:
        self.rank_and_submit()
        district_review_accept(district_review=self.review, actor=self.city)

    # Steps -------------------------------------------------------------------------------

    def review_claims(self, participant: Participant, count: int | None = None) -> None:
        """The reviewer's verdict on the first ``count`` claims (all by default): mostly
        supported with a score around the report's own level, now and then not supported
        (R3)."""
        level = self.rng.randint(45, 92)
        for indicator in self.indicators[:count]:
            if self.rng.random() < 0.06:
                verdict, score, comment = (ClaimVerdict.NOT_SUPPORTED, None,
                                           "佐证材料不足以支撑申报数据，不予采纳。")
            else:
                share = Decimal(min(100, max(20, level + self.rng.randint(-12, 12)))) / 100
                verdict, comment = ClaimVerdict.SUPPORTED, ""
                score = (indicator.points * share).quantize(Decimal("0.5"), rounding=ROUND_DOWN)
            claim_review_save(participant=participant, indicator=indicator, verdict=verdict,
                              score=score, comment=comment, revision=0, actor=self.reviewer)

    def visit(self, participant: Participant, *, days_ago: int, findings: str) -> None:
        site_visit_record(participant=participant,
                          visited_on=self.today - dt.timedelta(days=days_ago),
                          visitors=f"{self.review.district.name}科技局 审核员等2人",
                          findings=findings, actor=self.reviewer, uploads=[SimpleUploadedFile(
                              "现场照片.pdf", pdf([participant.institution.credit_code,
                                                   "Site visit (demo)"]), "application/pdf")])

    def notice(self, participant: Participant, problems: str, *, days: int) -> Rectification:
        return rectification_issue(participant=participant, problems=problems,
                                   deadline=self.today + dt.timedelta(days=days),
                                   actor=self.reviewer)

    def overdue(self, participant: Participant, problems: str, *, days_late: int) -> None:
        """A notice whose deadline passed ``days_late`` days ago. The service rightly refuses
        a deadline in the past: the notice is issued on the day the review opened, under the
        demo's clock, with a deadline that was then still to come."""
        issued_on = self.today - dt.timedelta(days=PRELIMINARY_OPENED_DAYS_AGO)
        deadline = self.today - dt.timedelta(days=days_late)
        if deadline < issued_on:
            raise ValueError(f"a notice {days_late} days late was due before the review opened")
        with clock(at(issued_on, 9, 30)):
            rectification_issue(participant=participant, problems=problems, deadline=deadline,
                                actor=self.reviewer)

    def answer(self, notice: Rectification, text: str) -> None:
        user = User.objects.filter(institution_id=notice.participant.institution_id,
                                   role__in=INSTITUTION_ROLES, is_active=True) \
            .order_by("pk").first()
        rectification_answer(rectification=notice, text=text, actor=user, uploads=[
            SimpleUploadedFile("整改材料.pdf", pdf([notice.participant.institution.credit_code,
                                                   "Rectification (demo)"]),
                               "application/pdf")])

    def rank_and_submit(self) -> None:
        """Every report reviewed and ranked, the summary generated, its stamped scan uploaded,
        submitted. The summary is requested between the two transactions, so that its task
        renders it when the request commits."""
        self.rank()
        self.submit(self.summary())

    @transaction.atomic
    def rank(self) -> None:
        for participant in self.participants:
            self.review_claims(participant)
            participant_comment_save(participant=participant,
                                     comment=self.rng.choice(_OPINIONS), actor=self.reviewer)
        ranked = sorted(Participant.objects.filter(district_review=self.review),
                        key=lambda p: (-p.score, p.institution_id))
        order = [p.pk for p in ranked]
        district_ranking_save(district_review=self.review, order=order, reasons={},
                              tie_confirmed=set(order), revision=self.review.revision,
                              actor=self.reviewer)

    def summary(self) -> DistrictSummaryFile:
        """The district's summary PDF, requested as the reviewer would. Without a broker its
        task renders it in this process when the request commits; inside an outer transaction
        (tests) or with a broker it has not run yet: render here, as the task would.
        WeasyPrint takes seconds: the first summary (云龙区, first in the districts' order)
        is rendered for real, the others are copies of it (``support.demo_shortcuts``)."""
        summary = summary_request(district_review=self.review, actor=self.reviewer)
        summary.refresh_from_db()
        if summary.status != ReportStatus.DONE:
            summary_render(summary_id=summary.pk)
            summary.refresh_from_db()
        return summary

    @transaction.atomic
    def submit(self, summary: DistrictSummaryFile) -> None:
        summary_scan_upload(summary=summary, actor=self.reviewer, upload=SimpleUploadedFile(
            "汇总表盖章扫描件.pdf", pdf([f"{self.review.district.code or '320300'}",
                                       f"Preliminary review {DEMO_YEAR} - stamped (demo)"],
                                      seal=True), "application/pdf"))
        district_review_submit(district_review=self.review, actor=self.reviewer)


def _reviewer(district: District) -> User:
    """The district's reviewer account; districts without a demo login get one (the demo
    password, as for the institutions' accounts the demo creates)."""
    user = User.objects.filter(role=Role.DISTRICT_REVIEWER, district=district, is_active=True) \
        .order_by("pk").first()
    if user is None:
        user = user_create(username=f"district-{district.code or district.pk}",
                           password=DEMO_PASSWORD, role=Role.DISTRICT_REVIEWER,
                           district=district, full_name=f"{district.name}科技局 审核员")
    return user
