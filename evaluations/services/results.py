"""The results of a cycle (Art 7, 12, 13; R9): every participant's tier and its explanation,
computed once every on-site verdict is in, and computed again from what was stored to show
that the same inputs give the same tiers.

``results_compute`` is the one place that decides a tier: it loads what stages 2–4 recorded
(the districts' ranks and groups, the panel scores, the organiser's fail count and tie-break
order, the verdicts of the list, its alternates and the spot check, the spot check's seed,
the confirmed frauds), hands them to ``scoring.run_cycle`` — the engine ``simulate_cycle``
runs — and checks that the engine's groups and lists are the ones the stages recorded before
storing anything. ``results_recompute_compare`` runs the engine again on the stored inputs;
``results_justify`` records why a failed check of R9 may stand;
``results_publication_problems`` is what keeps the cycle from its public notice until then.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

import scoring
from institutions.audit import acting_as
from institutions.exceptions import DomainError
from institutions.models import User

from ..enums import CycleStatus, SiteVerdict, VerificationKind
from ..models import (
    CreditRecord,
    Cycle,
    CycleResults,
    DistrictReview,
    PanelOutcome,
    PanelResult,
    PanelResultKind,
    Participant,
    ParticipantTier,
    Reverification,
    SpotCheckDraw,
    Verification,
)

# How many institutions a message names before it says how many more there are.
NAMED = 10
BATCH = 1000


# --- What the stages recorded -------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One participant as the computation reads it."""

    pk: int
    code: str  # the institution's unified social credit code: the engine's id
    name: str
    district: str
    rank: int | None
    group: str
    fraud: bool
    institution_id: int


@dataclass
class Recorded:
    """Everything the computation reads of one cycle, keyed by the engine's ids: the
    institutions' unified social credit codes (R7 sorts the spot check's candidates by
    them)."""

    cycle: Cycle
    rows: list[Row]  # ordered by district, then district rank
    code_of: dict[int, str]  # participant pk → id
    name_of: dict[str, str]  # id → institution name
    group_of: dict[str, str]  # id → group recorded at the close of stage 2
    panel: dict[str, PanelResultKind]  # id → the panel review's result (A and C)
    outcome: PanelOutcome | None
    verifications: dict[str, tuple[str, str]]  # id → (kind, verdict or "")
    draw: SpotCheckDraw | None
    alternates_allowed: int
    inputs: dict  # the engine's inputs as JSON (see ``_participants_of``)
    problems: list[str]


