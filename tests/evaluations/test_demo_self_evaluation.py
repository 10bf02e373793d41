"""The demo cycle of `make run` (issue 3 §6): self-evaluation open with a realistic mix of
reports, made through the services, and idempotent."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import pytest
from auditlog.context import disable_auditlog
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from evaluations.demo import registry as registry_demo
from evaluations.demo import self_evaluation as cycle_demo
from evaluations.demo import support
from evaluations.enums import CycleStatus, ReportStatus, SubmissionStatus
from evaluations.models import (
    Cycle,
    EvidenceFile,
    IndicatorResponse,
    ReportFile,
    Submission,
    SubmissionVersion,
)
from evaluations.services.self_evaluation import (
    submission_editable_problem,
    submission_gaps,
)
from institutions.models import Cluster, District, User
from institutions.reference_data import ensure_reference_data


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeding takes seconds: do it once for the module, in a transaction rolled back at the
    end (each test runs in a savepoint inside it). Hundreds of small evidence files go to a
    temporary media directory, not .test_media."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), \
            transaction.atomic():
        with disable_auditlog():
            ensure_reference_data(District, Cluster)
        registry_demo.seed_registry()
        registry_demo.seed_accounts()
        yield cycle_demo.seed_cycle()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return _seeded_once


def _state() -> dict:
    return {
        "statuses": Counter(Submission.objects.values_list("status", flat=True)),
        "responses": IndicatorResponse.objects.count(),
        "evidence": EvidenceFile.objects.count(),
        "reports": ReportFile.objects.count(),
        "versions": SubmissionVersion.objects.count(),
        "users": User.objects.count(),
        "cycles": Cycle.objects.count(),
    }


def test_seed_cycle_makes_a_realistic_mix_and_is_idempotent(seeded):
    assert seeded == cycle_demo.CycleSeed(created=True, partial=30, submitted=22)
    statuses = _state()["statuses"]
    assert statuses == {SubmissionStatus.NOT_STARTED: 23, SubmissionStatus.IN_PROGRESS: 30,
                        SubmissionStatus.SUBMITTED: 22}
    total = sum(statuses.values())
    shares = {status: n * 100 // total for status, n in statuses.items()}
    assert all(abs(shares[s] - target) <= 3 for s, target in zip(
        (SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS,
         SubmissionStatus.SUBMITTED), cycle_demo.SHARES, strict=True))
    before = _state()
    assert cycle_demo.seed_cycle() == cycle_demo.CycleSeed(created=False, partial=0,
                                                           submitted=0)
    assert _state() == before


def test_seed_cycle_opens_self_evaluation_around_today(seeded):
    today = timezone.localdate()
    cycle = Cycle.objects.get(year=cycle_demo.DEMO_YEAR)
    stage = cycle.stages.get(stage=CycleStatus.SELF_EVALUATION)
    assert (cycle.status, stage.opens_on, stage.closes_on, stage.opened_at is not None) == (
        CycleStatus.SELF_EVALUATION, today - dt.timedelta(days=20),
        today + dt.timedelta(days=25), True)
    # The cohort (R1): filed in an even year up to 2024, every one of them invited.
    years = {s.institution.filing_date.year for s in cycle.submissions.all()}
    assert years == {2016, 2018, 2020, 2022, 2024}


def test_seed_cycle_demo_logins_have_a_report_to_fill_in(seeded):
    filer = User.objects.get(username="inst_filer")
    submission = Submission.objects.get(institution=filer.institution)
    assert submission.status == SubmissionStatus.IN_PROGRESS
    assert submission_editable_problem(submission) == ""
    assert submission_gaps(submission) != []
    assert IndicatorResponse.objects.filter(submission=submission, updated_by=filer).exists()
    yunlong = User.objects.get(username="inst_filer_yunlong").institution
    assert Submission.objects.get(institution=yunlong).status == SubmissionStatus.NOT_STARTED


def test_seed_cycle_submitted_reports_are_complete_with_stamped_scans(seeded):
    submitted = Submission.objects.filter(status=SubmissionStatus.SUBMITTED)
    for submission in submitted:
        version = submission.versions.get()
        assert (submission_gaps(submission), version.report.status, bool(version.report.scan),
                version.submitted_by.role) == ([], ReportStatus.DONE, True, "institution_admin")
        assert submission.pledge_accepted_by == version.submitted_by
    # Each report has its PDF; a handful are rendered for real, the others are copies.
    contents = set()
    for report in ReportFile.objects.all():
        with report.file.open("rb") as file:
            content = file.read()
        assert content[:5] == b"%PDF-"
        contents.add(hashlib.sha256(content).hexdigest())
    assert len(contents) == support.RENDERED_REPORTS


def test_seed_cycle_partial_reports_have_some_answers_and_evidence(seeded):
    partial = Submission.objects.filter(status=SubmissionStatus.IN_PROGRESS)
    answered = Counter(IndicatorResponse.objects.filter(submission__in=partial)
                       .values_list("submission_id", flat=True))
    with_evidence = set(EvidenceFile.objects.filter(response__submission__in=partial)
                        .values_list("response__submission_id", flat=True))
    assert set(answered) == set(partial.values_list("pk", flat=True)) == with_evidence
    assert all(3 <= n < 24 for n in answered.values())
    assert partial.filter(pledge_accepted_at__isnull=False).count() == 0


def test_seed_cycle_not_started_reports_are_untouched(seeded):
    untouched = Submission.objects.filter(status=SubmissionStatus.NOT_STARTED)
    assert IndicatorResponse.objects.filter(submission__in=untouched).count() == 0


def test_seed_cycle_evidence_files_are_real_pdfs(seeded):
    evidence = EvidenceFile.objects.order_by("pk").first()
    with evidence.file.open("rb") as file:
        content = file.read()
    assert (content[:5], content.rstrip().endswith(b"%%EOF"), evidence.kind) == (
        b"%PDF-", True, "pdf")
