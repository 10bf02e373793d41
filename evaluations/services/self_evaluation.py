"""Stage 1, self-evaluation (Art 9, Art 15 / R2): answering, evidence, the pledge, the
generated report and its stamped scan, submitting, withdrawing, extensions, and closing the
stage with the confirmation of the non-submitters.

``submission_set_status`` is the one writer of ``Submission.status``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from institutions.audit import acting_as
from institutions.enums import INSTITUTION_ROLES, FilingStatus
from institutions.exceptions import DomainError
from institutions.models import User
from institutions.notifications import notify
from institutions.services import institution_change_status
from institutions.transitions import status_set

from .. import completeness
from ..enums import CycleStatus, ReportStatus, SubmissionStatus
from ..models import (
    Cycle,
    CycleStage,
    EvidenceFile,
    Extension,
    Indicator,
    IndicatorResponse,
    ReportFile,
    Submission,
    SubmissionVersion,
)
from .form_tokens import made_with_token
from .stages import cycle_stage_close
from .uploads import check_scan, check_upload, over_limit, scan_attach, store_file

SUBMISSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SubmissionStatus.NOT_STARTED: frozenset({SubmissionStatus.IN_PROGRESS,
                                             SubmissionStatus.NOT_PARTICIPATING}),
    SubmissionStatus.IN_PROGRESS: frozenset({SubmissionStatus.SUBMITTED,
                                             SubmissionStatus.NOT_PARTICIPATING}),
    SubmissionStatus.SUBMITTED: frozenset({SubmissionStatus.IN_PROGRESS}),
    SubmissionStatus.NOT_PARTICIPATING: frozenset(),
}


class EditConflict(DomainError):
    """Someone saved the same indicator since this copy was loaded (another tab or user)."""

    def __init__(self, message: str, response: IndicatorResponse) -> None:
        super().__init__(message)
        self.response = response


def submission_set_status(*, submission: Submission, to_status: str) -> None:
    """The one writer of ``Submission.status``; the caller holds the row lock."""
    status_set(submission, to_status, transitions=SUBMISSION_TRANSITIONS,
               refusal=_("This self-evaluation cannot go from “%(from)s” to “%(to)s”."),
               update_fields=["updated_at"])


def _locked(submission: Submission) -> Submission:
    return Submission.objects.select_for_update().select_related("cycle").get(pk=submission.pk)


def submission_editable_problem(submission: Submission, today: dt.date | None = None) -> str:
    """Why the institution cannot change its report now ("" when it can)."""
    today = today or timezone.localdate()
    if submission.cycle.status != CycleStatus.SELF_EVALUATION:
        return _("Self-evaluation is not open.")
    if submission.status == SubmissionStatus.SUBMITTED:
        return _("The report is submitted; withdraw it first to change it.")
    if submission.status == SubmissionStatus.NOT_PARTICIPATING:
        return _("The institution did not participate in this evaluation.")
    if today > submission.deadline:
        return _("The deadline (%(date)s) has passed.") % {"date": submission.deadline}
    return ""


def _require_editable(submission: Submission) -> None:
    problem = submission_editable_problem(submission)
    if problem:
        raise DomainError(problem)


def _start(submission: Submission) -> None:
    if submission.status == SubmissionStatus.NOT_STARTED:
        submission_set_status(submission=submission, to_status=SubmissionStatus.IN_PROGRESS)


def _parse_score(raw) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        score = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise DomainError(_("The self-assessed score must be a number.")) from exc
    if not score.is_finite():
        raise DomainError(_("The self-assessed score must be a number."))
    return score.quantize(Decimal("0.01"))


def response_save(*, submission: Submission, indicator: Indicator, data: dict, narrative: str,
                  self_score, revision: int, actor: User) -> IndicatorResponse:
    """Save the institution's answer to one indicator (a draft: incomplete or even invalid
    values are kept, and listed by the completeness check, so nothing typed is lost).

    ``revision`` is the revision the user's copy was loaded at; if the answer was saved since
    (another tab, another user), ``EditConflict`` is raised and nothing is overwritten.
    """
    keys = set(indicator.fields.values_list("key", flat=True))
    clean = {key: {year: str((values or {}).get(year, "") or "")[:2000]
                   for year in completeness.YEARS}
             for key, values in (data or {}).items() if key in keys}
    score = _parse_score(self_score)
    if score is not None and not 0 <= score <= indicator.points:
        raise DomainError(_("The self-assessed score must be from 0 to %(points)s.")
                          % {"points": indicator.points})
    with transaction.atomic(), acting_as(actor):
        locked = _locked(submission)
        _require_editable(locked)
        response, _created = IndicatorResponse.objects.select_for_update().get_or_create(
            submission=locked, indicator=indicator)
        if response.revision != revision:
            who = response.updated_by or _("someone")
            raise EditConflict(_(
                "%(who)s saved this indicator at %(time)s, after you opened it. Your changes "
                "were not saved; reload to see theirs, then enter yours again."
            ) % {"who": who, "time": timezone.localtime(response.updated_at).strftime(
                "%H:%M:%S")}, response)
        response.data = clean
        response.narrative = (narrative or "")[:20000]
        response.self_score = score
        response.revision = F("revision") + 1
        response.updated_by = actor
        response.save()
        response.refresh_from_db(fields=["revision", "updated_at"])
        _start(locked)
    return response


def submission_evidence_bytes(submission: Submission) -> int:
    total = EvidenceFile.objects.filter(response__submission=submission).aggregate(
        total=Sum("size"))["total"]
    return total or 0


def evidence_upload(*, submission: Submission, indicator: Indicator, upload: UploadedFile,
                    actor: User) -> EvidenceFile:
    """Attach an evidence file to an answer. The file streams from the temporary upload to
    private storage; the answer's other data is untouched whatever happens to the file. The
    same file (name and content) uploaded again to the same answer (a double click, a file
    chosen twice) is the file already there, not a second copy."""
    checked = check_upload(upload, accepted=list(indicator.evidence_types),
                           max_bytes=settings.EVIDENCE_MAX_FILE_BYTES)
    with transaction.atomic(), acting_as(actor):
        locked = _locked(submission)
        _require_editable(locked)
        same = EvidenceFile.objects.filter(response__submission=locked,
                                           response__indicator=indicator,
                                           original_name=checked.name,
                                           sha256=checked.sha256).first()
        if same is not None:
            return same
        used = submission_evidence_bytes(locked)
        quota = settings.EVIDENCE_MAX_SUBMISSION_BYTES
        if used + checked.size > quota:
            raise DomainError(_("This file would bring the report's evidence to %(size)s "
                                "bytes, over the limit of %(limit)s MB (%(limit_bytes)s bytes) "
                                "a report may hold.") % over_limit(used + checked.size, quota))
        response, _created = IndicatorResponse.objects.get_or_create(submission=locked,
                                                                     indicator=indicator)
        evidence = EvidenceFile(response=response, original_name=checked.name,
                                kind=checked.kind, size=checked.size, sha256=checked.sha256,
                                uploaded_by=actor)
        store_file(evidence, "file", checked.name, upload)
        _start(locked)
    return evidence


def evidence_delete(*, evidence: EvidenceFile, actor: User) -> None:
    """Remove an evidence file from a report that can still be changed."""
    with transaction.atomic(), acting_as(actor):
        _require_editable(_locked(evidence.response.submission))
        stored = evidence.file.name
        # A file a submitted version listed stays on disk: each submitted version is kept.
        keep = evidence.response.submission.versions.exists()
        evidence.delete()
        storage = evidence.file.storage
        if not keep:
            transaction.on_commit(lambda: storage.delete(stored))


# --- Completeness, content and the generated report ----------------------------------------

def submission_snapshot(submission: Submission) -> dict:
    """The report's whole content as plain data (what a submitted version keeps)."""
    indicators = Indicator.objects.filter(category__cycle_id=submission.cycle_id) \
        .select_related("category").order_by("category__order", "order")
    responses = {r.indicator_id: r for r in IndicatorResponse.objects.filter(
        submission=submission).prefetch_related("evidence")}
    rows = []
    for indicator in indicators:
        response = responses.get(indicator.pk)
        rows.append({
            "indicator": indicator.code,
            "data": response.data if response else {},
            "narrative": response.narrative if response else "",
            "self_score": str(response.self_score) if response and response.self_score is not None
            else None,
            "evidence": [{"name": e.original_name, "sha256": e.sha256, "size": e.size}
                         for e in response.evidence.all()] if response else [],
        })
    return {"cycle": submission.cycle.year, "institution": submission.institution.credit_code,
            "answers": rows}


