"""The demo's current cycle: the 2026 evaluation with self-evaluation open and a realistic mix
of reports — about 30 % not started, 40 % partly filled, 30 % submitted.

Everything a user would do goes through the services (``cycle_create``, ``cycle_transition``,
``response_save``, ``evidence_upload``, ``submission_pledge``, ``report_request``,
``report_render``, ``report_scan_upload``, ``submission_submit``), so the demo holds what the
application itself would have recorded. Each institution fills its report in on a day of the
weeks the stage has been open: the demo's clock (``support.clock``) is set to that moment
while it does. Deterministic and idempotent: a report that is no longer "not started" is left
alone, so running it twice changes nothing.
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
from institutions.models import Institution, User
from institutions.services import user_create

from ..enums import CycleStatus, FieldKind, ReportStatus, SubmissionStatus
from ..models import Cycle, Indicator, IndicatorResponse, ReportFile, Submission
from ..services.cycles import cycle_create, cycle_transition
from ..services.reports import report_render
from ..services.self_evaluation import (
    evidence_upload,
    report_request,
    report_scan_upload,
    response_save,
    submission_pledge,
    submission_submit,
)
from .registry import DEMO_PASSWORD
from .support import at, clock, demo_shortcuts, pdf

DEMO_YEAR = 2026  # institutions filed in an even year up to 2024 are its cohort (R1)
OPENED_DAYS_AGO = 20
CLOSES_IN_DAYS = 25
SHARES = (30, 40, 30)  # percent not started / partly filled / submitted

EMPTY, PARTIAL, SUBMITTED = "empty", "partial", "submitted"
# The demo logins show a report to fill in (gulou) and one not started yet (yunlong).
_PINNED = {"inst_filer": PARTIAL, "inst_filer_yunlong": EMPTY}


@dataclass(frozen=True)
class CycleSeed:
    """What ``seed_cycle`` did: whether it created the cycle, how many reports it filled in
    part and how many it submitted."""

    created: bool
    partial: int
    submitted: int


def seed_cycle(today: dt.date | None = None) -> CycleSeed:
    """Create the demo cycle (self-evaluation opened ``OPENED_DAYS_AGO`` days ago, closing in
    ``CLOSES_IN_DAYS`` days) and fill its reports; see the module docstring."""
    today = today or timezone.localdate()
    with demo_shortcuts():
        city = User.objects.filter(role=Role.CITY_ADMIN, username="city_admin").first()
        cycle = Cycle.objects.filter(year=DEMO_YEAR).first()
        created = cycle is None
        if cycle is None:
            dates = (today - dt.timedelta(days=OPENED_DAYS_AGO),
                     today + dt.timedelta(days=CLOSES_IN_DAYS))
            cycle = cycle_create(year=DEMO_YEAR, actor=city,
                                 stage_dates={CycleStatus.SELF_EVALUATION: dates})
        if cycle.status == CycleStatus.DRAFT:
            cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city)
        if cycle.status != CycleStatus.SELF_EVALUATION:
            return CycleSeed(created, 0, 0)
        filler = ReportFiller(cycle)
        counts = {PARTIAL: 0, SUBMITTED: 0}
        for submission, plan in _plans(cycle):
            if plan == EMPTY or submission.status != SubmissionStatus.NOT_STARTED:
                continue
            rng = random.Random(submission.institution.credit_code)
            with clock(filled_at(submission.institution.credit_code, until=today)):
                if plan == PARTIAL:
                    filler.partial(submission, rng)
                else:
                    filler.submit(submission, rng)
            counts[plan] += 1
    return CycleSeed(created, counts[PARTIAL], counts[SUBMITTED])


def filled_at(key: str, *, until: dt.date, days: int = OPENED_DAYS_AGO) -> dt.datetime:
    """When the institution ``key`` filled its report in: in office hours on one of the
    ``days`` days up to ``until``, never later than now. Spread over the weeks the stage has
    been open, so that the progress list looks like a running stage, not one batch."""
    rng = random.Random(f"{key}-filled-at")
    day = until - dt.timedelta(days=rng.randint(0, days - 1))
    return min(at(day, rng.randint(8, 17), rng.randint(0, 59)), timezone.now())


def _plans(cycle: Cycle) -> list[tuple[Submission, str]]:
    """Every report of ``cycle`` with what the demo does to it, in a fixed shuffled order."""
    submissions = list(cycle.submissions.select_related("institution", "cycle")
                       .order_by("institution__credit_code"))
    random.Random(DEMO_YEAR).shuffle(submissions)
    n = len(submissions)
    empty_end = n * SHARES[0] // 100
    partial_end = empty_end + n * SHARES[1] // 100
    plans = {s.institution_id: EMPTY if i < empty_end else PARTIAL if i < partial_end
             else SUBMITTED for i, s in enumerate(submissions)}
    for username, plan in _PINNED.items():
        institution_id = User.objects.filter(username=username).values_list(
            "institution_id", flat=True).first()
        if institution_id in plans:
            plans[institution_id] = plan
    return [(s, plans[s.institution_id]) for s in submissions]


class ReportFiller:
    """Fills reports in as their institutions would, through the services.

    Each report's answers and evidence commit together (all or nothing, and once rather than
    once per answer); its PDF is requested outside that transaction, so that the rendering
    task, which runs when the request commits, has rendered it before the stamped scan is
    uploaded."""

    def __init__(self, cycle: Cycle) -> None:
        self.cycle = cycle
        self.indicators = list(Indicator.objects.filter(category__cycle=cycle)
                               .prefetch_related("fields").order_by("category__order", "order"))

    def partial(self, submission: Submission, rng: random.Random) -> None:
        """Some indicators answered (the first ones, as people fill forms in order), a few
        evidence files, no pledge."""
        actor = self._account(submission.institution, admin=False)
        answered = self.indicators[:rng.randint(3, len(self.indicators) * 3 // 4)]
        with transaction.atomic():
            for indicator in answered:
                self._answer(submission, indicator, actor, rng, complete=rng.random() < 0.8)
            with_evidence = [i for i in answered if i.evidence_required]
            for indicator in rng.sample(with_evidence,
                                        min(len(with_evidence), rng.randint(1, 3))):
                self._evidence(submission, indicator, actor)

    def submit(self, submission: Submission, rng: random.Random) -> None:
        """Every indicator answered with its evidence, the pledge signed by the institution's
        administrator, the report generated, its stamped scan uploaded, submitted."""
        actor = self._account(submission.institution, admin=True)
        with transaction.atomic():
            for indicator in self.indicators:
                self._answer(submission, indicator, actor, rng, complete=True)
                if indicator.evidence_required:
                    self._evidence(submission, indicator, actor)
            submission_pledge(submission=submission, actor=actor)
        submission.refresh_from_db()
        report = self._report(submission, actor)
        with transaction.atomic():
            report_scan_upload(report=report, upload=SimpleUploadedFile(
                "盖章扫描件.pdf", pdf([f"{submission.institution.credit_code}",
                                     f"Self-evaluation {self.cycle.year} - stamped scan (demo)"],
                                    seal=True), "application/pdf"), actor=actor)
            submission_submit(submission=submission, actor=actor)

    def _report(self, submission: Submission, actor: User) -> ReportFile:
        """The report's PDF, requested as the institution would. Without a broker its task
        runs in this process when the request commits; inside an outer transaction (tests)
        or with a broker it has not run yet: render here, as the task would."""
        report = report_request(submission=submission, actor=actor)
        report.refresh_from_db()
        if report.status != ReportStatus.DONE:
            report_render(report_id=report.pk)
            report.refresh_from_db()
        return report

    def _account(self, institution: Institution, *, admin: bool) -> User:
        """An account of the institution (its administrator when ``admin``), created with the
        demo password when there is none."""
        roles = [Role.INSTITUTION_ADMIN] if admin else list(INSTITUTION_ROLES)
        user = User.objects.filter(institution=institution, role__in=roles, is_active=True) \
            .order_by("-role", "pk").first()  # a filer fills in
        if user is None:
            user = user_create(username=f"admin-{institution.credit_code.lower()}",
                               password=DEMO_PASSWORD, role=Role.INSTITUTION_ADMIN,
                               institution=institution,
                               full_name=f"{institution.contact_person}（单位管理员）")
        return user

    def _answer(self, submission: Submission, indicator: Indicator, actor: User,
                rng: random.Random, *, complete: bool) -> None:
        fields = list(indicator.fields.all())
        if not complete:  # a draft: the second year not entered yet, no score
            data = {f.key: {"y1": _value(f.kind, self.cycle.year - 2, rng), "y2": ""}
                    for f in fields}
            score = None
        else:
            data = {f.key: {"y1": _value(f.kind, self.cycle.year - 2, rng),
                            "y2": _value(f.kind, self.cycle.year - 1, rng)} for f in fields}
            score = (indicator.points * Decimal(rng.randint(55, 100)) / 100).quantize(
                Decimal("0.5"), rounding=ROUND_DOWN)
        response_save(submission=submission, indicator=indicator, data=data,
                      narrative=f"{indicator.name}：评价期内按计划推进，相关数据见佐证材料。",
                      self_score=score, revision=_revision(submission, indicator), actor=actor)

    def _evidence(self, submission: Submission, indicator: Indicator, actor: User) -> None:
        content = pdf([submission.institution.credit_code,
                       f"Evidence {indicator.code} ({self.cycle.year - 2}-{self.cycle.year - 1})"])
        evidence_upload(submission=submission, indicator=indicator, actor=actor,
                        upload=SimpleUploadedFile(f"{indicator.code} {indicator.name}.pdf",
                                                  content, "application/pdf"))


def _revision(submission: Submission, indicator: Indicator) -> int:
    return IndicatorResponse.objects.filter(submission=submission, indicator=indicator) \
        .values_list("revision", flat=True).first() or 0


def _value(kind: str, year: int, rng: random.Random) -> str:
    if kind == FieldKind.AMOUNT:
        return f"{rng.randint(2000, 90000) / 100:.2f}"
    if kind == FieldKind.COUNT:
        return str(rng.randint(1, 60))
    if kind == FieldKind.PERCENT:
        return f"{rng.randint(50, 600) / 10:.1f}"
    if kind == FieldKind.DATE:
        return dt.date(year, rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    return rng.choice(["已按要求纳入统计。", "与高校共建联合实验室，机制运行良好。",
                       "获评市级优秀新型研发机构。"])
