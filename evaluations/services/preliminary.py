"""Stage 2, the district's preliminary review (Art 10; R3, R4): opening the stage, reviewing
claims, ranking, the district's summary and its stamped scan, submitting it, the city's
decision, and closing the stage.

``district_review_set_status`` is the one writer of ``DistrictReview.status``; its moves are
the table ``DISTRICT_REVIEW_TRANSITIONS``.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from institutions.audit import acting_as
from institutions.audit.registry import bulk_created_record
from institutions.enums import Role
from institutions.exceptions import DomainError
from institutions.models import User
from institutions.notifications import notify
from institutions.transitions import status_set
from scoring import (
    Claim,
    RankingError,
    claim_reviewed,
    district_groups,
    preliminary_score,
    rank_groups,
    ranking_problems,
)

from ..enums import (
    ClaimVerdict,
    CycleStatus,
    DistrictReviewStatus,
    ReportStatus,
    SubmissionStatus,
)
from ..models import (
    ClaimReview,
    Cycle,
    DistrictReview,
    DistrictSummaryFile,
    Indicator,
    Participant,
    RankingRevision,
)
from ..selectors.preliminary import district_summary
from .form_tokens import made_with_token
from .stages import cycle_stage_close
from .uploads import check_scan, scan_attach

DISTRICT_REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    DistrictReviewStatus.NOT_STARTED: frozenset({DistrictReviewStatus.IN_REVIEW}),
    DistrictReviewStatus.IN_REVIEW: frozenset({DistrictReviewStatus.SUBMITTED}),
    DistrictReviewStatus.SUBMITTED: frozenset({DistrictReviewStatus.RETURNED,
                                               DistrictReviewStatus.ACCEPTED}),
    DistrictReviewStatus.RETURNED: frozenset({DistrictReviewStatus.SUBMITTED}),
    DistrictReviewStatus.ACCEPTED: frozenset(),
}


class ReviewConflict(DomainError):
    """Another reviewer saved the same thing since this page was loaded: the save is refused
    and the message says what changed and by whom."""


def district_review_set_status(*, district_review: DistrictReview, to_status: str) -> None:
    """The one writer of ``DistrictReview.status``; the caller holds the row lock."""
    status_set(district_review, to_status, transitions=DISTRICT_REVIEW_TRANSITIONS,
               refusal=_("A district review cannot go from “%(from)s” to “%(to)s”."))


# --- Opening ------------------------------------------------------------------------------

def preliminary_review_open(*, cycle: Cycle, actor: User | None) -> int:
    """Open the districts' preliminary review (the effect of the cycle's move to it): one
    district review for every district with participants, one participant row for every
    submitted self-evaluation (R2), and a notice to the district reviewers. Returns the
    number of participants."""
    submissions = list(cycle.submissions.filter(status=SubmissionStatus.SUBMITTED)
                       .select_related("institution").order_by("district_id", "pk"))
    district_ids = sorted({s.district_id for s in submissions})
    existing = {dr.district_id: dr for dr in cycle.district_reviews.all()}
    bulk_created_record(DistrictReview.objects.bulk_create(
        [DistrictReview(cycle=cycle, district_id=d) for d in district_ids if d not in existing]))
    reviews = {dr.district_id: dr for dr in cycle.district_reviews.all()}
    bulk_created_record(Participant.objects.bulk_create([
        Participant(cycle=cycle, submission=s, institution_id=s.institution_id,
                    district_review=reviews[s.district_id])
        for s in submissions], batch_size=1000))
    reviewers = User.objects.filter(role=Role.DISTRICT_REVIEWER, district_id__in=district_ids,
                                    is_active=True)
    subject = _("%(year)s performance evaluation: the preliminary review is open") % {
        "year": cycle.year}
    body = _("Self-evaluation has closed. Review your district's reports, visit the "
             "institutions, rank them and submit the stamped summary to the city bureau.")
    notify(users=reviewers, subject=subject, body=body,
           url=reverse("evaluations:review_home"))
    return len(submissions)


# --- Reviewing claims (R3) ----------------------------------------------------------------

def district_review_editable_problem(district_review: DistrictReview) -> str:
    """Why the district cannot change its review now ("" when it can)."""
    if district_review.cycle.status != CycleStatus.PRELIMINARY_REVIEW:
        return _("The preliminary review is not open.")
    if district_review.status == DistrictReviewStatus.SUBMITTED:
        return _("The district's summary is submitted; it can change only if the city "
                 "returns it.")
    if district_review.status == DistrictReviewStatus.ACCEPTED:
        return _("The city has accepted the district's summary; it can no longer change.")
    return ""


def _lock_review(district_review: DistrictReview) -> DistrictReview:
    locked = DistrictReview.objects.select_for_update().get(pk=district_review.pk)
    locked.cycle = Cycle.objects.get(pk=locked.cycle_id)
    return locked


def require_editable(district_review: DistrictReview) -> DistrictReview:
    """Lock the district review and refuse if it cannot change; the caller is atomic. The
    first change of a district's review puts it "in review"."""
    locked = _lock_review(district_review)
    problem = district_review_editable_problem(locked)
    if problem:
        raise DomainError(problem)
    if locked.status == DistrictReviewStatus.NOT_STARTED:
        district_review_set_status(district_review=locked,
                                   to_status=DistrictReviewStatus.IN_REVIEW)
    return locked


