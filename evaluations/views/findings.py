"""Stage 2: rectification notices and answers, fraud reports and the city's decision, credit
records.

TODO(issue 4): placeholder routes, replaced by the real views."""
from django.http import Http404
from django.urls import path


def _todo(request, **kwargs):
    raise Http404


urlpatterns = [
    path("preliminary/participants/<int:pk>/rectifications/new/",
         _todo, name="rectification_create"),
    path("rectifications/",
         _todo, name="rectification_list"),
    path("rectifications/<int:pk>/",
         _todo, name="rectification_detail"),
    path("rectifications/<int:pk>/answer/",
         _todo, name="rectification_answer"),
    path("rectifications/answers/<int:pk>/decide/",
         _todo, name="rectification_decide"),
    path("rectification-files/<int:pk>/",
         _todo, name="rectification_file"),
    path("preliminary/participants/<int:pk>/fraud/new/",
         _todo, name="fraud_report_create"),
    path("fraud-reports/",
         _todo, name="fraud_list"),
    path("fraud-reports/<int:pk>/",
         _todo, name="fraud_detail"),
    path("fraud-reports/<int:pk>/decide/",
         _todo, name="fraud_decide"),
    path("fraud-files/<int:pk>/",
         _todo, name="fraud_file"),
    path("credit-records/",
         _todo, name="credit_record_list"),
]
