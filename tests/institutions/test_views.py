"""The registry pages and the landing page of each role."""
import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from institutions.enums import FilingStatus, Role
from institutions.models import Cluster, District, Institution, InstitutionStatusChange, User
from tests.conftest import BAD_CHECK_CODE, VALID_CODE
from tests.factories import InstitutionFactory, UserFactory


@pytest.fixture
def as_user(client_for):
    """A client logged in as ``user`` that reads the pages in English (the source language),
    so messages compare equal whatever translations exist."""

    def make(user):
        client = client_for(user)
        client.cookies["django_language"] = "en"
        return client

    return make


@pytest.fixture
def admin_user(db):
    """A city administrator that does not bring the ``users`` fixture's institutions along."""
    return UserFactory(username="registrar", role=Role.CITY_ADMIN)


@pytest.fixture
def admin(as_user, admin_user):
    return as_user(admin_user)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _listed(response) -> list[str]:
    return [institution.name for institution in response.context["page"].object_list]


# --- list -----------------------------------------------------------------------------------

@pytest.fixture
def registry(reference_data):
    gulou = District.objects.get(name="鼓楼区")
    yunlong = District.objects.get(name="云龙区")
    machinery = Cluster.objects.get(name="工程机械")
    materials = Cluster.objects.get(name="新材料")
    rows = [
        ("徐州液压传动研究院", gulou, machinery, dt.date(2019, 3, 1), "active"),
        ("徐州高分子材料研究院", gulou, materials, dt.date(2020, 6, 1), "abandoned"),
        ("云龙碳基材料研究院", yunlong, materials, dt.date(2019, 9, 1), "cancelled"),
        ("云龙智能装备研究院", yunlong, machinery, dt.date(2021, 1, 1), "active"),
    ]
    for name, district, cluster, filed, status in rows:
        InstitutionFactory(name=name, district=district, cluster=cluster, filing_date=filed,
                           status=status)
    return {"gulou": gulou, "yunlong": yunlong, "machinery": machinery, "materials": materials}


def test_institution_list_shows_whole_registry_to_city_admin(admin, registry):
    response = admin.get(reverse("institutions:list"))
    assert response.status_code == 200
    assert sorted(_listed(response)) == sorted(["徐州液压传动研究院", "徐州高分子材料研究院",
                                                "云龙碳基材料研究院", "云龙智能装备研究院"])
    assert response.context["can_manage"] is True


@pytest.mark.parametrize("query, expected", [
    ({"q": "材料"}, ["云龙碳基材料研究院", "徐州高分子材料研究院"]),
    ({"district": "yunlong"}, ["云龙智能装备研究院", "云龙碳基材料研究院"]),
    ({"cluster": "machinery"}, ["云龙智能装备研究院", "徐州液压传动研究院"]),
    ({"status": "active"}, ["云龙智能装备研究院", "徐州液压传动研究院"]),
    ({"filing_year": "2019"}, ["云龙碳基材料研究院", "徐州液压传动研究院"]),
    ({"q": "研究院", "district": "gulou", "cluster": "materials", "status": "abandoned",
      "filing_year": "2020"}, ["徐州高分子材料研究院"]),
    ({"status": "cancelled", "district": "gulou"}, []),
])
def test_institution_list_filters(admin, registry, query, expected):
    params = {key: registry[value].pk if value in registry else value
              for key, value in query.items()}
    response = admin.get(reverse("institutions:list"), params)
    assert sorted(_listed(response)) == sorted(expected)


def test_institution_list_paginates_and_keeps_filters_in_page_links(admin, gulou):
    for i in range(30):
        InstitutionFactory(district=gulou, name=f"鼓楼研究院{i:02d}")
    first = admin.get(reverse("institutions:list"), {"q": "鼓楼"})
    second = admin.get(reverse("institutions:list"), {"q": "鼓楼", "page": 2})
    assert (len(_listed(first)), len(_listed(second))) == (25, 5)
    assert _listed(first) + _listed(second) == [f"鼓楼研究院{i:02d}" for i in range(30)]
    assert first.context["query"] == "q=%E9%BC%93%E6%A5%BC"
    assert 'href="?q=%E9%BC%93%E6%A5%BC&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize("page, number", [("99", 2), ("abc", 1)])