def parse_points(raw, points: Decimal) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        score = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise DomainError(_("The score must be a number.")) from exc
    if not score.is_finite() or not Decimal(0) <= score <= points:
        raise DomainError(_("The score must be between 0 and %(points)s.")
                          % {"points": points.normalize()})
    if score != score.quantize(Decimal("0.01")):
        raise DomainError(_("The score may have at most two decimals."))
    return score.quantize(Decimal("0.01"))


def participant_rescore(participant: Participant) -> None:
    """Recompute the preliminary score (R3: only supported claims count) and how many claims
    are reviewed; a changed score asks again for the order among equal scores (R4)."""
    indicators = Indicator.objects.filter(category__cycle_id=participant.cycle_id) \
        .values_list("pk", "points")
    claims = {c.indicator_id: c for c in participant.claims.all()}
    values = []
    for pk, points in indicators:
        claim = claims.get(pk)
        supported = None if claim is None or not claim.verdict else \
            claim.verdict == ClaimVerdict.SUPPORTED
        values.append(Claim(points=points, supported=supported,
                            score=claim.score if claim else None))
    score = preliminary_score(values).quantize(Decimal("0.01"))
    reviewed = sum(1 for v in values if claim_reviewed(v))
    complete = reviewed == len(values)
    new_score = score if complete else None
    if new_score != participant.score:
        participant.tie_confirmed = False
    participant.score, participant.reviewed = new_score, reviewed
    participant.save(update_fields=["score", "reviewed", "tie_confirmed"])


def claim_review_save(*, participant: Participant, indicator: Indicator, verdict: str,
                      score, comment: str, revision: int, actor: User) -> ClaimReview:
    """Record the reviewer's verdict on one claim (R3): ``supported`` with a score from 0 to
    the indicator's points, or ``not supported`` with a comment (then it scores nothing).
    The participant's preliminary score is the sum of the supported claims once every claim
    is reviewed.

    ``revision`` is the one the page was loaded with: if another reviewer saved this claim
    since, ``ReviewConflict`` is raised and nothing is written.
    """
    if indicator.category.cycle_id != participant.cycle_id:
        raise DomainError(_("This indicator is not part of the cycle."))
    verdict = verdict or ""
    if verdict and verdict not in ClaimVerdict.values:
        raise DomainError(_("Choose supported or not supported."))
    comment = (comment or "").strip()
    if verdict == ClaimVerdict.NOT_SUPPORTED:
        if not comment:
            raise DomainError(_("Say why the claim is not supported."))
        value = None  # R3: a claim not supported is excluded from scoring
    else:
        value = parse_points(score, indicator.points)
    with transaction.atomic(), acting_as(actor):
        require_editable(participant.district_review)
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        # A first verdict is created with its values (one "created" entry in the trail); the
        # participant's lock above serialises two first saves of the same claim.
        claim = ClaimReview.objects.select_for_update().filter(
            participant=locked, indicator=indicator).first() \
            or ClaimReview(participant=locked, indicator=indicator)
        if claim.revision != revision:
            who = claim.updated_by or _("another reviewer")
            raise ReviewConflict(_(
                "%(who)s changed this indicator at %(time)s (now: %(verdict)s, score "
                "%(score)s) after you opened the page. Your change was not saved; reload to "
                "see theirs.") % {
                "who": who, "time": timezone.localtime(claim.updated_at).strftime("%H:%M:%S"),
                "verdict": claim.get_verdict_display() or "—",
                "score": claim.score if claim.score is not None else "—"})
        claim.verdict, claim.score, claim.comment = verdict, value, comment
        claim.revision += 1
        claim.updated_by = actor
        claim.full_clean()
        claim.save()
        participant_rescore(locked)
    participant.score, participant.reviewed = locked.score, locked.reviewed
    return claim


