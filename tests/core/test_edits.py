"""Edits per record (madpg_core.edits): hand-worked cases, each with the count worked out in its comment."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from madpg_core.domain import Span, SpanSource
from madpg_core.edits import Edits, count_edits


def S(start: int, end: int, label: str) -> Span:  # noqa: N802 - reads like the domain object
    return Span(start, end, label)


def test_exact_match_costs_nothing_whatever_the_origin():
    # The pre-label carries a model origin and a confidence; only offsets and type count.
    pred = [Span(0, 2, "Symptom", SpanSource.MODEL, "v1", 0.9)]
    assert count_edits(pred, [S(0, 2, "Symptom")]) == Edits()
    assert count_edits([], []).total == 0


def test_same_boundaries_other_type_is_one_type_change():
    assert count_edits([S(3, 5, "Organ")], [S(3, 5, "Disease")]) == Edits(type_changes=1)


def test_overlap_same_type_other_boundaries_is_one_boundary_change():
    # [2, 5) predicted, [2, 6) wanted: one end moves; both ends moving is still one boundary change.
    assert count_edits([S(2, 5, "Disease")], [S(2, 6, "Disease")]) == Edits(boundary_changes=1)
    assert count_edits([S(3, 5, "Disease")], [S(2, 6, "Disease")]) == Edits(boundary_changes=1)


def test_overlap_other_type_other_boundaries_is_a_boundary_and_a_type_change():
    e = count_edits([S(0, 1, "Organ")], [S(0, 2, "Disease")])
    assert e == Edits(type_changes=1, boundary_changes=1)
    assert e.total == 2


def test_from_nothing_every_gold_span_is_an_insertion():
    gold = [S(0, 2, "Symptom"), S(4, 6, "Disease"), S(7, 9, "Organ")]
    assert count_edits([], gold) == Edits(insertions=3)
    assert count_edits([], gold).total == len(gold)


def test_spurious_and_missed_spans():
    # Nothing overlaps: the prediction is deleted and the gold span inserted (not a "move").
    assert count_edits([S(0, 2, "Symptom")], [S(5, 7, "Symptom")]) == Edits(insertions=1, deletions=1)
    assert count_edits([S(0, 2, "Symptom"), S(3, 4, "Organ")], []) == Edits(deletions=2)


def test_adjacent_spans_do_not_overlap():
    # [0, 2) and [2, 4) touch but share no character: a deletion and an insertion, not a boundary change.
    assert count_edits([S(0, 2, "Organ")], [S(2, 4, "Organ")]) == Edits(insertions=1, deletions=1)


def test_one_prediction_over_two_gold_spans_pairs_with_the_same_type_first():
    # pred [0, 6) Disease; gold [0, 2) Disease and [3, 6) Symptom. The same-type pair wins although
    # the other overlap is larger: 1 boundary change + 1 insertion = 2. Pairing by overlap would
    # give boundary + type change + insertion = 3.
    e = count_edits([S(0, 6, "Disease")], [S(0, 2, "Disease"), S(3, 6, "Symptom")])
    assert e == Edits(insertions=1, boundary_changes=1)
    assert e.total == 2


def test_two_predictions_over_one_gold_span_pair_by_the_larger_overlap():
    # gold [0, 6) Symptom; pred [0, 2) and [2, 6) Symptom. [2, 6) overlaps 4 characters, so it is
    # the one resized; [0, 2) is deleted. Each prediction pairs with at most one gold span.
    e = count_edits([S(0, 2, "Symptom"), S(2, 6, "Symptom")], [S(0, 6, "Symptom")])
    assert e == Edits(deletions=1, boundary_changes=1)


def test_a_record_worked_by_hand():
    text = "患者胸痛三天，诊断为肺炎，右肺下叶阴影。"
    gold = [S(2, 4, "Symptom"),    # 胸痛
            S(10, 12, "Disease"),  # 肺炎
            S(13, 17, "Organ"),    # 右肺下叶
            S(17, 19, "Symptom")]  # 阴影
    pred = [S(2, 4, "Symptom"),    # 胸痛: exact, 0
            S(10, 11, "Organ"),    # 肺 for 肺炎: boundary + type, 2
            S(4, 6, "Attribute"),  # 三天: spurious, 1 deletion
            S(14, 17, "Organ"),    # 肺下叶 for 右肺下叶: boundary, 1
            S(17, 19, "Disease")]  # 阴影 as Disease: type, 1
    assert [text[s.start:s.end] for s in gold] == ["胸痛", "肺炎", "右肺下叶", "阴影"]
    e = count_edits(pred, gold)
    assert e == Edits(insertions=0, deletions=1, type_changes=2, boundary_changes=2)
    assert e.total == 5
    assert count_edits([], gold).total == 4  # here the pre-labels cost more than they save


def test_order_of_the_inputs_does_not_matter():
    gold = [S(0, 2, "Disease"), S(3, 6, "Symptom"), S(8, 12, "Organ"), S(12, 14, "Organ")]
    pred = [S(0, 6, "Disease"), S(9, 13, "Organ"), S(15, 16, "Treatment")]
    want = count_edits(pred, gold)
    rng = random.Random(0)
    for _ in range(20):
        assert count_edits(rng.sample(pred, len(pred)), rng.sample(gold, len(gold))) == want


def test_edits_add_up():
    a = Edits(1, 2, 3, 4)
    assert a + Edits(insertions=1) == Edits(2, 2, 3, 4)
    assert sum([a, a], Edits()).total == 20


LABELS = ["Disease", "Symptom", "Organ"]


@st.composite
def flat_spans(draw: st.DrawFn) -> list[Span]:
    spans, pos = [], 0
    for _ in range(draw(st.integers(0, 6))):
        start = pos + draw(st.integers(0, 3))
        end = start + draw(st.integers(1, 4))
        spans.append(S(start, end, draw(st.sampled_from(LABELS))))
        pos = end
    return spans


@settings(max_examples=300, deadline=None)
@given(flat_spans(), flat_spans())
def test_counts_stay_within_their_bounds(pred, gold):
    e = count_edits(pred, gold)
    paired = len(gold) - e.insertions
    assert paired == len(pred) - e.deletions >= 0
    assert e.type_changes <= paired and e.boundary_changes <= paired
    # Never more than deleting every prediction and inserting every gold span.
    assert e.total <= len(pred) + len(gold)
    assert count_edits(gold, gold) == Edits()
    assert count_edits([], gold).total == len(gold)