def submission_gaps(submission: Submission) -> list[completeness.Gap]:
    """What is still missing (Art 9): required data, scores, evidence."""
    indicators = list(Indicator.objects.filter(category__cycle_id=submission.cycle_id)
                      .prefetch_related("fields").order_by("category__order", "order"))
    specs = [completeness.IndicatorSpec(
        id=i.pk, code=i.code, name=i.name, points=i.points,
        evidence_required=i.evidence_required,
        fields=tuple(completeness.FieldSpec(f.key, f.label, f.kind, f.required)
                     for f in i.fields.all())) for i in indicators]
    answers = {r.indicator_id: completeness.Answer(r.data, r.narrative, r.self_score,
                                                   len(r.evidence.all()))
               for r in IndicatorResponse.objects.filter(submission=submission)
               .prefetch_related("evidence")}
    return completeness.gaps(specs, answers, submission.cycle.period)


def submission_pledge(*, submission: Submission, actor: User) -> None:
    """The institution administrator confirms the truthfulness pledge of Art 9."""
    if actor.role != "institution_admin" or actor.institution_id != submission.institution_id:
        raise DomainError(_("Only the institution's administrator can sign the pledge."))
    with transaction.atomic(), acting_as(actor):
        locked = _locked(submission)
        _require_editable(locked)
        locked.pledge_accepted_at = timezone.now()
        locked.pledge_accepted_by = actor
        locked.save(update_fields=["pledge_accepted_at", "pledge_accepted_by", "updated_at"])
        _start(locked)


