"""What the evaluation's pages share: each resource's lookup through the selector scoped to
the user (a missing object and a forbidden one give the same 404) and its permission."""
from __future__ import annotations

from django.shortcuts import get_object_or_404

from institutions.rules import is_city_admin
from institutions.views.mixins import RulesPermissionMixin

from ..enums import DistrictReviewStatus, status_tone
from ..models import Cycle, DistrictReview, Participant
from ..selectors.scopes import district_reviews_for_user, participants_for_user
from ..services.preliminary import district_review_editable_problem

VIEW_DISTRICT_REVIEW = "evaluations.view_district_review"
REVIEW_DISTRICT = "evaluations.review_district"


class DistrictReviewMixin(RulesPermissionMixin):
    """A district review the user may see, by ``pk`` (another district's is a 404)."""

    permission_required = VIEW_DISTRICT_REVIEW

    def get_district_review(self) -> DistrictReview:
        # With its cycle, policy and district (the scope selects them); who saved, submitted
        # or decided it and its summary are read when a page shows them: most have none
        # yet, and selecting four more rows took half of the query's time.
        if not hasattr(self, "_district_review"):
            self._district_review = get_object_or_404(
                district_reviews_for_user(self.request.user), pk=self.kwargs["pk"])
        return self._district_review

    def get_permission_object(self):
        return self.get_district_review()

    def can_edit(self) -> tuple[bool, str]:
        """(may the user change the ranking and the summary now, why not)."""
        review = self.get_district_review()
        if not self.request.user.has_perm(REVIEW_DISTRICT, review):
            return False, ""
        problem = district_review_editable_problem(review)
        return not problem, problem

    def base_context(self) -> dict:
        review = self.get_district_review()
        can_edit, problem = self.can_edit()
        return {"review": review, "cycle": review.cycle, "district": review.district,
                "can_edit": can_edit, "edit_problem": problem,
                "is_reviewer": self.request.user.has_perm(REVIEW_DISTRICT, review),
                "status_tone": status_tone(DistrictReviewStatus, review.status)}


class ParticipantMixin(RulesPermissionMixin):
    """A participant the user may see, by ``pk`` (another district's is a 404)."""

    permission_required = VIEW_DISTRICT_REVIEW

    def get_participant(self) -> Participant:
        if not hasattr(self, "_participant"):
            self._participant = get_object_or_404(participants_for_user(self.request.user),
                                                  pk=self.kwargs["pk"])
        return self._participant

    def get_permission_object(self):
        return self.get_participant()


class CycleMixin(RulesPermissionMixin):
    """Looks the cycle up by its year: a missing year is a 404 for everyone logged in."""

    def get_cycle(self) -> Cycle:
        if not hasattr(self, "_cycle"):
            self._cycle = get_object_or_404(
                Cycle.objects.select_related("policy_version", "created_by"),
                year=self.kwargs["year"])
        return self._cycle

    def get_object(self):
        return self.get_cycle()

    def get_context_data(self, **kwargs):
        return super().get_context_data(cycle=self.get_cycle(),
                                        can_manage=is_city_admin(self.request.user), **kwargs)
