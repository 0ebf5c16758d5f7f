"""Which assertion statuses the project offers (Edit ▸ Assertion statuses…): one box per status, with
its mark and meaning. "Present" cannot be left out (every span starts present); leaving out a status
that spans carry is confirmed afterwards (assertion_editing.py asks, the core counts). The order is
the core's (domain.ASSERTION_STATUSES): Alt+1, Alt+2, … follow it over the statuses kept."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from madpg_core.domain import ASSERTION_STATUSES, AssertionStatus
from madpg_gui.i18n import tr
from madpg_gui.span_marks import status_help, status_label


class StatusesDialog(QDialog):
    """``chosen`` is read by the caller after ``exec()``."""

    def __init__(self, offered: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Assertion statuses"))
        lay = QVBoxLayout(self)
        intro = QLabel(tr("The statuses annotators can give an entity in this project. Alt+1, Alt+2, … give "
                          "them in this order; the detector proposes only these."), wordWrap=True)
        lay.addWidget(intro)
        self.boxes: dict[str, QCheckBox] = {}
        for status in ASSERTION_STATUSES:
            box = QCheckBox(status_label(status))
            box.setChecked(status in offered)
            box.setToolTip(status_help(status))
            if status == AssertionStatus.PRESENT.value:
                box.setChecked(True)
                box.setEnabled(False)
                box.setToolTip(tr("Every entity starts as present: this status cannot be left out."))
            self.boxes[status] = box
            lay.addWidget(box)
            hint = QLabel(status_help(status), wordWrap=True)
            hint.setIndent(24)  # under its box's text: the meaning belongs to the box above
            lay.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.chosen: list[str] = list(offered)
        self.setMinimumWidth(440)

    def accept(self) -> None:
        self.chosen = [s for s, box in self.boxes.items() if box.isChecked()]
        super().accept()
