"""The registry (Art 2, 3, 15): districts, industry clusters, filed institutions and accounts."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin

from .. import rules as perms
from ..enums import (
    INSTITUTION_ROLES,
    ClusterGroup,
    DistrictKind,
    FilingStatus,
    OutboxStatus,
    Role,
)
from ..validators import validate_credit_code


class District(models.Model):
    """A county-level division or functional zone whose science bureau does the preliminary
    review (Art 10). The 13 of domain.md are loaded by a data migration."""

    code = models.CharField(_("division code"), max_length=6, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DistrictKind.choices)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Cluster(models.Model):
    """One of the ten "343" innovation industry clusters (Art 3)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    group = models.CharField(_("group"), max_length=20, choices=ClusterGroup.choices)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("industry cluster")
        verbose_name_plural = _("industry clusters")

    def __str__(self) -> str:
        return self.name


class Institution(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A new-type R&D institution filed (备案) with the city science bureau (Art 2).

    ``status`` is written only by ``services.institution_change_status`` (R2, R12).
    """

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True,
        validators=[validate_credit_code],
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, verbose_name=_("district"),
                                 related_name="institutions")
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT,
                                verbose_name=_("industry cluster"), related_name="institutions")
    filing_date = models.DateField(_("filing date"), db_index=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50)
    contact_person = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(_("filing status"), max_length=20, choices=FilingStatus.choices,
                              default=FilingStatus.ACTIVE, db_index=True, editable=False)
    status_changed_on = models.DateField(_("status changed on"), null=True, blank=True,
                                         editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["district__sort_order", "name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        indexes = [models.Index(fields=["district", "status"]), models.Index(fields=["name"])]
        rules_permissions = {
            "view": perms.can_view_institution,
            "add": perms.is_city_admin,
            "change": perms.is_city_admin,
            "delete": perms.is_city_admin,
            "change_status": perms.is_city_admin,
        }

    def __str__(self) -> str:
        return self.name

    @property
    def filing_year(self) -> int:
        """The filing year drives the cohort (R1)."""
        return self.filing_date.year


class InstitutionStatusChange(models.Model):
    """One dated entry of an institution's filing-status history, with its reason."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE,
                                    related_name="status_changes",
                                    verbose_name=_("institution"))
    from_status = models.CharField(_("from"), max_length=20, choices=FilingStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=FilingStatus.choices)
    effective_on = models.DateField(_("effective date"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("filing status change")
        verbose_name_plural = _("filing status changes")

    def __str__(self) -> str:
        return f"{self.institution}: {self.from_status} → {self.to_status}"


class User(AbstractUser):
    """An account with one role (domain.md), bound to its scope: an institution account to one
    institution, a district account to one district."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="users", verbose_name=_("institution"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="users", verbose_name=_("district"))

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.role in INSTITUTION_ROLES and self.institution_id is None:
            raise ValidationError({"institution": _("An institution account needs its "
                                                    "institution.")})
        if self.role not in INSTITUTION_ROLES and self.institution_id is not None:
            raise ValidationError({"institution": _("Only institution accounts are bound to an "
                                                    "institution.")})
        if self.role == Role.DISTRICT_REVIEWER and self.district_id is None:
            raise ValidationError({"district": _("A district reviewer needs a district.")})
        if self.role != Role.DISTRICT_REVIEWER and self.district_id is not None:
            raise ValidationError({"district": _("Only district reviewers are bound to a "
                                                 "district.")})


class Notification(models.Model):
    """An in-app message to one user (also sent by e-mail when the user has an address)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject


class OutboxMessage(models.Model):
    """A side effect of a committed action (a Celery task to queue: a PDF to render, e-mails
    to send), written in the same transaction as the action so that a broker outage loses
    nothing: ``institutions.services.outbox`` hands it to the broker after the commit and again,
    with backoff, until the broker takes it.

    Plumbing, not a user's write: it is not in the audit trail.
    """

    # The dotted name of the Celery task (``evaluations.tasks.render_self_evaluation_report``).
    kind = models.CharField(_("kind"), max_length=120)
    payload = models.JSONField(_("payload"), default=dict, blank=True)  # the task's kwargs
    # One row per side effect: the same effect queued twice is queued once.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices,
                              default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="outbox_due_idx")]

    def __str__(self) -> str:
        return self.dedupe_key


class AuditScope(models.Model):
    """Whom an audit-log entry concerns: the cycle, district and institution of the record it
    is about, stored when the entry is written (``institutions.audit``), so that the trail is
    filtered and scoped by indexed joins rather than by reading every record it names; and the
    names of the rows its foreign keys pointed to, as they were then.

    The ids have no database constraint: the trail outlives a deleted institution or cycle.
    """

    entry = models.OneToOneField("auditlog.LogEntry", on_delete=models.CASCADE,
                                 primary_key=True, related_name="scope")
    cycle = models.ForeignKey("evaluations.Cycle", on_delete=models.DO_NOTHING,
                              db_constraint=False, null=True, blank=True, related_name="+",
                              verbose_name=_("evaluation cycle"))
    district = models.ForeignKey(District, on_delete=models.DO_NOTHING, db_constraint=False,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("district"))
    institution = models.ForeignKey(Institution, on_delete=models.DO_NOTHING,
                                    db_constraint=False, null=True, blank=True,
                                    related_name="+", verbose_name=_("institution"))
    # {"names": {"app_label.model": {"pk": "name"}}, …}: see ``audit.registry.entry_names``.
    names = models.JSONField(_("names"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit scope")
        verbose_name_plural = _("audit scopes")

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.cycle_id}/{self.district_id}/{self.institution_id}"