def _recorded(cycle: Cycle) -> Recorded:
    """Read the cycle in a fixed number of queries (districts, participants, panel results,
    outcome, verifications, draw, re-verification settings, credit records, the previous
    cycle's tiers), as plain values: model instances cost ten times as much at 20,000
    participants."""
    district_of = dict(DistrictReview.objects.filter(cycle=cycle)
                       .values_list("pk", "district__name"))
    rows = sorted(
        (Row(pk=pk, code=code, name=name, district=district_of[review], rank=rank,
             group=group, fraud=fraud is not None, institution_id=institution)
         for pk, code, name, review, rank, group, fraud, institution in
         Participant.objects.filter(cycle=cycle).values_list(
             "pk", "institution__credit_code", "institution__name", "district_review_id",
             "rank", "group", "fraud_confirmed_at", "institution_id")),
        key=lambda r: (r.district, r.rank or 0, r.pk))
    code_of = {r.pk: r.code for r in rows}
    name_of = {r.code: r.name for r in rows}
    panel_rows = PanelResult.objects.filter(participant__cycle=cycle) \
        .values_list("participant_id", "score", "result")
    scores: dict[int, Decimal] = {}
    panel: dict[str, PanelResultKind] = {}
    for pk, score, result in panel_rows:
        scores[pk] = score
        panel[code_of[pk]] = PanelResultKind(result)
    outcome = PanelOutcome.objects.filter(cycle=cycle).first()
    verifications = {
        code_of[pk]: (kind, verdict) for pk, kind, verdict in
        Verification.objects.filter(participant__cycle=cycle)
        .values_list("participant_id", "kind", "verdict")}
    draw = SpotCheckDraw.objects.filter(cycle=cycle).first()
    settings = Reverification.objects.filter(cycle=cycle).first()
    frauds = {
        code_of[pk]: {"credit_record": record, "kind": kind} for pk, record, kind in
        CreditRecord.objects.filter(cycle=cycle, fraud_report__participant__cycle=cycle)
        .values_list("fraud_report__participant_id", "pk", "fraud_report__kind")}
    previous = dict(
        Participant.objects.filter(cycle__year=cycle.year - 2, tier__isnull=False)
        .values_list("institution_id", "tier__tier"))

    problems: list[str] = []
    unranked = [r.name for r in rows if r.rank is None or not r.group]
    if unranked:
        problems.append(_("These institutions have no place or group of the preliminary "
                          "review: %(names)s.") % {"names": _names(unranked)})
    no_score = [r.name for r in rows if r.group in ("A", "C") and r.pk not in scores]
    if no_score:
        problems.append(_("These institutions of groups A and C have no panel score: "
                          "%(names)s.") % {"names": _names(no_score)})
    # The engine's defaults stand in for verdicts not recorded: whether one is missing is
    # checked against the engine's own list once it has run (``_missing_verdicts``).
    people = []
    for r in rows:
        kind, verdict = verifications.get(r.code, ("", ""))
        people.append({
            "participant": r.pk,
            "id": r.code,
            "district": r.district,
            "district_rank": r.rank or 0,
            "panel_score": str(scores[r.pk]) if r.pk in scores else None,
            "reverify": verdict if kind in (VerificationKind.LISTED, VerificationKind.ALTERNATE)
            and verdict else scoring.Verdict.CONFIRMED.value,
            "spot_check": verdict if kind == VerificationKind.SPOT_CHECK and verdict
            else scoring.SpotVerdict.CONFIRMED.value,
            "fraud": r.fraud,
            "previous_final": previous.get(r.institution_id),
        })
    spot_not_confirmed = [name_of[code] for code, (kind, verdict) in verifications.items()
                          if kind == VerificationKind.SPOT_CHECK
                          and verdict == SiteVerdict.NOT_CONFIRMED]
    if spot_not_confirmed:
        problems.append(_("A spot check's verdict is either confirmed or operating poorly, "
                          "not “not confirmed”: %(names)s.")
                        % {"names": _names(spot_not_confirmed)})
    tiebreak = [code_of[int(pk)] for pk in (outcome.tiebreak if outcome else [])
                if int(pk) in code_of]
    inputs = {
        "participants": people,
        "panel_fail_count": outcome.fail_count if outcome else None,
        "alternates": settings.alternates_allowed if settings else 0,
        "panel_tiebreak": tiebreak,
        "frauds": {r.code: frauds.get(r.code, {}) for r in rows if r.fraud},
    }
    return Recorded(
        cycle=cycle, rows=rows, code_of=code_of, name_of=name_of,
        group_of={r.code: r.group for r in rows}, panel=panel, outcome=outcome,
        verifications=verifications, draw=draw,
        alternates_allowed=settings.alternates_allowed if settings else 0,
        inputs=inputs, problems=problems)


def _names(names: Iterable[str]) -> str:
    """The first ``NAMED`` names, and how many more."""
    names = list(names)
    shown = "、".join(names[:NAMED])
    if len(names) <= NAMED:
        return shown
    more = len(names) - NAMED
    return ngettext("%(names)s and %(count)s more", "%(names)s and %(count)s more",
                    more) % {"names": shown, "count": more}


# --- The engine's inputs and answer -------------------------------------------------------

def _participants_of(inputs: Mapping) -> list[scoring.Participant]:
    """``scoring.Participant`` of each stored participant (the JSON of ``_recorded``)."""
    return [scoring.Participant(
        id=p["id"], district=p["district"], district_rank=p["district_rank"],
        panel_score=None if p["panel_score"] is None else Decimal(p["panel_score"]),
        reverify=scoring.Verdict(p["reverify"]), spot_check=scoring.SpotVerdict(p["spot_check"]),
        fraud=p["fraud"],
        previous_final=None if p["previous_final"] is None else scoring.Final(p["previous_final"]),
    ) for p in inputs["participants"]]


