"""Stage 4's pages (Art 12; R7, R8): the stage page with the list, verdicts, changes, the
alternates and the tier preview; an institution's page with its visits, verdict form and
change form (409 from a stale page); the spot check before and after its draw; the public
replay page; the institution's planned visit without the verdict; the district's view of the
visits to its institutions without the verdict."""
from __future__ import annotations

import datetime as dt
import html
import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.enums import SiteVerdict, VerificationKind
from evaluations.models import FraudReport, Participant, SiteVisit, SpotCheckDraw, Verification
from evaluations.services import reverification as services
from tests.evaluations.reverification_setup import standard_cycle
from tests.evaluations.self_evaluation_setup import PNG, upload

C, N, P = SiteVerdict.CONFIRMED, SiteVerdict.NOT_CONFIRMED, SiteVerdict.POOR


@pytest.fixture
def setup(users, gulou, default_policy, private_media, institution):
    """The standard cycle with ``users``' institution first of group A."""
    cycle, group_a = standard_cycle(users["city_admin"], gulou, first=institution)
    return cycle, [Participant.objects.select_related("cycle", "institution").get(
        cycle=cycle, institution=i) for i in group_a]


@pytest.fixture
def admin_client(users, client_for):
    client = client_for(users["city_admin"])
    client.cookies["django_language"] = "zh-hans"
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _detail(cycle, participant) -> str:
    return reverse("evaluations:verification_detail", args=[cycle.year, participant.pk])


def _post_verdict(client, cycle, participant, verdict, reason="现场核查一致", revision=None):
    if revision is None:
        revision = Verification.objects.get(participant=participant).revision
    return client.post(reverse("evaluations:verification_verdict",
                               args=[cycle.year, participant.pk]),
                       {"verdict": verdict, "reason": reason, "revision": revision})


def test_the_stage_page_lists_the_list_in_panel_order_with_the_preview(setup, admin_client,
                                                                       users):
    cycle, a = setup
    services.verification_verdict_record(participant=a[1], verdict=P, reason="场地闲置",
                                         revision=0, actor=users["city_admin"])
    response = admin_client.get(reverse("evaluations:reverification_stage", args=[cycle.year]))
    assert response.status_code == 200
    text = _text(response)
    names = [p.institution.name for p in a[:4]]
    assert [text.index(name) for name in names] == sorted(text.index(name) for name in names)
    assert "2025年度实地复核" in text
    assert "第十二条" in text
    assert "运行情况较差" in text and "场地闲置" in text
    assert 'data-testid="alternates-form"' in text
    assert 'data-testid="tier-preview"' in text
    assert response.context["board"].excellent[0].participant == a[0]
    # The policy's words, never a rule code (a word of its own: a CSRF token may hold "R7").
    assert not re.search(r"\bR\d+a?\b", text)


def test_the_information_institute_reads_the_stage_without_forms(setup, client_for, users):
    cycle, _a = setup
    response = client_for(users["panel_organiser"]).get(
        reverse("evaluations:reverification_stage", args=[cycle.year]))
    assert response.status_code == 200
    assert 'data-testid="alternates-form"' not in response.content.decode()
    detail = client_for(users["panel_organiser"]).get(_detail(cycle, _a[0]))
    assert 'data-testid="verdict-form"' not in detail.content.decode()


def test_recording_a_verdict_then_changing_it_with_a_reason(setup, admin_client):
    cycle, a = setup
    page = admin_client.get(_detail(cycle, a[0]))
    assert 'data-testid="verdict-form"' in page.content.decode()
    assert "data-confirm" in page.content.decode()
    response = _post_verdict(admin_client, cycle, a[0], C, "研发场地与台账一致")
    assert response.status_code == 302 and response["Location"] == _detail(cycle, a[0])
    page = admin_client.get(_detail(cycle, a[0]))
    text = _text(page)
    assert "研发场地与台账一致" in text and 'data-testid="change-form"' in text
    # A change without a reason is refused, with the form kept.
    change = reverse("evaluations:verification_verdict_change", args=[cycle.year, a[0].pk])
    refused = admin_client.post(change, {"verdict": P, "reason": "", "revision": 1})
    assert refused.status_code == 422
    ok = admin_client.post(change, {"verdict": P, "reason": "复查发现设备闲置", "revision": 1})
    assert ok.status_code == 302
    text = _text(admin_client.get(_detail(cycle, a[0])))
    assert 'data-testid="changes"' in text and "复查发现设备闲置" in text
    assert "确认" in text and "运行情况较差" in text


