"""The re-verification board's reading of group A while verdicts come in (R7, R8):
``selectors.reverification.settle_a`` over the verdicts recorded so far. Recording every
verdict it asks for, in any order, ends where ``scoring.settle_group_a`` over all of them
does: the same alternates and tiers, or the same tie. No database: plain values."""
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import scoring
from evaluations.selectors.reverification import settle_a
from scoring import BlockingTie, TieLine, Verdict, panel_order

D = Decimal
C, N, P = Verdict.CONFIRMED, Verdict.NOT_CONFIRMED, Verdict.POOR


def _quotas(E, G):
    return scoring.CityQuotas(N=0, E=E, G=G, K=E + G, F=0, S=0)


def _record_as_asked(order, E, G, verdicts, fraud, m, pick):
    """What the board shows once the city has recorded, one at a time, a verdict the board
    asked for (``pick`` chooses which of those pending); every verdict is ``verdicts``'."""
    listed = scoring.reverification_list(order, excellent_places=E, good_places=G)
    recorded = {}
    while True:
        settlement = settle_a(order, quotas=_quotas(E, G), verdicts=recorded, fraud=fraud,
                              alternates_allowed=m, listed=listed)
        if not settlement.pending:
            return settlement, recorded
        key = pick(settlement.pending)
        assert key not in recorded
        recorded[key] = verdicts[key].value


def test_a_tie_that_only_a_verdict_still_to_come_makes_is_not_one():
    # a1 90, a2 85 on the list (E = G = 1); a3 = a4 = 70 beyond it, a5 60, a6 50; three
    # alternates allowed. With a1 not confirmed, a3 joins; while its verdict is awaited it
    # seems to fill the place, and a3 = a4 would straddle the alternates line.
    order = panel_order({"a1": D(90), "a2": D(85), "a3": D(70), "a4": D(70), "a5": D(60),
                         "a6": D(50)}, ())
    board = settle_a(order, quotas=_quotas(1, 1), verdicts={"a1": N.value, "a2": C.value},
                     fraud=(), alternates_allowed=3, listed=("a1", "a2"))
    assert board.tie is None and board.joined == ("a3",) and board.pending == ("a3",)
    assert not board.tiers_known
    # a3 not confirmed: a4 joins in turn and waits for its own verdict.
    board = settle_a(order, quotas=_quotas(1, 1),
                     verdicts={"a1": N.value, "a2": C.value, "a3": N.value},
                     fraud=(), alternates_allowed=3, listed=("a1", "a2"))
    assert board.tie is None and board.joined == ("a3", "a4") and board.pending == ("a4",)
    # a4 poor, a5 confirmed: a5 takes the place, and no tie decides anything.
    board = settle_a(order, quotas=_quotas(1, 1),
                     verdicts={"a1": N.value, "a2": C.value, "a3": N.value, "a4": P.value,
                               "a5": C.value},
                     fraud=(), alternates_allowed=3, listed=("a1", "a2"))
    assert board.tie is None and board.tiers_known and board.pending == ()
    assert board.joined == ("a3", "a4", "a5")
    assert board.final("a2") == scoring.Final.EXCELLENT
    assert board.final("a5") == scoring.Final.GOOD


def test_a_tie_the_recorded_verdicts_make_blocks():
    # a3 confirmed fills the place, and a3 = a4 straddles the alternates line for real.
    order = panel_order({"a1": D(90), "a2": D(85), "a3": D(70), "a4": D(70)}, ())
    board = settle_a(order, quotas=_quotas(1, 1),
                     verdicts={"a1": N.value, "a2": C.value, "a3": C.value},
                     fraud=(), alternates_allowed=3, listed=("a1", "a2"))
    assert board.tie is not None and board.tie.line == TieLine.ALTERNATES
    assert board.pending == ()


members = st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=7, unique=True)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), ids=members, E=st.integers(0, 2), G=st.integers(0, 2),
       m=st.integers(0, 3))
def test_recording_what_the_board_asks_for_ends_where_the_rules_do(data, ids, E, G, m):
    # Three score values: ties across every line.
    scores = {i: data.draw(st.sampled_from([D(70), D(80), D(90)])) for i in ids}
    verdicts = {i: data.draw(st.sampled_from([C, N, P])) for i in ids}
    fraud = frozenset(data.draw(st.sets(st.sampled_from(ids), max_size=2)))
    tiebreak = data.draw(st.lists(st.sampled_from(ids), unique=True))
    order = panel_order(scores, tiebreak)
    try:
        scoring.reverification_list(order, excellent_places=E, good_places=G)
    except BlockingTie:
        assume(False)
    pick = data.draw(st.sampled_from([lambda p: p[0], lambda p: p[-1]]))
    board, recorded = _record_as_asked(order, E, G, verdicts, fraud, m, pick)
    try:
        expected = scoring.settle_group_a(order, excellent_places=E, good_places=G,
                                          verdicts=verdicts, fraud=fraud, alternates_allowed=m)
    except BlockingTie as tie:
        assert board.tie is not None and board.tie.line == tie.line
        return
    assert board.tie is None and board.tiers_known
    assert board.joined == expected.alternates
    assert {i: board.final(i) for i in ids} == dict(expected.finals)
    # Only those who joined the list were asked for a verdict.
    assert set(recorded) <= set(expected.reverification_list)
