"""``manage.py cycle_from_scenario``: every example scenario through the web application's
services gives ``simulate_cycle``'s output byte for byte, and its refusals the same line and
exit status; the scratch cycle leaves nothing behind, and a real cycle of the same year is left
as it was (issue 11 §5)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from evaluations.enums import CycleStatus
from evaluations.models import Cycle, PolicyVersion
from institutions.enums import FilingStatus
from institutions.models import Institution
from tests.evaluations.self_evaluation_setup import open_cycle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
# The scenarios, not their committed results.
SCENARIOS = sorted(path for path in EXAMPLES.glob("*.json")
                   if not path.name.endswith(".result.json"))
SMALL = EXAMPLES / "small.json"


def _run(command: str, *args) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``manage.py command args`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *map(str, args), stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def _both(*args) -> tuple[tuple, tuple]:
    return _run("simulate_cycle", *args), _run("cycle_from_scenario", *args)


def _row_counts() -> dict[str, int]:
    """The number of rows of every table the application's models have."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy}


def _write(tmp_path: Path, document) -> Path:
    path = tmp_path / "scenario.json"
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def _small() -> dict:
    return json.loads(SMALL.read_text(encoding="utf-8"))


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_every_example_gives_simulate_cycles_output(scenario, default_policy, reference_data):
    simulated, through_services = _both(scenario)
    assert through_services == simulated
    status, stdout, stderr = through_services
    committed = scenario.with_suffix(".result.json")
    if committed.exists():
        assert (status, stderr) == (0, "")
        assert stdout == committed.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_blocking_tie_exits_2_with_the_committed_line(default_policy, reference_data):
    status, stdout, stderr = _run("cycle_from_scenario", EXAMPLES / "blocking_tie.json")
    assert (status, stdout) == (2, "")
    assert stderr == (EXAMPLES / "blocking_tie.out.txt").read_text(encoding="utf-8")


@pytest.mark.django_db
def test_out_writes_the_same_file(tmp_path, default_policy, reference_data):
    status, stdout, stderr = _run("cycle_from_scenario", SMALL, "--out", tmp_path / "r.json")
    assert (status, stdout, stderr) == (0, "", "")
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == (
        EXAMPLES / "small.result.json").read_text(encoding="utf-8")


def _gap_in_ranks() -> dict:
    document = _small()
    document["institutions"][1]["district_rank"] = 9  # 鼓楼区's ranks 1, 9, 3, …
    return document


def _missing_panel_score() -> dict:
    document = _small()
    del document["institutions"][8]["panel_score"]  # yl-01, in group A
    return document


def _tie_in_group_c() -> dict:
    document = _small()
    document["institutions"][12]["panel_score"] = "52.00"  # yl-05 as low as gl-06
    return document


@pytest.mark.django_db
@pytest.mark.parametrize("document", [
    '{"year": 2025,',
    {"year": "2025", "institutions": []},
    {"year": 2025, "institutions": [{"id": "x", "district": "d", "filing_year": 2023,
                                     "district_rank": 1, "panel_score": 101}]},
    {"year": 2025, "institutions": [], "rewards": {}},
    _gap_in_ranks(),
    _missing_panel_score(),
    _tie_in_group_c(),
], ids=["json", "year", "panel-score", "unknown-field", "ranks", "missing-score", "tie-c"])
def test_a_refused_scenario_gets_simulate_cycles_line(tmp_path, document, default_policy,
                                                     reference_data):
    path = _write(tmp_path, document)
    simulated, through_services = _both(path)
    assert through_services == simulated
    status, stdout, stderr = through_services
    assert (status, stdout) == (2, "")
    assert stderr.startswith("error: ") and stderr.count("\n") == 1


@pytest.mark.django_db
def test_unreadable_file_and_unwritable_out_get_simulate_cycles_lines(tmp_path, default_policy):
    assert _run("cycle_from_scenario", tmp_path / "nope.json") == _run(
        "simulate_cycle", tmp_path / "nope.json")
    status, _out, stderr = _run("cycle_from_scenario", SMALL, "--out", tmp_path)
    assert (status, stderr) == _run("simulate_cycle", SMALL, "--out", tmp_path)[::2]
    assert status == 2


@pytest.mark.django_db(transaction=True)
def test_the_scratch_cycle_leaves_no_row_behind(default_policy, reference_data):
    # A real transaction (not a test's savepoint): the run's own is undone all the same, its
    # audit entries, notifications and outbox messages with it.
    before = _row_counts()
    assert _run("cycle_from_scenario", SMALL)[0] == 0
    assert _row_counts() == before


@pytest.mark.django_db
def test_a_real_cycle_of_the_same_year_is_left_as_it_was(users, default_policy):
    # The 2025 cycle in its self-evaluation, with the users' institutions (filed 2021) in its
    # cohort: the scenario of 2025 runs on a scratch cycle of another year, inviting none of
    # them, and the real one is unchanged.
    real = open_cycle(users["city_admin"])
    cycle_before = model_to_dict(Cycle.objects.get(pk=real.pk))
    submissions = sorted(real.submissions.values_list("institution_id", "status"))
    stages = sorted(real.stages.values_list("stage", "opened_at", "closed_at"))
    filings = dict(Institution.objects.values_list("pk", "status"))
    counts = _row_counts()

    simulated, through_services = _both(SMALL)
    assert through_services == simulated

    assert model_to_dict(Cycle.objects.get(pk=real.pk)) == cycle_before
    assert Cycle.objects.get(pk=real.pk).status == CycleStatus.SELF_EVALUATION
    assert sorted(real.submissions.values_list("institution_id", "status")) == submissions
    assert sorted(real.stages.values_list("stage", "opened_at", "closed_at")) == stages
    assert dict(Institution.objects.values_list("pk", "status")) == filings
    assert set(filings.values()) == {FilingStatus.ACTIVE}
    assert _row_counts() == counts
    assert list(Cycle.objects.values_list("year", flat=True)) == [2025]


