"""Regions on a record's images, their links to spans, and spans marked not visible (issue 18 item 1).

Like repo.py, every function takes the session first and never commits: the caller owns one
transaction per user action (``with project.transaction() as s: ...``). The annotator of what is
made here is the session's (``s.info["annotator"]``, set by Project.transaction), None when absent.

Links and not-visible marks name a **gold span** (``spans.sheet_of IS NULL``) by its offsets and
layer. Both are refused for a span the record does not have. A span that is deleted later leaves its
links and marks in the table, where they are *ignored by every read*: ``links``, ``regions_of_span``,
``spans_of_region``, ``not_visible`` and the exports see only those whose span still exists. So
undoing a span's deletion (the same offsets and layer again) brings its links back, and a caller that
never prunes still reads a consistent state. ``prune`` removes them for good (see
scratch/regions-core-notes.md for when the lead calls it). Reading and writing many records'
regions at once (exports, imports) is storage/region_transfer.py.

A span cannot be both linked to a region and marked not visible: each of the two refuses while the
other holds (the grounding file would otherwise say both "here it is" and "it cannot be seen").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from madpg_core.errors import MadpgError, StaleWriteError
from madpg_core.regions import (
    Region,
    RegionLink,
    SpanKey,
    check_points,
    check_span_key,
)
from madpg_core.storage import history
from madpg_core.storage.annotators import ensure_annotator
from madpg_core.storage.history import JsonDoc
from madpg_core.storage.orm import (
    AnnotatorRow,
    ImageRow,
    InvisibleSpanRow,
    RecordRow,
    RegionLinkRow,
    RegionRow,
    SpanRow,
)

# ---------------------------------------------------------------- helpers


def _annotator_id(s: Session, name: str | None) -> int | None:
    """The id of annotator ``name``, added to the project on first use; None for no name."""
    return ensure_annotator(s, name) if name and name.strip() else None


LazyDoc = JsonDoc | Callable[[], JsonDoc]

# What the history calls region edits (all in history.ACTIONS).
REGION_ACTIONS = ("add_region", "move_region", "delete_region", "restore_region", "link_region", "unlink_region",
                  "set_not_visible")


def _log(s: Session, action: str, record_id: int, before: LazyDoc, after: LazyDoc) -> None:
    """Log ``action``; ``before``/``after`` may be callables (documents built only when needed)."""
    history.log(s, action, record_id, before() if callable(before) else before,
                after() if callable(after) else after)


def region_doc(r: Region) -> dict:
    """A region as a history entry keeps it."""
    return {"id": r.id, "image_index": r.image_index, "frame": r.frame, "kind": r.kind,
            "points": [[x, y] for x, y in r.points], "annotator": r.annotator}


def _link_doc(region_id: int, key: SpanKey) -> dict:
    return {"region_id": region_id, "start": key[0], "end": key[1], "layer": key[2]}


def _session_annotator(s: Session) -> str | None:
    name = s.info.get("annotator")
    return name if isinstance(name, str) and name else None


def _annotator_names(s: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(s.execute(select(AnnotatorRow.id, AnnotatorRow.name).where(AnnotatorRow.id.in_(wanted))).all())


def _check_record(s: Session, record_id: int) -> None:
    if s.get(RecordRow, record_id) is None:
        raise MadpgError(f"record {record_id} does not exist")


def _image_ids(s: Session, record_id: int) -> list[int]:
    """The record's image ids in the record's order (``Record.images``)."""
    return list(s.scalars(select(ImageRow.id).where(ImageRow.record_id == record_id)
                          .order_by(ImageRow.position, ImageRow.id)))


def _region_row(s: Session, region_id: int) -> RegionRow:
    row = s.get(RegionRow, region_id)
    if row is None:
        raise MadpgError(f"region {region_id} does not exist (deleted meanwhile?)")
    return row


def _gold_spans(s: Session, record_id: int) -> set[SpanKey]:
    """(start, end, layer) of the record's gold spans (a NULL layer is a row from before layers: 0)."""
    rows = s.execute(select(SpanRow.start, SpanRow.end, func.coalesce(SpanRow.layer, 0))
                     .where(SpanRow.record_id == record_id, SpanRow.sheet_of.is_(None)))
    return {(a, b, c) for a, b, c in rows}


