"""The indicator system of a cycle (Art 6): the list, and editing, adding and removing an
indicator and its data fields until self-evaluation opens."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from institutions.exceptions import DomainError
from institutions.rules import is_city_admin

from ..enums import (
    EvidenceType,
)
from ..forms.cycles import (
    ConfirmForm,
)
from ..forms.indicators import (
    IndicatorCreateForm,
    IndicatorFieldFormSet,
    IndicatorForm,
    field_formset_initial,
)
from ..indicator_template import DEFAULT_CATEGORY_POINTS
from ..models import Indicator, IndicatorCategory
from ..services.cycles import (
    indicator_total,
)
from ..services.indicators import indicator_create, indicator_delete, indicator_update
from .mixins import CycleMixin


class IndicatorListView(CycleMixin, TemplateView):
    permission_required = "evaluations.view_cycle"
    template_name = "evaluations/indicator_list.html"

    def get_context_data(self, **kwargs):
        cycle = self.get_cycle()
        categories = list(IndicatorCategory.objects.filter(cycle=cycle).prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("order", "code")
                     .prefetch_related("fields"))))
        for category in categories:
            category.subtotal = sum((i.points for i in category.indicators.all()), 0)
            category.default_points = DEFAULT_CATEGORY_POINTS.get(category.code)
        total = sum((c.subtotal for c in categories), 0)
        return super().get_context_data(
            categories=categories, total=total,
            editable=is_city_admin(self.request.user) and cycle.indicators_editable, **kwargs)


class IndicatorEditMixin(CycleMixin):
    """The indicator system changes only while the cycle is a draft: afterwards the city
    administrator is sent back to the (read-only) list."""

    permission_required = "evaluations.manage_cycle"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_city_admin(request.user):
            cycle = self.get_cycle()
            if not cycle.indicators_editable:
                messages.error(request, _("Self-evaluation has opened: the indicator system "
                                          "can no longer change."))
                return redirect("evaluations:cycle_indicators", year=cycle.year)
        return super().dispatch(request, *args, **kwargs)

    def get_indicator(self) -> Indicator:
        if not hasattr(self, "_indicator"):
            self._indicator = get_object_or_404(
                Indicator.objects.select_related("category"),
                category__cycle=self.get_cycle(), pk=self.kwargs["pk"])
        return self._indicator

    def fields_formset(self, indicator: Indicator | None):
        data = self.request.POST if self.request.method == "POST" else None
        return IndicatorFieldFormSet(data, initial=field_formset_initial(indicator),
                                     prefix="fields")

    def done(self, text: str):
        messages.success(self.request, text)
        return redirect("evaluations:cycle_indicators", year=self.get_cycle().year)


class IndicatorUpdateView(IndicatorEditMixin, FormView):
    template_name = "evaluations/indicator_form.html"
    form_class = IndicatorForm

    def get_object(self):
        return self.get_indicator()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_indicator()}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.fields_formset(self.get_indicator()))
        return super().get_context_data(indicator=self.get_indicator(),
                                        total=indicator_total(self.get_cycle()), **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        formset = self.fields_formset(self.get_indicator())
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        changes = {name: form.cleaned_data[name] for name in IndicatorForm.Meta.fields}
        try:
            indicator = indicator_update(indicator=self.get_indicator(), actor=request.user,
                                         fields=formset.changes(), **changes)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        return self.done(_("Indicator %(code)s was saved.") % {"code": indicator.code})


class IndicatorCreateView(IndicatorEditMixin, FormView):
    template_name = "evaluations/indicator_form.html"
    form_class = IndicatorCreateForm

    def get_initial(self):
        return {"points": 0, "evidence_required": True,
                "evidence_types": list(EvidenceType.values)}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cycle": self.get_cycle()}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.fields_formset(None))
        return super().get_context_data(total=indicator_total(self.get_cycle()), **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        formset = self.fields_formset(None)
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        data = form.cleaned_data
        try:
            indicator = indicator_create(
                category=data["category"], code=data["code"], name=data["name"],
                points=data["points"], help_text=data["help_text"],
                evidence_required=data["evidence_required"],
                evidence_types=data["evidence_types"], fields=formset.changes(),
                actor=request.user)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        return self.done(_("Indicator %(code)s was added.") % {"code": indicator.code})


class IndicatorDeleteView(IndicatorEditMixin, FormView):
    template_name = "evaluations/indicator_confirm_delete.html"
    form_class = ConfirmForm

    def get_object(self):
        return self.get_indicator()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(),
                "label": _("Remove this indicator and the data it asks for.")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(indicator=self.get_indicator(), **kwargs)

    def form_valid(self, form):
        indicator = self.get_indicator()
        try:
            indicator_delete(indicator=indicator, actor=self.request.user)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        return self.done(_("Indicator %(code)s was removed.") % {"code": indicator.code})


urlpatterns = [
    path("cycles/<int:year>/indicators/", IndicatorListView.as_view(),
         name="cycle_indicators"),
    path("cycles/<int:year>/indicators/new/", IndicatorCreateView.as_view(),
         name="cycle_indicator_create"),
    path("cycles/<int:year>/indicators/<int:pk>/edit/", IndicatorUpdateView.as_view(),
         name="cycle_indicator_update"),
    path("cycles/<int:year>/indicators/<int:pk>/delete/", IndicatorDeleteView.as_view(),
         name="cycle_indicator_delete"),
]
