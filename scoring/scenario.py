"""The scenario file of docs/rules.md: parse and validate one JSON document, run the cycle with the
same rules the web app uses, and build the output document.

Every problem raises ``ScenarioError`` with one line: where (the field path and, for an
institution, an expert or a panel, its index and id) and what. Numbers are parsed as
``Decimal`` so panel scores stay exact.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .cohort import out_of_cohort_reason
from .cycle import Participant, run_cycle
from .draw import (
    Expert,
    PanelInstitution,
    PanelResult,
    PanelSpec,
    panel_assignment_problems,
    run_draws,
    split_group,
)
from .enums import CLUSTERS, ClusterCategory, Final, Group, OutOfCohort, SpotVerdict, Verdict
from .errors import (
    BlockingTie,
    MissingPanelScore,
    NotEnoughExperts,
    PolicyError,
    RankingError,
    ScenarioError,
    quote,
    show,
)
from .policy import PolicyParams

TOP_FIELDS = (
    "year", "policy", "spot_check_seed", "panel_fail_count", "alternates", "institutions",
    "panel_tiebreak", "experts", "panels",
)
INSTITUTION_FIELDS = (
    "id", "district", "filing_year", "submitted", "district_rank", "panel_score", "reverify",
    "spot_check", "fraud", "previous_final", "cluster", "legal_representative", "contact",
)
EXPERT_FIELDS = ("id", "name", "clusters", "senior", "active", "employers", "declared_conflicts")
PANEL_FIELDS = ("id", "group", "categories", "seed", "widen")
_PANEL_GROUPS = (Group.A, Group.C)
_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ScenarioInstitution:
    """One entry of ``institutions``: where it stands (R1, R2) and, for a participant, what
    the cycle recorded for it."""

    index: int
    id: str
    district: str
    filing_year: int
    out_of_cohort: OutOfCohort | None
    submitted: bool | None  # None: outside the cohort, so never read
    participant: Participant | None
    # What the draw reads of a participant (R6a); never read outside the cohort.
    cluster: str | None = None
    legal_representative: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the inputs of ``run_cycle`` plus the non-participants (R1,
    R2), and the expert pool and panels of the draw (R6a; ``panels`` None: no draw)."""

    year: int
    params: PolicyParams
    spot_check_seed: str
    panel_fail_count: int | None
    alternates: int
    panel_tiebreak: tuple[str, ...]
    institutions: tuple[ScenarioInstitution, ...]
    experts: tuple[Expert, ...] = ()
    panels: tuple[PanelSpec, ...] | None = None


