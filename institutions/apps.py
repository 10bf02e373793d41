from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from . import audit  # noqa: F401  (registers the models with auditlog)
