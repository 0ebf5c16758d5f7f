"""Nested and overlapping spans at the desk, without Qt: finding the spans at a character, and laying
out a record's spans when a new one crosses existing ones (replace them, or add it nested).

Layer 0 holds the outermost spans (BIO and training read it), as ``domain.assign_layers`` lays them
out; every layout here goes through it, so a span the annotator adds around existing ones becomes
the outer one, and the one it contains moves up a layer.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import replace

from madpg_core.domain import Span, assign_layers

_NEW = -1  # the id that marks the span being added while assign_layers relayers the others


class SpanIndex:
    """A record's spans by start, for lookups by position: the spans at a character (clicks, keys)
    and those in a range (painting the visible part only)."""

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self.spans: list[Span] = sorted(spans, key=lambda sp: (sp.start, sp.end, sp.layer))
        self.starts = [sp.start for sp in self.spans]
        # Only spans starting within the longest span's length before a position can cover it.
        self.longest = max((sp.end - sp.start for sp in self.spans), default=0)

    def at(self, pos: int) -> list[Span]:
        """The spans covering character ``pos``, innermost (shortest) first; of two of one length,
        the nested one (higher layer) first."""
        return sorted(self.between(pos, pos + 1), key=lambda sp: (sp.end - sp.start, -sp.layer))

    def between(self, lo: int, hi: int) -> list[Span]:
        """The spans overlapping characters [lo, hi), by start."""
        first = bisect.bisect_left(self.starts, lo - self.longest + 1)
        last = bisect.bisect_left(self.starts, hi)
        return [sp for sp in self.spans[first:last] if sp.end > lo]


def overlapping(spans: Iterable[Span], start: int, end: int) -> list[Span]:
    """The spans overlapping characters [start, end), by start."""
    return sorted((sp for sp in spans if sp.start < end and start < sp.end), key=lambda sp: (sp.start, sp.layer))


def nested_layout(spans: Sequence[Span], new: Span) -> tuple[Span, list[Span] | None]:
    """``new`` added among ``spans`` (which may nest and overlap it): ``(placed, relayered)``.

    ``placed`` is ``new`` in the layer assign_layers gives it. ``relayered`` is None when no other
    span changes layer (the new one simply goes into a free layer); else every span of the record
    in its new layer, the new one included — e.g. a span added around a layer-0 span takes its
    place in layer 0 and pushes it to layer 1, so that layer 0 stays the outermost.
    """
    laid = assign_layers([*spans, replace(new, id=_NEW)])
    placed = next(sp for sp in laid if sp.id == _NEW)
    placed = replace(placed, id=None)
    before = {sp.id: sp.layer for sp in spans}
    if all(sp.layer == before.get(sp.id) for sp in laid if sp.id != _NEW) and len(before) == len(spans):
        return placed, None
    return placed, [placed if sp.id == _NEW else sp for sp in laid]


def replaced_layout(spans: Sequence[Span], new: Span) -> list[Span]:
    """The record's spans once ``new`` replaces every span it overlaps (in any layer)."""
    kept = [sp for sp in spans if not sp.overlaps(new)]
    placed, relayered = nested_layout(kept, new)
    return relayered if relayered is not None else [*kept, placed]
