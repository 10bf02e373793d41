"""The expert pool's pages (市科技咨询专家库, R6a): the panel organiser lists, enters, edits,
suspends and reinstates experts; the city administrator reads them. Nobody else sees the pool:
experts' phone numbers and employers are not for districts or institutions."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from ..exceptions import DomainError
from ..forms.pool import (
    EmploymentFormSet,
    ExpertFilter,
    ExpertForm,
    ExpertSuspendForm,
    employment_initial,
    employments_of,
)
from ..models import Expert
from ..selectors import expert_draw_history, experts_listed
from ..services.pool import expert_create, expert_reinstate, expert_suspend, expert_update
from .mixins import RulesPermissionMixin


class ExpertListView(RulesPermissionMixin, TemplateView):
    permission_required = "institutions.view_pool"
    template_name = "institutions/expert_list.html"

    def get_context_data(self, **kwargs):
        filters = ExpertFilter(self.request.GET or None, queryset=experts_listed())
        page = Paginator(filters.qs, settings.REGISTRY_PAGE_SIZE).get_page(
            self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            filter=filters, page=page, query=query.urlencode(),
            can_manage=self.request.user.has_perm("institutions.manage_pool"), **kwargs)


class ExpertObjectMixin(RulesPermissionMixin):
    """The pool's permissions are the same for every expert: checked before the expert is
    looked up, so that a role without them gets 403 whatever the number."""

    def get_permission_object(self):
        return None

    def get_object(self) -> Expert:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                Expert.objects.select_related("user").prefetch_related("clusters",
                                                                       "employments"),
                pk=self.kwargs["pk"])
        return self._object


class ExpertDetailView(ExpertObjectMixin, TemplateView):
    permission_required = "institutions.view_pool"
    template_name = "institutions/expert_detail.html"

    def get_context_data(self, **kwargs):
        expert = self.get_object()
        history = expert_draw_history(expert)
        return super().get_context_data(
            expert=expert, can_manage=self.request.user.has_perm("institutions.manage_pool"),
            suspend_form=ExpertSuspendForm(), history=history, **kwargs)


def _add_errors(form, error: ValidationError) -> None:
    """A service's validation errors on the form's fields of the same name, the others (past
    employers among them) on the form itself."""
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields and name != NON_FIELD_ERRORS else None,
                       errors)


class ExpertFormView(RulesPermissionMixin, TemplateView):
    """Enter an expert, or edit one (``pk``): the expert's data and its past employers on one
    page; a refused save keeps everything typed."""

    permission_required = "institutions.manage_pool"
    template_name = "institutions/expert_form.html"

    def get_expert(self) -> Expert | None:
        if "pk" not in self.kwargs:
            return None
        if not hasattr(self, "_expert"):
            self._expert = get_object_or_404(Expert.objects.prefetch_related("employments"),
                                             pk=self.kwargs["pk"])
        return self._expert

    def get(self, request, *args, **kwargs):
        expert = self.get_expert()
        return self.render_to_response(self.get_context_data(
            form=ExpertForm(instance=expert),
            employments=EmploymentFormSet(
                prefix="jobs", initial=employment_initial(expert) if expert else None)))

    def post(self, request, *args, **kwargs):
        expert = self.get_expert()
        form = ExpertForm(request.POST, instance=expert)
        employments = EmploymentFormSet(request.POST, prefix="jobs")
        if form.is_valid() and employments.is_valid():
            data = form.cleaned_data
            try:
                if expert is None:
                    expert = expert_create(
                        actor=request.user, clusters=data["clusters"],
                        employments=employments_of(employments),
                        create_account=data.get("create_account", False),
                        user=data.get("user"), **form.service_fields())
                    messages.success(request, _("Expert %(expert)s was entered into the "
                                                "pool.") % {"expert": expert})
                else:
                    expert_update(expert=expert, actor=request.user, clusters=data["clusters"],
                                  employments=employments_of(employments),
                                  create_account=data.get("create_account", False),
                                  user=data.get("user"), **form.service_fields())
                    messages.success(request, _("The changes were saved."))
                return redirect("institutions:expert_detail", pk=expert.pk)
            except ValidationError as exc:
                _add_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, str(exc))
        return self.render_to_response(self.get_context_data(form=form,
                                                             employments=employments),
                                       status=200)

    def get_context_data(self, **kwargs):
        return super().get_context_data(expert=self.get_expert(), **kwargs)


class ExpertSuspendView(ExpertObjectMixin, FormView):
    """Suspend an expert, with a reason, after a confirmation: it is drawn no more."""

    permission_required = "institutions.manage_pool"
    form_class = ExpertSuspendForm
    template_name = "institutions/expert_suspend.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(expert=self.get_object(), **kwargs)

    def form_valid(self, form):
        expert = self.get_object()
        try:
            expert_suspend(expert=expert, actor=self.request.user,
                           reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Expert %(expert)s is suspended and will not be "
                                         "drawn.") % {"expert": expert})
        return redirect("institutions:expert_detail", pk=expert.pk)


class ExpertReinstateView(ExpertObjectMixin, View):
    permission_required = "institutions.manage_pool"

    def post(self, request, *args, **kwargs):
        expert = self.get_object()
        try:
            expert_reinstate(expert=expert, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Expert %(expert)s can be drawn again.")
                             % {"expert": expert})
        return redirect("institutions:expert_detail", pk=expert.pk)
