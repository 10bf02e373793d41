"""Permission predicates of the evaluation: cycles, policy versions, self-evaluations.

Objects outside a user's scope are also absent from the selectors (``submissions_for_user``),
so views answer 404 for them; these predicates decide what a user may *do* with what they see.
"""
import rules

from institutions.rules import (
    is_city_admin,
    is_city_staff,
    is_district_reviewer,
    is_institution_admin,
    is_institution_user,
)


@rules.predicate
def is_own_submission(user, submission) -> bool:
    return submission is not None and submission.institution_id == user.institution_id


@rules.predicate
def in_submission_district(user, submission) -> bool:
    return submission is not None and submission.district_id == user.district_id


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
rules.add_perm("evaluations.view_submission", can_view_submission)
rules.add_perm("evaluations.fill_submission", is_institution_user)
rules.add_perm("evaluations.edit_submission", is_institution_user & is_own_submission)
rules.add_perm("evaluations.sign_pledge", is_institution_admin & is_own_submission)
rules.add_perm("evaluations.grant_extension", is_city_admin)
