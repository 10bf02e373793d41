"""Policy versions (R13): every parameter with its effective date; a version used by a cycle is
read-only."""
import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from evaluations.models import PolicyVersion
from evaluations.selectors import policy as policies
from evaluations.selectors.policy import policy_version_in_force
from evaluations.services.policy import policy_version_create, policy_version_update
from institutions.exceptions import DomainError
from scoring import PolicyParams
from tests.factories import CycleFactory, PolicyVersionFactory

# rules.md R13, as the policy states them.
R13_DEFAULTS = {
    "share_a": 50, "share_b": 40, "share_c": 10, "excellent_share": 10, "good_share": 25,
    "top_tier_cap": 30, "fail_min_share": 3, "spot_check_share": 3, "trim_from_scores": 5,
    "notice_working_days": 5, "reward_cap_yuan": 5_000_000, "cohort_min_age_years": 2,
    "panel_size": 7, "panel_alternates": 2, "min_panel_scores": 5,
}


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in the source language, whatever translations exist."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin(client_for, city_admin):
    client = client_for(city_admin)
    client.cookies["django_language"] = "en"
    return client


def _parameters(version: PolicyVersion) -> dict:
    return {name: getattr(version, name) for name in PolicyVersion.PARAMETER_FIELDS}


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


# --- services -------------------------------------------------------------------------------

def test_policy_version_create_takes_r13_defaults(city_admin):
    version = policy_version_create(actor=city_admin, name="2026年版",
                                    effective_date=dt.date(2026, 7, 1))
    saved = PolicyVersion.objects.get(pk=version.pk)
    assert _parameters(saved) == R13_DEFAULTS
    assert (saved.created_by, saved.name) == (city_admin, "2026年版")


def test_default_policy_version_is_loaded_with_r13_defaults(default_policy):
    assert _parameters(default_policy) == R13_DEFAULTS


def test_policy_version_create_keeps_given_parameters(city_admin):
    version = policy_version_create(actor=city_admin, name="2026年版",
                                    effective_date=dt.date(2026, 7, 1), share_a=40, share_b=45,
                                    share_c=15, top_tier_cap=20)
    assert _parameters(PolicyVersion.objects.get(pk=version.pk)) == {
        **R13_DEFAULTS, "share_a": 40, "share_b": 45, "share_c": 15, "top_tier_cap": 20}


@pytest.mark.parametrize("shares", [(50, 40, 20), (50, 40, 0), (0, 0, 0)])
def test_policy_version_create_requires_shares_summing_to_100(city_admin, shares):
    with pytest.raises(ValidationError) as exc:
        policy_version_create(actor=city_admin, name="错误版本",
                              effective_date=dt.date(2026, 7, 1), share_a=shares[0],
                              share_b=shares[1], share_c=shares[2])
    assert exc.value.messages == ["The group shares A + B + C must add up to 100."]
    assert PolicyVersion.objects.filter(name="错误版本").exists() is False


@pytest.mark.parametrize("field, value", [
    ("excellent_share", 101), ("trim_from_scores", 2), ("notice_working_days", 0),
])
def test_policy_version_create_rejects_out_of_range_parameter(city_admin, field, value):
    with pytest.raises(ValidationError) as exc:
        policy_version_create(actor=city_admin, name="错误版本",
                              effective_date=dt.date(2026, 7, 1), **{field: value})
    assert list(exc.value.message_dict) == [field]


def test_policy_version_create_refuses_second_version_on_same_date(city_admin, default_policy):
    with pytest.raises(ValidationError) as exc:
        policy_version_create(actor=city_admin, name="重复", effective_date=dt.date(2020, 1, 1))
    assert list(exc.value.message_dict) == ["effective_date"]


def test_policy_version_update_changes_unused_version(city_admin):
    version = PolicyVersionFactory()
    policy_version_update(version=version, actor=city_admin, good_share=20, name="改")
    saved = PolicyVersion.objects.get(pk=version.pk)
    assert (saved.good_share, saved.name) == (20, "改")


def test_policy_version_update_validates_shares(city_admin):
    version = PolicyVersionFactory()
    with pytest.raises(ValidationError):
        policy_version_update(version=version, actor=city_admin, share_c=30)
    assert PolicyVersion.objects.get(pk=version.pk).share_c == 10


def test_policy_version_update_refused_once_a_cycle_uses_it(city_admin):
    version = PolicyVersionFactory(name="2027年版")
    CycleFactory(policy_version=version)
    before = PolicyVersion.objects.filter(pk=version.pk).values().get()
    with pytest.raises(DomainError) as exc:
        policy_version_update(version=version, actor=city_admin, good_share=20)
    assert str(exc.value) == ("Policy version “2027年版” is used by an evaluation cycle and can "
                              "no longer be edited; create a new version instead.")
    assert PolicyVersion.objects.filter(pk=version.pk).values().get() == before


def test_policy_version_is_in_use_only_with_a_cycle(db):
    unused, used = PolicyVersionFactory(), PolicyVersionFactory()
    CycleFactory(policy_version=used)
    assert (unused.is_in_use, used.is_in_use) == (False, True)


# --- as_params ------------------------------------------------------------------------------

def test_policy_version_as_params_of_defaults_is_the_policy(default_policy):
    assert default_policy.as_params() == PolicyParams(
        district_shares=(50, 40, 10), excellent_share=10, good_share=25, top_tier_cap=30,
        fail_min_share=3, spot_check_share=3, trim_from_scores=5, notice_working_days=5,
        reward_cap_yuan=5_000_000, cohort_min_age_years=2, panel_size=7, panel_alternates=2,
        min_panel_scores=5)


