"""What the district finds beyond the report (Art 9, 10): site visits, rectification notices
(整改) and the institution's answers, fraud reports (虚报、虚构, R8) and the credit records a
confirmed one creates."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import AnswerDecision, CycleStatus, FraudKind, FraudStatus, RectificationStatus
from .cycles import Cycle
from .files import Attachment, form_token_field
from .preliminary import Participant


class SiteVisit(models.Model):
    """A visit to a participant (实地考察): when, who went, what they found. The district's
    visits of the preliminary review and the city's of the re-verification (Art 12) are told
    apart by ``stage``."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="visits", verbose_name=_("participant"))
    stage = models.CharField(_("stage"), max_length=20, editable=False,
                             default=CycleStatus.PRELIMINARY_REVIEW,
                             choices=[(s.value, s.label) for s in (
                                 CycleStatus.PRELIMINARY_REVIEW, CycleStatus.REVERIFICATION)])
    visited_on = models.DateField(_("date of visit"))
    visitors = models.CharField(_("visitors"), max_length=200)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    form_token = form_token_field()

    class Meta:
        ordering = ["participant", "-visited_on", "-pk"]
        verbose_name = _("site visit")
        verbose_name_plural = _("site visits")

    def __str__(self) -> str:
        return f"{self.participant} · {self.visited_on}"


class SiteVisitFile(Attachment):
    visit = models.ForeignKey(SiteVisit, on_delete=models.CASCADE, related_name="files",
                              verbose_name=_("site visit"))

    class Meta(Attachment.Meta):
        verbose_name = _("site visit file")
        verbose_name_plural = _("site visit files")


class Rectification(models.Model):
    """A rectification notice (整改通知): the problems the institution must correct by
    ``deadline``. ``status`` is written only by ``services.findings``."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="rectifications",
                                    verbose_name=_("participant"))
    problems = models.TextField(_("problems to rectify"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=10, choices=RectificationStatus.choices,
                              default=RectificationStatus.OPEN, editable=False, db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    form_token = form_token_field()

    class Meta:
        ordering = ["participant", "-issued_at", "-pk"]
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")

    def __str__(self) -> str:
        return f"{self.participant} · {self.deadline}"

    @property
    def is_overdue(self) -> bool:
        """Still waiting for an answer after its deadline (shown in red)."""
        return (self.status == RectificationStatus.OPEN
                and self.deadline < timezone.localdate())


class RectificationAnswer(models.Model):
    """The institution's answer to a rectification notice, and the reviewer's decision."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE,
                                      related_name="answers",
                                      verbose_name=_("rectification notice"))
    text = models.TextField(_("answer"))
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=20, choices=AnswerDecision.choices,
                                default=AnswerDecision.PENDING, editable=False)
    decision_comment = models.TextField(_("reviewer's comment"), blank=True, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+", editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    form_token = form_token_field()

    class Meta:
        ordering = ["rectification", "answered_at", "pk"]
        verbose_name = _("rectification answer")
        verbose_name_plural = _("rectification answers")

    def __str__(self) -> str:
        return f"{self.rectification} · {self.answered_at:%Y-%m-%d}"


class RectificationFile(Attachment):
    answer = models.ForeignKey(RectificationAnswer, on_delete=models.CASCADE,
                               related_name="files", verbose_name=_("rectification answer"))

    class Meta(Attachment.Meta):
        verbose_name = _("rectification file")
        verbose_name_plural = _("rectification files")


class FraudReport(models.Model):
    """A district's report of 虚报 or 虚构 (R8), with evidence, which the city confirms or
    dismisses. ``status`` is written only by ``services.findings``."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="fraud_reports",
                                    verbose_name=_("participant"))
    kind = models.CharField(_("finding"), max_length=20, choices=FraudKind.choices)
    description = models.TextField(_("what was found"))
    status = models.CharField(_("status"), max_length=20, choices=FraudStatus.choices,
                              default=FraudStatus.REPORTED, editable=False, db_index=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("reported by"))
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+", editable=False,
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decision_reason = models.TextField(_("reason for the decision"), blank=True,
                                       editable=False)
    form_token = form_token_field()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("fraud report")
        verbose_name_plural = _("fraud reports")

    def __str__(self) -> str:
        return f"{self.participant} · {self.get_kind_display()}"


class FraudEvidenceFile(Attachment):
    report = models.ForeignKey(FraudReport, on_delete=models.CASCADE, related_name="files",
                               verbose_name=_("fraud report"))

    class Meta(Attachment.Meta):
        verbose_name = _("fraud evidence file")
        verbose_name_plural = _("fraud evidence files")


class CreditRecord(models.Model):
    """A credit record (信用记录, R8) against an institution and the person responsible,
    created when the city confirms a fraud report."""

    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT,
                                    related_name="credit_records",
                                    verbose_name=_("institution"))
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="credit_records",
                              verbose_name=_("evaluation cycle"))
    fraud_report = models.OneToOneField(FraudReport, on_delete=models.PROTECT,
                                        related_name="credit_record",
                                        verbose_name=_("fraud report"))
    person_name = models.CharField(_("responsible person"), max_length=50)
    person_role = models.CharField(_("role of the responsible person"), max_length=50)
    finding = models.TextField(_("finding"))
    recorded_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))

    class Meta:
        ordering = ["-recorded_on", "-pk"]
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")

    def __str__(self) -> str:
        return f"{self.institution} · {self.person_name} · {self.recorded_on}"
