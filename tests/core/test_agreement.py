"""Agreement between annotators (madpg_core.agreement): span F1, counts, confusion, Cohen's κ, α."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from madpg_core.agreement import NONE, SpanCounts, cohen_kappa, compute_agreement, nominal_alpha
from madpg_core.domain import Span
from madpg_core.errors import OverlapError

TEXT = "患者头痛三天伴发热无咳嗽"  # 12 characters


def _two(a: list[Span], b: list[Span], text: str = TEXT):
    return compute_agreement([(text, {"A": a, "B": b})]).pair("A", "B")


# --- Cohen's κ against published numbers ----------------------------------------------------------


def test_kappa_wikipedia_worked_example() -> None:
    # Wikipedia, "Cohen's kappa", section "Simple example": 50 grant proposals, readers A and B;
    # 20 yes/yes, 5 A-yes/B-no, 10 A-no/B-yes, 15 no/no → p_o = 0.7, p_e = 0.5, κ = 0.4.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_kappa_matches_scikit_learn_on_random_labels() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(3)
    a = [rng.choice("OBIX") for _ in range(500)]
    b = [x if rng.random() < 0.6 else rng.choice("OBIX") for x in a]
    assert cohen_kappa(a, b) == pytest.approx(sklearn_metrics.cohen_kappa_score(a, b))


def test_kappa_undefined_without_variation() -> None:
    assert cohen_kappa(["O"] * 5, ["O"] * 5) is None
    assert cohen_kappa([], []) is None


# --- Krippendorff's α -------------------------------------------------------------------------------


def test_alpha_on_the_krippendorff_package_documented_example() -> None:
    # The krippendorff package's docstring example (3 coders, 15 units, nan = not coded): nominal α
    # = 0.691358 (Krippendorff's own example in "Computing Krippendorff's Alpha-Reliability", 2011).
    nan = np.nan
    data = np.array([[nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
                     [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
                     [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4]])
    codes = np.where(np.isnan(data), -1, data).astype(np.int64)
    assert nominal_alpha(codes) == pytest.approx(0.691358, abs=1e-6)


def test_alpha_matches_the_krippendorff_package_on_random_codes() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 5, size=300)
    codes = np.stack([np.where(rng.random(300) < 0.7, truth, rng.integers(0, 5, size=300)) for _ in range(4)])
    codes[rng.random(codes.shape) < 0.1] = -1
    expected = krippendorff.alpha(reliability_data=np.where(codes < 0, np.nan, codes), level_of_measurement="nominal")
    assert nominal_alpha(codes) == pytest.approx(expected)


def test_three_annotators_alpha_by_hand() -> None:
    # Tags per character of "abcd": A = B-X I-X O O, B = the same, C = B-X O O O. Coincidences
    # (each unit's ordered pairs / (m − 1) = /2): o_BB 3, o_II 1, o_IO = o_OI 1, o_OO 6 → n_B 3,
    # n_I 2, n_O 7, n 12; α = 1 − (n − 1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k = 1 − 11·2 / 82 = 30/41.
    # In-X or not: n_1 5, n_0 7 → α_X = 1 − 11·2 / 70 = 24/35.
    report = compute_agreement([("abcd", {"A": [Span(0, 2, "X")], "B": [Span(0, 2, "X")], "C": [Span(0, 1, "X")]})])
    assert report.annotators == ("A", "B", "C")
    assert [(p.a, p.b) for p in report.pairs] == [("A", "B"), ("A", "C"), ("B", "C")]
    assert report.alpha == pytest.approx(30 / 41)
    assert report.alpha_per_type["X"] == pytest.approx(24 / 35)
    assert report.pair("A", "B").strict.f1 == 1.0
    assert report.pair("A", "C").counts == SpanCounts(boundary_only=1)
    assert "Krippendorff" in report.markdown()


def test_two_annotators_have_no_alpha() -> None:
    report = compute_agreement([("abcd", {"A": [Span(0, 2, "X")], "B": [Span(0, 2, "X")]})])
    assert report.alpha is None and report.alpha_method is None


def test_record_an_annotator_did_not_annotate_is_left_out_of_their_pairs() -> None:
    # C annotated only the second record: A–C and B–C compare that record alone; α reads C's
    # characters as not coded in the first one.
    r1 = ("abcd", {"A": [Span(0, 2, "X")], "B": [Span(2, 4, "X")]})
    r2 = ("efgh", {"A": [Span(0, 2, "X")], "B": [Span(0, 2, "X")], "C": [Span(0, 2, "X")]})
    report = compute_agreement([r1, r2])
    assert report.pair("A", "B").records == 2 and report.pair("A", "C").records == 1
    assert report.pair("A", "C").kappa == 1.0 and report.pair("A", "B").kappa < 1.0
    assert report.records == 2


# --- span F1 and κ on the extremes ------------------------------------------------------------------


def test_identical_layers_agree_fully() -> None:
    spans = [Span(2, 4, "Symptom"), Span(7, 9, "Symptom"), Span(10, 12, "Disease")]
    p = _two(spans, list(spans))
    assert p.strict.f1 == p.overlap.f1 == 1.0
    assert p.kappa == 1.0
    assert all(k == 1.0 for k in p.kappa_per_type.values())
    assert p.counts == SpanCounts(agreed=3)


def test_disjoint_layers_agree_not_at_all() -> None:
    p = _two([Span(2, 4, "Symptom")], [Span(7, 9, "Symptom"), Span(10, 12, "Disease")])
    assert p.strict.f1 == 0.0 and p.overlap.f1 == 0.0
    assert p.kappa is not None and p.kappa <= 0.0
    assert p.counts == SpanCounts(missing_in_a=2, missing_in_b=1)


def test_kappa_of_disjoint_spans_by_hand() -> None:
    # "abcd": A = B I O O, B = O O B I. p_o = 0; each has B .25, I .25, O .5 → p_e = .375,
    # κ = (0 − .375) / (1 − .375) = −0.6.
    p = _two([Span(0, 2, "X")], [Span(2, 4, "X")], text="abcd")
    assert p.kappa == pytest.approx(-0.6)


# --- counts, one kind at a time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([Span(2, 4, "Symptom")], [Span(2, 4, "Symptom")], SpanCounts(agreed=1)),
        ([Span(2, 4, "Symptom")], [Span(2, 4, "Disease")], SpanCounts(type_only=1)),
        ([Span(2, 4, "Symptom")], [Span(2, 6, "Symptom")], SpanCounts(boundary_only=1)),
        ([Span(2, 4, "Symptom")], [Span(3, 6, "Disease")], SpanCounts(both_differ=1)),
        ([], [Span(2, 4, "Symptom")], SpanCounts(missing_in_a=1)),
        ([Span(2, 4, "Symptom")], [], SpanCounts(missing_in_b=1)),
    ],
    ids=["agreed", "type-only", "boundary-only", "both-differ", "missing-in-A", "missing-in-B"],
)
def test_each_count_kind(a: list[Span], b: list[Span], expected: SpanCounts) -> None:
    assert _two(a, b).counts == expected


def test_mixed_record_counts_f1_and_confusion() -> None:
    # A: 头痛 Symptom, 发热 Symptom, 咳嗽 Disease, 三天 Attribute.
    # B: 头痛 Symptom (agreed), 发热 Disease (type only), 无咳嗽 Disease (boundary only), 患者 Organ (extra).
    a = [Span(2, 4, "Symptom"), Span(7, 9, "Symptom"), Span(10, 12, "Disease"), Span(4, 6, "Attribute")]
    b = [Span(2, 4, "Symptom"), Span(7, 9, "Disease"), Span(9, 12, "Disease"), Span(0, 2, "Organ")]
    p = _two(a, b)
    assert p.counts == SpanCounts(agreed=1, type_only=1, boundary_only=1, missing_in_a=1, missing_in_b=1)
    assert (p.strict.tp, p.strict.n_a, p.strict.n_b) == (1, 4, 4)
    assert p.strict.f1 == pytest.approx(0.25)
    assert p.overlap.f1 == pytest.approx(0.5)  # agreed + boundary-only
    assert p.confusion["Symptom"]["Symptom"] == 1
    assert p.confusion["Symptom"]["Disease"] == 1
    # Confusion pairs by boundaries only: the boundary-only Disease pair meets "none" on both sides.
    assert p.confusion["Disease"][NONE] == 1 and p.confusion[NONE]["Disease"] == 1
    assert p.confusion["Attribute"][NONE] == 1 and p.confusion[NONE]["Organ"] == 1
    # Two same-boundary pairs, plus A's two other spans and B's two others, each against "none".
    assert sum(sum(row.values()) for row in p.confusion.values()) == 2 + 2 + 2


def test_per_type_numbers_and_direction() -> None:
    # A has two Symptoms, B finds one of them and one Disease A lacks.
    a = [Span(2, 4, "Symptom"), Span(7, 9, "Symptom")]
    b = [Span(2, 4, "Symptom"), Span(10, 12, "Disease")]
    p = _two(a, b)
    sym, dis = p.strict_per_type["Symptom"], p.strict_per_type["Disease"]
    assert (sym.precision, sym.recall, sym.f1) == (1.0, 0.5, pytest.approx(2 / 3))
    assert (dis.precision, dis.recall, dis.f1) == (0.0, None, 0.0)  # A has no Disease: no recall
    # Read the other way, precision and recall swap and F1 stays.
    q = _two(b, a)
    assert (q.strict_per_type["Symptom"].precision, q.strict_per_type["Symptom"].recall) == (0.5, 1.0)
    assert q.strict.f1 == p.strict.f1
    # Per-type κ on "in Disease or not": A has no Disease character, B has two → κ = 0 (p_o = p_e).
    assert p.kappa_per_type["Disease"] == pytest.approx(0.0)
    assert p.kappa_per_type["Symptom"] == pytest.approx(cohen_kappa([0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0],
                                                                    [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]))


# --- records, layers, input checks, output ----------------------------------------------------------


def test_empty_records_and_empty_layers() -> None:
    report = compute_agreement([("", {"A": [], "B": []}), (TEXT, {"A": [], "B": []})])
    p = report.pair("A", "B")
    assert p.records == 2 and p.characters == len(TEXT)
    assert p.strict.f1 is None and p.overlap.f1 is None  # nothing to agree on: undefined, not 0 or 1
    assert p.kappa is None
    assert p.counts == SpanCounts()
    assert "–" in report.markdown()


def test_only_the_chosen_layer_is_read() -> None:
    outer, inner = Span(0, 6, "Disease"), Span(2, 4, "Symptom", layer=1)
    p = _two([outer, inner], [outer])
    assert p.strict.f1 == 1.0
    deep = compute_agreement([(TEXT, {"A": [outer, inner], "B": [outer]})], layer=1).pair("A", "B")
    assert deep.counts == SpanCounts(missing_in_b=1)


def test_overlapping_spans_in_one_layer_are_refused() -> None:
    with pytest.raises(OverlapError):
        _two([Span(0, 4, "X"), Span(2, 6, "X")], [])


def test_needs_two_annotators() -> None:
    with pytest.raises(ValueError, match="two or more"):
        compute_agreement([(TEXT, {"A": []})])


def test_annotator_order_chooses_the_reference() -> None:
    report = compute_agreement([(TEXT, {"A": [Span(2, 4, "X")], "B": []})], annotators=["B", "A"])
    p = report.pair("B", "A")
    assert p.counts == SpanCounts(missing_in_a=1)  # A is now the one read against B


def test_report_as_dict_is_json_and_markdown_has_every_pair() -> None:
    records = [(TEXT, {"A": [Span(2, 4, "Symptom")], "B": [Span(2, 4, "Disease")], "C": []})]
    report = compute_agreement(records)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["pairs"][0]["counts"]["type_only"] == 1
    assert data["pairs"][0]["confusion"]["Symptom"]["Disease"] == 1
    assert data["types"] == ["Disease", "Symptom"]
    text = report.markdown()
    for heading in ("### A vs B", "### A vs C", "### B vs C"):
        assert heading in text


def test_counts_partition_each_side_on_random_layers() -> None:
    rng = random.Random(11)

    def layer() -> list[Span]:
        spans, at = [], rng.randrange(3)
        while at < 58:
            end = min(60, at + rng.randint(1, 5))
            spans.append(Span(at, end, rng.choice("XYZ")))
            at = end + rng.randint(0, 4)
        return spans

    records = [("字" * 60, {"A": layer(), "B": layer()}) for _ in range(30)]
    p = compute_agreement(records).pair("A", "B")
    c = p.counts
    matched = c.agreed + c.type_only + c.boundary_only + c.both_differ
    assert matched + c.missing_in_b == p.strict.n_a
    assert matched + c.missing_in_a == p.strict.n_b
    assert p.strict.tp == c.agreed and p.overlap.tp == c.agreed + c.boundary_only
