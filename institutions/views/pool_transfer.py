"""Excel import and export of the expert pool (R6a), beside the registry's: the panel organiser
downloads the template and imports experts, all or nothing; whoever reads the pool exports it
as the list shows it."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from reports.excel import xlsx_response

from ..enums import TitleLevel
from ..forms.pool import ExpertFilter
from ..pool_workbooks import (
    TEMPLATE_FILENAME,
    expert_import,
    expert_template_workbook,
    expert_workbook,
)
from ..selectors import experts_listed
from .mixins import RulesPermissionMixin
from .transfer import REPORT_ROWS_SHOWN, RegistryImportView


class ExpertImportView(RegistryImportView):
    """Upload an expert pool workbook: every expert is entered, or none and a report of every
    bad row (the registry import's page and form, the pool's permission)."""

    permission_required = "institutions.manage_pool"
    template_name = "institutions/expert_import.html"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["file"].label = _("Expert pool workbook (.xlsx)")
        return form

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            min_level=TitleLevel(settings.EXPERT_MIN_TITLE_LEVEL).label, **kwargs)

    def form_valid(self, form):
        result = expert_import(file=form.cleaned_data["file"], actor=self.request.user)
        if not result.errors:
            messages.success(self.request, ngettext(
                "Imported %(count)d expert into the pool.",
                "Imported %(count)d experts into the pool.",
                result.created,
            ) % {"count": result.created})
            return redirect("institutions:expert_list")
        report: dict = {"file_errors": [], "row_errors": []}
        for error in result.errors:
            report["file_errors" if error.row is None else "row_errors"].append(error)
        shown = report["row_errors"][:REPORT_ROWS_SHOWN]
        return self.render_to_response(self.get_context_data(
            form=form, shown_row_errors=shown,
            hidden_error_count=len(report["row_errors"]) - len(shown), **report))


class ExpertImportTemplateView(RulesPermissionMixin, View):
    permission_required = "institutions.manage_pool"

    def get(self, request, *args, **kwargs):
        return xlsx_response(expert_template_workbook(), TEMPLATE_FILENAME)


class ExpertExportView(RulesPermissionMixin, View):
    """The pool's list as the user filtered it, as a workbook."""

    permission_required = "institutions.view_pool"

    def get(self, request, *args, **kwargs):
        experts = ExpertFilter(request.GET or None, queryset=experts_listed()).qs
        filename = f"experts-{timezone.localdate():%Y-%m-%d}.xlsx"
        return xlsx_response(expert_workbook(experts), filename)