def load_scenario(text: str) -> object:
    """The JSON document in ``text``, numbers with a fraction as ``Decimal`` so that panel
    scores (R6) stay exact."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            "scenario", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise ScenarioError("scenario", "not valid JSON: nested too deeply") from None
    except ScenarioError:  # from _refuse_constant
        raise
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise ScenarioError("scenario", f"not valid JSON: {exc}") from None


def _refuse_constant(name: str) -> None:
    raise ScenarioError("scenario", f"not valid JSON: {name} is not a JSON number")


def parse_scenario(data: object) -> Scenario:
    """Validate a scenario document (docs/rules.md "The scenario file") and apply its defaults.

    Cohort (R1) and submission (R2) decide which fields matter: for an institution outside
    the cohort only id, district and filing_year are read, for a non-submitter ``submitted``
    as well; for a participant every field is checked. Checks run in a fixed order (the
    top-level fields, the institutions one by one, the ids of ``panel_tiebreak``, the experts
    one by one, the panels one by one), so a file with several problems always reports the
    same one first.
    """
    if not isinstance(data, dict):
        raise ScenarioError("scenario", f"must be a JSON object, got {_kind(data)}")
    _no_unknown_fields(data, TOP_FIELDS, "")
    year = _required_int(data, "year", "")
    params = _policy(data.get("policy", {}))
    seed = data.get("spot_check_seed", str(year))
    if not isinstance(seed, str):
        raise ScenarioError("spot_check_seed", f"must be a string, got {show(seed)}")
    fail_count = data.get("panel_fail_count")
    if fail_count is not None:
        fail_count = _count(fail_count, "panel_fail_count")
    alternates = _count(data.get("alternates", 0), "alternates")
    if "institutions" not in data:
        raise ScenarioError("institutions", "missing; a list of institutions is required")
    entries = data["institutions"]
    if not isinstance(entries, list):
        raise ScenarioError("institutions", f"must be a list, got {_kind(entries)}")
    tiebreak = _tiebreak(data.get("panel_tiebreak", []))

    institutions = []
    index_of_id: dict[str, int] = {}
    for index, entry in enumerate(entries):
        institution = _institution(index, entry, year, params, index_of_id)
        index_of_id[institution.id] = index
        institutions.append(institution)
    for position, institution_id in enumerate(tiebreak):
        if institution_id not in index_of_id:
            raise ScenarioError(
                f"panel_tiebreak[{position}]", f"{quote(institution_id)} is not an institution id"
            )
    experts = _experts(data.get("experts", []), index_of_id)
    panels = None if "panels" not in data else _panels(data["panels"])
    return Scenario(
        year=year,
        params=params,
        spot_check_seed=seed,
        panel_fail_count=fail_count,
        alternates=alternates,
        panel_tiebreak=tiebreak,
        institutions=tuple(institutions),
        experts=experts,
        panels=panels,
    )


def run_scenario(scenario: Scenario) -> dict:
    """Run the cycle of a validated scenario (R1–R9, R12) and build the output document of
    docs/rules.md.

    Problems only the rules can see (a district's ranks, a missing panel score, too small a
    ``panel_fail_count``, a blocking tie; then a member of A or C in no panel or in two, a
    panel with no institution or too few eligible experts) raise ``ScenarioError``; the
    original exception, where there is one, is its ``__cause__``.
    """
    participants = [i.participant for i in scenario.institutions if i.participant is not None]
    where = {i.id: _where(i.index, i.id) for i in scenario.institutions}
    try:
        result = run_cycle(
            participants,
            params=scenario.params,
            spot_check_seed=scenario.spot_check_seed,
            panel_fail_count=scenario.panel_fail_count,
            alternates=scenario.alternates,
            panel_tiebreak=scenario.panel_tiebreak,
        )
    except RankingError as exc:
        raise ScenarioError(f"district {quote(exc.district)}", f"district_rank: {exc.problem}") \
            from exc
    except MissingPanelScore as exc:
        raise ScenarioError(
            f"{where[exc.institution_id]}: panel_score",
            f"missing; members of group {exc.group} need a panel score (R6)",
        ) from exc
    except BlockingTie as exc:
        raise ScenarioError(
            f"blocking tie at {exc.line.description}",
            f"{', '.join(quote(i) for i in exc.ids)} have panel score {exc.score}; "
            "list them in panel_tiebreak",
        ) from exc

    results = {}
    for institution in scenario.institutions:
        if institution.out_of_cohort is not None:
            results[institution.id] = {"preliminary": None, "final": Final.NOT_IN_COHORT.value}
        elif not institution.submitted:
            results[institution.id] = {
                "preliminary": None, "final": Final.NOT_PARTICIPATING.value,
            }
        else:
            results[institution.id] = {
                "preliminary": result.preliminary[institution.id].value,
                "final": result.finals[institution.id].value,
            }
    quotas = result.quotas
    return {
        "quotas": {
            "N": quotas.N, "E": quotas.E, "G": quotas.G, "K": quotas.K, "F": quotas.F,
            "S": quotas.S,
            "districts": {
                name: {"n": sizes.n, "A": sizes.a, "B": sizes.b, "C": sizes.c}
                for name, sizes in result.districts
            },
        },
        "results": results,
        "reverification_list": list(result.reverification_list),
        "spot_check_sample": list(result.spot_check_sample),
        "deregistered": list(result.deregistered),
        # R2: the cohort members that did not submit.
        "abandoned": sorted(
            i.id for i in scenario.institutions if i.out_of_cohort is None and not i.submitted
        ),
        "checks": {"passed": result.checks.passed, "failures": list(result.checks.failures)},
        "panels": _draws(scenario, result.preliminary, where),
    }


def _draws(
    scenario: Scenario, preliminary: Mapping[str, Group], where: Mapping[str, str]
) -> dict:
    """The ``panels`` of the output (R6a): check that every member of A and C is in exactly
    one panel, draw the panels in the order listed and report each one."""
    if scenario.panels is None:
        return {}
    group_members: dict[Group, list[PanelInstitution]] = {g: [] for g in _PANEL_GROUPS}
    cluster_of = {}
    for institution in scenario.institutions:
        group = preliminary.get(institution.id)
        if group in group_members:
            cluster_of[institution.id] = institution.cluster
            group_members[group].append(PanelInstitution(
                id=institution.id,
                cluster=institution.cluster,
                # The scenario's id is normally the credit code (docs/rules.md).
                credit_code=institution.id,
                legal_representative=institution.legal_representative,
                contact=institution.contact,
            ))
    held = {}
    for index, panel in enumerate(scenario.panels):
        ids = split_group(
            {i.id: i.cluster for i in group_members[panel.group]}, panel.categories
        )
        if not ids:
            raise ScenarioError(
                _panel_where(index, panel.id),
                f"holds no institution of group {panel.group}"
                f"{_categories_text(panel.categories)}; a panel needs at least one (R6a)",
            )
        held[panel.id] = ids
    members = [i.id for g in _PANEL_GROUPS for i in group_members[g]]
    problems = panel_assignment_problems(members, held)
    if problems:
        problem = problems[0]
        institution_id = problem.institution_id
        if problem.panels:
            found = f"is in panels {' and '.join(quote(p) for p in problem.panels)}"
        else:
            found = f"is in no panel (its cluster is {show(cluster_of[institution_id])})"
        raise ScenarioError(
            f"{where[institution_id]}: panels",
            f"member of group {preliminary[institution_id]} {found}; every member of groups "
            "A and C must be in exactly one panel (R6a)",
        )
    try:
        drawn = run_draws(scenario.experts, scenario.panels, group_members, scenario.params)
    except NotEnoughExperts as exc:
        index = next(i for i, p in enumerate(scenario.panels) if p.id == exc.panel_id)
        params = scenario.params
        raise ScenarioError(
            _panel_where(index, exc.panel_id),
            f"{exc.eligible} eligible experts, the draw needs {exc.needed} (panel_size "
            f"{params.panel_size} + panel_alternates {params.panel_alternates}): "
            f"{exc.missing} missing (R6a)",
        ) from exc
    return {panel.id: _panel_output(panel) for panel in drawn}


def _panel_output(panel: PanelResult) -> dict:
    return {
        "institutions": list(panel.institutions),
        "eligible": panel.eligible,
        "members": list(panel.members),
        "alternates": list(panel.alternates),
        "conflicts": {i: list(experts) for i, experts in panel.conflicts.items()},
    }


def _categories_text(categories: frozenset[ClusterCategory] | None) -> str:
    if categories is None:
        return ""
    return " in " + ", ".join(c.value for c in ClusterCategory if c in categories)


def simulate(source: str | Mapping) -> dict:
    """Parse, validate and run a scenario given as JSON text or as an already parsed
    document (R1–R9, R12); the output document of docs/rules.md, or ``ScenarioError``."""
    data = load_scenario(source) if isinstance(source, str) else source
    return run_scenario(parse_scenario(data))


def _institution(
    index: int, entry: object, year: int, params: PolicyParams, index_of_id: dict[str, int]
) -> ScenarioInstitution:
    here = f"institutions[{index}]"
    if not isinstance(entry, dict):
        raise ScenarioError(here, f"must be an object, got {_kind(entry)}")
    if "id" not in entry:
        raise ScenarioError(f"{here}: id", "missing; a non-empty string is required")
    institution_id = _text(entry["id"], f"{here}: id")
    if institution_id in index_of_id:
        first = index_of_id[institution_id]
        raise ScenarioError(
            f"{_where(index, institution_id)}: id", f"duplicate of institutions[{first}]"
        )
    here = _where(index, institution_id)
    _no_unknown_fields(entry, INSTITUTION_FIELDS, here)
    if "district" not in entry:
        raise ScenarioError(f"{here}: district", "missing; a non-empty string is required")
    district = _text(entry["district"], f"{here}: district")
    filing_year = _required_int(entry, "filing_year", here)
    reason = out_of_cohort_reason(
        filing_year, year, min_age_years=params.cohort_min_age_years
    )
    submitted = None
    participant = None
    cluster = None
    legal_representative = contact = ""
    if reason is None:
        submitted = _flag(entry, "submitted", here, default=True)
    if reason is None and submitted:
        cluster = _cluster(entry.get("cluster"), f"{here}: cluster")
        legal_representative = _name(entry, "legal_representative", here)
        contact = _name(entry, "contact", here)
        participant = Participant(
            id=institution_id,
            district=district,
            district_rank=_rank(entry, here),
            panel_score=_panel_score(entry.get("panel_score"), f"{here}: panel_score"),
            reverify=_choice(entry, "reverify", Verdict, Verdict.CONFIRMED, here),
            spot_check=_choice(entry, "spot_check", SpotVerdict, SpotVerdict.CONFIRMED, here),
            fraud=_flag(entry, "fraud", here, default=False),
            previous_final=_choice(entry, "previous_final", Final, None, here),
        )
    return ScenarioInstitution(
        index=index,
        id=institution_id,
        district=district,
        filing_year=filing_year,
        out_of_cohort=reason,
        submitted=submitted,
        participant=participant,
        cluster=cluster,
        legal_representative=legal_representative,
        contact=contact,
    )


def _cluster(value: object, where: str, *, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or value not in CLUSTERS:
        raise ScenarioError(
            where, f"must be one of the ten \"343\" clusters ({', '.join(CLUSTERS)})"
                   f"{' or null' if nullable else ''}, got {show(value)}"
        )
    return value


def _name(entry: dict, name: str, prefix: str) -> str:
    """A person's name (R6a conflicts): a string, "" (no one) by default or for null."""
    value = entry.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScenarioError(_field(prefix, name), f"must be a string, got {show(value)}")
    return _valid_text(value, _field(prefix, name))


