"""Model versions dock: every version scored on the project's check set, the selected one beside
the active one, type by type.

Like with like: the only scores in the table are those on the project's *current* check set
(``version_scores.stored_scores``), the same records for every version. A version not scored on
it says so instead of showing a number from another exam (its own old dev split, or the bundled
model's cEHRNER dev score, which appears only in the details, labelled as such).

The panel only shows and asks: ``activateRequested(version)`` goes to the model loop, which calls
the core's registry and hands the new list back with ``set_versions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
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

from madpg_core.domain import LabelSchema
from madpg_core.storage.repo import ModelVersion
from madpg_core.version_scores import CheckScore
from madpg_gui.activation import activation_text
from madpg_gui.i18n import tr, trn, type_name

ACTIVE_MARK = "●"
MUTED = QColor("#777777")
COL_CHECK = 3  # the table column with the check-set score


def pct(x: object) -> str:
    return f"{100 * x:.1f}" if isinstance(x, (int, float)) else "–"


def score_text(s: CheckScore) -> str:
    return f"{pct(s.f1)} ({pct(s.lo)}–{pct(s.hi)})"


def not_scored() -> str:
    return tr("not scored on the current check set")


def _item(text: str, align_right: bool = False, data: object = None, muted: bool = False) -> QTableWidgetItem:
    it = QTableWidgetItem(text)
    it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if data is not None:
        it.setData(Qt.ItemDataRole.UserRole, data)
    if muted:
        it.setForeground(MUTED)
        f = it.font()
        f.setItalic(True)
        it.setFont(f)
    return it


def activation_of(v: ModelVersion) -> str:
    return activation_text((v.metrics or {}).get("activation"))


def origin_of(v: ModelVersion) -> str:
    m = v.metrics or {}
    if v.version == 0:
        return tr("bundled")
    if m.get("mode") == "warm" and m.get("base_version") is not None:
        return tr("{p}, fine-tuned from v{b}").format(p=v.preset, b=m["base_version"])
    if m.get("mode") == "scratch":
        return tr("{p}, from scratch").format(p=v.preset)
    return v.preset


class ModelPanel(QWidget):
    activateRequested = Signal(int)  # model version number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.versions: list[ModelVersion] = []
        self.scores: dict[int, CheckScore] = {}
        self.check_size = 0
        self.baseline: int | None = None
        self.schema = LabelSchema(())  # for the project's display names of the types in the scores
        self.check_title = QLabel(wordWrap=True)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([tr("Version"), tr("Model"), tr("Trained on"),
                                              tr("Check-set F1 (95 % interval)"), tr("Created")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.compare = QTableWidget(0, 5)
        self.compare.verticalHeader().hide()
        self.compare.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.compare_title = QLabel(wordWrap=True)
        self.details = QLabel(wordWrap=True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel(wordWrap=True)
        self.activate = QPushButton(tr("Activate"))
        self.activate.setEnabled(False)
        self.activate.clicked.connect(self._activate_clicked)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.activate)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.check_title)
        tl.addWidget(self.table, 1)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.compare_title)
        bl.addWidget(self.compare, 1)
        bl.addWidget(self.details)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split, 1)
        lay.addLayout(row)
        self.set_versions([])

    # ---------------------------------------------------------------- data in

    def set_schema(self, schema: LabelSchema) -> None:
        """The project's label schema: per-type rows show its display names (types a version
        knows that the schema no longer has show their built-in name or identifier)."""
        self.schema = schema
        self._selection_changed()

    def set_versions(self, versions: Sequence[ModelVersion], select: int | None = None,
                     baseline: int | None = None, scores: Mapping[int, CheckScore] | None = None,
                     check_size: int = 0) -> None:
        """Show ``versions`` with their ``scores`` on the current check set of ``check_size`` records;
        keep the selected version, or select ``select`` (e.g. a new run).

        ``baseline`` is compared with the selected version when that one is the active one (e.g. the
        version a new run replaced); without it, the next older version is.
        """
        keep = select if select is not None else self.selected_version()
        self.baseline = baseline
        self.versions = list(versions)
        self.scores = dict(scores or {})
        self.check_size = check_size
        self._fill_check_title()
        self.table.setRowCount(len(self.versions))
        for r, v in enumerate(self.versions):
            label = f"{ACTIVE_MARK} v{v.version}" if v.active else f"   v{v.version}"
            s = self.scores.get(v.version)
            check = _item(score_text(s), True) if s else _item(not_scored(), muted=True)
            cells = [_item(label, data=v.version), _item(origin_of(v)), _item(str(v.train_size), True), check,
                     _item(str(v.created_at or "")[:16].replace("T", " "))]
            tip = "\n".join(filter(None, [tr("The active model: pre-labelling uses it") if v.active else "",
                                          activation_of(v)]))
            for c, it in enumerate(cells):
                if v.active:
                    f = it.font()
                    f.setBold(True)
                    it.setFont(f)
                if tip:
                    it.setToolTip(tip)
                self.table.setItem(r, c, it)
        self.note.setText("" if self.versions else tr("No model yet: review some records, then Model ▸ Train…"))
        target = keep if keep is not None else self.active_version()
        rows = [r for r, v in enumerate(self.versions) if v.version == target]
        if rows:
            self.table.selectRow(rows[0])
        self._selection_changed()

    def _fill_check_title(self) -> None:
        if self.check_size <= 0:
            self.check_title.setText(tr("No check set yet: the first training sets aside a share of the reviewed "
                                        "records, never trained on, to score every version on the same records."))
        else:
            self.check_title.setText(trn("Scores on the project's check set: the same {n} reviewed record for every "
                                         "version, never trained on.",
                                         "Scores on the project's check set: the same {n} reviewed records for every "
                                         "version, never trained on.", self.check_size))

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
        self._fill_details(sel)
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
            title = tr("Check-set F1 (%) of v{a}").format(a=left.version)
        else:
            title = (tr("Check-set F1 (%): v{a} beside the active v{b}") if right.active
                     else tr("Check-set F1 (%): the active v{a} beside v{b}") if left.active
                     else tr("Check-set F1 (%): v{a} beside v{b}")).format(a=left.version, b=right.version)
        ls, rs = self.scores.get(left.version), self.scores.get(right.version) if right else None
        missing = [f"v{v.version}" for v, s in ((left, ls), (right, rs)) if v is not None and s is None]
        if missing:
            title += "  ·  " + tr("{v}: not scored on the current check set").format(v=", ".join(missing))
        self.compare_title.setText(title)
        delta = f"Δ (v{left.version} − v{right.version})" if right else ""
        heads = [tr("Type"), tr("Entities"), f"v{left.version}"] + ([f"v{right.version}", delta] if right else ["", ""])
        self.compare.setHorizontalHeaderLabels(heads)
        self.compare.setColumnHidden(3, right is None)
        self.compare.setColumnHidden(4, right is None)
        if ls is None and rs is None:
            self.compare.setRowCount(1)
            self.compare.setItem(0, 0, _item(not_scored(), muted=True))
            for c in range(1, 5):
                self.compare.setItem(0, c, _item(""))
            return
        order = {n: i for i, n in enumerate(self.schema.names)}  # the palette's order, then the rest
        types = sorted(set(ls.per_type if ls else {}) | set(rs.per_type if rs else {}),
                       key=lambda t: (order.get(t, len(order)), t))
        self.compare.setRowCount(1 + len(types))
        self._compare_row(0, tr("all (micro)"), _micro(ls), _micro(rs), right is not None)
        for r, t in enumerate(types, start=1):
            self._compare_row(r, type_name(t, self.schema), (ls.per_type.get(t) if ls else None),
                              (rs.per_type.get(t) if rs else None), right is not None)

    def _compare_row(self, r: int, name: str, a: dict | None, b: dict | None, two: bool) -> None:
        support = (a or b or {}).get("support")
        self.compare.setItem(r, 0, _item(name))
        self.compare.setItem(r, 1, _item(str(support) if support is not None else "", True))
        for c, m in ((2, a), (3, b)):
            it = _item(pct(m.get("f1")), True) if m else _item("–", True, muted=True)
            if m:
                it.setToolTip(_tip(m))
            self.compare.setItem(r, c, it)
        fa, fb = (a or {}).get("f1"), (b or {}).get("f1")
        delta = f"{100 * (fa - fb):+.1f}" if two and isinstance(fa, float | int) and isinstance(fb, float | int) else ""
        self.compare.setItem(r, 4, _item(delta, True))

    def _fill_details(self, v: ModelVersion | None) -> None:
        if v is None:
            self.details.setText("")
            return
        lines = []
        s = self.scores.get(v.version)
        if s is not None:
            lines.append(trn("v{v} on the check set: F1 {f}, 95 % interval {lo}–{hi}, {n} record",
                             "v{v} on the check set: F1 {f}, 95 % interval {lo}–{hi}, {n} records",
                             s.n_records, v=v.version, f=pct(s.f1), lo=pct(s.lo), hi=pct(s.hi)))
        reason = activation_of(v)
        if reason:
            lines.append(tr("Activation: {r}").format(r=reason))
        card = ((v.metrics or {}).get("micro") or {}).get("f1") if v.version == 0 else None
        if isinstance(card, (int, float)):  # another exam: only here, labelled, never in the score column
            lines.append(tr("Bundled model card: F1 {f} on cEHRNER dev (another exam, not comparable with the "
                            "check set)").format(f=pct(card)))
        self.details.setText("\n".join(lines))

    def _activate_clicked(self) -> None:
        v = self.selected_version()
        if v is not None:
            self.activateRequested.emit(v)


def _micro(s: CheckScore | None) -> dict | None:
    if s is None:
        return None
    support = sum(int(m.get("support") or 0) for m in s.per_type.values())
    return {"f1": s.f1, "support": support, "lo": s.lo, "hi": s.hi}


def _tip(m: dict) -> str:
    parts = []
    if "precision" in m:
        parts.append(tr("precision {p}, recall {r}").format(p=pct(m.get("precision")), r=pct(m.get("recall"))))
    if "lo" in m:
        parts.append(tr("95 % interval {lo}–{hi}").format(lo=pct(m["lo"]), hi=pct(m["hi"])))
    return "\n".join(parts)
