"""Moving records between a project and files.

Import is all or nothing and takes only what it is given: image references must resolve inside
the imported file's folder (or ``images_root``) unless the caller allows otherwise, every image is
decoded before it is accepted, and images are staged so that a refused import leaves none behind
(see storage.image_store). The slow work — reading, checking, decoding, hashing — happens before
the write transaction; the transaction itself is batched INSERTs, so other writers (the GUI beside
a command-line import) wait seconds, not minutes. A record the project already has (same name, same
text) is skipped, replaced or added again, as the caller says: re-importing a file does not double it.

Export writes to a hidden temporary file beside the target, named with this process's id, and
renames it when complete: a stopped, failed or killed export never leaves half a file under the
target's name, and the next export to the same target removes what a killed one left. The records'
images go, under their original file names, into a folder beside the target (``OUT_images/``, made
the same way), so that the export can be read back without the project.
"""

from __future__ import annotations

import inspect
import os
import shutil
import threading
from contextlib import closing
from functools import partial
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Literal

from madpg_core.domain import ImportReport, Record, RecordStatus, check_spans, count
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.formats import EXPORT_FORMATS, FOLDER_WRITERS, WITHOUT_IMAGES, WRITERS, Writer, read_records
from madpg_core.formats.common import (
    ExportImageNames,
    ImageRefs,
    Progress,
    WriteCounts,
    check_known_types,
    images_folder,
)
from madpg_core.storage.image_store import pid_alive

# what an export to a format other than the project's JSONL leaves behind of the images' regions
LOST_REGION_LINKS = "region links (export the grounding file for them)"
LOST_NOT_VISIBLE = "spans marked not visible in the images"
EXPORT_MARK = ".madpg-export"  # in an images folder an export wrote: the next export may replace it


def _validate_image(path: Path) -> None:
    from madpg_core.vision.images import load_image

    try:
        load_image(path)
    except MadpgError as e:
        raise MadpgError(f"{e}; the import was refused, nothing was imported") from None


OnDuplicate = Literal["skip", "replace", "add"]
ON_DUPLICATE: tuple[str, ...] = ("skip", "replace", "add")
NAMED = 5  # record names a duplicates warning lists before "…"


@dataclass
class ImportResult(ImportReport):
    """What :func:`import_into` did: the reader's report, with ``records``, ``spans`` and ``images``
    counting what was written (new and replaced records), and what became of the file's records
    that the project already had — a record with the same name and the same text."""

    added: int = 0  # new records, ``added_again`` and repeats under "add" included
    replaced: int = 0
    replaced_reviewed: int = 0  # of ``replaced``: reviewed ones (only with replace_reviewed)
    skipped: int = 0  # already in the project, left as they are ("skip")
    kept_reviewed: int = 0  # already in the project and reviewed: "replace" leaves them as they are
    added_again: int = 0  # already in the project, added as new records all the same ("add")
    repeated: int = 0  # later copies of a record earlier in the same file
    on_duplicate: str = "skip"
    dicom: str = ""  # what became of DICOM headers (deid_dicom.DicomIdentityFilter.summary); "" for none

    def summary(self) -> str:
        text = super().summary()
        known = [f"{n} {what}" for n, what in ((self.replaced, "replaced"), (self.skipped, "skipped"),
                                               (self.kept_reviewed, "kept (reviewed)"),
                                               (self.added_again, "added again")) if n]
        if self.replaced_reviewed:
            known[0] += f" ({self.replaced_reviewed} of them reviewed)"
        if known:
            text += "; already in the project (same name and text): " + ", ".join(known)
        if self.repeated:
            text += (f"; {count(self.repeated, 'repeat')} of an earlier record in the file "
                     f"{'added' if self.on_duplicate == 'add' else 'skipped'}")
        return text + (f"\n{self.dicom}" if self.dicom else "")