def _experts(value: object, index_of_id: Mapping[str, int]) -> tuple[Expert, ...]:
    """The ``experts`` of the pool (R6a), each validated; ids unique."""
    if not isinstance(value, list):
        raise ScenarioError("experts", f"must be a list, got {_kind(value)}")
    experts = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(value):
        here = f"experts[{index}]"
        if not isinstance(entry, dict):
            raise ScenarioError(here, f"must be an object, got {_kind(entry)}")
        if "id" not in entry:
            raise ScenarioError(f"{here}: id", "missing; a non-empty string is required")
        expert_id = _text(entry["id"], f"{here}: id")
        here = f"experts[{index}] (id {quote(expert_id)})"
        if expert_id in seen:
            raise ScenarioError(f"{here}: id", f"duplicate of experts[{seen[expert_id]}]")
        seen[expert_id] = index
        _no_unknown_fields(entry, EXPERT_FIELDS, here)
        if "clusters" not in entry:
            raise ScenarioError(
                f"{here}: clusters", "missing; a list of the clusters the expert judges is "
                                     "required"
            )
        clusters = _list(entry["clusters"], f"{here}: clusters", "cluster names")
        for position, cluster in enumerate(clusters):
            _cluster(cluster, f"{here}: clusters[{position}]", nullable=False)
        employers = _list(entry.get("employers", []), f"{here}: employers", "credit codes")
        for position, code in enumerate(employers):
            _text(code, f"{here}: employers[{position}]")
        declared = _list(
            entry.get("declared_conflicts", []), f"{here}: declared_conflicts",
            "institution ids",
        )
        for position, institution_id in enumerate(declared):
            where = f"{here}: declared_conflicts[{position}]"
            if not isinstance(institution_id, str):
                raise ScenarioError(where, f"must be an institution id, got {show(institution_id)}")
            if institution_id not in index_of_id:
                raise ScenarioError(where, f"{quote(institution_id)} is not an institution id")
        experts.append(Expert(
            id=expert_id,
            name=_name(entry, "name", here),
            clusters=frozenset(clusters),
            senior=_flag(entry, "senior", here, default=True),
            active=_flag(entry, "active", here, default=True),
            employers=frozenset(employers),
            declared_conflicts=frozenset(declared),
        ))
    return tuple(experts)


