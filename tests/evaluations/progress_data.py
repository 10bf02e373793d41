"""Test data of the self-evaluation progress: a cycle with self-evaluation open and reports in
every status, made directly (the services that move a report along have their own tests)."""
from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from evaluations.enums import CycleStatus, SubmissionStatus
from evaluations.models import Cycle, CycleStage, PolicyVersion, Submission
from institutions.models import Cluster, District, Institution
from tests.factories import InstitutionFactory


def open_cycle(year: int = 2026, *, closes_in: int = 25) -> Cycle:
    """A cycle of ``year`` whose self-evaluation opened 20 days ago and closes in
    ``closes_in`` days."""
    today = timezone.localdate()
    version, _ = PolicyVersion.objects.get_or_create(
        effective_date=dt.date(2020, 1, 1), defaults={"name": "默认参数"})
    cycle = Cycle.objects.create(year=year, policy_version=version,
                                 status=CycleStatus.SELF_EVALUATION)
    CycleStage.objects.create(cycle=cycle, stage=CycleStatus.SELF_EVALUATION,
                              opens_on=today - dt.timedelta(days=20),
                              closes_on=today + dt.timedelta(days=closes_in),
                              opened_at=timezone.now() - dt.timedelta(days=20))
    return cycle


def invite(cycle: Cycle, institution: Institution, status: str = SubmissionStatus.NOT_STARTED,
           deadline: dt.date | None = None) -> Submission:
    stage = cycle.stages.get(stage=CycleStatus.SELF_EVALUATION)
    return Submission.objects.create(
        cycle=cycle, institution=institution, district_id=institution.district_id,
        cluster_id=institution.cluster_id, status=status, deadline=deadline or stage.closes_on,
        submitted_at=timezone.now() if status == SubmissionStatus.SUBMITTED else None)


STATUS_MIX = (SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS,
              SubmissionStatus.IN_PROGRESS, SubmissionStatus.SUBMITTED,
              SubmissionStatus.NOT_PARTICIPATING)


def bulk_invite(cycle: Cycle, n: int) -> None:
    """``n`` more institutions over every district and cluster, each invited to ``cycle`` with
    a status of ``STATUS_MIX`` (bulk inserts: fast at thousands of rows)."""
    districts = list(District.objects.all())
    clusters = list(Cluster.objects.all())
    start = Institution.objects.count()
    institutions = Institution.objects.bulk_create([
        InstitutionFactory.build(district=districts[i % len(districts)],
                                 cluster=clusters[(i // len(districts)) % len(clusters)])
        for i in range(start, start + n)
    ], batch_size=1000)
    if institutions and institutions[0].pk is None:  # a backend that returns no ids
        institutions = list(Institution.objects.order_by("-pk")[:n])
    deadline = cycle.stages.get(stage=CycleStatus.SELF_EVALUATION).closes_on
    statuses = itertools.cycle(STATUS_MIX)
    Submission.objects.bulk_create([
        Submission(cycle=cycle, institution=institution, district_id=institution.district_id,
                   cluster_id=institution.cluster_id, status=next(statuses), deadline=deadline)
        for institution in institutions
    ], batch_size=1000)