def test_a_verdict_from_a_stale_page_answers_409_and_says_why(setup, admin_client):
    cycle, a = setup
    _post_verdict(admin_client, cycle, a[0], C)
    change = reverse("evaluations:verification_verdict_change", args=[cycle.year, a[0].pk])
    stale = admin_client.post(change, {"verdict": P, "reason": "旧页面", "revision": 0})
    assert stale.status_code == 409
    assert "在您打开本页面后" in _text(stale)
    assert Verification.objects.get(participant=a[0]).verdict == C


def test_the_alternates_setting_and_an_alternate_joining_on_the_page(setup, admin_client):
    cycle, a = setup
    response = admin_client.post(reverse("evaluations:reverification_alternates",
                                         args=[cycle.year]),
                                 {"allowed": 1, "reason": "局务会决定"})
    assert response.status_code == 302
    _post_verdict(admin_client, cycle, a[2], P)
    page = admin_client.get(reverse("evaluations:reverification_stage", args=[cycle.year]))
    rows = page.context["board"].rows
    assert [(row.participant.pk, row.kind) for row in rows][-1] == (
        a[4].pk, VerificationKind.ALTERNATE)
    assert "局务会决定" in _text(page)
    # The alternate's own page has its verdict form.
    assert 'data-testid="verdict-form"' in admin_client.get(_detail(cycle, a[4])).content.decode()


def test_planning_a_visit_shows_the_institution_the_date_and_nothing_of_the_verdict(
        setup, admin_client, client_for, users):
    cycle, a = setup
    day = timezone.localdate() + dt.timedelta(days=5)
    response = admin_client.post(
        reverse("evaluations:verification_plan", args=[cycle.year, a[0].pk]),
        {"planned_on": day.isoformat(), "to_prepare": "研发人员花名册", "revision": 0})
    assert response.status_code == 302
    _post_verdict(admin_client, cycle, a[0], P, "现场无研发活动")
    own = client_for(users["institution_filer"]).get(
        reverse("evaluations:my_planned_visit", args=[cycle.year]))
    text = _text(own)
    assert own.status_code == 200
    assert day.isoformat() in text and "研发人员花名册" in text
    for secret in ("现场无研发活动", "运行情况较差", "列入复核名单", "复核名单"):
        assert secret not in text
    other = client_for(users["institution_filer_other"]).get(
        reverse("evaluations:my_planned_visit", args=[cycle.year]))
    assert 'data-testid="no-planned-visit"' in other.content.decode()


def test_a_visit_with_files_is_recorded_and_the_district_sees_it_without_the_verdict(
        setup, admin_client, client_for, users):
    cycle, a = setup
    response = admin_client.post(
        reverse("evaluations:verification_visit", args=[cycle.year, a[0].pk]),
        {"visited_on": timezone.localdate().isoformat(), "visitors": "李明、王芳",
         "findings": "实验室设备运转正常", "files": [upload("现场.png", PNG)]})
    assert response.status_code == 302
    visit = SiteVisit.objects.get()
    assert visit.stage == "reverification"
    _post_verdict(admin_client, cycle, a[0], C, "全部核实")
    page = _text(admin_client.get(_detail(cycle, a[0])))
    assert "实验室设备运转正常" in page and "现场.png" in page
    # The district's page of its institution shows the visit, not the verdict.
    district = client_for(users["district_reviewer"])
    review = district.get(reverse("evaluations:participant_review", args=[a[0].pk]))
    text = _text(review)
    assert review.status_code == 200
    assert "实验室设备运转正常" in text and "全部核实" not in text
    file_url = reverse("evaluations:site_visit_file", args=[visit.files.get().pk])
    assert district.get(file_url).status_code == 200
    assert client_for(users["district_reviewer_other"]).get(file_url).status_code in (403, 404)
    assert client_for(users["institution_filer"]).get(file_url).status_code in (403, 404)


