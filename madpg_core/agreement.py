"""Inter-annotator agreement: several annotators' spans on the same records → one AgreementReport.

Input: for each record, its text and a mapping annotator → that annotator's spans. An annotator
missing from a record's mapping did not annotate it; one mapped to an empty list annotated it and
found nothing (the two differ: the first is left out of that record's numbers, the second is not).
Only one layer is compared (layer 0 unless told): spans within a layer are flat, so every character
has one BIO tag per annotator.

What is computed, per pair of annotators (A, B; A is the reference, B is read against it):
- strict span F1 (same start, end and type) and overlap span F1 (overlapping, same type), matched
  one to one, micro and per type. F1 = 2·tp / (|A| + |B|) is symmetric; precision = tp / |B| and
  recall = tp / |A| are "B against A" and swap when the pair is read the other way;
- Cohen's κ on the characters' BIO tags over all shared records, and per type on "in this type or
  not" per character;
- counts of agreed / type-only / boundary-only / both-differ spans and spans missing in A or in B;
- a confusion matrix of types over spans with the same boundaries, plus "none";
and, with more than two annotators, Krippendorff's α over all of them: the unitizing αU on the
records every one of them annotated (``madpg_core.unitizing_alpha``: spans as units of a continuum,
so boundaries count), and the nominal α over characters beside it (``nominal_alpha``).
Numbers that are undefined (no spans, or no variation in the tags) are None, never a made-up 0 or 1.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from madpg_core.domain import Span, check_spans

NONE = "none"  # the confusion matrix's row/column for "the other annotator has no span here"
ALPHA_METHOD = (
    "nominal α over characters (each character a unit, its value the annotator's BIO tag), as the "
    "krippendorff package computes it; the unitizing αU below (madpg_core/unitizing_alpha.py, not in "
    "that package) treats each span as one unit, so it also sees boundaries"
)

RecordLayers = tuple[str, Mapping[str, Sequence[Span]]]


@dataclass(frozen=True)
class SpanF1:
    """Span agreement of B against reference A: tp matched spans out of |A| and |B|."""

    tp: int
    n_a: int
    n_b: int

    @property
    def precision(self) -> float | None:
        return self.tp / self.n_b if self.n_b else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.n_a if self.n_a else None

    @property
    def f1(self) -> float | None:
        # Written as 2tp/(|A|+|B|) rather than from P and R: it stays defined when one side is empty.
        total = self.n_a + self.n_b
        return 2 * self.tp / total if total else None

    def as_dict(self) -> dict[str, object]:
        return {"tp": self.tp, "n_a": self.n_a, "n_b": self.n_b, "precision_b_vs_a": self.precision,
                "recall_b_vs_a": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class SpanCounts:
    """Each span of A is in exactly one of agreed, type_only, boundary_only, both_differ and
    missing_in_b; each span of B likewise, with missing_in_a."""

    agreed: int = 0  # same start, end and type
    type_only: int = 0  # same start and end, another type
    boundary_only: int = 0  # overlapping, same type, other boundaries
    both_differ: int = 0  # overlapping, another type and other boundaries
    missing_in_a: int = 0  # B's span overlaps none of A's still unmatched spans
    missing_in_b: int = 0


@dataclass(frozen=True)
class PairAgreement:
    a: str
    b: str
    records: int  # records both annotated
    characters: int
    strict: SpanF1
    overlap: SpanF1
    strict_per_type: dict[str, SpanF1]
    overlap_per_type: dict[str, SpanF1]
    kappa: float | None
    kappa_per_type: dict[str, float | None]
    counts: SpanCounts
    confusion: dict[str, dict[str, int]]  # A's type → B's type → spans; NONE for no same-boundary span

    def as_dict(self) -> dict[str, object]:
        return {
            "a": self.a, "b": self.b, "reference": self.a, "records": self.records, "characters": self.characters,
            "strict": self.strict.as_dict(), "overlap": self.overlap.as_dict(),
            "strict_per_type": {t: s.as_dict() for t, s in self.strict_per_type.items()},
            "overlap_per_type": {t: s.as_dict() for t, s in self.overlap_per_type.items()},
            "kappa": self.kappa, "kappa_per_type": dict(self.kappa_per_type),
            "counts": asdict(self.counts), "confusion": {r: dict(c) for r, c in self.confusion.items()},
        }


@dataclass(frozen=True)
class AgreementReport:
    annotators: tuple[str, ...]
    layer: int
    records: int  # records annotated by at least two of the annotators
    types: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]
    alpha: float | None = None  # only with more than two annotators
    alpha_per_type: dict[str, float | None] = field(default_factory=dict)
    alpha_method: str | None = None
    # Krippendorff's unitizing αU (records annotated by all of them, one continuum), with > 2 annotators
    unitizing_alpha: float | None = None
    unitizing_alpha_per_type: dict[str, float | None] = field(default_factory=dict)

    def pair(self, a: str, b: str) -> PairAgreement:
        return next(p for p in self.pairs if (p.a, p.b) == (a, b))

    def as_dict(self) -> dict[str, object]:
        return {
            "annotators": list(self.annotators), "layer": self.layer, "records": self.records,
            "types": list(self.types), "pairs": [p.as_dict() for p in self.pairs], "alpha": self.alpha,
            "alpha_per_type": dict(self.alpha_per_type), "alpha_method": self.alpha_method,
            "unitizing_alpha": self.unitizing_alpha, "unitizing_alpha_per_type": dict(self.unitizing_alpha_per_type),
        }

    def markdown(self) -> str:
        return _render_markdown(self)


# --- the statistics ------------------------------------------------------------------------------


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's κ of two raters' labels on the same items (Cohen 1960):
    κ = (p_o − p_e) / (1 − p_e), p_o the share of items on which they agree, p_e = Σ_k p_A(k)·p_B(k)
    the agreement expected by chance from each rater's own label shares. None when undefined
    (no items, or p_e = 1: both gave one and the same label to everything)."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} labels against {len(b)}")
    index: dict[Hashable, int] = {}
    ca = np.fromiter((index.setdefault(x, len(index)) for x in a), dtype=np.int64, count=len(a))
    cb = np.fromiter((index.setdefault(x, len(index)) for x in b), dtype=np.int64, count=len(b))
    return _kappa_codes(ca, cb)


def _kappa_codes(a: np.ndarray, b: np.ndarray) -> float | None:
    """κ on two equal-length arrays of small non-negative int codes (written here: scikit-learn is
    not a dependency, and a bincount over a·V + b is all the contingency table needs)."""
    n = a.size
    if n == 0:
        return None
    v = int(max(a.max(), b.max())) + 1
    table = np.bincount(a * v + b, minlength=v * v).reshape(v, v)
    p_o = np.trace(table) / n
    p_e = float(table.sum(axis=1) @ table.sum(axis=0)) / (n * n)
    if p_e >= 1.0 - 1e-12:
        return None
    return float((p_o - p_e) / (1.0 - p_e))


def nominal_alpha(codes: np.ndarray) -> float | None:
    """Krippendorff's α, nominal, from an (M coders, N units) array of int codes, −1 = not coded.

    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", via the coincidence matrix:
    o_ck = Σ_u (n_uc·n_uk − [c = k]·n_uc) / (m_u − 1) over units with m_u ≥ 2 values, n_c = Σ_k o_ck,
    n = Σ_c n_c, α = 1 − (n − 1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k. The same formula as the
    krippendorff package (tests check it against that package), but as one (V×N)·(N×V) product:
    the package builds an N×V×V array, 1.3 s and 180 MB for 100,000 characters and 15 tags.
    None when undefined (fewer than two pairable values, or a single value throughout)."""
    if codes.size == 0:
        return None
    v = int(codes.max()) + 1
    if v <= 0:
        return None
    counts = np.stack([(codes == k).sum(axis=0) for k in range(v)], axis=1).astype(np.float64)  # (N, V)
    m = counts.sum(axis=1)
    pairable = m >= 2
    counts, m = counts[pairable], m[pairable]
    if counts.shape[0] == 0:
        return None
    weighted = counts / (m - 1)[:, None]
    o = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    disagree_observed = o.sum() - np.trace(o)
    disagree_expected = n_c.sum() ** 2 - float(n_c @ n_c)  # Σ_{c≠k} n_c·n_k
    if disagree_expected <= 0:
        return None
    return float(1.0 - (n - 1) * disagree_observed / disagree_expected)


# --- spans → tags and matches --------------------------------------------------------------------


def _tag_codes(length: int, spans: Sequence[Span], type_index: Mapping[str, int]) -> np.ndarray:
    """One int per character: 0 = O, 2k+1 = B-type k, 2k+2 = I-type k (the BIO tags as codes)."""
    codes = np.zeros(length, dtype=np.int64)
    for s in spans:
        k = type_index[s.label]
        codes[s.start] = 2 * k + 1
        codes[s.start + 1 : s.end] = 2 * k + 2
    return codes


def _in_type(codes: np.ndarray, k: int) -> np.ndarray:
    return ((codes == 2 * k + 1) | (codes == 2 * k + 2)).astype(np.int64)


def _greedy_overlaps(a: list[Span], b: list[Span], same_type: bool) -> list[tuple[Span, Span]]:
    """One-to-one pairs of overlapping spans (same type or not), the largest overlaps first; ties go
    to the earlier spans, so the matching does not depend on list order."""
    candidates = []
    for x in a:
        for y in b:
            if x.overlaps(y) and (x.label == y.label) == same_type:
                shared = min(x.end, y.end) - max(x.start, y.start)
                candidates.append((-shared, x.start, y.start, x, y))
    candidates.sort(key=lambda c: c[:3])
    used_a: set[Span] = set()
    used_b: set[Span] = set()
    pairs = []
    for _, _, _, x, y in candidates:
        if x not in used_a and y not in used_b:
            used_a.add(x)
            used_b.add(y)
            pairs.append((x, y))
    return pairs


@dataclass
class _PairTally:
    kinds: Counter[str] = field(default_factory=Counter)
    strict_tp: Counter[str] = field(default_factory=Counter)
    overlap_tp: Counter[str] = field(default_factory=Counter)
    n_a: Counter[str] = field(default_factory=Counter)
    n_b: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add_record(self, a: Sequence[Span], b: Sequence[Span]) -> None:
        self.n_a.update(s.label for s in a)
        self.n_b.update(s.label for s in b)
        by_bounds_b = {(s.start, s.end): s for s in b}  # one span per boundary pair: a layer is flat
        rest_a, matched_b = [], set()
        for x in a:
            y = by_bounds_b.get((x.start, x.end))
            if y is None:
                rest_a.append(x)
                continue
            matched_b.add(y)
            kind = "agreed" if y.label == x.label else "type_only"
            self.kinds[kind] += 1
            self.confusion[x.label, y.label] += 1
            if kind == "agreed":
                self.strict_tp[x.label] += 1
                self.overlap_tp[x.label] += 1
        rest_b = [y for y in b if y not in matched_b]
        # The confusion matrix pairs spans by boundaries only: every other span meets "none".
        for x in rest_a:
            self.confusion[x.label, NONE] += 1
        for y in rest_b:
            self.confusion[NONE, y.label] += 1
        same = _greedy_overlaps(rest_a, rest_b, same_type=True)
        for x, _ in same:
            self.overlap_tp[x.label] += 1
        self.kinds["boundary_only"] += len(same)
        rest_a = [x for x in rest_a if all(x is not p[0] for p in same)]
        rest_b = [y for y in rest_b if all(y is not p[1] for p in same)]
        n_both = len(_greedy_overlaps(rest_a, rest_b, same_type=False))
        self.kinds["both_differ"] += n_both
        # A both-differ pair overlaps something on the other side, so it is not "missing" there.
        self.kinds["missing_in_b"] += len(rest_a) - n_both
        self.kinds["missing_in_a"] += len(rest_b) - n_both

    def result(self, types: Sequence[str]) -> tuple[SpanF1, SpanF1, dict[str, SpanF1], dict[str, SpanF1]]:
        def f1(tp: Counter[str], t: str) -> SpanF1:
            return SpanF1(tp[t], self.n_a[t], self.n_b[t])

        strict = SpanF1(sum(self.strict_tp.values()), sum(self.n_a.values()), sum(self.n_b.values()))
        overlap = SpanF1(sum(self.overlap_tp.values()), strict.n_a, strict.n_b)
        return (strict, overlap, {t: f1(self.strict_tp, t) for t in types}, {t: f1(self.overlap_tp, t) for t in types})


# --- the report ----------------------------------------------------------------------------------


def compute_agreement(records: Iterable[RecordLayers], *, annotators: Sequence[str] | None = None,
                      layer: int = 0) -> AgreementReport:
    """Agreement between annotators on ``records``: (text, {annotator: spans}) pairs.

    Args:
        records: each record's exact text and each annotator's spans on it (all layers may be
            given; only ``layer`` is read). A record's spans must lie inside its text and not overlap
            within the layer (OverlapError / MadpgError otherwise).
        annotators: whom to compare, in this order (the first of a pair is its reference A);
            default: everyone who annotated a record, sorted by name.
        layer: the layer compared.
    """
    texts: list[str] = []
    layers: list[dict[str, list[Span]]] = []
    for text, by_annotator in records:
        flat = {name: [s for s in spans if s.layer == layer] for name, spans in by_annotator.items()}
        for spans in flat.values():
            check_spans(text, spans)
        texts.append(text)
        layers.append(flat)
    names = tuple(annotators) if annotators is not None else tuple(sorted({n for f in layers for n in f}))
    if len(names) < 2 or len(set(names)) != len(names):
        raise ValueError(f"agreement needs two or more different annotators, got {list(names)}")
    types = tuple(sorted({s.label for f in layers for n in names for s in f.get(n, ())}))
    type_index = {t: k for k, t in enumerate(types)}
    # One tag-code array per (annotator, record) they annotated; None where they did not.
    codes = {n: [_tag_codes(len(t), f[n], type_index) if n in f else None for t, f in zip(texts, layers)]
             for n in names}
    pairs = tuple(_pair(a, b, layers, codes, types) for a, b in itertools.combinations(names, 2))
    shared = sum(1 for f in layers if sum(n in f for n in names) >= 2)
    alpha, alpha_per_type, method = None, {}, None
    u_alpha, u_per_type = None, {}
    if len(names) > 2:
        u = _unitizing(names, texts, layers)
        if u is not None:
            u_alpha, u_per_type = u.alpha, u.per_category
        stacked = _stack_codes(names, codes, texts)
        alpha = nominal_alpha(stacked)
        alpha_per_type = {t: nominal_alpha(np.where(stacked < 0, -1, _in_type(stacked, k)))
                          for t, k in type_index.items()}
        method = ALPHA_METHOD
    return AgreementReport(names, layer, shared, types, pairs, alpha, alpha_per_type, method, u_alpha, u_per_type)


def _unitizing(names: Sequence[str], texts: Sequence[str], layers: Sequence[Mapping[str, Sequence[Span]]]):  # noqa: ANN202
    """αU over the records all of ``names`` annotated, laid end to end as one continuum (αU assumes
    every annotator read all of it); None where they share no record."""
    from madpg_core.unitizing_alpha import unitizing_alpha

    units: dict[str, list[tuple[int, int, str]]] = {n: [] for n in names}
    offset = 0
    for text, flat in zip(texts, layers):
        if not text or not all(n in flat for n in names):
            continue
        for n in names:
            units[n].extend((offset + sp.start, sp.end - sp.start, sp.label) for sp in flat[n])
        offset += len(text)
    return unitizing_alpha(units, 0, offset) if offset else None


def _pair(a: str, b: str, layers: Sequence[Mapping[str, Sequence[Span]]],
          codes: Mapping[str, Sequence[np.ndarray | None]], types: Sequence[str]) -> PairAgreement:
    tally = _PairTally()
    tags_a, tags_b = [], []
    for i, f in enumerate(layers):
        if a in f and b in f:
            tally.add_record(f[a], f[b])
            tags_a.append(codes[a][i])
            tags_b.append(codes[b][i])
    ca = np.concatenate(tags_a) if tags_a else np.zeros(0, dtype=np.int64)
    cb = np.concatenate(tags_b) if tags_b else np.zeros(0, dtype=np.int64)
    strict, overlap, strict_t, overlap_t = tally.result(types)
    kappa_t = {t: _kappa_codes(_in_type(ca, k), _in_type(cb, k)) for k, t in enumerate(types)}
    kinds = tally.kinds
    counts = SpanCounts(kinds["agreed"], kinds["type_only"], kinds["boundary_only"], kinds["both_differ"],
                        kinds["missing_in_a"], kinds["missing_in_b"])
    labels = [*types, NONE]
    confusion = {r: {c: tally.confusion[r, c] for c in labels} for r in labels}
    return PairAgreement(a, b, len(tags_a), int(ca.size), strict, overlap, strict_t, overlap_t,
                         _kappa_codes(ca, cb), kappa_t, counts, confusion)


def _stack_codes(names: Sequence[str], codes: Mapping[str, Sequence[np.ndarray | None]],
                 texts: Sequence[str]) -> np.ndarray:
    """(annotators, all characters) tag codes, −1 where an annotator did not annotate the record."""
    rows = []
    for n in names:
        parts = [c if c is not None else np.full(len(t), -1, dtype=np.int64) for c, t in zip(codes[n], texts)]
        rows.append(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))
    return np.stack(rows)


# --- markdown ------------------------------------------------------------------------------------


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def _render_pair(p: PairAgreement) -> list[str]:
    lines = [f"### {p.a} vs {p.b}", "",
             f"Reference: {p.a} (precision and recall are {p.b}'s against {p.a}); "
             f"{p.records} records, {p.characters} characters.", ""]
    rows = [[t, p.strict_per_type[t].n_a, p.strict_per_type[t].n_b, _num(p.strict_per_type[t].precision),
             _num(p.strict_per_type[t].recall), _num(p.strict_per_type[t].f1), _num(p.overlap_per_type[t].f1),
             _num(p.kappa_per_type[t])] for t in p.strict_per_type]
    rows.append(["**micro**", p.strict.n_a, p.strict.n_b, _num(p.strict.precision), _num(p.strict.recall),
                 _num(p.strict.f1), _num(p.overlap.f1), _num(p.kappa)])
    lines += _table(["type", f"spans {p.a}", f"spans {p.b}", "strict P", "strict R", "strict F1",
                     "overlap F1", "κ (chars)"], rows)
    c = p.counts
    lines += ["", *_table(["agreed", "type only", "boundary only", "both differ", f"missing in {p.a}",
                           f"missing in {p.b}"],
                          [[c.agreed, c.type_only, c.boundary_only, c.both_differ, c.missing_in_a, c.missing_in_b]])]
    labels = list(p.confusion)
    lines += ["", f"Types of same-boundary spans (rows: {p.a}, columns: {p.b}):", "",
              *_table([f"{p.a} \\ {p.b}", *labels], [[r, *(p.confusion[r][k] for k in labels)] for r in labels])]
    return lines


def _render_markdown(r: AgreementReport) -> str:
    lines = [f"## Agreement: {', '.join(r.annotators)} (layer {r.layer}, {r.records} shared records)", ""]
    for p in r.pairs:
        lines += [*_render_pair(p), ""]
    if r.alpha_method is not None:
        lines += ["### Krippendorff's α, all annotators", "", f"Method: {r.alpha_method}.", ""]
        lines += _table(["type", "α"], [*([t, _num(a)] for t, a in r.alpha_per_type.items()),
                                        ["**all tags**", _num(r.alpha)]])
        lines += ["", "Unitizing αU (Krippendorff 1995; spans as units, boundaries count), on the records all "
                  "annotated:", ""]
        lines += _table(["type", "αU"], [*([t, _num(a)] for t, a in r.unitizing_alpha_per_type.items()),
                                         ["**all types**", _num(r.unitizing_alpha)]])
    return "\n".join(lines).rstrip() + "\n"
