"""Regions drawn on a record's images and their links to its spans (issue 18 item 1), Qt-free.

A **region** is a box or an outline on one image of a record (one frame of a multi-frame DICOM), in
the image's own pixel coordinates: x to the right, y down, (0, 0) the top-left corner of the top-left
pixel. The image is named by its position in the record (``Record.images`` order), which is what a
record shows and what an export keeps; the store maps it to its own image row.

A **region link** ties a region to a span of the record by the span's offsets and layer, not by the
span's row: saving a record's spans rewrites their rows, and a link must survive that as long as a
span with those offsets does. A span can also be marked **not visible** (nothing in the images
shows it: a negated or not imageable finding).

Whether a point lies inside the image is not checked here: the core does not decode images. What is
checked is what no image allows: negative, infinite or NaN coordinates, a box that is not two
distinct corners, an outline of fewer than three points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from madpg_core.domain import Record
from madpg_core.errors import MadpgError

RegionKind = Literal["box", "polygon"]
REGION_KINDS: tuple[str, ...] = ("box", "polygon")

SpanKey = tuple[int, int, int]  # (start, end, layer): how links and marks name a span


def _index(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MadpgError(f"{what} must be an integer ≥ 0, not {value!r}")
    return value


def _coordinate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MadpgError(f"a region's coordinates must be numbers, not {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise MadpgError(f"a region's coordinates must be finite and ≥ 0 (image pixels), not {value!r}")
    return v


def check_points(kind: str, points: Iterable[Sequence[object]]) -> tuple[tuple[float, float], ...]:
    """``points`` of a region of ``kind`` as float pairs, or MadpgError saying what is wrong. A box's
    two corners come back ordered (top-left, bottom-right), whichever way it was dragged."""
    if kind not in REGION_KINDS:
        raise MadpgError(f"a region is a box or a polygon, not {kind!r}")
    try:
        pts = tuple(points)
    except TypeError:
        raise MadpgError(f"a region's points must be a list of [x, y] pairs, not {points!r}") from None
    out = []
    for p in pts:
        if isinstance(p, (str, bytes)) or not isinstance(p, Sequence) or len(p) != 2:
            raise MadpgError(f"a region's point must be an [x, y] pair, not {p!r}")
        out.append((_coordinate(p[0]), _coordinate(p[1])))
    if kind == "box":
        if len(out) != 2:
            raise MadpgError(f"a box is given by its two corners, not {len(out)} points")
        (xa, ya), (xb, yb) = out
        if xa == xb or ya == yb:
            raise MadpgError(f"a box needs a width and a height; corners {out[0]} and {out[1]} make none")
        return ((min(xa, xb), min(ya, yb)), (max(xa, xb), max(ya, yb)))
    if len(out) < 3:
        raise MadpgError(f"an outline (polygon) needs at least 3 points, not {len(out)}")
    return tuple(out)


def bounding_box(points: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) around ``points``."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Region:
    """A box (its two corners) or a polygon (≥ 3 points) on image ``image_index`` of record
    ``record_id``, frame ``frame`` (0 for a single-frame image). ``id`` is None until stored."""

    id: int | None
    record_id: int
    image_index: int
    frame: int
    kind: RegionKind
    points: tuple[tuple[float, float], ...]
    annotator: str | None = None

    def __post_init__(self) -> None:
        if self.id is not None:
            _index(self.id, "a region's id")
        _index(self.record_id, "a region's record id")
        _index(self.image_index, "a region's image index")
        _index(self.frame, "a region's frame")
        object.__setattr__(self, "points", check_points(self.kind, self.points))
        if self.annotator is not None and not isinstance(self.annotator, str):
            raise MadpgError(f"a region's annotator must be a name, not {self.annotator!r}")

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1): the box itself, or the bounding box of a polygon."""
        return bounding_box(self.points)


@dataclass(frozen=True)
class RegionLink:
    """Region ``region_id`` shows the span [start, end) of layer ``layer`` of the region's record."""

    region_id: int
    start: int
    end: int
    layer: int = 0

    def __post_init__(self) -> None:
        _index(self.region_id, "a link's region id")
        check_span_key(self.start, self.end, self.layer)

    @property
    def span(self) -> SpanKey:
        return (self.start, self.end, self.layer)


