"""The evaluation's part of the audit trail: every write of policy versions, cycles and their
indicator systems, of stage 1 (reports, answers, evidence, versions, extensions) and of stage 2
(reviews, claims, rankings, summaries, visits, notices and answers, fraud reports, credit
records), each entry with the cycle, district and institution it concerns.

Who reads what follows the application's own permissions (``rules.py``): an institution's
administrator the trail of its report and its rectification notices, never the district's
review, ranking, visits or fraud reports; a district reviewer its district's, never the city's
credit records.
"""
from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _

from institutions.audit import Audience, Scope, register
from institutions.audit.registry import names_key

from .models import (
    ClaimReview,
    Conflict,
    CreditRecord,
    Cycle,
    CycleResults,
    CycleStage,
    DistrictReview,
    DistrictSummaryFile,
    EvidenceFile,
    ExpertScore,
    Extension,
    FraudEvidenceFile,
    FraudReport,
    Indicator,
    IndicatorCategory,
    IndicatorField,
    IndicatorResponse,
    Panel,
    PanelDraw,
    PanelOutcome,
    PanelResult,
    PanelResultTable,
    PanelSeat,
    Participant,
    ParticipantTier,
    PolicyVersion,
    RankingRevision,
    Rectification,
    RectificationAnswer,
    RectificationFile,
    ReportFile,
    Reverification,
    SiteVisit,
    SiteVisitFile,
    SpotCheckDraw,
    Submission,
    SubmissionVersion,
    VerdictChange,
    Verification,
)


def _submission(submission: Submission) -> Scope:
    return Scope(cycle=submission.cycle_id, district=submission.district_id,
                 institution=submission.institution_id)


def _review(review: DistrictReview) -> Scope:
    return Scope(cycle=review.cycle_id, district=review.district_id)


def _participant(participant: Participant) -> Scope:
    return Scope(cycle=participant.cycle_id, district=participant.district_review.district_id,
                 institution=participant.institution_id)


def _participant_name(participant: Participant) -> str:
    return participant.institution.name


# How many places of a ranking an entry names: the first ones, and the first that moved.
RANKING_SHOWN = 10


def _ranking_details(revision: RankingRevision, changes: dict) -> dict:
    """A saved ranking's entry keeps the places that moved since the district's previous save
    (``moves``: ``[participant, old place, new place]``, the first few, and how many moved) and
    the names of the participants it shows: the first places, the moved, the reasons."""
    order = list(revision.order or [])
    previous = RankingRevision.objects.filter(
        district_review_id=revision.district_review_id, number=revision.number - 1) \
        .values_list("order", flat=True).first()
    details: dict = {}
    shown = set(order[:RANKING_SHOWN]) | {int(pid) for pid in (revision.reasons or {})}
    if previous is not None:
        old = {pid: k for k, pid in enumerate(previous, start=1)}
        moves = [[pid, old.get(pid), k] for k, pid in enumerate(order, start=1)
                 if old.get(pid) != k]
        details.update(moves=moves[:RANKING_SHOWN], moved=len(moves))
        shown |= {pid for pid, _old, _new in moves[:RANKING_SHOWN]}
    details["names"] = {names_key(Participant): {
        str(p.pk): p.institution.name
        for p in Participant.objects.filter(pk__in=shown).select_related("institution")}}
    return details


def _answer_details(response: IndicatorResponse, changes: dict) -> dict:
    """An answer's entry keeps the titles of the data fields its change touches, in order."""
    if "data" not in changes:
        return {}
    keys = set()
    for raw in changes["data"]:
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue
        if isinstance(value, dict):
            keys |= set(value)
    # A list, in the indicator's order: PostgreSQL does not keep the order of an object's keys.
    return {"fields": [list(pair) for pair in IndicatorField.objects.filter(
        indicator_id=response.indicator_id, key__in=keys).order_by("order", "pk")
        .values_list("key", "label")]}


# What naming a row read through its participant reads along (``Submission.__str__``).
_THROUGH_PARTICIPANT = ["participant__submission__cycle", "participant__submission__institution"]

