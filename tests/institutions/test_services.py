"""Every write to the registry goes through a service (create, update, change of status)."""
import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from institutions.enums import FilingStatus, Role
from institutions.exceptions import DomainError
from institutions.models import Cluster, Institution, InstitutionStatusChange, User
from institutions.services import (
    INSTITUTION_EDITABLE_FIELDS,
    STATUS_TRANSITIONS,
    institution_change_status,
    institution_create,
    institution_update,
    user_create,
)
from tests.conftest import BAD_CHECK_CODE, VALID_CODE, VALID_CODE_2
from tests.factories import InstitutionFactory

# R2 (abandoned), R12 (cancelled), and restoring a filing recorded by mistake.
EXPECTED_TRANSITIONS = {
    ("active", "abandoned"), ("active", "cancelled"),
    ("abandoned", "active"), ("cancelled", "active"),
}
ALL_MOVES = list(itertools.product(FilingStatus.values, repeat=2))


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in the source language, whatever translations exist."""
    with translation.override("en"):
        yield


@pytest.fixture
def fields(gulou):
    return {
        "name": "徐州智能制造技术研究院", "credit_code": VALID_CODE, "district": gulou,
        "cluster": Cluster.objects.get(name="新材料"), "filing_date": dt.date(2022, 3, 15),
        "legal_representative": "王伟", "contact_person": "刘芳",
        "contact_phone": "0516-85550000", "contact_email": "office@example.cn",
        "address": "徐州市鼓楼区中山北路1号",
    }


# --- institution_create --------------------------------------------------------------------

def test_institution_create_saves_active_institution(fields, city_admin):
    institution = institution_create(actor=city_admin, **fields)
    saved = Institution.objects.get(pk=institution.pk)
    assert {name: getattr(saved, name) for name in fields} == fields
    assert (saved.status, saved.status_changed_on) == ("active", None)


def test_institution_create_normalises_credit_code(fields):
    institution = institution_create(actor=None, **{**fields,
                                                    "credit_code": " 9132-0302 ma1n0a2b3n"})
    assert Institution.objects.get(pk=institution.pk).credit_code == VALID_CODE


@pytest.mark.parametrize("code", [BAD_CHECK_CODE, "91320302MA1N0A2B3", "91320302MA1N0A2BIN", ""])
def test_institution_create_rejects_invalid_credit_code_and_saves_nothing(fields, code):
    with pytest.raises(ValidationError) as exc:
        institution_create(actor=None, **{**fields, "credit_code": code})
    assert list(exc.value.message_dict) == ["credit_code"]
    assert Institution.objects.count() == 0


def test_institution_create_rejects_duplicate_credit_code(fields, institution):
    with pytest.raises(ValidationError) as exc:
        institution_create(actor=None, **{**fields, "credit_code": institution.credit_code.lower()})
    assert list(exc.value.message_dict) == ["credit_code"]
    assert Institution.objects.count() == 1


def test_institution_create_rejects_missing_required_fields(fields):
    with pytest.raises(ValidationError) as exc:
        institution_create(actor=None, **{**fields, "name": "", "contact_phone": ""})
    assert sorted(exc.value.message_dict) == ["contact_phone", "name"]
    assert Institution.objects.count() == 0


# --- institution_update --------------------------------------------------------------------

def test_institution_update_saves_changed_fields(institution, yunlong, city_admin):
    institution_update(institution=institution, actor=city_admin, name="徐州工程机械创新研究院",
                       district=yunlong, credit_code=VALID_CODE_2.lower())
    saved = Institution.objects.get(pk=institution.pk)
    assert (saved.name, saved.district, saved.credit_code) == (
        "徐州工程机械创新研究院", yunlong, VALID_CODE_2)


def test_institution_update_rejects_invalid_code_and_keeps_database_row(institution):
    before = Institution.objects.filter(pk=institution.pk).values().get()
    with pytest.raises(ValidationError) as exc:
        institution_update(institution=institution, actor=None, name="新名称",
                           credit_code=BAD_CHECK_CODE)
    assert list(exc.value.message_dict) == ["credit_code"]
    assert Institution.objects.filter(pk=institution.pk).values().get() == before


@pytest.mark.parametrize("field", ["status", "status_changed_on", "created_at", "id"])
def test_institution_update_refuses_fields_outside_the_registry_data(institution, field):
    with pytest.raises(ValueError, match=field):
        institution_update(institution=institution, actor=None, **{field: "cancelled"})
    assert Institution.objects.get(pk=institution.pk).status == "active"


def test_institution_editable_fields_leave_out_the_status():
    assert "status" not in INSTITUTION_EDITABLE_FIELDS


# --- institution_change_status -------------------------------------------------------------

def test_status_transitions_are_those_of_the_policy():
    table = {(a, b) for a, targets in STATUS_TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_TRANSITIONS


@pytest.mark.parametrize("from_status, to_status", sorted(EXPECTED_TRANSITIONS))
def test_institution_change_status_allowed_move_writes_status_and_history(
        gulou, city_admin, from_status, to_status):
    institution = InstitutionFactory(district=gulou, status=from_status)
    change = institution_change_status(institution=institution, to_status=to_status,
                                       reason="  依据第十五条处理。 ", actor=city_admin,
                                       effective_on=dt.date(2025, 6, 30))
    saved = Institution.objects.get(pk=institution.pk)
    assert (saved.status, saved.status_changed_on) == (to_status, dt.date(2025, 6, 30))
    assert (institution.status, institution.status_changed_on) == (to_status,
                                                                   dt.date(2025, 6, 30))
    assert list(InstitutionStatusChange.objects.values(
        "institution", "from_status", "to_status", "effective_on", "reason", "changed_by",
    )) == [{"institution": institution.pk, "from_status": from_status, "to_status": to_status,
            "effective_on": dt.date(2025, 6, 30), "reason": "依据第十五条处理。",
            "changed_by": city_admin.pk}]
    assert change == InstitutionStatusChange.objects.get()


@pytest.mark.parametrize("from_status, to_status",
                         [move for move in ALL_MOVES if move not in EXPECTED_TRANSITIONS])
def test_institution_change_status_refused_move_changes_nothing(
        gulou, city_admin, from_status, to_status):
    institution = InstitutionFactory(district=gulou, status=from_status, name="徐州测试研究院")
    with pytest.raises(DomainError) as exc:
        institution_change_status(institution=institution, to_status=to_status,
                                  reason="理由", actor=city_admin)
    labels = dict(FilingStatus.choices)
    assert str(exc.value) == (f"The filing status of 徐州测试研究院 cannot change from "
                              f"“{labels[from_status]}” to “{labels[to_status]}”.")
    assert Institution.objects.get(pk=institution.pk).status == from_status
    assert InstitutionStatusChange.objects.count() == 0


def test_institution_change_status_refuses_unknown_status(institution, city_admin):
    with pytest.raises(DomainError) as exc:
        institution_change_status(institution=institution, to_status="merged", reason="理由",
                                  actor=city_admin)
    assert str(exc.value) == ("The filing status of 徐州工程机械研究院 cannot change from "
                              "“Active” to “merged”.")
    assert InstitutionStatusChange.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "   \n", None])
def test_institution_change_status_requires_reason(institution, city_admin, reason):
    with pytest.raises(DomainError) as exc:
        institution_change_status(institution=institution, to_status="cancelled", reason=reason,
                                  actor=city_admin)
    assert str(exc.value) == "A reason is required to change a filing status."
    assert (Institution.objects.get(pk=institution.pk).status,
            InstitutionStatusChange.objects.count()) == ("active", 0)


def test_institution_change_status_defaults_effective_date_to_today(institution, city_admin,
                                                                     monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2025, 3, 3))
    change = institution_change_status(institution=institution, to_status="abandoned",
                                       reason="未参评", actor=city_admin)
    assert (change.effective_on,
            Institution.objects.get(pk=institution.pk).status_changed_on) == (
        dt.date(2025, 3, 3), dt.date(2025, 3, 3))


def test_institution_change_status_round_trip_keeps_full_history(institution, city_admin):
    institution_change_status(institution=institution, to_status="cancelled", reason="撤销",
                              actor=city_admin, effective_on=dt.date(2025, 1, 1))
    institution_change_status(institution=institution, to_status="active", reason="误操作恢复",
                              actor=city_admin, effective_on=dt.date(2025, 1, 2))
    assert list(institution.status_changes.values_list("from_status", "to_status", "reason")) \
        == [("cancelled", "active", "误操作恢复"), ("active", "cancelled", "撤销")]


def test_institution_change_status_checks_the_database_not_a_stale_object(institution,
                                                                           city_admin):
    stale = Institution.objects.get(pk=institution.pk)
    institution_change_status(institution=institution, to_status="cancelled", reason="撤销",
                              actor=city_admin)
    with pytest.raises(DomainError):
        institution_change_status(institution=stale, to_status="abandoned", reason="未参评",
                                  actor=city_admin)
    assert Institution.objects.get(pk=institution.pk).status == "cancelled"


# --- user_create ---------------------------------------------------------------------------

def test_user_create_binds_account_to_its_scope(institution):
    user = user_create(username="filer9", password="correct-horse-9",
                       role=Role.INSTITUTION_FILER, institution=institution)
    saved = User.objects.get(pk=user.pk)
    assert (saved.role, saved.institution, saved.district, saved.check_password(
        "correct-horse-9")) == ("institution_filer", institution, None, True)


def test_user_create_without_password_makes_unusable_password(db):
    user = user_create(username="expert9", password=None, role=Role.EXPERT)
    assert User.objects.get(pk=user.pk).has_usable_password() is False


def test_user_create_refuses_account_outside_its_scope(db):
    with pytest.raises(ValidationError) as exc:
        user_create(username="gulou9", password="correct-horse-9",
                    role=Role.DISTRICT_REVIEWER)
    assert list(exc.value.message_dict) == ["district"]
    assert User.objects.filter(username="gulou9").exists() is False
