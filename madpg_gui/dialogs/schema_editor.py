"""The label-schema editor: identifiers, Chinese display names, colours, digit keys. Removing a type
that spans still use needs the user's confirmation; renaming keeps the spans (they follow the
rename). The identifier is what BIO tags, exports and models use; the Chinese name only what the
Chinese interface shows (empty: the built-in name, else the identifier)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from madpg_core.domain import PALETTE, EntityType, LabelSchema, display_name
from madpg_core.errors import MadpgError
from madpg_gui.i18n import tr, type_name

KEYS = ["", *[str(i) for i in range(1, 10)]]
ZH = "zh_CN"  # the display-name language edited here: the users are Chinese clinicians
COL_NAME, COL_ZH, COL_COLOR, COL_STYLE, COL_KEY, COL_USED = range(6)


def style_names() -> dict[str, str]:
    """The text styles (domain.TEXT_STYLES) as the user reads them."""
    return {"fill": tr("Background"), "underline": tr("Underline"), "bold": tr("Bold text"), "frame": tr("Frame")}


class SchemaEditor(QDialog):
    """``result_schema``, ``renames`` and ``removed`` are read by the caller after ``exec()``."""

    def __init__(self, schema: LabelSchema, usage: dict[str, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Label schema"))
        self.usage = usage
        self.original = schema
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels([tr("Identifier"), tr("Chinese name"), tr("Colour"), tr("Style"),
                                              tr("Key"), tr("Entities")])
        self.table.horizontalHeaderItem(COL_STYLE).setToolTip(
            tr("How the type's entities are drawn besides their colour: a second cue for types whose "
               "colours are hard to tell apart."))
        self.table.horizontalHeaderItem(COL_NAME).setToolTip(
            tr("Used in BIO tags, exported files and the model; renaming a type keeps its entities."))
        self.table.horizontalHeaderItem(COL_ZH).setToolTip(
            tr("Shown in the Chinese interface; left empty, the built-in name or the identifier shows."))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        for t in schema.types:
            self._add_row(t, t.name)
        add, remove = QPushButton(tr("Add type")), QPushButton(tr("Remove type"))
        add.clicked.connect(self._add_new)
        remove.clicked.connect(self._remove)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #B00020;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addLayout(row)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(700, 360)
        self.result_schema: LabelSchema | None = None
        self.renames: dict[str, str] = {}
        self.removed: dict[str, int] = {}  # type -> spans that will be deleted

    def _add_row(self, t: EntityType, original: str | None) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        name = QLineEdit(t.name)
        name.setProperty("original", original)
        zh = QLineEdit(t.own_display_name(ZH) or "")
        zh.setPlaceholderText(display_name(t.name, ZH))  # what shows while it is left empty
        name.textChanged.connect(lambda text, e=zh: e.setPlaceholderText(display_name(text.strip(), ZH)))
        color = QPushButton(t.color)
        color.setStyleSheet(f"background: {t.color};")
        color.clicked.connect(lambda _=False, b=color: self._pick(b))
        style = QComboBox()
        for value, label in style_names().items():
            style.addItem(label, value)
        style.setCurrentIndex(max(0, style.findData(t.style)))
        key = QComboBox()
        key.addItems(KEYS)
        key.setCurrentText(t.key or "")
        self.table.setCellWidget(r, COL_NAME, name)
        self.table.setCellWidget(r, COL_ZH, zh)
        self.table.setCellWidget(r, COL_COLOR, color)
        self.table.setCellWidget(r, COL_STYLE, style)
        self.table.setCellWidget(r, COL_KEY, key)
        n = self.usage.get(original, 0) if original else 0
        self.table.setCellWidget(r, COL_USED, QLabel(str(n), alignment=Qt.AlignmentFlag.AlignCenter))

    def _pick(self, button: QPushButton) -> None:
        c = QColorDialog.getColor(QColor(button.text()), self, tr("Entity colour"))
        if c.isValid():
            button.setText(c.name().upper())
            button.setStyleSheet(f"background: {c.name()};")

    def _add_new(self) -> None:
        used_keys = {self.table.cellWidget(r, COL_KEY).currentText() for r in range(self.table.rowCount())}
        key = next((k for k in KEYS[1:] if k not in used_keys), None)
        color = PALETTE[self.table.rowCount() % len(PALETTE)]
        self._add_row(EntityType(f"Type{self.table.rowCount() + 1}", color, key), None)

    def _remove(self) -> None:
        r = self.table.currentRow()
        if r < 0:
            r = self.table.rowCount() - 1
        if r >= 0:
            self.table.removeRow(r)

    def rows(self) -> list[tuple[str | None, EntityType]]:
        out = []
        for r in range(self.table.rowCount()):
            name = self.table.cellWidget(r, COL_NAME)
            t = EntityType(name.text().strip(), self.table.cellWidget(r, COL_COLOR).text(),
                           self.table.cellWidget(r, COL_KEY).currentText() or None,
                           ((ZH, self.table.cellWidget(r, COL_ZH).text()),),
                           self.table.cellWidget(r, COL_STYLE).currentData())
            out.append((name.property("original"), t))
        return out

    def accept(self) -> None:
        rows = self.rows()
        problem = self._problem([t for _, t in rows])
        if problem:
            self.error.setText(problem)
            return
        try:
            schema = LabelSchema(tuple(t for _, t in rows))
        except MadpgError as e:  # a rule _problem does not know yet: the core's words, in English
            self.error.setText(str(e))
            return
        kept = {orig for orig, _ in rows if orig}
        removed = {n: self.usage.get(n, 0) for n in self.original.names if n not in kept}
        in_use = {n: c for n, c in removed.items() if c}
        if in_use:
            listing = "\n".join(f"{type_name(self.original.get(n))}: {c}" for n, c in in_use.items())
            answer = QMessageBox.warning(
                self, tr("Delete entity types"),
                tr("These types are still used; removing them deletes their entities:") + "\n" + listing,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.result_schema = schema
        self.renames = {orig: t.name for orig, t in rows if orig and orig != t.name}
        self.removed = removed
        super().accept()

    def _problem(self, types: list[EntityType]) -> str:
        """What is wrong with the edited types, in the user's language ("" when nothing is)."""
        names = [t.name for t in types]
        for n in names:
            if not n or any(c.isspace() for c in n):
                return tr("An identifier is empty or holds spaces: {name}").format(name=n or "…")
            if n.startswith(("B-", "I-")) or "-" in n[:2]:  # as LabelSchema refuses them
                return tr('An identifier cannot start with "-" or with a letter and "-" (B-, I- are BIO tag '
                          'prefixes): {name}').format(name=n)
        if len(set(names)) != len(names):
            return tr("Two types share the identifier {name}.").format(
                name=next(n for n in names if names.count(n) > 1))
        keys = [t.key for t in types if t.key]
        if len(set(keys)) != len(keys):
            return tr("Two types share the same key.")
        shown = [display_name(t, ZH) for t in types]
        if len(set(shown)) != len(shown):
            return tr("Two types share the Chinese name {name}.").format(
                name=next(n for n in shown if shown.count(n) > 1))
        return ""
