from django.urls import path

from .views import accounts, notifications, pool, registry, transfer

app_name = "institutions"

urlpatterns = [
    path("", registry.InstitutionListView.as_view(), name="list"),
    path("new/", registry.InstitutionCreateView.as_view(), name="create"),
    path("mine/", registry.InstitutionMineView.as_view(), name="mine"),
    path("<int:pk>/", registry.InstitutionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", registry.InstitutionUpdateView.as_view(), name="update"),
    path("<int:pk>/status/", registry.InstitutionStatusView.as_view(), name="status"),
    path("import/", transfer.RegistryImportView.as_view(), name="import"),
    path("import/template.xlsx", transfer.RegistryImportTemplateView.as_view(),
         name="import_template"),
    path("export.xlsx", transfer.RegistryExportView.as_view(), name="export"),
    # The expert pool (R6a), beside the registry.
    path("experts/", pool.ExpertListView.as_view(), name="expert_list"),
    path("experts/new/", pool.ExpertFormView.as_view(), name="expert_create"),
    path("experts/<int:pk>/", pool.ExpertDetailView.as_view(), name="expert_detail"),
    path("experts/<int:pk>/edit/", pool.ExpertFormView.as_view(), name="expert_update"),
    path("experts/<int:pk>/suspend/", pool.ExpertSuspendView.as_view(), name="expert_suspend"),
    path("experts/<int:pk>/reinstate/", pool.ExpertReinstateView.as_view(),
         name="expert_reinstate"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", notifications.NotificationReadView.as_view(),
         name="notification_read"),
    path("notifications/read-all/", notifications.NotificationReadAllView.as_view(),
         name="notifications_read_all"),
    path("accounts/", accounts.AccountListView.as_view(), name="account_list"),
    path("accounts/new/", accounts.AccountCreateView.as_view(), name="account_create"),
    path("accounts/<int:pk>/", accounts.AccountDetailView.as_view(), name="account_detail"),
    path("accounts/<int:pk>/deactivate/", accounts.AccountDeactivateView.as_view(),
         name="account_deactivate"),
    path("accounts/<int:pk>/reactivate/", accounts.AccountReactivateView.as_view(),
         name="account_reactivate"),
    path("accounts/<int:pk>/reset-password/", accounts.AccountPasswordResetView.as_view(),
         name="account_password_reset"),
    path("accounts/<int:pk>/unlock/", accounts.AccountUnlockView.as_view(),
         name="account_unlock"),
    path("accounts/institution-admins/", accounts.InstitutionAdminBulkCreateView.as_view(),
         name="account_bulk_create"),
    path("accounts/institution-admins/logins.xlsx",
         accounts.InstitutionAdminLoginsExportView.as_view(), name="account_bulk_export"),
]
