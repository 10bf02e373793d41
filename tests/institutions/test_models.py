"""The registry models: accounts bound to their scope, institutions identified by credit code."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from institutions.enums import Role
from institutions.models import Cluster, District, Institution, User
from tests.conftest import BAD_CHECK_CODE
from tests.factories import InstitutionFactory

NO_SCOPE = ("city_admin", "panel_organiser", "expert", "")


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in the source language, whatever translations exist."""
    with translation.override("en"):
        yield


def _clean_errors(user: User) -> dict:
    try:
        user.clean()
    except ValidationError as exc:
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {}


@pytest.mark.parametrize("role", [Role.INSTITUTION_FILER, Role.INSTITUTION_ADMIN])
def test_user_clean_accepts_institution_account_bound_to_its_institution(role, institution):
    assert _clean_errors(User(username="u", role=role, institution=institution)) == {}


@pytest.mark.parametrize("role", [Role.INSTITUTION_FILER, Role.INSTITUTION_ADMIN])
def test_user_clean_refuses_institution_account_without_institution(role, db):
    assert _clean_errors(User(username="u", role=role)) == {
        "institution": ["An institution account needs its institution."],
    }


def test_user_clean_accepts_district_reviewer_bound_to_its_district(gulou):
    user = User(username="u", role=Role.DISTRICT_REVIEWER, district=gulou)
    assert _clean_errors(user) == {}


def test_user_clean_refuses_district_reviewer_without_district(db):
    assert _clean_errors(User(username="u", role=Role.DISTRICT_REVIEWER)) == {
        "district": ["A district reviewer needs a district."],
    }


@pytest.mark.parametrize("role", NO_SCOPE)
def test_user_clean_accepts_city_accounts_without_scope(role, db):
    assert _clean_errors(User(username="u", role=role)) == {}


@pytest.mark.parametrize("role", [*NO_SCOPE, Role.DISTRICT_REVIEWER])
def test_user_clean_refuses_institution_on_other_roles(role, institution, gulou):
    user = User(username="u", role=role, institution=institution,
                district=gulou if role == Role.DISTRICT_REVIEWER else None)
    assert _clean_errors(user) == {
        "institution": ["Only institution accounts are bound to an institution."],
    }


@pytest.mark.parametrize("role", [*NO_SCOPE, Role.INSTITUTION_FILER, Role.INSTITUTION_ADMIN])
def test_user_clean_refuses_district_on_other_roles(role, institution, gulou):
    scoped = role in (Role.INSTITUTION_FILER, Role.INSTITUTION_ADMIN)
    user = User(username="u", role=role, district=gulou,
                institution=institution if scoped else None)
    assert _clean_errors(user) == {
        "district": ["Only district reviewers are bound to a district."],
    }


def test_user_str_prefers_full_name(db):
    assert [str(User(username="city", full_name="市科技局")), str(User(username="city"))] == [
        "市科技局", "city"]


def test_districts_and_clusters_are_those_of_domain(reference_data):
    assert (District.objects.count(), Cluster.objects.count()) == (13, 10)
    assert list(District.objects.values_list("name", flat=True)[:3]) == ["鼓楼区", "云龙区",
                                                                          "贾汪区"]


def test_institution_filing_year_is_the_year_of_its_filing_date(db):
    assert InstitutionFactory.build(filing_date=dt.date(2019, 12, 31)).filing_year == 2019


def test_institution_starts_active_without_status_date(institution):
    assert (institution.status, institution.status_changed_on) == ("active", None)


def test_institution_full_clean_rejects_bad_credit_code(gulou):
    institution = InstitutionFactory.build(district=gulou, credit_code=BAD_CHECK_CODE)
    with pytest.raises(ValidationError) as exc:
        institution.full_clean()
    assert list(exc.value.message_dict) == ["credit_code"]


def test_institution_full_clean_rejects_duplicate_credit_code(institution):
    twin = InstitutionFactory.build(district=institution.district,
                                    credit_code=institution.credit_code)
    with pytest.raises(ValidationError) as exc:
        twin.full_clean()
    assert list(exc.value.message_dict) == ["credit_code"]
    assert Institution.objects.filter(credit_code=institution.credit_code).count() == 1


def test_institution_status_is_not_editable_in_forms():
    assert Institution._meta.get_field("status").editable is False
