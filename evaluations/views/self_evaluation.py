"""Stage 1 pages of the institution (being written)."""
from django.urls import path
from django.views.generic import TemplateView

from institutions.views.mixins import RulesPermissionMixin


class MySubmissionView(RulesPermissionMixin, TemplateView):
    permission_required = "evaluations.fill_submission"
    template_name = "home/institution.html"


urlpatterns = [
    path("self-evaluation/", MySubmissionView.as_view(), name="my_submission"),
]
