"""The record list: status marks, search and status filter, progress count (reviewed / total), and
the model confidence that "least confident first" sorts by, in a column of its own.

Records in the project's check set carry a mark of their own: they are never trained on, and every
model version is scored on them, so an annotator should know which ones they are.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from madpg_core import check_set
from madpg_core.domain import RecordStatus
from madpg_core.storage import repo, team
from madpg_core.storage.project import Project
from madpg_gui.i18n import tr, trn
from madpg_gui.widgets.colors import STATUS_COLORS, STATUS_MARKS, swatch, tint

Index = QModelIndex | QPersistentModelIndex
CHECK_MARK = "◇"
CHECK_FILTER = "check"  # the status filter's entry for the check set (not a RecordStatus)
CHECK_DONE = "✓"  # after one's own name: one's sheet of the record is done
MINE_FILTER = "mine"  # the status filter's entry for the records assigned to this desk's annotator
CONFIDENCE_ROLE = Qt.ItemDataRole.UserRole + 1  # float | None: the value the confidence column shows
CONFIDENCE_COLUMN = 1
BAR_COLOR = "#0072B2"


def confidence_tip() -> str:
    return tr("Model confidence: the probability of the record's least confident character when the model "
              "pre-labelled it (for records pre-labelled before that was kept, of its least confident "
              "pre-label). \"Least confident first\" sorts by it. Empty: never pre-labelled.")


def check_set_tip() -> str:
    return tr("in the check set: never trained on, used to compare model versions")


def status_text(st: RecordStatus) -> str:
    return {RecordStatus.NEW: tr("new"), RecordStatus.PRELABELLED: tr("pre-labelled"),
            RecordStatus.REVIEWED: tr("reviewed")}[st]


class RecordListModel(QAbstractTableModel):
    """One row per record: the record (status, name, preview) and its model confidence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[repo.RecordSummary] = []
        self.check: set[int] = set()
        self.assigned: dict[int, list[str]] = {}  # record id → its annotators (Assignment)
        self.mine_done: set[int] = set()
        self.me = ""
        self.headers = [tr("Record"), tr("Confidence")]

    def set_rows(self, rows: list[repo.RecordSummary], check: set[int] | None = None,
                 assigned: dict[int, list[str]] | None = None, mine_done: set[int] | None = None,
                 me: str = "") -> None:
        self.beginResetModel()
        self.rows = rows
        self.check = check or set()
        self.assigned = assigned or {}
        self.mine_done, self.me = mine_done or set(), me  # records whose sheet this desk's annotator finished
        self.endResetModel()

    def index(self, row: int, column: int = 0, parent: Index = QModelIndex()) -> QModelIndex:
        return super().index(row, column, parent)  # column 0 by default, as a list model had it

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == CONFIDENCE_COLUMN:
            return confidence_tip()
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.UserRole:
            return r.id  # on every column: the current index may sit on the confidence cell
        if col == CONFIDENCE_COLUMN:
            return self._confidence_data(r, role)
        if role == Qt.ItemDataRole.DisplayRole:
            name = r.name or f"#{r.id}"
            mark = f" {CHECK_MARK}" if r.id in self.check else ""
            who = f"  → {', '.join(self._who(r.id))}" if r.id in self.assigned else ""
            return f"{STATUS_MARKS[r.status]}{mark} {name}{who}\n{r.preview.replace(chr(10), ' ')}"
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch(STATUS_COLORS[r.status], 12, True)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(r)
        return None

    def _confidence_data(self, r: repo.RecordSummary, role: int) -> object:
        conf = r.order_confidence
        if role == CONFIDENCE_ROLE:
            return conf
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if conf is None else f"{conf:.2f}"  # empty, not 0: no model has looked at it
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(r) + "\n\n" + confidence_tip()
        return None

    def _who(self, record_id: int) -> list[str]:
        """The record's annotators; this desk's with ✓ once their sheet is marked done."""
        done = record_id in self.mine_done
        return [f"{n} {CHECK_DONE}" if done and n == self.me else n for n in self.assigned[record_id]]

    def _tip(self, r: repo.RecordSummary) -> str:
        tip = f"{status_text(r.status)} · " + trn("{n} entity", "{n} entities", r.n_spans)
        if r.confidence is not None:
            tip += " · " + tr("model confidence {c}").format(c=f"{r.confidence:.2f}")
        if r.min_confidence is not None:
            tip += " · " + tr("least confident model entity {c}").format(c=f"{r.min_confidence:.2f}")
        if r.id in self.check:
            tip += "\n" + CHECK_MARK + " " + check_set_tip()
        if r.id in self.assigned:
            names = self.assigned[r.id]
            tip += "\n" + (tr("Double annotation: {names}, each on their own sheet") if len(names) > 1
                           else tr("Assigned to {names}")).format(names=", ".join(names))
            if r.id in self.mine_done:
                tip += "\n" + tr("Your sheet is done; the record is reviewed once it is adjudicated")
        return tip

    def row_of(self, record_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == record_id), -1)


