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
from pathlib import PurePath

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
    # The images' original file names, parallel to ``images`` (a project stores each image under its
    # content hash, which means nothing to a person); empty when the source did not say.
    image_names: tuple[str, ...] = ()

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
