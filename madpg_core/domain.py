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
from datetime import datetime
from pathlib import PurePath
from typing import Literal

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
    name: str  # the identifier: BIO tags, exports and models use it, whatever the UI language
    color: str  # "#RRGGBB"
    key: str | None = None  # shortcut: a digit "1".."9" (no bare letters: input methods)
    # What the user reads, per UI language: (("zh_CN", "疾病"),), sorted by language. A language
    # without one shows a built-in name (BUILTIN_DISPLAY_NAMES) or the identifier.
    display_names: tuple[tuple[str, str], ...] = ()
    # How its spans are drawn besides their colour (TEXT_STYLES): a second cue that does not rest on
    # hue, for a colour-blind annotator or two types whose colours look alike on a given screen.
    style: str = "fill"

    def __post_init__(self) -> None:
        if self.style not in TEXT_STYLES:
            raise MadpgError(f"unknown text style {self.style!r} for {self.name!r}; one of {', '.join(TEXT_STYLES)}")
        cleaned = {}
        for language, text in self.display_names:
            if text and text.strip():
                cleaned[language] = text.strip()
        object.__setattr__(self, "display_names", tuple(sorted(cleaned.items())))

    def own_display_name(self, language: str) -> str | None:
        """The display name stored for ``language``, without fallback."""
        return dict(self.display_names).get(language)

    def with_display_name(self, language: str, text: str) -> EntityType:
        """A copy showing ``text`` in ``language`` ("" removes it: the built-in name shows again)."""
        names = dict(self.display_names)
        names[language] = text
        return replace(self, display_names=tuple(names.items()))


# Ways to draw a type's spans in the text, all with the type's colour: a tinted background (the
# default), a thick underline without fill, bold text in a dark shade, or a frame.
TEXT_STYLES = ("fill", "underline", "bold", "frame")


# Built-in display names for the type names a project usually has: the paper's five types (its
# Chinese terms, from the MADPG paper's data section) and those of the public corpora it imports (CMeEE's own Chinese
# names; cMedQANER's). Keyed by lower-case identifier, so "Disease" and "disease" read the same.
# Projects made before display names were stored show these; any other type shows its identifier.
BUILTIN_DISPLAY_NAMES: dict[str, dict[str, str]] = {
    "zh_CN": {
        "disease": "疾病", "symptom": "症状", "organ": "器官", "attribute": "属性", "treatment": "治疗手段",
        # CMeEE (CHIP 2020)
        "dis": "疾病", "sym": "临床表现", "pro": "医疗程序", "equ": "医疗设备", "dru": "药物",
        "ite": "医学检验项目", "bod": "身体", "dep": "科室", "mic": "微生物类",
        # cMedQANER
        "body": "身体部位", "feature": "特征", "drug": "药物", "test": "检查", "crowd": "人群",
        "time": "时间", "physiology": "生理", "department": "科室",
        # English names of cEHRNER's 手术 and 解剖部位
        "surgery": "手术", "anatomy": "解剖部位",
    },
}