def test_a_refused_visit_keeps_what_was_typed(setup, admin_client):
    cycle, a = setup
    response = admin_client.post(
        reverse("evaluations:verification_visit", args=[cycle.year, a[0].pk]),
        {"visited_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
         "visitors": "李明", "findings": "提前录入的考察"})
    assert response.status_code == 422
    assert "提前录入的考察" in _text(response)
    assert not SiteVisit.objects.exists()


def test_the_spot_check_preview_the_draw_and_the_second_draw_refused(setup, admin_client):
    cycle, _a = setup
    url = reverse("evaluations:spot_check", args=[cycle.year])
    preview = admin_client.get(url)
    board = preview.context["preview"]
    text = _text(preview)
    assert board.digest in text and 'data-testid="draw-form"' in text
    assert [text.index(code) for code in board.candidates] == sorted(
        text.index(code) for code in board.candidates)
    draw_url = reverse("evaluations:spot_check_draw", args=[cycle.year])
    assert admin_client.post(draw_url, {"seed": "徐州'"}).status_code == 422
    response = admin_client.post(draw_url, {"seed": "2025-抽查"})
    assert response.status_code == 302 and response["Location"] == url
    record = _text(admin_client.get(url))
    draw = SpotCheckDraw.objects.get()
    assert "2025-抽查" in record and draw.digest in record
    assert 'data-testid="replay-ok"' in record
    assert reverse("evaluations:spot_check_replay", args=[draw.public_key]) in record
    again = admin_client.post(draw_url, {"seed": "again"}, follow=True)
    assert "随机抽查已经抽取，不能重新抽取。" in _text(again)
    assert SpotCheckDraw.objects.count() == 1


def test_the_public_replay_page_recomputes_the_sample_and_shows_nothing_else(setup, users,
                                                                             client_for):
    cycle, a = setup
    draw = services.spot_check_draw(cycle=cycle, actor=users["city_admin"], seed="公开种子")
    url = reverse("evaluations:spot_check_replay", args=[draw.public_key])
    response = client_for(None).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = _text(response)
    assert "公开种子" in text and draw.digest in text
    assert all(code in text for code in draw.candidates)
    assert 'data-testid="replay-match"' in text
    assert "python3 -c" in text
    # Nothing else of the cycle: no institution's name, no list, no verdict.
    for participant in Participant.objects.filter(cycle=cycle).select_related("institution"):
        assert participant.institution.name not in text
    assert "复核名单" not in text
    SpotCheckDraw.objects.filter(pk=draw.pk).update(seed="改过的种子")
    tampered = _text(client_for(None).get(url))
    assert 'data-testid="replay-mismatch"' in tampered


def test_the_public_pages_recipe_gives_the_digest_and_the_sample(setup, users, client_for,
                                                                 tmp_path):
    """The page's one line of plain Python, run on its candidate list, prints the digest and
    the sample recorded."""
    cycle, _a = setup
    draw = services.spot_check_draw(cycle=cycle, actor=users["city_admin"], seed="复现-2025")
    page = client_for(None).get(reverse("evaluations:spot_check_replay",
                                        args=[draw.public_key])).content.decode()
    candidates = re.search(r'<pre class="small mb-0" data-testid="candidates">(.*?)</pre>',
                           page, re.S).group(1)
    (tmp_path / "candidates.txt").write_text(candidates, encoding="utf-8")
    recipe = html.unescape(re.search(r'data-testid="recipe">(.*?)</code>', page, re.S)
                           .group(1))
    assert recipe.startswith('python3 -c "')
    done = subprocess.run(["python3", "-c", recipe[len('python3 -c "'):-1]], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [draw.digest, repr(list(draw.sample))]




def test_reporting_fraud_found_on_site(setup, admin_client):
    cycle, a = setup
    url = reverse("evaluations:verification_fraud_report", args=[cycle.year, a[0].pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"kind": "fabricated", "description": "合同系伪造",
                                       "files": [upload("证据.png", PNG)], "confirm": "on"})
    report = FraudReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluations:fraud_detail", args=[report.pk])
    assert report.participant == a[0] and report.files.count() == 1


def test_the_home_leads_to_the_latest_cycle_in_the_stage(setup, admin_client):
    cycle, _a = setup
    response = admin_client.get(reverse("evaluations:reverification_home"))
    assert response["Location"] == reverse("evaluations:reverification_stage",
                                           args=[cycle.year])
