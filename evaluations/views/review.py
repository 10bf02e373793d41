"""Stage 2: the district's list of reports and the review of one report (claims, opinion, site
visits).

TODO(issue 4): placeholder routes, replaced by the real views."""
from django.http import Http404
from django.urls import path


def _todo(request, **kwargs):
    raise Http404


urlpatterns = [
    path("preliminary/<int:pk>/reports/",
         _todo, name="participant_list"),
    path("preliminary/participants/<int:pk>/",
         _todo, name="participant_review"),
    path("preliminary/participants/<int:pk>/claims/<int:indicator_pk>/",
         _todo, name="claim_save"),
    path("preliminary/participants/<int:pk>/opinion/",
         _todo, name="participant_comment"),
    path("preliminary/participants/<int:pk>/visits/new/",
         _todo, name="site_visit_create"),
    path("preliminary/visit-files/<int:pk>/",
         _todo, name="site_visit_file"),
]
