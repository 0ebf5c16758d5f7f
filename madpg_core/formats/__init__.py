"""File formats: readers return frozen Records, writers take them. Moving records into and out of
a project (one transaction, a file that appears only when complete) is :mod:`madpg_core.transfer`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from madpg_core.domain import ImportReport, Record
from madpg_core.errors import MadpgError
from madpg_core.formats import blue, brat, cmeee, conll, conll2003, docbin, folder, hf, jsonl
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
    # the exchange formats of the field (issue 16): a lossless round trip of what each can carry
    "brat": brat.read,  # a folder of NAME.txt + NAME.ann
    "conll2003": conll2003.read,
    "spacy": docbin.read,  # a .spacy DocBin
    "hf": hf.read,  # Parquet, a folder of it, or a datasets save_to_disk folder
}
Writer = Callable[..., WriteCounts]  # (records, text file)
# A binary format (spacy, hf) writes to the text file's buffer (docbin.binary).
WRITERS: dict[str, Writer] = {"bio": conll.write, "conll": conll.write, "jsonl": jsonl.write,
                              "conll2003": conll2003.write, "spacy": docbin.write, "hf": hf.write}
FolderWriter = Callable[..., WriteCounts]  # (records, a folder to create)
FOLDER_WRITERS: dict[str, FolderWriter] = {"brat": brat.write_folder}
FORMATS = tuple(READERS)
EXPORT_FORMATS = (*WRITERS, *FOLDER_WRITERS)
# Export formats whose files cannot name images: an export copies none for them (the writer counts
# them as not carried).
WITHOUT_IMAGES = frozenset({"conll2003", "hf", "brat"})
# What an export is called by default (a folder format: no suffix), for a save dialog.
EXPORT_SUFFIXES = {"bio": ".txt", "conll": ".txt", "jsonl": ".jsonl", "conll2003": ".conll", "spacy": ".spacy",
                   "hf": ".parquet", "brat": ""}

__all__ = ["EXPORT_FORMATS", "EXPORT_SUFFIXES", "FOLDER_WRITERS", "FORMATS", "WITHOUT_IMAGES", "ImageRefs",
           "WriteCounts", "load_type_map", "read_records"]


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
