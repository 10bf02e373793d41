"""The evaluation's pages, in the order of the cycle (Art 8)."""
from .views import cycles, policy, progress, self_evaluation

app_name = "evaluations"

urlpatterns = [
    *policy.urlpatterns,            # R13 policy versions
    *cycles.urlpatterns,            # cycles, stages, indicator system (Art 5, 6, 8)
    *self_evaluation.urlpatterns,   # stage 1: the institution's self-evaluation (Art 9)
    *progress.urlpatterns,          # stage 1: progress by district and cluster (Art 9)
]
