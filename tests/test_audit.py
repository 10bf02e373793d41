"""The audit trail: every create / update / delete on the registry and every change of status,
with who, when and before → after; browsable by the city, the districts (their own) and the
institution administrators (their own)."""
import datetime as dt

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from evaluations.models import PolicyVersion
from evaluations.services.policy import policy_version_create, policy_version_update
from institutions.models import Cluster, Institution, InstitutionStatusChange
from institutions.services import (
    institution_change_status,
    institution_create,
    institution_update,
)
from tests.conftest import VALID_CODE
from tests.factories import InstitutionFactory

CREATE, UPDATE, DELETE = LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE


def _entries(model, **filters) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_model(model).filter(**filters).order_by("pk"))


def _summary(entry: LogEntry, *fields: str) -> tuple:
    """(action, actor, {field: [before, after]}) of the named fields."""
    changes = entry.changes_dict
    return (entry.action, entry.actor, {name: changes.get(name) for name in fields})


# --- through the services -------------------------------------------------------------------

def test_institution_create_is_logged_with_actor(city_admin, gulou):
    institution = institution_create(
        actor=city_admin, name="徐州智能制造技术研究院", credit_code=VALID_CODE, district=gulou,
        cluster=Cluster.objects.get(name="新材料"),
        filing_date=dt.date(2022, 3, 15), legal_representative="王伟", contact_person="刘芳",
        contact_phone="0516-85550000")
    [entry] = _entries(Institution, object_pk=str(institution.pk))
    assert _summary(entry, "name", "credit_code", "status") == (CREATE, city_admin, {
        "name": ["None", "徐州智能制造技术研究院"], "credit_code": ["None", VALID_CODE],
        "status": ["None", "active"]})


def test_institution_update_is_logged_before_and_after(city_admin, institution):
    institution_update(institution=institution, actor=city_admin, name="徐州工程机械创新研究院",
                       contact_phone="0516-86660000")
    [entry] = _entries(Institution, object_pk=str(institution.pk), action=UPDATE)
    assert (entry.action, entry.actor, entry.changes_dict) == (UPDATE, city_admin, {
        "name": ["徐州工程机械研究院", "徐州工程机械创新研究院"],
        "contact_phone": ["0516-83000000", "0516-86660000"]})


def test_institution_change_status_is_logged_on_institution_and_history(city_admin,
                                                                        institution):
    change = institution_change_status(institution=institution, to_status="abandoned",
                                       reason="未参评", actor=city_admin,
                                       effective_on=dt.date(2025, 6, 30))
    [entry] = _entries(Institution, object_pk=str(institution.pk), action=UPDATE)
    assert (entry.action, entry.actor, entry.changes_dict) == (UPDATE, city_admin, {
        "status": ["active", "abandoned"], "status_changed_on": ["None", "2025-06-30"]})
    [history] = _entries(InstitutionStatusChange, object_pk=str(change.pk))
    assert _summary(history, "from_status", "to_status", "reason") == (CREATE, city_admin, {
        "from_status": ["None", "active"], "to_status": ["None", "abandoned"],
        "reason": ["None", "未参评"]})


def test_institution_delete_is_logged(city_admin, gulou):
    institution = InstitutionFactory(district=gulou, name="待删除研究院")
    pk = institution.pk
    with set_actor(city_admin):
        institution.delete()
    [entry] = _entries(Institution, object_pk=str(pk), action=DELETE)
    assert (entry.actor, entry.object_repr) == (city_admin, "待删除研究院")


def test_policy_version_create_and_update_are_logged(city_admin):
    version = policy_version_create(actor=city_admin, name="2026年版",
                                    effective_date=dt.date(2026, 7, 1))
    policy_version_update(version=version, actor=city_admin, top_tier_cap=25)
    entries = _entries(PolicyVersion, object_pk=str(version.pk))
    assert [(e.action, e.actor) for e in entries] == [(CREATE, city_admin),
                                                      (UPDATE, city_admin)]
    assert entries[1].changes_dict == {"top_tier_cap": ["30", "25"]}


