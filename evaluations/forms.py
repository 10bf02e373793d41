from crispy_forms.helper import FormHelper
from django import forms

from .models import PolicyVersion


class PolicyVersionForm(forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = ["name", "document_number", "effective_date", *PolicyVersion.PARAMETER_FIELDS,
                  "notes"]
        widgets = {
            "effective_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
