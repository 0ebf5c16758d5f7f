"""Domain objects of an annotation project, free of Qt and of the ORM.

Offsets are Python ``str`` indices on the exact stored text, [start, end). This is the one
offset convention of the project (see USERS.md #1): no byte offsets, no UTF-16 units, no
normalisation of ``\\r\\n``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from madpg_core.errors import MadpgError, OverlapError

log = logging.getLogger(__name__)

# Distinct, readable on white, and distinguishable for the common colour-vision deficiencies
# (Okabe–Ito colours first, then Tableau ones). The first five are the paper's five types: five
# different hues (no two blues: annotators mixed up Symptom #56B4E9 and Treatment #0072B2), every
# pair still apart under simulated protanopia and deuteranopia (tests/core/test_palette.py).
PALETTE = (
    "#D55E00", "#56B4E9", "#009E73", "#F0E442", "#CC79A7", "#0072B2", "#E69F00",
    "#8C564B", "#BCBD22", "#17BECF", "#7F7F7F", "#AEC7E8",
)


class RecordStatus(str, enum.Enum):
    NEW = "new"
    PRELABELLED = "pre-labelled"
    REVIEWED = "reviewed"


class SpanSource(str, enum.Enum):
    ANNOTATOR = "annotator"
    MODEL = "model"


@dataclass(frozen=True)
class EntityType:
    name: str
    color: str  # "#RRGGBB"
    key: str | None = None  # shortcut: a digit "1".."9" (no bare letters: input methods)


@dataclass(frozen=True)
class LabelSchema:
    types: tuple[EntityType, ...]

    def __post_init__(self) -> None:
        names = [t.name for t in self.types]
        if len(set(names)) != len(names):
            raise MadpgError(f"duplicate entity type in schema: {names}")
        for n in names:
            if not n or any(c.isspace() for c in n) or n.startswith(("B-", "I-")) or "-" in n[:2]:
                raise MadpgError(f"invalid entity type name {n!r} (no spaces, no B-/I- prefix)")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types)

    def get(self, name: str) -> EntityType:
        for t in self.types:
            if t.name == name:
                return t
        raise MadpgError(f"unknown entity type {name!r}; schema has {', '.join(self.names)}")

    @classmethod
    def from_names(cls, names: Iterable[str]) -> LabelSchema:
        types = []
        for i, n in enumerate(names):
            key = str(i + 1) if i < 9 else None
            types.append(EntityType(n, PALETTE[i % len(PALETTE)], key))
        return cls(tuple(types))

    @classmethod
    def default(cls) -> LabelSchema:
        """The paper's five entity types."""
        return cls.from_names(PAPER_TYPES)


PAPER_TYPES = ("Disease", "Symptom", "Organ", "Attribute", "Treatment")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    source: SpanSource = SpanSource.ANNOTATOR
    model_version: str | None = None
    confidence: float | None = None
    id: int | None = field(default=None, compare=False)  # database id when loaded from a project

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise MadpgError(f"invalid span [{self.start}, {self.end}): start must be < end")

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class Record:
    """One case: a text, the images that accompany it, its entities and its review status."""

    text: str
    spans: tuple[Span, ...] = ()
    images: tuple[str, ...] = ()  # paths (absolute, or relative to the project folder)
    name: str = ""
    status: RecordStatus = RecordStatus.NEW
    id: int | None = None  # database id when loaded from a project

    def __post_init__(self) -> None:
        check_spans(self.text, self.spans)

    def with_spans(self, spans: Iterable[Span]) -> Record:
        return replace(self, spans=tuple(sorted(spans, key=lambda s: s.start)))


def check_spans(text: str, spans: Sequence[Span]) -> None:
    """Raise OverlapError or MadpgError when spans leave the text or overlap each other."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    for s in ordered:
        if s.end > len(text):
            raise MadpgError(f"span [{s.start}, {s.end}) {s.label} ends past the text ({len(text)} characters)")
    for a, b in zip(ordered, ordered[1:]):
        if a.overlaps(b):
            raise OverlapError(
                f"span [{b.start}, {b.end}) {b.label} «{text[b.start:b.end]}» overlaps "
                f"[{a.start}, {a.end}) {a.label} «{text[a.start:a.end]}»; entities are flat (BIO)"
            )


def spans_to_bio(text: str, spans: Sequence[Span]) -> list[str]:
    """One IOB2 tag per character of ``text``."""
    check_spans(text, spans)
    tags = ["O"] * len(text)
    for s in spans:
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
    return tags


def bio_to_spans(
    tags: Sequence[str],
    *,
    on_warning: Callable[[str], None] | None = None,
    source: SpanSource = SpanSource.ANNOTATOR,
) -> list[Span]:
    """Read IOB2 tags back into spans.

    Invalid sequences are repaired, not dropped: an ``I-X`` that follows ``O`` or a tag of
    another type starts a new entity (the usual "IOB1-style" reading), and a warning names
    the position. ``B_X``/``I_X`` (underscore, as in ChineseBLUE) are accepted too.
    """
    warn = on_warning or (lambda m: log.warning(m))
    spans: list[Span] = []
    start: int | None = None
    label: str | None = None

    def close(end: int) -> None:
        nonlocal start, label
        if start is not None and label is not None:
            spans.append(Span(start, end, label, source))
        start, label = None, None

    for i, raw in enumerate(tags):
        tag = raw.strip()
        if tag in ("O", ""):
            close(i)
            continue
        if len(tag) < 3 or tag[0] not in "BIES" or tag[1] not in "-_":
            raise MadpgError(f"tag {raw!r} at position {i} is not O, B-TYPE or I-TYPE")
        prefix, typ = tag[0], tag[2:]
        if prefix in ("B", "S"):
            close(i)
            start, label = i, typ
        elif label == typ:
            pass  # I-/E- continuing the open entity
        else:
            warn(f"position {i}: {tag} follows {'O' if label is None else 'I-/B-' + label}; read as B-{typ}")
            close(i)
            start, label = i, typ
        if prefix in ("E", "S"):
            close(i + 1)
    close(len(tags))
    return spans


def count(n: int, one: str, many: str | None = None) -> str:
    """"1 record", "2 records": counts read as English in messages the core writes."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


@dataclass
class ImportReport:
    """What an import did: counts to show the user, and the warnings it collected."""

    records: int = 0
    spans: int = 0
    images: int = 0
    dropped_by_type: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [count(self.records, "record"), count(self.spans, "entity", "entities"), count(self.images, "image")]
        if self.dropped_by_type:
            d = ", ".join(f"{k}: {v}" for k, v in sorted(self.dropped_by_type.items()))
            parts.append(f"dropped unmapped types ({d})")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warnings")
        return "imported " + ", ".join(parts)
