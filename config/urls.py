from django.contrib import admin
from django.urls import include, path

from institutions.views.audit import AuditLogExportView, AuditLogView
from institutions.views.home import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("registry/", include("institutions.urls")),
    path("", include("evaluations.urls")),
    path("audit/", AuditLogView.as_view(), name="audit_log"),
    path("audit/export.xlsx", AuditLogExportView.as_view(), name="audit_log_export"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
