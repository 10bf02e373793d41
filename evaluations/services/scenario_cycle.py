"""A scenario file (docs/rules.md "The scenario file") run through the web application's own
services, for ``manage.py cycle_from_scenario``: the output of ``simulate_cycle`` byte for byte,
but every group, list, draw and tier decided by the services of stages 2–4 on the rows of a
scratch cycle, which is rolled back at the end (issue 11 §5).

The scenario is read and validated by ``scoring.scenario`` first, so a malformed file is
refused with ``simulate_cycle``'s own line. Then, in one transaction (``_Rollback`` undoes it,
audit entries, notifications and outbox messages included; on PostgreSQL only the sequences
move on; on SQLite the run holds the write lock throughout), under a scratch city
administrator (``user_create``):

- **Policy and cycle (R13).** The scenario's parameters become a policy version
  (``policy_version_create``) and the cycle is made with ``cycle_create`` (the default indicator
  system, the five stages scheduled). The version takes effect today, so ``cycle_create`` pins
  it; when a real version already takes effect today, the scratch one takes an earlier free
  date and the cycle is pinned to it directly, as opening self-evaluation re-pins a cycle.
- **The year (R1).** A cycle's year is unique. The scratch cycle takes the scenario's year when
  no cycle has it (and it lies in 1000–9000), otherwise the next free year of the same parity,
  and every filing year moves by as many years: the cohort depends only on the parity and on
  the years between filing and the cycle, and nothing in the output names the year.
- **The registry.** A district the registry has is used as it is; another is created (a
  ``District`` row: districts are reference data, with no service), under the scenario's name or,
  past 50 characters, a placeholder mapped back in the output. Every institution, in or out of
  the cohort, is created with ``bulk_create`` and the audit entries ``institution_create`` would
  write (as the registry import does), all in one scratch industry cluster (a ``Cluster`` row,
  reference data too: see the panel review). Their credit codes are scratch codes, valid and
  unused, given in the order of the scenario's ids, so that sorting either sorts both (the spot
  check sorts credit codes, R7).
- **Stage 1 (R1, R2).** Opening self-evaluation is written here, not by ``cycle_transition``:
  that move re-pins the cycle to the version in force and invites the cohort of the whole
  registry. The status moves with ``status_set`` and the move is recorded as
  ``cycle_transition`` records it; the cohort is ``selectors.cycles.cycle_cohort``'s, of which
  only the scenario's institutions are invited. A scenario has no reports, evidence, pledges or
  stamped scans: the participants' submissions are created submitted, the others not started.
  ``self_evaluation_close`` then confirms the non-submitters (未参评) and abandons their filings.
- **Stage 2 (R3, R4, R8).** ``cycle_transition`` opens the preliminary review
  (``preliminary_review_open``). A district's ranks are first checked with R4's own
  ``scoring.district_groups`` (the check ``district_review_submit`` runs again), since a
  ranking saved from the page is an order and cannot hold gaps or ties; then
  ``district_ranking_save`` saves each district's order, which fixes the groups. Frauds are
  reported (``fraud_report_file``) and confirmed (``fraud_report_decide``). A scenario has no
  district summary PDF nor its stamped scan: the district's submission is the status change
  ``district_review_submit`` makes (``district_review_set_status``); the city then accepts it
  (``district_review_accept``) and ``preliminary_review_close`` closes the stage.
- **Stage 3 (R6a, R6).** ``cycle_transition`` opens the panel review with its default panels,
  one for group A and one for C (``panels_open``). The scratch experts (``expert_create``, with
  accounts) judge only the scratch cluster, so ``panel_draw`` draws them and no expert of the
  real pool; each panel is invited (``panel_invite``) and its first ``min_panel_scores``
  members accept (``seat_accept``). A scenario has no experts' individual scores, only each
  institution's panel score: each of those members gives that score as its total (spread over
  the indicators), and the mean of equal scores is the score itself, trimmed or not. These
  ``ExpertScore`` rows are the one thing of the stage written directly, submitted, with the
  audit entries the services would write (``expert_scores_submitted_create``, which the demo
  shares): ``expert_score_save`` and
  ``expert_score_submit`` read the whole panel on every call to check the seat's assignments,
  some 35 ms each, so that the 5 × 73 scores of xuzhou.json took 13 of its 20 s through them.
  The assignments are checked here once a seat with the same ``seat_assignments``, and each
  total is ``scoring.expert_total``, as the services check and compute them. The organiser's
  number of 不合格 (``panel_fail_count_set``; a number below F counts as F, as docs/rules.md
  says of a scenario) and the scenario's ``panel_tiebreak``, one call of
  ``panel_tiebreak_set`` per group and panel score where it orders two or more, follow;
  ``panel_review_close`` closes the stage.
- **Stage 4 (R7, R8).** ``cycle_transition`` opens the re-verification
  (``reverification_open``); ``reverification_alternates_set`` allows the alternates (at most
  the members of A beyond the list: more changes nothing); ``spot_check_draw`` draws group B
  with the scenario's seed (when S > 0: with S = 0 the results need no draw, and the service
  cannot store an empty sample); every verdict the stage asks for, of the list, of each
  alternate as it joins and of the sample, is ``verification_verdict_record``'s;
  ``results_compute`` computes and stores the tiers (R9).

The texts the scratch rows hold (reasons, names, descriptions) are plain English, not
messages of the catalogue: nobody ever reads them, since the rows are rolled back.

Written directly to the models, then, and only where no service fits a scenario: the cycle's
pinning to its version (only when a real version takes effect today), the registry's new
districts and the scratch cluster, the institutions, the opening of self-evaluation (the
status through ``status_set``, its record, the stage's opening time, the submissions), each
district's submission (its status through ``district_review_set_status``, who and when), and
the experts' scores.

The output is read back from what the services stored: the quotas and the checks from the
cycle's results, the groups and tiers from its participants, the abandoned filings from the
self-evaluations, the list and the alternates from the verifications, the sample from the spot
check's draw. Three things the web application does not model, or models otherwise, are
computed as ``simulate_cycle`` computes them:

- ``deregistered`` (R12): the web application reads the previous cycle's tiers; a scenario
  gives them as ``previous_final``. ``scoring.deregistrations`` of the stored tiers and those.
- ``panels`` (R6a): the scenario's panels are drawn from its own pool, which the web
  application's draw would mix with the real pool. ``scoring.scenario``'s own draw over the
  groups the preliminary review stored.
- The order of ``reverification_list``: the web application orders equal panel scores nobody
  ordered by participant id, a scenario by its own id. The stored list and alternates are put in
  panel order as docs/rules.md defines it for a scenario (stored panel scores, then the
  scenario's ``panel_tiebreak``, then id).

A refusal by the services that ``simulate_cycle`` also refuses (a missing panel score, a
blocking tie) is told in ``simulate_cycle``'s line, from what the services found. A few
scenarios the web application cannot hold are refused with a line of their own: a policy value
too large for its field, a panel size below ``min_panel_scores`` (the panel review could never
close), a group A left empty while group C is not (``panel_draw`` draws the panels in order and
refuses C while the empty A is undrawn), a spot-check seed the draw would not keep as given
(empty, with surrounding spaces, or over 200 characters). Any other refusal by a service ends
with ``ServicesRefused`` (a disagreement between the services and the rules, worth a look).
"""
from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

