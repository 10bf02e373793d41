"""Account management (domain.md): the city administrator manages every account, an institution
administrator the filers of its own institution. Another institution's account is a 404, like
a missing one; a page the role may not use is a 403."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import FormView, TemplateView

from reports.excel import xlsx_response

from ..account_exporters import institution_admin_logins_workbook
from ..enums import Role
from ..exceptions import DomainError
from ..forms import AccountCreateForm, AccountFilterForm, InstitutionAdminBulkForm
from ..rules import is_city_admin
from ..selectors import (
    account_attempts,
    account_search,
    accounts_for_user,
    cohort_institutions,
    institution_admin_logins,
    institution_admin_plan,
    login_failure_limit,
)
from ..services import (
    account_create,
    account_deactivate,
    account_password_reset,
    account_reactivate,
    account_unlock,
    institution_admins_bulk_create,
)
from ..services.accounts import admin_username
from .mixins import RulesPermissionMixin

PAGE_SIZE = 25


def _add_errors(form, error: ValidationError) -> None:
    """Put a model's validation errors on the form's fields of the same name, the others on
    the form itself."""
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields and name != NON_FIELD_ERRORS else None,
                       errors)


class AccountListView(RulesPermissionMixin, TemplateView):
    permission_required = "institutions.manage_accounts"
    template_name = "institutions/account_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = AccountFilterForm(self.request.GET or None, every_account=is_city_admin(user))
        accounts = account_search(accounts_for_user(user), **form.filters())
        page = Paginator(accounts, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page=page, query=query.urlencode(),
                       every_account=is_city_admin(user),
                       can_bulk_create=user.has_perm("institutions.bulk_create_accounts"))
        return context


class AccountCreateView(RulesPermissionMixin, FormView):
    """A new account; its user gets a link to set the password by e-mail."""

    permission_required = "institutions.manage_accounts"
    template_name = "institutions/account_form.html"
    form_class = AccountCreateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        data = form.cleaned_data
        if is_city_admin(user):
            scope = {"role": data["role"], "institution": data.get("institution"),
                     "district": data.get("district")}
        else:
            scope = {"role": Role.INSTITUTION_FILER, "institution": user.institution}
        try:
            account = account_create(actor=user, username=data["username"],
                                     email=data["email"], full_name=data["full_name"],
                                     phone=data.get("phone", ""), **scope)
        except DomainError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        except ValidationError as exc:
            _add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _(
            "The account %(username)s was created. A link to set its password was e-mailed to "
            "%(email)s.") % {"username": account.username, "email": account.email})
        return redirect("institutions:account_detail", pk=account.pk)


class AccountObjectMixin(RulesPermissionMixin):
    """One account, looked up among those the user manages. The page's own permission comes
    first (403 for a role that has no account pages), then the lookup (404 outside the
    user's scope, like a missing account), then the permission on the account (403)."""

    page_permission = "institutions.manage_accounts"
    permission_required = "institutions.manage_accounts"

    def has_permission(self):
        if not self.request.user.has_perm(self.page_permission):
            return False
        return super().has_permission()

    def get_permission_object(self):
        return self.get_object()

    def get_object(self):
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(accounts_for_user(self.request.user),
                                             pk=self.kwargs["pk"])
        return self._object


class AccountDetailView(AccountObjectMixin, TemplateView):
    """The account, its last log-in and the failed log-ins django-axes holds for it."""

    template_name = "institutions/account_detail.html"

    def get_context_data(self, **kwargs):
        account = self.get_object()
        user = self.request.user
        return super().get_context_data(
            account=account, attempts=account_attempts(account),
            failure_limit=login_failure_limit(),
            can_change=user.has_perm("institutions.change_account", account),
            can_unlock=user.has_perm("institutions.unlock_account") and account.failed_logins > 0,
            **kwargs)


class AccountActionView(AccountObjectMixin, TemplateView):
    """An action on one account: GET asks for the confirmation, POST does it (one service)
    and goes back to the account with a message."""

    permission_required = "institutions.change_account"
    template_name = "institutions/account_confirm.html"
    title = ""
    question = ""
    button = ""
    button_class = "btn-primary"

    def act(self, account):
        raise NotImplementedError

    def success_message(self, account, result) -> str:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        account = self.get_object()
        return super().get_context_data(
            account=account, title=self.title,
            question=self.question % {"username": account.username, "email": account.email},
            button=self.button, button_class=self.button_class, **kwargs)

    def post(self, request, *args, **kwargs):
        account = self.get_object()
        try:
            result = self.act(account)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, self.success_message(account, result))
        return redirect("institutions:account_detail", pk=account.pk)


class AccountDeactivateView(AccountActionView):
    title = gettext_lazy("Deactivate the account")
    question = gettext_lazy("Deactivate the account %(username)s? It can no longer log in "
                            "and its open sessions end. Its records stay; you can reactivate "
                            "it later.")
    button = gettext_lazy("Deactivate")
    button_class = "btn-danger"

    def act(self, account):
        return account_deactivate(actor=self.request.user, account=account)

    def success_message(self, account, result) -> str:
        return _("The account %(username)s is deactivated.") % {"username": account.username}


