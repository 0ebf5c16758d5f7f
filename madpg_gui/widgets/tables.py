"""The entity table (one row per span, nested ones indented under the span that holds them, with
their layer and assertion status) and the BIO view (one row per character of layer 0, tag editable)."""

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

from madpg_core.domain import ASSERTION_STATUSES, LabelSchema, Record, Span, SpanSource, spans_to_bio
from madpg_gui.i18n import tr, type_name
from madpg_gui.nesting import SpanIndex
from madpg_gui.span_marks import Reasons, reason_text, status_help, status_label
from madpg_gui.widgets.colors import swatch, tint

Index = QModelIndex | QPersistentModelIndex
SHOWN = {"\n": "↵", "\r": "␍", "\t": "⇥", " ": "␣", "\u3000": "□"}


def _color(schema: LabelSchema, label: str) -> str:
    return next((t.color for t in schema.types if t.name == label), "#999999")


COL_TYPE, COL_TEXT, COL_START, COL_END, COL_LAYER, COL_STATUS, COL_ORIGIN, COL_CONFIDENCE = range(8)


class EntityModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.record: Record | None = None
        self.schema = LabelSchema(())
        self.rows: list[Span] = []  # by start, each span before the spans nested in it
        self.depth: list[int] = []  # how many spans hold each row's span
        self.reasons = Reasons()
        self.headers = [tr("Type"), tr("Text"), tr("Start"), tr("End"), tr("Layer"), tr("Assertion"), tr("Origin"),
                        tr("Confidence")]

    def set_record(self, record: Record | None, schema: LabelSchema) -> None:
        self.beginResetModel()
        self.record, self.schema = record, schema
        self.rows = sorted(record.spans, key=lambda sp: (sp.start, -sp.end, sp.layer)) if record else []
        index = SpanIndex(self.rows)
        self.depth = [sum(1 for o in index.at(sp.start) if o is not sp and contains(o, sp)) for sp in self.rows]
        self.endResetModel()

    def span(self, row: int) -> Span:
        return self.rows[row]

    def row_of(self, span: Span) -> int:
        return self.rows.index(span) if span in self.rows else -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == COL_LAYER:
            return tr("0: the main layer (BIO and training read it); 1, 2, …: entities nested in or "
                      "overlapping another, drawn as underlines below the line")
        if role == Qt.ItemDataRole.ToolTipRole and section == COL_STATUS:
            return tr("Assertion status; Alt+1, Alt+2, … in the text set it")
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or self.record is None:
            return None
        sp, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(sp, col, self.depth[index.row()])
        if role == Qt.ItemDataRole.DecorationRole and col == COL_TYPE:
            return swatch(_color(self.schema, sp.label))
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_TYPE:
            return sp.label  # the identifier, as BIO tags and exported files name the type
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_STATUS:
            tip = status_help(sp.assertion)
            if sp.source == SpanSource.MODEL:  # why the detector proposed it
                tip += "\n" + reason_text(self.reasons.of(self.record, sp))
            return tip
        return None

    def _display(self, sp: Span, col: int, depth: int) -> object:
        if col == COL_TYPE:
            return type_name(sp.label, self.schema)
        if col == COL_TEXT:  # a nested span indented under the one that holds it
            text = sp.text_in(self.record.text)
            return "    " * (depth - 1) + "└ " + text if depth else text
        if col == COL_START:
            return sp.start
        if col == COL_END:
            return sp.end
        if col == COL_LAYER:
            return sp.layer
        if col == COL_STATUS:
            return status_label(sp.assertion)
        if col == COL_ORIGIN:
            return tr("annotator") if sp.source == SpanSource.ANNOTATOR else f"{tr('model')} {sp.model_version or ''}"
        if col == COL_CONFIDENCE:
            return "" if sp.confidence is None else f"{sp.confidence:.2f}"
        return None


def contains(outer: Span, inner: Span) -> bool:
    """``outer`` holds ``inner`` (and is longer, or of the same range in a lower layer)."""
    if not (outer.start <= inner.start and inner.end <= outer.end):
        return False
    return (outer.end - outer.start) > (inner.end - inner.start) or outer.layer < inner.layer


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
        self.horizontalHeader().setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        # fixed widths from the words shown, not ResizeToContents: that measures every row on each edit
        fm, pad = self.fontMetrics(), 24
        for col in (COL_START, COL_END, COL_LAYER):
            self.setColumnWidth(col, max(fm.horizontalAdvance("00000"), fm.horizontalAdvance(self.model_.headers[col])) + pad)
        widest = max(fm.horizontalAdvance(status_label(s)) for s in ASSERTION_STATUSES)
        self.setColumnWidth(COL_STATUS, max(widest, fm.horizontalAdvance(self.model_.headers[COL_STATUS])) + pad)
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
        self.nested = False  # whether the record has spans outside layer 0 (this view does not show them)

    def set_record(self, record: Record | None, schema: LabelSchema) -> None:
        self.beginResetModel()
        self.schema = schema
        self.text = record.text if record else ""
        self.tags = spans_to_bio(record.text, record.spans) if record else []  # layer 0's
        self.nested = bool(record) and any(sp.layer for sp in record.spans)
        self.endResetModel()

    def tag_choices(self) -> list[str]:
        return ["O"] + [f"{p}-{n}" for n in self.schema.names for p in ("B", "I")]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.text)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section] + (" *" if section == 2 and self.nested else "")
        if role == Qt.ItemDataRole.ToolTipRole and section == 2:
            return tr("The tags of layer 0, the main one; nested entities are listed in the entity table")
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
