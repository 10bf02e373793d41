"""The audit trail: who did what, when, to which record, before → after — the city everything,
a district its district's records, an institution administrator its institution's."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from reports.excel import xlsx_response

from ..audit.display import describe
from ..audit.filters import AuditLogFilter
from ..audit.selectors import ENTRY_RELATED
from ..exporters import audit_workbook
from .mixins import RulesPermissionMixin

PAGE_SIZE = 50


class AuditLogMixin(RulesPermissionMixin):
    permission_required = "institutions.view_audit_log"

    def get_filterset(self) -> AuditLogFilter:
        return AuditLogFilter(self.request.GET or None, user=self.request.user,
                              request=self.request)


class AuditLogView(AuditLogMixin, TemplateView):
    template_name = "institutions/audit_log.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.get_filterset()
        entries = filterset.qs.select_related(*ENTRY_RELATED)
        page = Paginator(entries, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filter=filterset, page=page, rows=describe(page.object_list),
                       query=query.urlencode())
        return context


class AuditLogExportView(AuditLogMixin, View):
    """The filtered trail as a workbook, every entry of it (not one page)."""

    def get(self, request, *args, **kwargs):
        entries = self.get_filterset().qs.select_related(*ENTRY_RELATED)
        filename = _("audit-log-%(date)s.xlsx") % {"date": timezone.localdate().isoformat()}
        return xlsx_response(audit_workbook(entries), filename)
