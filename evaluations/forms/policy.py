"""The form of a policy version (R13)."""
from django import forms

from ..models import PolicyVersion
from .base import CrispyMixin, date_input


class PolicyVersionForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = ["name", "document_number", "effective_date", *PolicyVersion.PARAMETER_FIELDS,
                  "notes"]
        widgets = {
            "effective_date": date_input(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._helper()