def _require_span(s: Session, record_id: int, key: SpanKey) -> None:
    if key not in _gold_spans(s, record_id):
        raise MadpgError(f"record {record_id} has no span [{key[0]}, {key[1]}) in layer {key[2]}; "
                         "a region links to one of the record's spans")


def _to_region(row: RegionRow, image_ids: list[int], names: dict[int, str]) -> Region:
    return Region(row.id, row.record_id, image_ids.index(row.image_id), row.frame, row.kind,
                  tuple(tuple(p) for p in row.points), names.get(row.annotator_id))


def _points_json(points: tuple[tuple[float, float], ...]) -> list[list[float]]:
    return [[x, y] for x, y in points]


# ---------------------------------------------------------------- regions


def add_region(s: Session, region: Region) -> int:
    """Store ``region`` (its id is ignored) → its new id. Its annotator is the session's, else the
    region's own. The image index must name one of the record's images."""
    _check_record(s, region.record_id)
    images = _image_ids(s, region.record_id)
    if region.image_index >= len(images):
        raise MadpgError(f"record {region.record_id} has {len(images)} image(s); there is no image "
                         f"{region.image_index + 1} to draw on")
    row = RegionRow(record_id=region.record_id, image_id=images[region.image_index], frame=region.frame,
                    kind=region.kind, points=_points_json(region.points),
                    annotator_id=_annotator_id(s, _session_annotator(s) or region.annotator))
    s.add(row)
    s.flush()
    _log(s, "add_region", region.record_id, None, lambda: region_doc(get_region(s, row.id)))
    return row.id


def move_region(s: Session, region_id: int, points, expected=None) -> None:
    """Give the region new ``points`` (moved, resized, reshaped; its kind stays). The region becomes
    the session's annotator's, as a changed span does. With ``expected`` (the points the caller
    read), a region someone else moved or deleted since is a StaleWriteError, not overwritten."""
    row = s.get(RegionRow, region_id)
    if row is None:
        if expected is not None:
            raise StaleWriteError(f"region {region_id} was deleted by someone else since it was read")
        raise MadpgError(f"region {region_id} does not exist (deleted meanwhile?)")
    new = _points_json(check_points(row.kind, points))
    before = row.points
    if expected is not None and [list(p) for p in check_points(row.kind, expected)] != [list(p) for p in before]:
        who = _annotator_names(s, [row.annotator_id]).get(row.annotator_id, "someone else")
        raise StaleWriteError(f"region {region_id} was changed by {who} since it was read; the record was reloaded")
    row.points = new
    who = _annotator_id(s, _session_annotator(s))
    if who is not None:
        row.annotator_id = who
    s.flush()
    _log(s, "move_region", row.record_id, {"id": region_id, "points": before}, {"id": region_id, "points": new})


def get_region(s: Session, region_id: int) -> Region:
    row = _region_row(s, region_id)
    return _to_region(row, _image_ids(s, row.record_id), _annotator_names(s, [row.annotator_id]))


def delete_region(s: Session, region_id: int) -> tuple[Region, list[RegionLink]]:
    """Remove the region and its links → what was removed, for ``restore_region`` (undo). The links
    returned are every stored one, also those whose span is gone (restoring them is harmless: reads
    ignore them)."""
    region = get_region(s, region_id)
    rows = s.scalars(select(RegionLinkRow).where(RegionLinkRow.region_id == region_id)
                     .order_by(RegionLinkRow.start, RegionLinkRow.end, RegionLinkRow.layer)).all()
    links = [RegionLink(region_id, r.start, r.end, r.layer) for r in rows]
    s.execute(delete(RegionLinkRow).where(RegionLinkRow.region_id == region_id))
    s.execute(delete(RegionRow).where(RegionRow.id == region_id))
    s.flush()
    _log(s, "delete_region", region.record_id, region_doc(region) | {"links": [_link_doc(region_id, ln.span)
                                                                               for ln in links]}, None)
    return region, links