def _panels(value: object) -> tuple[PanelSpec, ...]:
    """The ``panels`` (R6a), each validated, in the order they are drawn; ids unique."""
    if not isinstance(value, list):
        raise ScenarioError("panels", f"must be a list, got {_kind(value)}")
    panels = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(value):
        here = f"panels[{index}]"
        if not isinstance(entry, dict):
            raise ScenarioError(here, f"must be an object, got {_kind(entry)}")
        if "id" not in entry:
            raise ScenarioError(f"{here}: id", "missing; a non-empty string is required")
        panel_id = _text(entry["id"], f"{here}: id")
        here = _panel_where(index, panel_id)
        if panel_id in seen:
            raise ScenarioError(f"{here}: id", f"duplicate of panels[{seen[panel_id]}]")
        seen[panel_id] = index
        _no_unknown_fields(entry, PANEL_FIELDS, here)
        group = entry.get("group")
        if group not in _PANEL_GROUPS or not isinstance(group, str):
            missing = "missing; " if "group" not in entry else ""
            raise ScenarioError(
                f"{here}: group",
                f"{missing}must be A or C" + ("" if missing else f", got {show(group)}"),
            )
        if "seed" not in entry:
            raise ScenarioError(f"{here}: seed", "missing; a non-empty string is required")
        seed = _text(entry["seed"], f"{here}: seed")
        panels.append(PanelSpec(
            id=panel_id,
            group=Group(group),
            seed=seed,
            categories=_categories(entry.get("categories"), f"{here}: categories"),
            widen=_flag(entry, "widen", here, default=False),
        ))
    return tuple(panels)