def _params_json(params: scoring.PolicyParams) -> dict:
    return {name: list(value) if isinstance(value, tuple) else value
            for name, value in dataclasses.asdict(params).items()}


@dataclass(frozen=True)
class Computed:
    result: scoring.CycleResult
    explanations: dict[str, tuple[dict, ...]]


def _run(inputs: Mapping, params: scoring.PolicyParams, seed: str) -> Computed:
    """``scoring.run_and_explain`` on stored inputs (raises the engine's errors)."""
    result, explanations = scoring.run_and_explain(
        _participants_of(inputs), params=params, spot_check_seed=seed,
        panel_fail_count=inputs["panel_fail_count"], alternates=inputs["alternates"],
        panel_tiebreak=inputs["panel_tiebreak"], frauds=inputs["frauds"])
    return Computed(result=result, explanations=explanations)


def _quotas_json(result: scoring.CycleResult) -> dict:
    q = result.quotas
    return {"N": q.N, "E": q.E, "G": q.G, "K": q.K, "F": q.F, "S": q.S,
            "districts": {name: {"n": s.n, "A": s.a, "B": s.b, "C": s.c}
                          for name, s in result.districts}}


def _checks_json(result: scoring.CycleResult) -> dict:
    return {"passed": result.checks.passed, "failures": list(result.checks.failures)}


def results_digest(*, rule_version: str, params: Mapping, seeds: Mapping, inputs: Mapping,
                   quotas: Mapping, checks: Mapping, finals: Mapping[int, str]) -> str:
    """SHA-256 of everything a computation read and decided, as canonical JSON (sorted
    keys, no spaces): the same inputs and tiers give the same digest on any database."""
    document = {"rule_version": rule_version, "params": params, "seeds": seeds,
                "inputs": inputs, "quotas": quotas, "checks": checks,
                "finals": {str(pk): tier for pk, tier in sorted(finals.items())}}
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --- Refusals -----------------------------------------------------------------------------

def _compute_problem(cycle: Cycle) -> str | None:
    if cycle.status != CycleStatus.REVERIFICATION:
        return _("The results are computed during the re-verification, once every on-site "
                 "verdict is in.")
    return None


def _engine_error(exc: scoring.ScoringError, recorded: Recorded) -> str:
    """The engine's refusal in the users' words."""
    name = recorded.name_of
    if isinstance(exc, scoring.BlockingTie):
        line = {
            scoring.TieLine.LIST: _("the line of the re-verification list"),
            scoring.TieLine.ALTERNATES: _("the line of the alternates"),
            scoring.TieLine.FAIL: _("the line of the unqualified"),
            scoring.TieLine.EXCELLENT: _("the line of the excellent places"),
            scoring.TieLine.GOOD: _("the line of the good places"),
        }[exc.line]
        return _("Institutions with the equal panel score %(score)s straddle %(line)s: "
                 "%(names)s. Their order must be recorded before the results can be "
                 "computed.") % {"score": exc.score, "line": line,
                                 "names": _names(name.get(i, i) for i in exc.ids)}
    if isinstance(exc, scoring.RankingError):
        return _("The ranking of %(district)s is not a ranking from 1 to its number of "
                 "participants.") % {"district": exc.district}
    if isinstance(exc, scoring.MissingPanelScore):
        return _("%(name)s of group %(group)s has no panel score.") % {
            "name": name.get(exc.institution_id, exc.institution_id), "group": exc.group}
    return _("The results cannot be computed: %(error)s") % {"error": exc}