import scoring
from institutions.audit import acting_as
from institutions.audit.registry import bulk_created_record
from institutions.enums import ClusterGroup, DistrictKind, Gender, Role, TitleLevel
from institutions.exceptions import DomainError
from institutions.models import Cluster, District, Institution
from institutions.services.accounts import user_create
from institutions.services.pool import expert_create
from institutions.transitions import status_set
from scoring import cli as scoring_cli
from scoring.cli import Failure
from scoring.errors import quote

# ``_draws`` and ``_where``: the scenario runner's own, so that the draw's output and the lines
# name things exactly as ``simulate_cycle`` does.
from scoring.scenario import (
    Scenario,
    ScenarioInstitution,
    _draws,
    _where,
    load_scenario,
    parse_scenario,
)

from ..enums import (
    STAGES,
    CycleStatus,
    DistrictReviewStatus,
    FraudKind,
    PanelGroup,
    SeatRole,
    SubmissionStatus,
    VerificationKind,
)
from ..models import (
    Cycle,
    CycleResults,
    CycleTransition,
    DistrictReview,
    ExpertScore,
    Indicator,
    Panel,
    PanelResult,
    PanelResultKind,
    PanelSeat,
    Participant,
    ParticipantTier,
    PolicyVersion,
    SpotCheckDraw,
    Submission,
    Verification,
)
from ..selectors.cycles import cycle_cohort
from ..selectors.panel import seat_assignments
from ..selectors.panel_console import panel_console
from ..selectors.reverification import cycle_quotas, reverification_board
from .cycles import CYCLE_TRANSITIONS, cycle_create, cycle_transition
from .findings import fraud_report_decide, fraud_report_file
from .panel import panel_draw, panel_invite, seat_accept
from .panel_close import (
    panel_fail_count_set,
    panel_review_close,
    panel_review_close_problems,
    panel_tiebreak_set,
)
from .policy import policy_version_create
from .preliminary import (
    district_ranking_save,
    district_review_accept,
    district_review_set_status,
    preliminary_review_close,
)
from .results import results_compute
from .reverification import (
    reverification_alternates_set,
    spot_check_draw,
    verification_verdict_record,
)
from .self_evaluation import self_evaluation_close

# The years a scratch cycle may take: its filing dates must be dates (years 1–9999).
YEARS = (1000, 9000)
# The scratch credit codes: "91" (an enterprise), a division code no district has, then a
# serial in base 31 (the code's own alphabet, ascending) and the check character.
CODE_PREFIX = "91329999"
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# What a scratch spot-check draw keeps of its seed (``SpotCheckDraw.seed``).
SEED_MAX_LENGTH = SpotCheckDraw._meta.get_field("seed").max_length
DISTRICT_NAME_MAX_LENGTH = District._meta.get_field("name").max_length
INSTITUTION_NAME_MAX_LENGTH = Institution._meta.get_field("name").max_length
# The policy version's fields of each parameter (R13), to name a refused value.
PARAMETER_OF_FIELD = {"share_a": "district_shares", "share_b": "district_shares",
                      "share_c": "district_shares"}


