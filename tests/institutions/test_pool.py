"""The expert pool (R6a): entering, editing, suspending and reinstating experts, their past
employers and accounts, and the pool's list."""
from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation

from institutions.enums import ExpertStatus, Gender, Role, TitleLevel
from institutions.exceptions import DomainError
from institutions.models import Cluster, Expert, User
from institutions.services.pool import (
    Employment,
    expert_create,
    expert_reinstate,
    expert_suspend,
    expert_update,
)
from tests.conftest import VALID_CODE, VALID_CODE_2, VALID_CODE_3
from tests.factories import ExpertFactory, UserFactory


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def organiser(users):
    return users["panel_organiser"]


@pytest.fixture
def clusters(reference_data):
    return list(Cluster.objects.order_by("sort_order")[:2])


def _fields(**overrides):
    return {"pool_number": "e0101", "name": "王强", "gender": Gender.MALE,
            "employer_name": "中国矿业大学", "employer_credit_code": VALID_CODE_2,
            "title": "教授", "title_level": TitleLevel.FULL_SENIOR, "phone": "13900000000",
            "email": "wangqiang@example.cn", **overrides}


# --- Services ---------------------------------------------------------------------------------

def test_expert_create_enters_an_active_expert_with_clusters_and_past_employers(
        organiser, clusters):
    expert = expert_create(actor=organiser, clusters=clusters, employments=[
        Employment("徐州工程机械研究院", VALID_CODE, dt.date(2019, 1, 1), dt.date(2024, 6, 30))],
        **_fields())
    expert.refresh_from_db()
    assert (expert.pool_number, expert.status, expert.user) == ("E0101", ExpertStatus.ACTIVE,
                                                                None)
    assert list(expert.clusters.order_by("sort_order")) == clusters
    assert [(j.employer_name, j.credit_code) for j in expert.employments.all()] == [
        ("徐州工程机械研究院", VALID_CODE)]
    entry = LogEntry.objects.get_for_object(expert).get()
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, organiser)


def test_the_pool_takes_no_title_below_associate_senior(organiser, clusters):
    with pytest.raises(ValidationError) as caught:
        expert_create(actor=organiser, clusters=clusters,
                      **_fields(title="工程师", title_level=TitleLevel.INTERMEDIATE))
    assert caught.value.message_dict == {"title_level": [
        "The expert pool takes experts with a title of Associate senior title or higher."]}
    assert not Expert.objects.exists()


@override_settings(EXPERT_MIN_TITLE_LEVEL=TitleLevel.FULL_SENIOR)
def test_the_title_the_pool_requires_is_a_setting(organiser, clusters):
    with pytest.raises(ValidationError):
        expert_create(actor=organiser, clusters=clusters,
                      **_fields(title_level=TitleLevel.ASSOCIATE_SENIOR))


def test_pool_numbers_are_unique_and_clusters_required(organiser, clusters):
    expert_create(actor=organiser, clusters=clusters, **_fields())
    with pytest.raises(ValidationError) as taken:
        expert_create(actor=organiser, clusters=clusters, **_fields(email="x@example.cn"))
    assert list(taken.value.message_dict) == ["pool_number"]
    with pytest.raises(ValidationError) as none:
        expert_create(actor=organiser, clusters=[], **_fields(pool_number="E0102"))
    assert list(none.value.message_dict) == ["clusters"]


def test_a_past_employer_ending_before_it_started_is_refused(organiser, clusters):
    with pytest.raises(ValidationError) as caught:
        expert_create(actor=organiser, clusters=clusters, employments=[
            Employment("某研究院", VALID_CODE, dt.date(2024, 1, 1), dt.date(2023, 1, 1))],
            **_fields())
    assert "end date is before its start date" in str(caught.value)


