"""Adjudication (CONTEXT.md): compare the sheets of one record and make its gold spans of them.

``compare`` splits the spans of all sheets into agreements (every sheet has the span: same offsets,
type and layer), taken at once, and disagreements: spans not every sheet has, grouped by overlap,
each listing who said what. ``resolve`` turns the curator's choices (A's, B's, both, neither) into
the gold spans; ``storage.team.adjudicate`` writes them. Qt-free: the curator view and the CLI use
the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from madpg_core.domain import Span
from madpg_core.errors import MadpgError

BOTH = "both"  # every annotator's spans of a disagreement (all of them, with more than two)
NEITHER = "neither"  # none of them: the text stays unmarked there

Key = tuple[int, int, str, int]


def span_key(sp: Span) -> Key:
    """What two annotators must share for a span to be the same decision."""
    return (sp.start, sp.end, sp.label, sp.layer)


@dataclass(frozen=True)
class Agreement:
    """A span every sheet has: taken into the gold spans without asking."""

    span: Span
    annotators: tuple[str, ...]

    @property
    def start(self) -> int:
        return self.span.start


@dataclass(frozen=True)
class Disagreement:
    """Overlapping spans that not every sheet has, with who said what: ``said`` holds, for every
    annotator compared (in order), their spans here — an empty tuple means they marked nothing."""

    start: int  # the group's extent in the text
    end: int
    said: tuple[tuple[str, tuple[Span, ...]], ...]

    def spans_of(self, annotator: str) -> tuple[Span, ...]:
        for name, spans in self.said:
            if name == annotator:
                return spans
        raise MadpgError(f"{annotator!r} is not one of the annotators compared ({', '.join(self.annotators)})")

    @property
    def annotators(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.said)

    def describe(self, text: str = "") -> str:
        """"[4, 8) «胸闷气促»: wang Symptom [4, 6), Symptom [6, 8); li nothing" — one line for a list."""
        where = f"[{self.start}, {self.end})" + (f" «{text[self.start:self.end]}»" if text else "")
        parts = [f"{name} " + (", ".join(f"{sp.label} [{sp.start}, {sp.end})" for sp in spans) or "nothing")
                 for name, spans in self.said]
        return f"{where}: " + "; ".join(parts)


Item = Agreement | Disagreement


def compare(sheets: Mapping[str, Sequence[Span]]) -> list[Item]:
    """Agreements and disagreements of the sheets (annotator → spans), ordered by position."""
    names = list(sheets)
    if not names:
        return []
    keys = {n: {span_key(sp): sp for sp in sheets[n]} for n in names}
    common = set.intersection(*(set(k) for k in keys.values()))
    items: list[Item] = [Agreement(keys[names[0]][k], tuple(names)) for k in common]
    rest = [(n, sp) for n in names for sp in sheets[n] if span_key(sp) not in common]
    for group in _overlap_groups(rest):
        said = tuple((n, tuple(sorted((sp for who, sp in group if who == n), key=lambda x: (x.start, x.end))))
                     for n in names)
        items.append(Disagreement(min(sp.start for _, sp in group), max(sp.end for _, sp in group), said))
    items.sort(key=lambda it: (it.start, 0 if isinstance(it, Agreement) else 1,
                               it.span.end if isinstance(it, Agreement) else it.end))
    return items


def _overlap_groups(spans: list[tuple[str, Span]]) -> list[list[tuple[str, Span]]]:
    """Connected groups of spans that overlap (through a chain), in text order: a sweep by start."""
    groups: list[list[tuple[str, Span]]] = []
    end = -1
    for who, sp in sorted(spans, key=lambda x: (x[1].start, x[1].end)):
        if groups and sp.start < end:
            groups[-1].append((who, sp))
            end = max(end, sp.end)
        else:
            groups.append([(who, sp)])
            end = sp.end
    return groups


Choice = str | Sequence[str] | None  # an annotator's name, BOTH, NEITHER (or None), or several names


def choose(d: Disagreement, choice: Choice) -> list[Span]:
    """The spans of ``d`` that ``choice`` takes."""
    if choice is None or choice == NEITHER:
        return []
    if choice == BOTH:
        return [sp for _, spans in d.said for sp in spans]
    names = [choice] if isinstance(choice, str) else list(choice)
    return [sp for n in names for sp in d.spans_of(n)]


def resolve(items: Sequence[Item], choices: Mapping[int | Disagreement, Choice]) -> list[Span]:
    """The gold spans: every agreement, plus for each disagreement what ``choices`` takes (keyed by
    the disagreement or by its index in ``items``; one without a choice takes nothing). Identical
    spans taken twice are kept once; a span that overlaps another of its layer (taking both of two
    different boundaries) moves to the lowest layer where it fits, so the result is always valid."""
    for key in choices:
        if isinstance(key, int) and not (0 <= key < len(items) and isinstance(items[key], Disagreement)):
            raise MadpgError(f"choice for item {key}, which is not a disagreement")
    taken: list[Span] = []
    for i, it in enumerate(items):
        if isinstance(it, Agreement):
            taken.append(it.span)
        else:
            choice = choices.get(i, choices.get(it, NEITHER))
            taken.extend(choose(it, choice))
    return _fit_layers(taken)


def _fit_layers(spans: Sequence[Span]) -> list[Span]:
    seen: set[Key] = set()
    placed: list[Span] = []
    for sp in spans:
        key = span_key(sp)
        if key in seen:
            continue
        seen.add(key)
        layer = sp.layer
        while any(p.layer == layer and p.overlaps(sp) for p in placed):
            layer += 1
        placed.append(sp if layer == sp.layer else replace(sp, layer=layer))
    return sorted(placed, key=lambda s: (s.layer, s.start, s.end))
