"""What the district finds beyond the report (Art 9, 10): site visits, rectification notices
and answers, fraud reports and the city's decision on them with its credit records (R8).

``rectification_set_status`` and ``fraud_report_set_status`` are the only writers of the
two status fields; their moves are the tables below.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institutions.audit import acting_as
from institutions.enums import INSTITUTION_ROLES, Role
from institutions.exceptions import DomainError
from institutions.models import User
from institutions.notifications import notify
from institutions.transitions import status_set

from ..enums import (
    AnswerDecision,
    CycleStatus,
    EvidenceType,
    FraudKind,
    FraudStatus,
    RectificationStatus,
)
from ..models import (
    CreditRecord,
    Cycle,
    FraudEvidenceFile,
    FraudReport,
    Participant,
    Rectification,
    RectificationAnswer,
    RectificationFile,
    SiteVisit,
    SiteVisitFile,
)
from ..models.files import Attachment
from ..selectors.reverification import stage_open as reverification_stage_open
from .form_tokens import made_with_token
from .preliminary import require_editable
from .uploads import check_upload, store_file

RECTIFICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    RectificationStatus.OPEN: frozenset({RectificationStatus.ANSWERED}),
    RectificationStatus.ANSWERED: frozenset({RectificationStatus.OPEN,
                                             RectificationStatus.CLOSED}),
    RectificationStatus.CLOSED: frozenset(),
}

FRAUD_TRANSITIONS: dict[str, frozenset[str]] = {
    FraudStatus.REPORTED: frozenset({FraudStatus.CONFIRMED, FraudStatus.DISMISSED}),
    FraudStatus.CONFIRMED: frozenset(),
    FraudStatus.DISMISSED: frozenset(),
}

ATTACHMENT_TYPES = list(EvidenceType.values)


def _required(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message)
    return value


def attach_files(model: type[Attachment], uploads: Iterable[UploadedFile], actor: User,
                 **parent) -> list[Attachment]:
    """Store the uploaded files of one record (a visit, an answer, a fraud report; of any
    stage), each checked by content and size (all are checked before any is stored)."""
    checked = [(upload, check_upload(upload, accepted=ATTACHMENT_TYPES,
                                     max_bytes=settings.EVIDENCE_MAX_FILE_BYTES))
               for upload in uploads]
    stored = []
    for upload, info in checked:
        row = model(original_name=info.name, kind=info.kind, size=info.size,
                    sha256=info.sha256, uploaded_by=actor, **parent)
        store_file(row, "file", info.name, upload)
        stored.append(row)
    return stored


def _institution_users(participant: Participant):
    return User.objects.filter(institution_id=participant.institution_id,
                               role__in=INSTITUTION_ROLES, is_active=True)


def _district_users(participant: Participant):
    return User.objects.filter(role=Role.DISTRICT_REVIEWER, is_active=True,
                               district_id=participant.district_review.district_id)


# --- Site visits --------------------------------------------------------------------------

def site_visit_record(*, participant: Participant, visited_on: dt.date, visitors: str,
                      findings: str, uploads: Iterable[UploadedFile] = (),
                      actor: User, form_token: str | None = None) -> SiteVisit:
    """Record a site visit (实地考察) with its photos or documents. A second post of the same
    form (``form_token``) returns the visit the first one recorded."""
    visitors = _required(visitors, _("Say who went on the visit."))
    findings = _required(findings, _("Write down what the visit found."))
    if visited_on > timezone.localdate():
        raise DomainError(_("A visit cannot be recorded before it takes place."))
    with transaction.atomic(), acting_as(actor):
        require_editable(participant.district_review)
        earlier = made_with_token(SiteVisit, form_token, participant_id=participant.pk)
        if earlier is not None:
            return earlier
        visit = SiteVisit(participant=participant, visited_on=visited_on, visitors=visitors,
                          findings=findings, recorded_by=actor, form_token=form_token)
        visit.full_clean()
        visit.save()
        attach_files(SiteVisitFile, uploads, actor, visit=visit)
    return visit


# --- Rectification (整改) -----------------------------------------------------------------

def rectification_set_status(*, rectification: Rectification, to_status: str) -> None:
    """The one writer of ``Rectification.status``; the caller holds the row lock."""
    rectification.closed_at = timezone.now() if to_status == RectificationStatus.CLOSED \
        else None
    status_set(rectification, to_status, transitions=RECTIFICATION_TRANSITIONS,
               refusal=_("A rectification notice cannot go from “%(from)s” to “%(to)s”."),
               update_fields=["closed_at"])


def rectification_issue(*, participant: Participant, problems: str, deadline: dt.date,
                        actor: User, form_token: str | None = None) -> Rectification:
    """Ask the institution to rectify ``problems`` by ``deadline``; it is notified. A second
    post of the same form (``form_token``) returns the first notice and notifies no one."""
    problems = _required(problems, _("List the problems to rectify."))
    if deadline < timezone.localdate():
        raise DomainError(_("The deadline cannot be in the past."))
    with transaction.atomic(), acting_as(actor):
        require_editable(participant.district_review)
        earlier = made_with_token(Rectification, form_token, participant_id=participant.pk)
        if earlier is not None:
            return earlier
        notice = Rectification(participant=participant, problems=problems, deadline=deadline,
                               issued_by=actor, form_token=form_token)
        notice.full_clean()
        notice.save()
        subject = _("Rectification notice: answer by %(date)s") % {"date": deadline}
        url = reverse("evaluations:rectification_detail", args=[notice.pk])
        users = _institution_users(participant)
        notify(users=users, subject=subject, body=problems, url=url)
    return notice


def _lock_notice(rectification: Rectification) -> Rectification:
    return Rectification.objects.select_for_update(of=("self",)).select_related(
        "participant__cycle", "participant__district_review").get(pk=rectification.pk)


def rectification_answer_problem(rectification: Rectification) -> str:
    """Why the institution cannot answer the notice now ("" when it can)."""
    if rectification.participant.cycle.status != CycleStatus.PRELIMINARY_REVIEW:
        return _("The preliminary review is over.")
    if rectification.status == RectificationStatus.ANSWERED:
        return _("Your answer is with the district science bureau.")
    if rectification.status == RectificationStatus.CLOSED:
        return _("The district science bureau accepted the rectification.")
    if timezone.localdate() > rectification.deadline:
        return _("The deadline (%(date)s) has passed; contact the district science bureau.") \
            % {"date": rectification.deadline.isoformat()}
    return ""


def rectification_answer(*, rectification: Rectification, text: str,
                         uploads: Iterable[UploadedFile] = (), actor: User,
                         form_token: str | None = None) -> RectificationAnswer:
    """The institution answers a rectification notice, with files, before its deadline; the
    district is notified. A second post of the same form (``form_token``) returns the first
    answer instead of being told the answer is already with the district."""
    text = _required(text, _("Write the answer."))
    with transaction.atomic(), acting_as(actor):
        locked = _lock_notice(rectification)
        earlier = made_with_token(RectificationAnswer, form_token, rectification_id=locked.pk)
        if earlier is not None:
            rectification.status = locked.status
            return earlier
        problem = rectification_answer_problem(locked)
        if problem:
            raise DomainError(problem)
        answer = RectificationAnswer(rectification=locked, text=text, answered_by=actor,
                                     form_token=form_token)
        answer.full_clean()
        answer.save()
        attach_files(RectificationFile, uploads, actor, answer=answer)
        rectification_set_status(rectification=locked,
                                 to_status=RectificationStatus.ANSWERED)
        subject = _("%(name)s answered a rectification notice") % {
            "name": locked.participant.institution.name}
        url = reverse("evaluations:rectification_detail", args=[locked.pk])
        users = _district_users(locked.participant)
        notify(users=users, subject=subject, body=text, url=url)
    rectification.status = locked.status
    return answer


def rectification_decide(*, answer: RectificationAnswer, accepted: bool, comment: str,
                         actor: User, new_deadline: dt.date | None = None
                         ) -> RectificationAnswer:
    """The reviewer accepts the answer (the notice is closed) or not (it is open again, with
    the comment saying what is still missing, and ``new_deadline`` if given — required when
    the old one has passed, or the institution could not answer again); the institution is
    notified."""
    comment = (comment or "").strip()
    if not accepted and not comment:
        raise DomainError(_("Say what is still missing."))
    if new_deadline is not None and new_deadline < timezone.localdate():
        raise DomainError(_("The deadline cannot be in the past."))
    with transaction.atomic(), acting_as(actor):
        locked = _lock_notice(answer.rectification)
        require_editable(locked.participant.district_review)
        answer = RectificationAnswer.objects.select_for_update().get(pk=answer.pk)
        if answer.decision != AnswerDecision.PENDING or \
                locked.status != RectificationStatus.ANSWERED:
            raise DomainError(_("This answer has already been decided."))
        answer.decision = AnswerDecision.ACCEPTED if accepted else AnswerDecision.NOT_ACCEPTED
        answer.decision_comment = comment
        answer.decided_by, answer.decided_at = actor, timezone.now()
        answer.save(update_fields=["decision", "decision_comment", "decided_by",
                                   "decided_at"])
        if not accepted:
            if new_deadline is not None:
                locked.deadline = new_deadline
                locked.save(update_fields=["deadline"])
            elif locked.deadline < timezone.localdate():
                raise DomainError(_("The deadline (%(date)s) has passed: give a new deadline "
                                    "for the institution's next answer.")
                                  % {"date": locked.deadline})
        rectification_set_status(rectification=locked, to_status=RectificationStatus.CLOSED
                                 if accepted else RectificationStatus.OPEN)
        subject = (_("Your rectification was accepted") if accepted else
                   _("Your rectification was not accepted: please answer again by %(date)s")
                   % {"date": locked.deadline})
        url = reverse("evaluations:rectification_detail", args=[locked.pk])
        users = _institution_users(locked.participant)
        notify(users=users, subject=subject, body=comment, url=url)
    return answer


# --- Fraud (R8) ---------------------------------------------------------------------------

def fraud_report_set_status(*, report: FraudReport, to_status: str) -> None:
    """The one writer of ``FraudReport.status``; the caller holds the row lock."""
    status_set(report, to_status, transitions=FRAUD_TRANSITIONS,
               refusal=_("This fraud report has already been decided."))


class FraudStage(NamedTuple):
    """A stage in which fraud can be reported (R8): whether it takes a report now, and the
    refusal when it does not."""

    is_open: Callable[[Cycle], bool]
    refusal: str


def _panel_review_open(cycle: Cycle) -> bool:
    # As the panel review's own writes: its results are fixed once it closes (R6).
    stage = cycle.stage_of(CycleStatus.PANEL_REVIEW)
    return cycle.status == CycleStatus.PANEL_REVIEW and not (stage and stage.is_closed)


# R8 (Art 9): fraud found at any stage makes the institution 不合格. A report is filed in the
# preliminary review while the cycle is in it (the district may report after its summary was
# accepted), in the panel review and the re-verification until the stage closes.
FRAUD_REPORT_STAGES: dict[str, FraudStage] = {
    CycleStatus.PRELIMINARY_REVIEW: FraudStage(
        lambda cycle: cycle.status == CycleStatus.PRELIMINARY_REVIEW,
        gettext_lazy("The preliminary review is not open.")),
    CycleStatus.PANEL_REVIEW: FraudStage(
        _panel_review_open, gettext_lazy("The panel review is not open.")),
    CycleStatus.REVERIFICATION: FraudStage(
        reverification_stage_open, gettext_lazy("The re-verification is not open.")),
}


def fraud_report_problem(cycle: Cycle, stage: str | None = None,
                         participant: Participant | None = None) -> str:
    """Why no fraud report can be filed on a participant of ``cycle`` now ("" when one can):
    the cycle is in none of ``FRAUD_REPORT_STAGES`` or its stage is closed, or
    ``participant``'s fraud is confirmed already. ``stage``: the stage the report is filed
    from (its page), which must be the cycle's still."""
    if participant is not None and participant.fraud_confirmed_at is not None:
        return _("A fraud finding against this institution is already confirmed.")
    if stage is not None and cycle.status != stage:
        return str(FRAUD_REPORT_STAGES[stage].refusal)
    found = FRAUD_REPORT_STAGES.get(cycle.status)
    if found is None:
        return _("Fraud is reported during the preliminary review, the panel review or the "
                 "on-site re-verification.")
    return "" if found.is_open(cycle) else str(found.refusal)


