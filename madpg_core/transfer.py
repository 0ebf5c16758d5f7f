"""Moving records between a project and files.

Import is all or nothing and takes only what it is given: image references must resolve inside
the imported file's folder (or ``images_root``) unless the caller allows otherwise, every image is
decoded before it is accepted, and images are staged so that a refused import leaves none behind
(see storage.image_store). The slow work — reading, checking, decoding, hashing — happens before
the write transaction; the transaction itself is batched INSERTs, so other writers (the GUI beside
a command-line import) wait seconds, not minutes.

Export writes to a hidden temporary file beside the target, named with this process's id, and
renames it when complete: a stopped, failed or killed export never leaves half a file under the
target's name, and the next export to the same target removes what a killed one left. The records'
images go, under their original file names, into a folder beside the target (``OUT_images/``, made
the same way), so that the export can be read back without the project.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Literal

from madpg_core.domain import ImportReport, Record, RecordStatus, check_spans
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.formats import EXPORT_FORMATS, WRITERS, read_records
from madpg_core.formats.common import (
    ExportImageNames,
    ImageRefs,
    Progress,
    WriteCounts,
    check_known_types,
    images_folder,
)
from madpg_core.storage.image_store import pid_alive

EXPORT_MARK = ".madpg-export"  # in an images folder an export wrote: the next export may replace it


def _validate_image(path: Path) -> None:
    from madpg_core.vision.images import load_image

    try:
        load_image(path)
    except MadpgError as e:
        raise MadpgError(f"{e}; the import was refused, nothing was imported") from None


def import_into(project, path: Path | str, fmt: str, type_map: dict[str, str] | None = None, *,  # noqa: ANN001
                encoding: str = "utf-8", on_progress: Progress | None = None,
                stop: threading.Event | None = None, images_root: Path | str | None = None,
                allow_outside_images: bool = False) -> ImportReport:
    """Read ``path`` and add every record to ``project``: all or nothing.

    Args:
        images_root: where relative image references resolve (default: the imported file's folder).
        allow_outside_images: accept references that leave that folder (``..``, absolute paths,
            symlinks); refused by default, so an import cannot pull arbitrary files into a project.
    """
    from madpg_core.storage import repo
    from madpg_core.storage.image_store import staged_images

    def cancelled() -> bool:
        return stop is not None and stop.is_set()

    # Three parts of the work, one bar: reading, checking the images, storing. The readers call
    # progress often, so a stop request is also noticed there, in the middle of a long file.
    def part(k: int):  # noqa: ANN202
        def report(done: int, total: int) -> None:
            if cancelled():
                raise Cancelled("import cancelled; nothing was imported")
            if on_progress:
                on_progress(k * total + done, 3 * total)

        return report

    refs = ImageRefs(Path(images_root) if images_root else None, allow_outside_images)
    records, report = read_records(path, fmt, type_map, encoding=encoding, on_progress=part(0), images=refs)
    check_known_types((s.label for r in records for s in r.spans), project.schema().names, path)
    for r in records:
        try:
            check_spans(r.text, r.spans)
        except MadpgError as e:
            raise MadpgError(f"{path}: record {r.name or '(unnamed)'}: {e}") from None
    images_progress = part(1)
    with staged_images(project.folder, project.image_referenced, _validate_image) as stage:
        stored = []
        for i, r in enumerate(records, 1):
            if cancelled():
                raise Cancelled("import cancelled; nothing was imported")
            stored.append([stage.add(Path(p)) for p in r.images])
            if r.images:
                images_progress(i, len(records))
        with project.transaction() as s:
            repo.add_records(s, records, stored, stop=stop, on_progress=part(2))
            stage.publish()  # last step before the commit; undone by staged_images if it fails
    return report


def export_project(project, out: Path | str, fmt: str,  # noqa: ANN001
                   status: Literal["all", "reviewed"] = "all", *, on_progress: Progress | None = None,
                   stop: threading.Event | None = None) -> WriteCounts:
    """Write the project's records (all, or reviewed only) to ``out``; returns what was written and
    what the format could not hold (empty records in BIO).

    Images are copied into :func:`images_folder` (``OUT_images/``) under their original file names,
    made unique (``scan.png``, ``scan-2.png``): BIO's ``IMGID:`` lines name them, JSONL's ``images``
    give their paths relative to the file, so importing the export finds them. That folder belongs
    to the export: the next export to ``out`` replaces it (one holding anything else is refused).
    A target that is not a regular file (a pipe, /dev/stdout) is written in place with the names
    alone: there is nothing to rename onto it and no folder beside it."""
    if fmt not in WRITERS:
        raise MadpgError(f"cannot export to {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if status not in ("all", "reviewed"):
        raise MadpgError(f"status must be 'all' or 'reviewed', not {status!r}")
    out = Path(out)
    wanted = [RecordStatus.REVIEWED] if status == "reviewed" else None
    if out.exists() and not out.is_file():
        if out.is_dir():
            raise MadpgError(f"{out} is a folder; give a file name to export to")
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            return _write_export(project, f, fmt, wanted, on_progress, stop, _ImageCopies(None, None, stop))
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out)
    folder = images_folder(out)
    tmp, staging = part_path(out), part_path(folder)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            counts = _write_export(project, f, fmt, wanted, on_progress, stop, _ImageCopies(staging, folder, stop))
            f.flush()
            os.fsync(f.fileno())
        # The folder first, then the file: between the two renames (a kill there) the old file sits
        # beside new images, never a new file beside images it does not name.
        _replace_folder(staging if counts.images else None, folder)
    except BaseException:  # also SystemExit from the CLI's SIGTERM handler
        tmp.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    tmp.replace(out)
    return counts


def part_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.part")


def remove_stale_parts(out: Path) -> int:
    """Remove temporary files and image folders that exports to ``out`` by dead processes left
    (kill -9, power cut)."""
    removed = 0
    folder = images_folder(out)
    for name, ends in ((out.name, (".part",)), (folder.name, (".part", ".old"))):
        for p in out.parent.glob(f".{name}.*"):
            end = next((e for e in ends if p.name.endswith(e)), None)
            pid = p.name[len(name) + 2 : -len(end)] if end else ""
            if pid.isdigit() and not pid_alive(int(pid)):
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed += 1
    return removed


def _exported_before(folder: Path) -> bool:
    """Whether ``folder`` is an images folder an export wrote (or an empty one): the only kind an
    export replaces or removes."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    return (folder / EXPORT_MARK).is_file() or not any(folder.iterdir())


def _check_images_folder(folder: Path) -> None:
    if os.path.lexists(folder) and not _exported_before(folder):
        raise MadpgError(f"{folder} exists and was not written by an export; move it or export under "
                         "another name (an export replaces its images folder)")


def _replace_folder(new: Path | None, folder: Path) -> None:
    """Put ``new`` (or nothing) where ``folder`` is. Only a folder an export wrote is replaced, and
    removed only once the new one is in place; with no new one, anything else is left alone."""
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    if _exported_before(folder):
        folder.rename(old)
    if new is not None:
        new.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


class _ImageCopies:
    """Gives each record of an export its images' export names, copying every distinct image once
    into ``staging`` (None: names only). Project images are content-addressed, so one stored path is
    one image whichever records show it."""

    def __init__(self, staging: Path | None, folder: Path | None, stop: threading.Event | None) -> None:
        self.staging, self.folder, self.stop = staging, folder, stop
        self.names = ExportImageNames()
        self.copied = 0
        self.missing: list[str] = []

    def record(self, r: Record) -> Record:
        if not r.images:
            return r
        refs, names = [], []
        for i, path in enumerate(r.images):
            if not Path(path).is_file():
                self.missing.append(f"{r.name or f'#{r.id}'}: {r.image_name(i)}")
                continue  # a reference to nothing would make the export unreadable (JSONL refuses it)
            name, first = self.names.name(path, r.image_name(i), Path(path).name)
            if first and self.staging is not None:
                self._copy(Path(path), name)
            refs.append(f"{self.folder.name}/{name}" if self.folder is not None else name)
            names.append(name)
        return replace(r, images=tuple(refs), image_names=tuple(names))

    def _copy(self, source: Path, name: str) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Cancelled("export cancelled; no file written")
        if self.copied == 0:
            _check_images_folder(self.folder)  # refused before a single image is written
            self.staging.mkdir()
            (self.staging / EXPORT_MARK).write_text(
                "Images of a MADPG export; the next export to the same file replaces this folder.\n",
                encoding="utf-8")
        shutil.copyfile(source, self.staging / name)
        self.copied += 1

    def counts(self, written: WriteCounts) -> WriteCounts:
        return replace(written, images=self.copied, images_folder=self.folder if self.copied else None,
                       missing_images=tuple(self.missing))


def _write_export(project, f, fmt: str, wanted: list[RecordStatus] | None,  # noqa: ANN001
                  on_progress: Progress | None, stop: threading.Event | None, copies: _ImageCopies) -> WriteCounts:
    from madpg_core.storage import repo

    with project.reading() as s:
        total = len(repo.record_ids(s, status=wanted))
        done = 0

        def counted():  # noqa: ANN202
            nonlocal done
            for r in repo.iter_records(s, status=wanted, image_root=project.image_root):
                if stop is not None and stop.is_set():
                    raise Cancelled("export cancelled; no file written")
                yield copies.record(r)
                done += 1
                if on_progress and (done % 50 == 0 or done == total):
                    on_progress(done, total)

        # closing(): an interrupted export (Cancel, SIGTERM) finishes the generator here, while its
        # session is open, not later in the garbage collector on a closed connection.
        with closing(counted()) as records:
            return copies.counts(WRITERS[fmt](records, f))
