"""The record list: status marks, search and status filter, progress count (reviewed / total).

Records in the project's check set carry a mark of their own: they are never trained on, and every
model version is scored on them, so an annotator should know which ones they are.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from madpg_core import check_set
from madpg_core.domain import RecordStatus
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui.i18n import tr
from madpg_gui.widgets.colors import STATUS_COLORS, STATUS_MARKS, swatch

Index = QModelIndex | QPersistentModelIndex
CHECK_MARK = "◇"
CHECK_FILTER = "check"  # the status filter's entry for the check set (not a RecordStatus)


def check_set_tip() -> str:
    return tr("in the check set: never trained on, used to compare model versions")


def status_text(st: RecordStatus) -> str:
    return {RecordStatus.NEW: tr("new"), RecordStatus.PRELABELLED: tr("pre-labelled"),
            RecordStatus.REVIEWED: tr("reviewed")}[st]


class RecordListModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[repo.RecordSummary] = []
        self.check: set[int] = set()

    def set_rows(self, rows: list[repo.RecordSummary], check: set[int] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.check = check or set()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            name = r.name or f"#{r.id}"
            mark = f" {CHECK_MARK}" if r.id in self.check else ""
            return f"{STATUS_MARKS[r.status]}{mark} {name}\n{r.preview.replace(chr(10), ' ')}"
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch(STATUS_COLORS[r.status], 12, True)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{status_text(r.status)} · {r.n_spans} {tr('entities')}"
            if r.confidence is not None:
                tip += " · " + tr("model confidence {c}").format(c=f"{r.confidence:.2f}")
            if r.min_confidence is not None:
                tip += " · " + tr("least confident model entity {c}").format(c=f"{r.min_confidence:.2f}")
            if r.id in self.check:
                tip += "\n" + CHECK_MARK + " " + check_set_tip()
            return tip
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None

    def row_of(self, record_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == record_id), -1)


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
        self.order = QComboBox()
        self.order.addItem(tr("In order"), "id")
        self.order.addItem(tr("Least confident first"), "uncertainty")
        # The view is parented before its model, so Qt destroys it first: a model that died before its
        # view (e.g. Python's garbage collector freeing it) made the view report a dangling index.
        self.view = QListView(self)
        self.view.setUniformItemSizes(True)  # fast on thousands of records
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)  # Model ▸ Pre-label selected
        self.model = RecordListModel(self)
        self.view.setModel(self.model)
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
        if self.project is not None:
            check = check_set.check_ids(self.project)
            wanted = self.status.currentData()
            with self.project.reading() as s:
                rows = repo.list_records(s, search=self.search.text().strip(),
                                         status=None if wanted == CHECK_FILTER else wanted,
                                         order=self.order.currentData())
                if wanted == CHECK_FILTER:
                    rows = [r for r in rows if r.id in check]
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
        self.model.set_rows(rows, check)
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
            self.view.setCurrentIndex(self.model.index(row))
            self.view.scrollTo(self.model.index(row))
        else:
            self.view.selectionModel().clearCurrentIndex()
        self._quiet = quiet

    def _chosen(self, cur: QModelIndex, _prev: QModelIndex) -> None:
        if not self._quiet and cur.isValid():
            self.recordChosen.emit(cur.data(Qt.ItemDataRole.UserRole))