def test_institution_list_out_of_range_page_is_clamped(admin, gulou, page, number):
    for _ in range(30):
        InstitutionFactory(district=gulou)
    response = admin.get(reverse("institutions:list"), {"page": page})
    assert (response.status_code, response.context["page"].number) == (200, number)


def test_institution_list_shows_district_reviewer_only_its_district(as_user, users, registry):
    response = as_user(users["district_reviewer"]).get(reverse("institutions:list"))
    assert sorted(_listed(response)) == sorted(["徐州工程机械研究院", "徐州液压传动研究院",
                                                "徐州高分子材料研究院"])
    assert "district" not in response.context["form"].fields
    assert response.context["can_manage"] is False


def test_institution_list_district_reviewer_cannot_filter_into_another_district(
        as_user, users, registry):
    response = as_user(users["district_reviewer"]).get(
        reverse("institutions:list"), {"district": registry["yunlong"].pk, "q": "云龙"})
    assert _listed(response) == []


# --- detail ---------------------------------------------------------------------------------

def test_institution_detail_shows_status_history(admin, admin_user, institution):
    InstitutionStatusChange.objects.create(
        institution=institution, from_status="active", to_status="abandoned",
        effective_on=dt.date(2025, 6, 30), reason="未提交自评材料", changed_by=admin_user)
    response = admin.get(reverse("institutions:detail", kwargs={"pk": institution.pk}))
    assert [(c.from_status, c.to_status, c.reason) for c in response.context["status_changes"]] \
        == [("active", "abandoned", "未提交自评材料")]
    assert "未提交自评材料" in response.content.decode()
    assert response.context["can_manage"] is True


@pytest.mark.parametrize("role", ["panel_organiser", "district_reviewer", "institution_filer"])
def test_institution_detail_hides_management_from_other_roles(as_user, users, institution,
                                                              role):
    response = as_user(users[role]).get(reverse("institutions:detail",
                                                kwargs={"pk": institution.pk}))
    edit_url = reverse("institutions:update", kwargs={"pk": institution.pk})
    assert (response.context["can_manage"], edit_url in response.content.decode()) == (
        False, False)


# --- create ---------------------------------------------------------------------------------

def test_institution_create_registers_institution(admin, institution_data):
    response = admin.post(reverse("institutions:create"),
                          institution_data(credit_code="91320302ma1n0a2b3n"))
    created = Institution.objects.get(credit_code=VALID_CODE)
    assert response.status_code == 302
    assert response["Location"] == reverse("institutions:detail", kwargs={"pk": created.pk})
    assert (created.name, created.status) == ("徐州智能制造技术研究院", "active")
    assert _messages(response) == [
        ("success", "Institution “徐州智能制造技术研究院” was registered.")]


def test_institution_create_with_bad_credit_code_shows_error_and_saves_nothing(
        admin, institution_data):
    response = admin.post(reverse("institutions:create"),
                          institution_data(credit_code=BAD_CHECK_CODE))
    assert response.status_code == 200
    assert response.context["form"].errors == {"credit_code": [
        f"The check character of credit code {BAD_CHECK_CODE} does not match."]}
    assert Institution.objects.count() == 0
    assert _messages(response) == []


def test_institution_create_with_duplicate_credit_code_shows_error(admin, institution,
                                                                  institution_data):
    response = admin.post(reverse("institutions:create"),
                          institution_data(credit_code=institution.credit_code))
    assert list(response.context["form"].errors) == ["credit_code"]
    assert Institution.objects.count() == 1


