"""The entity table (one row per span) and the BIO view (one row per character, tag editable)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from madpg_core.domain import LabelSchema, Record, Span, SpanSource, spans_to_bio
from madpg_gui.i18n import tr, type_name
from madpg_gui.widgets.colors import swatch, tint

Index = QModelIndex | QPersistentModelIndex
SHOWN = {"\n": "↵", "\r": "␍", "\t": "⇥", " ": "␣", "\u3000": "□"}


def _color(schema: LabelSchema, label: str) -> str:
    return next((t.color for t in schema.types if t.name == label), "#999999")


class EntityModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.record: Record | None = None
        self.schema = LabelSchema(())
        self.headers = [tr("Type"), tr("Text"), tr("Start"), tr("End"), tr("Origin"), tr("Confidence")]

    def set_record(self, record: Record | None, schema: LabelSchema) -> None:
        self.beginResetModel()
        self.record, self.schema = record, schema
        self.endResetModel()

    def span(self, row: int) -> Span:
        assert self.record is not None
        return self.record.spans[row]

    def row_of(self, span: Span) -> int:
        return self.record.spans.index(span) if self.record and span in self.record.spans else -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() or not self.record else len(self.record.spans)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 6

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or self.record is None:
            return None
        sp, col = self.record.spans[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return type_name(sp.label, self.schema)
            if col == 1:
                return sp.text_in(self.record.text)
            if col == 2:
                return sp.start
            if col == 3:
                return sp.end
            if col == 4:
                return tr("annotator") if sp.source == SpanSource.ANNOTATOR else f"{tr('model')} {sp.model_version or ''}"
            if col == 5:
                return "" if sp.confidence is None else f"{sp.confidence:.2f}"
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return swatch(_color(self.schema, sp.label))
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return sp.label  # the identifier, as BIO tags and exported files name the type
        return None


class EntityTable(QTableView):
    spanActivated = Signal(object)  # Span

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = EntityModel()
        self.setModel(self.model_)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.selectionModel().currentRowChanged.connect(self._row_changed)
        self._quiet = False

    def set_record(self, record: Record | None, schema: LabelSchema) -> None:
        self._quiet = True
        self.model_.set_record(record, schema)
        self._quiet = False

    def select_span(self, span: Span | None) -> None:
        row = self.model_.row_of(span) if span else -1
        self._quiet = True
        if row < 0:
            self.clearSelection()
        else:
            self.selectRow(row)
            self.scrollTo(self.model_.index(row, 0))
        self._quiet = False

    def _row_changed(self, cur: QModelIndex, _prev: QModelIndex) -> None:
        if not self._quiet and cur.isValid():
            self.spanActivated.emit(self.model_.span(cur.row()))


class BioModel(QAbstractTableModel):
    tagEdited = Signal(int, str)  # character index, new tag

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.tags: list[str] = []
        self.schema = LabelSchema(())
        self.headers = [tr("Offset"), tr("Char"), tr("Tag")]

    def set_record(self, record: Record | None, schema: LabelSchema) -> None:
        self.beginResetModel()
        self.schema = schema
        self.text = record.text if record else ""
        self.tags = spans_to_bio(record.text, record.spans) if record else []
        self.endResetModel()

    def tag_choices(self) -> list[str]:
        return ["O"] + [f"{p}-{n}" for n in self.schema.names for p in ("B", "I")]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.text)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == 2 else f

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        r, col = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == 0:
                return r
            if col == 1:
                return SHOWN.get(self.text[r], self.text[r])
            return self.tags[r]
        if role == Qt.ItemDataRole.BackgroundRole and col == 2 and self.tags[r] != "O":
            return tint(_color(self.schema, self.tags[r][2:]), 150 if self.tags[r][0] == "B" else 90)
        if role == Qt.ItemDataRole.ToolTipRole and col == 2 and self.tags[r] != "O":
            return type_name(self.tags[r][2:], self.schema)  # tags keep identifiers; say what they mean
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if index.column() != 2 or role != Qt.ItemDataRole.EditRole or value == self.tags[index.row()]:
            return False
        self.tagEdited.emit(index.row(), str(value))  # the command re-reads and resets this model
        return True


class TagDelegate(QStyledItemDelegate):
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:  # noqa: N802
        box = QComboBox(parent)
        box.addItems(index.model().tag_choices())
        return box

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole))

    def setModelData(self, editor: QWidget, model: BioModel, index: Index) -> None:  # noqa: N802
        model.setData(index, editor.currentText())


class BioTable(QTableView):
    charActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = BioModel()
        self.setModel(self.model_)
        self.setItemDelegateForColumn(2, TagDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.SelectedClicked)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setStretchLastSection(True)
        self.selectionModel().currentRowChanged.connect(lambda cur, _p: self.charActivated.emit(cur.row()))

    def set_record(self, record: Record | None, schema: LabelSchema) -> None:
        row = self.currentIndex().row()
        self.model_.set_record(record, schema)
        if 0 <= row < self.model_.rowCount():
            self.blockSignals(True)
            self.setCurrentIndex(self.model_.index(row, 2))
            self.blockSignals(False)

    def show_char(self, i: int) -> None:
        if 0 <= i < self.model_.rowCount():
            self.selectionModel().blockSignals(True)
            self.setCurrentIndex(self.model_.index(i, 2))
            self.selectionModel().blockSignals(False)
            self.scrollTo(self.model_.index(i, 2))