def participant_comment_save(*, participant: Participant, comment: str, actor: User,
                             loaded: str | None = None) -> Participant:
    """The reviewer's overall opinion of a report (printed in the summary).

    ``loaded`` is the opinion as the page showed it: if another reviewer changed it since,
    ``ReviewConflict`` says who and what it reads now, and nothing is written.
    """
    with transaction.atomic(), acting_as(actor):
        require_editable(participant.district_review)
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if loaded is not None and locked.comment != loaded.strip():
            raise ReviewConflict(_(
                "%(who)s changed the opinion at %(time)s after you opened the page; it now "
                "reads: “%(text)s”. Your text was not saved: it is kept below, save again to "
                "replace theirs.") % {
                "who": locked.comment_by or _("another reviewer"),
                "time": timezone.localtime(locked.comment_at).strftime("%H:%M:%S")
                if locked.comment_at else "", "text": locked.comment})
        locked.comment = (comment or "").strip()
        locked.comment_by, locked.comment_at = actor, timezone.now()
        locked.save(update_fields=["comment", "comment_by", "comment_at"])
    participant.comment = locked.comment
    return locked


# --- Ranking (R4) -------------------------------------------------------------------------

def _ranking_changes(before: list[int], after: list[int], names: dict[int, str]) -> str:
    """The moves from ``before`` to ``after`` in words, at most five."""
    old = {pid: k for k, pid in enumerate(before, start=1)}
    moves = [_("%(name)s from %(old)s to %(new)s") % {"name": names.get(pid, pid),
                                                      "old": old.get(pid, "—"), "new": k}
             for k, pid in enumerate(after, start=1) if old.get(pid) != k]
    shown = "; ".join(moves[:5])
    return shown + ("; …" if len(moves) > 5 else "")