@pytest.mark.django_db
def test_a_real_policy_version_taking_effect_today(default_policy, reference_data):
    # The scratch version cannot take effect today too (the dates are unique): it takes another
    # date and the cycle is pinned to it; the real version stays as it was.
    today = PolicyVersion.objects.create(name="今日生效", effective_date=timezone.localdate(),
                                         excellent_share=20)
    before = model_to_dict(today)
    simulated, through_services = _both(SMALL)
    assert through_services == simulated
    assert model_to_dict(PolicyVersion.objects.get(pk=today.pk)) == before
    assert PolicyVersion.objects.count() == 2


@pytest.mark.django_db
def test_a_scenario_policy_is_the_cycles(tmp_path, default_policy, reference_data):
    document = _small()
    # R13: the quotas (E 2, G 4, F 2, S 3 of N = 14) and the panels (6 drawn, 4 scores an
    # institution needs) are the scenario's.
    document["policy"] = {"excellent_share": 20, "good_share": 30, "fail_min_share": 10,
                          "spot_check_share": 20, "panel_size": 6, "min_panel_scores": 4}
    path = _write(tmp_path, document)
    simulated, through_services = _both(path)
    assert through_services == simulated
    assert simulated[0] == 0


@pytest.mark.django_db
def test_ids_that_are_not_credit_codes_and_a_long_district_name(tmp_path, default_policy,
                                                                reference_data):
    # The ids sort unlike the order the rows are made in; the district's name does not fit
    # the registry's 50 characters: both are mapped back in the output.
    document = _small()
    rename = {"gl-01": "zz-last", "yl-03": "AA first", "qs-03": "m/3"}
    long_name = "泉山区" * 20
    for entry in document["institutions"]:
        entry["id"] = rename.get(entry["id"], entry["id"])
        if entry["district"] == "泉山区":
            entry["district"] = long_name
    document["panel_tiebreak"] = [rename.get(i, i) for i in document["panel_tiebreak"]]
    path = _write(tmp_path, document)
    simulated, through_services = _both(path)
    assert through_services == simulated
    assert simulated[0] == 0 and long_name in simulated[1]


@pytest.mark.django_db
def test_a_year_far_from_any_cycle(tmp_path, default_policy, reference_data):
    # Filing years and the cycle's year outside the calendar the registry keeps: the cohort
    # is the same (R1) in the scratch cycle's own years.
    document = _small()
    shift = 20000 - document["year"]
    document["year"] = 20000
    for entry in document["institutions"]:
        entry["filing_year"] += shift
    path = _write(tmp_path, document)
    simulated, through_services = _both(path)
    assert through_services == simulated
    assert simulated[0] == 0


@pytest.mark.django_db
def test_a_seed_the_draw_cannot_keep_is_refused_in_one_line(tmp_path, default_policy,
                                                           reference_data):
    document = _small()
    document["spot_check_seed"] = " 2025-small "
    status, stdout, stderr = _run("cycle_from_scenario", _write(tmp_path, document))
    assert (status, stdout) == (2, "")
    assert stderr.startswith('error: spot_check_seed: " 2025-small ": ')
    assert stderr.count("\n") == 1


def test_examples_are_all_here():
    assert {path.stem for path in SCENARIOS} >= {"small", "xuzhou", "blocking_tie", "panels"}


def _alternates_tie_only_while_pending() -> dict:
    """Group A of 鼓楼区 in panel order: a1 90, a2 85 (the list: E = G = 1), a3 70, a4 70,
    a5 60, a6 50; a1 not confirmed, three alternates allowed. a3 (not confirmed) and a4 (poor)
    join and leave the place empty, a5 (confirmed) takes it: no tie decides anything (R7)."""
    verdicts = {"a1": ("90", "not_confirmed"), "a2": ("85", "confirmed"),
                "a3": ("70", "not_confirmed"), "a4": ("70", "poor"), "a5": ("60", "confirmed"),
                "a6": ("50", "confirmed")}
    ids = [*verdicts, "b1", "b2", "b3", "b4", "b5", "c1"]
    institutions = [{"id": i, "district": "鼓楼区", "filing_year": 2021, "district_rank": rank}
                    for rank, i in enumerate(ids, start=1)]
    for entry in institutions:
        if entry["id"] in verdicts:
            entry["panel_score"], entry["reverify"] = verdicts[entry["id"]]
    institutions[-1]["panel_score"] = "40"
    return {"year": 2025, "policy": {"excellent_share": 10, "good_share": 10},
            "alternates": 3, "institutions": institutions}


@pytest.mark.django_db
def test_an_alternates_tie_that_only_pending_verdicts_make(tmp_path, default_policy,
                                                          reference_data):
    path = _write(tmp_path, _alternates_tie_only_while_pending())
    simulated, through_services = _both(path)
    assert simulated[0] == 0
    assert through_services == simulated
