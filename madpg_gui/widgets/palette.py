"""The label palette: one button per entity type, with its colour and digit key."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from madpg_core.domain import LabelSchema
from madpg_gui.i18n import tr, type_name
from madpg_gui.widgets.colors import swatch


class LabelPalette(QWidget):
    labelChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lay = QHBoxLayout(self)
        self.lay.setContentsMargins(2, 2, 2, 2)
        self.buttons: dict[str, QToolButton] = {}

    def set_schema(self, schema: LabelSchema) -> None:
        while self.lay.count():
            w = self.lay.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.buttons.clear()
        self.lay.addWidget(QLabel(tr("Labels:")))
        for t in schema.types:
            shown = type_name(t)
            b = QToolButton(text=f"{t.key} {shown}" if t.key else shown)
            b.setIcon(swatch(t.color, 14))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            # The identifier in brackets: it is what the BIO tags and exported files say (B-Disease).
            what = shown if shown == t.name else f"{shown} ({t.name})"
            b.setToolTip(tr("{type}: apply to the selection (key {key})").format(type=what, key=t.key) if t.key
                         else what)
            b.clicked.connect(lambda _=False, n=t.name: self.labelChosen.emit(n))
            self.lay.addWidget(b)
            self.buttons[t.name] = b
        self.lay.addStretch(1)
