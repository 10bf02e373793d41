"""The evaluation's pages, in the order of the cycle (Art 8)."""
from .views import (
    cycles,
    findings,
    indicators,
    panel,
    panel_console,
    policy,
    preliminary,
    results,
    reverification,
    self_evaluation,
)

app_name = "evaluations"

urlpatterns = [
    *policy.urlpatterns,            # policy versions (Art 16-18)
    *cycles.urlpatterns,            # cycles and their stages (Art 5, 8)
    *indicators.urlpatterns,        # the indicator system (Art 6)
    *self_evaluation.urlpatterns,   # stage 1: self-evaluation and its progress (Art 9)
    *preliminary.urlpatterns,       # stage 2: dashboards, review, ranking, summary (Art 10)
    *findings.urlpatterns,          # stage 2: rectification, fraud, credit records (Art 9)
    *panel.urlpatterns,             # stage 3: panels, the recorded draw, conflicts (Art 11)
    *panel_console.urlpatterns,     # stage 3: the organiser's console, rankings, close (Art 11)
    *reverification.urlpatterns,    # stage 4: re-verification, the spot check (Art 12)
    *results.urlpatterns,           # the tiers and their explanation (Art 7, 13)
]
