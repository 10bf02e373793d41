"""What is waiting for each role on its home page, across every cycle not yet final: one
function per role, each returning plain ``TodoItem`` rows, each a link to the page where the
user acts.

The rules are not written again here: whether a report can still change, be submitted or a
notice answered, and whether a stage can close, are the answers of the services that enforce
them (``submission_editable_problem``, ``submission_submit_problems``,
``rectification_answer_problem``, ``district_review_submit_problems``,
``self_evaluation_close_problems``, ``preliminary_review_close_problems``,
``cycle_transition_problems``). Each function reads in a fixed number of queries whatever the
number of institutions, reports or notices: a few per open cycle (there are one or two), never
one per row."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, Min, OuterRef, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from institutions.enums import Role
from institutions.models import User

from ..enums import (
    CycleStatus,
    DistrictReviewStatus,
    FraudStatus,
    RectificationStatus,
    SeatStatus,
    SubmissionStatus,
)
from ..models import Cycle, CycleStage, DistrictReview, PanelSeat, SubmissionVersion
from ..services.cycles import cycle_next_transition, cycle_transition_problems
from ..services.findings import rectification_answer_problem
from ..services.preliminary import (
    district_review_editable_problem,
    district_review_submit_problems,
    preliminary_review_close_problems,
)
from ..services.self_evaluation import (
    self_evaluation_close_problems,
    submission_editable_problem,
    submission_submit_problems,
)
from .cycles import REVIEWED_STATUSES, open_cycles
from .preliminary import review_progress
from .scopes import (
    district_reviews_for_user,
    fraud_reports_for_user,
    rectifications_for_user,
    submissions_for_user,
)

NOTE_LENGTH = 80  # characters of a notice's problems shown under its item


@dataclass(frozen=True)
class TodoItem:
    """One thing waiting for the user: a sentence, the page where it is done, and how many
    (``count``) or by when (``deadline``); ``tone`` is its Bootstrap colour (``danger`` when
    overdue), ``note`` a line of context (the city's reason for returning a summary),
    ``received_at`` when it reached the user."""

    label: str
    url: str
    count: int | None = None
    deadline: dt.date | None = None
    tone: str = "primary"
    note: str = ""
    overdue: bool = False
    received_at: dt.datetime | None = None  # when it reached the user (a summary submitted)


def _url(name: str, *args, query: dict | None = None, anchor: str = "") -> str:
    url = reverse(f"evaluations:{name}", args=args)
    if query:
        url += "?" + urlencode(query)
    return url + (f"#{anchor}" if anchor else "")


# --- Institution (filer and administrator) ----------------------------------------------------

def institution_todo(user: User, today: dt.date | None = None) -> list[TodoItem]:
    """The institution's rectification notices still to answer (overdue ones marked) and its
    self-evaluation reports to finish, to sign (the administrator signs the pledge), to
    submit, or to submit again after a withdrawal."""
    today = today or timezone.localdate()
    items = []
    # Notices are answered during the preliminary review only; past their deadline the
    # service's answer (contact the district) becomes the item's note.
    notices = (rectifications_for_user(user)
               .filter(status=RectificationStatus.OPEN,
                       participant__cycle__status=CycleStatus.PRELIMINARY_REVIEW)
               .order_by("deadline", "pk"))
    for notice in notices:
        overdue = notice.deadline < today
        problem = rectification_answer_problem(notice)
        items.append(TodoItem(
            label=_("Answer the rectification notice of the %(year)s evaluation")
            % {"year": notice.participant.cycle.year},
            url=_url("rectification_detail", notice.pk), deadline=notice.deadline,
            tone="danger" if overdue else "warning", overdue=overdue,
            note=problem or Truncator(" ".join(notice.problems.split())).chars(NOTE_LENGTH)))
    withdrawn = SubmissionVersion.objects.filter(submission=OuterRef("pk"),
                                                 withdrawn_at__isnull=False)
    reports = (submissions_for_user(user).exclude(cycle__status=CycleStatus.FINAL)
               .exclude(status__in=(SubmissionStatus.SUBMITTED,
                                    SubmissionStatus.NOT_PARTICIPATING))
               .annotate(was_withdrawn=Exists(withdrawn)).order_by("cycle__year"))
    for submission in reports:
        if submission_editable_problem(submission, today):
            continue
        items.extend(_report_items(user, submission))
    return items


def _report_items(user: User, submission) -> list[TodoItem]:
    year, deadline = submission.cycle.year, submission.deadline
    problems = submission_submit_problems(submission)
    items = []
    if submission.pledge_accepted_at is None and user.has_perm("evaluations.sign_pledge",
                                                               submission):
        items.append(TodoItem(
            label=_("Sign the truthfulness pledge of the %(year)s self-evaluation")
            % {"year": year},
            url=_url("submission_submit", submission.pk, anchor="pledge"), deadline=deadline,
            tone="warning"))
    if submission.was_withdrawn:
        label = _("The %(year)s self-evaluation was withdrawn: submit it again") % {
            "year": year}
        items.append(TodoItem(label=label, url=_url("submission_submit", submission.pk),
                              count=len(problems) or None, deadline=deadline, tone="warning",
                              note=_ready_or_left(problems)))
    elif problems:
        items.append(TodoItem(
            label=_("Finish the %(year)s self-evaluation") % {"year": year},
            url=_url("submission_detail", submission.pk), count=len(problems),
            deadline=deadline, note=_ready_or_left(problems)))
    else:
        items.append(TodoItem(
            label=_("Submit the %(year)s self-evaluation") % {"year": year},
            url=_url("submission_submit", submission.pk, anchor="submit"), deadline=deadline,
            tone="success", note=_ready_or_left(problems)))
    return items


def _ready_or_left(problems: list[str]) -> str:
    if not problems:
        return _("Everything is in place: it only needs to be submitted.")
    return ngettext("%(count)s thing is left before it can be submitted.",
                    "%(count)s things are left before it can be submitted.",
                    len(problems)) % {"count": len(problems)}


# --- District reviewer --------------------------------------------------------------------

def district_todo(user: User, today: dt.date | None = None) -> list[TodoItem]:
    """For each open cycle whose preliminary review the district can still change: the
    reports not fully reviewed, overdue rectification notices, answers waiting to be checked,
    the summary to submit (or to rank first) and a summary the city returned, with its
    reason."""
    today = today or timezone.localdate()
    reviews = [review for review in district_reviews_for_user(user)
               .exclude(cycle__status=CycleStatus.FINAL)
               .prefetch_related(Prefetch("cycle__stages", queryset=CycleStage.objects.all()))
               .order_by("cycle__year")
               if not district_review_editable_problem(review)]
    items = []
    for progress in review_progress(reviews, today):
        review = progress.review
        year, district = review.cycle.year, review.district.name
        deadline = getattr(review.cycle.stage_of(CycleStatus.PRELIMINARY_REVIEW), "closes_on",
                           None)
        if review.status == DistrictReviewStatus.RETURNED:
            items.append(TodoItem(
                label=_("The city bureau returned the %(year)s summary of %(district)s")
                % {"year": year, "district": district},
                url=_url("district_dashboard", review.pk), deadline=deadline, tone="warning",
                note=_("Reason for returning: %(reason)s")
                % {"reason": review.return_reason}))
        to_review = progress.n - progress.reviewed
        if to_review:
            items.append(TodoItem(
                label=_("%(year)s preliminary review: reports to review") % {"year": year},
                url=_url("participant_list", review.pk), count=to_review, deadline=deadline))
        if progress.overdue:
            items.append(TodoItem(
                label=_("%(year)s preliminary review: overdue rectification notices")
                % {"year": year},
                url=_url("rectification_list", query={"status": "overdue"}),
                count=progress.overdue, tone="danger", overdue=True))
        answered = progress.rectifications[RectificationStatus.ANSWERED]
        if answered:
            items.append(TodoItem(
                label=_("%(year)s preliminary review: rectification answers to check")
                % {"year": year},
                url=_url("rectification_list",
                         query={"status": RectificationStatus.ANSWERED}),
                count=answered, tone="info"))
        if progress.n and not to_review:
            items.append(_summary_item(review, deadline))
    return items


def _summary_item(review: DistrictReview, deadline: dt.date | None) -> TodoItem:
    """Every report is reviewed: the summary is the next step, ready to submit or not yet."""
    year = review.cycle.year
    if not district_review_submit_problems(review):
        return TodoItem(label=_("Submit the %(year)s summary to the city bureau")
                        % {"year": year},
                        url=_url("district_summary", review.pk, anchor="submit"),
                        deadline=deadline, tone="success")
    return TodoItem(label=_("Rank the %(year)s reports and submit the summary")
                    % {"year": year},
                    url=_url("ranking", review.pk), deadline=deadline)


# --- City bureau (administrator and panel organiser) ---------------------------------------

def city_todo(user: User, today: dt.date | None = None, *,
              opened: list[Cycle] | None = None) -> list[TodoItem]:
    """What the city decides in each open cycle: district summaries submitted, fraud reports
    awaiting a decision, a stage ready to close (self-evaluation past its deadline, the
    preliminary review with every district accepted) and, once a stage is closed, the move
    to the next one. Each only for the one allowed to do it (the panel organiser decides none
    of these; its own work comes with the panel review). ``opened``: the page's
    ``open_cycles()`` when it has read them already."""
    today = today or timezone.localdate()
    items: list[TodoItem] = []
    decides_reviews = user.has_perm("evaluations.decide_district_review")
    decides_fraud = user.has_perm("evaluations.decide_fraud")
    manages = user.has_perm("evaluations.manage_cycle")
    if not (decides_reviews or decides_fraud or manages):
        return items
    cycles = open_cycles() if opened is None else opened
    # Summaries and fraud reports belong to participants, who exist from the preliminary
    # review on: while every open cycle is in draft or self-evaluation there is none to read.
    reviewed = any(cycle.status in REVIEWED_STATUSES for cycle in cycles)
    # The summaries not accepted yet, in one query: those submitted are the city's to decide,
    # and any of them keeps the stage from closing.
    not_accepted: dict[int, list[DistrictReview]] | None = None
    if decides_reviews and reviewed:
        not_accepted = {}
        # Only the district's name is shown: not the cycle's policy the scope selects.
        for review in (district_reviews_for_user(user).select_related(None)
                       .select_related("district")
                       .filter(cycle__status=CycleStatus.PRELIMINARY_REVIEW)
                       .exclude(status=DistrictReviewStatus.ACCEPTED)
                       .order_by("submitted_at", "pk")):
            not_accepted.setdefault(review.cycle_id, []).append(review)
    fraud: dict[int, tuple[int, int]] = {}  # cycle id: (reports waiting, the first one)
    if decides_fraud and reviewed:
        fraud = {row["participant__cycle_id"]: (row["n"], row["first"]) for row in (
            fraud_reports_for_user(user).filter(status=FraudStatus.REPORTED)
            .exclude(participant__cycle__status=CycleStatus.FINAL).order_by()
            .values("participant__cycle_id").annotate(n=Count("pk"), first=Min("pk")))}
    for cycle in cycles:
        pending = None if not_accepted is None else not_accepted.get(cycle.pk, [])
        for review in pending or []:
            if review.status != DistrictReviewStatus.SUBMITTED:
                continue
            items.append(TodoItem(
                label=_("Decide the %(year)s preliminary review summary of %(district)s")
                % {"year": cycle.year, "district": review.district.name},
                url=_url("district_review_detail", review.pk),
                received_at=review.submitted_at))
        if cycle.pk in fraud:
            count, first = fraud[cycle.pk]
            url = (_url("fraud_detail", first) if count == 1
                   else _url("fraud_list", query={"status": FraudStatus.REPORTED}))
            items.append(TodoItem(
                label=_("%(year)s preliminary review: fraud reports to decide")
                % {"year": cycle.year},
                url=url, count=count, tone="danger"))
        if manages:
            items.extend(_stage_items(cycle, today, not_accepted=pending))
    return items


def _stage_items(cycle: Cycle, today: dt.date, *,
                 not_accepted: list[DistrictReview] | None = None) -> list[TodoItem]:
    stage = cycle.stage_of(cycle.status)
    if stage is None:
        return []
    year = cycle.year
    if stage.is_closed:
        transition = cycle_next_transition(cycle)
        if transition is None:
            return []
        next_label = CycleStatus(transition.to).label
        return [TodoItem(
            label=_("%(year)s: %(stage)s is closed; move on to %(next)s")
            % {"year": year, "stage": stage.get_stage_display(), "next": next_label},
            url=_url("cycle_detail", year), tone="primary",
            note=" ".join(cycle_transition_problems(cycle, transition.to)))]
    if cycle.status == CycleStatus.SELF_EVALUATION \
            and not self_evaluation_close_problems(cycle, today, first_only=True):
        return [TodoItem(
            label=_("Close the %(year)s self-evaluation: its deadline has passed")
            % {"year": year},
            url=_url("cycle_close_self_evaluation", year), deadline=stage.closes_on,
            tone="warning")]
    if cycle.status == CycleStatus.PRELIMINARY_REVIEW \
            and not preliminary_review_close_problems(cycle, not_accepted=not_accepted):
        return [TodoItem(
            label=_("Close the %(year)s preliminary review: every district is accepted")
            % {"year": year},
            url=_url("preliminary_close", year), deadline=stage.closes_on, tone="warning")]
    return []


# --- Expert ---------------------------------------------------------------------------------

def expert_todo(user: User, today: dt.date | None = None) -> list[TodoItem]:
    """The invitations to a panel the expert has not answered (R6a), in one query."""
    seats = (PanelSeat.objects.filter(expert__user=user, status=SeatStatus.INVITED,
                                      panel__cycle__status=CycleStatus.PANEL_REVIEW)
             .select_related("panel__cycle").order_by("panel__cycle__year", "panel__position"))
    return [TodoItem(label=_("Answer the invitation to the %(year)s panel review: %(panel)s")
                     % {"year": seat.panel.cycle.year, "panel": seat.panel.name},
                     url=_url("expert_home"), tone="primary") for seat in seats]


_BY_ROLE = {
    Role.INSTITUTION_FILER: institution_todo,
    Role.INSTITUTION_ADMIN: institution_todo,
    Role.DISTRICT_REVIEWER: district_todo,
    Role.CITY_ADMIN: city_todo,
    Role.PANEL_ORGANISER: city_todo,
    Role.EXPERT: expert_todo,
}


def todo_for_user(user: User, today: dt.date | None = None, *,
                  opened: list[Cycle] | None = None) -> list[TodoItem]:
    """The to-do list of ``user``'s role (empty for an account without one); ``opened``, the
    page's ``open_cycles()``, spares the city's list reading them again."""
    todo = _BY_ROLE.get(getattr(user, "role", None))
    if todo is None:
        return []
    return todo(user, today, opened=opened) if todo is city_todo else todo(user, today)
