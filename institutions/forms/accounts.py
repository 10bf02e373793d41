"""Forms of the account pages: the filtered list, a new account, a cohort's administrators."""
from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.sites.shortcuts import get_current_site
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evaluations.models import Cycle

from ..enums import INSTITUTION_ROLES, Role
from ..models import District, Institution, User
from ..rules import account_roles_creatable, is_city_admin
from ..services.accounts import password_reset_request
from ..validators import normalise_credit_code

ACTIVE_CHOICES = [("", _("Active and deactivated")), ("1", _("Active only")),
                  ("0", _("Deactivated only"))]


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "placeholder": _("User name, name or e-mail"), "class": "form-control"}))
    role = forms.ChoiceField(label=pgettext_lazy("account", "Role"), required=False,
                             choices=[("", _("All roles")), *Role.choices],
                             widget=forms.Select(attrs={"class": "form-select"}))
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.all(),
                                      required=False, empty_label=_("All districts"),
                                      widget=forms.Select(attrs={"class": "form-select"}))
    institution = forms.CharField(label=_("Institution"), required=False,
                                  widget=forms.TextInput(attrs={
                                      "placeholder": _("Name or credit code"),
                                      "class": "form-control"}))
    active = forms.ChoiceField(label=_("Account status"), required=False,
                               choices=ACTIVE_CHOICES,
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, every_account: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not every_account:  # an institution administrator sees its own filers only
            for name in ("role", "district", "institution"):
                del self.fields[name]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "role": data.get("role") or "",
            "district": data["district"].pk if data.get("district") else None,
            "institution": data.get("institution") or "",
            "active": {"1": True, "0": False}.get(data.get("active") or ""),
        }


class AccountCreateForm(forms.Form):
    """A new account. The city administrator chooses the role and binds it to a district or
    an institution (found by its credit code, the registry being too long for a list); an
    institution administrator creates filers of its own institution and chooses neither."""

    username = User._meta.get_field("username").formfield(label=_("User name"))
    full_name = forms.CharField(label=_("Full name"), max_length=50)
    email = forms.EmailField(label=_("E-mail"),
                             help_text=_("The link to set the password is sent here."))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    role = forms.ChoiceField(label=pgettext_lazy("account", "Role"))
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.all(),
                                      required=False,
                                      help_text=_("District reviewers only."))
    # Longer than the 18 characters stored: codes are often pasted with spaces or hyphens.
    institution = forms.CharField(label=_("Institution (unified social credit code)"),
                                  max_length=40, required=False,
                                  help_text=_("Institution administrators and filers only."))

    # What kind of account first, then whose.
    field_order = ["role", "district", "institution", "username", "full_name", "email", "phone"]

    def __init__(self, *args, actor: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if is_city_admin(actor):
            roles = account_roles_creatable(actor)
            self.fields["role"].choices = [("", "---------")] + [
                (value, label) for value, label in Role.choices if value in roles]
        else:
            for name in ("role", "district", "institution"):
                del self.fields[name]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This user name is taken."))
        return username

    def clean_institution(self) -> Institution | None:
        code = normalise_credit_code(self.cleaned_data.get("institution") or "")
        if not code:
            return None
        try:
            return Institution.objects.get(credit_code=code)
        except Institution.DoesNotExist:
            raise forms.ValidationError(
                _("No institution of the registry has this credit code.")) from None

    def clean(self) -> dict:
        data = super().clean()
        role = data.get("role")
        if role == Role.DISTRICT_REVIEWER and not data.get("district"):
            self.add_error("district", _("A district reviewer needs a district."))
        if role in INSTITUTION_ROLES and not data.get("institution") \
                and "institution" not in self.errors:
            self.add_error("institution", _("An institution account needs its institution."))
        return data


class InstitutionAdminBulkForm(forms.Form):
    """A cycle's cohort (R1), of one district or all, whose institutions get an administrator
    account each; ``confirm`` is asked on the confirmation page that creates them."""

    cycle = forms.ModelChoiceField(label=_("Evaluation cycle"), queryset=Cycle.objects.all(),
                                   empty_label=None,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.all(),
                                      required=False, empty_label=_("All districts"),
                                      widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, confirming: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if confirming:
            self.fields["confirm"] = forms.BooleanField(label=_(
                "I have checked the list; create these accounts and e-mail their links."))


class QueuedPasswordResetForm(PasswordResetForm):
    """The login page's "forgot your password?": Django's form, whose save queues the
    e-mail (``services.accounts.password_reset_request``) instead of looking the accounts
    up and sending it during the request."""

    def save(self, domain_override=None, use_https=False, request=None, **kwargs) -> None:
        domain = domain_override or get_current_site(request).domain
        password_reset_request(email=self.cleaned_data["email"], domain=domain,
                               use_https=use_https)
