"""The replay corpus of Model ▸ Train…: one corpus file added to every re-training of a project.

Why: a project of a few dozen reviewed records fine-tunes the model towards them and can forget
what the base model learnt from its large corpus; adding that corpus (or another) to each run keeps
it. The choice is the project's (saved in the preferences by project folder, see settings.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from madpg_core.formats import FORMATS
from madpg_core.retrain import ReplaySource
from madpg_gui.i18n import tr

# corpus files only: a folder import (folder, brat) has no single file to re-read at each run
REPLAY_FORMATS = tuple(f for f in FORMATS if f not in ("folder", "brat"))  # brat: a folder too


def _path_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    lay.addWidget(button)
    return row


class ReplayBox(QGroupBox):
    changed = Signal(dict)  # the choice as the preferences store it (settings.set_replay_choice)

    def __init__(self, saved: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__(tr("Replay corpus"), parent)
        self.use = QCheckBox(tr("Add a corpus file to every re-training"))
        self.use.setToolTip(tr("So a small project does not forget what the base model knew."))
        self.path = QLineEdit(placeholderText=tr("corpus file, e.g. the bundled model's training data"))
        self.fmt = QComboBox()
        self.fmt.addItems(REPLAY_FORMATS)
        self.map = QLineEdit(placeholderText=tr("optional: type map file (resources/maps/)"))
        pick, pick_map = QPushButton(tr("File…")), QPushButton(tr("File…"))
        pick.clicked.connect(lambda: self._pick(self.path, tr("Replay corpus")))
        pick_map.clicked.connect(lambda: self._pick(self.map, tr("Type mapping")))
        why = QLabel(tr("So a small project does not forget what the base model knew."), wordWrap=True)
        form = QFormLayout(self)
        form.addRow(self.use)
        form.addRow(tr("File"), _path_row(self.path, pick))
        form.addRow(tr("Format"), self.fmt)
        form.addRow(tr("Type mapping"), _path_row(self.map, pick_map))
        form.addRow(why)
        self._fields = (self.path, self.fmt, self.map, pick, pick_map)
        self.restore(saved or {})
        self.use.toggled.connect(self._toggled)
        self.path.editingFinished.connect(self._emit)
        self.map.editingFinished.connect(self._emit)
        self.fmt.currentIndexChanged.connect(self._emit)

    def restore(self, saved: dict) -> None:
        for w in (self.use, self.path, self.map, self.fmt):
            w.blockSignals(True)
        self.use.setChecked(bool(saved.get("on")))
        self.path.setText(str(saved.get("path") or ""))
        self.map.setText(str(saved.get("map") or ""))
        i = self.fmt.findText(str(saved.get("format") or ""))
        self.fmt.setCurrentIndex(max(i, 0))
        for w in (self.use, self.path, self.map, self.fmt):
            w.blockSignals(False)
        self._enable_fields()

    def choice(self) -> dict:
        """What to remember for the project; a file chosen but switched off is remembered too."""
        if not self.path.text().strip() and not self.use.isChecked():
            return {}
        return {"on": self.use.isChecked(), "format": self.fmt.currentText(),
                "path": self.path.text().strip(), "map": self.map.text().strip()}

    def sources(self) -> tuple[ReplaySource, ...]:
        """The replay corpus for this run (none when switched off or without a file)."""
        path = self.path.text().strip()
        if not self.use.isChecked() or not path:
            return ()
        return (ReplaySource(self.fmt.currentText(), path, self.map.text().strip() or None),)

    def problem(self) -> str:
        """Why the chosen replay cannot be used ("" when it can)."""
        if not self.use.isChecked():
            return ""
        path = self.path.text().strip()
        if not path:
            return tr("Choose the replay corpus file, or switch the replay off.")
        if not Path(path).is_file():
            return tr("The replay corpus file does not exist: {p}").format(p=path)
        m = self.map.text().strip()
        if m and not Path(m).is_file():
            return tr("The type mapping file does not exist: {p}").format(p=m)
        return ""

    def _enable_fields(self) -> None:
        # explicitly disabled children stay disabled when the dialog re-enables the whole box
        for w in self._fields:
            w.setEnabled(self.use.isChecked())

    def _toggled(self) -> None:
        self._enable_fields()
        self._emit()

    def _pick(self, edit: QLineEdit, title: str) -> None:
        p = QFileDialog.getOpenFileName(self, title, edit.text())[0]
        if p:
            edit.setText(p)
            self._emit()

    def _emit(self) -> None:
        self.changed.emit(self.choice())
