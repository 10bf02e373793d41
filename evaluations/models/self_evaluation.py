"""Stage 1, self-evaluation (Art 9): each invited institution's report, its answers per
indicator, evidence files, submitted versions, deadline extensions and generated PDFs."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from institutions.models import Institution

from ..enums import EvidenceType, SubmissionStatus
from .cycles import Cycle
from .files import (  # noqa: F401 (migrations)
    GeneratedPdf,
    form_token_field,
    private_path,
    report_path,
    scan_path,
)
from .indicators import Indicator


def evidence_path(instance, filename: str) -> str:
    return private_path("evidence", filename)


class Submission(models.Model):
    """An invited institution's self-evaluation in a cycle (one per institution and cycle).

    Created for every institution of the cohort (R1) when self-evaluation opens. ``status`` is
    written only by the services of ``services.self_evaluation``.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="submissions",
                              verbose_name=_("evaluation cycle"))
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="submissions", verbose_name=_("institution"))
    # Copied when invited, so a later move to another district does not move the report.
    district = models.ForeignKey("institutions.District", on_delete=models.PROTECT,
                                 related_name="submissions", verbose_name=_("district"))
    cluster = models.ForeignKey("institutions.Cluster", on_delete=models.PROTECT,
                                related_name="submissions", verbose_name=_("industry cluster"))
    status = models.CharField(_("status"), max_length=20, choices=SubmissionStatus.choices,
                              default=SubmissionStatus.NOT_STARTED, editable=False,
                              db_index=True)
    deadline = models.DateField(_("deadline"), help_text=_("The stage's closing date unless "
                                                          "an extension was granted."))
    pledge_accepted_at = models.DateTimeField(_("pledge confirmed at"), null=True, blank=True,
                                              editable=False)
    pledge_accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                           null=True, blank=True, related_name="+",
                                           editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True,
                                        editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["cycle", "district__sort_order", "institution__name"]
        constraints = [models.UniqueConstraint(fields=["cycle", "institution"],
                                               name="one_submission_per_institution_cycle")]
        indexes = [models.Index(fields=["cycle", "district", "status"])]
        verbose_name = _("self-evaluation")
        verbose_name_plural = _("self-evaluations")

    def __str__(self) -> str:
        return f"{self.cycle} · {self.institution}"

    @property
    def is_locked(self) -> bool:
        return self.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.NOT_PARTICIPATING)


class IndicatorResponse(models.Model):
    """The institution's answer to one indicator: typed data for the two evaluated years,
    a narrative and a self-assessed score. ``revision`` guards against two tabs overwriting
    each other silently."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="responses", verbose_name=_("self-evaluation"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="responses",
                                  verbose_name=_("indicator"))
    # {field key: {"y1": value for Y−2, "y2": value for Y−1}} as entered (strings).
    data = models.JSONField(_("data"), default=dict, blank=True)
    narrative = models.TextField(_("narrative"), blank=True)
    self_score = models.DecimalField(_("self-assessed score"), max_digits=5, decimal_places=2,
                                     null=True, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+", editable=False)

    class Meta:
        ordering = ["submission", "indicator__category__order", "indicator__order"]
        constraints = [models.UniqueConstraint(fields=["submission", "indicator"],
                                               name="one_response_per_indicator")]
        verbose_name = _("indicator answer")
        verbose_name_plural = _("indicator answers")

    def __str__(self) -> str:
        return f"{self.submission} · {self.indicator.code}"


class EvidenceFile(models.Model):
    """One evidence file of an answer, stored under private media and served only through a
    view that checks the viewer's right to the submission."""

    response = models.ForeignKey(IndicatorResponse, on_delete=models.CASCADE,
                                 related_name="evidence", verbose_name=_("indicator answer"))
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=EvidenceType.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["response", "uploaded_at", "pk"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name


class SubmissionVersion(models.Model):
    """An immutable submitted version of a report: the snapshot of every answer and evidence
    file at submission, with the stamped scan (盖章) of the generated PDF."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="versions", verbose_name=_("self-evaluation"))
    number = models.PositiveSmallIntegerField(_("version"))
    snapshot = models.JSONField(_("content"))
    digest = models.CharField(_("content digest"), max_length=64)
    report = models.ForeignKey("ReportFile", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("generated report with its stamped scan"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("submitted by"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["submission", "number"]
        constraints = [models.UniqueConstraint(fields=["submission", "number"],
                                               name="version_number_unique")]
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")

    def __str__(self) -> str:
        return f"{self.submission} v{self.number}"


class ReportFile(GeneratedPdf):
    """A generated PDF of a report with the truthfulness pledge (Art 9), and the stamped scan
    the institution uploads of it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="reports", verbose_name=_("self-evaluation"))

    class Meta(GeneratedPdf.Meta):
        verbose_name = _("generated report")
        verbose_name_plural = _("generated reports")

    def __str__(self) -> str:
        return f"{self.submission} · {self.requested_at:%Y-%m-%d %H:%M}"


class Extension(models.Model):
    """A deadline extension the city grants one institution, with its reason (Art 9)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="extensions", verbose_name=_("self-evaluation"))
    new_deadline = models.DateField(_("new deadline"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("granted by"))
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    form_token = form_token_field()

    class Meta:
        ordering = ["submission", "granted_at"]
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")

    def __str__(self) -> str:
        return f"{self.submission} → {self.new_deadline}"
