"""Team ▸ History of this record: the append-only history of one record (or of the whole project),
newest first — when, who, what, before and after — and "Export history…" to a JSON-lines file.

The view only reads (madpg_core.storage.history); undo adds entries like any other edit, so what is
shown is never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from madpg_core.domain import HistoryEntry
from madpg_core.errors import MadpgError
from madpg_core.storage import history, repo
from madpg_core.storage.project import Project
from madpg_gui.i18n import tr

MAX_SHOWN = 2000  # a record's history is short; the project's can be long, and the file has it all


def when(at: datetime) -> str:
    """A history time in the desk's local time (the store keeps UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def describe(value: object, record_text: str = "") -> str:
    """A span (or a list of spans, a status, anything JSON) as one short line; with the record's
    text, each span shows the characters it covers."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(describe(v, record_text) for v in value) if value else "∅"
    if isinstance(value, dict) and isinstance(value.get("spans"), list):  # a set of spans (a sheet's)
        text = describe(value["spans"], record_text)
        return f"{value['sheet']}: {text}" if value.get("sheet") else text
    if isinstance(value, dict) and {"start", "end"} <= value.keys():
        label = value.get("label") or value.get("type") or ""
        text = f"{label} [{value['start']}, {value['end']})"
        if record_text and isinstance(value["start"], int) and isinstance(value["end"], int):
            text += f" «{record_text[value['start']:value['end']]}»"
        extra = [f"{k}={value[k]}" for k in ("sheet", "assertion", "layer")
                 if value.get(k) not in (None, "", 0, "present")]
        return text + (f" ({', '.join(extra)})" if extra else "")
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        return f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class HistoryDialog(QDialog):
    """The history of ``record_id`` (None: of the whole project)."""

    COLUMNS = ("when", "who", "action", "before", "after")

    def __init__(self, project: Project, record_id: int | None, record_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.record_id = project, record_id
        self.record_text = ""  # to quote the characters a span covers (the record's text never changes)
        self.setWindowTitle(tr("History of {record}").format(record=record_name or f"#{record_id}")
                            if record_id is not None else tr("History of the project"))
        self.note = QLabel()
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([tr("When"), tr("Who"), tr("Action"), tr("Before"), tr("After")])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        h = self.table.horizontalHeader()
        for c in range(3):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = buttons.addButton(tr("Export history…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.export_dialog)
        refresh = buttons.addButton(tr("Refresh"), QDialogButtonBox.ButtonRole.ActionRole)
        refresh.clicked.connect(self.refresh)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)
        self.resize(900, 480)
        self.refresh()

    def refresh(self) -> None:
        with self.project.reading() as s:
            entries = history.entries(s, record_id=self.record_id, limit=MAX_SHOWN)
            if self.record_id is not None and not self.record_text:
                try:
                    self.record_text = repo.get_record(s, self.record_id).text
                except MadpgError:  # the record was deleted: its history stays, without quotes
                    pass
        self.show_entries(entries)

    def show_entries(self, entries: Sequence[HistoryEntry]) -> None:
        rows = sorted(entries, key=lambda e: e.id, reverse=True)  # newest first, whatever order came
        self.table.setRowCount(len(rows))
        for r, e in enumerate(rows):
            cells = [when(e.at), e.annotator, e.action, describe(e.before, self.record_text),
                     describe(e.after, self.record_text)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c >= 3:  # the whole value, for a long list of spans cut short in the cell
                    item.setToolTip(json.dumps(e.before if c == 3 else e.after, ensure_ascii=False, indent=1))
                item.setData(Qt.ItemDataRole.UserRole, e.id)
                self.table.setItem(r, c, item)
        self.note.setText(tr("{n} changes, newest first; undo adds a change, nothing is rewritten.")
                          .format(n=len(rows)) if rows else tr("No changes recorded yet."))

    def rows(self) -> list[tuple[str, ...]]:
        """The table as text, top row first (who, action, before, after; for tests and copying)."""
        return [tuple(self.table.item(r, c).text() for c in range(1, len(self.COLUMNS)))
                for r in range(self.table.rowCount())]

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export history"), "history.jsonl",
                                              tr("JSON lines (*.jsonl);;CSV (*.csv)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> int | None:
        """Write the project's whole history to ``path`` (JSON lines, or CSV for a .csv name); the
        count, or None if refused."""
        try:
            with self.project.reading() as s:
                n = history.export_history(s, path)
        except (MadpgError, OSError) as e:
            QMessageBox.warning(self, tr("Export history"), str(e))
            return None
        self.note.setText(tr("History written to {path}").format(path=path))
        return n
