"""Policy versions (R13): the parameters of every rule, with the date they take effect."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from institutions.exceptions import DomainError
from institutions.rules import is_city_admin
from institutions.views.mixins import RulesPermissionMixin

from ..forms.policy import PolicyVersionForm
from ..models import PolicyVersion
from ..selectors.policy import policy_version_in_force
from ..services.policy import policy_version_create, policy_version_update


class PolicyVersionMixin(RulesPermissionMixin):
    def get_object(self) -> PolicyVersion:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(PolicyVersion, pk=self.kwargs["pk"])
        return self._object


class PolicyVersionListView(RulesPermissionMixin, TemplateView):
    permission_required = "evaluations.view_policyversion"
    template_name = "evaluations/policyversion_list.html"

    def get_context_data(self, **kwargs):
        versions = PolicyVersion.objects.all()
        in_force = policy_version_in_force()
        used = set(PolicyVersion.objects.filter(cycles__isnull=False).values_list("pk",
                                                                                   flat=True))
        return super().get_context_data(
            versions=versions, in_force=in_force, used=used,
            can_manage=is_city_admin(self.request.user), **kwargs)


class PolicyVersionDetailView(PolicyVersionMixin, TemplateView):
    permission_required = "evaluations.view_policyversion"
    template_name = "evaluations/policyversion_detail.html"

    def get_context_data(self, **kwargs):
        version = self.get_object()
        form = PolicyVersionForm(instance=version)
        parameters = [(form[name].label, getattr(version, name))
                      for name in PolicyVersion.PARAMETER_FIELDS]
        return super().get_context_data(
            version=version, parameters=parameters, cycles=version.cycles.all(),
            can_manage=is_city_admin(self.request.user), **kwargs)


class PolicyVersionCreateView(RulesPermissionMixin, FormView):
    permission_required = "evaluations.manage_policy"
    template_name = "evaluations/policyversion_form.html"
    form_class = PolicyVersionForm

    def get_initial(self):
        # Start from the version in force, so a new version differs only where it is edited.
        base = policy_version_in_force()
        if base is None:
            return {}
        return {name: getattr(base, name) for name in PolicyVersion.PARAMETER_FIELDS}

    def form_valid(self, form):
        try:
            version = policy_version_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Policy version “%(name)s” was created.")
                         % {"name": version.name})
        return redirect("evaluations:policy_detail", pk=version.pk)


class PolicyVersionUpdateView(PolicyVersionMixin, FormView):
    permission_required = "evaluations.manage_policy"
    template_name = "evaluations/policyversion_form.html"
    form_class = PolicyVersionForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_city_admin(request.user) \
                and self.get_object().is_in_use:
            messages.error(request, _("This version is used by an evaluation cycle and can no "
                                      "longer be edited; create a new version instead."))
            return redirect("evaluations:policy_detail", pk=self.get_object().pk)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_object()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(version=self.get_object(), **kwargs)

    def form_valid(self, form):
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            policy_version_update(version=self.get_object(), actor=self.request.user, **changed)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("The changes were saved."))
        return redirect("evaluations:policy_detail", pk=self.get_object().pk)


urlpatterns = [
    path("policy/", PolicyVersionListView.as_view(), name="policy_list"),
    path("policy/new/", PolicyVersionCreateView.as_view(), name="policy_create"),
    path("policy/<int:pk>/", PolicyVersionDetailView.as_view(), name="policy_detail"),
    path("policy/<int:pk>/edit/", PolicyVersionUpdateView.as_view(), name="policy_update"),
]