# --- update ---------------------------------------------------------------------------------

def test_institution_update_saves_changes(admin, institution, institution_data, yunlong):
    url = reverse("institutions:update", kwargs={"pk": institution.pk})
    response = admin.post(url, institution_data(institution, name="徐州工程机械创新研究院",
                                                district=yunlong.pk))
    saved = Institution.objects.get(pk=institution.pk)
    assert response["Location"] == reverse("institutions:detail", kwargs={"pk": institution.pk})
    assert (saved.name, saved.district) == ("徐州工程机械创新研究院", yunlong)
    assert _messages(response) == [("success", "The changes were saved.")]


def test_institution_update_form_starts_from_current_values(admin, institution):
    response = admin.get(reverse("institutions:update", kwargs={"pk": institution.pk}))
    form = response.context["form"]
    assert (form.instance, form["name"].value()) == (institution, "徐州工程机械研究院")


def test_institution_update_without_change_says_so(admin, institution, institution_data):
    before = Institution.objects.filter(pk=institution.pk).values().get()
    response = admin.post(reverse("institutions:update", kwargs={"pk": institution.pk}),
                          institution_data(institution))
    assert _messages(response) == [("info", "Nothing was changed.")]
    assert Institution.objects.filter(pk=institution.pk).values().get() == before


