"""The grounding file: a project's region links as JSON lines, one line per link, for training a
grounding model (phrase → region), the way MS-CXR or PadChest-GR are laid out.

A line of a link::

    {"record": "r1", "record_id": 3, "text": "心影增大", "start": 0, "end": 4, "layer": 0,
     "type": "Symptom", "assertion": "present", "visible": true, "region_id": 7,
     "image": "chest.dcm", "image_index": 0, "image_sha256": "ab12…", "frame": 0,
     "width": 2048, "height": 2048, "kind": "box", "box": [x0, y0, x1, y1], "annotator": "李医生"}

``box`` is always there (a polygon's bounding box); a polygon adds ``"polygon": [[x, y], …]``.
Coordinates are the image's own pixels (x right, y down, from the top-left corner). ``image`` is the
file name the image was imported under, ``image_sha256`` the hash of the file the project stores (of
the de-identified file for a DICOM whose header was stripped); ``width`` and ``height`` are the
image's size in pixels, read from its header (null where the project's file cannot be read), so
that a reader can normalise the coordinates. A span marked not visible in the
images is one line with ``"visible": false`` and no region fields. Links whose span was deleted are
not written (see storage/regions.py). Lines come in record order, then span order.

The file is written under a temporary name beside the target and renamed when complete, as every
export (transfer.py): a stopped or failed export leaves no half file under the target's name.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from madpg_core.domain import AssertionStatus, RecordStatus
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.formats.common import LINE_BREAKS_JSON_KEEPS
from madpg_core.storage import region_transfer
from madpg_core.storage.orm import (
    EntityTypeRow,
    ImageRow,
    InvisibleSpanRow,
    RecordRow,
    RegionRow,
    SpanRow,
)


@dataclass(frozen=True)
class GroundingCounts:
    """What an export of the grounding file wrote."""

    links: int = 0  # lines of a region
    not_visible: int = 0  # lines of a span marked not visible
    records: int = 0  # records with at least one line

    @property
    def lines(self) -> int:
        return self.links + self.not_visible


def _record_ids(s: Session, wanted: list[RecordStatus] | None) -> list[int]:
    """Records that have a region or a not-visible mark (and the status asked for), in id order."""
    having = select(RegionRow.record_id).union(select(InvisibleSpanRow.record_id)).subquery()
    q = select(RecordRow.id).where(RecordRow.id.in_(select(having.c[0]))).order_by(RecordRow.id)
    if wanted:
        q = q.where(RecordRow.status.in_([RecordStatus(x).value for x in wanted]))
    return list(s.scalars(q))


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an image file from its header alone (no pixels decoded); None when it
    cannot be read."""
    from madpg_core.vision.images import is_dicom

    try:
        if is_dicom(path):
            import pydicom

            ds = pydicom.dcmread(str(path), stop_before_pixels=True)
            return int(ds.Columns), int(ds.Rows)
        from PIL import Image

        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - a size is a convenience: an unreadable header leaves it null
        return None


class _Sizes:
    """Image sizes by stored file, each read once per export (one image shows in many records)."""

    def __init__(self, root: str | None) -> None:
        self.root = Path(root) if root else None
        self.known: dict[str, tuple[int, int] | None] = {}

    def __call__(self, rel_path: str) -> tuple[int, int] | None:
        if self.root is None:
            return None
        if rel_path not in self.known:
            self.known[rel_path] = image_size(self.root / rel_path)
        return self.known[rel_path]


def record_lines(s: Session, record_id: int, image_root: str | None = None) -> list[dict]:
    """The grounding lines of one record: its links, then its not-visible spans, in span order.
    ``image_root``: the project folder, where image sizes are read (None: sizes left null)."""
    if s.get(RecordRow, record_id) is None:
        raise MadpgError(f"record {record_id} does not exist")
    return [line for _, lines in _chunk_lines(s, [record_id], _Sizes(image_root)) for line in lines]


