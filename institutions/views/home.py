"""The landing page: the public home for visitors; for each role, what is waiting for it
(``evaluations.selectors.todo``) above its dashboard."""
from __future__ import annotations

from django.db.models import Count
from django.views.generic import TemplateView

from evaluations.selectors.cycles import current_cycle, open_cycles
from evaluations.selectors.self_evaluation import progress_summary
from evaluations.selectors.todo import todo_for_user

from ..enums import FilingStatus, Role
from ..selectors import institutions_for_user, registry_counts

_TEMPLATES = {
    Role.CITY_ADMIN: "home/city_admin.html",
    Role.PANEL_ORGANISER: "home/panel_organiser.html",
    Role.DISTRICT_REVIEWER: "home/district_reviewer.html",
    Role.INSTITUTION_FILER: "home/institution.html",
    Role.INSTITUTION_ADMIN: "home/institution.html",
    Role.EXPERT: "home/expert.html",
}


class HomeView(TemplateView):
    def get_template_names(self):
        user = self.request.user
        if not user.is_authenticated:
            return ["home/public.html"]
        return [_TEMPLATES.get(user.role, "home/no_role.html")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if not user.is_authenticated:
            return context
        city = user.role in (Role.CITY_ADMIN, Role.PANEL_ORGANISER)
        opened = open_cycles() if city else None  # read once for the to-do list and the cycle
        context["todo"] = todo_for_user(user, opened=opened)
        visible = institutions_for_user(user)
        if city:  # the registry's two summaries in one query
            districts, status_counts = registry_counts()
            context["districts"] = districts
            context["district_chart"] = {
                "labels": [d.name for d in districts],
                "active": [d.n_active for d in districts],
                "other": [d.n_total - d.n_active for d in districts],
            }
        elif user.role == Role.DISTRICT_REVIEWER:
            status_counts = {row["status"]: row["n"] for row in
                             visible.order_by().values("status").annotate(n=Count("pk"))}
        if city or user.role == Role.DISTRICT_REVIEWER:
            context["status_counts"] = status_counts
            context["total"] = sum(status_counts.values())
            context["statuses"] = [(value, label, status_counts.get(value, 0))
                                   for value, label in FilingStatus.choices]
        if user.role == Role.CITY_ADMIN:
            context["cycle"] = current_cycle(opened)
        if user.role in (Role.CITY_ADMIN, Role.DISTRICT_REVIEWER):  # self-evaluation progress
            cycle = context["cycle"] if "cycle" in context else current_cycle(opened)
            context.update(progress_summary(user, cycle))
        if user.role == Role.DISTRICT_REVIEWER:
            context["district"] = user.district
        if user.institution_id:
            context["institution"] = visible.first()
        return context