def fraud_report_file(*, participant: Participant, kind: str, description: str,
                      uploads: Iterable[UploadedFile] = (), actor: User,
                      form_token: str | None = None, stage: str | None = None
                      ) -> FraudReport:
    """Report 虚报 or 虚构 (R8) with its evidence, in the preliminary review, the panel review
    or the re-verification while that stage is open (``fraud_report_problem``); the city
    decides (``fraud_report_decide``): confirmed, the institution is 不合格 wherever it
    stands, its place on any list is empty (alternates apply) and a credit record is made.
    Who may report in which stage is ``rules.can_report_fraud``'s (the views check it).
    ``stage``: the stage of the page the report comes from; a page posted after the cycle
    moved on is refused instead of filing the report in the next stage.

    The cycle is locked first (FOR UPDATE, as the stages' other writes and their close do):
    the report cannot slip in while the stage closes. The city administrators other than
    the one reporting are notified. A second post of the same form (``form_token``) returns
    the first report and notifies no one."""
    if kind not in FraudKind.values:
        raise DomainError(_("Choose overstated or fabricated."))
    description = _required(description, _("Describe what was found."))
    with transaction.atomic(), acting_as(actor):
        cycle = Cycle.objects.select_for_update(of=("self",)).get(pk=participant.cycle_id)
        locked = Participant.objects.select_for_update(of=("self",)).select_related(
            "institution").get(pk=participant.pk)
        locked.cycle = cycle
        earlier = made_with_token(FraudReport, form_token, participant_id=locked.pk)
        if earlier is not None:
            return earlier
        problem = fraud_report_problem(cycle, stage, locked)
        if problem:
            raise DomainError(problem)
        report = FraudReport(participant=locked, kind=kind, description=description,
                             reported_by=actor, form_token=form_token)
        report.full_clean()
        report.save()
        attach_files(FraudEvidenceFile, uploads, actor, report=report)
        subject = _("Fraud report on %(name)s awaits your decision") % {
            "name": locked.institution.name}
        url = reverse("evaluations:fraud_detail", args=[report.pk])
        admins = User.objects.filter(role=Role.CITY_ADMIN, is_active=True).exclude(pk=actor.pk)
        notify(users=admins, subject=subject, body=description, url=url)
    return report