class AccountReactivateView(AccountActionView):
    title = gettext_lazy("Reactivate the account")
    question = gettext_lazy("Reactivate the account %(username)s? It can log in again with "
                            "its password.")
    button = gettext_lazy("Reactivate")

    def act(self, account):
        return account_reactivate(actor=self.request.user, account=account)

    def success_message(self, account, result) -> str:
        return _("The account %(username)s is active again.") % {"username": account.username}


class AccountPasswordResetView(AccountActionView):
    title = gettext_lazy("Reset the password")
    question = gettext_lazy("Reset the password of %(username)s? The current password stops "
                            "working at once, and a one-time link to set a new one is e-mailed "
                            "to %(email)s.")
    button = gettext_lazy("Reset the password")
    button_class = "btn-warning"

    def act(self, account):
        return account_password_reset(actor=self.request.user, account=account)

    def success_message(self, account, result) -> str:
        return _("The password of %(username)s is reset; a link to set a new one was e-mailed "
                 "to %(email)s.") % {"username": account.username, "email": account.email}


class AccountUnlockView(AccountActionView):
    page_permission = "institutions.unlock_account"
    permission_required = "institutions.unlock_account"
    title = gettext_lazy("Unlock the account")
    question = gettext_lazy("Unlock %(username)s? Its failed log-ins are forgotten and it can "
                            "log in again at once, from every computer.")
    button = gettext_lazy("Unlock")

    def act(self, account):
        return account_unlock(actor=self.request.user, account=account)

    def success_message(self, account, result) -> str:
        return _("The account %(username)s is unlocked.") % {"username": account.username}


class InstitutionAdminBulkCreateView(RulesPermissionMixin, TemplateView):
    """Administrator accounts for a cycle's cohort: choose the cohort, check the list of who
    gets one and who is skipped and why, confirm. Afterwards the same page shows the cohort
    again (everyone now has an administrator) with the Excel list of the logins."""

    permission_required = "institutions.bulk_create_accounts"
    template_name = "institutions/account_bulk.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        form = form or InstitutionAdminBulkForm(self.request.GET or None)
        context["form"] = form
        if form.is_bound and form.is_valid():
            cycle, district = form.cleaned_data["cycle"], form.cleaned_data.get("district")
            plan = institution_admin_plan(cohort_institutions(cycle, district))
            context.update(
                plan=plan, cycle=cycle, district=district,
                to_create=[(i, admin_username(i)) for i in plan.to_create],
                confirm_form=InstitutionAdminBulkForm(
                    initial={"cycle": cycle, "district": district}, confirming=True),
                query=_cohort_query(cycle, district))
        return context

    def post(self, request, *args, **kwargs):
        form = InstitutionAdminBulkForm(request.POST, confirming=True)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        cycle, district = form.cleaned_data["cycle"], form.cleaned_data.get("district")
        try:
            result = institution_admins_bulk_create(
                actor=request.user, institutions=cohort_institutions(cycle, district))
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            skipped = len(result.without_email) + len(result.with_admin) \
                + len(result.username_taken)
            messages.success(request, ngettext(
                "Created %(count)d administrator account and e-mailed its link; %(skipped)d "
                "institutions skipped.",
                "Created %(count)d administrator accounts and e-mailed their links; "
                "%(skipped)d institutions skipped.",
                len(result.created)) % {"count": len(result.created), "skipped": skipped})
            for institution, username in result.username_taken:
                messages.warning(request, _(
                    "%(institution)s was skipped: the user name %(username)s belongs to another "
                    "account.") % {"institution": institution.name, "username": username})
        return redirect(f"{reverse('institutions:account_bulk_create')}?"
                        f"{_cohort_query(cycle, district)}")


class InstitutionAdminLoginsExportView(RulesPermissionMixin, View):
    """The administrator accounts of a cohort as a workbook: user name, institution, credit
    code, e-mail (never a password: each user sets their own from the e-mailed link)."""

    permission_required = "institutions.bulk_create_accounts"

    def get(self, request, *args, **kwargs):
        form = InstitutionAdminBulkForm(request.GET)
        if not form.is_valid():
            return redirect("institutions:account_bulk_create")
        cycle, district = form.cleaned_data["cycle"], form.cleaned_data.get("district")
        accounts = institution_admin_logins(cohort_institutions(cycle, district))
        filename = f"institution-admins-{cycle.year}-{timezone.localdate():%Y-%m-%d}.xlsx"
        return xlsx_response(institution_admin_logins_workbook(accounts), filename)


def _cohort_query(cycle, district) -> str:
    return urlencode({"cycle": cycle.pk, **({"district": district.pk} if district else {})})