def test_policy_version_as_params_carries_every_parameter(db):
    version = PolicyVersionFactory(
        share_a=45, share_b=45, share_c=10, excellent_share=12, good_share=20, top_tier_cap=25,
        fail_min_share=4, spot_check_share=5, trim_from_scores=7, notice_working_days=7,
        reward_cap_yuan=3_000_000, cohort_min_age_years=3, panel_size=9, panel_alternates=3,
        min_panel_scores=6)
    assert version.as_params() == PolicyParams(
        district_shares=(45, 45, 10), excellent_share=12, good_share=20, top_tier_cap=25,
        fail_min_share=4, spot_check_share=5, trim_from_scores=7, notice_working_days=7,
        reward_cap_yuan=3_000_000, cohort_min_age_years=3, panel_size=9, panel_alternates=3,
        min_panel_scores=6)


# --- policy_version_in_force ----------------------------------------------------------------

def test_policy_version_in_force_is_latest_effective_on_or_before_date(default_policy):
    revised = PolicyVersionFactory(effective_date=dt.date(2024, 3, 1))
    PolicyVersionFactory(effective_date=dt.date(2026, 1, 1))
    assert [
        policy_version_in_force(dt.date(2019, 12, 31)),
        policy_version_in_force(dt.date(2020, 1, 1)),
        policy_version_in_force(dt.date(2024, 2, 29)),
        policy_version_in_force(dt.date(2024, 3, 1)),
        policy_version_in_force(dt.date(2025, 12, 31)),
    ] == [None, default_policy, default_policy, revised, revised]


def test_policy_version_in_force_defaults_to_today(default_policy, monkeypatch):
    revised = PolicyVersionFactory(effective_date=dt.date(2024, 3, 1))
    monkeypatch.setattr(policies.timezone, "localdate", lambda *a, **k: dt.date(2024, 2, 29))
    before = policy_version_in_force()
    monkeypatch.setattr(policies.timezone, "localdate", lambda *a, **k: dt.date(2024, 3, 1))
    assert (before, policy_version_in_force()) == (default_policy, revised)


# --- views ----------------------------------------------------------------------------------

def test_policy_list_marks_version_in_force_and_versions_in_use(admin, default_policy):
    future = PolicyVersionFactory(effective_date=dt.date(2099, 1, 1))
    CycleFactory(policy_version=default_policy)
    response = admin.get(reverse("evaluations:policy_list"))
    assert (list(response.context["versions"]), response.context["in_force"],
            response.context["used"]) == ([future, default_policy], default_policy,
                                          {default_policy.pk})


def test_policy_detail_lists_parameters_and_cycles(admin, default_policy):
    cycle = CycleFactory(policy_version=default_policy)
    response = admin.get(reverse("evaluations:policy_detail", kwargs={"pk": default_policy.pk}))
    assert [value for _, value in response.context["parameters"]] == list(R13_DEFAULTS.values())
    assert list(response.context["cycles"]) == [cycle]


def test_policy_create_view_starts_from_version_in_force(admin, default_policy):
    policy_version_update(version=default_policy, actor=None, good_share=22)
    response = admin.get(reverse("evaluations:policy_create"))
    assert response.context["form"].initial == {**R13_DEFAULTS, "good_share": 22}


def test_policy_create_view_saves_version(admin, city_admin, policy_data):
    response = admin.post(reverse("evaluations:policy_create"),
                          policy_data(reward_cap_yuan=4_000_000))
    version = PolicyVersion.objects.get(name="2026年修订参数")
    assert response["Location"] == reverse("evaluations:policy_detail",
                                           kwargs={"pk": version.pk})
    assert (_parameters(version), version.effective_date, version.created_by) == (
        {**R13_DEFAULTS, "reward_cap_yuan": 4_000_000}, dt.date(2026, 7, 1), city_admin)
    assert _messages(response) == [("success", "Policy version “2026年修订参数” was created.")]


def test_policy_create_view_shows_share_error_and_saves_nothing(admin, policy_data):
    response = admin.post(reverse("evaluations:policy_create"), policy_data(share_c=20))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The group shares A + B + C must add up to 100."]
    assert PolicyVersion.objects.count() == 1


def test_policy_update_view_saves_unused_version(admin, policy_data):
    version = PolicyVersionFactory(effective_date=dt.date(2026, 7, 1))
    response = admin.post(reverse("evaluations:policy_update", kwargs={"pk": version.pk}),
                          policy_data(name=version.name, top_tier_cap=28))
    assert response["Location"] == reverse("evaluations:policy_detail",
                                           kwargs={"pk": version.pk})
    assert PolicyVersion.objects.get(pk=version.pk).top_tier_cap == 28
    assert _messages(response) == [("success", "The changes were saved.")]


@pytest.mark.parametrize("method", ["get", "post"])
def test_policy_update_view_redirects_with_message_once_used(admin, policy_data, method):
    version = PolicyVersionFactory(effective_date=dt.date(2026, 7, 1))
    CycleFactory(policy_version=version)
    before = PolicyVersion.objects.filter(pk=version.pk).values().get()
    url = reverse("evaluations:policy_update", kwargs={"pk": version.pk})
    response = getattr(admin, method)(url, policy_data(name=version.name, top_tier_cap=28))
    assert response["Location"] == reverse("evaluations:policy_detail",
                                           kwargs={"pk": version.pk})
    assert _messages(response) == [("error", "This version is used by an evaluation cycle and "
                                             "can no longer be edited; create a new version "
                                             "instead.")]
    assert PolicyVersion.objects.filter(pk=version.pk).values().get() == before
