"""The evaluation's pages, in the order of the cycle (Art 8)."""
from .views import cycles, dashboards, findings, policy, progress, ranking, review, self_evaluation

app_name = "evaluations"

urlpatterns = [
    *policy.urlpatterns,            # R13 policy versions
    *cycles.urlpatterns,            # cycles, stages, indicator system (Art 5, 6, 8)
    *self_evaluation.urlpatterns,   # stage 1: the institution's self-evaluation (Art 9)
    *progress.urlpatterns,          # stage 1: progress by district and cluster (Art 9)
    *dashboards.urlpatterns,        # stage 2: dashboards of the district and the city (Art 10)
    *review.urlpatterns,            # stage 2: reviewing a report, site visits (Art 9, 10; R3)
    *findings.urlpatterns,          # stage 2: rectification, fraud, credit records (R8)
    *ranking.urlpatterns,           # stage 2: ranking, summary, submission (Art 10; R4)
]
