"""Adjudication (CONTEXT.md): agreements are taken at once; each disagreement lists who said what,
grouped by overlap; the curator's choices (A's, B's, both, neither) make valid gold spans."""

from __future__ import annotations

import pytest

from madpg_core.adjudication import BOTH, NEITHER, Agreement, Disagreement, compare, resolve
from madpg_core.domain import Span, SpanSource, check_spans
from madpg_core.errors import MadpgError

TEXT = "患者反复胸闷气促三年，否认高血压，右肺结节。"

WANG = [Span(4, 6, "Symptom"), Span(6, 8, "Symptom"), Span(13, 16, "Disease"), Span(17, 19, "Organ")]
LI = [Span(4, 6, "Symptom", SpanSource.MODEL, "v1", 0.9), Span(6, 8, "Disease"), Span(12, 16, "Disease")]


def test_agreements_and_disagreements_in_text_order() -> None:
    items = compare({"wang": WANG, "li": LI})
    kinds = [(type(it).__name__, it.start) for it in items]
    assert kinds == [("Agreement", 4), ("Disagreement", 6), ("Disagreement", 12), ("Disagreement", 17)]
    agreed = items[0]
    assert isinstance(agreed, Agreement) and agreed.annotators == ("wang", "li")
    assert (agreed.span.start, agreed.span.end, agreed.span.label) == (4, 6, "Symptom")  # the source does not matter
    typ, boundary, missing = items[1], items[2], items[3]
    assert typ.spans_of("wang") == (Span(6, 8, "Symptom"),) and typ.spans_of("li") == (Span(6, 8, "Disease"),)
    assert (boundary.start, boundary.end) == (12, 16)
    assert missing.spans_of("li") == () and missing.annotators == ("wang", "li")
    assert "li nothing" in missing.describe(TEXT) and "«右肺»" in missing.describe(TEXT)
    with pytest.raises(MadpgError, match="not one of"):
        typ.spans_of("zhao")


def test_overlaps_chain_into_one_group() -> None:
    a = [Span(0, 4, "Symptom")]
    b = [Span(0, 2, "Symptom"), Span(2, 6, "Symptom")]
    c = [Span(5, 8, "Symptom")]
    items = compare({"a": a, "b": b, "c": c})
    assert len(items) == 1 and isinstance(items[0], Disagreement)
    assert (items[0].start, items[0].end) == (0, 8)
    assert [len(sp) for _, sp in items[0].said] == [1, 2, 1]


def test_agreement_needs_every_sheet() -> None:
    items = compare({"a": [Span(0, 2, "Organ")], "b": [Span(0, 2, "Organ")], "c": []})
    assert [type(it) for it in items] == [Disagreement]
    assert compare({}) == [] and compare({"a": [], "b": []}) == []


def test_resolve_takes_agreements_and_the_choices() -> None:
    items = compare({"wang": WANG, "li": LI})
    gold = resolve(items, {1: "li", items[2]: BOTH, 3: NEITHER})
    check_spans(TEXT, gold)
    assert [(s.start, s.end, s.label, s.layer) for s in gold] == [
        (4, 6, "Symptom", 0), (6, 8, "Disease", 0), (13, 16, "Disease", 0),
        (12, 16, "Disease", 1),  # both boundaries taken: the second goes up a layer, still valid
    ]
    assert resolve(items, {}) == [items[0].span]  # without a choice: neither
    only_wang = resolve(items, {i: "wang" for i, it in enumerate(items) if isinstance(it, Disagreement)})
    assert sorted((s.start, s.end, s.label) for s in only_wang) == sorted((s.start, s.end, s.label) for s in WANG)
    with pytest.raises(MadpgError, match="not a disagreement"):
        resolve(items, {0: "wang"})


def test_several_names_and_identical_spans_once() -> None:
    items = compare({"a": [Span(0, 2, "Organ")], "b": [Span(0, 2, "Organ")], "c": [Span(0, 3, "Organ")]})
    assert resolve(items, {0: ["a", "b"]}) == [Span(0, 2, "Organ")]
