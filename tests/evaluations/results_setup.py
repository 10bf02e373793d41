"""Shared set-up of the results tests (and of ``bench/bench_results.py``): a cycle in its
re-verification, every earlier stage closed, written straight to the database with
``bulk_create`` (fast at any size, and independent of the stage services' pages).

Each district is a list of its participants in district rank order (best first), each a
dict: ``score`` (the panel score of a member of group A or C), ``reverify`` (the verdict of
the re-verification, or None for none recorded), ``spot`` (of the spot check), ``fraud``
(a confirmed fraud with its credit record) and ``name``. The groups follow R4's split of the
district; the panel review's results, the re-verification list, the alternates that join it
and the spot check's sample are what the stages' own services would have recorded, from the
same ``scoring`` functions (ids are participant pks as strings, as those services use)."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

import scoring
from evaluations.enums import (
    CycleStatus,
    DistrictReviewStatus,
    FraudKind,
    FraudStatus,
    SubmissionStatus,
    VerificationKind,
)
from evaluations.models import (
    CreditRecord,
    Cycle,
    CycleStage,
    DistrictReview,
    FraudReport,
    PanelOutcome,
    PanelResult,
    PanelResultKind,
    Participant,
    PolicyVersion,
    Reverification,
    SpotCheckDraw,
    Submission,
    Verification,
)
from institutions.models import Cluster, District, Institution
from tests.factories import make_credit_code

_SERIALS = itertools.count(600_000)
BATCH = 2000


@dataclass
class Built:
    cycle: Cycle
    participants: dict[str, Participant]  # by institution name
    listed: list[int]  # pks, panel order
    alternates: list[int]
    sample: list[str]  # credit codes, draw order


def entry(score=None, reverify="confirmed", spot="confirmed", fraud=False, name=None) -> dict:
    return {"score": score, "reverify": reverify, "spot": spot, "fraud": fraud, "name": name}


def build_reverification_cycle(
    actor,
    districts: Mapping[str, Sequence[dict]],
    *,
    year: int = 2025,
    seed: str = "2025-xz-01",
    fail_count: int | None = None,
    alternates: int = 0,
    tiebreak: Sequence[str] = (),
    draw: bool = True,
    stage_closed: bool = False,
) -> Built:
    """A cycle of ``year`` in its re-verification with ``districts`` (name → entries, see
    the module docstring). ``tiebreak`` names institutions (by ``name``) in the organiser's
    order of equal panel scores; ``draw`` False leaves the spot check undrawn;
    ``stage_closed`` marks the re-verification closed and the public notice scheduled (so
    that only the results keep the cycle from moving on)."""
    now, today = timezone.now(), timezone.localdate()
    policy = PolicyVersion.objects.order_by("effective_date").first()
    clusters = list(Cluster.objects.order_by("sort_order"))
    by_name = {d.name: d for d in District.objects.filter(name__in=list(districts))}
    cycle = Cycle.objects.create(year=year, policy_version=policy,
                                 status=CycleStatus.REVERIFICATION, created_by=actor)
    stages = []
    for n, stage in enumerate((CycleStatus.SELF_EVALUATION, CycleStatus.PRELIMINARY_REVIEW,
                               CycleStatus.PANEL_REVIEW, CycleStatus.REVERIFICATION,
                               CycleStatus.PUBLIC_NOTICE)):
        opens = today + dt.timedelta(days=30 * (n - 3))
        current = stage == CycleStatus.REVERIFICATION
        later = stage == CycleStatus.PUBLIC_NOTICE
        stages.append(CycleStage(
            cycle=cycle, stage=stage, opens_on=opens, closes_on=opens + dt.timedelta(days=20),
            opened_at=None if later else now,
            closed_at=None if later or (current and not stage_closed) else now))
    CycleStage.objects.bulk_create(stages)

    flat = [(district, k, e) for district, entries in districts.items()
            for k, e in enumerate(entries, start=1)]
    institutions = Institution.objects.bulk_create([
        Institution(name=e["name"] or f"{district}第{next(_SERIALS) % 1_000_000:06d}号研究院",
                    credit_code=make_credit_code(next(_SERIALS)),
                    district=by_name[district], cluster=clusters[i % len(clusters)],
                    filing_date=dt.date(year - 4, 3, 1), legal_representative="张三",
                    contact_person="李四", contact_phone="0516-83000000")
        for i, (district, _k, e) in enumerate(flat)], batch_size=BATCH)
    submissions = Submission.objects.bulk_create([
        Submission(cycle=cycle, institution=inst, district=inst.district, cluster=inst.cluster,
                   status=SubmissionStatus.SUBMITTED, deadline=today, submitted_at=now)
        for inst in institutions], batch_size=BATCH)
    reviews = {name: DistrictReview.objects.create(
        cycle=cycle, district=by_name[name], status=DistrictReviewStatus.ACCEPTED,
        submitted_at=now, decided_at=now) for name in districts}
    params = policy.as_params()
    groups = {}
    for district, entries in districts.items():
        ranked = scoring.rank_groups(list(range(1, len(entries) + 1)), params.district_shares)
        groups.update({(district, k): str(group) for k, group in ranked.items()})
    participants = Participant.objects.bulk_create([
        Participant(cycle=cycle, submission=sub, institution=inst,
                    district_review=reviews[district], rank=k, group=groups[(district, k)],
                    score=Decimal("80.00"), tie_confirmed=True,
                    fraud_confirmed_at=now if e["fraud"] else None)
        for (district, k, e), inst, sub in zip(flat, institutions, submissions, strict=True)],
        batch_size=BATCH)
    for p, inst in zip(participants, institutions, strict=True):
        p.institution = inst
    spec = {p.pk: e for p, (_d, _k, e) in zip(participants, flat, strict=True)}
    named = {p.institution.name: p for p in participants}

    # Fraud (R8): the confirmed report and its credit record.
    frauds = [p for p in participants if spec[p.pk]["fraud"]]
    reports = FraudReport.objects.bulk_create([
        FraudReport(participant=p, kind=FraudKind.OVERSTATED, description="研发投入虚报。",
                    status=FraudStatus.CONFIRMED, reported_by=actor, decided_by=actor,
                    decided_at=now, decision_reason="核实属实。") for p in frauds])
    CreditRecord.objects.bulk_create([
        CreditRecord(institution=r.participant.institution, cycle=cycle, fraud_report=r,
                     person_name="王五", person_role="法定代表人", finding="研发投入虚报。",
                     recorded_on=today, recorded_by=actor) for r in reports])

    # Stage 3 as ``panel_review_close`` leaves it.
    quotas = scoring.city_quotas(len(participants), params,
                                 b_size=sum(1 for p in participants if p.group == "B"))
    order_pks = [str(named[name].pk) for name in tiebreak]
    outcome = PanelOutcome.objects.create(
        cycle=cycle, fail_count=fail_count, fail_count_confirmed=True,
        tiebreak=[int(pk) for pk in order_pks], closed_at=now, closed_by=actor)
    fraud_keys = {str(p.pk) for p in frauds}
    results = []
    orders = {}
    for group in ("A", "C"):
        scores = {str(p.pk): Decimal(str(spec[p.pk]["score"])) for p in participants
                  if p.group == group}
        order = scoring.panel_order(scores, order_pks)
        orders[group] = order
        if group == "A":
            listed = set(scoring.reverification_list(order, excellent_places=quotas.E,
                                                     good_places=quotas.G))
            kinds = {k: PanelResultKind.REVERIFY if k in listed else PanelResultKind.NOT_LISTED
                     for k in order.ids}
        else:
            settled = scoring.settle_group_c(order, fail_minimum=quotas.F, chosen=fail_count,
                                             fraud=fraud_keys)
            kinds = {k: PanelResultKind(f.value) for k, f in settled.finals.items()}
        results += [PanelResult(outcome=outcome, participant_id=int(k), score=scores[k],
                                rank=place, result=kinds[k])
                    for place, k in enumerate(order.ids, start=1)]
    PanelResult.objects.bulk_create(results, batch_size=BATCH)

    # Stage 4: the list, the alternates its verdicts call in, the spot check.
    Reverification.objects.create(cycle=cycle, alternates_allowed=alternates,
                                  alternates_reason="测试" if alternates else "")
    a = orders["A"]
    verdicts = {k: scoring.Verdict(spec[int(k)]["reverify"] or "confirmed") for k in a.ids}
    listed = scoring.reverification_list(a, excellent_places=quotas.E, good_places=quotas.G)
    try:
        joined = scoring.settle_group_a(a, excellent_places=quotas.E, good_places=quotas.G,
                                        verdicts=verdicts, fraud=fraud_keys,
                                        alternates_allowed=alternates).alternates
    except scoring.BlockingTie:  # a tie among the confirmed: the results will say so
        joined = ()
    rows = [Verification(participant_id=int(k), kind=VerificationKind.LISTED) for k in listed]
    rows += [Verification(participant_id=int(k), kind=VerificationKind.ALTERNATE)
             for k in joined]
    sample: list[str] = []
    if draw:
        members = {p.institution.credit_code: p for p in participants if p.group == "B"}
        candidates = sorted(members)
        sample = list(scoring.spot_check_draw(candidates, quotas.S, seed))
        SpotCheckDraw.objects.create(cycle=cycle, size=quotas.S, seed=seed, candidates=candidates,
                                     digest="0" * 64, sample=sample, drawn_by=actor)
        rows += [Verification(participant=members[code], kind=VerificationKind.SPOT_CHECK)
                 for code in sample]
    for row in rows:
        e = spec[row.participant_id]
        verdict = e["spot"] if row.kind == VerificationKind.SPOT_CHECK else e["reverify"]
        if verdict and not e["fraud"]:
            row.verdict, row.reason, row.decided_by, row.decided_at = verdict, "现场核实。", \
                actor, now
    Verification.objects.bulk_create(rows, batch_size=BATCH)
    return Built(cycle=cycle, participants=named,
                 listed=[int(k) for k in listed], alternates=[int(k) for k in joined],
                 sample=sample)


def district(n: int, *, top: float = 95.0, step: float = 1.0,
             changes: Mapping[int, dict] | None = None) -> list[dict]:
    """``n`` entries with panel scores falling by ``step`` from ``top`` (the B members' are
    not used); ``changes`` maps a district rank to the fields it changes."""
    changes = changes or {}
    return [entry(**{"score": f"{top - step * (k - 1):.2f}", **changes.get(k, {})})
            for k in range(1, n + 1)]
