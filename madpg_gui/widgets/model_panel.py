"""Model versions dock: every version with its scores, the selected one beside the active one.

The panel only shows and asks: ``activateRequested(version)`` goes to the main window's model
controller, which calls the core's registry and hands the new list back with ``set_versions``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from madpg_core.storage.repo import ModelVersion
from madpg_gui.i18n import tr

ACTIVE_MARK = "●"


def micro_f1(v: ModelVersion) -> float | None:
    f1 = ((v.metrics or {}).get("micro") or {}).get("f1")
    return float(f1) if isinstance(f1, (int, float)) else None


def pct(x: object) -> str:
    return f"{100 * x:.1f}" if isinstance(x, (int, float)) else "–"


def _item(text: str, align_right: bool = False, data: object = None) -> QTableWidgetItem:
    it = QTableWidgetItem(text)
    it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if data is not None:
        it.setData(Qt.ItemDataRole.UserRole, data)
    return it


class ModelPanel(QWidget):
    activateRequested = Signal(int)  # model version number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.versions: list[ModelVersion] = []
        self.baseline: int | None = None
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([tr("Version"), tr("Preset"), tr("Trained on"), tr("Dev F1"),
                                              tr("Created")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.compare = QTableWidget(0, 7)
        self.compare.setHorizontalHeaderLabels([tr("Type"), "P", "R", "F1", "P", "R", "F1"])
        self.compare.verticalHeader().hide()
        self.compare.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.compare_title = QLabel(wordWrap=True)
        self.note = QLabel(wordWrap=True)
        self.activate = QPushButton(tr("Activate"))
        self.activate.setEnabled(False)
        self.activate.clicked.connect(self._activate_clicked)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.activate)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.compare_title)
        bl.addWidget(self.compare, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(bottom)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split, 1)
        lay.addLayout(row)
        self.set_versions([])

    # ---------------------------------------------------------------- data in

    def set_versions(self, versions: Sequence[ModelVersion], select: int | None = None,
                     baseline: int | None = None) -> None:
        """Show ``versions``; keep the selected version, or select ``select`` (e.g. a new run).

        ``baseline`` is compared with the selected version when that one is the active one (e.g. the
        version a new run replaced); without it, the next older version is.
        """
        keep = select if select is not None else self.selected_version()
        self.baseline = baseline
        self.versions = list(versions)
        self.table.setRowCount(len(self.versions))
        for r, v in enumerate(self.versions):
            label = f"{ACTIVE_MARK} v{v.version}" if v.active else f"   v{v.version}"
            name = tr("bundled") if v.version == 0 else v.preset
            cells = [_item(label, data=v.version), _item(name), _item(str(v.train_size), True),
                     _item(pct(micro_f1(v)), True), _item(str(v.created_at or "")[:16].replace("T", " "))]
            for c, it in enumerate(cells):
                if v.active:
                    f = it.font()
                    f.setBold(True)
                    it.setFont(f)
                    it.setToolTip(tr("The active model: pre-labelling uses it"))
                self.table.setItem(r, c, it)
        if not self.versions:
            self.note.setText(tr("No model yet: review some records, then Model ▸ Train…"))
        else:
            self.note.setText("")
        target = keep if keep is not None else self.active_version()
        rows = [r for r, v in enumerate(self.versions) if v.version == target]
        if rows:
            self.table.selectRow(rows[0])
        self._selection_changed()

    def active_version(self) -> int | None:
        return next((v.version for v in self.versions if v.active), None)

    def selected_version(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def _version(self, number: int | None) -> ModelVersion | None:
        return next((v for v in self.versions if v.version == number), None)

    # ---------------------------------------------------------------- comparison

    def _selection_changed(self) -> None:
        sel, act = self._version(self.selected_version()), self._version(self.active_version())
        self._fill_compare(sel, act)
        if sel is None:
            self.activate.setEnabled(False)
            self.activate.setText(tr("Activate"))
            return
        self.activate.setEnabled(not sel.active)
        rollback = act is not None and sel.version < act.version
        self.activate.setText(tr("Roll back to v{n}").format(n=sel.version) if rollback
                              else tr("Activate v{n}").format(n=sel.version))

    def _partner(self, sel: ModelVersion, act: ModelVersion | None) -> ModelVersion | None:
        """The version shown beside ``sel``: the active one, or for the active one its baseline."""
        if act is not None and act.version != sel.version:
            return act
        base = self._version(self.baseline)
        if base is not None and base.version != sel.version:
            return base
        older = [v for v in self.versions if v.version < sel.version]
        return older[-1] if older else None

    def _fill_compare(self, sel: ModelVersion | None, act: ModelVersion | None) -> None:
        left = sel
        right = self._partner(sel, act) if sel is not None else None
        if left is None:
            self.compare_title.setText("")
            self.compare.setRowCount(0)
            return
        if right is None:
            self.compare_title.setText(tr("Dev scores of v{n} (%)").format(n=left.version))
        else:
            title = (tr("Dev scores (%): v{a} beside the active v{b}") if right.active
                     else tr("Dev scores (%): the active v{a} beside v{b}") if left.active
                     else tr("Dev scores (%): v{a} beside v{b}"))
            self.compare_title.setText(title.format(a=left.version, b=right.version))
        lm, rm = left.metrics or {}, (right.metrics or {}) if right else {}
        types = sorted(set(lm.get("per_type") or {}) | set(rm.get("per_type") or {}))
        rows: list[tuple[str, dict, dict]] = [(tr("all (micro)"), lm.get("micro") or {}, rm.get("micro") or {})]
        rows += [(t, (lm.get("per_type") or {}).get(t) or {}, (rm.get("per_type") or {}).get(t) or {}) for t in types]
        heads = [tr("Type")] + [f"{k} v{left.version}" for k in ("P", "R", "F1")]
        heads += [f"{k} v{right.version}" for k in ("P", "R", "F1")] if right else ["", "", ""]
        self.compare.setHorizontalHeaderLabels(heads)
        self.compare.setRowCount(len(rows))
        for r, (name, a, b) in enumerate(rows):
            self.compare.setItem(r, 0, _item(name))
            for c, key in enumerate(("precision", "recall", "f1")):
                self.compare.setItem(r, 1 + c, _item(pct(a.get(key)), True))
                self.compare.setItem(r, 4 + c, _item(pct(b.get(key)) if right else "", True))
        self.compare.setColumnHidden(4, right is None)
        self.compare.setColumnHidden(5, right is None)
        self.compare.setColumnHidden(6, right is None)
        if not lm:
            self.compare_title.setText(self.compare_title.text() + "  ·  " + tr("no scores recorded for this version"))

    def _activate_clicked(self) -> None:
        v = self.selected_version()
        if v is not None:
            self.activateRequested.emit(v)
