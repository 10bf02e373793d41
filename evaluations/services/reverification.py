"""Every write of stage 4, the re-verification (Art 12, R7, R8): opening it with the list the
panel review fixed, the alternates the city allows, each institution's planned visit, its
visits and its verdict (changed only with a reason), and the spot check of group B, drawn
once. Fraud found on site is reported as in every stage (``findings.fraud_report_file``); a
confirmed finding empties the place, and the alternates follow at the stage's next write.

The rules are ``scoring``'s: who joins when a place empties is ``settle_group_a``'s answer
(``selectors.reverification.settle_a``), the sample is ``spot_check_draw``'s, S is
``city_quotas``'. Every write of a cycle's stage locks its ``Reverification`` row first, so
two administrators' saves run one after the other (on SQLite the IMMEDIATE transaction does
the same) and each sees the alternates the other's verdict called in."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

import scoring
from institutions.audit import acting_as
from institutions.audit.registry import bulk_created_record
from institutions.enums import INSTITUTION_ROLES
from institutions.exceptions import DomainError
from institutions.models import User
from institutions.notifications import notify

from ..enums import CycleStatus, PreliminaryGroup, SiteVerdict, VerificationKind
from ..models import (
    Cycle,
    PanelResult,
    PanelResultKind,
    Participant,
    Reverification,
    SiteVisit,
    SiteVisitFile,
    SpotCheckDraw,
    VerdictChange,
    Verification,
)
from ..selectors.reverification import (
    Board,
    candidates_digest,
    reverification_board,
    stage_open,
)
from .findings import attach_files
from .form_tokens import made_with_token

SPOT_CHECK_VERDICTS = (SiteVerdict.CONFIRMED, SiteVerdict.POOR)


class VerificationConflict(DomainError):
    """The verification was saved elsewhere (another window, another administrator) since
    the page was loaded: nothing is written (the view answers 409)."""


# --- Opening the stage ---------------------------------------------------------------------------

def reverification_open(*, cycle: Cycle) -> Reverification:
    """Open the re-verification of ``cycle`` (the cycle's move from the panel review, R6, R7):
    its settings row (no alternates allowed until the city says so) and one verification per
    institution the panel review put on the re-verification list, in panel order. Runs inside
    ``cycle_transition``'s transaction and actor; a cycle with no panel results (none were
    fixed) opens with an empty list."""
    reverification, created = Reverification.objects.get_or_create(cycle=cycle)
    if created:
        listed = (PanelResult.objects.filter(outcome__cycle=cycle,
                                             result=PanelResultKind.REVERIFY)
                  .order_by("rank").values_list("participant_id", flat=True))
        bulk_created_record(Verification.objects.bulk_create([
            Verification(participant_id=pk, kind=VerificationKind.LISTED) for pk in listed]))
    return reverification


# --- Locks and the alternates ------------------------------------------------------------------

def _locked(cycle: Cycle) -> tuple[Cycle, Reverification]:
    """The cycle and its stage row, locked (FOR UPDATE: the stage's writes run one at a time,
    each seeing the alternates the one before called in, and none while the cycle moves on).
    Refuses outside the running re-verification."""
    locked = (Cycle.objects.select_for_update(of=("self",)).select_related("policy_version")
              .get(pk=cycle.pk))
    if not stage_open(locked):
        raise DomainError(_("The re-verification is not open."))
    reverification = Reverification.objects.select_for_update().filter(cycle=locked).first()
    if reverification is None:
        raise DomainError(_("The re-verification is not open."))
    return locked, reverification


def _alternates_join(cycle: Cycle) -> None:
    """Give each alternate that joins the list now (``settle_group_a`` over the verdicts so
    far, R7) its own verification, in panel order; the caller holds the stage's lock. An
    alternate that no longer joins (a verdict changed back) keeps its row and its record."""
    board = reverification_board(cycle)
    missing = [board.by_key[key].participant.pk for key in board.settlement.joined
               if board.by_key[key].verification is None]
    bulk_created_record(Verification.objects.bulk_create([
        Verification(participant_id=pk, kind=VerificationKind.ALTERNATE) for pk in missing]))


def _takes_place(verdict: str) -> bool:
    """Whether a member of group A with ``verdict`` holds its place on the list (R7); a
    verdict still to come holds it, as ``selectors.reverification.Settlement`` counts it."""
    return (verdict or SiteVerdict.CONFIRMED) == SiteVerdict.CONFIRMED


def _verification(cycle: Cycle, participant: Participant) -> Verification:
    """The verification of ``participant`` (an alternate's made now if it joins), locked;
    refuses an institution that is not verified in this stage."""
    if participant.cycle_id != cycle.pk:
        raise DomainError(_("This institution is not verified on site in this cycle."))
    _alternates_join(cycle)
    verification = (Verification.objects.select_for_update(of=("self",))
                    .select_related("participant__institution", "participant__cycle")
                    .filter(participant=participant).first())
    if verification is None:
        raise DomainError(_("This institution is not verified on site in this cycle."))
    return verification


def _check_revision(verification: Verification, revision: int) -> None:
    if verification.revision != revision:
        raise VerificationConflict(_(
            "The verification of %(name)s was changed in another window after you opened "
            "this page. Your change was not saved; reload the page to see it.")
            % {"name": verification.participant.institution.name})


def reverification_alternates_set(*, cycle: Cycle, allowed: int, reason: str,
                                  actor: User) -> Reverification:
    """Set how many alternates may join the list when places empty (R7), with the reason;
    0 allows none. At most the members of group A beyond the list. The alternates that join
    now get their verification."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the number of alternates allowed."))
    if allowed < 0:
        raise DomainError(_("The number of alternates cannot be negative."))
    with transaction.atomic(), acting_as(actor):
        locked, reverification = _locked(cycle)
        results = PanelResult.objects.filter(outcome__cycle=locked,
                                             participant__group=PreliminaryGroup.A)
        beyond = results.exclude(result=PanelResultKind.REVERIFY).count()
        if allowed > beyond:
            raise DomainError(_("Group A (good) has only %(count)s members beyond the "
                                "re-verification list: at most %(count)s alternates can "
                                "join.") % {"count": beyond})
        reverification.alternates_allowed, reverification.alternates_reason = allowed, reason
        reverification.full_clean()
        reverification.save(update_fields=["alternates_allowed", "alternates_reason"])
        _alternates_join(locked)
    return reverification