# Generated documents: who asked, the status and the stamped scan; the progress, the error
# text and the digest are the generator's business.
_GENERATED = ["progress", "error", "digest", "scan_size", "scan_kind", "form_token"]

register(PolicyVersion, scope=lambda v: Scope(), audience=Audience.CITY)
register(Cycle, scope=lambda c: Scope(cycle=c.pk), audience=Audience.CITY)
register(CycleStage, scope=lambda s: Scope(cycle=s.cycle_id), audience=Audience.CITY)
register(IndicatorCategory, scope=lambda c: Scope(cycle=c.cycle_id), audience=Audience.CITY)
register(Indicator, scope=lambda i: Scope(cycle=i.category.cycle_id), audience=Audience.CITY)
register(IndicatorField, scope=lambda f: Scope(cycle=f.indicator.category.cycle_id),
         audience=Audience.CITY)

# --- Stage 1 ------------------------------------------------------------------------------
register(Submission, scope=_submission, audience=Audience.INSTITUTION,
         exclude=["cycle", "institution", "district", "cluster"],
         name_related=["cycle", "institution"],
         labels={"pledge_accepted_by": _("pledge confirmed by")})
register(IndicatorResponse, scope=lambda r: _submission(r.submission),
         audience=Audience.INSTITUTION, exclude=["revision", "updated_by"],
         details=_answer_details,
         name_related=["submission__cycle", "submission__institution", "indicator"])
register(EvidenceFile, scope=lambda e: _submission(e.response.submission),
         audience=Audience.INSTITUTION, exclude=["sha256"])
# The snapshot is the version itself, kept whole in the database; the trail says who
# submitted and withdrew which version.
register(SubmissionVersion, scope=lambda v: _submission(v.submission),
         audience=Audience.INSTITUTION, exclude=["snapshot", "digest"],
         labels={"withdrawn_by": _("withdrawn by")})
register(ReportFile, scope=lambda r: _submission(r.submission), audience=Audience.INSTITUTION,
         exclude=_GENERATED, labels={"requested_by": _("requested by"),
                                     "scan_uploaded_by": _("scan uploaded by")},
         name_related=["submission__cycle", "submission__institution"])
register(Extension, scope=lambda e: _submission(e.submission), audience=Audience.INSTITUTION,
         exclude=["form_token"])

# --- Stage 2 ------------------------------------------------------------------------------
# The ranking's revision counter and time are the saved ranking's own entry.
register(DistrictReview, scope=_review, audience=Audience.DISTRICT,
         exclude=["revision", "ranking_saved_at", "ranking_saved_by"],
         labels={"submitted_by": _("submitted by"), "decided_by": _("decided by")},
         name_related=["cycle", "district"])
# ``reviewed`` counts the claims reviewed, recomputed at every claim: the claim's entry says it.
register(Participant, scope=_participant, audience=Audience.DISTRICT,
         exclude=["cycle", "submission", "institution", "district_review", "reviewed",
                  "comment_at"], name=_participant_name, name_related=["institution"])
register(ClaimReview, scope=lambda c: _participant(c.participant), audience=Audience.DISTRICT,
         exclude=["revision", "updated_by"])
register(RankingRevision, scope=lambda r: _review(r.district_review),
         audience=Audience.DISTRICT, details=_ranking_details)
register(DistrictSummaryFile, scope=lambda s: _review(s.district_review),
         audience=Audience.DISTRICT, exclude=_GENERATED,
         labels={"requested_by": _("requested by"), "scan_uploaded_by": _("scan uploaded by")})
register(SiteVisit, scope=lambda v: _participant(v.participant), audience=Audience.DISTRICT,
         exclude=["form_token"],
         name_related=_THROUGH_PARTICIPANT)
register(SiteVisitFile, scope=lambda f: _participant(f.visit.participant),
         audience=Audience.DISTRICT, exclude=["sha256"])
register(Rectification, scope=lambda r: _participant(r.participant),
         audience=Audience.INSTITUTION, exclude=["form_token"],
         name_related=_THROUGH_PARTICIPANT)
