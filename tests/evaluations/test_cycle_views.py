"""The cycle pages: list, creation, stage dates, status changes with their confirmation and
the cohort preview (R1), the indicator system, closing self-evaluation (R2), extensions."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from evaluations.enums import CycleStatus, SubmissionStatus
from evaluations.models import Cycle, CycleStage, Extension, Indicator, Submission
from evaluations.services.cycles import cycle_create, cycle_transition
from evaluations.services.self_evaluation import self_evaluation_close
from institutions.enums import FilingStatus, Role
from institutions.models import Cluster, Institution
from tests.factories import InstitutionFactory, UserFactory

TODAY = dt.date(2025, 2, 20)
OPENS, CLOSES = dt.date(2025, 3, 1), dt.date(2025, 4, 30)
AFTER_CLOSE = dt.date(2025, 5, 6)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def on(day: dt.date):
    return patch("django.utils.timezone.localdate", return_value=day)


@pytest.fixture
def admin(client_for, city_admin):
    client = client_for(city_admin)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def cycle(default_policy, city_admin):
    with on(TODAY):
        return cycle_create(year=2025, actor=city_admin,
                            stage_dates={CycleStatus.SELF_EVALUATION: (OPENS, CLOSES)})


@pytest.fixture
def open_cycle(cycle, users, city_admin):
    with on(TODAY):
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=city_admin)
    return cycle


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _url(name: str, cycle: Cycle, **kwargs) -> str:
    return reverse(f"evaluations:{name}", kwargs={"year": cycle.year, **kwargs})


def _status(cycle: Cycle) -> str:
    return Cycle.objects.get(pk=cycle.pk).status


def _testid(html: str, testid: str) -> str:
    """The text content of the element with ``data-testid``, whitespace collapsed."""
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, testid
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# --- List, creation, detail -------------------------------------------------------------------

def test_cycle_list_shows_every_cycle(admin, cycle, city_admin):
    with on(TODAY):
        later = cycle_create(year=2027, actor=city_admin)
    response = admin.get(reverse("evaluations:cycle_list"))
    assert list(response.context["cycles"]) == [later, cycle]
    assert _url("cycle_detail", cycle) in response.content.decode()


def test_cycle_create_makes_cycle_and_goes_to_it(admin, default_policy, city_admin):
    with on(TODAY):
        response = admin.post(reverse("evaluations:cycle_create"), {"year": "2025"})
    cycle = Cycle.objects.get()
    assert (response.status_code, response["Location"]) == (302, _url("cycle_detail", cycle))
    assert (cycle.year, cycle.policy_version, cycle.created_by) == (2025, default_policy,
                                                                     city_admin)
    assert _messages(response) == [("success", "The 2025 evaluation cycle was created with the "
                                               "default indicator system. Set the dates of its "
                                               "stages next.")]


def test_cycle_create_refuses_existing_year(admin, cycle):
    response = admin.post(reverse("evaluations:cycle_create"), {"year": "2025"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["There is already an evaluation cycle for 2025."]}
    assert Cycle.objects.count() == 1


def test_cycle_create_proposes_first_free_year(admin, cycle):
    with on(TODAY):
        response = admin.get(reverse("evaluations:cycle_create"))
    assert response.context["form"].initial == {"year": 2026}


def test_cycle_detail_shows_stages_total_and_history(admin, open_cycle, city_admin):
    response = admin.get(_url("cycle_detail", open_cycle))
    context = response.context
    assert [(stage.value, row and (row.opens_on, row.closes_on))
            for stage, row in context["stages"]] == [
        ("self_evaluation", (OPENS, CLOSES)), ("preliminary_review", None),
        ("panel_review", None), ("reverification", None), ("public_notice", None)]
    assert [(c.from_status, c.to_status, c.by) for c in context["history"]] == [
        ("draft", "self_evaluation", city_admin)]
    assert (context["total"], context["invited"], context["transition"].to) == (
        Decimal(100), 2, CycleStatus.PRELIMINARY_REVIEW)
    html = response.content.decode()
    assert _testid(html, "indicator-total") == "100"
    assert _url("cycle_close_self_evaluation", open_cycle) in html


def test_cycle_detail_offers_closing_only_while_self_evaluation_runs(admin, open_cycle,
                                                                     city_admin):
    url = _url("cycle_close_self_evaluation", open_cycle)
    before = admin.get(_url("cycle_detail", open_cycle))
    with on(AFTER_CLOSE):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    after = admin.get(_url("cycle_detail", open_cycle))
    assert (before.context["can_close"], url in before.content.decode(),
            after.context["can_close"], url in after.content.decode()) == (
        True, True, False, False)


def test_cycle_detail_missing_year_is_404(admin, cycle):
    assert admin.get(reverse("evaluations:cycle_detail", kwargs={"year": 1999})).status_code \
        == 404


# --- Stage dates ------------------------------------------------------------------------------

def _schedule_data(**dates) -> dict:
    data = {}
    for stage in ("self_evaluation", "preliminary_review", "panel_review", "reverification",
                  "public_notice"):
        opens, closes = dates.get(stage, ("", ""))
        data[f"{stage}_opens_on"], data[f"{stage}_closes_on"] = opens, closes
    return data


def test_cycle_stages_saves_dates(admin, cycle):
    response = admin.post(_url("cycle_stages", cycle), _schedule_data(
        self_evaluation=("2025-03-01", "2025-05-15"),
        preliminary_review=("2025-05-20", "2025-06-10")))
    assert (response.status_code, response["Location"]) == (302, _url("cycle_detail", cycle))
    assert list(cycle.stages.order_by("opens_on").values_list("stage", "opens_on", "closes_on")) \
        == [("self_evaluation", OPENS, dt.date(2025, 5, 15)),
            ("preliminary_review", dt.date(2025, 5, 20), dt.date(2025, 6, 10))]


def test_cycle_stages_form_shows_dates_in_iso_format(admin, cycle):
    html = admin.get(_url("cycle_stages", cycle)).content.decode()
    assert 'name="self_evaluation_opens_on" value="2025-03-01"' in html


@pytest.mark.parametrize(("dates", "errors"), [
    ({"self_evaluation": ("2025-03-01", "2025-04-30"), "panel_review": ("2025-06-01", "")},
     {"panel_review_closes_on": ["Give both dates of the stage, or neither."]}),
    ({"self_evaluation": ("2025-03-01", "2025-02-01")},
     {"self_evaluation_closes_on": ["A stage cannot close before it opens."]}),
    ({},
     {"self_evaluation_opens_on": ["A scheduled stage keeps its dates; change them instead."]}),
    ({"self_evaluation": ("2025-03-01", "2025-04-30"),
      "preliminary_review": ("2025-04-15", "2025-05-30")},
     {"__all__": ["“Preliminary review” must open after “Self-evaluation” closes "
                  "(2025-04-30)."]}),
])
def test_cycle_stages_refuses_invalid_dates(admin, cycle, dates, errors):
    response = admin.post(_url("cycle_stages", cycle), _schedule_data(**dates))
    assert (response.status_code, response.context["form"].errors) == (200, errors)
    assert list(cycle.stages.values_list("stage", "opens_on", "closes_on")) == [
        ("self_evaluation", OPENS, CLOSES)]


def test_cycle_stages_keeps_dates_of_closed_stage(admin, open_cycle, city_admin):
    with on(AFTER_CLOSE):
        self_evaluation_close(cycle=open_cycle, actor=city_admin)
    form = admin.get(_url("cycle_stages", open_cycle)).context["form"]
    assert [name for name, field in form.fields.items() if field.disabled] == [
        "self_evaluation_opens_on", "self_evaluation_closes_on"]
    response = admin.post(_url("cycle_stages", open_cycle), _schedule_data(
        self_evaluation=("2025-03-01", "2025-06-30"),
        preliminary_review=("2025-05-10", "2025-05-31")))
    assert response.status_code == 302
    assert list(open_cycle.stages.order_by("opens_on").values_list("stage", "closes_on")) == [
        ("self_evaluation", CLOSES), ("preliminary_review", dt.date(2025, 5, 31))]


# --- Status changes ---------------------------------------------------------------------------

def test_cycle_transition_page_previews_cohort(admin, cycle, users, gulou, yunlong):
    new_materials = Cluster.objects.get(name="新材料")
    InstitutionFactory(district=yunlong, cluster=new_materials, filing_date=dt.date(2023, 3, 1))
    late = InstitutionFactory(district=gulou, name="鼓楼新备案研究院",
                              filing_date=dt.date(2024, 3, 1))
    recent = InstitutionFactory(district=gulou, name="鼓楼最新研究院",
                                filing_date=dt.date(2025, 1, 3))
    gone = InstitutionFactory(district=yunlong, name="云龙放弃研究院",
                              filing_date=dt.date(2021, 3, 1), status=FilingStatus.ABANDONED)
    first_cluster = Cluster.objects.order_by("sort_order").first()
    with on(TODAY):
        response = admin.get(_url("cycle_transition", cycle))
    context = response.context
    assert (context["to"], context["problems"]) == (CycleStatus.SELF_EVALUATION, [])
    assert context["by_district"] == [("鼓楼区", 1), ("云龙区", 2)]
    assert sorted(context["by_cluster"]) == sorted([(first_cluster.name, 2),
                                                    ("新材料", 1)])
    assert [(i.name, str(label)) for i, label in context["excluded"]] == [
        ("鼓楼新备案研究院", "Filed in a year of the other parity (evaluated in the other years)"),
        ("鼓楼最新研究院", "Filed too recently"),
        ("云龙放弃研究院", "Filing not active")]
    assert [(str(label), n) for label, n in context["excluded_counts"]] == [
        ("Filing not active", 1),
        ("Filed in a year of the other parity (evaluated in the other years)", 1),
        ("Filed too recently", 1)]
    html = response.content.decode()
    assert _testid(html, "cohort-summary") == (
        "3 institutions should take part in the 2025 evaluation (filed in 2023 or earlier, in a "
        "year of the same parity, filing active).")
    assert 'data-testid="transition-form"' in html and 'data-confirm=' in html
    assert {late.credit_code, recent.credit_code, gone.credit_code} <= set(
        re.findall(r'class="credit-code">(\w+)<', html))


def test_cycle_transition_page_shows_problems_and_no_form(admin, cycle, users):
    cycle.stages.all().delete()
    Indicator.objects.filter(category__cycle=cycle, code="8.1").update(points=1)
    with on(TODAY):
        response = admin.get(_url("cycle_transition", cycle))
    assert response.context["problems"] == [
        "The indicator points add up to 96.00, not 100.",
        "The self-evaluation stage has no opening and closing dates."]
    html = response.content.decode()
    assert 'data-testid="transition-problems"' in html
    assert 'data-testid="transition-form"' not in html


def test_cycle_transition_requires_confirmation(admin, cycle, users):
    with on(TODAY):
        response = admin.post(_url("cycle_transition", cycle), {"to_status": "self_evaluation"})
    assert (response.status_code, response.context["form"].errors) == (
        200, {"confirm": ["Tick the box to confirm."]})
    assert (_status(cycle), Submission.objects.count()) == (CycleStatus.DRAFT, 0)


def test_cycle_transition_confirmed_opens_self_evaluation(admin, cycle, users, city_admin):
    with on(TODAY):
        response = admin.post(_url("cycle_transition", cycle),
                              {"to_status": "self_evaluation", "confirm": "on"})
    assert (response.status_code, response["Location"]) == (302, _url("cycle_detail", cycle))
    assert _messages(response) == [("success",
                                    "The 2025 evaluation is now at “Self-evaluation”.")]
    assert (_status(cycle), Submission.objects.filter(cycle=cycle).count()) == (
        CycleStatus.SELF_EVALUATION, 2)
    assert list(cycle.transitions.values_list("to_status", "by")) == [
        ("self_evaluation", city_admin.pk)]


def test_cycle_transition_stale_page_is_refused(admin, open_cycle):
    """The page showed draft → self-evaluation; meanwhile the cycle moved on."""
    with on(TODAY):
        response = admin.post(_url("cycle_transition", open_cycle),
                              {"to_status": "self_evaluation", "confirm": "on"})
    assert (response.status_code, response["Location"]) == (302,
                                                           _url("cycle_transition", open_cycle))
    assert _messages(response) == [("error", "An evaluation cycle cannot go from "
                                             "“Self-evaluation” to “Self-evaluation”.")]
    assert open_cycle.transitions.count() == 1


def test_cycle_transition_page_of_final_cycle_offers_nothing(admin, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.FINAL)
    html = admin.get(_url("cycle_transition", cycle)).content.decode()
    assert 'data-testid="no-transition"' in html
    assert 'data-testid="transition-form"' not in html


# --- The indicator system ---------------------------------------------------------------------

def test_indicator_list_shows_total_without_warning_at_100(admin, cycle):
    response = admin.get(_url("cycle_indicators", cycle))
    html = response.content.decode()
    assert [(c.code, c.subtotal) for c in response.context["categories"]] == [
        ("1", 15), ("2", 20), ("3", 10), ("4", 20), ("5", 15), ("6", 10), ("7", 5), ("8", 5)]
    assert (_testid(html, "indicator-total"), response.context["editable"]) == ("100", True)
    assert 'data-testid="indicator-total-warning"' not in html


def test_indicator_list_warns_when_total_is_not_100(admin, cycle):
    Indicator.objects.filter(category__cycle=cycle, code="1.1").update(points=Decimal("4.5"))
    html = admin.get(_url("cycle_indicators", cycle)).content.decode()
    assert _testid(html, "indicator-total") == "101.50"
    assert 'data-testid="indicator-total-warning"' in html


def test_indicator_list_read_only_after_opening(admin, open_cycle):
    response = admin.get(_url("cycle_indicators", open_cycle))
    assert response.context["editable"] is False
    assert "/edit/" not in response.content.decode()


def _indicator_data(indicator: Indicator, **overrides) -> dict:
    fields = list(indicator.fields.order_by("order"))
    data = {"name": indicator.name, "points": str(indicator.points),
            "help_text": indicator.help_text, "evidence_types": indicator.evidence_types,
            "fields-TOTAL_FORMS": str(len(fields) + 2),
            "fields-INITIAL_FORMS": str(len(fields)), "fields-MIN_NUM_FORMS": "0",
            "fields-MAX_NUM_FORMS": "30"}
    if indicator.evidence_required:
        data["evidence_required"] = "on"
    for i, field in enumerate(fields):
        data.update({f"fields-{i}-pk": str(field.pk), f"fields-{i}-label": field.label,
                     f"fields-{i}-kind": field.kind})
        if field.required:
            data[f"fields-{i}-required"] = "on"
    for i in range(len(fields), len(fields) + 2):  # untouched empty rows, as the browser sends
        data.update({f"fields-{i}-pk": "", f"fields-{i}-key": "", f"fields-{i}-label": "",
                     f"fields-{i}-kind": "amount", f"fields-{i}-required": "on"})
    data.update(overrides)
    return data


def test_indicator_update_saves_help_points_and_fields(admin, cycle):
    indicator = Indicator.objects.get(category__cycle=cycle, code="3.3")
    data = _indicator_data(indicator, help_text="含股权投资与银行贷款。", points="2",
                           evidence_types=["pdf"], **{
                               "fields-0-label": "获得投融资金额（万元）",
                               "fields-1-label": "其中股权投资（万元）",
                               "fields-1-key": "equity"})
    response = admin.post(_url("cycle_indicator_update", cycle, pk=indicator.pk), data)
    assert (response.status_code, response["Location"]) == (302, _url("cycle_indicators", cycle))
    indicator.refresh_from_db()
    assert (indicator.help_text, indicator.points, indicator.evidence_required,
            indicator.evidence_types) == ("含股权投资与银行贷款。", Decimal(2), False, ["pdf"])
    assert list(indicator.fields.values_list("key", "label", "kind", "required")) == [
        ("investment", "获得投融资金额（万元）", "amount", True),
        ("equity", "其中股权投资（万元）", "amount", True)]
    assert _messages(response) == [("success", "Indicator 3.3 was saved.")]


def test_indicator_update_removes_field(admin, cycle):
    indicator = Indicator.objects.get(category__cycle=cycle, code="1.2")
    response = admin.post(_url("cycle_indicator_update", cycle, pk=indicator.pk),
                          _indicator_data(indicator, **{"fields-1-DELETE": "on"}))
    assert response.status_code == 302
    assert list(indicator.fields.values_list("key", flat=True)) == ["senior_titles", "full_time"]


def test_indicator_update_shows_form_errors(admin, cycle):
    indicator = Indicator.objects.get(category__cycle=cycle, code="1.2")
    response = admin.post(_url("cycle_indicator_update", cycle, pk=indicator.pk),
                          _indicator_data(indicator, points="120", evidence_types=[],
                                          **{"fields-0-label": ""}))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "points": ["Ensure this value is less than or equal to 100."],
        "evidence_types": ["Accept at least one type of evidence file."]}
    assert response.context["formset"].errors[0] == {"label": ["This field is required."]}
    assert Indicator.objects.get(pk=indicator.pk).points == Decimal(3)


@pytest.mark.parametrize("method", ["get", "post"])
def test_indicator_update_refused_after_opening(admin, open_cycle, method):
    indicator = Indicator.objects.get(category__cycle=open_cycle, code="1.2")
    url = _url("cycle_indicator_update", open_cycle, pk=indicator.pk)
    response = getattr(admin, method)(url, _indicator_data(indicator, points="9"))
    assert (response.status_code, response["Location"]) == (
        302, _url("cycle_indicators", open_cycle))
    assert _messages(response) == [("error", "Self-evaluation has opened: the indicator "
                                             "system can no longer change.")]
    assert Indicator.objects.get(pk=indicator.pk).points == Decimal(3)


def test_indicator_update_of_other_cycle_is_404(admin, cycle, city_admin):
    with on(TODAY):
        other = cycle_create(year=2027, actor=city_admin)
    indicator = Indicator.objects.filter(category__cycle=other).first()
    assert admin.get(_url("cycle_indicator_update", cycle, pk=indicator.pk)).status_code == 404


def test_indicator_create_adds_indicator(admin, cycle):
    category = cycle.categories.get(code="8")
    data = {"category": str(category.pk), "code": "8.2", "name": "获得省级以上表彰", "points": "1",
            "help_text": "", "evidence_required": "on", "evidence_types": ["pdf", "jpeg"],
            "fields-TOTAL_FORMS": "2", "fields-INITIAL_FORMS": "0",
            "fields-MIN_NUM_FORMS": "0", "fields-MAX_NUM_FORMS": "30",
            "fields-0-label": "表彰次数（次）", "fields-0-kind": "count",
            "fields-0-required": "on", "fields-1-kind": "amount", "fields-1-required": "on"}
    response = admin.post(_url("cycle_indicator_create", cycle), data)
    assert (response.status_code, response["Location"]) == (302, _url("cycle_indicators", cycle))
    indicator = Indicator.objects.get(category=category, code="8.2")
    assert (indicator.name, indicator.points, indicator.evidence_types, indicator.order) == (
        "获得省级以上表彰", Decimal(1), ["pdf", "jpeg"], 2)
    assert list(indicator.fields.values_list("key", "label", "kind")) == [
        ("field_1", "表彰次数（次）", "count")]


def test_indicator_create_refuses_without_fields(admin, cycle):
    category = cycle.categories.get(code="8")
    data = {"category": str(category.pk), "code": "8.2", "name": "空", "points": "1",
            "evidence_types": ["pdf"], "fields-TOTAL_FORMS": "1", "fields-INITIAL_FORMS": "0",
            "fields-MIN_NUM_FORMS": "0", "fields-MAX_NUM_FORMS": "30",
            "fields-0-kind": "amount", "fields-0-required": "on"}
    response = admin.post(_url("cycle_indicator_create", cycle), data)
    assert (response.status_code, response.context["formset"].non_form_errors()) == (
        200, ["An indicator asks for at least one datum."])
    assert category.indicators.count() == 1


def test_indicator_delete_requires_confirmation(admin, cycle):
    indicator = Indicator.objects.get(category__cycle=cycle, code="8.1")
    url = _url("cycle_indicator_delete", cycle, pk=indicator.pk)
    response = admin.post(url, {})
    assert (response.status_code, response.context["form"].errors) == (
        200, {"confirm": ["Tick the box to confirm."]})
    response = admin.post(url, {"confirm": "on"})
    assert (response.status_code, Indicator.objects.filter(pk=indicator.pk).exists()) == (
        302, False)


# --- Closing self-evaluation and extensions ---------------------------------------------------

def test_close_page_lists_non_submitters(admin, open_cycle, institution, other_institution):
    Submission.objects.filter(institution=institution).update(status=SubmissionStatus.SUBMITTED)
    with on(AFTER_CLOSE):
        response = admin.get(_url("cycle_close_self_evaluation", open_cycle))
    assert response.context["problems"] == []
    assert [(s.institution.name, s.institution.credit_code, s.district.name,
             s.get_status_display()) for s in response.context["non_submitters"]] == [
        ("云龙新材料研究院", other_institution.credit_code, "云龙区", "Not started")]
    html = response.content.decode()
    assert other_institution.credit_code in html and 'data-testid="close-form"' in html


def test_close_page_blocked_before_closing_date(admin, open_cycle, institution):
    Submission.objects.filter(institution=institution).update(status=SubmissionStatus.SUBMITTED)
    with on(CLOSES):
        response = admin.get(_url("cycle_close_self_evaluation", open_cycle))
        posted = admin.post(_url("cycle_close_self_evaluation", open_cycle), {"confirm": "on"})
    assert response.context["problems"][0] == (
        "Self-evaluation closes on 2025-04-30; it can be closed after that.")
    assert 'data-testid="close-form"' not in response.content.decode()
    assert posted.status_code == 200
    assert open_cycle.stages.get(stage=CycleStatus.SELF_EVALUATION).is_closed is False


def test_close_requires_confirmation(admin, open_cycle):
    with on(AFTER_CLOSE):
        response = admin.post(_url("cycle_close_self_evaluation", open_cycle), {})
    assert (response.status_code, response.context["form"].errors) == (
        200, {"confirm": ["Tick the box to confirm."]})
    assert set(Submission.objects.values_list("status", flat=True)) == {"not_started"}


def test_close_confirmed_abandons_non_submitters(admin, open_cycle, institution,
                                                 other_institution):
    Submission.objects.filter(institution=institution).update(status=SubmissionStatus.SUBMITTED)
    with on(AFTER_CLOSE):
        response = admin.post(_url("cycle_close_self_evaluation", open_cycle),
                              {"confirm": "on"})
    assert (response.status_code, response["Location"]) == (302,
                                                           _url("cycle_detail", open_cycle))
    assert _messages(response) == [("success", "Self-evaluation is closed. 1 institution did "
                                               "not participate; its filing is abandoned. "
                                               "Preliminary review can open now.")]
    assert sorted(Institution.objects.values_list("name", "status")) == sorted([
        (institution.name, "active"), (other_institution.name, "abandoned")])


def test_close_page_of_draft_cycle_says_not_open(admin, cycle):
    response = admin.get(_url("cycle_close_self_evaluation", cycle))
    assert response.context["problems"] == ["Self-evaluation is not open."]


def test_extension_grant_sets_new_deadline(admin, open_cycle, other_institution, city_admin):
    submission = open_cycle.submissions.get(institution=other_institution)
    with on(dt.date(2025, 4, 25)):
        response = admin.post(_url("cycle_extension", open_cycle, pk=submission.pk),
                              {"new_deadline": "2025-05-20",
                               "reason": "法定代表人变更，需重新盖章。"})
    assert (response.status_code, response["Location"]) == (
        302, _url("cycle_close_self_evaluation", open_cycle))
    assert list(Extension.objects.values_list("submission", "new_deadline", "reason",
                                              "granted_by")) == [
        (submission.pk, dt.date(2025, 5, 20), "法定代表人变更，需重新盖章。", city_admin.pk)]
    assert Submission.objects.get(pk=submission.pk).deadline == dt.date(2025, 5, 20)
    assert _messages(response) == [("success", "云龙新材料研究院 may now submit until 2025-05-20.")]


@pytest.mark.parametrize(("data", "errors"), [
    ({"new_deadline": "2025-04-30", "reason": "理由"},
     {"__all__": ["The new deadline must be later than 2025-04-30."]}),
    ({"new_deadline": "2025-05-20", "reason": ""}, {"reason": ["This field is required."]}),
    ({"new_deadline": "", "reason": "理由"}, {"new_deadline": ["This field is required."]}),
])
def test_extension_grant_refuses_invalid_input(admin, open_cycle, other_institution, data,
                                               errors):
    submission = open_cycle.submissions.get(institution=other_institution)
    with on(dt.date(2025, 4, 25)):
        response = admin.post(_url("cycle_extension", open_cycle, pk=submission.pk), data)
    assert (response.status_code, response.context["form"].errors) == (200, errors)
    assert Extension.objects.exists() is False


def test_extension_form_shows_current_deadline(admin, open_cycle, other_institution):
    submission = open_cycle.submissions.get(institution=other_institution)
    with on(dt.date(2025, 4, 25)):
        html = admin.get(_url("cycle_extension", open_cycle, pk=submission.pk)).content.decode()
    assert _testid(html, "current-deadline") == "2025-04-30"
    assert 'min="2025-05-01"' in html


# --- Dashboard and navigation -----------------------------------------------------------------

def test_dashboard_shows_current_cycle(admin, open_cycle):
    response = admin.get(reverse("home"))
    assert response.context["cycle"] == open_cycle
    html = response.content.decode()
    assert _url("cycle_detail", open_cycle) in html
    assert 'data-status="self_evaluation"' in html


def test_dashboard_without_cycle_offers_to_create_one(admin, users):
    response = admin.get(reverse("home"))
    assert response.context["cycle"] is None
    assert reverse("evaluations:cycle_create") in response.content.decode()


@pytest.mark.parametrize(("role", "shown"), [
    ("city_admin", True), ("panel_organiser", True), ("district_reviewer", False),
    ("institution_filer", False), ("expert", False)])
def test_navigation_links_cycles_for_city_staff(client_for, users, role, shown):
    links = client_for(users[role]).get(reverse("home")).context["nav_links"]
    assert (reverse("evaluations:cycle_list") in [link["url"] for link in links]) is shown


# --- Queries do not grow with the data --------------------------------------------------------

def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _more_institutions(n: int, gulou) -> list[Institution]:
    start = Institution.objects.count()
    return Institution.objects.bulk_create([
        InstitutionFactory.build(district=gulou, filing_date=dt.date(2019 + i % 6, 1, 1))
        for i in range(start, start + n)])


def test_query_counts_of_transition_and_close_pages_do_not_grow(client_for, cycle, gulou):
    admin = client_for(UserFactory(username="counter", role=Role.CITY_ADMIN))
    _more_institutions(10, gulou)
    with on(TODAY):
        small = _count(admin, _url("cycle_transition", cycle))
        _more_institutions(300, gulou)
        large = _count(admin, _url("cycle_transition", cycle))
        cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=None)
    assert Submission.objects.count() > 100
    with on(AFTER_CLOSE):
        close_large = _count(admin, _url("cycle_close_self_evaluation", cycle))
        Submission.objects.exclude(pk__in=Submission.objects.all()[:10]).delete()
        close_small = _count(admin, _url("cycle_close_self_evaluation", cycle))
    assert (large, close_large) == (small, close_small)


def test_query_counts_of_indicator_list_do_not_grow(admin, cycle, city_admin):
    small = _count(admin, _url("cycle_indicators", cycle))
    indicator = Indicator.objects.get(category__cycle=cycle, code="1.1")
    for n in range(20):
        Indicator.objects.create(category=indicator.category, code=f"1.{n + 6}", name="x",
                                 points=0, order=n + 6)
    assert _count(admin, _url("cycle_indicators", cycle)) == small
    assert CycleStage.objects.count() == 1