# --- The visit: planned, then recorded ----------------------------------------------------------

def verification_plan(*, participant: Participant, planned_on: dt.date, to_prepare: str,
                      revision: int, actor: User) -> Verification:
    """Plan the visit to ``participant`` (its date, what to prepare), which the institution
    sees with nothing of the verdict; its accounts are notified. ``revision`` is the one the
    page was loaded with: a stale page raises ``VerificationConflict``."""
    to_prepare = (to_prepare or "").strip()
    if planned_on < timezone.localdate():
        raise DomainError(_("The planned date cannot be in the past."))
    with transaction.atomic(), acting_as(actor):
        locked, _reverification = _locked(participant.cycle)
        verification = _verification(locked, participant)
        _check_revision(verification, revision)
        verification.planned_on, verification.to_prepare = planned_on, to_prepare
        verification.revision += 1
        verification.full_clean()
        verification.save(update_fields=["planned_on", "to_prepare", "revision"])
        users = User.objects.filter(institution_id=participant.institution_id,
                                    role__in=INSTITUTION_ROLES, is_active=True)
        notify(users=users,
               subject=_("On-site re-verification planned on %(date)s")
               % {"date": planned_on.isoformat()},
               body=to_prepare,
               url=reverse("evaluations:my_planned_visit", args=[locked.year]))
    return verification


