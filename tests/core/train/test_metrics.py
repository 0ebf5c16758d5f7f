"""Strict entity metrics agree with seqeval's strict IOB2 mode."""

from __future__ import annotations

import random

import pytest

from madpg_core.domain import Span
from madpg_core.train.metrics import score_spans, score_tags, strict_spans

seqeval = pytest.importorskip("seqeval")


def _random_tags(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(["O", "O", "B-A", "I-A", "B-B", "I-B"]) for _ in range(n)]


def test_agrees_with_seqeval_strict_iob2_on_random_tags() -> None:
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    rng = random.Random(7)
    for _ in range(30):
        gold = [_random_tags(rng, rng.randint(1, 12)) for _ in range(6)]
        pred = [_random_tags(rng, len(g)) for g in gold]
        ours = score_tags(gold, pred)
        rep = classification_report(gold, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
        assert ours.micro.f1 == pytest.approx(rep["micro avg"]["f1-score"])
        assert ours.micro.precision == pytest.approx(rep["micro avg"]["precision"])
        assert ours.micro.recall == pytest.approx(rep["micro avg"]["recall"])
        for t in ("A", "B"):
            if t in rep:
                assert ours.per_type[t].f1 == pytest.approx(rep[t]["f1-score"])


def test_strict_spans_drop_orphan_inside_tags() -> None:
    assert strict_spans(["I-A", "B-A", "I-A", "I-B", "O"]) == [Span(1, 3, "A")]


def test_span_scores_count_exact_matches_only() -> None:
    gold = [[Span(0, 2, "A"), Span(3, 5, "B")]]
    pred = [[Span(0, 2, "A"), Span(3, 4, "B"), Span(6, 7, "B")]]
    s = score_spans(gold, pred)
    assert s.micro.precision == pytest.approx(1 / 3) and s.micro.recall == pytest.approx(1 / 2)
    assert s.per_type["A"].f1 == 1.0 and s.per_type["B"].f1 == 0.0
    assert "micro" in s.table()
