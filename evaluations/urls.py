"""The evaluation's pages, in the order of the cycle (Art 8)."""
from .views import policy, self_evaluation

app_name = "evaluations"

urlpatterns = [
    *policy.urlpatterns,            # R13 policy versions
    *self_evaluation.urlpatterns,   # stage 1: the institution's self-evaluation (Art 9)
]
