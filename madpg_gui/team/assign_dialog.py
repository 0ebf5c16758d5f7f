"""Team ▸ Assign records…: give records to annotators. Either the records selected in the list go
to the annotators ticked (two or more: each gets a sheet of their own — double annotation), or a
seeded random share of the project is double-annotated by them (e.g. 20 %, as guidelines are
checked). The dialog only gathers the choice; the desk writes it through madpg_core.storage.team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from madpg_core.errors import MadpgError
from madpg_core.storage.annotators import UNKNOWN, clean_name
from madpg_gui.i18n import tr, trn


@dataclass(frozen=True)
class AssignChoice:
    names: tuple[str, ...]
    sample: bool  # True: a random share (fraction, seed); False: the selected records
    fraction: float = 0.2
    seed: int = 0


class AssignDialog(QDialog):
    def __init__(self, names: Sequence[str], n_selected: int, me: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Assign records"))
        self.people = QListWidget()
        for n in names:
            if n != UNKNOWN:
                self._add_person(n, checked=False)
        self.new_name = QLineEdit(placeholderText=tr("Add an annotator by name"))
        add = QPushButton(tr("Add"))
        add.clicked.connect(self._add_typed)
        self.new_name.returnPressed.connect(self._add_typed)
        self.selected = QRadioButton(trn("The {n} selected record", "The {n} selected records", n_selected))
        self.sample = QRadioButton(tr("A random share of all records, double-annotated"))
        group = QButtonGroup(self)
        group.addButton(self.selected)
        group.addButton(self.sample)
        self.selected.setEnabled(n_selected > 0)
        (self.selected if n_selected > 0 else self.sample).setChecked(True)
        self.fraction = QDoubleSpinBox(minimum=1.0, maximum=100.0, value=20.0, suffix=" %", decimals=0)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.seed.setToolTip(tr("The same seed chooses the same records again"))
        self.error = QLabel()
        self.error.setStyleSheet("color: #B00020")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(add)
        form = QFormLayout()
        form.addRow(tr("Share:"), self.fraction)
        form.addRow(tr("Seed:"), self.seed)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("Annotators (two or more: each annotates blind, on a sheet of their own):")))
        lay.addWidget(self.people, 1)
        lay.addLayout(add_row)
        lay.addWidget(self.selected)
        lay.addWidget(self.sample)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.sample.toggled.connect(self._sample_toggled)
        self._sample_toggled(self.sample.isChecked())
        self.choice: AssignChoice | None = None
        if me:  # listed, not ticked: whoever assigns is often the curator, not an annotator
            self.tick(me, on=False)

    def _add_person(self, name: str, checked: bool) -> QListWidgetItem:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.people.addItem(item)
        return item

    def _add_typed(self) -> None:
        try:
            name = clean_name(self.new_name.text())
        except MadpgError as e:
            self.error.setText(str(e))
            return
        self.tick(name)
        self.new_name.clear()

    def tick(self, name: str, on: bool = True) -> None:
        """Tick ``name`` (added to the list when new)."""
        found = self.people.findItems(name, Qt.MatchFlag.MatchExactly)
        item = found[0] if found else self._add_person(name, on)
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def ticked(self) -> list[str]:
        return [self.people.item(i).text() for i in range(self.people.count())
                if self.people.item(i).checkState() == Qt.CheckState.Checked]

    def _sample_toggled(self, on: bool) -> None:
        self.fraction.setEnabled(on)
        self.seed.setEnabled(on)

    def accept(self) -> None:
        names = self.ticked()
        if not names:
            self.error.setText(tr("Tick at least one annotator"))
            return
        if self.sample.isChecked() and len(names) < 2:
            self.error.setText(tr("Double annotation needs two or more annotators"))
            return
        self.choice = AssignChoice(tuple(names), self.sample.isChecked(), self.fraction.value() / 100.0,
                                   self.seed.value())
        super().accept()