def check_span_key(start: object, end: object, layer: object) -> SpanKey:
    s, e, l_ = _index(start, "a span's start"), _index(end, "a span's end"), _index(layer, "a span's layer")
    if e <= s:
        raise MadpgError(f"a span ends after it starts, not [{s}, {e})")
    return (s, e, l_)


# ---------------------------------------------------------------- a record's regions, portable


@dataclass(frozen=True)
class PortableRegion:
    """A region as a file holds it: no database ids, its links as the spans it shows."""

    image_index: int
    frame: int
    kind: RegionKind
    points: tuple[tuple[float, float], ...]
    annotator: str | None = None
    spans: tuple[SpanKey, ...] = ()

    def __post_init__(self) -> None:
        _index(self.image_index, "a region's image index")
        _index(self.frame, "a region's frame")
        object.__setattr__(self, "points", check_points(self.kind, self.points))
        object.__setattr__(self, "spans", tuple(sorted({check_span_key(*k) for k in self.spans})))


@dataclass(frozen=True)
class RecordGrounding:
    """Everything a record holds about its images' regions: the regions with their links, and the
    spans marked not visible. Empty when the record has none."""

    regions: tuple[PortableRegion, ...] = ()
    not_visible: tuple[SpanKey, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "not_visible", tuple(sorted({check_span_key(*k) for k in self.not_visible})))

    def __bool__(self) -> bool:
        return bool(self.regions or self.not_visible)

    def within(self, record: Record) -> RecordGrounding:
        """This grounding without the links and marks of spans ``record`` does not have."""
        spans = {(s.start, s.end, s.layer) for s in record.spans}
        regions = tuple(r if set(r.spans) <= spans else replace(r, spans=tuple(k for k in r.spans if k in spans))
                        for r in self.regions)
        return RecordGrounding(regions, tuple(k for k in self.not_visible if k in spans))

    def check(self, record: Record) -> None:
        """MadpgError unless every region names one of ``record``'s images and every link and mark
        one of its spans (same offsets and layer)."""
        spans = {(s.start, s.end, s.layer) for s in record.spans}
        for r in self.regions:
            if r.image_index >= len(record.images):
                raise MadpgError(f"a region is on image {r.image_index + 1}, but the record has "
                                 f"{len(record.images)} image(s)")
            for k in r.spans:
                if k not in spans:
                    raise MadpgError(f"a region is linked to span [{k[0]}, {k[1]}) of layer {k[2]}, which the "
                                     "record does not have")
        for k in self.not_visible:
            if k not in spans:
                raise MadpgError(f"span [{k[0]}, {k[1]}) of layer {k[2]} is marked not visible, but the record "
                                 "does not have it")
        linked = {k for r in self.regions for k in r.spans}
        both = sorted(linked & set(self.not_visible))
        if both:
            k = both[0]
            raise MadpgError(f"span [{k[0]}, {k[1]}) of layer {k[2]} is both linked to a region and marked not "
                             "visible")


@dataclass(frozen=True)
class GroundedRecord(Record):
    """A record carrying its regions, links and not-visible marks (``grounding``), as the project's
    own JSONL reads and writes them; everything else treats it as the Record it is."""

    grounding: RecordGrounding = field(default_factory=RecordGrounding)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.grounding, RecordGrounding):
            raise MadpgError(f"a record's grounding must be a RecordGrounding, not {self.grounding!r}")
        # Spans may leave a record after it was read (an import's type map drops a type): their links
        # and marks go with them, as a project ignores those of a deleted span. A region on an image
        # the record lacks has nowhere to be, and is an error.
        object.__setattr__(self, "grounding", self.grounding.within(self))
        for r in self.grounding.regions:
            if r.image_index >= len(self.images):
                raise MadpgError(f"a region is on image {r.image_index + 1}, but record {self.name or self.id!r} "
                                 f"has {len(self.images)} image(s)")


def grounding_of(record: Record) -> RecordGrounding:
    """``record``'s regions (empty for a plain Record)."""
    return getattr(record, "grounding", None) or RecordGrounding()