def _disagreements(recorded: Recorded, result: scoring.CycleResult) -> list[str]:
    """Where the engine's groups and lists differ from what stages 2–4 recorded (Art 10–12):
    the preliminary groups (R4), the re-verification list and the unqualified of group C
    fixed at the panel review (R6), the institutions verified as on the list and for the
    spot check, and the spot check's sample and candidates (R7)."""
    name = recorded.name_of
    problems = []

    def differ(message: str, expected: Iterable[str], found: Iterable[str]) -> None:
        expected, found = set(expected), set(found)
        if expected != found:
            problems.append(message % {"names": _names(
                name[i] for i in sorted(expected ^ found, key=lambda i: name[i]))})

    wrong_group = [i for i, g in result.preliminary.items() if recorded.group_of[i] != g]
    if wrong_group:
        problems.append(_("The groups recorded at the preliminary review differ from the "
                          "districts' rankings for: %(names)s.")
                        % {"names": _names(name[i] for i in wrong_group)})
        return problems  # every list below follows from the groups
    fraud = {p["id"] for p in recorded.inputs["participants"] if p["fraud"]}
    alternates = result.alternates
    listed = result.reverification_list[: len(result.reverification_list) - len(alternates)]
    differ(_("The re-verification list fixed at the panel review differs from the one the "
             "rules give for: %(names)s."),
           listed, (i for i, kind in recorded.panel.items() if kind == PanelResultKind.REVERIFY))
    c_members = {i for i, g in result.preliminary.items() if g == scoring.Group.C}
    differ(_("The unqualified of group C (poor) fixed at the panel review differ from those "
             "the rules give for: %(names)s."),
           (i for i in c_members
            if result.finals[i] == scoring.Final.UNQUALIFIED and i not in fraud),
           (i for i, kind in recorded.panel.items()
            if kind == PanelResultKind.UNQUALIFIED and i in c_members and i not in fraud))
    kinds: dict[str, set[str]] = {k: set() for k in VerificationKind.values}
    for i, (kind, _verdict) in recorded.verifications.items():
        kinds[kind].add(i)
    differ(_("The institutions verified on site as on the re-verification list differ from "
             "the list for: %(names)s."), listed, kinds[VerificationKind.LISTED])
    # An alternate called in by a verdict changed back later keeps its verification
    # (services.reverification): only one the rules call without a verdict is a problem,
    # and ``_missing_verdicts`` names it.
    differ(_("The institutions verified for the spot check differ from its sample for: "
             "%(names)s."), result.spot_check_sample, kinds[VerificationKind.SPOT_CHECK])
    draw = recorded.draw
    if draw is not None:
        candidates = sorted(i for i, g in result.preliminary.items() if g == scoring.Group.B)
        if list(draw.candidates) != candidates:
            problems.append(_("The spot check's recorded candidates are not the members of "
                              "group B (qualified) sorted by credit code."))
        elif list(draw.sample) != list(result.spot_check_sample):
            problems.append(_("The spot check's recorded sample is not the one its seed "
                              "gives."))
    return problems


def _missing_verdicts(recorded: Recorded, result: scoring.CycleResult) -> list[str]:
    """The institutions the engine needs an on-site verdict of that have none: the list, the
    alternates that joined it and the spot check's sample (R7); a fraud needs none (R8)."""
    fraud = {p["id"] for p in recorded.inputs["participants"] if p["fraud"]}
    needed = [*result.reverification_list, *result.spot_check_sample]
    return [i for i in needed
            if i not in fraud and not recorded.verifications.get(i, ("", ""))[1]]


# --- The services -------------------------------------------------------------------------