def _plan(records: list[Record], found: dict, on_duplicate: str, replace_reviewed: bool,
          result: ImportResult, path: Path) -> tuple[list[int], list[tuple[int, int]]]:
    """Which of ``records`` to add (indexes) and which replace a project record ((index, id)), by
    ``on_duplicate``; counts and warnings go into ``result``. A record repeating an earlier one of the
    file counts as a repeat (the first copy is the record); a key the project holds more than once
    is the oldest record's (the others are named in a warning)."""
    add: list[int] = []
    replace_: list[tuple[int, int]] = []
    seen: set[tuple[str, str]] = set()
    repeats: list[str] = []
    several: list[str] = []
    for i, r in enumerate(records):
        key = (r.name, r.text)
        if key in seen:
            repeats.append(r.name or f"#{i + 1}")
            result.repeated += 1
            if on_duplicate == "add":
                add.append(i)
            continue
        seen.add(key)
        have = found.get(key)
        if not have:
            add.append(i)
        elif on_duplicate == "add":
            add.append(i)
            result.added_again += 1
        elif on_duplicate == "skip":
            result.skipped += 1
        else:
            if len(have) > 1:
                several.append(f"{r.name or '(unnamed)'} (#{', #'.join(str(rid) for rid, _ in have)})")
            rid, status = have[0]
            if status == RecordStatus.REVIEWED and not replace_reviewed:
                result.kept_reviewed += 1
                continue
            replace_.append((i, rid))
            result.replaced += 1
            result.replaced_reviewed += status == RecordStatus.REVIEWED
    result.added = len(add)
    if repeats:
        result.warnings.append(
            f"{path}: {count(len(repeats), 'record')} repeat an earlier record of the file (same name and text): "
            f"{_names(repeats)}; {'added as well' if on_duplicate == 'add' else 'only the first copy was read'}")
    if several:
        result.warnings.append(f"{path}: the project holds these records more than once; the oldest copy was "
                               f"replaced: {_names(several)}")
    return add, replace_


def _names(names: list[str]) -> str:
    return ", ".join(names[:NAMED]) + (", …" if len(names) > NAMED else "")


def import_into(project, path: Path | str, fmt: str, type_map: dict[str, str] | None = None, *,  # noqa: ANN001
                encoding: str = "utf-8", on_progress: Progress | None = None,
                stop: threading.Event | None = None, images_root: Path | str | None = None,
                allow_outside_images: bool = False, on_duplicate: OnDuplicate = "skip",
                replace_reviewed: bool = False, dicom_identity: str | None = None) -> ImportResult:
    """Read ``path`` and add its records to ``project``: all or nothing.

    A record of the file is already in the project when a record with the same name and the same
    text is. ``on_duplicate`` says what then happens to it: "skip" (the default: re-importing a file
    changes nothing), "replace" (the project's record takes the file's spans, status and images and
    keeps its id, note and check-set role), or "add" (a new record all the same).

    "replace" leaves reviewed records as they are (counted in ``kept_reviewed``) unless
    ``replace_reviewed``: a reviewed record is a person's checked work, and no file format here
    carries who reviewed it or when, so a file cannot be known to be the newer of the two.

    Args:
        images_root: where relative image references resolve (default: the imported file's folder).
        allow_outside_images: accept references that leave that folder (``..``, absolute paths,
            symlinks); refused by default, so an import cannot pull arbitrary files into a project.
        dicom_identity: "strip" (DICOM headers de-identified, the original never copied) or "keep";
            None takes the project's setting. ``result.dicom`` says what was removed.
    """
    from madpg_core.deid_dicom import DicomIdentityFilter
    from madpg_core.storage import duplicates, region_transfer, repo
    from madpg_core.storage.image_store import staged_images

    if on_duplicate not in ON_DUPLICATE:
        raise MadpgError(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}, not {on_duplicate!r}")

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

    path = Path(path)
    refs = ImageRefs(Path(images_root) if images_root else None, allow_outside_images)
    records, read = read_records(path, fmt, type_map, encoding=encoding, on_progress=part(0), images=refs)
    check_known_types((s.label for r in records for s in r.spans), project.schema().names, path)
    for r in records:
        try:
            check_spans(r.text, r.spans)
        except MadpgError as e:
            raise MadpgError(f"{path}: record {r.name or '(unnamed)'}: {e}") from None
    result = ImportResult(**{f.name: getattr(read, f.name) for f in fields(ImportReport)}, on_duplicate=on_duplicate)
    keys = {(r.name, r.text) for r in records}
    # Looked up before the images are staged, so that skipped records' images are not decoded and
    # copied; looked up again in the write transaction, where it cannot change any more.
    with project.reading() as s:
        found = duplicates.find(s, keys)
    add, replace_ = _plan(records, found, on_duplicate, replace_reviewed, result, path)
    written = [records[i] for i in add] + [records[i] for i, _ in replace_]
    result.records = len(written)
    result.spans = sum(len(r.spans) for r in written)
    result.images = sum(len(r.images) for r in written)
    if not written:
        return result  # nothing to write: the write lock is not even taken
    images_progress, store = part(1), part(2)
    identity = DicomIdentityFilter(dicom_identity or project.dicom_identity)
    with staged_images(project.folder, project.image_referenced, _validate_image, identity.rewrite) as stage:
        stored = []
        for i, r in enumerate(written, 1):
            if cancelled():
                raise Cancelled("import cancelled; nothing was imported")
            stored.append([stage.add(Path(p)) for p in r.images])
            if r.images:
                images_progress(i, len(written))
        with project.transaction() as s:
            if duplicates.find(s, keys) != found:
                raise MadpgError("another program added, changed or removed some of these records in the project "
                                 "while the file was read; nothing was imported: import it again")
            n, total = len(add), len(written)
            added = repo.add_records(s, written[:n], stored[:n], stop=stop, on_progress=lambda d, _t: store(d, total))
            duplicates.replace_contents(s, [(rid, records[i]) for i, rid in replace_], stored[n:], stop=stop,
                                        on_progress=lambda d, _t: store(n + d, total))
            # regions drawn on the images (the project's JSONL carries them), once records and images have ids
            region_transfer.store_imported(s, zip(added, written[:n]))
            region_transfer.store_imported(s, [(rid, records[i]) for i, rid in replace_], replace=True)
            stage.publish()  # last step before the commit; undone by staged_images if it fails
    result.dicom = identity.summary()
    result.warnings.extend(identity.warnings())
    return result