def district_ranking_save(*, district_review: DistrictReview, order: list[int],
                          reasons: dict[int, str], tie_confirmed: set[int], revision: int,
                          actor: User) -> RankingRevision:
    """Save the district's ranking (R4): ``order`` is every participant id, best first;
    ``reasons`` the written reason of an institution placed away from score order;
    ``tie_confirmed`` the participants whose order among equal scores the reviewer confirmed.
    Ranks and groups (first a_d A, next b_d B, last c_d C) are written for everyone.

    ``revision`` is the district's ranking revision the page was loaded with: if someone saved
    since, ``ReviewConflict`` says what they changed and nothing is written. An incomplete
    ranking can be saved; ``district_ranking_problems`` says what keeps it from submission.
    """
    with transaction.atomic(), acting_as(actor):
        locked = require_editable(district_review)
        if locked.revision != revision:
            latest = locked.rankings.order_by("-number").select_related("saved_by").first()
            base = locked.rankings.filter(number=revision).first()
            names = dict(locked.participants.values_list("pk", "institution__name"))
            changes = _ranking_changes(base.order if base else [],
                                       latest.order if latest else [], names)
            raise ReviewConflict(_(
                "%(who)s saved the ranking at %(time)s after you opened it (%(changes)s). "
                "Your order was not saved; reload the page to see theirs.") % {
                "who": latest.saved_by if latest else _("another reviewer"),
                "time": timezone.localtime(latest.saved_at).strftime("%H:%M:%S")
                if latest else "", "changes": changes or _("no place changed")})
        participants = {p.pk: p for p in locked.participants.only(
            "pk", "district_review_id", "rank", "rank_reason", "group", "tie_confirmed")}
        if sorted(order) != sorted(participants) or len(set(order)) != len(order):
            raise DomainError(_("The ranking must list every participant of the district "
                                "exactly once; reload the page."))
        groups = rank_groups(order, locked.cycle.policy_version.as_params().district_shares)
        clean_reasons = {pid: (reasons.get(pid) or "").strip() for pid in order}
        # Only the rows whose place, reason, group or confirmation changed are written: a
        # save usually moves a few institutions of a district of up to 2,000.
        changed = []
        for rank, pid in enumerate(order, start=1):
            p = participants[pid]
            new = (rank, clean_reasons[pid], groups[pid].value, pid in tie_confirmed)
            if (p.rank, p.rank_reason, p.group, p.tie_confirmed) != new:
                p.rank, p.rank_reason, p.group, p.tie_confirmed = new
                changed.append(p)
        Participant.objects.bulk_update(changed,
                                        ["rank", "rank_reason", "group", "tie_confirmed"],
                                        batch_size=500)
        locked.revision += 1
        locked.ranking_saved_at, locked.ranking_saved_by = timezone.now(), actor
        locked.save(update_fields=["revision", "ranking_saved_at", "ranking_saved_by"])
        record = RankingRevision.objects.create(
            district_review=locked, number=locked.revision, order=list(order),
            reasons={str(pid): r for pid, r in clean_reasons.items() if r}, saved_by=actor)
    district_review.revision = locked.revision
    district_review.status = locked.status
    return record


def district_ranking_problems(district_review: DistrictReview, *,
                              participants: list[Participant] | None = None) -> list[str]:
    """What keeps the district's ranking from being submitted (R4), in words; empty when it
    can be submitted. ``participants``: the district's participants as saved, with their
    institutions, when the caller has read them already (the ranking page)."""
    if participants is None:
        rows = list(district_review.participants.values_list(
            "pk", "score", "rank", "rank_reason", "tie_confirmed", "group", "institution__name"))
    else:
        rows = [(p.pk, p.score, p.rank, p.rank_reason, p.tie_confirmed, p.group,
                 p.institution.name) for p in participants]
    names = {pid: name for pid, *_rest, name in rows}
    scores = {pid: score for pid, score, *_rest in rows}
    order = [pid for pid, _s, rank, *_rest in sorted(
        (r for r in rows if r[2] is not None), key=lambda r: r[2])]
    found = ranking_problems(
        order, scores, reasons={r[0]: r[3] for r in rows},
        tie_confirmed={r[0]: r[4] for r in rows},
        groups={r[0]: r[5] for r in rows},
        shares=district_review.cycle.policy_version.as_params().district_shares)
    messages = {
        "unscored": lambda n: ngettext("%(count)s report is not fully reviewed: %(names)s.",
                                       "%(count)s reports are not fully reviewed: %(names)s.",
                                       n),
        "unranked": lambda n: ngettext("%(count)s institution has no place in the ranking: "
                                       "%(names)s.",
                                       "%(count)s institutions have no place in the ranking: "
                                       "%(names)s.", n),
        "unexplained": lambda n: _("Places away from the order of the scores need a written "
                                   "reason: %(names)s."),
        "tie": lambda n: _("Equal scores must be ordered explicitly: confirm the order of "
                           "%(names)s."),
        "sizes": lambda n: _("The groups do not have the sizes of Art 10; save the ranking again: "
                             "%(names)s."),
    }
    out = []
    for problem in found:
        shown = "、".join(str(names.get(pid, pid)) for pid in problem.ids[:8])
        if len(problem.ids) > 8:
            shown += "…"
        count = len(problem.ids)
        out.append(messages[problem.kind](count) % {"count": count, "names": shown})
    return out


# --- The summary and its submission (Art 10) ----------------------------------------------