def test_institution_update_with_bad_credit_code_shows_error_and_saves_nothing(
        admin, institution, institution_data):
    before = Institution.objects.filter(pk=institution.pk).values().get()
    response = admin.post(reverse("institutions:update", kwargs={"pk": institution.pk}),
                          institution_data(institution, name="新名称",
                                           credit_code="91320302MA1N0A2B3"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["credit_code"]
    assert Institution.objects.filter(pk=institution.pk).values().get() == before


def test_institution_update_ignores_posted_status(admin, institution, institution_data):
    admin.post(reverse("institutions:update", kwargs={"pk": institution.pk}),
               institution_data(institution, name="新名称", status="cancelled"))
    saved = Institution.objects.get(pk=institution.pk)
    assert (saved.name, saved.status) == ("新名称", "active")


# --- change of filing status ----------------------------------------------------------------

def _status_url(institution):
    return reverse("institutions:status", kwargs={"pk": institution.pk})


@pytest.mark.parametrize("current, choices", [
    ("active", ["abandoned", "cancelled"]),
    ("abandoned", ["active"]),
    ("cancelled", ["active"]),
])
def test_institution_status_form_offers_only_allowed_moves(admin, gulou, current, choices):
    institution = InstitutionFactory(district=gulou, status=current)
    response = admin.get(_status_url(institution))
    assert [value for value, _ in response.context["form"].fields["to_status"].choices] == \
        choices


def test_institution_status_change_is_recorded(admin, admin_user, institution):
    response = admin.post(_status_url(institution), {
        "to_status": "cancelled", "effective_on": "2025-06-30",
        "reason": "弄虚作假，撤销备案", "confirm": "on"})
    saved = Institution.objects.get(pk=institution.pk)
    assert response["Location"] == reverse("institutions:detail", kwargs={"pk": institution.pk})
    assert (saved.status, saved.status_changed_on) == ("cancelled", dt.date(2025, 6, 30))
    assert list(InstitutionStatusChange.objects.values_list(
        "from_status", "to_status", "effective_on", "reason", "changed_by")) == [
        ("active", "cancelled", dt.date(2025, 6, 30), "弄虚作假，撤销备案", admin_user.pk)]
    assert _messages(response) == [
        ("success", "The filing status of “徐州工程机械研究院” is now “Cancelled”.")]


@pytest.mark.parametrize("data, error_field", [
    ({"to_status": "abandoned", "effective_on": "2025-06-30", "reason": "未参评"}, "confirm"),
    ({"to_status": "abandoned", "effective_on": "2025-06-30", "reason": "",
      "confirm": "on"}, "reason"),
    ({"to_status": "abandoned", "effective_on": "2025-06-30", "reason": "  \n ",
      "confirm": "on"}, "reason"),
    ({"to_status": "abandoned", "reason": "未参评", "confirm": "on"}, "effective_on"),
    ({"to_status": "active", "effective_on": "2025-06-30", "reason": "未参评",
      "confirm": "on"}, "to_status"),
    ({"to_status": "merged", "effective_on": "2025-06-30", "reason": "未参评",
      "confirm": "on"}, "to_status"),
])
def test_institution_status_incomplete_form_changes_nothing(admin, institution, data,
                                                            error_field):
    response = admin.post(_status_url(institution), data)
    assert (response.status_code, list(response.context["form"].errors)) == (200, [error_field])
    assert (Institution.objects.get(pk=institution.pk).status,
            InstitutionStatusChange.objects.count()) == ("active", 0)


def test_institution_status_restore_after_cancellation(admin, gulou):
    institution = InstitutionFactory(district=gulou, status=FilingStatus.CANCELLED)
    admin.post(_status_url(institution), {"to_status": "active", "effective_on": "2025-07-01",
                                          "reason": "误撤销，予以恢复", "confirm": "on"})
    assert Institution.objects.get(pk=institution.pk).status == "active"


# --- "our institution" ----------------------------------------------------------------------

def test_institution_mine_redirects_to_own_record(as_user, users, institution):
    response = as_user(users["institution_admin"]).get(reverse("institutions:mine"))
    assert response["Location"] == reverse("institutions:detail", kwargs={"pk": institution.pk})


# --- landing page per role ------------------------------------------------------------------

@pytest.mark.parametrize("role, template", [
    ("city_admin", "home/city_admin.html"),
    ("panel_organiser", "home/panel_organiser.html"),
    ("expert", "home/expert.html"),
    ("district_reviewer", "home/district_reviewer.html"),
    ("institution_filer", "home/institution.html"),
    ("institution_admin", "home/institution.html"),
    (None, "home/public.html"),
])
def test_home_renders_landing_page_of_role(as_user, users, role, template):
    response = as_user(users[role] if role else None).get(reverse("home"))
    assert response.status_code == 200
    assert response.templates[0].name == template


def test_home_renders_no_role_page_for_account_without_role(as_user, db):
    response = as_user(User.objects.create(username="nobody")).get(reverse("home"))
    assert response.templates[0].name == "home/no_role.html"


def test_home_city_admin_counts_institutions_by_status_and_district(admin, registry, users):
    response = admin.get(reverse("home"))
    context = response.context
    assert (context["total"], context["status_counts"]) == (
        6, {"active": 4, "abandoned": 1, "cancelled": 1})
    districts = {d.name: (d.n_active, d.n_total) for d in context["districts"]}
    assert (districts["鼓楼区"], districts["云龙区"], districts["丰县"]) == ((2, 3), (2, 3), (0, 0))


def test_home_district_reviewer_counts_only_its_district(as_user, users, registry):
    response = as_user(users["district_reviewer"]).get(reverse("home"))
    assert (response.context["district"], response.context["total"],
            response.context["status_counts"]) == (
        registry["gulou"], 3, {"active": 2, "abandoned": 1})
    assert "districts" not in response.context


@pytest.mark.parametrize("role, name", [("institution_filer", "徐州工程机械研究院"),
                                        ("institution_filer_other", "云龙新材料研究院")])
def test_home_institution_account_sees_its_own_institution(as_user, users, role, name):
    response = as_user(users[role]).get(reverse("home"))
    assert response.context["institution"].name == name
    assert "total" not in response.context


@pytest.mark.parametrize("role, links", [
    ("city_admin", ["institutions:list", "institutions:expert_list", "evaluations:cycle_list",
                    "evaluations:policy_list",
                    "evaluations:progress_current", "evaluations:review_home",
                    "evaluations:credit_record_list", "evaluations:panel_home",
                    "evaluations:reverification_home", "audit_log"]),
    ("panel_organiser", ["institutions:list", "institutions:expert_list",
                         "evaluations:cycle_list",
                         "evaluations:policy_list", "evaluations:progress_current",
                         "evaluations:review_home", "evaluations:credit_record_list",
                         "evaluations:panel_home", "evaluations:reverification_home"]),
    ("district_reviewer", ["institutions:list", "evaluations:progress_current",
                           "evaluations:review_home", "audit_log"]),
    ("institution_filer", ["institutions:mine", "evaluations:my_submission",
                           "evaluations:rectification_list"]),
    ("institution_admin", ["institutions:mine", "evaluations:my_submission",
                           "evaluations:rectification_list", "audit_log"]),
    ("expert", ["evaluations:expert_home"]),
])
def test_navigation_shows_links_of_role(as_user, users, role, links):
    response = as_user(users[role]).get(reverse("home"))
    assert [link["url"] for link in response.context["nav_links"]] == [reverse(name)
                                                                       for name in links]


def test_home_city_admin_lists_districts_in_official_order(admin, registry):
    from institutions.reference_data import DISTRICTS

    response = admin.get(reverse("home"))

    assert [d.name for d in response.context["districts"]] == [name for _, name, _ in DISTRICTS]
    assert response.context["district_chart"]["labels"] == [name for _, name, _ in DISTRICTS]


def test_institution_create_accepts_credit_code_pasted_with_separators(admin, institution_data):
    data = institution_data(credit_code=f"{VALID_CODE[:4]} {VALID_CODE[4:10]}-{VALID_CODE[10:]}"
                            .lower())

    response = admin.post(reverse("institutions:create"), data)

    assert response.status_code == 302
    assert Institution.objects.filter(credit_code=VALID_CODE).count() == 1


def test_navigation_highlights_the_longest_matching_link(admin):
    """The progress page lives under /cycles/, but its own link is the one highlighted."""
    from evaluations.services.cycles import cycle_create

    cycle_create(year=2025, actor=None)
    response = admin.get(reverse("evaluations:progress", kwargs={"year": 2025}))

    active = [link["name"] for link in response.context["nav_links"] if link["active"]]
    assert active == ["evaluations:progress_current"]


@pytest.mark.parametrize("path", ["/cycles/2025/preliminary/", "/fraud-reports/",
                                  "/preliminary/"])
def test_navigation_highlights_the_preliminary_review_on_its_pages(admin_user, path):
    from django.test import RequestFactory

    from institutions.context_processors import navigation

    request = RequestFactory().get(path)
    request.user = admin_user
    active = [link["name"] for link in navigation(request)["nav_links"] if link["active"]]
    assert active == ["evaluations:review_home"]


@pytest.mark.parametrize("path", ["/reverification/", "/cycles/2025/reverification/3/",
                                  "/cycles/2025/results/"])
def test_navigation_highlights_the_reverification_on_its_pages_and_the_results(admin_user,
                                                                              path):
    from django.test import RequestFactory

    from institutions.context_processors import navigation

    request = RequestFactory().get(path)
    request.user = admin_user
    active = [link["name"] for link in navigation(request)["nav_links"] if link["active"]]
    assert active == ["evaluations:reverification_home"]


@pytest.mark.parametrize(("path", "expected"), [("/registry/accounts/", []),
                                                ("/registry/accounts/3/unlock/", []),
                                                ("/registry/", ["institutions:list"])])
def test_navigation_leaves_the_registry_dark_on_account_pages(admin_user, path, expected):
    """Account management lives under /registry/ but is reached from the user menu."""
    from django.test import RequestFactory

    from institutions.context_processors import navigation

    request = RequestFactory().get(path)
    request.user = admin_user
    active = [link["name"] for link in navigation(request)["nav_links"] if link["active"]]
    assert active == expected