def report_request(*, submission: Submission, actor: User,
                   form_token: str | None = None) -> ReportFile:
    """Queue the PDF of the report and pledge (Celery); refused while data is missing. A
    second post of the same button (``form_token``) returns the first request."""
    if submission.pledge_accepted_at is None:
        raise DomainError(_("The pledge must be signed before the report is generated."))
    if submission_gaps(submission):
        raise DomainError(_("The report is incomplete; complete the items listed first."))
    digest = completeness.content_digest(submission_snapshot(submission))
    with transaction.atomic(), acting_as(actor):
        _require_editable(_locked(submission))
        earlier = made_with_token(ReportFile, form_token, submission_id=submission.pk)
        if earlier is not None:
            return earlier
        report = ReportFile.objects.create(submission=submission, digest=digest,
                                           requested_by=actor, form_token=form_token)
        from .document_queue import document_render_queue

        document_render_queue(document=report)
    return report


def report_scan_upload(*, report: ReportFile, upload: UploadedFile, actor: User) -> ReportFile:
    """Attach the stamped scan (盖章) of a generated report."""
    checked = check_scan(upload)
    with transaction.atomic(), acting_as(actor):
        _require_editable(_locked(report.submission))
        scan_attach(document=report, checked=checked, upload=upload, actor=actor)
    return report


