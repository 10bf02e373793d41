"""Choices of the registry (Art 2, 3, 15) and of the accounts bound to it (domain.md)."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DistrictKind(models.TextChoices):
    DISTRICT = "district", pgettext_lazy("district kind", "District")
    COUNTY = "county", pgettext_lazy("district kind", "County")
    COUNTY_CITY = "county_city", _("County-level city")
    FUNCTIONAL_ZONE = "functional_zone", _("Functional zone")


class ClusterGroup(models.TextChoices):
    """The "343" innovation industry clusters of Art 3: 3 leading, 4 emerging, 3 distinctive."""

    LEADING = "leading", _("Leading cluster")
    EMERGING = "emerging", _("Emerging cluster")
    DISTINCTIVE = "distinctive", _("Distinctive cluster")


class FilingStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("filing status", "Active")
    ABANDONED = "abandoned", _("Abandoned (did not participate)")  # R2, Art 15
    CANCELLED = "cancelled", _("Cancelled")  # R12, Art 15


class Role(models.TextChoices):
    INSTITUTION_FILER = "institution_filer", _("Institution filer")
    INSTITUTION_ADMIN = "institution_admin", _("Institution administrator")
    DISTRICT_REVIEWER = "district_reviewer", _("District reviewer")
    CITY_ADMIN = "city_admin", _("City administrator")
    PANEL_ORGANISER = "panel_organiser", _("Panel organiser")
    EXPERT = "expert", _("Expert")


INSTITUTION_ROLES = frozenset({Role.INSTITUTION_FILER, Role.INSTITUTION_ADMIN})


class OutboxStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("outbox status", "Pending")
    SENT = "sent", pgettext_lazy("outbox status", "Sent")
    FAILED = "failed", pgettext_lazy("outbox status", "Failed")


# --- The expert pool (R6a) ---------------------------------------------------------------------

class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class TitleLevel(models.TextChoices):
    """Levels of a professional title (职称), highest first."""

    FULL_SENIOR = "full_senior", _("Full senior title")
    ASSOCIATE_SENIOR = "associate_senior", _("Associate senior title")
    INTERMEDIATE = "intermediate", _("Intermediate title")
    JUNIOR = "junior", _("Junior title")


# Rank of each level: a higher number is a higher title.
TITLE_RANK = {TitleLevel.JUNIOR: 1, TitleLevel.INTERMEDIATE: 2,
              TitleLevel.ASSOCIATE_SENIOR: 3, TitleLevel.FULL_SENIOR: 4}


class ExpertStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("expert status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("expert status", "Suspended")