def _categories(value: object, where: str) -> frozenset[ClusterCategory] | None:
    if value is None:
        return None
    allowed = _values_of(ClusterCategory)
    expected = f"null or a non-empty list of {', '.join(allowed)}"
    if not isinstance(value, list) or not value:
        got = "an empty list" if value == [] else _kind(value)
        raise ScenarioError(where, f"must be {expected}, got {got}")
    for position, category in enumerate(value):
        if not isinstance(category, str) or category not in allowed:
            raise ScenarioError(
                f"{where}[{position}]", f"must be one of {', '.join(allowed)}, got {show(category)}"
            )
    return frozenset(ClusterCategory(c) for c in value)


def _panel_where(index: int, panel_id: str) -> str:
    return f"panels[{index}] (id {quote(panel_id)})"


def _list(value: object, where: str, of: str) -> list:
    if not isinstance(value, list):
        raise ScenarioError(where, f"must be a list of {of}, got {_kind(value)}")
    return value


def _where(index: int, institution_id: str) -> str:
    return f"institutions[{index}] (id {quote(institution_id)})"


def _field(prefix: str, name: str) -> str:
    return f"{prefix}: {name}" if prefix else name


def _no_unknown_fields(entry: dict, known: tuple[str, ...], prefix: str) -> None:
    # A misspelt field would otherwise be silently replaced by its default.
    for name in entry:
        if name not in known:
            raise ScenarioError(
                _field(prefix, quote(name)), f"unknown field (known: {', '.join(known)})"
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _required_int(entry: dict, name: str, prefix: str) -> int:
    where = _field(prefix, name)
    if name not in entry:
        raise ScenarioError(where, "missing; an integer is required")
    value = entry[name]
    if not _is_int(value):
        raise ScenarioError(where, f"must be an integer, got {show(value)}")
    return value


def _count(value: object, where: str) -> int:
    if not _is_int(value) or value < 0:
        raise ScenarioError(where, f"must be a non-negative integer, got {show(value)}")
    return value


def _rank(entry: dict, prefix: str) -> int:
    where = _field(prefix, "district_rank")
    if "district_rank" not in entry:
        raise ScenarioError(where, "missing; every participant needs its district rank (R4)")
    value = entry["district_rank"]
    if not _is_int(value) or value < 1:
        raise ScenarioError(where, f"must be a positive integer, got {show(value)}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(where, f"must be a non-empty string, got {show(value)}")
    return _valid_text(value, where)


def _valid_text(value: str, where: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ScenarioError(where, f"must be valid Unicode text, got {show(value)}") from None
    return value


def _flag(entry: dict, name: str, prefix: str, *, default: bool) -> bool:
    value = entry.get(name, default)
    if not isinstance(value, bool):
        raise ScenarioError(_field(prefix, name), f"must be true or false, got {show(value)}")
    return value


def _choice(entry: dict, name: str, values: type, default, prefix: str):
    value = entry.get(name, default)
    if value is None and default is None:
        return None
    allowed = _values_of(values)
    if not isinstance(value, str) or value not in allowed:
        nullable = " or null" if default is None else ""
        raise ScenarioError(
            _field(prefix, name),
            f"must be one of {', '.join(allowed)}{nullable}, got {show(value)}",
        )
    return values(value)


@functools.cache
def _values_of(values: type) -> tuple[str, ...]:
    return tuple(v.value for v in values)


def _panel_score(value: object, where: str) -> Decimal | None:
    """A panel score (R6): a decimal string or number from 0 to 100 with at most 2 decimals,
    as docs/rules.md keeps panel scores; normalised to exactly 2 decimals."""
    if value is None:
        return None
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        number = Decimal(value)
    elif isinstance(value, Decimal) and value.is_finite() or _is_int(value):
        number = Decimal(value)
    else:
        raise ScenarioError(
            where, f"must be a decimal string or number from 0 to 100, got {show(value)}"
        )
    if not 0 <= number <= 100:
        raise ScenarioError(where, f"{show(value)} is outside 0–100")
    if number != number.quantize(_CENT):
        raise ScenarioError(
            where, f"{show(value)} has more than 2 decimals; panel scores are kept to 2 (R6)"
        )
    return number.quantize(_CENT)


def _policy(value: object) -> PolicyParams:
    if not isinstance(value, dict):
        raise ScenarioError("policy", f"must be an object, got {_kind(value)}")
    try:
        return PolicyParams.from_overrides(value)
    except PolicyError as exc:
        raise ScenarioError(f"policy.{exc.name}", exc.problem) from None


def _tiebreak(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ScenarioError("panel_tiebreak", f"must be a list of ids, got {_kind(value)}")
    seen: dict[str, int] = {}
    for position, institution_id in enumerate(value):
        where = f"panel_tiebreak[{position}]"
        if not isinstance(institution_id, str):
            raise ScenarioError(where, f"must be an institution id, got {show(institution_id)}")
        if institution_id in seen:
            raise ScenarioError(
                where,
                f"{quote(institution_id)} is listed twice"
                f" (first at panel_tiebreak[{seen[institution_id]}])",
            )
        seen[institution_id] = position
    return tuple(value)


def _kind(value: object) -> str:
    """The JSON kind of ``value``, for "must be …, got …" messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {show(value)}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return show(value)
    return f"the number {show(value)}"