def submission_submit_problems(submission: Submission) -> list[str]:
    """Why the report cannot be submitted now (empty when it can)."""
    problem = submission_editable_problem(submission)
    if problem:
        return [problem]
    problems = [f"{g.code} {g.message}" for g in submission_gaps(submission)]
    if submission.pledge_accepted_at is None:
        problems.append(_("The truthfulness pledge is not signed."))
    digest = completeness.content_digest(submission_snapshot(submission))
    report = submission.reports.filter(status=ReportStatus.DONE, digest=digest).exclude(
        scan="").first()
    if report is None:
        problems.append(_("Upload the stamped scan of the report generated from the current "
                          "content (generate it again after any change)."))
    return problems


def submission_submit(*, submission: Submission, actor: User) -> SubmissionVersion:
    """Submit the report: it becomes an immutable version with its stamped scan, and the
    institution gets a receipt. A second submit (a double click) is refused, not repeated."""
    with transaction.atomic(), acting_as(actor):
        locked = _locked(submission)
        if locked.status == SubmissionStatus.SUBMITTED:
            raise DomainError(_("The report has already been submitted."))
        problems = submission_submit_problems(locked)
        if problems:
            raise DomainError(" ".join(problems))
        snapshot = submission_snapshot(locked)
        digest = completeness.content_digest(snapshot)
        report = locked.reports.filter(status=ReportStatus.DONE, digest=digest).exclude(
            scan="").first()
        number = locked.versions.count() + 1
        version = SubmissionVersion.objects.create(
            submission=locked, number=number, snapshot=snapshot, digest=digest, report=report,
            submitted_by=actor)
        submission_set_status(submission=locked, to_status=SubmissionStatus.SUBMITTED)
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["submitted_at", "updated_at"])
        users = User.objects.filter(institution_id=locked.institution_id,
                                    role__in=INSTITUTION_ROLES, is_active=True)
        subject = _("Receipt: %(year)s self-evaluation submitted") % {"year": locked.cycle.year}
        body = _("The self-evaluation of %(name)s (version %(number)s) was submitted at "
                 "%(time)s by %(who)s. It can be withdrawn and resubmitted until %(deadline)s.") \
            % {"name": locked.institution.name, "number": number,
               "time": timezone.localtime(locked.submitted_at).strftime("%Y-%m-%d %H:%M"),
               "who": actor, "deadline": locked.deadline}
        # In the transaction: the receipt and its e-mail (the outbox) commit with the version.
        notify(users=users, subject=subject, body=body, url=reverse("evaluations:my_submission"))
    submission.status = locked.status
    return version


def submission_withdraw_problem(submission: Submission) -> str:
    """Why the report cannot be withdrawn now ("" when it can)."""
    if submission.status != SubmissionStatus.SUBMITTED:
        return _("Only a submitted report can be withdrawn.")
    if submission.cycle.status != CycleStatus.SELF_EVALUATION \
            or timezone.localdate() > submission.deadline:
        return _("The deadline (%(date)s) has passed; the report can no longer be "
                 "withdrawn.") % {"date": submission.deadline}
    return ""


def submission_withdraw(*, submission: Submission, actor: User) -> None:
    """Withdraw a submitted report to change it (until the deadline); the submitted version
    is kept, marked withdrawn, and the pledge must be signed again."""
    with transaction.atomic(), acting_as(actor):
        locked = _locked(submission)
        problem = submission_withdraw_problem(locked)
        if problem:
            raise DomainError(problem)
        now = timezone.now()
        for version in locked.versions.filter(withdrawn_at__isnull=True):
            version.withdrawn_at, version.withdrawn_by = now, actor  # one row per save: audited
            version.save(update_fields=["withdrawn_at", "withdrawn_by"])
        submission_set_status(submission=locked, to_status=SubmissionStatus.IN_PROGRESS)
        locked.pledge_accepted_at = None
        locked.pledge_accepted_by = None
        locked.save(update_fields=["pledge_accepted_at", "pledge_accepted_by", "updated_at"])
    submission.status = locked.status