def verification_visit_record(*, participant: Participant, visited_on: dt.date,
                              visitors: str, findings: str,
                              uploads: Iterable[UploadedFile] = (), actor: User,
                              form_token: str | None = None) -> SiteVisit:
    """Record a visit of the re-verification (a ``SiteVisit`` of this stage) with its photos
    and documents, checked as the preliminary review's are. A second post of the same form
    (``form_token``) returns the visit the first one recorded."""
    visitors = (visitors or "").strip()
    findings = (findings or "").strip()
    if not visitors:
        raise DomainError(_("Say who went on the visit."))
    if not findings:
        raise DomainError(_("Write down what the visit found."))
    if visited_on > timezone.localdate():
        raise DomainError(_("A visit cannot be recorded before it takes place."))
    with transaction.atomic(), acting_as(actor):
        locked, _reverification = _locked(participant.cycle)
        earlier = made_with_token(SiteVisit, form_token, participant_id=participant.pk)
        if earlier is not None:
            return earlier
        _verification(locked, participant)
        visit = SiteVisit(participant=participant, stage=CycleStatus.REVERIFICATION,
                          visited_on=visited_on, visitors=visitors, findings=findings,
                          recorded_by=actor, form_token=form_token)
        visit.full_clean()
        visit.save()
        attach_files(SiteVisitFile, uploads, actor, visit=visit)
    return visit


# --- The verdict ---------------------------------------------------------------------------------

def _check_verdict(verification: Verification, verdict: str) -> None:
    allowed = (SPOT_CHECK_VERDICTS if verification.kind == VerificationKind.SPOT_CHECK
               else SiteVerdict.values)
    if verdict not in allowed:
        if verification.kind == VerificationKind.SPOT_CHECK:
            raise DomainError(_("A spot check's verdict is confirmed or operating poorly."))
        raise DomainError(_("Choose confirmed, not confirmed or operating poorly."))
    if verification.participant.fraud_confirmed_at is not None:
        raise DomainError(_("A fraud finding against this institution is confirmed: it is "
                            "unqualified whatever the on-site verdict."))


def _decide(cycle: Cycle, verification: Verification, verdict: str, reason: str,
            actor: User) -> None:
    """Write ``verdict`` and its ``reason`` on the locked ``verification`` (a revision more),
    then let the alternates the verdicts now call for join the list.

    ``_verification`` read the board before this verdict and gave every alternate it called
    in a verification. Who joins changes only when this verdict moves a member of group A in
    or out of its place (a spot check's verdict is group B's; confirmed keeps the place a
    pending verdict held; not confirmed and poor both leave it): only then is the board read
    a second time, with the new verdict."""
    moves = (verification.kind != VerificationKind.SPOT_CHECK
             and _takes_place(verification.verdict) != _takes_place(verdict))
    verification.verdict, verification.reason = verdict, reason
    verification.decided_by, verification.decided_at = actor, timezone.now()
    verification.revision += 1
    verification.full_clean()
    verification.save(update_fields=["verdict", "reason", "decided_by", "decided_at",
                                     "revision"])
    if moves:
        _alternates_join(cycle)


def verification_verdict_record(*, participant: Participant, verdict: str, reason: str,
                                revision: int, actor: User) -> Verification:
    """Record the on-site verdict of ``participant`` with its reason (R7): ``confirmed``,
    ``not_confirmed`` (→ 合格) or ``poor`` (→ 不合格); a spot check's is ``confirmed`` or
    ``poor``. Once recorded, a verdict changes only through ``verification_verdict_change``.
    A place left empty calls in the next alternate if the city allows one. A stale page
    (``revision``) raises ``VerificationConflict``."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the verdict."))
    with transaction.atomic(), acting_as(actor):
        locked, _reverification = _locked(participant.cycle)
        verification = _verification(locked, participant)
        _check_revision(verification, revision)
        if verification.verdict:
            raise DomainError(_("The verdict is recorded already: change it with a reason."))
        _check_verdict(verification, verdict)
        _decide(locked, verification, verdict, reason, actor)
    return verification


def verification_verdict_change(*, participant: Participant, verdict: str, reason: str,
                                revision: int, actor: User) -> VerdictChange:
    """Change a recorded verdict (R7), only with a reason: the change is kept (from, to,
    why, who, when) and the reason becomes the verdict's. The alternates follow the new
    verdict (one called in keeps its record if it no longer joins). A stale page
    (``revision``) raises ``VerificationConflict``."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for changing the verdict."))
    with transaction.atomic(), acting_as(actor):
        locked, _reverification = _locked(participant.cycle)
        verification = _verification(locked, participant)
        _check_revision(verification, revision)
        if not verification.verdict:
            raise DomainError(_("No verdict is recorded yet."))
        _check_verdict(verification, verdict)
        if verdict == verification.verdict:
            raise DomainError(_("The verdict is already “%(verdict)s”.")
                              % {"verdict": SiteVerdict(verdict).label})
        change = VerdictChange(verification=verification, before=verification.verdict,
                               after=verdict, reason=reason, changed_by=actor)
        change.full_clean()
        change.save()
        _decide(locked, verification, verdict, reason, actor)
    return change