def display_name(t: EntityType | str, language: str) -> str:
    """What the user reads for an entity type in ``language`` ("zh_CN", "en"): the type's own
    display name, else the built-in one for its identifier, else the identifier itself."""
    if isinstance(t, EntityType):
        own = t.own_display_name(language)
        if own:
            return own
        t = t.name
    return BUILTIN_DISPLAY_NAMES.get(language, {}).get(t.lower(), t)


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
        seen: dict[tuple[str, str], str] = {}
        for t in self.types:
            for language, text in t.display_names:
                other = seen.setdefault((language, text), t.name)
                if other != t.name:
                    raise MadpgError(f"entity types {other!r} and {t.name!r} share the display name {text!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types)

    def get(self, name: str) -> EntityType:
        for t in self.types:
            if t.name == name:
                return t
        raise MadpgError(f"unknown entity type {name!r}; schema has {', '.join(self.names)}")

    def display_name(self, name: str, language: str) -> str:
        """The display name of the type called ``name`` (a type no longer in the schema, e.g. in an
        old model's scores, gets the built-in name or its identifier)."""
        return display_name(next((t for t in self.types if t.name == name), name), language)

    @classmethod
    def from_names(cls, names: Iterable[str]) -> LabelSchema:
        types = []
        for i, n in enumerate(names):
            key = str(i + 1) if i < 9 else None
            types.append(EntityType(n, PALETTE[i % len(PALETTE)], key))
        return cls(tuple(types))

    @classmethod
    def default(cls) -> LabelSchema:
        """The paper's five entity types, with their Chinese display names stored in new projects."""
        zh = BUILTIN_DISPLAY_NAMES["zh_CN"]
        return cls(tuple(t.with_display_name("zh_CN", zh[t.name.lower()]) for t in cls.from_names(PAPER_TYPES).types))


PAPER_TYPES = ("Disease", "Symptom", "Organ", "Attribute", "Treatment")


class AssertionStatus(str, enum.Enum):
    """Whether a span's entity is there, denied, doubted, posed, past or a relative's. Detected by
    ``madpg_core.assertion``; defined here because a Span carries it and that module needs Span."""

    PRESENT = "present"
    ABSENT = "absent"
    POSSIBLE = "possible"
    HYPOTHETICAL = "hypothetical"
    HISTORICAL = "historical"
    FAMILY = "family"


ASSERTION_STATUSES: tuple[str, ...] = tuple(s.value for s in AssertionStatus)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    source: SpanSource = SpanSource.ANNOTATOR
    model_version: str | None = None
    confidence: float | None = None
    id: int | None = field(default=None, compare=False)  # database id when loaded from a project
    assertion: str = AssertionStatus.PRESENT.value  # one of ASSERTION_STATUSES
    # Spans of one layer never overlap; spans of different layers may nest or overlap. Layer 0 is
    # the main (outermost) layer: BIO, training and the desk read it unless told otherwise.
    layer: int = 0
    # The stored row's revision when read from a project (bumped by every change): an edit that
    # names it is refused when someone changed the span since (a stale write). Not part of equality.
    revision: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise MadpgError(f"invalid span [{self.start}, {self.end}): start must be < end")
        # Kept as the plain string, whichever way it was given: reprs, JSON and the database then
        # read the same for a span made with the member and one read back from a file.
        status = self.assertion.value if isinstance(self.assertion, AssertionStatus) else self.assertion
        if status not in ASSERTION_STATUSES:
            raise MadpgError(f"unknown assertion status {self.assertion!r}; one of {', '.join(ASSERTION_STATUSES)}")
        object.__setattr__(self, "assertion", status)
        if isinstance(self.layer, bool) or not isinstance(self.layer, int) or self.layer < 0:
            raise MadpgError(f"invalid layer {self.layer!r} for span [{self.start}, {self.end}): a whole number ≥ 0")

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
    # The images' original file names, parallel to ``images`` (a project stores each image under its
    # content hash, which means nothing to a person); empty when the source did not say.
    image_names: tuple[str, ...] = ()
    # The stored record's revision when read from a project (bumped by every write to its status or
    # gold spans); replace_spans can name it to refuse a stale write. Not part of equality.
    revision: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check_spans(self.text, self.spans)
        if self.image_names and len(self.image_names) != len(self.images):
            raise MadpgError(f"{len(self.image_names)} image names for {len(self.images)} images")

    def image_name(self, i: int) -> str:
        """What to call image ``i``: its original file name, else the stored file's name."""
        name = self.image_names[i] if i < len(self.image_names) else ""
        return name or PurePath(self.images[i]).name

    def with_spans(self, spans: Iterable[Span]) -> Record:
        return replace(self, spans=tuple(sorted(spans, key=lambda s: s.start)))


def check_spans(text: str, spans: Sequence[Span]) -> None:
    """Raise OverlapError or MadpgError when spans leave the text or overlap another span of their
    layer (spans of different layers may nest or overlap)."""
    for s in spans:
        if s.end > len(text):
            raise MadpgError(f"span [{s.start}, {s.end}) {s.label} ends past the text ({len(text)} characters)")
    by_layer: dict[int, list[Span]] = {}
    for s in spans:
        by_layer.setdefault(s.layer, []).append(s)
    for layer, group in sorted(by_layer.items()):
        ordered = sorted(group, key=lambda s: (s.start, s.end))
        for a, b in zip(ordered, ordered[1:]):
            if a.overlaps(b):
                where = "entities are flat (BIO)" if layer == 0 else "spans of one layer are flat"
                raise OverlapError(
                    f"span [{b.start}, {b.end}) {b.label} «{text[b.start:b.end]}» overlaps "
                    f"[{a.start}, {a.end}) {a.label} «{text[a.start:a.end]}» in layer {layer}; {where}"
                )


def spans_to_bio(text: str, spans: Sequence[Span], layer: int = 0) -> list[str]:
    """One IOB2 tag per character of ``text``, from the spans of ``layer`` (others are ignored:
    BIO cannot nest; ``layer_view`` makes one flat set out of several layers)."""
    flat = [s for s in spans if s.layer == layer]
    check_spans(text, flat)
    tags = ["O"] * len(text)
    for s in flat:
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
    return tags


def assign_layers(spans: Iterable[Span]) -> list[Span]:
    """Put possibly nested or overlapping spans into layers: longest first, each into the lowest
    layer where it overlaps nothing. A span that contains another is longer, so it is placed first
    and lands in a lower layer: layer 0 holds the outermost spans. The spans' own layers are ignored.
    Returns the spans, relayered, sorted by (layer, start, end, label)."""
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), s.start, s.label))
    layers: list[list[Span]] = []
    out: list[Span] = []
    for s in ordered:
        i = next((i for i, placed in enumerate(layers) if not any(s.overlaps(p) for p in placed)), len(layers))
        if i == len(layers):
            layers.append([])
        layers[i].append(s)
        out.append(replace(s, layer=i) if s.layer != i else s)
    return sorted(out, key=lambda s: (s.layer, s.start, s.end, s.label))