def extension_grant(*, submission: Submission, new_deadline: dt.date, reason: str,
                    actor: User, form_token: str | None = None) -> Extension:
    """The city gives one institution a later deadline, with a recorded reason. A second post
    of the same form (``form_token``) returns the extension the first one granted."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("A reason is required for an extension."))
    with transaction.atomic(), acting_as(actor):
        locked = _locked(submission)
        earlier = made_with_token(Extension, form_token, submission_id=locked.pk)
        if earlier is not None:
            return earlier
        if locked.cycle.status != CycleStatus.SELF_EVALUATION:
            raise DomainError(_("Extensions can only be granted while self-evaluation is "
                                "open."))
        if locked.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.NOT_PARTICIPATING):
            raise DomainError(_("This report needs no extension."))
        if new_deadline <= max(locked.deadline, timezone.localdate()):
            raise DomainError(_("The new deadline must be later than %(date)s.")
                              % {"date": max(locked.deadline, timezone.localdate())})
        extension = Extension.objects.create(submission=locked, new_deadline=new_deadline,
                                             reason=reason, granted_by=actor,
                                             form_token=form_token)
        locked.deadline = new_deadline
        locked.save(update_fields=["deadline", "updated_at"])
    return extension


# --- Closing the stage (Art 15, R2) ---------------------------------------------------------

def non_submitters(cycle: Cycle):
    """The invited institutions that have not submitted (未参评)."""
    return cycle.submissions.exclude(status=SubmissionStatus.SUBMITTED) \
        .select_related("institution", "district")


def self_evaluation_close_problems(cycle: Cycle, today: dt.date | None = None, *,
                                   first_only: bool = False) -> list[str]:
    """Why self-evaluation cannot close now (none: it can). ``first_only``: stop at the
    first reason (the to-do list only asks whether it can close: before the closing date it
    then reads no running extensions)."""
    today = today or timezone.localdate()
    if cycle.status != CycleStatus.SELF_EVALUATION:
        return [_("Self-evaluation is not open.")]
    stage = cycle.stage_of(CycleStatus.SELF_EVALUATION)
    if stage is None:
        raise CycleStage.DoesNotExist(f"the {cycle.year} cycle has no self-evaluation dates")
    if stage.is_closed:
        return [_("This stage is already closed.")]
    problems = []
    if today <= stage.closes_on:
        problems.append(_("Self-evaluation closes on %(date)s; it can be closed after that.")
                        % {"date": stage.closes_on})
        if first_only:
            return problems
    # Only an extension granted beyond the stage's own closing date keeps the stage open.
    running = cycle.submissions.filter(deadline__gte=today, deadline__gt=stage.closes_on) \
        .exclude(status=SubmissionStatus.SUBMITTED).count()
    if running:
        problems.append(ngettext("%(count)s institution still has a running extension.",
                                 "%(count)s institutions still have a running extension.",
                                 running) % {"count": running})
    return problems


def self_evaluation_close(*, cycle: Cycle, actor: User) -> int:
    """Close self-evaluation: every invited institution that has not submitted is confirmed
    未参评 and its filing becomes abandoned (R2, Art 15), with the date and reason in its
    status history. Returns how many. Only then can the preliminary review open."""
    problems = self_evaluation_close_problems(cycle)
    if problems:
        raise DomainError(" ".join(problems))
    reason = _("Did not take part in the %(year)s performance evaluation although required: "
               "filing abandoned (Art 15).") % {"year": cycle.year}
    count = 0
    with transaction.atomic(), acting_as(actor):
        for submission in non_submitters(cycle).select_for_update(of=("self",)):
            submission_set_status(submission=submission,
                                  to_status=SubmissionStatus.NOT_PARTICIPATING)
            if submission.institution.status == FilingStatus.ACTIVE:
                institution_change_status(institution=submission.institution,
                                          to_status=FilingStatus.ABANDONED, reason=reason,
                                          actor=actor)
            count += 1
        cycle_stage_close(cycle=cycle, actor=actor)
    return count