# --- The spot check of group B (R7) ------------------------------------------------------------

def spot_check_draw(*, cycle: Cycle, actor: User, seed: str = "") -> SpotCheckDraw:
    """Draw the spot check of group B (R7) and record it: every member of B is a candidate,
    by credit code in ascending order; S = ``city_quotas(N, b_size=|B|).S``; the sample is
    ``random.Random(seed).sample(candidates, S)`` (``scoring.spot_check_draw``), the seed
    typed in beforehand or drawn from ``secrets`` now (``scoring.new_seed``). The record keeps
    who, when, the seed, the candidates and their digest; each institution drawn gets its
    verification. Once only: a second draw is refused."""
    seed = (seed or "").strip()
    with transaction.atomic(), acting_as(actor):
        locked, _reverification = _locked(cycle)
        if SpotCheckDraw.objects.filter(cycle=locked).exists():
            raise DomainError(_("The spot check has been drawn; the draw cannot be redone."))
        members = {p.institution.credit_code: p for p in Participant.objects.filter(
            cycle=locked, group=PreliminaryGroup.B).select_related("institution")}
        candidates = sorted(members)
        params = locked.policy_version.as_params()
        size = scoring.city_quotas(locked.participants.count(), params,
                                   b_size=len(candidates)).S
        if size == 0:
            # Group B empty, or a policy with no spot check: nothing to draw, and the results
            # need no draw (results_compute asks for one only when S > 0).
            raise DomainError(_("No institution is to be drawn for the spot check: group B "
                                "(qualified) has %(count)s members and the policy draws none "
                                "of them.") % {"count": len(candidates)})
        used = seed or scoring.new_seed()
        sample = scoring.spot_check_draw(candidates, size, used)
        draw = SpotCheckDraw(cycle=locked, size=size, seed=used, seed_entered=bool(seed),
                             candidates=candidates, digest=candidates_digest(candidates),
                             sample=list(sample), drawn_by=actor)
        draw.full_clean()
        draw.save()
        bulk_created_record(Verification.objects.bulk_create([
            Verification(participant=members[code], kind=VerificationKind.SPOT_CHECK)
            for code in sample]))
    return draw


def reverification_open_problems(cycle: Cycle, board: Board | None = None) -> list[str]:
    """What the re-verification still lacks before the results can be computed (none: it
    has everything): verdicts not recorded on the list, of the alternates that joined or of
    the spot check, a spot check not drawn, a tie the rules cannot settle. ``board``: the
    stage's figures, when the caller has them."""
    board = board or reverification_board(cycle)
    problems = []
    if board.settlement.tie is not None:
        problems.append(_("Institutions of group A (good) with equal panel scores straddle a "
                          "line that decides the list or a tier."))
    if board.spot is None and board.quotas.S:
        problems.append(_("The spot check of group B (qualified) has not been drawn."))
    if board.pending:
        problems.append(ngettext("%(count)s on-site verdict is still to be recorded.",
                                 "%(count)s on-site verdicts are still to be recorded.",
                                 board.pending) % {"count": board.pending})
    return problems

