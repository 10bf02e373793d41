from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from . import audit  # registers the registry's models with auditlog

        # The scope of every entry, and logins, failed logins and lockouts.
        audit.connect()
