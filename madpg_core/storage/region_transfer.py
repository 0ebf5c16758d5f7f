"""Regions of many records at once: read for an export (the project's JSONL, the grounding file),
written by an import. One record at a time, as the GUI edits them, is storage/regions.py; this module
reads the same tables a chunk of records per query, so that an export of thousands of records pays a
few queries per chunk instead of several per record.

What is read here follows the rules of regions.py: only links and not-visible marks whose gold span
still exists. Like repo.py, the functions take the session first and never commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from madpg_core.domain import Record
from madpg_core.errors import MadpgError
from madpg_core.regions import (
    GroundedRecord,
    PortableRegion,
    RecordGrounding,
    Region,
    SpanKey,
    grounding_of,
)
from madpg_core.storage.orm import (
    AnnotatorRow,
    ImageRow,
    InvisibleSpanRow,
    RecordRow,
    RegionLinkRow,
    RegionRow,
    SpanRow,
)
from madpg_core.storage.regions import _annotator_id, _session_annotator

CHUNK = 500  # records per IN (…) query: well under SQLite's 32,766 bound parameters


@dataclass
class Loaded:
    """One record's regions as the store holds them, read with those of other records."""

    regions: list[Region] = field(default_factory=list)
    links: list[tuple[int, SpanKey]] = field(default_factory=list)  # (region id, span), span existing
    not_visible: list[SpanKey] = field(default_factory=list)  # existing spans, in order

    def grounding(self) -> RecordGrounding:
        by_region: dict[int, list[SpanKey]] = {}
        for rid, key in self.links:
            by_region.setdefault(rid, []).append(key)
        return RecordGrounding(tuple(PortableRegion(g.image_index, g.frame, g.kind, g.points, g.annotator,
                                                    tuple(by_region.get(g.id, ()))) for g in self.regions),
                               tuple(self.not_visible))


def load(s: Session, record_ids: Sequence[int]) -> dict[int, Loaded]:
    """The regions, links and not-visible marks of ``record_ids`` (every id has an entry)."""
    out: dict[int, Loaded] = {rid: Loaded() for rid in record_ids}
    for lo in range(0, len(record_ids), CHUNK):
        _load_chunk(s, list(record_ids[lo : lo + CHUNK]), out)
    return out


def _load_chunk(s: Session, ids: list[int], out: dict[int, Loaded]) -> None:
    rows = s.scalars(select(RegionRow).where(RegionRow.record_id.in_(ids)).order_by(RegionRow.id)).all()
    marks = s.execute(select(InvisibleSpanRow.record_id, InvisibleSpanRow.start, InvisibleSpanRow.end,
                             InvisibleSpanRow.layer).where(InvisibleSpanRow.record_id.in_(ids))
                      .order_by(InvisibleSpanRow.record_id, InvisibleSpanRow.start, InvisibleSpanRow.end,
                                InvisibleSpanRow.layer)).all()
    if not rows and not marks:
        return
    gold: dict[int, set[SpanKey]] = {}
    for rid, a, b, c in s.execute(select(SpanRow.record_id, SpanRow.start, SpanRow.end, func.coalesce(SpanRow.layer, 0))
                                  .where(SpanRow.record_id.in_(ids), SpanRow.sheet_of.is_(None))):
        gold.setdefault(rid, set()).add((a, b, c))
    for rid, a, b, c in marks:
        if (a, b, c) in gold.get(rid, ()):
            out[rid].not_visible.append((a, b, c))
    if not rows:
        return
    images: dict[int, list[int]] = {}
    for iid, rid in s.execute(select(ImageRow.id, ImageRow.record_id).where(ImageRow.record_id.in_(ids))
                              .order_by(ImageRow.record_id, ImageRow.position, ImageRow.id)):
        images.setdefault(rid, []).append(iid)
    who = {r.annotator_id for r in rows if r.annotator_id is not None}
    names = dict(s.execute(select(AnnotatorRow.id, AnnotatorRow.name).where(AnnotatorRow.id.in_(who))).all()) if who else {}
    for r in rows:
        out[r.record_id].regions.append(Region(r.id, r.record_id, images[r.record_id].index(r.image_id), r.frame,
                                                r.kind, tuple(tuple(p) for p in r.points), names.get(r.annotator_id)))
    for reg, rid, a, b, c in s.execute(
            select(RegionLinkRow.region_id, RegionLinkRow.record_id, RegionLinkRow.start, RegionLinkRow.end,
                   RegionLinkRow.layer).where(RegionLinkRow.record_id.in_(ids))
            .order_by(RegionLinkRow.region_id, RegionLinkRow.start, RegionLinkRow.end, RegionLinkRow.layer)):
        if (a, b, c) in gold.get(rid, ()):
            out[rid].links.append((reg, (a, b, c)))


