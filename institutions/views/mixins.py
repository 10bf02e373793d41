from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404
from rules.contrib.views import PermissionRequiredMixin

from ..selectors import institutions_for_user


class RulesPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Anonymous visitors go to the login page; a logged-in user without the permission gets
    403 (never a redirect loop to the login page)."""

    raise_exception = True

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return redirect_to_login(self.request.get_full_path(), self.get_login_url(),
                                     self.get_redirect_field_name())
        return super().handle_no_permission()


class InstitutionObjectMixin(RulesPermissionMixin):
    """Looks the institution up among those the user may see: another district's or another
    institution's record is a 404, exactly like a missing one."""

    def get_object(self, queryset=None):
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(institutions_for_user(self.request.user),
                                             pk=self.kwargs["pk"])
        return self._object