def restore_region(s: Session, region: Region, links: Iterable[RegionLink]) -> int:
    """Put back a region ``delete_region`` removed, with its links and its original annotator → its
    id: the old one where it is still free (so that what refers to it stays valid), else a new one."""
    _check_record(s, region.record_id)
    images = _image_ids(s, region.record_id)
    if region.image_index >= len(images):
        raise MadpgError(f"record {region.record_id} no longer has image {region.image_index + 1}; the region "
                         "cannot be restored")
    row = RegionRow(record_id=region.record_id, image_id=images[region.image_index], frame=region.frame,
                    kind=region.kind, points=_points_json(region.points),
                    annotator_id=_annotator_id(s, region.annotator))
    if region.id is not None and s.get(RegionRow, region.id) is None:
        row.id = region.id
    s.add(row)
    s.flush()
    who = row.annotator_id
    keys = sorted({ln.span for ln in links})
    for k in keys:
        s.add(RegionLinkRow(region_id=row.id, record_id=region.record_id, start=k[0], end=k[1], layer=k[2],
                            annotator_id=who))
    s.flush()
    _log(s, "restore_region", region.record_id, None,
         lambda: region_doc(dataclasses.replace(region, id=row.id)) | {"links": [_link_doc(row.id, k) for k in keys]})
    return row.id


def list_regions(s: Session, record_id: int) -> list[Region]:
    """The record's regions, oldest first."""
    rows = s.scalars(select(RegionRow).where(RegionRow.record_id == record_id).order_by(RegionRow.id)).all()
    if not rows:
        return []
    images = _image_ids(s, record_id)
    names = _annotator_names(s, [r.annotator_id for r in rows])
    return [_to_region(r, images, names) for r in rows]


# ---------------------------------------------------------------- links


def link(s: Session, region_id: int, start: int, end: int, layer: int = 0) -> None:
    """Link the region to its record's span [start, end) of ``layer``. Linking twice is one link."""
    key = check_span_key(start, end, layer)
    row = _region_row(s, region_id)
    _require_span(s, row.record_id, key)
    if key in _marked(s, row.record_id):
        raise MadpgError(f"span [{start}, {end}) is marked not visible in the images; clear that mark before "
                         "linking it to a region")
    exists = s.scalar(select(RegionLinkRow.id).where(RegionLinkRow.region_id == region_id, RegionLinkRow.start == start,
                                                     RegionLinkRow.end == end, RegionLinkRow.layer == layer))
    if exists is None:
        s.add(RegionLinkRow(region_id=region_id, record_id=row.record_id, start=start, end=end, layer=layer,
                            annotator_id=_annotator_id(s, _session_annotator(s))))
        s.flush()
        _log(s, "link_region", row.record_id, None, _link_doc(region_id, key))


def unlink(s: Session, region_id: int, start: int, end: int, layer: int = 0) -> None:
    """Remove the link between the region and span [start, end) of ``layer``; nothing to remove is
    not an error (undo and redo may meet a link already gone), a region that does not exist is."""
    key = check_span_key(start, end, layer)
    row = _region_row(s, region_id)
    gone = s.execute(delete(RegionLinkRow).where(RegionLinkRow.region_id == region_id, RegionLinkRow.start == key[0],
                                                 RegionLinkRow.end == key[1], RegionLinkRow.layer == key[2]))
    s.flush()
    if gone.rowcount:
        _log(s, "unlink_region", row.record_id, _link_doc(region_id, key), None)


def _link_rows(s: Session, record_id: int) -> list[tuple[int, int, int, int]]:
    """(region_id, start, end, layer) of the record's links whose span still exists."""
    gold = _gold_spans(s, record_id)
    rows = s.execute(select(RegionLinkRow.region_id, RegionLinkRow.start, RegionLinkRow.end, RegionLinkRow.layer)
                     .where(RegionLinkRow.record_id == record_id)
                     .order_by(RegionLinkRow.region_id, RegionLinkRow.start, RegionLinkRow.end, RegionLinkRow.layer))
    return [(r, a, b, c) for r, a, b, c in rows if (a, b, c) in gold]


