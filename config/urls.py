from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

from institutions.forms import QueuedPasswordResetForm
from institutions.views.audit import AuditLogExportView, AuditLogView
from institutions.views.home import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # Django's page, whose e-mail goes through the queue: a known address and an unknown one
    # answer alike and as fast (institutions.services.accounts.password_reset_request).
    path("accounts/password_reset/",
         auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("registry/", include("institutions.urls")),
    path("", include("evaluations.urls")),
    path("audit/", AuditLogView.as_view(), name="audit_log"),
    path("audit/export.xlsx", AuditLogExportView.as_view(), name="audit_log_export"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]


def ping(request) -> HttpResponse:
    """The trivial page of ``bench/bench_load.py``: it loads the session and the user, and
    nothing else, so that a page's throughput can be told as a share of the server's."""
    return HttpResponse("ok" if request.user.is_authenticated else "", content_type="text/plain")


if settings.BENCH_VIEWS:  # only for the load run, never in the product
    urlpatterns.append(path("ping/", ping, name="ping"))