def export_project(project, out: Path | str, fmt: str,  # noqa: ANN001
                   status: Literal["all", "reviewed"] = "all", *, on_progress: Progress | None = None,
                   stop: threading.Event | None = None, layer: Literal["outer", "inner"] = "outer",
                   assertion_column: bool = False) -> WriteCounts:
    """Write the project's records (all, or reviewed only) to ``out``; returns what was written and
    what the format could not hold (empty records in BIO, spans outside the one layer BIO writes).

    ``layer`` chooses which flat view of nested spans a format of one layer writes
    (``domain.layer_view``); ``assertion_column`` adds BIO's third column. A format that takes
    neither (JSONL writes every layer and status) refuses a value other than the default.

    Images are copied into :func:`images_folder` (``OUT_images/``) under their original file names,
    made unique (``scan.png``, ``scan-2.png``): BIO's ``IMGID:`` lines name them, JSONL's ``images``
    give their paths relative to the file, so importing the export finds them. That folder belongs
    to the export: the next export to ``out`` replaces it (one holding anything else is refused).
    A target that is not a regular file (a pipe, /dev/stdout) is written in place with the names
    alone: there is nothing to rename onto it and no folder beside it."""
    if fmt not in EXPORT_FORMATS:
        raise MadpgError(f"cannot export to {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if status not in ("all", "reviewed"):
        raise MadpgError(f"status must be 'all' or 'reviewed', not {status!r}")
    write = _writer(fmt, layer, assertion_column)
    out = Path(out)
    wanted = [RecordStatus.REVIEWED] if status == "reviewed" else None
    if fmt in FOLDER_WRITERS:
        return _export_folder(project, out, write, wanted, on_progress, stop)
    if out.exists() and not out.is_file():
        if out.is_dir():
            raise MadpgError(f"{out} is a folder; give a file name to export to")
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            return _write_export(project, f, write, wanted, on_progress, stop, _ImageCopies(None, None, stop),
                                 carries_regions=fmt == "jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out)
    folder = images_folder(out)
    tmp, staging = part_path(out), part_path(folder)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            # a format that cannot name images gets none copied (its writer counts them as not carried)
            copies = _ImageCopies(None, None, stop) if fmt in WITHOUT_IMAGES else _ImageCopies(staging, folder, stop)
            counts = _write_export(project, f, write, wanted, on_progress, stop, copies, carries_regions=fmt == "jsonl")
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


def _writer(fmt: str, layer: str, assertion_column: bool) -> Writer:
    """The writer of ``fmt`` with the options it takes (by keyword name, so a format module opts in
    by declaring ``layer`` or ``assertion_column``); a non-default option it does not take is an
    error, not silently ignored."""
    if layer not in ("outer", "inner"):
        raise MadpgError(f"layer must be 'outer' or 'inner', not {layer!r}")
    write = WRITERS[fmt] if fmt in WRITERS else FOLDER_WRITERS[fmt]
    takes = inspect.signature(write).parameters
    options = {}
    for name, value, default in (("layer", layer, "outer"), ("assertion_column", assertion_column, False)):
        if name in takes:
            options[name] = value
        elif value != default:
            raise MadpgError(f"{fmt} export does not take the {name.replace('_', '-')} option "
                             f"({fmt} writes every layer and status it can hold)")
    return partial(write, **options) if options else write


def _export_folder(project, out: Path, write: Writer, wanted: list[RecordStatus] | None,  # noqa: ANN001
                   on_progress: Progress | None, stop: threading.Event | None) -> WriteCounts:
    """Export a format that writes a folder (brat): the writer fills a new folder under a temporary
    name beside ``out``, which then takes ``out``'s place whole. Only a folder an export wrote (or an
    empty one) is replaced. Such a format names no images (its writer counts them), so none are copied."""
    if os.path.lexists(out) and not _exported_before(out):
        what = "a folder" if out.is_dir() else "a file"
        raise MadpgError(f"{out} is {what} that an export did not write; move it or export under another name "
                         "(an export replaces only the folder it wrote)")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out)
    staging = part_path(out)
    try:
        counts = _write_export(project, staging, write, wanted, on_progress, stop, _ImageCopies(None, None, stop))
        (staging / EXPORT_MARK).write_text("Written by a MADPG export; the next export to this folder replaces it.\n",
                                           encoding="utf-8")
        _replace_folder(staging, out)
    except BaseException:  # also SystemExit from the CLI's SIGTERM handler
        shutil.rmtree(staging, ignore_errors=True)
        raise
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


def _write_export(project, f, write: Writer, wanted: list[RecordStatus] | None,  # noqa: ANN001
                  on_progress: Progress | None, stop: threading.Event | None, copies: _ImageCopies, *,
                  carries_regions: bool = False) -> WriteCounts:
    from madpg_core.storage import region_transfer, repo

    with project.reading() as s:
        total = len(repo.record_ids(s, status=wanted))
        done = 0
        links = hidden = 0  # what a format other than the project's JSONL leaves behind: said, not dropped silently

        def counted():  # noqa: ANN202
            nonlocal done, links, hidden
            # a record with regions comes as a GroundedRecord carrying them: the JSONL writes them, the others ignore them
            for r in region_transfer.grounded(s, repo.iter_records(s, status=wanted, image_root=project.image_root)):
                if stop is not None and stop.is_set():
                    raise Cancelled("export cancelled; no file written")
                grounding = getattr(r, "grounding", None)
                if grounding and not carries_regions:
                    links += sum(len(region.spans) for region in grounding.regions)
                    hidden += len(grounding.not_visible)
                yield copies.record(r)
                done += 1
                if on_progress and (done % 50 == 0 or done == total):
                    on_progress(done, total)

        # closing(): an interrupted export (Cancel, SIGTERM) finishes the generator here, while its
        # session is open, not later in the garbage collector on a closed connection.
        with closing(counted()) as records:
            counts = copies.counts(write(records, f))
        lost = tuple((what, n) for what, n in ((LOST_REGION_LINKS, links), (LOST_NOT_VISIBLE, hidden)) if n)
        return replace(counts, not_carried=counts.not_carried + lost) if lost else counts
