"""Strict entity-level precision / recall / F1, micro and per type.

An entity counts only when its start, end and type all match. On IOB2 tags this is seqeval's
``mode="strict", scheme=IOB2`` (an I-X that does not continue a B-X/I-X is no entity) — on spans
read from a BIO file only after ``strict_gold`` has undone the import's repair of such chunks. Only the
main layer (layer 0) is scored: the model tags one flat layer and is trained on layer 0, so nested
gold spans of higher layers would count as misses it can never find.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from madpg_core.domain import Span


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int  # gold entities

    @classmethod
    def of(cls, tp: int, n_pred: int, n_gold: int) -> PRF:
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, n_gold)

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "support": self.support}


@dataclass(frozen=True)
class Scores:
    micro: PRF
    per_type: dict[str, PRF] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"micro": self.micro.as_dict(), "per_type": {k: v.as_dict() for k, v in self.per_type.items()}}

    def table(self) -> str:
        """A fixed-width text table, one row per type and a micro row."""
        width = max([len("micro")] + [_display_width(t) for t in self.per_type]) + 2
        lines = [_pad("type", width) + f"{'P':>8}{'R':>8}{'F1':>8}{'gold':>7}"]
        for name, s in [*sorted(self.per_type.items()), ("micro", self.micro)]:
            nums = f"{100 * s.precision:8.2f}{100 * s.recall:8.2f}{100 * s.f1:8.2f}{s.support:7d}"
            lines.append(_pad(name, width) + nums)
        return "\n".join(lines)


def _display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _display_width(text))


def score_spans(gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]]) -> Scores:
    """Score predicted against gold spans, document by document (same order, same length)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold documents but {len(pred)} predicted")
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for g, p in zip(gold, pred):
        gs, ps = _keys(g), _keys(p)
        n_gold.update(k[2] for k in gs)
        n_pred.update(k[2] for k in ps)
        tp.update(k[2] for k in gs & ps)
    types = sorted(set(n_gold) | set(n_pred))
    per = {t: PRF.of(tp[t], n_pred[t], n_gold[t]) for t in types}
    micro = PRF.of(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    return Scores(micro, per)


def _keys(spans: Iterable[Span]) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for s in spans if s.layer == 0}


def strict_spans(tags: Sequence[str]) -> list[Span]:
    """Entities of an IOB2 sequence read strictly: B-X then I-X*, nothing else."""
    out: list[Span] = []
    start, label = None, None
    for i, tag in enumerate([*tags, "O"]):
        cont = label is not None and tag == f"I-{label}"
        if cont:
            continue
        if start is not None and label is not None:
            out.append(Span(start, i, label))
        start, label = (i, tag[2:]) if tag.startswith("B-") else (None, None)
    return out


def score_tags(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> Scores:
    """Score IOB2 tag sequences (strict)."""
    return score_spans([strict_spans(g) for g in gold], [strict_spans(p) for p in pred])


# --- per record counts and bootstrap -----------------------------------------------------------
# Written here rather than taken from a library: seqeval scores tag sequences, not resamples of
# documents, and a paired document bootstrap is a dozen lines over (tp, pred, gold) counts.

Counts = tuple[int, int, int]  # one record's (true positives, predicted, gold) entities


def record_counts(gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]]) -> list[Counts]:
    """(tp, predicted, gold) entities per record, strict matching."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold documents but {len(pred)} predicted")
    out = []
    for g, p in zip(gold, pred):
        gs, ps = _keys(g), _keys(p)
        out.append((len(gs & ps), len(ps), len(gs)))
    return out


def f1_of(counts: Iterable[Counts]) -> float:
    tp = n_pred = n_gold = 0
    for a, b, c in counts:
        tp, n_pred, n_gold = tp + a, n_pred + b, n_gold + c
    return PRF.of(tp, n_pred, n_gold).f1


def _resamples(n_records: int, n: int, seed: int) -> list[list[int]]:
    import random

    rng = random.Random(seed)
    return [[rng.randrange(n_records) for _ in range(n_records)] for _ in range(n)]


def bootstrap_interval(counts: Sequence[Counts], *, n: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95 % interval of micro F1 from resampling whole records with replacement."""
    if not counts:
        return 0.0, 0.0
    values = sorted(f1_of([counts[i] for i in pick]) for pick in _resamples(len(counts), n, seed))
    return values[int(0.025 * n)], values[max(0, int(0.975 * n) - 1)]


def paired_bootstrap(new: Sequence[Counts], old: Sequence[Counts], *, n: int = 1000, seed: int = 0) -> float:
    """Share of record resamples in which ``new`` has the higher micro F1 (ties count half): both
    models are scored on the same resampled records, so the records' own difficulty cancels out."""
    if len(new) != len(old):
        raise ValueError("paired bootstrap needs both models' counts on the same records")
    if not new:
        return 0.5
    wins = 0.0
    for pick in _resamples(len(new), n, seed):
        a, b = f1_of([new[i] for i in pick]), f1_of([old[i] for i in pick])
        wins += 1.0 if a > b else (0.5 if a == b else 0.0)
    return wins / n
