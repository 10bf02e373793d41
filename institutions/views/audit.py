"""The audit trail for city administrators: who changed what, when, before → after."""
from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from .mixins import RulesPermissionMixin

AUDITED_MODELS = ("institution", "institutionstatuschange", "district", "cluster", "user",
                  "policyversion", "cycle", "cyclestage", "indicatorcategory", "indicator",
                  "indicatorfield", "submission", "submissionversion", "extension")


class AuditLogView(RulesPermissionMixin, TemplateView):
    permission_required = "institutions.view_audit_log"
    template_name = "institutions/audit_log.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        content_types = ContentType.objects.filter(model__in=AUDITED_MODELS).order_by("model")
        entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
        model = self.request.GET.get("model", "")
        if model.isdigit():
            entries = entries.filter(content_type_id=int(model))
        q = self.request.GET.get("q", "").strip()
        if q:
            entries = entries.filter(object_repr__icontains=q)
        page = Paginator(entries, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(page=page, content_types=content_types, model=model, q=q,
                       query=query.urlencode())
        return context
