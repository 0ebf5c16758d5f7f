"""Moving records between a project and files.

Import is all or nothing and takes only what it is given: image references must resolve inside
the imported file's folder (or ``images_root``) unless the caller allows otherwise, every image is
decoded before it is accepted, and images are staged so that a refused import leaves none behind
(see storage.image_store). The slow work — reading, checking, decoding, hashing — happens before
the write transaction; the transaction itself is batched INSERTs, so other writers (the GUI beside
a command-line import) wait seconds, not minutes.

Export writes to a hidden temporary file beside the target, named with this process's id, and
renames it when complete: a stopped, failed or killed export never leaves half a file under the
target's name, and the next export to the same target removes what a killed one left.
"""

from __future__ import annotations

import os
import threading
from contextlib import closing
from pathlib import Path
from typing import Literal

from madpg_core.domain import ImportReport, RecordStatus, check_spans
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.formats import EXPORT_FORMATS, WRITERS, read_records
from madpg_core.formats.common import ImageRefs, Progress, WriteCounts, check_known_types
from madpg_core.storage.image_store import pid_alive


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
    what the format could not hold (empty records in BIO). A target that is not a regular file (a
    pipe, /dev/stdout) is written in place: there is nothing to rename onto it."""
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
            return _write_export(project, f, fmt, wanted, on_progress, stop)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out)
    tmp = part_path(out)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            counts = _write_export(project, f, fmt, wanted, on_progress, stop)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:  # also SystemExit from the CLI's SIGTERM handler
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return counts


def part_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.part")


def remove_stale_parts(out: Path) -> int:
    """Remove temporary files that exports to ``out`` by dead processes left (kill -9, power cut)."""
    removed = 0
    for p in out.parent.glob(f".{out.name}.*.part"):
        pid = p.name[len(out.name) + 2 : -len(".part")]
        if pid.isdigit() and not pid_alive(int(pid)):
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def _write_export(project, f, fmt: str, wanted: list[RecordStatus] | None,  # noqa: ANN001
                  on_progress: Progress | None, stop: threading.Event | None) -> WriteCounts:
    from madpg_core.storage import repo

    with project.reading() as s:
        total = len(repo.record_ids(s, status=wanted))
        done = 0

        def counted():  # noqa: ANN202
            nonlocal done
            for r in repo.iter_records(s, status=wanted, image_root=project.image_root):
                if stop is not None and stop.is_set():
                    raise Cancelled("export cancelled; no file written")
                yield r
                done += 1
                if on_progress and (done % 50 == 0 or done == total):
                    on_progress(done, total)

        # closing(): an interrupted export (Cancel, SIGTERM) finishes the generator here, while its
        # session is open, not later in the garbage collector on a closed connection.
        with closing(counted()) as records:
            return WRITERS[fmt](records, f)