def fraud_report_decide(*, report: FraudReport, confirm: bool, reason: str, actor: User,
                        person_name: str = "", person_role: str = "") -> FraudReport:
    """The city confirms or dismisses a fraud report (R8). Confirmed: the institution is
    不合格 for the cycle whatever else happens, and a credit record (信用记录) is made against
    it and the responsible person. The district and the institution are notified."""
    reason = _required(reason, _("Give the reason for the decision."))
    if confirm:
        person_name = _required(person_name, _("Name the responsible person."))
        person_role = _required(person_role, _("Give the responsible person's role."))
    with transaction.atomic(), acting_as(actor):
        locked = FraudReport.objects.select_for_update(of=("self",)).select_related(
            "participant__cycle", "participant__district_review",
            "participant__institution").get(pk=report.pk)
        if locked.participant.cycle.status == CycleStatus.FINAL:
            raise DomainError(_("The results of this cycle are final."))
        fraud_report_set_status(report=locked, to_status=FraudStatus.CONFIRMED if confirm
                                else FraudStatus.DISMISSED)
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.decision_reason = reason
        locked.save(update_fields=["decided_by", "decided_at", "decision_reason"])
        participant = locked.participant
        if confirm:
            # Two reports on one institution confirmed at once: the first confirmation counts.
            held = Participant.objects.select_for_update().get(pk=participant.pk)
            if held.fraud_confirmed_at is None:
                held.fraud_confirmed_at = participant.fraud_confirmed_at = locked.decided_at
                held.save(update_fields=["fraud_confirmed_at"])
            with translation.override(settings.LANGUAGE_CODE):  # a record, not a page
                kind = str(FraudKind(locked.kind).label)
            record = CreditRecord(
                institution=participant.institution, cycle=participant.cycle,
                fraud_report=locked, person_name=person_name, person_role=person_role,
                finding=f"{kind}: {locked.description}", recorded_on=timezone.localdate(),
                recorded_by=actor)
            record.full_clean()
            record.save()
            subject = _("Fraud confirmed: %(name)s is unqualified in the %(year)s evaluation") \
                % {"name": participant.institution.name, "year": participant.cycle.year}
        else:
            subject = _("Fraud report on %(name)s dismissed") % {
                "name": participant.institution.name}
        users = list(_district_users(participant))
        if confirm:
            users += list(_institution_users(participant))
        notify(users=users, subject=subject, body=reason)
    report.status = locked.status
    return locked
