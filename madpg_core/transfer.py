"""Moving records between a project and files: import (all or nothing) and export (the file
appears only when complete). The readers and writers themselves live in :mod:`madpg_core.formats`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

from madpg_core.domain import ImportReport, RecordStatus
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.formats import EXPORT_FORMATS, WRITERS, read_records
from madpg_core.formats.common import Progress, check_known_types


def import_into(project, path: Path | str, fmt: str, type_map: dict[str, str] | None = None, *,
                encoding: str = "utf-8", on_progress: Progress | None = None,
                stop: threading.Event | None = None) -> ImportReport:
    """Read and add every record to ``project`` in one transaction: all or nothing."""
    from madpg_core.storage import repo

    # Reading is the first half of the work, storing the second: one bar over both.
    reading = (lambda done, total: on_progress(done, 2 * total)) if on_progress else None
    records, report = read_records(path, fmt, type_map, encoding=encoding, on_progress=reading)
    check_known_types((s.label for r in records for s in r.spans), project.schema().names, path)
    stored_images = [[project.store_image(Path(p)) for p in r.images] for r in records]
    with project.transaction() as s:
        for i, (rec, imgs) in enumerate(zip(records, stored_images), 1):
            if stop is not None and stop.is_set():
                raise Cancelled("import cancelled; nothing was imported")
            repo.add_record(s, rec, imgs)
            if on_progress:
                on_progress(len(records) + i, 2 * len(records))
    return report


def export_project(project, out: Path | str, fmt: str,
                   status: Literal["all", "reviewed"] = "all", *, on_progress: Progress | None = None,
                   stop: threading.Event | None = None) -> int:
    """Write the project's records (all, or reviewed only) to ``out``; returns the record count.
    The file appears only when complete (written to a temporary name, then renamed); a stopped
    export leaves no file behind."""
    if fmt not in WRITERS:
        raise MadpgError(f"cannot export to {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if status not in ("all", "reviewed"):
        raise MadpgError(f"status must be 'all' or 'reviewed', not {status!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    wanted = [RecordStatus.REVIEWED] if status == "reviewed" else None
    try:
        n = _write_export(project, tmp, fmt, wanted, on_progress, stop)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return n


def _write_export(project, tmp: Path, fmt: str, wanted: list[RecordStatus] | None,
                  on_progress: Progress | None, stop: threading.Event | None) -> int:
    from madpg_core.storage import repo

    with project.reading() as s, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        total = len(repo.record_ids(s, status=wanted))
        done = 0

        def counted():
            nonlocal done
            for r in repo.iter_records(s, status=wanted, image_root=project.image_root):
                if stop is not None and stop.is_set():
                    raise Cancelled("export cancelled; no file written")
                yield r
                done += 1
                if on_progress and (done % 50 == 0 or done == total):
                    on_progress(done, total)

        return WRITERS[fmt](counted(), f)