class ScenarioRefused(Exception):
    """A scenario the web application cannot hold (see the module docstring): one line."""


class ServicesRefused(Exception):
    """A service refused a step the rules accept: the services and ``scoring`` disagree."""


class _Rollback(Exception):
    """Raised at the end of a run to undo the scratch cycle, carrying its output."""

    def __init__(self, document: dict) -> None:
        super().__init__("rolled back")
        self.document = document


def run(scenario: str, out: str | None = None) -> str:
    """``cycle_from_scenario`` on the scenario file at ``scenario``: write the output to
    ``out`` and return "", or return it when ``out`` is None. The file is read and the output
    written by ``scoring.cli.run``, with the same lines. Raises ``Failure``."""
    try:
        return scoring_cli.run(scenario, out, engine=cycle_from_scenario,
                               refused=(scoring.ScenarioError, ScenarioRefused))
    except ServicesRefused as exc:
        raise Failure(str(exc), status=1) from None


def cycle_from_scenario(source: str | Mapping) -> dict:
    """The output document of docs/rules.md for a scenario given as JSON text or as a parsed
    document, computed by the services on a scratch cycle that is rolled back (see the module
    docstring). Raises ``scoring.ScenarioError`` with ``simulate_cycle``'s line,
    ``ScenarioRefused`` or ``ServicesRefused``."""
    data = load_scenario(source) if isinstance(source, str) else source
    scenario = parse_scenario(data)
    try:
        with transaction.atomic():
            raise _Rollback(_ScratchCycle(scenario).run())
    except _Rollback as done:
        return done.document


# --- The lines of ``simulate_cycle`` (``scoring.scenario.run_scenario``) ----------------------

def _ranking_error(exc: scoring.RankingError) -> scoring.ScenarioError:
    return scoring.ScenarioError(f"district {quote(exc.district)}",
                                 f"district_rank: {exc.problem}")


def _missing_score(institution: ScenarioInstitution, group: str) -> scoring.ScenarioError:
    return scoring.ScenarioError(
        f"{_where(institution.index, institution.id)}: panel_score",
        f"missing; members of group {group} need a panel score (R6)")


def _blocking_tie(line: scoring.TieLine, ids: Iterable[str],
                  score: Decimal) -> scoring.ScenarioError:
    return scoring.ScenarioError(
        f"blocking tie at {line.description}",
        f"{', '.join(quote(i) for i in ids)} have panel score {score}; list them in "
        "panel_tiebreak")


@contextmanager
def _services(step: str) -> Iterator[None]:
    """Turn a service's refusal during ``step`` into ``ServicesRefused``."""
    try:
        yield
    except DomainError as exc:
        raise ServicesRefused(f"{step}: the services refused the scenario: {exc}") from exc
    except ValidationError as exc:
        raise ServicesRefused(
            f"{step}: the services refused the scenario: {' '.join(exc.messages)}") from exc


def _scratch_codes(count: int, start: int) -> list[str]:
    """``count`` valid credit codes from serial ``start``, in ascending order."""
    codes = []
    for serial in range(start, start + count):
        body, n = "", serial
        for _position in range(9):
            n, digit = divmod(n, len(_ALPHABET))
            body = _ALPHABET[digit] + body
        partial = CODE_PREFIX + body
        codes.append(partial + uscc.calc_check_digit(partial))
    return codes


def _spread(total: Decimal, points: list[tuple[int, Decimal]]) -> dict[str, str]:
    """One expert's scores by indicator adding up to ``total``: each indicator in turn gets
    as much of what is left as its points allow."""
    left, scores = total, {}
    for pk, most in points:
        given = min(left, Decimal(most))
        scores[str(pk)] = str(given.quantize(Decimal("0.01")))
        left -= given
    if left > 0:
        raise ServicesRefused(f"the indicator system's points add up to less than {total}")
    return scores


# --- Building blocks shared with the demo (evaluations.demo.reverification) ---------------

