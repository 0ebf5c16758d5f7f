"""Krippendorff's unitizing α against the worked examples of its two publications.

Krippendorff (2004), Content Analysis, 2nd ed., p. 254: two observers, continuum [150, 450),
categories c and k; the book gives αc = 0.7286 (D_o 0.0144, D_e 0.0532), αk = 1 and α = 0.8591.
Krippendorff (1995), Sociological Methodology 25, p. 57: four pairs of observers on 24 units of
time, one category each (A–D); the paper's observed disagreements, and the expected ones and α
for a long continuum (the example stretched), as the paper reports them (it notes D_e tends to a
limit as the continuum grows, so those are compared with a tolerance). The figures were taken as
DKPro Statistics' unitizing tests reproduce them from the two publications.
"""

from __future__ import annotations

import pytest

from madpg_core.unitizing_alpha import Section, distance, unitizing_alpha


def test_distances_of_the_2004_book() -> None:
    # two overlapping units: begins and ends differ by 5 and 5, 15 and 25 → 50 and 850
    assert distance(Section(225, 70, True), Section(220, 80, True)) == 50
    assert distance(Section(370, 30, True), Section(355, 20, True)) == 850
    # a unit of 20 inside the other's gap of 50 → 400
    assert distance(Section(400, 50, False), Section(400, 20, True)) == 400
    assert distance(Section(5, 6, True), Section(4, 2, True)) == 26
    assert distance(Section(5, 6, True), Section(5, 6, True)) == 0


def test_the_2004_example() -> None:
    units = {"i": [(225, 70, "c"), (370, 30, "c"), (180, 60, "k"), (300, 50, "k")],
             "j": [(220, 80, "c"), (355, 20, "c"), (400, 20, "c"), (180, 60, "k"), (300, 50, "k")]}
    r = unitizing_alpha(units, 150, 300)
    assert r.observed["c"] == pytest.approx(0.0144, abs=1e-4)
    assert r.expected["c"] == pytest.approx(0.0532, abs=1e-4)
    assert r.per_category["c"] == pytest.approx(0.7286, abs=1e-4)
    assert r.observed["k"] == 0 and r.per_category["k"] == pytest.approx(1.0)
    assert r.expected["k"] == pytest.approx(0.0490, abs=1e-4)
    assert r.alpha == pytest.approx(0.8591, abs=5e-4)


def _example_1995(stretch: int) -> dict[str, dict[str, list[tuple[int, int, str]]]]:
    def s(*units: tuple[int, int]) -> list[tuple[int, int]]:
        return [(b * stretch, n * stretch) for b, n in units]

    pairs = {
        "A": (s((2, 8), (14, 6)), s((4, 4), (15, 2))),
        "B": (s((0, 18)), s((0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 3), (9, 1))),
        "C": (s((2, 6), (10, 2), (14, 4), (20, 2)), s((0, 2), (4, 4), (10, 4), (16, 2), (20, 2))),
        "D": (s((0, 2), (2, 8), (10, 4), (14, 6), (20, 4)), s((0, 4), (4, 4), (8, 7), (15, 2), (17, 7))),
    }
    return {c: {"first": [(b, n, c) for b, n in one], "second": [(b, n, c) for b, n in two]}
            for c, (one, two) in pairs.items()}


def test_the_1995_example_observed_disagreement() -> None:
    for c, want in {"A": 0.03125, "B": 2.26736, "C": 0.02777, "D": 0.38715}.items():
        r = unitizing_alpha(_example_1995(1)[c], 0, 24)
        assert r.observed[c] == pytest.approx(want, abs=1e-5), c


def test_the_1995_example_on_a_long_continuum() -> None:
    stretch = 50_000  # 24 units of time → 1.2 million: D_e near its limit, as the paper computes it
    want = {"A": (0.06990, 0.553), "B": (1.17731, -0.926), "C": (0.08642, 0.679), "D": (0.41445, 0.066)}
    for c, (d_e, alpha) in want.items():
        r = unitizing_alpha(_example_1995(stretch)[c], 0, 24 * stretch)
        assert r.expected[c] == pytest.approx(d_e, abs=5e-3), c
        assert r.per_category[c] == pytest.approx(alpha, abs=2e-2), c


def test_identical_annotators_agree_fully_and_bad_input_is_refused() -> None:
    same = [(0, 3, "Disease"), (5, 2, "Symptom")]
    assert unitizing_alpha({"a": same, "b": list(same), "c": list(same)}, 0, 10).alpha == pytest.approx(1.0)
    with pytest.raises(ValueError, match="overlap"):
        unitizing_alpha({"a": [(0, 3, "X"), (2, 3, "X")], "b": []}, 0, 10)
    with pytest.raises(ValueError, match="two or more"):
        unitizing_alpha({"a": same}, 0, 10)
    assert unitizing_alpha({"a": [], "b": []}, 0, 10).alpha is None  # nothing annotated: undefined, not 1


def test_the_agreement_report_lays_shared_records_end_to_end() -> None:
    from madpg_core.agreement import compute_agreement
    from madpg_core.domain import Span

    r1 = ("abcdef", {"A": [Span(0, 2, "X")], "B": [Span(0, 2, "X")], "C": [Span(0, 3, "X")]})
    r2 = ("ghij", {"A": [Span(1, 3, "Y")], "B": [], "C": [Span(1, 3, "Y")]})
    r3 = ("klm", {"A": [Span(0, 1, "X")], "B": [Span(0, 1, "X")]})  # C did not read it: left out of αU
    report = compute_agreement([r1, r2, r3])
    by_hand = unitizing_alpha({"A": [(0, 2, "X"), (7, 2, "Y")], "B": [(0, 2, "X")],
                               "C": [(0, 3, "X"), (7, 2, "Y")]}, 0, 10)
    assert report.unitizing_alpha == pytest.approx(by_hand.alpha)
    assert report.unitizing_alpha_per_type == pytest.approx(by_hand.per_category)
    assert "αU" in report.markdown()
    assert compute_agreement([r3]).unitizing_alpha is None  # two annotators: pairs only
