"""Who is annotating: the small question asked when a team project is first opened at this desk,
and by Team ▸ Switch annotator…. An existing annotator is picked from the list or a new name typed;
the OS user name is offered first when nothing was chosen before."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from madpg_core.errors import MadpgError
from madpg_core.storage.annotators import UNKNOWN, clean_name
from madpg_gui.i18n import tr


class AnnotatorDialog(QDialog):
    def __init__(self, names: Sequence[str], current: str, project_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Who is annotating?"))
        intro = QLabel(tr("Your name in the project {project}: every entity and change you make carries it, "
                          "and records assigned to you are listed for you. Pick your name or type a new one.")
                       .format(project=project_name))
        intro.setWordWrap(True)
        self.names = QComboBox()
        self.names.setEditable(True)
        shown = [n for n in names if n != UNKNOWN]  # "unknown" is the past, not a person to be
        if current and current not in shown:
            shown.insert(0, current)
        self.names.addItems(shown)
        self.names.setCurrentText(current)
        self.error = QLabel()
        self.error.setStyleSheet("color: #B00020")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.names)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.chosen: str | None = None
        self.resize(420, 160)

    def accept(self) -> None:
        try:
            name = clean_name(self.names.currentText())
            if name == UNKNOWN:
                raise MadpgError(tr("\"unknown\" stands for edits made before annotators existed; choose your own name"))
        except MadpgError as e:
            self.error.setText(str(e))  # stays open: nothing chosen yet
            return
        self.chosen = name
        super().accept()
