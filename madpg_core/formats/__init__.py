"""Import and export. Readers return frozen Records; importing into a project is one transaction,
so a malformed line anywhere leaves the project exactly as it was."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from madpg_core.domain import ImportReport, Record, RecordStatus
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.formats import blue, cmeee, conll, folder, jsonl
from madpg_core.formats.common import Progress, check_known_types, load_type_map, map_spans

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
WRITERS = {"bio": conll.write, "conll": conll.write, "jsonl": jsonl.write}
FORMATS = tuple(READERS)
EXPORT_FORMATS = tuple(WRITERS)

__all__ = ["FORMATS", "EXPORT_FORMATS", "read_records", "import_into", "export_project", "load_type_map"]


def read_records(path: Path | str, fmt: str, type_map: dict[str, str] | None = None, *,
                 encoding: str = "utf-8", on_progress: Progress | None = None) -> tuple[list[Record], ImportReport]:
    """Read a file (or folder) in format ``fmt``; types are renamed/dropped through ``type_map``."""
    if fmt not in READERS:
        raise MadpgError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    if not path.exists():
        raise MadpgError(f"{path} does not exist")
    report = ImportReport()
    records = READERS[fmt](path, report, encoding=encoding, on_progress=on_progress)
    if type_map is not None:
        records = [r.with_spans(map_spans(r.spans, type_map, report)) for r in records]
    report.records = len(records)
    report.spans = sum(len(r.spans) for r in records)
    report.images = sum(len(r.images) for r in records)
    return records, report


def import_into(project, path: Path | str, fmt: str, type_map: dict[str, str] | None = None, *,  # noqa: ANN001
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


def export_project(project, out: Path | str, fmt: str,  # noqa: ANN001
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


def _write_export(project, tmp: Path, fmt: str, wanted: list[RecordStatus] | None,  # noqa: ANN001
                  on_progress: Progress | None, stop: threading.Event | None) -> int:
    from madpg_core.storage import repo

    with project.reading() as s, open(tmp, "w", encoding="utf-8", newline="\n") as f:
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

        return WRITERS[fmt](counted(), f)