@dataclass(frozen=True)
class LayerView:
    """One flat set of spans taken from several layers, for a flat format (BIO); ``left_out`` is how
    many of the spans given are not in it."""

    spans: tuple[Span, ...]
    left_out: int


LayerChoice = Literal["outer", "inner"]


def layer_view(spans: Sequence[Span], which: LayerChoice = "outer") -> LayerView:
    """A flat set of spans (all moved to layer 0, sorted by start) for a format that cannot nest.

    * ``outer``: the spans of layer 0, then, layer by layer upwards, each span of a higher layer
      that overlaps no span already taken (one whose outer span was deleted; assign_layers never
      leaves one). A higher-layer span that overlaps a taken one is left out.
    * ``inner``: for each span T of the outer view, the innermost spans inside T: those contained
      in T (start ≥ T.start, end ≤ T.end, not T's very range) that contain no other such span;
      where two of them overlap, the one that starts first (then the shorter) is taken. Where T contains no
      span, T itself. Every other span (T, the spans between T and its innermost ones, and spans
      that cross T's boundary) is left out.
    """
    if which not in ("outer", "inner"):
        raise MadpgError(f"unknown layer view {which!r}; outer or inner")
    outer: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.layer, s.start, s.end, s.label)):
        if s.layer == 0 or not any(s.overlaps(t) for t in outer):
            outer.append(s)
    if which == "outer":
        chosen = outer
    else:
        chosen = []
        for t in outer:
            inside = [s for s in spans if _strictly_inside(s, t)]
            innermost = [s for s in inside if not any(_strictly_inside(o, s) for o in inside)]
            taken: list[Span] = []
            for s in sorted(innermost, key=lambda s: (s.start, s.end, s.label)):
                if not any(s.overlaps(o) for o in taken):
                    taken.append(s)
            chosen.extend(taken or [t])
    flat = sorted((replace(s, layer=0) if s.layer else s for s in chosen), key=lambda s: (s.start, s.end))
    return LayerView(tuple(flat), len(spans) - len(flat))


def _strictly_inside(inner: Span, outer: Span) -> bool:
    """``inner`` lies within ``outer`` and is shorter (a span of the same range, another type, is
    a sibling, not a part)."""
    return outer.start <= inner.start and inner.end <= outer.end and (inner.start, inner.end) != (outer.start, outer.end)


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


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a project's history (the append-only audit trail): who did what to which
    record, when, and the state before and after (JSON-ready dicts or lists; None where nothing)."""

    id: int
    at: datetime  # UTC, naive, as the store keeps it
    annotator: str
    record_id: int | None  # None: a change to the whole project (schema, import)
    action: str
    before: dict | list | None
    after: dict | list | None


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
            parts.append(count(len(self.warnings), "warning"))
        return "imported " + ", ".join(parts)
