"""The user's in-app notifications: the list, and marking one or all of them read."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from ..models import Notification
from ..notifications import notification_mark_read

PAGE_SIZE = 25


class NotificationMixin(LoginRequiredMixin):
    """Every account has notifications; each sees only its own (another user's is a 404)."""

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)


class NotificationListView(NotificationMixin, TemplateView):
    template_name = "institutions/notification_list.html"

    def get_context_data(self, **kwargs):
        page = Paginator(self.get_queryset(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, **kwargs)


class NotificationReadView(NotificationMixin, View):
    """Mark one notification read; with ``open`` in the form, follow its link as well."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        note = get_object_or_404(self.get_queryset(), pk=pk)
        notification_mark_read(user=request.user, notification_id=note.pk)
        if request.POST.get("open") and note.url and url_has_allowed_host_and_scheme(
                note.url, allowed_hosts={request.get_host()},
                require_https=request.is_secure()):
            return redirect(note.url)
        return redirect("institutions:notifications")


class NotificationReadAllView(NotificationMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        count = notification_mark_read(user=request.user)
        if count:
            messages.success(request, _("All notifications are marked read."))
        return redirect("institutions:notifications")
