"""The self-evaluation progress (issue 3 §5): counts by district and cluster, the district's
scope, the drill-down list, its filters and its Excel export."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from evaluations.enums import CycleStatus, SubmissionStatus
from evaluations.models import Extension, Indicator, IndicatorResponse, Submission
from evaluations.services.cycles import copy_indicator_template
from institutions.models import Cluster, District
from tests.evaluations.progress_data import invite, open_cycle
from tests.factories import CycleFactory, InstitutionFactory

NS, IP, S, NP = (SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS,
                 SubmissionStatus.SUBMITTED, SubmissionStatus.NOT_PARTICIPATING)


@pytest.fixture
def cycle(reference_data):
    return open_cycle(2026)


@pytest.fixture
def reports(cycle, institution, sibling_institution, other_institution, gulou, yunlong):
    """鼓楼区: in progress, submitted, not started; 云龙区: submitted, not started;
    铜山区: in progress. Plus an institution not invited and a report of another cycle."""
    materials = Cluster.objects.get(name="新材料")
    tongshan = District.objects.get(name="铜山区")
    gulou_new = InstitutionFactory(district=gulou, cluster=materials, name="鼓楼新材料研究院")
    yunlong_new = InstitutionFactory(district=yunlong, cluster=materials, name="云龙碳基材料研究院")
    tongshan_new = InstitutionFactory(district=tongshan, cluster=materials,
                                      name="铜山先进材料研究院")
    InstitutionFactory(district=gulou, name="鼓楼未受邀研究院")
    old = CycleFactory(year=2024, policy_version=cycle.policy_version,
                       status=CycleStatus.FINAL)
    Submission.objects.create(cycle=old, institution=institution, district=gulou,
                              cluster=institution.cluster, status=S, deadline=dt.date(2024, 5, 1))
    return {
        "own": invite(cycle, institution, IP),
        "same_district": invite(cycle, sibling_institution, S),
        "gulou_new": invite(cycle, gulou_new, NS),
        "other_district": invite(cycle, other_institution, S),
        "yunlong_new": invite(cycle, yunlong_new, NS),
        "tongshan_new": invite(cycle, tongshan_new, IP),
    }


def _url(cycle, **query) -> str:
    url = reverse("evaluations:progress", kwargs={"year": cycle.year})
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def _counts(rows) -> dict:
    """{row name: (not started, in progress, submitted, did not participate)} of the rows
    that count anything."""
    return {row.name: tuple(n for _, n in row.cells) for row in rows if row.total}


def _listed(response) -> list[str]:
    return [s.institution.name for s in response.context["page"]]


def test_progress_city_counts_by_district_and_cluster(client_for, users, cycle, reports):
    response = client_for(users["city_admin"]).get(_url(cycle))
    assert response.status_code == 200
    context = response.context
    assert tuple(n for _, n in context["total"].cells) == (2, 2, 2, 0)
    assert _counts(context["by_district"]) == {
        "鼓楼区": (1, 1, 1, 0), "云龙区": (1, 0, 1, 0), "铜山区": (0, 1, 0, 0)}
    assert len(context["by_district"]) == District.objects.count()  # zero rows shown too
    assert _counts(context["by_cluster"]) == {"工程机械": (0, 1, 2, 0), "新材料": (2, 1, 0, 0)}


def test_progress_city_chart_data_matches_the_table(client_for, users, cycle, reports):
    context = client_for(users["city_admin"]).get(_url(cycle)).context
    chart = context["district_chart"]
    assert chart["labels"] == [row.name for row in context["by_district"]]
    assert [s["status"] for s in chart["series"]] == [NS, IP, S, NP]
    gulou = chart["labels"].index("鼓楼区")
    assert [s["data"][gulou] for s in chart["series"]] == [1, 1, 1, 0]
    assert chart["links"][gulou].endswith(
        f"?district={District.objects.get(name='鼓楼区').pk}#progress-list")


def test_progress_page_renders_chart_data_and_tables(client_for, users, cycle, reports):
    html = client_for(users["city_admin"]).get(_url(cycle)).content.decode()
    for element_id in ("progress-district-chart-data", "progress-cluster-chart-data"):
        assert f'id="{element_id}" type="application/json"' in html
    assert 'data-testid="progress-by-district"' in html
    assert 'data-testid="progress-by-cluster"' in html
    assert re.search(r'data-testid="progress-total">6<', html)
    assert html.count('data-row="total"') == 2  # each table ends with the scope's total
    assert "<script>" not in html and " style=" not in html  # no inline JS or CSS


def test_progress_district_reviewer_sees_only_its_district(client_for, users, cycle, reports):
    response = client_for(users["district_reviewer"]).get(_url(cycle))
    context = response.context
    assert tuple(n for _, n in context["total"].cells) == (1, 1, 1, 0)
    assert context["by_district"] == []  # one district: its cluster breakdown only
    assert _counts(context["by_cluster"]) == {"工程机械": (0, 1, 1, 0), "新材料": (1, 0, 0, 0)}
    assert sorted(_listed(response)) == sorted(["徐州工程机械研究院", "鼓楼智能装备研究院",
                                                "鼓楼新材料研究院"])
    assert "云龙" not in response.content.decode()


def test_progress_district_reviewer_cannot_widen_its_scope(client_for, users, cycle, reports,
                                                           yunlong):
    response = client_for(users["district_reviewer"]).get(_url(cycle, district=yunlong.pk))
    assert "district" not in response.context["form"].fields
    assert tuple(n for _, n in response.context["total"].cells) == (1, 1, 1, 0)
    assert all(s.district.name == "鼓楼区" for s in response.context["page"])


def test_progress_drill_down_into_a_district_lists_its_reports(client_for, users, cycle,
                                                               reports, yunlong):
    client = client_for(users["city_admin"])
    overview = client.get(_url(cycle)).content.decode()
    link = _url(cycle, district=yunlong.pk) + "#progress-list"
    assert f'href="{link}"' in overview.replace("&amp;", "&")
    response = client.get(_url(cycle, district=yunlong.pk))
    assert sorted(_listed(response)) == sorted(["云龙新材料研究院", "云龙碳基材料研究院"])
    assert (response.context["scope_district"], response.context["all_districts_url"]) == (
        yunlong, _url(cycle))
    assert tuple(n for _, n in response.context["total"].cells) == (1, 0, 1, 0)
    assert _counts(response.context["by_cluster"]) == {"工程机械": (0, 0, 1, 0),
                                                       "新材料": (1, 0, 0, 0)}


def test_progress_list_filters_by_status_and_cluster(client_for, users, cycle, reports):
    client = client_for(users["city_admin"])
    materials = Cluster.objects.get(name="新材料")
    submitted = client.get(_url(cycle, status=S))
    assert sorted(_listed(submitted)) == sorted(["鼓楼智能装备研究院", "云龙新材料研究院"])
    # The status filter narrows the list only; the counts stay by status.
    assert submitted.context["total"].total == 6
    in_materials = client.get(_url(cycle, cluster=materials.pk))
    assert sorted(_listed(in_materials)) == sorted(
        ["鼓楼新材料研究院", "云龙碳基材料研究院", "铜山先进材料研究院"])
    assert tuple(n for _, n in in_materials.context["total"].cells) == (2, 1, 0, 0)
    both = client.get(_url(cycle, cluster=materials.pk, status=IP))
    assert _listed(both) == ["铜山先进材料研究院"]


def test_progress_unknown_filter_values_are_ignored(client_for, users, cycle, reports):
    response = client_for(users["city_admin"]).get(_url(cycle, status="bogus", cluster="x"))
    assert response.status_code == 200
    assert response.context["filters"] == {}
    assert len(_listed(response)) == 6


def test_progress_list_shows_status_deadline_extension_and_link(client_for, users, cycle,
                                                                reports):
    own = reports["own"]
    new_deadline = timezone.localdate() + dt.timedelta(days=40)
    Extension.objects.create(submission=own, new_deadline=new_deadline, reason="疫情",
                             granted_by=users["city_admin"])
    Submission.objects.filter(pk=own.pk).update(deadline=new_deadline)
    response = client_for(users["city_admin"]).get(_url(cycle, district=own.district_id))
    rows = {s.institution.name: s for s in response.context["page"]}
    assert [rows[name].extended for name in ("徐州工程机械研究院", "鼓楼智能装备研究院")] == [
        True, False]
    html = response.content.decode()
    row_html = html[html.index("徐州工程机械研究院") - 300:html.index("徐州工程机械研究院") + 1200]
    assert new_deadline.isoformat() in row_html and 'data-testid="extended"' in row_html
    assert f'data-status="{IP}"' in row_html
    assert reverse("evaluations:submission_detail", args=[own.pk]) in row_html


def test_progress_last_update_is_the_latest_answer(client_for, users, cycle, reports):
    own = reports["own"]
    copy_indicator_template(cycle=cycle)
    answered_at = timezone.now() + dt.timedelta(hours=2)
    response_row = IndicatorResponse.objects.create(submission=own,
                                                    indicator=Indicator.objects.first())
    IndicatorResponse.objects.filter(pk=response_row.pk).update(updated_at=answered_at)
    page = client_for(users["city_admin"]).get(_url(cycle, status=IP)).context["page"]
    last = {s.institution.name: s.last_update_at for s in page}
    assert last == {"徐州工程机械研究院": answered_at,
                    "铜山先进材料研究院": reports["tongshan_new"].updated_at}


def test_progress_list_is_paginated(client_for, users, cycle, reports, gulou):
    for n in range(30):
        invite(cycle, InstitutionFactory(district=gulou, name=f"鼓楼分页测试研究院{n:02d}"))
    client = client_for(users["city_admin"])
    first = client.get(_url(cycle))
    assert (len(first.context["page"]), first.context["page"].paginator.count) == (25, 36)
    second = client.get(_url(cycle, district=gulou.pk, page=2))
    assert len(second.context["page"]) == 33 - 25


# --- Export --------------------------------------------------------------------------------

def _sheet(response) -> list[list]:
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _status_label(status: str) -> str:
    with translation.override("zh-hans"):
        return str(SubmissionStatus(status).label)


def _export_url(cycle, **query) -> str:
    url = reverse("evaluations:progress_export", kwargs={"year": cycle.year})
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def test_progress_export_lists_every_report_of_the_scope(client_for, users, cycle, reports):
    header, *rows = _sheet(client_for(users["city_admin"]).get(_export_url(cycle)))
    assert len(header) == 9
    by_code = {row[1]: row for row in rows}
    assert len(rows) == 6
    own = reports["own"]
    row = by_code[own.institution.credit_code]
    assert row[:7] == [own.institution.name, own.institution.credit_code, "鼓楼区",
                       own.cluster.name, _status_label(IP), dt.datetime.combine(
                           own.deadline, dt.time()), None]
    submitted = by_code[reports["same_district"].institution.credit_code]
    assert submitted[4] == _status_label(S) and submitted[8] is not None


def test_progress_export_keeps_the_district_scope_and_filters(client_for, users, cycle,
                                                              reports, yunlong):
    client = client_for(users["district_reviewer"])
    _header, *rows = _sheet(client.get(_export_url(cycle, district=yunlong.pk)))
    assert sorted(row[0] for row in rows) == sorted(["徐州工程机械研究院", "鼓楼智能装备研究院",
                                                     "鼓楼新材料研究院"])
    _header, *rows = _sheet(client.get(_export_url(cycle, status=S)))
    assert [row[0] for row in rows] == ["鼓楼智能装备研究院"]


def test_progress_export_marks_extensions(client_for, users, cycle, reports):
    own = reports["own"]
    Extension.objects.create(submission=own, new_deadline=own.deadline + dt.timedelta(days=9),
                             reason="系统故障", granted_by=users["city_admin"])
    _header, *rows = _sheet(client_for(users["city_admin"]).get(_export_url(cycle)))
    marked = {row[0] for row in rows if row[6]}
    assert marked == {"徐州工程机械研究院"}


def test_progress_page_links_the_export_with_the_same_filters(client_for, users, cycle,
                                                               reports):
    materials = Cluster.objects.get(name="新材料")
    response = client_for(users["city_admin"]).get(_url(cycle, cluster=materials.pk,
                                                         status=NS))
    assert response.context["export_url"] == _export_url(cycle, cluster=materials.pk,
                                                         status=NS)


# --- The current cycle and the dashboards ---------------------------------------------------

def test_progress_current_redirects_to_the_current_cycle(client_for, users, cycle):
    CycleFactory(year=2024, policy_version=cycle.policy_version, status=CycleStatus.FINAL)
    response = client_for(users["district_reviewer"]).get(reverse("evaluations:progress_current"))
    assert (response.status_code, response["Location"]) == (302, _url(cycle))


def test_progress_current_without_a_cycle_goes_home_with_a_message(client_for, users):
    response = client_for(users["city_admin"]).get(reverse("evaluations:progress_current"),
                                                   follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert len(list(response.context["messages"])) == 1


def test_progress_nav_link_shows_to_city_and_district_only(client_for, users, cycle):
    url = reverse("evaluations:progress_current")
    shown = {role: any(link["url"] == url for link in
                       client_for(users[role]).get(reverse("home")).context["nav_links"])
             for role in ("city_admin", "panel_organiser", "district_reviewer", "expert",
                          "institution_filer")}
    assert shown == {"city_admin": True, "panel_organiser": True, "district_reviewer": True,
                     "expert": False, "institution_filer": False}


def test_city_home_shows_the_progress_summary(client_for, users, cycle, reports):
    response = client_for(users["city_admin"]).get(reverse("home"))
    html = response.content.decode()
    assert 'data-testid="progress-summary"' in html
    assert re.search(r'data-testid="summary-total">6<', html)
    assert re.search(r'data-testid="summary-submitted">2 ', html)
    assert f'href="{_url(cycle)}"' in html


def test_district_home_shows_its_district_progress(client_for, users, cycle, reports):
    html = client_for(users["district_reviewer_other"]).get(reverse("home")).content.decode()
    assert re.search(r'data-testid="summary-total">2<', html)
    assert re.search(r'data-testid="summary-not_started">1 ', html)


def test_home_without_an_open_stage_says_so(client_for, users, default_policy):
    CycleFactory(year=2028, policy_version=default_policy)  # a draft
    html = client_for(users["city_admin"]).get(reverse("home")).content.decode()
    assert 'data-testid="progress-summary"' in html
    assert 'data-testid="summary-total"' not in html


def test_institution_home_has_no_progress_summary(client_for, users, cycle, reports):
    html = client_for(users["institution_filer"]).get(reverse("home")).content.decode()
    assert 'data-testid="progress-summary"' not in html