def record_ids_with_regions(s: Session) -> set[int]:
    """Records that have a region or a not-visible mark."""
    return set(s.scalars(select(RegionRow.record_id).union(select(InvisibleSpanRow.record_id))))


def record_grounding(s: Session, record_id: int) -> RecordGrounding:
    """The record's regions with the spans each is linked to, and its not-visible marks: what the
    project's JSONL writes (only links and marks whose span exists)."""
    return load(s, [record_id])[record_id].grounding()


# ---------------------------------------------------------------- export


def grounded(s: Session, records: Iterable[Record], *, chunk: int = CHUNK) -> Iterator[Record]:
    """``records`` (read from this project), each that has regions or not-visible marks as a
    GroundedRecord carrying them: what an export of the project's JSONL writes. Records are read
    ahead a chunk at a time, so an export pays a few queries per chunk."""
    having = record_ids_with_regions(s)
    if not having:
        yield from records
        return
    batch: list[Record] = []
    for r in records:
        batch.append(r)
        if len(batch) >= chunk:
            yield from _grounded_batch(s, batch, having)
            batch = []
    yield from _grounded_batch(s, batch, having)


def _grounded_batch(s: Session, batch: list[Record], having: set[int]) -> Iterator[Record]:
    wanted = [r.id for r in batch if r.id in having and not isinstance(r, GroundedRecord)]
    loaded = load(s, wanted) if wanted else {}
    for r in batch:
        if r.id in loaded:
            g = _on_existing_images(loaded[r.id].grounding(), r.images)
            if g:
                r = GroundedRecord(r.text, r.spans, r.images, r.name, r.status, r.id, r.image_names, grounding=g)
        yield r


def _on_existing_images(g: RecordGrounding, images: Sequence[str]) -> RecordGrounding:
    """``g`` as an export sees it: an image file the project has lost is left out of the export
    (transfer._ImageCopies), so its regions go and the later images' indices close up. Paths that
    are not absolute (no image root given) are taken as present."""
    lost = [i for i, p in enumerate(images) if Path(p).is_absolute() and not Path(p).is_file()]
    if not lost:
        return g
    kept = [i for i in range(len(images)) if i not in lost]
    return RecordGrounding(tuple(dataclasses.replace(r, image_index=kept.index(r.image_index)) for r in g.regions
                                 if r.image_index in kept), g.not_visible)


# ---------------------------------------------------------------- import


def store_grounding(s: Session, record_id: int, grounding: RecordGrounding, *, replace: bool = False) -> int:
    """Add ``grounding`` (read from a file) to record ``record_id`` → the regions added; with
    ``replace``, the record's own regions and marks go first (an import replacing the record). Each
    region keeps the annotator the file names; the marks are the session's annotator's. Links and
    marks are checked against the record's gold spans and images as ``regions.link`` and
    ``regions.set_not_visible`` check them; a refusal is a MadpgError (the caller's transaction
    then rolls back)."""
    if s.get(RecordRow, record_id) is None:
        raise MadpgError(f"record {record_id} does not exist")
    return _store(s, [(record_id, grounding)], replace)


