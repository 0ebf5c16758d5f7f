"""The open record, as the widgets see it: one frozen ``Record`` re-read from SQLite after every edit.

Widgets never write; they emit intent signals, the main window turns intents into undo commands
(commands.py), and each command commits through the core's repo in its own transaction.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal
from sqlalchemy.orm import Session

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, check_spans
from madpg_core.storage import repo
from madpg_core.storage.project import Project


class Annotation(QObject):
    recordLoaded = Signal(object)  # Record | None: a different record (or none) is shown
    spansChanged = Signal(object)  # Record: same record, new spans
    statusChanged = Signal(int, object)  # record id, RecordStatus
    schemaChanged = Signal(object)  # LabelSchema
    dataChanged = Signal()  # anything the record list shows may have changed

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.schema: LabelSchema = project.schema()
        self.record: Record | None = None
        self._starts: list[int] = []

    # ---------------------------------------------------------------- reading

    def load(self, record_id: int | None) -> None:
        if record_id is None:
            self._set(None)
        else:
            with self.project.reading() as s:
                self._set(repo.get_record(s, record_id, self.project.image_root))
        self.recordLoaded.emit(self.record)

    def _set(self, record: Record | None) -> None:
        self.record = record
        self._starts = [sp.start for sp in record.spans] if record else []

    @property
    def record_id(self) -> int | None:
        return self.record.id if self.record else None

    def span_at(self, pos: int) -> Span | None:
        """The span covering character ``pos`` (spans are flat and sorted by start)."""
        if not self.record:
            return None
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and self.record.spans[i].end > pos:
            return self.record.spans[i]
        return None

    def span_exactly(self, start: int, end: int) -> Span | None:
        sp = self.span_at(start)
        return sp if sp and sp.start == start and sp.end == end else None

    def check_new(self, span: Span, replacing: Span | None = None) -> None:
        """Raise OverlapError when ``span`` would overlap a span other than ``replacing``."""
        assert self.record is not None
        others = [sp for sp in self.record.spans if replacing is None or sp != replacing]
        check_spans(self.record.text, [*others, span])

    # ---------------------------------------------------------------- writing (commands call these)

    @contextmanager
    def edit(self, record_id: int) -> Iterator[Session]:
        """One user action on ``record_id``: committed at once, then the record is re-read and shown."""
        with self.project.transaction() as s:
            yield s
        with self.project.reading() as s:
            record = repo.get_record(s, record_id, self.project.image_root)
        if self.record_id != record_id:
            self._set(record)
            self.recordLoaded.emit(record)  # undo of an edit on another record brings it back
        else:
            old_status = self.record.status if self.record else None
            self._set(record)
            self.spansChanged.emit(record)
            if record.status != old_status:
                self.statusChanged.emit(record_id, record.status)
        self.dataChanged.emit()

    def span_id(self, s: Session, record_id: int, start: int, end: int) -> int | None:
        """The database id of the span at [start, end) now (ids change when undo re-creates a span)."""
        return repo.find_span(s, record_id, start, end)

    def set_schema(self, apply: Callable[[Session], None]) -> None:
        with self.project.transaction() as s:
            apply(s)
        self.schema = self.project.schema()
        self.schemaChanged.emit(self.schema)
        self.load(self.record_id)
        self.dataChanged.emit()

    def status(self) -> RecordStatus | None:
        return self.record.status if self.record else None