register(RectificationAnswer, scope=lambda a: _participant(a.rectification.participant),
         audience=Audience.INSTITUTION, labels={"decided_by": _("decided by")},
         exclude=["form_token"],
         name_related=[f"rectification__{path}" for path in _THROUGH_PARTICIPANT])
register(RectificationFile, scope=lambda f: _participant(f.answer.rectification.participant),
         audience=Audience.INSTITUTION, exclude=["sha256"])
register(FraudReport, scope=lambda r: _participant(r.participant), audience=Audience.DISTRICT,
         exclude=["form_token"],
         name_related=_THROUGH_PARTICIPANT)
register(FraudEvidenceFile, scope=lambda f: _participant(f.report.participant),
         audience=Audience.DISTRICT, exclude=["sha256"])
register(CreditRecord,
         scope=lambda r: Scope(cycle=r.cycle_id, institution=r.institution_id,
                               district=r.institution.district_id),
         audience=Audience.CITY, name_related=["institution"])


# --- Stage 3 ------------------------------------------------------------------------------
# The city's alone until the results are published: no district or institution reads them.
register(Panel, scope=lambda p: Scope(cycle=p.cycle_id), audience=Audience.CITY,
         name=lambda p: p.name)
register(PanelDraw, scope=lambda d: Scope(cycle=d.panel.cycle_id), audience=Audience.CITY,
         name_related=["panel"])
register(PanelSeat, scope=lambda s: Scope(cycle=s.panel.cycle_id), audience=Audience.CITY,
         name_related=["panel", "expert"])
register(Conflict, scope=lambda c: Scope(cycle=c.cycle_id), audience=Audience.CITY,
         name_related=["expert", "participant__institution"])
register(ExpertScore, scope=lambda s: Scope(cycle=s.participant.cycle_id),
         audience=Audience.CITY, exclude=["revision"],
         name_related=["seat__expert", "participant__institution"])

# The organiser's choices that decide the lines, and the results fixed at the close (R6).
register(PanelOutcome, scope=lambda o: Scope(cycle=o.cycle_id), audience=Audience.CITY,
         labels={"closed_by": _("closed by")}, name_related=["cycle"])
register(PanelResult, scope=lambda r: Scope(cycle=r.outcome.cycle_id), audience=Audience.CITY,
         name_related=["participant__institution"])
register(PanelResultTable, scope=lambda t: Scope(cycle=t.outcome.cycle_id),
         audience=Audience.CITY, exclude=_GENERATED,
         labels={"requested_by": _("requested by"), "scan_uploaded_by": _("scan uploaded by")},
         name_related=["outcome__cycle"])


# --- Stage 4 and the results -------------------------------------------------------------------
# The city's alone until publication, as stage 3: an institution sees only that a visit is
# planned, and that on its page, not in the trail.
register(Reverification, scope=lambda r: Scope(cycle=r.cycle_id), audience=Audience.CITY,
         name_related=["cycle"])
register(SpotCheckDraw, scope=lambda d: Scope(cycle=d.cycle_id), audience=Audience.CITY,
         exclude=["candidates", "public_key"], labels={"drawn_by": _("drawn by")},
         name_related=["cycle"])
register(Verification, scope=lambda v: Scope(cycle=v.participant.cycle_id),
         audience=Audience.CITY, exclude=["revision"],
         labels={"decided_by": _("verdict recorded by")},
         name_related=["participant__institution"])
register(VerdictChange, scope=lambda c: Scope(cycle=c.verification.participant.cycle_id),
         audience=Audience.CITY, labels={"changed_by": _("changed by")},
         name_related=["verification__participant__institution"])
register(CycleResults, scope=lambda r: Scope(cycle=r.cycle_id), audience=Audience.CITY,
         exclude=["inputs", "params", "quotas", "checks", "seeds"],
         labels={"computed_by": _("computed by"), "justified_by": _("justified by")},
         name_related=["cycle"])
register(ParticipantTier, scope=lambda t: Scope(cycle=t.results.cycle_id),
         audience=Audience.CITY, exclude=["explanation"],
         name_related=["participant__institution"])