def past_self_evaluation_open(*, cycle: Cycle, actor, among: Collection[int] | None = None,
                              submitted: Collection[int] = ()) -> tuple[Cycle, list[Institution]]:
    """Open self-evaluation of ``cycle`` (a draft) for a cycle whose reports are not kept: the
    status moves with ``status_set`` and the move is recorded as ``cycle_transition``
    records it, but the cycle keeps its version and nobody is notified; the cohort is
    ``cycle_cohort``'s (only the institutions of ``among`` when given), and each gets its
    submission, created submitted for the institution pks of ``submitted`` and not started
    for the others. Returns the cycle, locked, and the cohort. Runs in a transaction of the
    caller's or its own."""
    with transaction.atomic(), acting_as(actor):
        now = timezone.now()
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        status_set(locked, CycleStatus.SELF_EVALUATION,
                   transitions={start: {move.to} for start, move in CYCLE_TRANSITIONS.items()})
        stage = locked.stages.get(stage=CycleStatus.SELF_EVALUATION)
        stage.opened_at = now
        stage.save(update_fields=["opened_at"])
        CycleTransition.objects.create(cycle=locked, from_status=CycleStatus.DRAFT,
                                       to_status=CycleStatus.SELF_EVALUATION, by=actor)
        cohort = [i for i in cycle_cohort(locked).included if among is None or i.pk in among]
        submitted = set(submitted)
        bulk_created_record(Submission.objects.bulk_create([
            Submission(cycle=locked, institution=institution,
                       district_id=institution.district_id, cluster_id=institution.cluster_id,
                       deadline=stage.closes_on,
                       status=SubmissionStatus.SUBMITTED if institution.pk in submitted
                       else SubmissionStatus.NOT_STARTED,
                       submitted_at=now if institution.pk in submitted else None)
            for institution in cohort], batch_size=1000))
    return locked, cohort


def district_review_submit_without_summary(*, district_review: DistrictReview,
                                           actor) -> DistrictReview:
    """The district's submission of a cycle with no summary PDF nor stamped scan: the status
    change ``district_review_submit`` makes (``district_review_set_status``), who and when."""
    with transaction.atomic():
        locked = DistrictReview.objects.select_for_update().get(pk=district_review.pk)
        district_review_set_status(district_review=locked,
                                   to_status=DistrictReviewStatus.SUBMITTED)
        locked.submitted_at, locked.submitted_by = timezone.now(), actor
        locked.save(update_fields=["submitted_at", "submitted_by"])
    district_review.status = locked.status
    return locked


class UnassignedScore(Exception):
    """A score given by a seat to a participant it is not assigned (R6a)."""

    def __init__(self, seat: PanelSeat, participant_pk: int) -> None:
        super().__init__(f"{participant_pk} is not assigned to {seat}")
        self.seat, self.participant_pk = seat, participant_pk


def expert_scores_submitted_create(
        *, cycle: Cycle, seats: Iterable[PanelSeat],
        scores_of: Callable[[PanelSeat, list[int]], Mapping[int, Mapping[str, str]]],
) -> list[ExpertScore]:
    """The submitted scores of ``seats`` (R6): ``scores_of(seat, assigned)`` gives, for the
    participants the seat is assigned (``seat_assignments``, in its order), the scores by
    indicator pk of those it scores. The rows ``expert_score_save`` and
    ``expert_score_submit`` leave, with their audit entries, written at once: the two services
    read the whole panel to check the seat's assignments, some 70 ms a score (13 s of
    xuzhou.json's 20). The assignments are checked here too, once a seat, and each total is
    ``scoring.expert_total`` of the indicators' scores, as ``expert_score_save``'s. Raises
    ``UnassignedScore`` for a participant the seat is not assigned."""
    by_key = {str(pk): Decimal(most) for pk, most in Indicator.objects.filter(
        category__cycle=cycle).values_list("pk", "points")}
    seats = list(seats)
    assigned = {seat.pk: seat_assignments(seat) for seat in seats}
    given = {seat.pk: scores_of(seat, assigned[seat.pk]) for seat in seats}
    participants = Participant.objects.select_related("institution").in_bulk(
        list({pk for scores in given.values() for pk in scores}))
    now, rows = timezone.now(), []
    for seat in seats:
        allowed = set(assigned[seat.pk])
        for participant_pk, scores in given[seat.pk].items():
            if participant_pk not in allowed:
                raise UnassignedScore(seat, participant_pk)
            rows.append(ExpertScore(
                seat=seat, participant=participants[participant_pk], scores=dict(scores),
                total=scoring.expert_total({k: Decimal(v) for k, v in scores.items()}, by_key),
                revision=1, submitted_at=now))
    created = ExpertScore.objects.bulk_create(rows, batch_size=1000)
    bulk_created_record(created)
    return created


@dataclass
class _Ids:
    """The scenario's ids and the rows that stand for them."""

    code: dict[str, str]  # scenario id: scratch credit code
    institution: dict[str, int]  # scenario id: institution pk
    of_institution: dict[int, str]  # institution pk: scenario id
    district_name: dict[int, str]  # district pk: the scenario's name for it