def links(s: Session, record_id: int) -> list[RegionLink]:
    """The record's links whose span exists, by region then span."""
    return [RegionLink(r, a, b, c) for r, a, b, c in _link_rows(s, record_id)]


def regions_of_span(s: Session, record_id: int, start: int, end: int, layer: int = 0) -> list[int]:
    """Ids of the regions linked to span [start, end) of ``layer`` (none when the span is gone)."""
    key = check_span_key(start, end, layer)
    return [r for r, a, b, c in _link_rows(s, record_id) if (a, b, c) == key]


def spans_of_region(s: Session, region_id: int) -> list[tuple[int, int, int]]:
    """(start, end, layer) of the spans the region is linked to (those that still exist)."""
    row = _region_row(s, region_id)
    return [(a, b, c) for r, a, b, c in _link_rows(s, row.record_id) if r == region_id]


# ---------------------------------------------------------------- not visible


def _marked(s: Session, record_id: int) -> set[SpanKey]:
    rows = s.execute(select(InvisibleSpanRow.start, InvisibleSpanRow.end, InvisibleSpanRow.layer)
                     .where(InvisibleSpanRow.record_id == record_id))
    return {(a, b, c) for a, b, c in rows}


def set_not_visible(s: Session, record_id: int, start: int, end: int, layer: int = 0, value: bool = True) -> None:
    """Mark span [start, end) of ``layer`` not visible in the images (``value`` True) or clear the
    mark (False; clearing a mark that is not there is not an error). Marking needs the span to exist
    and to have no region linked."""
    key = check_span_key(start, end, layer)
    _check_record(s, record_id)
    doc = {"start": start, "end": end, "layer": layer}
    if not value:
        gone = s.execute(delete(InvisibleSpanRow).where(InvisibleSpanRow.record_id == record_id,
                                                        InvisibleSpanRow.start == start, InvisibleSpanRow.end == end,
                                                        InvisibleSpanRow.layer == layer))
        s.flush()
        if gone.rowcount:
            _log(s, "set_not_visible", record_id, doc | {"not_visible": True}, doc | {"not_visible": False})
        return
    _require_span(s, record_id, key)
    linked = [r for r, a, b, c in _link_rows(s, record_id) if (a, b, c) == key]
    if linked:
        raise MadpgError(f"span [{start}, {end}) is linked to {len(linked)} region(s); unlink them before marking "
                         "it not visible in the images")
    if key not in _marked(s, record_id):
        s.add(InvisibleSpanRow(record_id=record_id, start=start, end=end, layer=layer,
                               annotator_id=_annotator_id(s, _session_annotator(s))))
        s.flush()
        _log(s, "set_not_visible", record_id, doc | {"not_visible": False}, doc | {"not_visible": True})


def not_visible(s: Session, record_id: int) -> set[tuple[int, int, int]]:
    """(start, end, layer) of the record's spans marked not visible (those that still exist)."""
    return _marked(s, record_id) & _gold_spans(s, record_id)


# ---------------------------------------------------------------- clean-up


def prune(s: Session, record_id: int) -> int:
    """Remove the record's links and not-visible marks whose span no longer exists → how many. Reads
    already ignore them; after this, undoing the span's deletion no longer brings them back."""
    gold = _gold_spans(s, record_id)
    stale_links = [(r, a, b, c) for r, a, b, c in s.execute(
        select(RegionLinkRow.id, RegionLinkRow.start, RegionLinkRow.end, RegionLinkRow.layer)
        .where(RegionLinkRow.record_id == record_id)) if (a, b, c) not in gold]
    stale_marks = sorted(_marked(s, record_id) - gold)
    if stale_links:
        s.execute(delete(RegionLinkRow).where(RegionLinkRow.id.in_([r for r, *_ in stale_links])))
    if stale_marks:
        s.execute(delete(InvisibleSpanRow).where(
            InvisibleSpanRow.record_id == record_id,
            tuple_(InvisibleSpanRow.start, InvisibleSpanRow.end, InvisibleSpanRow.layer).in_(stale_marks)))
    s.flush()
    return len(stale_links) + len(stale_marks)
