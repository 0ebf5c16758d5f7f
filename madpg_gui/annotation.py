"""The open record, as the widgets see it: one frozen ``Record`` re-read from SQLite after every edit.

Widgets never write; they emit intent signals, the main window turns intents into undo commands
(commands.py), and each command commits through the core's repo in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal
from sqlalchemy.orm import Session

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, check_spans
from madpg_core.errors import StaleWriteError
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui.nesting import SpanIndex
from madpg_gui.team.sheets import open_sheet


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
        with project.reading() as s:
            self.statuses: tuple[str, ...] = repo.get_assertion_statuses(s)
        self.record: Record | None = None
        self.index = SpanIndex()  # the record's spans by position (they may nest)
        # the annotator's own sheet of the shown record when it is double-annotated for them (blind
        # double annotation), None for its gold spans: what is read, and what commands write
        self.sheet: str | None = None

    # ---------------------------------------------------------------- reading

    def load(self, record_id: int | None) -> None:
        if record_id is None:
            self.sheet = None
            self._set(None)
        else:
            self.sheet = open_sheet(self.project, record_id)
            with self.project.reading() as s:
                self._set(repo.get_record(s, record_id, self.project.image_root, sheet=self.sheet))
        self.recordLoaded.emit(self.record)

    def _set(self, record: Record | None) -> None:
        self.record = record
        self.index = SpanIndex(record.spans if record else ())

    @property
    def record_id(self) -> int | None:
        return self.record.id if self.record else None

    def spans_at(self, pos: int) -> list[Span]:
        """The spans covering character ``pos``, innermost (shortest) first; of two of the same
        length, the one of the higher layer (the nested one) first."""
        return self.index.at(pos)

    def span_at(self, pos: int) -> Span | None:
        """The innermost span covering character ``pos``."""
        found = self.spans_at(pos)
        return found[0] if found else None

    def span_exactly(self, start: int, end: int, layer: int | None = None) -> Span | None:
        """The span at exactly [start, end) (in ``layer`` when given; else the lowest layer's)."""
        same = [sp for sp in self.spans_at(start) if sp.end == end and sp.start == start
                and (layer is None or sp.layer == layer)]
        return min(same, key=lambda sp: sp.layer) if same else None

    def check_new(self, span: Span, replacing: Span | None = None) -> None:
        """Raise OverlapError when ``span`` would overlap a span of its layer other than ``replacing``
        (spans of other layers may nest or overlap)."""
        assert self.record is not None
        others = [sp for sp in self.record.spans if sp.layer == span.layer and (replacing is None or sp != replacing)]
        check_spans(self.record.text, [*others, span])

    # ---------------------------------------------------------------- writing (commands call these)

    @contextmanager
    def edit(self, record_id: int) -> Iterator[Session]:
        """One user action on ``record_id``: committed at once, then the record is re-read and shown.
        A stale write (someone changed what the edit was based on) is refused, and the record is
        re-read all the same, so the desk shows what is there now."""
        try:
            with self.project.transaction() as s:
                yield s
        except StaleWriteError:
            self._reread(record_id)
            raise
        self._reread(record_id)

    def _reread(self, record_id: int) -> None:
        if self.record_id != record_id:  # undo of an edit on another record: its own sheet, if any
            self.sheet = open_sheet(self.project, record_id)
        with self.project.reading() as s:
            record = repo.get_record(s, record_id, self.project.image_root, sheet=self.sheet)
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

    def span_id(self, s: Session, record_id: int, start: int, end: int, layer: int | None = None,
                sheet: str | None = None) -> int | None:
        """The database id of the span at [start, end) in ``layer`` now (ids change when undo
        re-creates a span; two layers may hold a span of the same range), among the gold spans
        or in ``sheet``."""
        return repo.find_span(s, record_id, start, end, layer, sheet=sheet)

    def set_schema(self, apply: Callable[[Session], None]) -> None:
        with self.project.transaction() as s:
            apply(s)
        self.schema = self.project.schema()
        self.schemaChanged.emit(self.schema)
        self.load(self.record_id)
        self.dataChanged.emit()

    def set_statuses(self, statuses: Sequence[str], *, reset_spans_of_removed: bool = False) -> None:
        """Choose the assertion statuses the project offers (the core refuses what it must: a status
        spans still carry unless ``reset_spans_of_removed``, and leaving out "present")."""
        with self.project.transaction() as s:
            repo.set_assertion_statuses(s, statuses, reset_spans_of_removed=reset_spans_of_removed)
        with self.project.reading() as s:
            self.statuses = repo.get_assertion_statuses(s)
        self.load(self.record_id)  # spans made present again show so at once
        self.dataChanged.emit()

    def status(self) -> RecordStatus | None:
        return self.record.status if self.record else None