class _ScratchCycle:
    """One run: the scratch rows, built and moved through the stages (see the module
    docstring)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.params = scenario.params
        self.token = secrets.token_hex(4)
        self.today = timezone.localdate()
        self.by_id = {i.id: i for i in scenario.institutions}
        self.participants = [i for i in scenario.institutions if i.participant is not None]

    # --- The whole run ---------------------------------------------------------------------

    def run(self) -> dict:
        self.admin = user_create(username=f"scenario-{self.token}", password=None,
                                 role=Role.CITY_ADMIN, full_name="Scenario run")
        with acting_as(self.admin):
            self._cycle()
            self._registry()
            self._self_evaluation()
            self._preliminary_review()
            self._panel_review()
            self._reverification()
            with _services("results"):
                results_compute(cycle=self.cycle, actor=self.admin)
            return self._output()

    def _move(self, to_status: str) -> None:
        with _services(f"moving to {to_status}"):
            cycle_transition(cycle=self.cycle, to_status=to_status, actor=self.admin)
        self.cycle.refresh_from_db()

    # --- Policy, year and cycle ------------------------------------------------------------

    def _cycle(self) -> None:
        scenario, params = self.scenario, self.params
        fields = {name: getattr(params, name) for name in PolicyVersion.PARAMETER_FIELDS
                  if name not in PARAMETER_OF_FIELD}
        fields["share_a"], fields["share_b"], fields["share_c"] = params.district_shares
        taken_dates = set(PolicyVersion.objects.values_list("effective_date", flat=True))
        effective = self.today
        while effective in taken_dates:  # a real version takes effect today: any free date
            effective -= dt.timedelta(days=1)
        try:
            version = policy_version_create(
                actor=self.admin, name=f"Scenario {self.token}",
                effective_date=effective, **fields)
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            parameter = PARAMETER_OF_FIELD.get(name, name)
            if not hasattr(params, parameter):  # not a parameter's field: never seen
                raise ServicesRefused(f"the policy version: {' '.join(messages)}") from None
            raise ScenarioRefused(
                f"policy.{parameter}: {getattr(params, parameter)} cannot be kept in a policy "
                f"version of the web application ({' '.join(messages)})") from None
        self.year = self._scratch_year(scenario.year)
        dates = {}
        opens = self.today - dt.timedelta(days=20)
        for stage in STAGES:
            # Ten days each, self-evaluation's closing date past: it can be closed now.
            dates[stage] = (opens, opens + dt.timedelta(days=9))
            opens += dt.timedelta(days=10)
        with _services("creating the cycle"):
            self.cycle = cycle_create(year=self.year, actor=self.admin, stage_dates=dates)
        if self.cycle.policy_version_id != version.pk:
            # As opening self-evaluation re-pins a cycle to the version in force (R13).
            self.cycle.policy_version = version
            self.cycle.save(update_fields=["policy_version"])

    def _scratch_year(self, year: int) -> int:
        """The scenario's year if no cycle has it, else the next free one of its parity."""
        taken = set(Cycle.objects.values_list("year", flat=True))
        low, high = YEARS
        candidate = year if low <= year <= high else 2000 + year % 2
        while candidate in taken:
            candidate += 2
        if candidate > high:
            raise ScenarioRefused(f"year: no free year of the parity of {year} up to {high}")
        return candidate

    def _filing_year(self, institution: ScenarioInstitution) -> int:
        """The filing year in the scratch cycle's calendar, with the same place in the cohort
        (R1): the scenario's moved by as many years as the cycle, or, off the calendar, the
        nearest year that gives the same answer."""
        min_age = self.params.cohort_min_age_years
        moved = institution.filing_year + self.year - self.scenario.year
        if 1 <= moved <= 9999:
            return moved
        for candidate in (1, 2, 9998, 9999):
            if scoring.out_of_cohort_reason(candidate, self.year, min_age_years=min_age) \
                    == institution.out_of_cohort:
                return candidate
        where = _where(institution.index, institution.id)
        raise ScenarioRefused(f"{where}: filing_year: {institution.filing_year} has no "
                              "filing date the web application can keep")

    # --- The registry ----------------------------------------------------------------------

    def _registry(self) -> None:
        institutions = self.scenario.institutions
        districts: dict[str, District] = {}
        existing = {d.name: d for d in District.objects.filter(
            name__in={i.district for i in institutions})}
        created = []
        taken = set(District.objects.values_list("name", flat=True))
        for n, name in enumerate(dict.fromkeys(i.district for i in institutions), start=1):
            if name in existing:
                districts[name] = existing[name]
                continue
            shown = name
            if len(name) > DISTRICT_NAME_MAX_LENGTH:
                shown = next(f"scenario-{self.token}-{k}" for k in itertools.count(n)
                             if f"scenario-{self.token}-{k}" not in taken)
            taken.add(shown)
            district = District(name=shown, kind=DistrictKind.DISTRICT, sort_order=1000 + n)
            created.append(district)
            districts[name] = district
        bulk_created_record(District.objects.bulk_create(created))
        cluster = Cluster.objects.create(name=f"scenario-{self.token}",
                                         group=ClusterGroup.LEADING, sort_order=1000)
        self.cluster = cluster

        ids = sorted(i.id for i in institutions)
        start = len(_ALPHABET) ** 8  # a serial of nine characters, the first one "1"
        while True:
            codes = _scratch_codes(len(ids) + 1, start)
            if not Institution.objects.filter(credit_code__in=codes).exists():
                break
            start += len(codes)
        code = dict(zip(ids, codes, strict=False))
        self.employer_code = codes[-1]  # the scratch experts' employer: no institution's
        rows = Institution.objects.bulk_create([
            Institution(
                name=i.id[:INSTITUTION_NAME_MAX_LENGTH], credit_code=code[i.id],
                district=districts[i.district], cluster=cluster,
                filing_date=dt.date(self._filing_year(i), 1, 1),
                legal_representative="Legal representative",
                contact_person="Contact person", contact_phone="0516-00000000")
            for i in institutions], batch_size=1000)
        bulk_created_record(rows)
        self.ids = _Ids(
            code=code,
            institution={i.id: row.pk for i, row in zip(institutions, rows, strict=True)},
            of_institution={row.pk: i.id for i, row in zip(institutions, rows, strict=True)},
            district_name={d.pk: name for name, d in districts.items()})

    # --- Stage 1 ---------------------------------------------------------------------------

    def _self_evaluation(self) -> None:
        """Open self-evaluation as ``cycle_transition`` would, for the scenario's institutions
        only, with the participants' reports submitted; then close it (R2)."""
        submitted = {self.ids.institution[i.id] for i in self.participants}
        self.cycle, cohort = past_self_evaluation_open(
            cycle=self.cycle, actor=self.admin, among=set(self.ids.of_institution),
            submitted=submitted)
        self.invited = {self.ids.of_institution[i.pk] for i in cohort}
        with _services("closing self-evaluation"):
            self_evaluation_close(cycle=self.cycle, actor=self.admin)
        self._move(CycleStatus.PRELIMINARY_REVIEW)

    # --- Stage 2 ---------------------------------------------------------------------------

    def _preliminary_review(self) -> None:
        shares = self.params.district_shares
        ranks: dict[str, list[tuple[str, int]]] = {}
        for institution in self.participants:
            ranks.setdefault(institution.district, []).append(
                (institution.id, institution.participant.district_rank))
        for district, ranked in ranks.items():  # the order run_cycle checks them in
            try:
                scoring.district_groups(district, ranked, shares)
            except scoring.RankingError as exc:
                raise _ranking_error(exc) from exc

        self.participant_pk = {
            self.ids.of_institution[institution]: pk for pk, institution in
            Participant.objects.filter(cycle=self.cycle).values_list("pk", "institution_id")}
        self.id_of_participant = {pk: i for i, pk in self.participant_pk.items()}
        for review in DistrictReview.objects.filter(cycle=self.cycle).select_related("cycle"):
            pks = list(review.participants.values_list("pk", flat=True))
            order = sorted(pks, key=lambda pk: self._rank(pk))
            with _services("saving the district rankings"):
                district_ranking_save(district_review=review, order=order, reasons={},
                                      tie_confirmed=set(), revision=review.revision,
                                      actor=self.admin)
        for institution in self.participants:
            if institution.participant.fraud:
                self._fraud(self.participant_pk[institution.id])
        with _services("accepting the district summaries"):
            for review in DistrictReview.objects.filter(cycle=self.cycle):
                district_review_submit_without_summary(district_review=review, actor=self.admin)
                district_review_accept(district_review=review, actor=self.admin)
            preliminary_review_close(cycle=self.cycle, actor=self.admin)
        self.group_of = {
            self.id_of_participant[pk]: group for pk, group in
            Participant.objects.filter(cycle=self.cycle).values_list("pk", "group")}
        self._move(CycleStatus.PANEL_REVIEW)

    def _rank(self, participant_pk: int) -> int:
        return self.by_id[self.id_of_participant[participant_pk]].participant.district_rank

    def _fraud(self, participant_pk: int) -> None:
        """R8: the district reports 虚报, the city confirms it (with its credit record)."""
        participant = Participant.objects.get(pk=participant_pk)
        with _services("recording a fraud"):
            report = fraud_report_file(
                participant=participant, kind=FraudKind.OVERSTATED,
                description="Fraud recorded in the scenario.", actor=self.admin)
            fraud_report_decide(report=report, confirm=True,
                                reason="Fraud recorded in the scenario.", actor=self.admin,
                                person_name="Legal representative",
                                person_role="Legal representative")

    # --- Stage 3 ---------------------------------------------------------------------------

    def _panel_review(self) -> None:
        params = self.params
        panels = [p for p in Panel.objects.filter(cycle=self.cycle).order_by("position")
                  if p.group in self.group_of.values()]
        if panels and params.panel_size < params.min_panel_scores:
            raise ScenarioRefused(
                f"policy.panel_size: {params.panel_size} members cannot give the "
                f"min_panel_scores {params.min_panel_scores} scores an institution needs "
                "(R6a): the web application's panel review could never close")
        groups = set(self.group_of.values())
        if PanelGroup.C in groups and PanelGroup.A not in groups:
            raise ScenarioRefused(
                "group A is empty and group C is not: the web application draws the panels "
                "in order and cannot draw C after an empty A")
        self._experts(len(panels) * (params.panel_size + params.panel_alternates))
        for panel in panels:
            self._panel(panel)

        console = panel_console(self.cycle)
        with _services("the panel review's decisions"):
            count = self.scenario.panel_fail_count
            if count is not None:
                # k = min(max(F, chosen), |C|) (R6): the scenario's number raised to F, as
                # docs/rules.md says, and no more than |C|, which changes nothing and keeps
                # it within what the field holds.
                c_size = sum(1 for g in self.group_of.values() if g == PanelGroup.C)
                count = max(console.quotas.F, min(count, c_size))
            panel_fail_count_set(cycle=self.cycle, chosen=count, actor=self.admin)
            self._tiebreak(console)
        console = panel_console(self.cycle)
        problems = panel_review_close_problems(self.cycle, console)
        if problems:
            self._panel_refusal(console, problems)
        with _services("closing the panel review"):
            panel_review_close(cycle=self.cycle, actor=self.admin)
        self._move(CycleStatus.REVERIFICATION)

    def _experts(self, count: int) -> None:
        with _services("entering the experts"):
            for n in range(1, count + 1):
                expert_create(
                    actor=self.admin, clusters=[self.cluster], create_account=True,
                    pool_number=f"SCN{self.token}-{n}", name=f"Expert {n:03d}",
                    gender=Gender.MALE, employer_name="Scenario employer",
                    employer_credit_code=self.employer_code, title="Professor",
                    title_level=TitleLevel.FULL_SENIOR, phone="0516-00000000",
                    email=f"scn{self.token}-{n}@example.invalid")

    def _panel(self, panel: Panel) -> None:
        """Draw, invite and accept ``panel``; its first ``min_panel_scores`` members each give
        every institution of the panel its panel score."""
        with _services("drawing the panels"):
            panel_draw(panel=panel, actor=self.admin, seed=f"scenario-{panel.position}")
            panel_invite(panel=panel, actor=self.admin)
        seats = list(PanelSeat.objects.filter(panel=panel, role=SeatRole.MEMBER)
                     .select_related("expert__user", "panel__cycle").order_by("position"))
        seats = seats[:self.params.min_panel_scores]
        with _services("accepting the invitations"):
            seats = [seat_accept(seat=seat, actor=seat.expert.user) for seat in seats]
        group = PanelGroup(panel.group)
        scored = {self.participant_pk[i]: self.by_id[i].participant.panel_score
                  for i, g in self.group_of.items() if g == group
                  and self.by_id[i].participant.panel_score is not None}
        self._scores(seats, scored)

    def _scores(self, seats: list[PanelSeat], scored: Mapping[int, Decimal]) -> None:
        """Each of ``seats`` gives each participant of ``scored`` its panel score, submitted
        (R6), through ``expert_scores_submitted_create``."""
        points = list(Indicator.objects.filter(category__cycle=self.cycle)
                      .order_by("category__order", "order").values_list("pk", "points"))
        given = {pk: _spread(score, points) for pk, score in scored.items()}
        try:
            expert_scores_submitted_create(cycle=self.cycle, seats=seats,
                                           scores_of=lambda seat, assigned: given)
        except UnassignedScore as exc:
            raise ServicesRefused(
                "scoring: the services refused the scenario: "
                f"{self.id_of_participant[exc.participant_pk]} is not assigned to "
                f"{exc.seat}") from None

    def _tiebreak(self, console) -> None:
        """The scenario's ``panel_tiebreak`` as the organiser records it: the institutions it
        lists of each group and panel score, in its order, when it orders two or more."""
        classes: dict[tuple[str, Decimal], list[int]] = {}
        for institution_id in self.scenario.panel_tiebreak:
            pk = self.participant_pk.get(institution_id)
            row = console.rows.get(pk) if pk is not None else None
            if row is None or row.panel_score is None:
                continue
            classes.setdefault((row.group, row.panel_score), []).append(pk)
        for (_group, score), order in classes.items():
            if len(order) > 1:
                reason = f"The scenario's order of the equal panel score {score}."
                panel_tiebreak_set(cycle=self.cycle, order=order, reason=reason, actor=self.admin)

    def _panel_refusal(self, console, problems: list[str]) -> None:
        """What keeps the panel review from closing, in ``simulate_cycle``'s line: a member of
        A or C without its scores (R6a, the first in the scenario's order), then a tie at the
        line of the list, then at the line of the 不合格 (R6)."""
        short = {self.id_of_participant[row.participant_pk] for row in console.below_minimum}
        for institution in self.participants:
            if institution.id in short:
                raise _missing_score(institution, self.group_of[institution.id])
        for ranking, line in ((console.a, scoring.TieLine.LIST),
                              (console.c, scoring.TieLine.FAIL)):
            if ranking.tie:
                rows = ranking.blocking
                raise _blocking_tie(line, self._panel_order(
                    {self.id_of_participant[r.participant_pk]: r.panel_score for r in rows}),
                    rows[0].panel_score)
        raise ServicesRefused("closing the panel review: the services refused the scenario: "
                              + " ".join(problems))

    def _panel_order(self, scores: Mapping[str, Decimal]) -> tuple[str, ...]:
        """Scenario ids in panel order as docs/rules.md defines it for a scenario (R6)."""
        return scoring.panel_order(scores, self.scenario.panel_tiebreak).ids

    # --- Stage 4 ---------------------------------------------------------------------------

    def _reverification(self) -> None:
        cycle, scenario = self.cycle, self.scenario
        with _services("the re-verification"):
            if scenario.alternates:
                beyond = PanelResult.objects.filter(
                    outcome__cycle=cycle, participant__group=PanelGroup.A).exclude(
                    result=PanelResultKind.REVERIFY).count()
                allowed = min(scenario.alternates, beyond)
                if allowed:
                    reverification_alternates_set(
                        cycle=cycle, allowed=allowed, actor=self.admin,
                        reason="The scenario's number of alternates.")
            seed = scenario.spot_check_seed
            if cycle_quotas(cycle).S:
                # With S = 0 nothing is drawn and the results need no draw (R7); the service
                # cannot store an empty sample either.
                if not seed or seed != seed.strip() or len(seed) > SEED_MAX_LENGTH:
                    raise ScenarioRefused(
                        f"spot_check_seed: {quote(seed)}: the web application's spot-check "
                        f"draw keeps a seed of 1 to {SEED_MAX_LENGTH} characters without "
                        "surrounding spaces (it draws a random one for none)")
                spot_check_draw(cycle=cycle, actor=self.admin, seed=seed)
            reason = "The scenario's verdict."
            while True:  # each verdict may call in an alternate (R7)
                board = reverification_board(cycle)
                pending = [row for row in (*board.rows, *board.spot_rows) if row.pending]
                if not pending:
                    break
                for row in pending:
                    entry = self.by_id[self.id_of_participant[row.participant.pk]].participant
                    verdict = (entry.spot_check if row.kind == VerificationKind.SPOT_CHECK
                               else entry.reverify)
                    verification_verdict_record(
                        participant=row.participant, verdict=verdict.value, reason=reason,
                        revision=row.verification.revision if row.verification else 0,
                        actor=self.admin)
        tie = board.settlement.tie
        if tie is not None:
            scores = dict(PanelResult.objects.filter(
                participant_id__in=[int(key) for key in tie.ids])
                .values_list("participant_id", "score"))
            raise _blocking_tie(tie.line, self._panel_order(
                {self.id_of_participant[pk]: score for pk, score in scores.items()}),
                tie.score)

    # --- The output --------------------------------------------------------------------------

    def _output(self) -> dict:
        """The output document of docs/rules.md, read from what the services stored."""
        results = CycleResults.objects.get(cycle=self.cycle)
        tiers = {self.id_of_participant[pk]: tier for pk, tier in
                 ParticipantTier.objects.filter(results=results)
                 .values_list("participant_id", "tier")}
        abandoned = {self.ids.of_institution[pk] for pk in Submission.objects.filter(
            cycle=self.cycle, status=SubmissionStatus.NOT_PARTICIPATING)
            .values_list("institution_id", flat=True)}
        entries = {}
        for institution in self.scenario.institutions:
            if institution.id not in self.invited:
                entries[institution.id] = {"preliminary": None,
                                           "final": scoring.Final.NOT_IN_COHORT.value}
            elif institution.id in abandoned:
                entries[institution.id] = {"preliminary": None,
                                           "final": scoring.Final.NOT_PARTICIPATING.value}
            else:
                entries[institution.id] = {"preliminary": self.group_of[institution.id],
                                           "final": tiers[institution.id]}
        quotas = results.quotas
        name_of = {d.name: self.ids.district_name[d.pk] for d in District.objects.filter(
            pk__in=list(self.ids.district_name))}
        districts = {name_of[name]: sizes for name, sizes in quotas["districts"].items()}
        verified = dict(Verification.objects.filter(participant__cycle=self.cycle)
                        .values_list("participant_id", "kind"))
        scores = {self.id_of_participant[pk]: score for pk, score in PanelResult.objects
                  .filter(outcome__cycle=self.cycle).values_list("participant_id", "score")}
        order = self._panel_order({i: s for i, s in scores.items()
                                   if self.group_of[i] == PanelGroup.A})
        kind = {self.id_of_participant[pk]: k for pk, k in verified.items()}
        listed = [i for i in order if kind.get(i) == VerificationKind.LISTED]
        joined = [i for i in order if kind.get(i) == VerificationKind.ALTERNATE]
        draw = SpotCheckDraw.objects.filter(cycle=self.cycle).first()
        id_of_code = {code: i for i, code in self.ids.code.items()}
        previous = {i.id: i.participant.previous_final for i in self.participants}
        deregistered = scoring.deregistrations(
            {i: scoring.Final(t) for i, t in tiers.items()}, previous)
        preliminary = {i: scoring.Group(g) for i, g in self.group_of.items()}
        where = {i.id: _where(i.index, i.id) for i in self.scenario.institutions}
        checks = results.checks
        return {
            "quotas": {
                "N": quotas["N"], "E": quotas["E"], "G": quotas["G"], "K": quotas["K"],
                "F": quotas["F"], "S": quotas["S"],
                "districts": {
                    name: {"n": s["n"], "A": s["A"], "B": s["B"], "C": s["C"]}
                    for name, s in sorted(districts.items())
                },
            },
            "results": entries,
            "reverification_list": listed + joined,
            "spot_check_sample": [id_of_code[c] for c in (draw.sample if draw else [])],
            "deregistered": list(deregistered),
            "abandoned": sorted(abandoned),
            "checks": {"passed": checks["passed"], "failures": list(checks["failures"])},
            "panels": _draws(self.scenario, preliminary, where),
        }