def store_imported(s: Session, stored: Iterable[tuple[int, Record]], *, replace: bool = False) -> int:
    """After an import wrote records (``stored``: (project id, record read from the file)), store the
    regions of those that carry some → regions added, checked as ``store_grounding`` checks them.
    ``replace``: the records replaced existing ones, whose own regions and marks go (their images
    were replaced too). Written a chunk of records per query."""
    items = [(rid, grounding_of(r)) for rid, r in stored]
    if not replace:
        items = [(rid, g) for rid, g in items if g]
    return sum(_store(s, items[lo : lo + CHUNK], replace) for lo in range(0, len(items), CHUNK))


def _store(s: Session, items: list[tuple[int, RecordGrounding]], replace: bool) -> int:
    ids = [rid for rid, _ in items]
    if not ids:
        return 0
    if replace:
        for table in (RegionLinkRow, RegionRow, InvisibleSpanRow):
            s.execute(delete(table).where(table.record_id.in_(ids)))
    items = [(rid, g) for rid, g in items if g]
    ids = [rid for rid, _ in items]
    if not ids:
        return 0
    images: dict[int, list[int]] = {}
    for iid, rid in s.execute(select(ImageRow.id, ImageRow.record_id).where(ImageRow.record_id.in_(ids))
                              .order_by(ImageRow.record_id, ImageRow.position, ImageRow.id)):
        images.setdefault(rid, []).append(iid)
    gold: dict[int, set[SpanKey]] = {}
    for rid, a, b, c in s.execute(select(SpanRow.record_id, SpanRow.start, SpanRow.end, func.coalesce(SpanRow.layer, 0))
                                  .where(SpanRow.record_id.in_(ids), SpanRow.sheet_of.is_(None))):
        gold.setdefault(rid, set()).add((a, b, c))
    marked: dict[int, set[SpanKey]] = {}
    for rid, a, b, c in s.execute(select(InvisibleSpanRow.record_id, InvisibleSpanRow.start, InvisibleSpanRow.end,
                                         InvisibleSpanRow.layer).where(InvisibleSpanRow.record_id.in_(ids))):
        marked.setdefault(rid, set()).add((a, b, c))
    for rid, g in items:
        _check(rid, g, images.get(rid, []), gold.get(rid, set()), marked.get(rid, set()))
    who = {name: _annotator_id(s, name) for name in {r.annotator for _, g in items for r in g.regions}}
    placed = [(rid, r) for rid, g in items for r in g.regions]
    if placed:
        rows = [{"record_id": rid, "image_id": images[rid][r.image_index], "frame": r.frame, "kind": r.kind,
                 "points": [[x, y] for x, y in r.points], "annotator_id": who[r.annotator]} for rid, r in placed]
        new_ids = list(s.scalars(insert(RegionRow).returning(RegionRow.id, sort_by_parameter_order=True), rows))
        links = [{"region_id": nid, "record_id": rid, "start": a, "end": b, "layer": c,
                  "annotator_id": who[r.annotator]}
                 for nid, (rid, r) in zip(new_ids, placed) for a, b, c in r.spans]
        if links:
            s.execute(insert(RegionLinkRow), links)
    marks = [(rid, k) for rid, g in items for k in g.not_visible if k not in marked.get(rid, ())]
    if marks:
        me = _annotator_id(s, _session_annotator(s))
        s.execute(insert(InvisibleSpanRow), [{"record_id": rid, "start": a, "end": b, "layer": c, "annotator_id": me}
                                             for rid, (a, b, c) in marks])
    return len(placed)


def _check(record_id: int, g: RecordGrounding, images: list[int], gold: set[SpanKey], marked: set[SpanKey]) -> None:
    linked = {k for r in g.regions for k in r.spans}
    missing = sorted((linked | set(g.not_visible)) - gold)
    if missing:
        k = missing[0]
        raise MadpgError(f"record {record_id} has no span [{k[0]}, {k[1]}) in layer {k[2]} for a region link or "
                         "a not-visible mark")
    both = sorted(linked & (set(g.not_visible) | marked))
    if both:
        raise MadpgError(f"span [{both[0][0]}, {both[0][1]}) is both linked to a region and marked not visible")
    far = [r.image_index for r in g.regions if r.image_index >= len(images)]
    if far:
        raise MadpgError(f"record {record_id} has {len(images)} image(s); a region is on image {far[0] + 1}")
