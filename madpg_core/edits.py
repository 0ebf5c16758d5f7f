"""Edits per record: what an annotator must do to turn a record's pre-labels into its gold spans.

The count is the benchmark's measure of what pre-labelling saves (issue 14): one edit is one span
inserted, one deleted, one type changed, or one span's boundaries moved. Annotating from nothing
is one insertion per gold span, so ``count_edits([], gold).total == len(gold)``.

Predicted and gold spans that overlap are paired one to one, greedily, best pair first: an exact
match, then the same type, then the largest overlap. A pair costs what it takes to fix the
prediction (0, a type change, a boundary change, or both); an unpaired gold span is an insertion
and an unpaired predicted span a deletion. Greedy is enough here: spans of one side never overlap
each other (entities are flat), so conflicts are between neighbours only.

No Qt and no torch: the GUI may show the count for the current record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from madpg_core.domain import Span


@dataclass(frozen=True)
class Edits:
    insertions: int = 0
    deletions: int = 0
    type_changes: int = 0
    boundary_changes: int = 0

    @property
    def total(self) -> int:
        return self.insertions + self.deletions + self.type_changes + self.boundary_changes

    def __add__(self, other: Edits) -> Edits:
        return Edits(self.insertions + other.insertions, self.deletions + other.deletions,
                     self.type_changes + other.type_changes, self.boundary_changes + other.boundary_changes)


def count_edits(pred: Sequence[Span], gold: Sequence[Span]) -> Edits:
    """The edits that turn ``pred`` (a record's pre-labels) into ``gold`` (what the annotator wants)."""
    candidates = []
    for i, p in enumerate(pred):
        for j, g in enumerate(gold):
            overlap = min(p.end, g.end) - max(p.start, g.start)
            if overlap <= 0:
                continue
            same_bounds = (p.start, p.end) == (g.start, g.end)
            same_type = p.label == g.label
            # Sorted ascending: False before True, hence the negations; then by position so that
            # equal candidates are taken in a reproducible order.
            key = (not (same_bounds and same_type), not same_type, -overlap, g.start, p.start)
            candidates.append((key, i, j, same_bounds, same_type))
    candidates.sort()
    used_pred: set[int] = set()
    used_gold: set[int] = set()
    types = bounds = 0
    for _, i, j, same_bounds, same_type in candidates:
        if i in used_pred or j in used_gold:
            continue
        used_pred.add(i)
        used_gold.add(j)
        types += not same_type
        bounds += not same_bounds
    return Edits(insertions=len(gold) - len(used_gold), deletions=len(pred) - len(used_pred),
                 type_changes=types, boundary_changes=bounds)
