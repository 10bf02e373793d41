"""The registry pages (Art 2, 3, 15): list, detail, create, edit, change of filing status."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from ..exceptions import DomainError
from ..forms import InstitutionFilterForm, InstitutionForm, InstitutionStatusForm
from ..rules import is_city_admin, is_district_reviewer
from ..selectors import institution_search, institutions_for_user
from ..services import institution_change_status, institution_create, institution_update
from .mixins import InstitutionObjectMixin, RulesPermissionMixin


class InstitutionListView(RulesPermissionMixin, TemplateView):
    permission_required = "institutions.view_registry"
    template_name = "institutions/institution_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = InstitutionFilterForm(self.request.GET or None,
                                     district_locked=is_district_reviewer(user))
        qs = institution_search(institutions_for_user(user), **form.filters())
        page = Paginator(qs, settings.REGISTRY_PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page=page, query=query.urlencode(),
                       can_manage=is_city_admin(user))
        return context


class InstitutionMineView(RulesPermissionMixin, TemplateView):
    """An institution account's own record."""

    permission_required = "institutions.view_own_institution"

    def get(self, request, *args, **kwargs):
        return redirect("institutions:detail", pk=request.user.institution_id)


class InstitutionDetailView(InstitutionObjectMixin, TemplateView):
    permission_required = "institutions.view_institution"
    template_name = "institutions/institution_detail.html"

    def get_permission_object(self):
        return self.get_object()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = self.get_object()
        context.update(
            institution=institution,
            status_changes=institution.status_changes.select_related("changed_by"),
            can_manage=self.request.user.has_perm("institutions.change_institution",
                                                  institution),
        )
        return context


class InstitutionCreateView(RulesPermissionMixin, FormView):
    permission_required = "institutions.manage_registry"
    template_name = "institutions/institution_form.html"
    form_class = InstitutionForm

    def form_valid(self, form):
        try:
            institution = institution_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Institution “%(name)s” was registered.")
                         % {"name": institution.name})
        return redirect("institutions:detail", pk=institution.pk)


class InstitutionUpdateView(InstitutionObjectMixin, FormView):
    permission_required = "institutions.change_institution"
    template_name = "institutions/institution_form.html"
    form_class = InstitutionForm

    def get_permission_object(self):
        return self.get_object()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_object()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(institution=self.get_object(), **kwargs)

    def form_valid(self, form):
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if changed:
            try:
                institution_update(institution=self.get_object(), actor=self.request.user,
                                   **changed)
            except ValidationError as exc:
                form.add_error(None, exc)
                return self.form_invalid(form)
            messages.success(self.request, _("The changes were saved."))
        else:
            messages.info(self.request, _("Nothing was changed."))
        return redirect("institutions:detail", pk=self.get_object().pk)


class InstitutionStatusView(InstitutionObjectMixin, FormView):
    """Change a filing status, with a reason and an explicit confirmation (irreversible for
    the institution until restored with another recorded change)."""

    permission_required = "institutions.change_status_institution"
    template_name = "institutions/institution_status.html"
    form_class = InstitutionStatusForm

    def get_permission_object(self):
        return self.get_object()

    def get_initial(self):
        return {"effective_on": timezone.localdate()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "institution": self.get_object()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(institution=self.get_object(), **kwargs)

    def form_valid(self, form):
        institution = self.get_object()
        try:
            change = institution_change_status(
                institution=institution, to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"], actor=self.request.user,
                effective_on=form.cleaned_data["effective_on"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("The filing status of “%(name)s” is now “%(status)s”.")
                         % {"name": institution.name,
                            "status": change.get_to_status_display()})
        return redirect(reverse("institutions:detail", kwargs={"pk": institution.pk}))