def test_an_expert_account_is_created_with_the_expert_and_mailed_its_link(
        organiser, clusters, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expert = expert_create(actor=organiser, clusters=clusters, create_account=True,
                               **_fields())
    account = expert.user
    assert (account.username, account.role, account.has_usable_password()) == (
        "expert-e0101", Role.EXPERT, False)
    assert [m.to for m in mail.outbox] == [["wangqiang@example.cn"]]


def test_an_existing_expert_account_can_be_linked_but_no_other_account(organiser, clusters,
                                                                       users):
    account = UserFactory(username="wq", role=Role.EXPERT)
    expert = expert_create(actor=organiser, clusters=clusters, user=account, **_fields())
    assert expert.user == account
    with pytest.raises(DomainError, match="already belongs to another expert"):
        expert_create(actor=organiser, clusters=clusters, user=account,
                      **_fields(pool_number="E0102"))
    with pytest.raises(DomainError, match="Only an expert account"):
        expert_create(actor=organiser, clusters=clusters, user=users["district_reviewer"],
                      **_fields(pool_number="E0103"))
    assert Expert.objects.count() == 1


def test_expert_update_replaces_past_employers_and_is_audited(organiser, clusters):
    expert = expert_create(actor=organiser, clusters=clusters, employments=[
        Employment("某研究院", VALID_CODE, None, dt.date(2023, 1, 1))], **_fields())
    expert_update(expert=expert, actor=organiser, clusters=clusters[:1], employments=[
        Employment("另一研究院", VALID_CODE_3, None, None)], title="研究员")
    expert.refresh_from_db()
    assert (expert.title, [j.credit_code for j in expert.employments.all()],
            expert.clusters.count()) == ("研究员", [VALID_CODE_3], 1)
    change = LogEntry.objects.get_for_object(expert).filter(action=LogEntry.Action.UPDATE).get()
    assert change.changes_dict["title"] == ["教授", "研究员"]


def test_suspension_needs_a_reason_and_reinstating_undoes_it(organiser, reference_data):
    expert = ExpertFactory()
    with pytest.raises(DomainError, match="reason"):
        expert_suspend(expert=expert, actor=organiser, reason="  ")
    expert_suspend(expert=expert, actor=organiser, reason="长期出国")
    expert.refresh_from_db()
    assert (expert.status, expert.suspension_reason) == (ExpertStatus.SUSPENDED, "长期出国")
    with pytest.raises(DomainError, match="already"):
        expert_suspend(expert=expert, actor=organiser, reason="再次")
    expert_reinstate(expert=expert, actor=organiser)
    expert.refresh_from_db()
    assert (expert.status, expert.suspension_reason) == (ExpertStatus.ACTIVE, "")
    entries = LogEntry.objects.get_for_object(expert).filter(action=LogEntry.Action.UPDATE)
    assert [e.changes_dict["status"] for e in entries.order_by("timestamp", "pk")] == [
        ["active", "suspended"], ["suspended", "active"]]


def test_employers_of_the_last_three_years_count_for_conflicts(reference_data):
    expert = ExpertFactory(employer_credit_code=VALID_CODE_2)
    expert.employments.create(employer_name="近期", credit_code=VALID_CODE,
                              ended_on=dt.date(2023, 7, 1))
    expert.employments.create(employer_name="早年", credit_code=VALID_CODE_3,
                              ended_on=dt.date(2022, 6, 30))
    assert expert.employer_codes(dt.date(2025, 7, 1)) == {VALID_CODE_2, VALID_CODE}
    assert expert.employer_codes(dt.date(2025, 6, 30)) == {VALID_CODE_2, VALID_CODE,
                                                           VALID_CODE_3}
    assert expert.employer_codes(dt.date(2028, 2, 29)) == {VALID_CODE_2}


def test_is_senior_follows_the_setting(reference_data):
    assert ExpertFactory(title_level=TitleLevel.ASSOCIATE_SENIOR).is_senior
    assert not ExpertFactory(title_level=TitleLevel.INTERMEDIATE).is_senior


# --- Pages ------------------------------------------------------------------------------------

def _form_data(clusters, **overrides):
    data = {**_fields(), "clusters": [c.pk for c in clusters],
            "jobs-TOTAL_FORMS": "2", "jobs-INITIAL_FORMS": "0", "jobs-MIN_NUM_FORMS": "0",
            "jobs-MAX_NUM_FORMS": "20",
            "jobs-0-employer_name": "徐州工程机械研究院", "jobs-0-credit_code": VALID_CODE,
            "jobs-0-started_on": "2019-01-01", "jobs-0-ended_on": "2024-06-30"}
    data.update(overrides)
    return data


def test_the_organiser_enters_an_expert_through_the_page(client_for, organiser, clusters):
    response = client_for(organiser).post(reverse("institutions:expert_create"),
                                          _form_data(clusters))
    expert = Expert.objects.get()
    assert response["Location"] == reverse("institutions:expert_detail", args=[expert.pk])
    assert [j.employer_name for j in expert.employments.all()] == ["徐州工程机械研究院"]
    page = client_for(organiser).get(response["Location"]).content.decode()
    assert "徐州工程机械研究院" in page and VALID_CODE in page


def test_a_refused_entry_keeps_what_was_typed_and_says_why(client_for, organiser, clusters):
    response = client_for(organiser).post(reverse("institutions:expert_create"), _form_data(
        clusters, title_level=TitleLevel.INTERMEDIATE, name="李红"))
    assert response.status_code == 200
    assert response.context["form"].errors["title_level"] == [
        "专家库仅接受副高级职称及以上的专家。"]  # the page speaks Chinese
    html = response.content.decode()
    assert 'value="李红"' in html and 'value="徐州工程机械研究院"' in html
    assert not Expert.objects.exists()


def test_the_organiser_suspends_with_a_reason_and_reinstates(client_for, organiser,
                                                             reference_data):
    expert = ExpertFactory()
    client = client_for(organiser)
    empty = client.post(reverse("institutions:expert_suspend", args=[expert.pk]), {"reason": ""})
    assert empty.status_code == 200 and empty.context["form"].errors["reason"]
    client.post(reverse("institutions:expert_suspend", args=[expert.pk]), {"reason": "退休"})
    page = client.get(reverse("institutions:expert_detail", args=[expert.pk])).content.decode()
    assert "退休" in page and 'data-testid="suspension-reason"' in page
    client.post(reverse("institutions:expert_reinstate", args=[expert.pk]))
    assert Expert.objects.get(pk=expert.pk).status == ExpertStatus.ACTIVE


def test_the_list_searches_and_filters(client_for, organiser, clusters):
    first, second = clusters
    ExpertFactory(name="张伟", clusters=[first])
    ExpertFactory(name="李娜", clusters=[second], title_level=TitleLevel.ASSOCIATE_SENIOR)
    suspended = ExpertFactory(name="赵磊", clusters=[second])
    expert_suspend(expert=suspended, actor=organiser, reason="退休")
    client = client_for(organiser)

    def names(**query):
        response = client.get(reverse("institutions:expert_list"), query)
        return [e.name for e in response.context["page"].object_list]

    assert names() == ["张伟", "李娜", "赵磊"]
    assert names(q="李") == ["李娜"]
    assert names(cluster=second.pk) == ["李娜", "赵磊"]
    assert names(title_level=TitleLevel.ASSOCIATE_SENIOR) == ["李娜"]
    assert names(status=ExpertStatus.SUSPENDED) == ["赵磊"]


def test_the_list_reads_in_the_same_queries_whatever_its_size(client_for, organiser, clusters):
    client = client_for(organiser)
    url = reverse("institutions:expert_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    ExpertFactory.create_batch(2, clusters=clusters)
    small = count()
    ExpertFactory.create_batch(20, clusters=clusters)
    assert count() == small


def test_the_account_choice_offers_unlinked_expert_accounts_only(client_for, organiser,
                                                                 clusters):
    free = UserFactory(username="free-expert", role=Role.EXPERT)
    taken = UserFactory(username="taken-expert", role=Role.EXPERT)
    ExpertFactory(user=taken)
    form = client_for(organiser).get(reverse("institutions:expert_create")).context["form"]
    assert list(form.fields["user"].queryset) == [User.objects.get(username="expert"), free]
