"""The expert's workspace (R6, R6a): its list, the scoring page with the report, the
district's verdicts (never its scores) and the evidence; a conflicted or unassigned
institution is a 404 exactly like a missing one, its files too; a stale tab gets 409."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from evaluations.enums import ClaimVerdict
from evaluations.models import ClaimReview, ExpertScore, Indicator, IndicatorResponse
from evaluations.rules import is_assigned_submission
from evaluations.services.panel import conflict_declare, panel_invite, seat_accept
from tests.evaluations.review_setup import give_evidence
from tests.factories import InstitutionFactory


@pytest.fixture
def serving(drawn, organiser, private_media):
    panel, made = drawn
    panel_invite(panel=panel, actor=organiser)
    seat = panel.seats.select_related("expert__user", "panel__cycle").order_by("position")[0]
    seat_accept(seat=seat, actor=seat.expert.user)
    participants = list(panel.cycle.participants.filter(group="A").order_by("pk"))
    return seat, participants


def _url(seat, participant):
    return reverse("evaluations:expert_score", kwargs={"seat": seat.pk, "pk": participant.pk})


def _evidence(participant, actor):
    indicator = Indicator.objects.filter(category__cycle_id=participant.cycle_id).first()
    response, _created = IndicatorResponse.objects.get_or_create(
        submission_id=participant.submission_id, indicator=indicator)
    return give_evidence(response, actor)[0]


def test_the_list_and_the_page_show_the_report_and_the_districts_verdict_not_its_score(
        serving, client_for, users):
    seat, (first, *_rest) = serving
    indicator = Indicator.objects.filter(category__cycle_id=first.cycle_id).first()
    ClaimReview.objects.create(participant=first, indicator=indicator,
                               verdict=ClaimVerdict.NOT_SUPPORTED, comment="缺少合同",
                               score=None, revision=1)
    client = client_for(seat.expert.user)
    listing = client.get(reverse("evaluations:expert_home")).content.decode()
    assert listing.count('data-testid="assignment"') == 3
    page = client.get(_url(seat, first))
    html = page.content.decode()
    assert page.status_code == 200 and first.institution.name in html
    assert 'data-testid="not-supported"' in html and "缺少合同" in html
    assert f'name="score-{indicator.pk}"' in html


def test_a_conflicted_or_unassigned_institution_and_its_files_are_a_404(serving, client_for,
                                                                        users):
    seat, (first, second, *_rest) = serving
    user = seat.expert.user
    evidence = _evidence(first, users["institution_filer"])
    client = client_for(user)
    preview = reverse("evaluations:evidence_preview", args=[evidence.pk])
    assert client.get(preview).status_code == 200  # on its list: it reads the evidence
    conflict_declare(seat=seat, participant_id=first.pk, reason="任职", actor=user)
    assert client.get(_url(seat, first)).status_code == 404
    assert client.get(preview).status_code == 404
    group_c = seat.panel.cycle.participants.get(group="C")
    assert client.get(_url(seat, group_c)).status_code == 404
    other = seat.panel.seats.select_related("expert__user").order_by("position")[1]
    assert client_for(other.expert.user).get(_url(seat, second)).status_code == 404
    assert client.get(_url(seat, second)).status_code == 200


def test_scores_save_submit_and_a_stale_tab_gets_409(serving, client_for):
    seat, (first, *_rest) = serving
    client = client_for(seat.expert.user)
    points = dict(Indicator.objects.filter(category__cycle_id=first.cycle_id)
                  .values_list("pk", "points"))
    data = {f"score-{pk}": str(p) for pk, p in points.items()}
    saved = client.post(_url(seat, first), {**data, "comment": "扎实", "revision": "0",
                                            "save": "1"})
    assert saved.status_code == 302
    stale = client.post(_url(seat, first), {**data, "comment": "另一窗口", "revision": "0",
                                            "save": "1"})
    assert stale.status_code == 409 and 'data-testid="score-error"' in stale.content.decode()
    assert "另一窗口" in stale.content.decode()  # what was typed stays, nothing saved
    score = ExpertScore.objects.get()
    assert (score.comment, score.revision) == ("扎实", 1)
    bad = client.post(_url(seat, first), {**data, next(iter(data)): "999", "revision": "1",
                                          "save": "1"})
    assert bad.status_code == 422
    assert re.search(r'value="999"', bad.content.decode())  # what was typed stays
    done = client.post(_url(seat, first), {**data, "comment": "扎实", "revision": "1",
                                           "submit": "1"})
    by_name = sorted(serving[1], key=lambda p: p.institution.name)
    following = by_name[(by_name.index(first) + 1) % len(by_name)]
    assert done["Location"] == _url(seat, following)  # straight on to the next one
    score.refresh_from_db()
    assert score.submitted_at is not None and str(score.total) == "100.00"
    assert 'data-testid="score-locked"' in client.get(_url(seat, first)).content.decode()


def test_after_the_last_institution_the_expert_is_back_on_its_list(serving, client_for):
    seat, participants = serving
    client = client_for(seat.expert.user)
    points = dict(Indicator.objects.filter(category__cycle_id=participants[0].cycle_id)
                  .values_list("pk", "points"))
    data = {f"score-{pk}": "0" for pk in points}
    for participant in participants:
        last = client.post(_url(seat, participant), {**data, "revision": "0", "submit": "1"})
    assert last["Location"] == reverse("evaluations:expert_home")
    assert ExpertScore.objects.filter(submitted_at__isnull=False).count() == 3


def test_an_expert_never_reads_a_report_that_is_no_participants(serving, users):
    seat, _participants = serving
    stray = InstitutionFactory()
    report = seat.panel.cycle.submissions.create(
        institution=stray, district_id=stray.district_id, cluster_id=stray.cluster_id,
        deadline=seat.panel.cycle.stages.first().closes_on)
    assert is_assigned_submission(seat.expert.user, report) is False
