"""File formats: readers return frozen Records, writers take them. Moving records into and out of
a project (one transaction, a file that appears only when complete) is :mod:`madpg_core.transfer`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from madpg_core.domain import ImportReport, Record
from madpg_core.errors import MadpgError
from madpg_core.formats import blue, cmeee, conll, folder, jsonl
from madpg_core.formats.common import ImageRefs, Progress, WriteCounts, load_type_map, map_spans

Reader = Callable[..., list[Record]]
READERS: dict[str, Reader] = {
    "folder": folder.read,
    "jsonl": jsonl.read,
    "bio": conll.read,
    "conll": conll.read,
    "cehrner": blue.read,
    "cmedqaner": blue.read,
    "cmeee": cmeee.read,
}
Writer = Callable[..., WriteCounts]  # (records, text file)
WRITERS: dict[str, Writer] = {"bio": conll.write, "conll": conll.write, "jsonl": jsonl.write}
FORMATS = tuple(READERS)
EXPORT_FORMATS = tuple(WRITERS)

__all__ = ["EXPORT_FORMATS", "FORMATS", "ImageRefs", "WriteCounts", "load_type_map", "read_records"]


def read_records(path: Path | str, fmt: str, type_map: dict[str, str] | None = None, *,
                 encoding: str = "utf-8", on_progress: Progress | None = None,
                 images: ImageRefs | None = None) -> tuple[list[Record], ImportReport]:
    """Read a file (or folder) in format ``fmt``; types are renamed/dropped through ``type_map``.
    ``images`` says where image references may lead (default: inside the file's own folder)."""
    if fmt not in READERS:
        raise MadpgError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    if not path.exists():
        raise MadpgError(f"{path} does not exist")
    if images is not None and images.root is not None and not Path(images.root).is_dir():
        raise MadpgError(f"images root {images.root} is not a folder")
    report = ImportReport()
    records = READERS[fmt](path, report, encoding=encoding, on_progress=on_progress, images=images or ImageRefs())
    if type_map is not None:
        records = [r.with_spans(map_spans(r.spans, type_map, report)) for r in records]
    report.records = len(records)
    report.spans = sum(len(r.spans) for r in records)
    report.images = sum(len(r.images) for r in records)
    return records, report
