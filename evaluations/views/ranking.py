"""Stage 2: the district's ranking (R4), its summary (Excel, PDF, stamped scan), submission
and the city's decision.

TODO(issue 4): placeholder routes, replaced by the real views."""
from django.http import Http404
from django.urls import path


def _todo(request, **kwargs):
    raise Http404


urlpatterns = [
    path("preliminary/<int:pk>/ranking/",
         _todo, name="ranking"),
    path("preliminary/<int:pk>/summary/",
         _todo, name="district_summary"),
    path("preliminary/<int:pk>/summary.xlsx",
         _todo, name="district_summary_excel"),
    path("preliminary/<int:pk>/summary/pdf/",
         _todo, name="district_summary_request"),
    path("preliminary/summaries/<int:pk>/status/",
         _todo, name="district_summary_status"),
    path("preliminary/summaries/<int:pk>/file/",
         _todo, name="district_summary_file"),
    path("preliminary/summaries/<int:pk>/scan/",
         _todo, name="district_summary_scan"),
    path("preliminary/summaries/<int:pk>/scan/file/",
         _todo, name="district_summary_scan_file"),
    path("preliminary/<int:pk>/submit/",
         _todo, name="district_review_submit"),
    path("preliminary/<int:pk>/decision/",
         _todo, name="district_review_detail"),
    path("preliminary/<int:pk>/accept/",
         _todo, name="district_review_accept"),
    path("preliminary/<int:pk>/return/",
         _todo, name="district_review_return"),
]
