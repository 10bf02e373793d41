"""Excel import and export of the registry."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView

from reports.excel import XLSX_CONTENT_TYPE, xlsx_response

from ..exporters import registry_workbook
from ..forms import InstitutionFilterForm, RegistryImportForm
from ..importers import TEMPLATE_FILENAME, registry_import, registry_template_workbook
from ..rules import is_district_reviewer
from ..selectors import institution_search, institutions_for_user
from .mixins import RulesPermissionMixin

# A file with a wrong column can have an error on every row; the page stays usable.
REPORT_ROWS_SHOWN = 1000


class RegistryImportView(RulesPermissionMixin, FormView):
    """Upload a registry workbook: everything is imported, or nothing and a report of every
    bad row."""

    permission_required = "institutions.manage_registry"
    template_name = "institutions/registry_import.html"
    form_class = RegistryImportForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["file"].widget.attrs["accept"] = f".xlsx,{XLSX_CONTENT_TYPE}"
        return form

    def get_context_data(self, **kwargs):
        return super().get_context_data(max_bytes=settings.REGISTRY_IMPORT_MAX_BYTES, **kwargs)

    def form_valid(self, form):
        result = registry_import(file=form.cleaned_data["file"], actor=self.request.user)
        if result.errors:
            row_errors = [error for error in result.errors if error.row is not None]
            return self.render_to_response(self.get_context_data(
                form=form,
                file_errors=[error for error in result.errors if error.row is None],
                row_errors=row_errors,
                shown_row_errors=row_errors[:REPORT_ROWS_SHOWN],
                hidden_error_count=max(len(row_errors) - REPORT_ROWS_SHOWN, 0),
            ))
        messages.success(self.request, ngettext(
            "Imported %(count)d institution into the registry.",
            "Imported %(count)d institutions into the registry.",
            result.created,
        ) % {"count": result.created})
        return redirect("institutions:list")


class RegistryImportTemplateView(RulesPermissionMixin, View):
    permission_required = "institutions.manage_registry"

    def get(self, request, *args, **kwargs):
        return xlsx_response(registry_template_workbook(), TEMPLATE_FILENAME)


class RegistryExportView(RulesPermissionMixin, View):
    """The registry list as the user sees it — same scope, same filters — as a workbook."""

    permission_required = "institutions.view_registry"

    def get(self, request, *args, **kwargs):
        user = request.user
        form = InstitutionFilterForm(request.GET or None,
                                     district_locked=is_district_reviewer(user))
        institutions = institution_search(institutions_for_user(user), **form.filters())
        filename = f"registry-{timezone.localdate():%Y-%m-%d}.xlsx"
        return xlsx_response(registry_workbook(institutions), filename)
