"""What every stored file of the evaluation shares: a random name on disk under private
media, and the user's (sanitised) file name, type, size and digest in the database.

Files are served only through views that look the object up among the user's own
(``selectors``), never from a public URL.
"""
from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import EvidenceType, ReportStatus


def private_path(prefix: str, filename: str) -> str:
    # The stored name is random: the user's file name is kept (sanitised) in the database only,
    # so nothing a user types ever becomes part of a path on disk.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"{prefix}/{uuid.uuid4().hex}{suffix}"


def report_path(instance, filename: str) -> str:
    return private_path("reports", filename)


def scan_path(instance, filename: str) -> str:
    return private_path("scans", filename)


def attachment_path(instance, filename: str) -> str:
    return private_path("attachments", filename)


def form_token_field() -> models.CharField:
    """The one-time token of the form that created the row: a second post of the same form (a
    double click, a resent request) finds the row instead of making another."""
    return models.CharField(_("form token"), max_length=64, null=True, blank=True,
                            unique=True, editable=False)


class Attachment(models.Model):
    """A file a user attached (a visit's photos, an answer's documents, fraud evidence)."""

    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=EvidenceType.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class GeneratedPdf(models.Model):
    """A PDF made by a Celery task from content identified by ``digest``, and the stamped
    scan (盖章) of its printout; a scan of an outdated PDF is refused."""

    digest = models.CharField(_("content digest"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices,
                              default=ReportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=report_path, max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # The printed, signed and stamped (盖章) document, scanned and uploaded.
    scan = models.FileField(_("stamped scan"), upload_to=scan_path, max_length=200, blank=True)
    scan_name = models.CharField(_("scan file name"), max_length=200, blank=True)
    scan_kind = models.CharField(_("scan type"), max_length=10, choices=EvidenceType.choices,
                                 blank=True)
    scan_size = models.PositiveBigIntegerField(_("scan size (bytes)"), null=True, blank=True)
    scan_uploaded_at = models.DateTimeField(_("scan uploaded at"), null=True, blank=True)
    scan_uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="+")
    form_token = form_token_field()

    class Meta:
        abstract = True
        ordering = ["-requested_at", "-pk"]
