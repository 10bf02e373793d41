"""Choices of the evaluation cycle (Art 8) and of the self-evaluation (Art 9)."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

import scoring


class CycleStatus(models.TextChoices):
    """Where a cycle stands: draft, the five stages of Art 8, then results final (公布)."""

    DRAFT = "draft", pgettext_lazy("cycle status", "Draft")
    SELF_EVALUATION = "self_evaluation", _("Self-evaluation")
    PRELIMINARY_REVIEW = "preliminary_review", _("Preliminary review")
    PANEL_REVIEW = "panel_review", _("Panel review")
    REVERIFICATION = "reverification", _("Re-verification")
    PUBLIC_NOTICE = "public_notice", _("Public notice")
    FINAL = "final", _("Results final")


# The five stages, in order (Art 8). Each has an opening and a closing date.
STAGES = (
    CycleStatus.SELF_EVALUATION,
    CycleStatus.PRELIMINARY_REVIEW,
    CycleStatus.PANEL_REVIEW,
    CycleStatus.REVERIFICATION,
    CycleStatus.PUBLIC_NOTICE,
)


class FieldKind(models.TextChoices):
    """The typed data an indicator asks for, for each of the two evaluated years."""

    AMOUNT = "amount", _("Amount (10,000 yuan)")
    COUNT = "count", _("Count")
    PERCENT = "percent", _("Percentage")
    DATE = "date", _("Date")
    TEXT = "text", _("Text")


class EvidenceType(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
    DOCX = "docx", "Word (DOCX)"
    XLSX = "xlsx", "Excel (XLSX)"


class SubmissionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", pgettext_lazy("self-evaluation", "Submitted")
    NOT_PARTICIPATING = "not_participating", _("Did not participate")  # R2, confirmed


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


# Why an institution is left out of a cycle's cohort (R1), in the users' words.
OUT_OF_COHORT_LABELS = {
    "inactive": _("Filing not active"),
    "wrong_parity": _("Filed in a year of the other parity (evaluated in the other years)"),
    "too_recent": _("Filed too recently"),
}


# --- Stage 2, the district's preliminary review (Art 10) -------------------------------------

class ClaimVerdict(models.TextChoices):
    """The reviewer's verdict on one indicator's claim (R3)."""

    SUPPORTED = "supported", _("Supported")
    NOT_SUPPORTED = "not_supported", _("Not supported")


class PreliminaryGroup(models.TextChoices):
    """The preliminary groups of Art 10 (R4), built from ``scoring.Group``."""

    A = "A", _("Group A (good)")
    B = "B", _("Group B (qualified)")
    C = "C", _("Group C (poor)")


class DistrictReviewStatus(models.TextChoices):
    """Where a district's preliminary review stands (Art 10)."""

    NOT_STARTED = "not_started", pgettext_lazy("district review", "Not started")
    IN_REVIEW = "in_review", _("In review")
    SUBMITTED = "submitted", pgettext_lazy("district review", "Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class RectificationStatus(models.TextChoices):
    """A rectification notice (整改): open until answered, answered until the reviewer decides;
    an answer not accepted opens it again."""

    OPEN = "open", _("Awaiting rectification")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Rectified")


class AnswerDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")


class FraudKind(models.TextChoices):
    """The two findings of Art 9 / R8."""

    OVERSTATED = "overstated", _("Overstated")
    FABRICATED = "fabricated", _("Fabricated")


class FraudStatus(models.TextChoices):
    REPORTED = "reported", _("Awaiting the city's decision")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


# The Bootstrap colour of each status, wherever it is shown (badges, table rows, the charts of
# static/js/charts.js): one table, keyed by the status's type.
STATUS_TONES: dict[type[models.TextChoices], dict[str, str]] = {
    SubmissionStatus: {
        SubmissionStatus.NOT_STARTED: "secondary", SubmissionStatus.IN_PROGRESS: "warning",
        SubmissionStatus.SUBMITTED: "success", SubmissionStatus.NOT_PARTICIPATING: "danger"},
    DistrictReviewStatus: {
        DistrictReviewStatus.NOT_STARTED: "secondary", DistrictReviewStatus.IN_REVIEW: "primary",
        DistrictReviewStatus.SUBMITTED: "info", DistrictReviewStatus.RETURNED: "warning",
        DistrictReviewStatus.ACCEPTED: "success"},
    RectificationStatus: {
        RectificationStatus.OPEN: "warning", RectificationStatus.ANSWERED: "info",
        RectificationStatus.CLOSED: "success"},
    FraudStatus: {
        FraudStatus.REPORTED: "warning", FraudStatus.CONFIRMED: "danger",
        FraudStatus.DISMISSED: "secondary"},
}


def status_tone(kind: type[models.TextChoices], value: str) -> str:
    """The colour of ``value``, a status of type ``kind``."""
    return STATUS_TONES[kind].get(value, "secondary")


# --- Stage 3, the panel review (Art 11, R6a, R6) -------------------------------------------------

class PanelGroup(models.TextChoices):
    """The groups the panels review (R6): the best and the poorest of the preliminary review."""

    A = "A", _("Group A (good)")
    C = "C", _("Group C (poor)")


class SeatRole(models.TextChoices):
    MEMBER = "member", _("Member")
    ALTERNATE = "alternate", _("Alternate")


class SeatStatus(models.TextChoices):
    """Where a drawn expert stands with its panel (R6a)."""

    DRAWN = "drawn", _("Drawn, not yet invited")
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", pgettext_lazy("seat status", "Accepted")
    DECLINED = "declined", _("Declined")
    RECUSED = "recused", _("Withdrew from the panel")
    STANDBY = "standby", _("Alternate on standby")


class DrawKind(models.TextChoices):
    INITIAL = "initial", _("Draw")
    SUPPLEMENTARY = "supplementary", _("Supplementary draw")


class ConflictSource(models.TextChoices):
    """How a conflict of interest (回避) became known (R6a)."""

    EMPLOYER = "employer", _("Works or worked there in the last three years")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Is its legal representative")
    CONTACT = "contact", _("Is its contact person")
    DECLARED = "declared", _("Declared by the expert")
    RECORDED = "recorded", _("Recorded by the organiser")


# --- Stage 4, re-verification and the spot check (Art 12, R7, R8) -------------------------------

class VerificationKind(models.TextChoices):
    """Why an institution is verified on site (R7)."""

    LISTED = "listed", _("On the re-verification list")
    ALTERNATE = "alternate", _("Alternate joining the list")
    SPOT_CHECK = "spot_check", _("Drawn for the spot check")


class SiteVerdict(models.TextChoices):
    """The on-site verdict (R7): the values of ``scoring.Verdict``; a spot check knows only
    the first and the last."""

    CONFIRMED = scoring.Verdict.CONFIRMED.value, pgettext_lazy("site verdict", "Confirmed")
    NOT_CONFIRMED = scoring.Verdict.NOT_CONFIRMED.value, pgettext_lazy("site verdict",
                                                                       "Not confirmed")
    POOR = scoring.Verdict.POOR.value, _("Operating poorly")


# --- The results (Art 7, R9) --------------------------------------------------------------------

class Tier(models.TextChoices):
    """The four tiers of Art 7 (``scoring.TIERS``): every participant ends with one (R9)."""

    EXCELLENT = scoring.Final.EXCELLENT.value, _("Excellent")
    GOOD = scoring.Final.GOOD.value, _("Good")
    QUALIFIED = scoring.Final.QUALIFIED.value, _("Qualified")
    UNQUALIFIED = scoring.Final.UNQUALIFIED.value, _("Unqualified")
