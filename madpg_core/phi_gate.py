"""The export gate: personal information found in the records an export would write, and an export
of those records with it masked (the project itself unchanged).

Each finding carries a stable key (record id, start, end, kind), so that a decision taken on it
(keep it, mask it) can be stored and matched against a later scan of an unchanged text.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from madpg_core.domain import RecordStatus
from madpg_core.errors import MadpgError
from madpg_core.phi import Finding, Kind, mask, scan


@dataclass(frozen=True)
class RecordFinding:
    """One finding in one record of a project."""

    record_id: int
    record_name: str
    start: int
    end: int
    kind: Kind
    text: str

    @property
    def key(self) -> tuple[int, int, int, str]:
        return (self.record_id, self.start, self.end, self.kind)

    @property
    def finding(self) -> Finding:
        return Finding(self.start, self.end, self.kind, self.text)


def context(masked: str, f: Finding | RecordFinding, width: int = 12) -> str:
    """The finding, bracketed, in ``width`` characters of context of ``masked`` (the record's text
    with all its findings masked), so a listing of findings does not spread what it warns about."""
    before, after = masked[max(0, f.start - width):f.start], masked[f.end:f.end + width]
    return " ".join(f"{before}[{masked[f.start:f.end]}]{after}".split())


def scan_project(project, status: Literal["all", "reviewed"] = "all",  # noqa: ANN001
                 on_record: Callable[[int, str, str, list[Finding]], None] | None = None) -> list[RecordFinding]:
    """Every finding in the records an export of ``status`` would write, in record order.
    ``on_record(id, name, text, findings)`` hears each record that has findings (for context)."""
    from madpg_core.storage import repo

    wanted = [RecordStatus.REVIEWED] if status == "reviewed" else None
    out: list[RecordFinding] = []
    with project.reading() as s:
        for r in repo.iter_records(s, status=wanted):
            found = scan(r.text)
            if found:
                name = r.name or f"#{r.id}"
                out += [RecordFinding(r.id, name, f.start, f.end, f.kind, f.text) for f in found]
                if on_record is not None:
                    on_record(r.id, name, r.text, found)
    return out


class _MaskedCopy:
    """What ``transfer.export_project`` reads (``reading()``, ``image_root``), from a masked copy of
    the project file; images still come from the project's own folder."""

    def __init__(self, copy, image_root: str) -> None:  # noqa: ANN001
        self._copy, self._image_root = copy, image_root

    @property
    def image_root(self) -> str:
        return self._image_root

    def reading(self):  # noqa: ANN201
        return self._copy.reading()


@contextmanager
def masked_copy(project, findings: Sequence[RecordFinding]) -> Iterator[_MaskedCopy]:  # noqa: ANN001
    """A temporary copy of the project file whose record texts have ``findings`` masked, to export
    from. Masks keep every length, so spans stay where they were. The copy is removed afterwards."""
    from madpg_core.storage.project import Project

    if project.is_server:  # the copy below is SQLite's backup API; a server project has no file to copy
        raise MadpgError("--mask-phi exports from a project folder; for a server project, mask the findings in "
                         "the desk (Export ▸ check for personal information) or export with --allow-phi")
    by_record: dict[int, list[Finding]] = {}
    for f in findings:
        by_record.setdefault(f.record_id, []).append(f.finding)
    folder = Path(tempfile.mkdtemp(prefix="madpg-masked-"))
    try:
        target = folder / project.db_path.name
        # The online backup API: a consistent copy even while another process writes the project.
        source = sqlite3.connect(project.db_path.as_uri() + "?mode=ro", uri=True)
        try:
            with sqlite3.connect(target) as dest:
                source.backup(dest)
                for rid, found in by_record.items():
                    (text,) = dest.execute("SELECT text FROM records WHERE id = ?", (rid,)).fetchone()
                    dest.execute("UPDATE records SET text = ? WHERE id = ?", (mask(text, found), rid))
            dest.close()
        finally:
            source.close()
        copy = Project(folder, read_only=True)
        try:
            yield _MaskedCopy(copy, project.image_root)
        finally:
            copy.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