def results_compute(*, cycle: Cycle, actor: User) -> CycleResults:
    """Compute and store the cycle's results (R9): every participant's tier, from
    ``scoring.run_cycle``, with its explanation (``scoring.explain_cycle``).

    Preconditions: the cycle is in its re-verification; the panel review is closed; every
    participant has its place and group, every member of A and C its panel score; the spot
    check is drawn (when group B has members); the engine's groups, re-verification list,
    alternates, spot-check sample and unqualified of group C are those the stages recorded;
    every institution of the list, of the alternates that joined it and of the sample has
    its verdict. Refusals are ``DomainError`` with a readable sentence.

    Side effects: the ``CycleResults`` of the cycle (the rule version, the parameters, the
    seed, the inputs as JSON, the quotas, R9's checks and a SHA-256 digest) and one
    ``ParticipantTier`` per participant, created, or replacing an earlier computation in
    place (a justification stays only if the same checks fail). Audited under ``actor``:
    the results' entry (with the digest that pins every tier) and an entry for each tier an
    earlier computation had otherwise.
    """
    with transaction.atomic(), acting_as(actor):
        # FOR UPDATE: two administrators computing at once store one computation after the
        # other, never a mix.
        locked = Cycle.objects.select_for_update().select_related("policy_version") \
            .get(pk=cycle.pk)
        problem = _compute_problem(locked)
        if problem:
            raise DomainError(problem)
        recorded = _recorded(locked)
        if recorded.outcome is None or not recorded.outcome.is_closed:
            raise DomainError(_("The panel review is not closed yet."))
        if recorded.problems:
            raise DomainError(" ".join(recorded.problems))
        params = locked.policy_version.as_params()
        b_size = sum(1 for g in recorded.group_of.values() if g == scoring.Group.B)
        spot_size = scoring.city_quotas(len(recorded.rows), params, b_size=b_size).S
        if spot_size and recorded.draw is None:
            raise DomainError(_("The spot check of group B (qualified) has not been drawn "
                                "yet."))
        seed = recorded.draw.seed if recorded.draw is not None else ""
        try:
            computed = _run(recorded.inputs, params, seed)
        except scoring.ScoringError as exc:
            raise DomainError(_engine_error(exc, recorded)) from exc
        result = computed.result
        problems = _disagreements(recorded, result)
        if problems:
            raise DomainError(" ".join(problems))
        missing = _missing_verdicts(recorded, result)
        if missing:
            raise DomainError(_("On-site verdicts are still missing for: %(names)s.")
                              % {"names": _names(recorded.name_of[i] for i in missing)})
        return _store(locked, recorded, computed, params=params, seed=seed, actor=actor)


def _store(cycle: Cycle, recorded: Recorded, computed: Computed, *,
           params: scoring.PolicyParams, seed: str, actor: User) -> CycleResults:
    result = computed.result
    pk_of = {code: pk for pk, code in recorded.code_of.items()}
    finals = {pk_of[i]: final.value for i, final in result.finals.items()}
    fields = {
        "rule_version": str(cycle.policy_version)[:100],
        "params": _params_json(params),
        "seeds": {"spot_check": seed},
        "inputs": recorded.inputs,
        "quotas": _quotas_json(result),
        "checks": _checks_json(result),
    }
    fields["digest"] = results_digest(**fields, finals=finals)
    results = CycleResults.objects.filter(cycle=cycle).first()
    if results is None:
        results = CycleResults(cycle=cycle, computed_by=actor, **fields)
    else:
        if results.checks.get("failures") != fields["checks"]["failures"]:
            # A justification answers the failures it was written for, not others.
            results.justification, results.justified_by, results.justified_at = "", None, None
        for name, value in fields.items():
            setattr(results, name, value)
        results.computed_by = actor
    results.full_clean()
    results.save()

    existing = {t.participant_id: t for t in ParticipantTier.objects.filter(results=results)
                .only("pk", "participant_id", "tier", "explanation", "results_id")}
    new, explained_again = [], []
    for code, steps in computed.explanations.items():
        pk = pk_of[code]
        tier, explanation = finals[pk], list(steps)
        row = existing.pop(pk, None)
        if row is None:
            new.append(ParticipantTier(results_id=results.pk, participant_id=pk, tier=tier,
                                       explanation=explanation))
        elif row.tier != tier:
            # A tier that changes is an entry of the trail of its own (before → after).
            row.results = results
            row.tier, row.explanation = tier, explanation
            row.save(update_fields=["tier", "explanation"])
        elif row.explanation != explanation:
            row.explanation = explanation
            explained_again.append(row)  # the explanation is not in the trail
    for row in existing.values():  # a participant no longer in the cycle
        row.results = results
        row.delete()
    if new:
        # The tiers a computation creates are recorded by the results' own entry: who
        # computed them, when, under which rule version, and the digest that pins every one
        # of them (``results_digest``). One entry per tier would add nothing to it (the
        # inputs and the explanation of each are stored) and cost most of the computation of
        # a 20,000-participant cycle. A tier changed later, by a computation again or an
        # upheld objection, is an entry of its own (before → after).
        ParticipantTier.objects.bulk_create(new, batch_size=BATCH)
    if explained_again:
        ParticipantTier.objects.bulk_update(explained_again, ["explanation"], batch_size=BATCH)
    return results