def _chunk_lines(s: Session, ids: list[int], sizes: _Sizes) -> Iterator[tuple[int, list[dict]]]:
    """(record id, its lines) for ``ids``, in their order, read with a few queries for them all."""
    loaded = region_transfer.load(s, ids)
    records = {i: (name, text) for i, name, text in s.execute(
        select(RecordRow.id, RecordRow.name, RecordRow.text).where(RecordRow.id.in_(ids)))}
    spans: dict[int, dict[tuple[int, int, int], tuple[str, str | None]]] = {}
    for rid, a, b, c, type_name, assertion in s.execute(
            select(SpanRow.record_id, SpanRow.start, SpanRow.end, func.coalesce(SpanRow.layer, 0), EntityTypeRow.name,
                   SpanRow.assertion).join(EntityTypeRow, EntityTypeRow.id == SpanRow.type_id)
            .where(SpanRow.record_id.in_(ids), SpanRow.sheet_of.is_(None))):
        spans.setdefault(rid, {})[(a, b, c)] = (type_name, assertion)
    images: dict[int, list[ImageRow]] = {}
    for im in s.scalars(select(ImageRow).where(ImageRow.record_id.in_(ids))
                        .order_by(ImageRow.record_id, ImageRow.position, ImageRow.id)):
        images.setdefault(im.record_id, []).append(im)
    for rid in ids:
        name, text = records[rid]
        mine = loaded[rid]

        def span_fields(key: tuple[int, int, int]) -> dict:
            type_name, assertion = spans[rid][key]  # noqa: B023 - used within this iteration
            return {"record": name, "record_id": rid, "text": text[key[0]:key[1]],  # noqa: B023
                    "start": key[0], "end": key[1], "layer": key[2], "type": type_name,
                    "assertion": assertion or AssertionStatus.PRESENT.value}

        by_id = {g.id: g for g in mine.regions}
        out: list[tuple[tuple, dict]] = []
        for region_id, key in mine.links:
            g = by_id[region_id]
            image = images[rid][g.image_index]
            size = sizes(image.rel_path)
            line = span_fields(key) | {
                "visible": True, "region_id": g.id,
                "image": image.original_name or PurePosixPath(image.rel_path).name, "image_index": g.image_index,
                "image_sha256": image.sha256, "frame": g.frame,
                "width": size[0] if size else None, "height": size[1] if size else None,
                "kind": g.kind, "box": list(g.box)}
            if g.kind == "polygon":
                line["polygon"] = [[x, y] for x, y in g.points]
            line["annotator"] = g.annotator
            out.append(((*key, 0, g.id), line))
        for key in mine.not_visible:
            out.append(((*key, 1, 0), span_fields(key) | {"visible": False}))
        yield rid, [line for _, line in sorted(out, key=lambda kv: kv[0])]


def iter_lines(s: Session, status: Literal["all", "reviewed"] = "all", image_root: str | None = None, *,
               chunk: int = region_transfer.CHUNK) -> Iterator[dict]:
    """Every line of the grounding file, in record order (records read a chunk at a time)."""
    wanted = [RecordStatus.REVIEWED] if status == "reviewed" else None
    sizes = _Sizes(image_root)
    ids = _record_ids(s, wanted)
    for lo in range(0, len(ids), chunk):
        for _, lines in _chunk_lines(s, ids[lo : lo + chunk], sizes):
            yield from lines


def dumps(line: dict) -> str:
    return json.dumps(line, ensure_ascii=False, allow_nan=False).translate(LINE_BREAKS_JSON_KEEPS)


def export_grounding(project, out: Path | str, status: Literal["all", "reviewed"] = "all", *,
                     stop: threading.Event | None = None) -> GroundingCounts:
    """Write the grounding file of ``project`` (anything with ``reading()``: a project, or the masked
    copy the personal-information gate gives) to ``out`` → what was written."""
    if status not in ("all", "reviewed"):
        raise MadpgError(f"status must be 'all' or 'reviewed', not {status!r}")
    out = Path(out)
    if out.is_dir():
        raise MadpgError(f"{out} is a folder; give a file name to export the grounding file to")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    links = hidden = 0
    records: set[int] = set()
    try:
        with project.reading() as s, open(tmp, "w", encoding="utf-8", newline="\n") as f:
            for line in iter_lines(s, status, getattr(project, "image_root", None)):
                if stop is not None and stop.is_set():
                    raise Cancelled("export cancelled; no file written")
                f.write(dumps(line) + "\n")
                records.add(line["record_id"])
                if line["visible"]:
                    links += 1
                else:
                    hidden += 1
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return GroundingCounts(links, hidden, len(records))
