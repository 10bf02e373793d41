from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Excel and PDF output, and the public notices (stage 5)."""

    name = "reports"
    verbose_name = _("Reports and notices")