@dataclass(frozen=True)
class TierDifference:
    """A participant whose stored tier is not the one the stored inputs give again."""

    participant_id: int
    name: str
    stored: str | None
    recomputed: str | None


@dataclass(frozen=True)
class Comparison:
    """The answer of ``results_recompute_compare``: ``identical`` when the stored inputs
    give the stored tiers again and nothing stored differs from its digest."""

    differences: tuple[TierDifference, ...]
    digest_matches: bool
    error: str = ""

    @property
    def identical(self) -> bool:
        return not self.differences and self.digest_matches and not self.error


def results_recompute_compare(*, cycle: Cycle) -> Comparison:
    """Compute the cycle's results again from what was stored with them (the parameters,
    the seed, the inputs; R9) with the same pure functions, and compare the tiers with the
    stored ones, participant by participant; also whether the stored record still has its
    digest. Reads only. Refuses a cycle with no results."""
    results = CycleResults.objects.filter(cycle=cycle).first()
    if results is None:
        raise DomainError(_("The results have not been computed yet."))
    stored = dict(results.tiers.values_list("participant_id", "tier"))
    names = dict(Participant.objects.filter(cycle=cycle)
                 .values_list("pk", "institution__name"))
    digest = results_digest(rule_version=results.rule_version, params=results.params,
                            seeds=results.seeds, inputs=results.inputs, quotas=results.quotas,
                            checks=results.checks, finals=stored)
    try:
        computed = _run(results.inputs, scoring.PolicyParams(**results.params),
                        results.seeds.get("spot_check", ""))
    except (scoring.ScoringError, KeyError, TypeError, ValueError) as exc:
        return Comparison(differences=(), digest_matches=digest == results.digest,
                          error=_("The stored inputs cannot be computed again: %(error)s")
                          % {"error": exc})
    pk_of = {p["id"]: p["participant"] for p in results.inputs["participants"]}
    again = {pk_of[i]: final.value for i, final in computed.result.finals.items()}
    differences = tuple(
        TierDifference(participant_id=pk, name=names.get(pk, str(pk)), stored=stored.get(pk),
                       recomputed=again.get(pk))
        for pk in sorted(set(stored) | set(again), key=lambda pk: (names.get(pk, ""), pk))
        if stored.get(pk) != again.get(pk))
    return Comparison(differences=differences, digest_matches=digest == results.digest)


def results_justify(*, cycle: Cycle, text: str, actor: User) -> CycleResults:
    """Record the city's justification of the failed checks of R9 (kept and shown with the
    results; it lets the cycle move to its public notice). Refused when the results are not
    computed, when every check passed, outside the re-verification, or without a text."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the justification of the failed checks."))
    with transaction.atomic(), acting_as(actor):
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        problem = _compute_problem(locked)
        if problem:
            raise DomainError(problem)
        results = CycleResults.objects.filter(cycle=locked).first()
        if results is None:
            raise DomainError(_("The results have not been computed yet."))
        if results.checks.get("passed"):
            raise DomainError(_("Every check of the results passed: there is nothing to "
                                "justify."))
        results.justification, results.justified_by = text, actor
        results.justified_at = timezone.now()
        results.full_clean()
        results.save(update_fields=["justification", "justified_by", "justified_at"])
    return results


def results_publication_problems(cycle: Cycle) -> list[str]:
    """Why the results keep the cycle from its public notice (R9): not computed; computed
    from inputs that have changed since (a verdict, a fraud, the spot check); a failed check
    without its justification. Empty when they are ready."""
    results = CycleResults.objects.filter(cycle=cycle).first()
    if results is None:
        return [_("The results have not been computed yet.")]
    problems = []
    if _recorded(cycle).inputs != results.inputs:
        problems.append(_("Verdicts, frauds or the panel's decisions changed after the "
                          "results were computed: compute them again."))
    if not results.checks.get("passed") and not results.justification:
        problems.append(_("A check of the results failed: record its justification first."))
    return problems