class ConfidenceBar(QStyledItemDelegate):
    """The confidence as a bar behind its number, drawn between the row's background (selection
    included) and the text, so that it shows on the current row too."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        conf = index.data(CONFIDENCE_ROLE)
        if conf is not None:
            r = opt.rect.adjusted(2, 3, -2, -3)
            width = round(r.width() * min(max(float(conf), 0.0), 1.0))
            bar = QColor(255, 255, 255, 90) if selected else tint(BAR_COLOR, 70)
            painter.fillRect(QRect(r.left(), r.top(), width, r.height()), bar)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setPen(opt.palette.color(role))
        painter.drawText(opt.rect.adjusted(3, 0, -4, 0), int(opt.displayAlignment), text)
        painter.restore()


class RecordList(QWidget):
    recordChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.search = QLineEdit(placeholderText=tr("Search text or name"))
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox()
        self.status.addItem(tr("All"), None)
        for st in RecordStatus:
            self.status.addItem(swatch(STATUS_COLORS[st], 12, True), status_text(st), st)
        self.status.addItem(f"{CHECK_MARK} {tr('Check set')}", CHECK_FILTER)
        self.status.setItemData(self.status.count() - 1, check_set_tip(), Qt.ItemDataRole.ToolTipRole)
        self.status.addItem(tr("Assigned to me"), MINE_FILTER)
        self.order = QComboBox()
        self.order.addItem(tr("In order"), "id")
        self.order.addItem(tr("Least confident first"), "uncertainty")
        # The view is parented before its model, so Qt destroys it first: a model that died before its
        # view (e.g. Python's garbage collector freeing it) made the view report a dangling index.
        self.view = QTreeView(self)  # a list with columns: a header can name and explain the confidence
        self.view.setRootIsDecorated(False)
        self.view.setItemsExpandable(False)
        self.view.setUniformRowHeights(True)  # fast on thousands of records
        self.view.setAllColumnsShowFocus(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # Model ▸ Pre-label selected
        self.model = RecordListModel(self)
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(CONFIDENCE_COLUMN, ConfidenceBar(self.view))
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionsMovable(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # fixed, not ResizeToContents: that measures every row, slow on 10,000 records
        header.setSectionResizeMode(CONFIDENCE_COLUMN, QHeaderView.ResizeMode.Fixed)
        fm = header.fontMetrics()
        header.resizeSection(CONFIDENCE_COLUMN, max(fm.horizontalAdvance(self.model.headers[1]),
                                                    fm.horizontalAdvance("0.00")) + 18)
        self.progress = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.status)
        row.addWidget(self.order)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.search)
        lay.addLayout(row)
        lay.addWidget(self.view)
        lay.addWidget(self.progress)
        self._timer = QTimer(self, singleShot=True, interval=250)  # search as one types, not per key
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._timer.start)
        self.status.currentIndexChanged.connect(self.refresh)
        self.order.currentIndexChanged.connect(self.refresh)
        self.view.selectionModel().currentRowChanged.connect(self._chosen)
        self._quiet = False

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.refresh()

    def refresh(self) -> None:
        current = self.current_id()
        rows: list[repo.RecordSummary] = []
        check: set[int] = set()
        assigned: dict[int, list[str]] = {}
        mine_done: set[int] = set()
        if self.project is not None:
            check = check_set.check_ids(self.project)
            wanted = self.status.currentData()
            with self.project.reading() as s:
                rows = repo.list_records(s, search=self.search.text().strip(),
                                         status=None if wanted in (CHECK_FILTER, MINE_FILTER) else wanted,
                                         order=self.order.currentData())
                if wanted == CHECK_FILTER:
                    rows = [r for r in rows if r.id in check]
                assigned = team.assignments(s)
                mine_done = team.sheets_done(s, self.project.annotator)
                if wanted == MINE_FILTER:
                    rows = [r for r in rows if self.project.annotator in assigned.get(r.id, ())]
                if self.order.currentData() == "uncertainty":  # what is left to review comes first
                    rows.sort(key=lambda r: r.status == RecordStatus.REVIEWED)
                st = repo.stats(s)
            done = st.records_by_status.get(RecordStatus.REVIEWED.value, 0)
            self.progress.setText(tr("Reviewed {done} / {total}").format(done=done, total=st.records)
                                  + (f"  ·  {tr('shown')} {len(rows)}" if len(rows) != st.records else ""))
        else:
            self.progress.setText("")
        selected = set(self.selected_ids())
        self._quiet = True
        self.model.set_rows(rows, check, assigned, mine_done, self.project.annotator if self.project else "")
        if current is not None:
            self.select(current)
        if len(selected) > 1:  # keep a multi-selection across refreshes (Model ▸ Pre-label selected)
            sm = self.view.selectionModel()
            for i, r in enumerate(rows):
                if r.id in selected:
                    sm.select(self.model.index(i), QItemSelectionModel.SelectionFlag.Select)
        self._quiet = False

    def ids(self) -> list[int]:
        return [r.id for r in self.model.rows]

    def selected_ids(self) -> list[int]:
        """The selected records in list order (the current one when nothing else is selected)."""
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        ids = [self.model.rows[r].id for r in rows]
        if not ids and self.current_id() is not None:
            ids = [self.current_id()]
        return ids

    def current_id(self) -> int | None:
        idx = self.view.currentIndex()
        return idx.data(Qt.ItemDataRole.UserRole) if idx.isValid() else None

    def select(self, record_id: int) -> None:
        row = self.model.row_of(record_id)
        quiet, self._quiet = self._quiet, True
        if row >= 0:
            # The shown record becomes the one selected row: setCurrentIndex alone kept the rows
            # selected before, so after Ctrl+J two (then three) rows were highlighted (issue 20).
            flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.view.selectionModel().setCurrentIndex(self.model.index(row), flags)
            self.view.scrollTo(self.model.index(row))
        else:
            self.view.selectionModel().clearCurrentIndex()
        self._quiet = quiet

    def _chosen(self, cur: QModelIndex, _prev: QModelIndex) -> None:
        if not self._quiet and cur.isValid():
            self.recordChosen.emit(cur.data(Qt.ItemDataRole.UserRole))