def summary_document_number(district_review: DistrictReview, sequence: int) -> str:
    return _("%(district)s preliminary review [%(year)s] No. %(number)s") % {
        "district": district_review.district.name, "year": district_review.cycle.year,
        "number": sequence}


def summary_request(*, district_review: DistrictReview, actor: User,
                    form_token: str | None = None) -> DistrictSummaryFile:
    """Queue the PDF of the district's summary (through the outbox), numbered when it is
    made (``summary_pdf.summary_number_assign``: a PDF never made takes no number);
    refused while the ranking cannot be submitted. A second post of the same button
    (``form_token``) returns the first request: no second PDF, no second number."""
    with transaction.atomic(), acting_as(actor):
        locked = require_editable(district_review)
        earlier = made_with_token(DistrictSummaryFile, form_token,
                                  district_review_id=locked.pk)
        if earlier is not None:
            return earlier
        problems = district_ranking_problems(locked)
        if problems:
            raise DomainError(" ".join(problems))
        summary = DistrictSummaryFile.objects.create(
            district_review=locked, digest=district_summary(locked).digest(),
            document_number="", requested_by=actor,
            form_token=form_token)
        from .document_queue import document_render_queue

        document_render_queue(document=summary)
    return summary


def summary_scan_upload(*, summary: DistrictSummaryFile, upload: UploadedFile,
                        actor: User) -> DistrictSummaryFile:
    """Attach the stamped scan (盖章) of a generated summary."""
    checked = check_scan(upload)
    with transaction.atomic(), acting_as(actor):
        require_editable(summary.district_review)
        scan_attach(document=summary, checked=checked, upload=upload, actor=actor)
    return summary


def current_summary(district_review: DistrictReview) -> DistrictSummaryFile | None:
    """The latest generated summary if it was made from the current content."""
    latest = district_review.summaries.filter(status=ReportStatus.DONE).first()
    if latest is None or latest.digest != district_summary(district_review).digest():
        return None
    return latest


def district_review_submit_problems(district_review: DistrictReview) -> list[str]:
    problem = district_review_editable_problem(district_review)
    if problem:
        return [problem]
    problems = district_ranking_problems(district_review)
    summary = current_summary(district_review)
    if summary is None or not summary.scan:
        problems.append(_("Upload the stamped scan of the summary generated from the current "
                          "ranking (generate it again after any change)."))
    return problems


def _city_admins():
    return User.objects.filter(role=Role.CITY_ADMIN, is_active=True)


def _district_reviewers(district_review: DistrictReview):
    return User.objects.filter(role=Role.DISTRICT_REVIEWER,
                               district_id=district_review.district_id, is_active=True)


def district_review_submit(*, district_review: DistrictReview, actor: User) -> DistrictReview:
    """Submit the district's summary with its stamped scan to the city (Art 10). The
    district's results are locked from then on, unless the city returns them."""
    with transaction.atomic(), acting_as(actor):
        locked = _lock_review(district_review)
        if locked.status == DistrictReviewStatus.SUBMITTED:
            raise DomainError(_("The summary has already been submitted."))
        problems = district_review_submit_problems(locked)
        if problems:
            raise DomainError(" ".join(problems))
        # Groups exactly as R4 says, checked once more by the rule itself.
        ranks = list(locked.participants.values_list("pk", "rank"))
        try:
            district_groups(locked.district.name, [(str(pk), rank) for pk, rank in ranks],
                            locked.cycle.policy_version.as_params().district_shares)
        except RankingError as exc:
            raise DomainError(_("The ranking is not complete: %(detail)s")
                              % {"detail": exc}) from exc
        locked.summary = current_summary(locked)
        locked.submitted_at, locked.submitted_by = timezone.now(), actor
        locked.save(update_fields=["summary", "submitted_at", "submitted_by"])
        district_review_set_status(district_review=locked,
                                   to_status=DistrictReviewStatus.SUBMITTED)
        subject = _("%(district)s submitted its preliminary review summary") % {
            "district": locked.district.name}
        url = reverse("evaluations:district_review_detail", args=[locked.pk])
        notify(users=_city_admins(), subject=subject, url=url)
    district_review.status = locked.status
    return locked


