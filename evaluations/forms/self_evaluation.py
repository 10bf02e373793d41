"""Forms of the self-evaluation pages (Art 9): the answer to one indicator, evidence uploads,
the pledge and the stamped scan. They only shape the request: the services decide."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from institutions.models import Cluster, District

from ..completeness import YEARS
from ..enums import FieldKind, SubmissionStatus
from ..models import Indicator, IndicatorResponse
from ..selectors.self_evaluation import STATUSES
from ..services.uploads import EXTENSIONS
from .base import MultipleFileField


def _accept(kinds) -> str:
    """The ``accept`` attribute of a file input: a hint for the file picker only (the server
    judges the content)."""
    extensions = []
    for kind in kinds:
        extensions.append(EXTENSIONS[kind])
        if kind == "jpeg":
            extensions.append(".jpeg")
    return ",".join(extensions)


def _value_widget(kind: str) -> forms.Widget:
    # Plain text inputs for numbers: a browser's number input drops what it cannot parse,
    # and a draft must keep exactly what was typed (the completeness list names the errors).
    if kind == FieldKind.DATE:
        return forms.DateInput(attrs={"type": "date"})
    if kind == FieldKind.TEXT:
        return forms.Textarea(attrs={"rows": 2})
    mode = "numeric" if kind == FieldKind.COUNT else "decimal"
    return forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"})


class IndicatorResponseForm(forms.Form):
    """The answer to one indicator: each field for both evaluated years (Y−2, Y−1), the
    narrative, the self-assessed score and the revision the copy was loaded at."""

    narrative = forms.CharField(label=_("Narrative"), required=False, max_length=20000,
                                widget=forms.Textarea(attrs={"rows": 6}))
    self_score = forms.CharField(label=_("Self-assessed score"), required=False, max_length=20)
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput(attrs={"id": "revision"}))

    def __init__(self, *args, indicator: Indicator, response: IndicatorResponse | None,
                 period: tuple[int, int], disabled: bool = False, **kwargs) -> None:
        kwargs.setdefault("initial", self.initial_for(indicator, response))
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        self.rows = []  # [(IndicatorField, [(bound field, year), …])] for the template
        self._names: dict[str, tuple[str, str]] = {}
        for spec in indicator.fields.all():
            cells = []
            for year_key, year in zip(YEARS, period, strict=True):
                name = f"{spec.key}__{year_key}"
                self.fields[name] = forms.CharField(
                    label=f"{spec.label} {year}", required=False, max_length=2000,
                    widget=_value_widget(spec.kind))
                self._names[name] = (spec.key, year_key)
                cells.append((name, year))
            self.rows.append((spec, cells))
        self.fields["self_score"].widget = forms.NumberInput(attrs={
            "min": 0, "max": indicator.points, "step": "0.01", "inputmode": "decimal"})
        for field in self.fields.values():
            if not field.widget.is_hidden:
                field.widget.attrs.setdefault("class", "form-control")
            field.disabled = disabled

    @staticmethod
    def initial_for(indicator: Indicator, response: IndicatorResponse | None) -> dict:
        if response is None:
            return {"revision": 0}
        initial = {"narrative": response.narrative, "revision": response.revision,
                   "self_score": "" if response.self_score is None else response.self_score}
        for key, values in (response.data or {}).items():
            for year_key in YEARS:
                initial[f"{key}__{year_key}"] = (values or {}).get(year_key, "")
        return initial

    def bound_rows(self):
        return [(spec, [(self[name], year) for name, year in cells]) for spec, cells in self.rows]

    def answer_data(self) -> dict:
        """The typed values as the service takes them: {field key: {"y1": …, "y2": …}}."""
        data: dict[str, dict[str, str]] = {}
        for name, (key, year_key) in self._names.items():
            data.setdefault(key, {})[year_key] = self.cleaned_data.get(name) or ""
        return data

    def refusal(self) -> str:
        """Why the posted answer cannot be saved, naming the field: a value too long is not
        an out-of-date page. Only a missing or broken revision is."""
        for name, errors in self.errors.as_data().items():
            if name == "revision" or name not in self.fields:
                continue
            if name == "self_score":
                return gettext("The self-assessed score must be a number.")
            error = errors[0]
            if error.code == "max_length":
                return gettext("%(field)s may have at most %(limit)s characters; it has "
                               "%(length)s. Nothing was saved.") % {
                    "field": self.fields[name].label, "limit": error.params["limit_value"],
                    "length": error.params["show_value"]}
            return " ".join(str(message) for message in error.messages)
        return gettext("The page is out of date; reload it.")

    def unchanged(self, response: IndicatorResponse | None) -> bool:
        """True when the posted answer is what is stored (a save would change nothing)."""
        stored = self.initial_for(self.indicator, response)
        for name in (*self._names, "narrative"):
            if (self.cleaned_data.get(name) or "") != (stored.get(name) or ""):
                return False
        stored_score = "" if response is None or response.self_score is None \
            else str(response.self_score)
        posted = (self.cleaned_data.get("self_score") or "").strip()
        if posted == stored_score:
            return True
        try:
            return stored_score != "" and posted != "" and Decimal(posted) == Decimal(
                stored_score)
        except InvalidOperation:
            return False


class EvidenceUploadForm(forms.Form):
    files = MultipleFileField(label=_("Evidence files"))

    def __init__(self, *args, indicator: Indicator, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update({
            "accept": _accept(indicator.evidence_types), "class": "form-control"})


class PledgeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm, for the institution, the truthfulness pledge above."), required=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class ScanUploadForm(forms.Form):
    scan = forms.FileField(label=_("Stamped scan of the report"),
                           widget=forms.ClearableFileInput(attrs={
                               "accept": ".pdf,.jpg,.jpeg,.png", "class": "form-control"}))


class ProgressFilterForm(forms.Form):
    """District (city only), cluster and status of the list; choices come from rows already
    loaded, so the form costs no query of its own."""

    district = forms.TypedChoiceField(label=gettext_lazy("District"), required=False, coerce=int,
                                      empty_value=None,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    cluster = forms.TypedChoiceField(label=gettext_lazy("Industry cluster"), required=False,
                                     coerce=int, empty_value=None,
                                     widget=forms.Select(attrs={"class": "form-select"}))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data, *, districts: list[District] | None, clusters: list[Cluster]):
        super().__init__(data)
        if districts is None:
            del self.fields["district"]
        else:
            self.fields["district"].choices = [("", _("All districts")),
                                               *((d.pk, d.name) for d in districts)]
        self.fields["cluster"].choices = [("", _("All clusters")),
                                          *((c.pk, c.name) for c in clusters)]
        self.fields["status"].choices = [("", _("All statuses")),
                                         *((s, SubmissionStatus(s).label) for s in STATUSES)]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
