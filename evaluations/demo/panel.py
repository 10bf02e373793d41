"""The demo's panel review (stage 3, Art 11, R6a, R6): the 2025 cycle goes on from its
preliminary review into the panel review, with an expert pool, its panels drawn and the
drawn experts in every state:

- the preliminary review is finished as the districts and the city would finish it: the
  institutions answer the notices still running and the districts accept the answers (the
  overdue notice stays open), the districts still reviewing review what is left, rank and
  submit their stamped summaries, the city decides the fraud report still awaiting it,
  accepts every summary and closes the stage, which fixes groups A, B and C (R4);
- the pool (市科技咨询专家库): ``len(EXPERTS)`` experts of the universities, institutes and
  firms around Xuzhou, 正高 and 副高 titles, one suspended, one who worked until last year for
  an institution of group C (the draw finds that conflict); the first ones have an account
  (``expert_wang`` …), and the demo login ``expert`` is 陈建华;
- group A split by cluster category (优势 / 新兴、特色) and group C, each drawn with the seed the
  organiser typed in beforehand (``SEEDS``) and its members invited;
- the experts' answers: most accepted, one declined with its reason and the first alternate
  invited in its place and accepted, one accepted declaring a conflict, one who declared a
  conflict later, one invitation still unanswered (the login ``expert_wang``); ``expert`` has
  submitted scores, one draft and institutions left to score.

Everything goes through the services, as the organiser and the experts would have done it;
answers the experts without an account gave by telephone are recorded by the organiser. The
pool's and the accounts' rows are created only when missing, and a panel's draw, invitations
and answers happen only while it is undrawn, so running it twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from institutions.enums import ClusterGroup, Gender, Role, TitleLevel
from institutions.models import Cluster, Expert, User
from institutions.services import user_create
from institutions.services.pool import Employment, expert_create, expert_suspend

from ..enums import (
    CycleStatus,
    DistrictReviewStatus,
    FraudStatus,
    PanelGroup,
    RectificationStatus,
    SeatStatus,
)
from ..models import ClaimReview, Cycle, FraudReport, Indicator, Panel, PanelSeat, Rectification
from ..selectors.panel import seat_assignments
from ..services.cycles import cycle_stage_schedule, cycle_transition
from ..services.findings import fraud_report_decide, rectification_decide
from ..services.panel import (
    conflict_declare,
    expert_score_save,
    expert_score_submit,
    panel_draw,
    panel_group_split,
    panel_invite,
    seat_accept,
    seat_decline,
)
from ..services.preliminary import (
    district_review_accept,
    district_review_submit_problems,
    preliminary_review_close,
)
from .preliminary import DEMO_YEAR, _District
from .registry import DEMO_PASSWORD, DemoLogin, credit_code
from .support import demo_shortcuts

PANEL_CLOSES_IN_DAYS = 21
# Group A in two panels by "343" category; group C whole. Drawn in this order.
SPLIT_A = [[ClusterGroup.LEADING], [ClusterGroup.EMERGING, ClusterGroup.DISTINCTIVE]]
# The seeds the organiser typed in before each draw, in the order of the draws: group C (the
# panel the cycle opened with), then the two panels of group A.
SEEDS = ("2025-xz-hy-01", "2025-xz-hy-02", "2025-xz-hy-03")
SCORER = "expert"  # the README's expert login: scores submitted, one draft, some left
INVITEE = "expert_wang"  # a login with the invitation still to answer
SUBMITTED_SCORES = 3  # the scorer's submitted scores (then one draft)
FRAUD_DISMISSAL = ("经调取税务发票及合同原件核实，差额系2024年末签订、2025年开票的跨年度合同"
                   "所致，不构成虚报。")
RECTIFICATION_ANSWER = "已按要求补充相关证明材料及情况说明，详见附件。"
RECTIFICATION_ACCEPTED = "补充材料齐全，整改到位。"
DECLINE_REASON = "评审期间在外地参加国家重点研发计划项目答辩评审，时间冲突，无法参加。"
ACCEPT_CONFLICT = "本人担任该机构技术委员会委员，按规定回避。"
LATER_CONFLICT = "查阅材料时发现本人指导的研究生在该机构任研发部负责人，申请回避。"
SUSPENSION_REASON = "2024年度评审中无故缺席两次，暂停抽取一年。"
PAST_EMPLOYER_EXPERT = "宋德明"  # worked for a group-A institution until last year (R6a)

# Employers: name, credit-code prefix (12 public institution, 91 enterprise), region, serial.
_EMPLOYERS = {
    "中国矿业大学": ("12", "320311", 9001),
    "江苏师范大学": ("12", "320303", 9002),
    "徐州医科大学": ("12", "320311", 9003),
    "徐州工程学院": ("12", "320311", 9004),
    "江苏建筑职业技术学院": ("12", "320311", 9005),
    "江苏省农业科学院徐淮地区徐州农业科学研究所": ("12", "320312", 9006),
    "徐州市第一人民医院": ("12", "320302", 9007),
    "徐州市产品质量监督检验中心": ("12", "320303", 9008),
    "徐工集团工程机械股份有限公司": ("91", "320301", 9009),
    "江苏中能硅业科技发展有限公司": ("91", "320301", 9010),
    "南京大学": ("12", "320102", 9011),
    "东南大学": ("12", "320102", 9012),
    "江南大学": ("12", "320211", 9013),
    "中国电子科技集团公司第五十五研究所": ("12", "320104", 9014),
}
_F, _A = TitleLevel.FULL_SENIOR, TitleLevel.ASSOCIATE_SENIOR
_M, _W = Gender.MALE, Gender.FEMALE
# name, gender, employer, title, level, clusters it judges, account (None: none).
EXPERTS = [
    ("陈建华", _M, "中国矿业大学", "教授", _F,
     ["工程机械", "安全应急", "新材料"], SCORER),
    ("王志强", _M, "徐工集团工程机械股份有限公司", "正高级工程师", _F,
     ["工程机械", "安全应急"], INVITEE),
    ("李晓东", _M, "中国矿业大学", "研究员", _F,
     ["绿色低碳能源", "安全应急", "新材料"], "expert_li"),
    ("张丽君", _W, "江苏师范大学", "教授", _F,
     ["数字经济", "集成电路与ICT", "工程机械"], "expert_zhang"),
    ("刘海峰", _M, "东南大学", "教授", _F,
     ["集成电路与ICT", "新材料"], "expert_liu"),
    ("杨立新", _M, "徐州医科大学", "主任医师", _F,
     ["医药健康"], "expert_yang"),
    ("赵文博", _M, "南京大学", "教授", _F,
     ["新材料", "集成电路与ICT"], "expert_zhao"),
    ("黄雅琴", _W, "江南大学", "教授", _F,
     ["食品及农副产品加工", "医药健康"], "expert_huang"),
    ("周永康", _M, "徐州工程学院", "副教授", _A,
     ["工程机械", "高端纺织"], "expert_zhou"),
    ("吴振宇", _M, "中国矿业大学", "副研究员", _A,
     ["安全应急", "数字经济", "工程机械"], "expert_wu"),
    ("徐秋菊", _W, "江苏省农业科学院徐淮地区徐州农业科学研究所", "研究员", _F,
     ["食品及农副产品加工", "高端纺织"], "expert_xu"),
    ("孙德胜", _M, "江苏中能硅业科技发展有限公司", "正高级工程师", _F,
     ["绿色低碳能源", "新材料", "集成电路与ICT"], "expert_sun"),
    ("胡思远", _M, "徐州市产品质量监督检验中心", "高级工程师", _A,
     ["精品钢材", "高端纺织", "新材料"], "expert_hu"),
    ("朱婉清", _W, "江苏师范大学", "副教授", _A,
     ["高端纺织", "新材料"], "expert_zhu"),
    ("高建国", _M, "中国电子科技集团公司第五十五研究所", "研究员", _F,
     ["集成电路与ICT", "工程机械"], "expert_gao"),
    ("林雪梅", _W, "徐州医科大学", "教授", _F,
     ["医药健康", "安全应急"], "expert_lin"),
    ("何家乐", _M, "江苏建筑职业技术学院", "副教授", _A,
     ["工程机械", "安全应急"], None),
    ("郭子健", _M, "中国矿业大学", "教授", _F,
     ["安全应急", "工程机械", "绿色低碳能源"], None),
    ("马俊峰", _M, "东南大学", "副研究员", _A,
     ["数字经济", "集成电路与ICT", "新材料"], None),
    ("罗文静", _W, "徐州市第一人民医院", "主任药师", _F,
     ["医药健康"], None),
    ("梁思成", _M, "南京大学", "教授", _F,
     ["新材料", "精品钢材", "高端纺织"], None),
    (PAST_EMPLOYER_EXPERT, _M, "中国矿业大学", "教授", _F,
     ["工程机械", "绿色低碳能源", "新材料", "数字经济"], None),
    ("郑海涛", _M, "徐工集团工程机械股份有限公司", "高级工程师", _A,
     ["工程机械", "安全应急"], None),
    ("谢雨桐", _W, "江南大学", "副教授", _A,
     ["高端纺织", "新材料"], None),
    ("韩立平", _M, "徐州工程学院", "教授", _F,
     ["数字经济", "精品钢材", "工程机械", "集成电路与ICT"], None),
    ("唐少华", _M, "江苏中能硅业科技发展有限公司", "高级工程师", _A,
     ["绿色低碳能源", "安全应急"], None),
    ("冯雅芝", _W, "江苏师范大学", "研究员", _F,
     ["医药健康", "集成电路与ICT", "新材料"], None),
    ("于建英", _W, "徐州市产品质量监督检验中心", "正高级工程师", _F,
     ["精品钢材", "高端纺织", "工程机械"], None),
    ("董文彬", _M, "中国电子科技集团公司第五十五研究所", "高级工程师", _A,
     ["集成电路与ICT", "安全应急", "工程机械"], None),
    ("曹永胜", _M, "中国矿业大学", "研究员", _F,
     ["新材料", "工程机械", "安全应急"], None),
    ("袁丽萍", _W, "徐州医科大学", "副主任医师", _A,
     ["医药健康", "高端纺织"], None),
    ("邓志飞", _M, "江苏建筑职业技术学院", "教授", _F,
     ["绿色低碳能源", "安全应急", "新材料"], None),
    ("许振东", _M, "东南大学", "教授", _F,
     ["集成电路与ICT", "新材料", "工程机械"], None),
    ("彭海燕", _W, "江南大学", "教授", _F,
     ["食品及农副产品加工", "高端纺织", "新材料"], None),
]
SUSPENDED = "许振东"


def pool_number(serial: int) -> str:
    return f"XZ-E{serial:03d}"


@dataclass(frozen=True)
class PanelSeed:
    """What ``seed_panel`` did: whether it moved the cycle into the panel review, how many
    experts it entered into the pool and how many panels it drew."""

    opened: bool
    experts: int
    panels: int


def panel_logins() -> list[DemoLogin]:
    """The demo logins of the panel review besides ``expert`` (demo.registry): the expert with
    an invitation to answer, once the demo has made it."""
    user = User.objects.filter(username=INVITEE).first()
    if user is None:
        return []
    return [DemoLogin(user.username, user.role, "评审邀请待答复")]


def seed_panel(today: dt.date | None = None) -> PanelSeed:
    """Take the 2025 cycle from its preliminary review into the panel review, enter the pool,
    draw and invite every panel and answer for the experts; see the module docstring. Runs
    after ``preliminary.seed_preliminary`` and needs the demo accounts."""
    today = today or timezone.localdate()
    with demo_shortcuts():
        city = User.objects.get(username="city_admin")
        organiser = User.objects.get(username="organiser")
        cycle = Cycle.objects.filter(year=DEMO_YEAR).first()
        if cycle is None:
            return PanelSeed(False, 0, 0)
        opened = cycle.status == CycleStatus.PRELIMINARY_REVIEW
        if opened:
            _finish_preliminary_review(cycle, city)
            with transaction.atomic():
                _open_panel_review(cycle, city, today)
        experts = _seed_pool(cycle, organiser, today)
        if cycle.status != CycleStatus.PANEL_REVIEW:
            return PanelSeed(opened, experts, 0)
        drawn = 0
        if not cycle.panels.filter(draws__isnull=False).exists():
            panel_group_split(cycle=cycle, group=PanelGroup.A, splits=SPLIT_A, actor=organiser)
        for index, panel in enumerate(cycle.panels.select_related("cycle").order_by("position")):
            if panel.draws.exists():
                continue
            _Panel(panel, organiser, index).run()
            drawn += 1
    return PanelSeed(opened, experts, drawn)


# --- The end of stage 2 ------------------------------------------------------------------------

class _Finish(_District):
    """A district finishing its review: only the claims not reviewed yet are reviewed (the
    others keep their verdicts)."""

    def review_claims(self, participant, count=None) -> None:
        done = set(ClaimReview.objects.filter(participant=participant)
                   .values_list("indicator_id", flat=True))
        all_indicators = self.indicators
        self.indicators = [i for i in all_indicators if i.pk not in done]
        try:
            super().review_claims(participant)
        finally:
            self.indicators = all_indicators


def _finish_preliminary_review(cycle: Cycle, city: User) -> None:
    """Every district ranks and submits, the city decides the fraud report awaiting it and
    accepts every summary, then closes the stage (R4: the groups are fixed)."""
    for report in FraudReport.objects.filter(participant__cycle=cycle,
                                             status=FraudStatus.REPORTED):
        fraud_report_decide(report=report, confirm=False, reason=FRAUD_DISMISSAL, actor=city)
    today = timezone.localdate()
    _finish_rectifications(cycle, city, today)
    for review in cycle.district_reviews.select_related(
            "district", "cycle__policy_version").order_by("district__sort_order"):
        if review.status == DistrictReviewStatus.ACCEPTED:
            continue
        if review.status != DistrictReviewStatus.SUBMITTED:
            district = _Finish(review, city, today)
            if review.status == DistrictReviewStatus.RETURNED and \
                    not district_review_submit_problems(review):
                district.submit(review.summaries.order_by("-pk").first())
            else:
                district.rank_and_submit()
            review.refresh_from_db()
        district_review_accept(district_review=review, actor=city)
    preliminary_review_close(cycle=cycle, actor=city)


def _finish_rectifications(cycle: Cycle, city: User, today: dt.date) -> None:
    """The notices still running are answered before the deadline and accepted by the
    district; the overdue one stays open (its institution missed the deadline)."""
    for notice in Rectification.objects.filter(
            participant__cycle=cycle,
            status__in=[RectificationStatus.OPEN, RectificationStatus.ANSWERED]) \
            .select_related("participant__district_review__district",
                            "participant__district_review__cycle__policy_version") \
            .order_by("pk"):
        if notice.is_overdue:
            continue
        district = _Finish(notice.participant.district_review, city, today)
        if notice.status == RectificationStatus.OPEN:
            district.answer(notice, RECTIFICATION_ANSWER)
        rectification_decide(answer=notice.answers.order_by("-pk").first(), accepted=True,
                             comment=RECTIFICATION_ACCEPTED, actor=district.reviewer)


def _open_panel_review(cycle: Cycle, city: User, today: dt.date) -> None:
    """The preliminary review ends today, ahead of its planned date; the panel review opens
    today for ``PANEL_CLOSES_IN_DAYS`` days."""
    cycle_stage_schedule(cycle=cycle, stage=CycleStatus.PANEL_REVIEW,
                         opens_on=today,
                         closes_on=today + dt.timedelta(days=PANEL_CLOSES_IN_DAYS), actor=city)
    cycle_transition(cycle=cycle, to_status=CycleStatus.PANEL_REVIEW, actor=city)
    cycle.refresh_from_db()


# --- The pool ----------------------------------------------------------------------------------

@transaction.atomic
def _seed_pool(cycle: Cycle, organiser: User, today: dt.date) -> int:
    """Enter the experts not in the pool yet, with their accounts; return how many."""
    clusters = {c.name: c for c in Cluster.objects.all()}
    existing = set(Expert.objects.values_list("pool_number", flat=True))
    created = 0
    for serial, (name, gender, employer, title, level, judged, username) in enumerate(
            EXPERTS, start=1):
        number = pool_number(serial)
        if number in existing:
            continue
        prefix, region, code_serial = _EMPLOYERS[employer]
        user = _account(username, name, title) if username else None
        expert = expert_create(
            actor=organiser, clusters=[clusters[c] for c in judged], user=user,
            employments=_past_employers(cycle, name, today), pool_number=number, name=name,
            gender=gender, employer_name=employer,
            employer_credit_code=credit_code(prefix, region, code_serial), title=title,
            title_level=level, phone=f"139{51600000 + serial * 7919 % 100000:08d}",
            email=f"{number.lower()}@experts.example.cn")
        if name == SUSPENDED:
            expert_suspend(expert=expert, actor=organiser, reason=SUSPENSION_REASON)
        created += 1
    return created


def _account(username: str, name: str, title: str) -> User:
    """The expert's account, with the demo password, as the organiser creates it."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(username=username, password=DEMO_PASSWORD, role=Role.EXPERT,
                           full_name=f"{name}（{title}）", email=f"{username}@example.cn")
    return user


