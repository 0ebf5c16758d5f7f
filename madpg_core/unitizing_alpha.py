"""Krippendorff's unitizing alpha (αU): agreement of annotators who each cut one continuum into
units of categories — exactly what span annotation is (the continuum: the records' characters).

Written here because no kept Python library has it: the ``krippendorff`` package (0.9) computes
α for coded units only (nominal, ordinal, interval, ratio), and its nominal α over characters, used
before, treats every character as its own unit and so cannot see where a span begins or ends.

The definitions follow Krippendorff (1995), "On the reliability of unitizing contiguous data",
Sociological Methodology 25: 47–76, and Krippendorff (2004), Content Analysis, 2nd ed., §12.4,
per category c, with m annotators on a continuum of length L. Each annotator's continuum is a
sequence of *sections*: the units of c and the gaps between them.

* Observed disagreement: over every pair of annotators and every pair of their sections that
  intersect, the squared distance δ² is
    - two units that overlap: (b₁ − b₂)² + (e₁ − e₂)², the squared differences of their begins and ends;
    - a unit lying wholly inside the other's gap: the unit's length squared;
    - anything else: 0;
  and D_o = 2 · Σ δ² / (m (m − 1) L²).
* Expected disagreement, over all ways the same units and gaps could have been placed:
    D_e = (2 / L) · Σ_units [ (N_c − 1)(2l³ − 3l² + l) / 3 + l² · Σ_{gaps g ≥ l} (g − l + 1) ]
          / (m L (m L − 1) − Σ_units l (l − 1)),
  with N_c the number of units of c over all annotators and the gaps of c of all annotators.
* α_c = 1 − D_o / D_e; over all categories, α = 1 − mean(D_o) / mean(D_e).

Tests check these against the worked examples of both publications (Krippendorff 1995, p. 57;
2004, p. 254). Units of one category by one annotator must not overlap (spans of one layer never do).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Unit = tuple[int, int, str]  # (begin, length, category)


@dataclass(frozen=True)
class Section:
    begin: int
    length: int
    unit: bool  # a unit of the category, or a gap

    @property
    def end(self) -> int:
        return self.begin + self.length


@dataclass(frozen=True)
class UnitizingAlpha:
    alpha: float | None  # over all categories; None where undefined (no units, no expected disagreement)
    per_category: dict[str, float | None]
    observed: dict[str, float]
    expected: dict[str, float]


def sections(units: Sequence[Unit], category: str, begin: int, length: int) -> list[Section]:
    """One annotator's continuum [begin, begin + length) as units of ``category`` and the gaps between."""
    out: list[Section] = []
    pos = begin
    for b, n, _c in sorted(u for u in units if u[2] == category):
        if b < pos:
            raise ValueError(f"units of {category!r} overlap at {b} for one annotator")
        if b > pos:
            out.append(Section(pos, b - pos, False))
        out.append(Section(b, n, True))
        pos = b + n
    if pos > begin + length:
        raise ValueError(f"a unit of {category!r} ends at {pos}, past the continuum's end {begin + length}")
    if pos < begin + length:
        out.append(Section(pos, begin + length - pos, False))
    return out


def distance(s: Section, t: Section) -> int:
    """δ² between two sections of different annotators (0 where they do not bear on each other)."""
    if s.unit and t.unit:
        if s.begin < t.end and t.begin < s.end:  # overlapping units
            return (s.begin - t.begin) ** 2 + (s.end - t.end) ** 2
        return 0
    if s.unit and not t.unit and t.begin <= s.begin and s.end <= t.end:
        return s.length ** 2  # s lies wholly in t's gap: t missed it
    if t.unit and not s.unit and s.begin <= t.begin and t.end <= s.end:
        return t.length ** 2
    return 0


def observed(per_annotator: Sequence[Sequence[Section]], length: int) -> float:
    m = len(per_annotator)
    total = 0
    for i in range(m):
        for j in range(i + 1, m):
            a, b = per_annotator[i], per_annotator[j]
            x = y = 0
            # Both lists tile the continuum: walk them together, visiting each intersecting pair once.
            while x < len(a) and y < len(b):
                total += distance(a[x], b[y])
                if a[x].end <= b[y].end:
                    x += 1
                else:
                    y += 1
    return 2 * total / (m * (m - 1) * length * length)


def expected(per_annotator: Sequence[Sequence[Section]], length: int) -> float:
    m = len(per_annotator)
    units = [s.length for secs in per_annotator for s in secs if s.unit]
    gaps = sorted(s.length for secs in per_annotator for s in secs if not s.unit)
    n_c = len(units)
    # Σ over gaps g ≥ l of (g − l + 1) = (sum of those gaps) − (l − 1)·(their count), read from suffix
    # sums of the sorted gaps: linear in units + gaps, not their product (thousands of each per report).
    suffix = [0] * (len(gaps) + 1)
    for k in range(len(gaps) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + gaps[k]
    total = 0.0
    for unit in units:
        k = bisect_left(gaps, unit)
        placements = suffix[k] - (unit - 1) * (len(gaps) - k)
        total += (n_c - 1) * (2 * unit ** 3 - 3 * unit ** 2 + unit) / 3 + unit ** 2 * placements
    denominator = m * length * (m * length - 1) - sum(u * (u - 1) for u in units)
    return (2 / length) * total / denominator if denominator else 0.0


def unitizing_alpha(units: Mapping[str, Sequence[Unit]], begin: int, length: int) -> UnitizingAlpha:
    """αU of the annotators' ``units`` ({annotator: [(begin, length, category), …]}) on the
    continuum [begin, begin + length); every annotator is taken to have read all of it."""
    if len(units) < 2:
        raise ValueError("unitizing α needs two or more annotators")
    if length <= 0:
        raise ValueError("unitizing α needs a continuum of at least one character")
    categories = sorted({u[2] for us in units.values() for u in us})
    d_o: dict[str, float] = {}
    d_e: dict[str, float] = {}
    for c in categories:
        secs = [sections(us, c, begin, length) for us in units.values()]
        d_o[c], d_e[c] = observed(secs, length), expected(secs, length)
    per = {c: (1 - d_o[c] / d_e[c]) if d_e[c] else None for c in categories}
    mean_o = sum(d_o.values()) / len(categories) if categories else 0.0
    mean_e = sum(d_e.values()) / len(categories) if categories else 0.0
    return UnitizingAlpha((1 - mean_o / mean_e) if mean_e else None, per, d_o, d_e)