def district_review_return(*, district_review: DistrictReview, reason: str,
                           actor: User) -> DistrictReview:
    """The city sends a submitted summary back with a reason: the district can change its
    results again and is notified."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the summary is returned."))
    with transaction.atomic(), acting_as(actor):
        locked = _lock_review(district_review)
        if locked.cycle.status != CycleStatus.PRELIMINARY_REVIEW:
            raise DomainError(_("The preliminary review is not open."))
        district_review_set_status(district_review=locked,
                                   to_status=DistrictReviewStatus.RETURNED)
        locked.return_reason = reason
        locked.decided_at, locked.decided_by = timezone.now(), actor
        locked.save(update_fields=["return_reason", "decided_at", "decided_by"])
        subject = _("The city returned the preliminary review summary of %(district)s") % {
            "district": locked.district.name}
        url = reverse("evaluations:ranking", args=[locked.pk])
        notify(users=_district_reviewers(locked), subject=subject, body=reason, url=url)
    district_review.status = locked.status
    return locked


def district_review_accept(*, district_review: DistrictReview, actor: User) -> DistrictReview:
    """The city accepts a submitted summary; the district's results are final for the stage."""
    with transaction.atomic(), acting_as(actor):
        locked = _lock_review(district_review)
        if locked.cycle.status != CycleStatus.PRELIMINARY_REVIEW:
            raise DomainError(_("The preliminary review is not open."))
        district_review_set_status(district_review=locked,
                                   to_status=DistrictReviewStatus.ACCEPTED)
        locked.return_reason = ""
        locked.decided_at, locked.decided_by = timezone.now(), actor
        locked.save(update_fields=["return_reason", "decided_at", "decided_by"])
        subject = _("The city accepted the preliminary review summary of %(district)s") % {
            "district": locked.district.name}
        url = reverse("evaluations:ranking", args=[locked.pk])
        notify(users=_district_reviewers(locked), subject=subject, url=url)
    district_review.status = locked.status
    return locked


# --- Closing the stage --------------------------------------------------------------------

def preliminary_review_close_problems(
        cycle: Cycle, *, not_accepted: list[DistrictReview] | None = None) -> list[str]:
    """Why the stage cannot close now (none: it can). ``not_accepted``: the cycle's district
    reviews not accepted yet, when the caller has read them already (the city's to-do list)."""
    if cycle.status != CycleStatus.PRELIMINARY_REVIEW:
        return [_("The preliminary review is not open.")]
    stage = cycle.stage_of(CycleStatus.PRELIMINARY_REVIEW)
    if stage is not None and stage.is_closed:
        return [_("This stage is already closed.")]
    if not_accepted is None:
        not_accepted = cycle.district_reviews.select_related("district") \
            .exclude(status=DistrictReviewStatus.ACCEPTED)
    waiting = [dr.district.name for dr in not_accepted]
    if waiting:
        return [ngettext("%(count)s district's summary is not accepted yet: %(names)s.",
                         "%(count)s districts' summaries are not accepted yet: %(names)s.",
                         len(waiting)) % {"count": len(waiting), "names": "、".join(waiting)}]
    return []


def preliminary_review_close(*, cycle: Cycle, actor: User) -> int:
    """Close the preliminary review once every district's summary is accepted: groups A, B
    and C are fixed for the rest of the cycle (R4). Returns the number of participants."""
    with transaction.atomic(), acting_as(actor):
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        problems = preliminary_review_close_problems(locked)
        if problems:
            raise DomainError(" ".join(problems))
        shares = locked.policy_version.as_params().district_shares
        count = 0
        for dr in locked.district_reviews.select_related("district"):
            ranks = [(str(pk), rank) for pk, rank in dr.participants.values_list("pk", "rank")]
            _sizes, groups = district_groups(dr.district.name, ranks, shares)
            stored = dict(dr.participants.values_list("pk", "group"))
            if any(stored[int(pk)] != group.value for pk, group in groups.items()):
                raise DomainError(_("The groups of %(district)s do not follow its ranking.")
                                  % {"district": dr.district.name})
            count += len(ranks)
        cycle_stage_close(cycle=locked, actor=actor)
    return count
