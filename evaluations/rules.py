"""Permission predicates of the evaluation: cycles, policy versions, self-evaluations.

Objects outside a user's scope are also absent from the selectors (``submissions_for_user``),
so views answer 404 for them; these predicates decide what a user may *do* with what they see.
"""
import rules

from institutions.rules import (
    is_city_admin,
    is_city_staff,
    is_district_reviewer,
    is_expert,
    is_institution_admin,
    is_institution_user,
    is_panel_organiser,
)

from .enums import CycleStatus


@rules.predicate
def is_own_submission(user, submission) -> bool:
    return submission is not None and submission.institution_id == user.institution_id


@rules.predicate
def in_submission_district(user, submission) -> bool:
    return submission is not None and submission.district_id == user.district_id


@rules.predicate
def is_assigned_submission(user, submission) -> bool:
    """A report on the expert's list in an open panel review (R6a: never a conflicted one)."""
    from .selectors.scopes import expert_assignments  # the selectors import the models

    # A report not submitted has no participant (``RelatedObjectDoesNotExist`` is an
    # AttributeError): no expert reads it.
    participant = getattr(submission, "participant", None)
    return participant is not None and participant.pk in expert_assignments(user)


can_view_submission = (
    is_city_staff
    | (is_district_reviewer & in_submission_district)
    | (is_institution_user & is_own_submission)
)

rules.add_perm("evaluations.view_policyversion", is_city_staff)
rules.add_perm("evaluations.manage_policy", is_city_admin)
# Cycles, stages and the indicator system.
rules.add_perm("evaluations.view_cycle", is_city_staff)
rules.add_perm("evaluations.manage_cycle", is_city_admin)
# Progress of the self-evaluation: the city everywhere, a district its own institutions.
rules.add_perm("evaluations.view_progress", is_city_staff | is_district_reviewer)
# A self-evaluation and its evidence files (experts join from the panel stage on).
rules.add_perm("evaluations.view_submission",
               can_view_submission | (is_expert & is_assigned_submission))
rules.add_perm("evaluations.fill_submission", is_institution_user)
rules.add_perm("evaluations.edit_submission", is_institution_user & is_own_submission)
rules.add_perm("evaluations.sign_pledge", is_institution_admin & is_own_submission)
rules.add_perm("evaluations.grant_extension", is_city_admin)


# --- Stage 2, the preliminary review ---------------------------------------------------------

def _district_id(obj) -> int | None:
    """The district an object of the preliminary review belongs to (a district review, a
    participant, or anything with a ``participant``)."""
    if obj is None:
        return None
    if hasattr(obj, "participant"):
        obj = obj.participant
    if hasattr(obj, "district_review"):
        obj = obj.district_review
    return getattr(obj, "district_id", None)


@rules.predicate
def in_own_district(user, obj) -> bool:
    return obj is not None and _district_id(obj) == user.district_id


@rules.predicate
def is_own_participation(user, obj) -> bool:
    if obj is None:
        return False
    participant = getattr(obj, "participant", obj)
    return participant.institution_id == user.institution_id


def _cycle_status(obj) -> str | None:
    """The status of the cycle of ``obj`` (a cycle, a participant, or anything with a
    ``participant``)."""
    if obj is None:
        return None
    obj = getattr(obj, "participant", obj)
    return getattr(getattr(obj, "cycle", obj), "status", None)


@rules.predicate
def in_preliminary_review(user, obj) -> bool:
    return _cycle_status(obj) == CycleStatus.PRELIMINARY_REVIEW


@rules.predicate
def in_city_review(user, obj) -> bool:
    """The cycle is in a stage the city runs on the institutions themselves: the panel review
    (stage 3) or the on-site re-verification (stage 4)."""
    return _cycle_status(obj) in (CycleStatus.PANEL_REVIEW, CycleStatus.REVERIFICATION)


# Who reports 虚报 or 虚构 (R8, Art 9: "at any stage"): in the preliminary review the district
# on its own institutions; in the panel review and the re-verification the city
# administrator, on any participant of the cycle (asked with the participant or the cycle).
# Whether the stage still takes a report (not closed) is the service's check
# (``services.findings.fraud_report_problem``).
can_report_fraud = ((is_district_reviewer & in_own_district & in_preliminary_review)
                    | (is_city_admin & in_city_review))

# The district pages of the stage: the city everywhere, a district its own.
rules.add_perm("evaluations.view_preliminary", is_city_staff | is_district_reviewer)
rules.add_perm("evaluations.view_district_review",
               is_city_staff | (is_district_reviewer & in_own_district))
# Reviewing, visiting, rectification notices, ranking, the summary: the district's reviewers.
rules.add_perm("evaluations.review_district", is_district_reviewer & in_own_district)
rules.add_perm("evaluations.decide_district_review", is_city_admin)
rules.add_perm("evaluations.close_preliminary_review", is_city_admin)
# Rectification notices: the institution sees and answers its own.
rules.add_perm("evaluations.view_rectification",
               is_city_staff | (is_district_reviewer & in_own_district)
               | (is_institution_user & is_own_participation))
rules.add_perm("evaluations.list_own_rectifications", is_institution_user)
rules.add_perm("evaluations.answer_rectification", is_institution_user & is_own_participation)
# Fraud (R8): the district reports, the city decides; credit records are the city's.
rules.add_perm("evaluations.report_fraud", can_report_fraud)
rules.add_perm("evaluations.view_fraud_report",
               is_city_staff | (is_district_reviewer & in_own_district))
rules.add_perm("evaluations.decide_fraud", is_city_admin)
rules.add_perm("evaluations.view_credit_records", is_city_staff)


# --- Stage 3, the panel review: the information institute runs it; the city administrator
# follows it read-only; districts and institutions see nothing of it before publication -----

rules.add_perm("evaluations.view_panel", is_city_staff)
rules.add_perm("evaluations.manage_panel", is_panel_organiser)


@rules.predicate
def is_own_seat(user, seat) -> bool:
    """The drawn expert's own place in a panel."""
    return seat is not None and seat.expert.user_id == user.pk


rules.add_perm("evaluations.answer_invitation", is_expert & is_own_seat)
rules.add_perm("evaluations.view_own_panels", is_expert)


# --- Stage 4, re-verification and the spot check: the city bureau runs it; the information
# institute follows it; a district sees the visits to its own institutions, an institution the
# visit planned to it; no verdict shows before publication --------------------------------------

rules.add_perm("evaluations.view_reverification", is_city_staff)
rules.add_perm("evaluations.manage_reverification", is_city_admin)
rules.add_perm("evaluations.view_planned_visit", is_institution_user & is_own_participation)


# --- The results (R9): computed and justified by the city administrator, read by city staff
# until publication ---------------------------------------------------------------------------

rules.add_perm("evaluations.view_results", is_city_staff)
rules.add_perm("evaluations.compute_results", is_city_admin)