def test_user_changes_are_logged_without_password(users):
    filer = users["institution_filer"]
    filer.set_password("another-pass-2026")
    filer.full_name = "张敏"
    filer.save()
    [entry] = _entries(type(filer), object_pk=str(filer.pk), action=UPDATE)
    assert entry.changes_dict == {"full_name": ["", "张敏"]}


# --- through the views ----------------------------------------------------------------------

@pytest.fixture
def admin(client_for, city_admin):
    return client_for(city_admin)


def test_views_log_create_update_and_status_with_the_logged_in_actor(
        admin, city_admin, institution_data):
    admin.post(reverse("institutions:create"), institution_data())
    institution = Institution.objects.get(credit_code=VALID_CODE)
    admin.post(reverse("institutions:update", kwargs={"pk": institution.pk}),
               institution_data(institution, address="徐州市鼓楼区中山北路2号"))
    admin.post(reverse("institutions:status", kwargs={"pk": institution.pk}),
               {"to_status": "cancelled", "effective_on": "2025-06-30", "reason": "撤销",
                "confirm": "on"})
    entries = _entries(Institution, object_pk=str(institution.pk))
    assert [(e.action, e.actor) for e in entries] == [
        (CREATE, city_admin), (UPDATE, city_admin), (UPDATE, city_admin)]
    assert [entries[1].changes_dict, entries[2].changes_dict] == [
        {"address": ["徐州市鼓楼区中山北路1号", "徐州市鼓楼区中山北路2号"]},
        {"status": ["active", "cancelled"], "status_changed_on": ["None", "2025-06-30"]},
    ]


def test_audit_log_page_lists_entries_with_before_and_after(admin, city_admin, institution):
    institution_update(institution=institution, actor=city_admin, name="徐州工程机械创新研究院")
    response = admin.get(reverse("audit_log"))
    entry = LogEntry.objects.get_for_object(institution).get(action=UPDATE)
    assert response.status_code == 200
    assert list(response.context["page"].object_list)[0] == entry
    assert "徐州工程机械研究院 → 徐州工程机械创新研究院" in response.content.decode()


def test_audit_log_page_filters_by_record_type_and_text(admin, city_admin, institution,
                                                        other_institution):
    policy_version_create(actor=city_admin, name="2026年版", effective_date=dt.date(2026, 7, 1))
    institution_type = ContentType.objects.get_for_model(Institution)
    by_type = admin.get(reverse("audit_log"), {"model": institution_type.pk})
    by_text = admin.get(reverse("audit_log"), {"q": "云龙"})
    assert {e.content_type for e in by_type.context["page"].object_list} == {institution_type}
    assert [e.object_repr for e in by_text.context["page"].object_list] == ["云龙新材料研究院"]


def test_audit_log_page_paginates_by_50(admin, gulou):
    for _ in range(55):
        InstitutionFactory(district=gulou)
    first = admin.get(reverse("audit_log"))
    second = admin.get(reverse("audit_log"), {"page": 2})
    total = LogEntry.objects.count()
    assert (len(first.context["page"].object_list),
            len(second.context["page"].object_list)) == (50, total - 50)


@pytest.mark.parametrize("role, status", [
    ("city_admin", 200), ("panel_organiser", 403), ("expert", 403), ("district_reviewer", 200),
    ("district_reviewer_other", 200), ("institution_filer", 403), ("institution_admin", 200),
    ("institution_filer_other", 403)])
def test_audit_log_page_is_for_the_city_districts_and_institution_administrators(
        client_for, users, role, status):
    """What each of them sees is ``tests/institutions/test_audit_views.py``'s concern."""
    assert client_for(users[role]).get(reverse("audit_log")).status_code == status


def test_audit_log_page_sends_anonymous_visitor_to_login(client_for, db):
    response = client_for(None).get(reverse("audit_log"))
    assert response["Location"] == f"{reverse('login')}?next={reverse('audit_log')}"