def _past_employers(cycle: Cycle, name: str, today: dt.date) -> list[Employment]:
    """``PAST_EMPLOYER_EXPERT`` worked until last year for the first institution of group C
    (by credit code): a conflict the draw of that panel finds (R6a)."""
    if name != PAST_EMPLOYER_EXPERT:
        return []
    participant = cycle.participants.filter(group=PanelGroup.C).select_related(
        "institution").order_by("institution__credit_code").first()
    if participant is None:
        return []
    return [Employment(employer_name=participant.institution.name,
                       credit_code=participant.institution.credit_code,
                       started_on=dt.date(today.year - 6, 3, 1),
                       ended_on=dt.date(today.year - 1, 6, 30))]


# --- One panel: the draw, the invitations, the answers, the scores ------------------------------

_COMMENTS = ["研发投入持续增长，平台建设成效明显，建议进一步加强成果转化。",
             "运营机制较为完善，科技服务收入结构合理，人才梯队尚需加强。",
             "核心技术有突破，孵化企业质量较好，建议完善知识产权布局。",
             "整体运行良好，部分佐证材料不够充分，科研产出与投入匹配度一般。"]


class _Panel:
    """Draws one panel as the organiser would and answers for its experts."""

    def __init__(self, panel: Panel, organiser: User, index: int) -> None:
        self.panel = panel
        self.organiser = organiser
        self.index = index  # its place in the order of the draws
        self.rng = random.Random(f"{DEMO_YEAR}-panel-{index}")
        self.indicators = list(Indicator.objects.filter(category__cycle_id=panel.cycle_id)
                               .order_by("category__order", "order"))

    @transaction.atomic
    def run(self) -> None:
        seed = SEEDS[self.index] if self.index < len(SEEDS) else ""
        panel_draw(panel=self.panel, actor=self.organiser, seed=seed)
        panel_invite(panel=self.panel, actor=self.organiser)
        members = list(PanelSeat.objects.filter(panel=self.panel, status=SeatStatus.INVITED)
                       .select_related("expert__user", "panel__cycle").order_by("position"))
        others = [s for s in members if not self._is(s, SCORER, INVITEE)]
        # The second panel (A·优势): a member declines (the first alternate is invited in its
        # place and accepts), another accepts declaring a conflict. The third: a member
        # declares a conflict later, before scoring the institution.
        decliner = others[0] if self.index == 1 and others else None
        declarer = next((s for s in others[1:] if self.index == 1 and s.expert.user_id), None)
        later = next((s for s in others if self.index == 2 and s.expert.user_id), None)
        for seat in members:
            if self._is(seat, INVITEE):
                continue  # the invitation stays unanswered
            if seat is decliner:
                alternate = seat_decline(seat=seat, actor=self._actor(seat),
                                         reason=DECLINE_REASON)
                if alternate is not None:
                    seat_accept(seat=alternate, actor=self._actor(alternate))
                continue
            conflicts = []
            if seat is declarer:
                conflicts = [(_declarable(seat)[0], ACCEPT_CONFLICT)]
            seat_accept(seat=seat, actor=self._actor(seat), conflicts=conflicts)
        for seat in PanelSeat.objects.filter(panel=self.panel, status=SeatStatus.ACCEPTED) \
                .select_related("expert__user", "panel__cycle").order_by("position"):
            if not seat.serving or seat.expert.user is None:
                continue
            user = seat.expert.user
            assigned = seat_assignments(seat)
            if seat == later and assigned:
                conflict_declare(seat=seat, participant_id=assigned[-1], reason=LATER_CONFLICT,
                                 actor=user)
                assigned = assigned[:-1]
            if user.username == SCORER:
                self._score(seat, user, assigned[:SUBMITTED_SCORES], submit=True)
                self._score(seat, user, assigned[SUBMITTED_SCORES:SUBMITTED_SCORES + 1],
                            submit=False, complete=False)
            else:
                self._score(seat, user, assigned[:self.rng.randint(1, 2)], submit=True)

    @staticmethod
    def _is(seat: PanelSeat, *usernames: str) -> bool:
        return seat.expert.user is not None and seat.expert.user.username in usernames

    def _actor(self, seat: PanelSeat) -> User:
        """The expert itself, or the organiser recording the answer given by telephone."""
        return seat.expert.user or self.organiser

    def _score(self, seat: PanelSeat, user: User, participants: list[int], *, submit: bool,
               complete: bool = True) -> None:
        for participant_id in participants:
            level = self.rng.randint(60, 95)
            indicators = self.indicators if complete else \
                self.indicators[:len(self.indicators) // 2]
            scores = {str(i.pk): str((i.points * Decimal(min(100, max(30, level + self.rng
                                                                  .randint(-10, 10)))) / 100)
                                     .quantize(Decimal("0.5"), rounding=ROUND_DOWN))
                      for i in indicators}
            score = expert_score_save(seat=seat, participant_id=participant_id, scores=scores,
                                      comment=self.rng.choice(_COMMENTS) if complete else "",
                                      revision=0, actor=user)
            if submit:
                expert_score_submit(score=score, actor=user)


def _declarable(seat: PanelSeat) -> list[int]:
    """The panel's institutions an invited expert may declare a conflict with on accepting:
    those it has no known conflict with (what the invitation lists)."""
    from ..selectors.panel import panel_institutions, panel_members

    members = panel_members(seat.panel.cycle)
    known = set(seat.expert.conflicts.filter(cycle_id=seat.panel.cycle_id)
                .values_list("participant_id", flat=True))
    return [members.participant_pk[i.id] for i in panel_institutions(seat.panel, members)
            if members.participant_pk[i.id] not in known]

