"""Team ▸ Agreement report: how far the annotators of the double-annotated records agree.

Shows one pair of annotators at a time (a chooser when there are more): strict and overlap span F1
and Cohen's κ per type and overall, the counts of agreed / type-only / boundary-only spans, and the
confusion matrix of types as a heat map (cell colour by share of its row), plus Krippendorff's α
when more than two annotators. Reads an ``AgreementReport`` (madpg_core.agreement) and nothing else:
the numbers are the core's, the same the CLI prints.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from madpg_core.agreement import NONE, AgreementReport, PairAgreement
from madpg_core.domain import LabelSchema
from madpg_gui.i18n import tr, trn, type_name

HEAT = QColor("#0072B2")  # the record list's bar colour: one blue for "how much" across the app


def num(x: float | None) -> str:
    """A score as shown: three decimals, a dash where it is undefined (never a made-up 0)."""
    return "–" if x is None else f"{x:.3f}"


def heat(share: float) -> QColor:
    """White for 0, the full heat colour for 1 (blended over white, so text stays readable)."""
    a = min(max(share, 0.0), 1.0) * 0.85
    return QColor(round(255 - (255 - HEAT.red()) * a), round(255 - (255 - HEAT.green()) * a),
                  round(255 - (255 - HEAT.blue()) * a))


def _item(text: object, align_right: bool = True) -> QTableWidgetItem:
    it = QTableWidgetItem(str(text))
    it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return it


class AgreementDialog(QDialog):
    def __init__(self, report: AgreementReport, schema: LabelSchema | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report, self.schema = report, schema
        self.setWindowTitle(tr("Agreement between annotators"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.pair_box = QComboBox()
        for p in report.pairs:
            self.pair_box.addItem(tr("{a} (reference) vs {b}").format(a=p.a, b=p.b))
        self.scores = QTableWidget()
        self.counts = QTableWidget()
        self.confusion = QTableWidget()
        self.confusion_title = QLabel()
        for t in (self.scores, self.counts, self.confusion):
            t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # fill the width
        self.counts.setMaximumHeight(60)
        self.alpha = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(tr("Copy as Markdown"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(report.markdown()))
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Pair:")))
        top.addWidget(self.pair_box, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addLayout(top)
        lay.addWidget(self.scores, 2)
        lay.addWidget(self.counts)
        lay.addWidget(self.confusion_title)
        lay.addWidget(self.confusion, 2)
        lay.addWidget(self.alpha)
        lay.addWidget(buttons)
        self.pair_box.currentIndexChanged.connect(self.show_pair)
        self.summary.setText(trn("{n} double-annotated record", "{n} double-annotated records", report.records)
                             + "; " + tr("annotators: {names}; layer {layer}. F1 is symmetric; κ is Cohen's on "
                                         "the characters' BIO tags.").format(names=", ".join(report.annotators),
                                                                            layer=report.layer))
        if report.alpha_method is not None:
            per_type = ", ".join(f"{self._type(t)} {num(a)}" for t, a in report.unitizing_alpha_per_type.items())
            self.alpha.setText(tr("Krippendorff's unitizing α, all annotators: {u} ({per_type}); over characters: {a}")
                               .format(u=num(report.unitizing_alpha), per_type=per_type, a=num(report.alpha)))
            self.alpha.setToolTip(tr("Unitizing α (Krippendorff 1995) treats each entity as a unit of the text, so "
                                     "a shifted boundary counts; the α over characters compares each character's "
                                     "tag on its own."))
        else:
            self.alpha.hide()
        self.resize(760, 640)
        if report.pairs:
            self.show_pair(0)

    def _type(self, t: str) -> str:
        return tr("none") if t == NONE else type_name(t, self.schema)

    def show_pair(self, i: int) -> None:
        p = self.report.pairs[i]
        self._fill_scores(p)
        self._fill_counts(p)
        self._fill_confusion(p)

    def _fill_scores(self, p: PairAgreement) -> None:
        heads = [tr("Type"), tr("Spans {a}").format(a=p.a), tr("Spans {b}").format(b=p.b),
                 tr("Strict F1"), tr("Overlap F1"), tr("κ")]
        rows = [(self._type(t), p.strict_per_type[t], p.overlap_per_type[t].f1, p.kappa_per_type.get(t))
                for t in p.strict_per_type]
        rows.append((tr("Overall"), p.strict, p.overlap.f1, p.kappa))
        t = self.scores
        t.clear()
        t.setColumnCount(len(heads))
        t.setHorizontalHeaderLabels(heads)
        t.setRowCount(len(rows))
        for r, (name, strict, overlap_f1, kappa) in enumerate(rows):
            cells = [name, strict.n_a, strict.n_b, num(strict.f1), num(overlap_f1), num(kappa)]
            for c, v in enumerate(cells):
                item = _item(v, c > 0)
                if r == len(rows) - 1:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                t.setItem(r, c, item)
        t.verticalHeader().hide()

    def _fill_counts(self, p: PairAgreement) -> None:
        c = p.counts
        heads = [tr("Agreed"), tr("Type only"), tr("Boundary only"), tr("Both differ"),
                 tr("Missing in {a}").format(a=p.a), tr("Missing in {b}").format(b=p.b)]
        values = [c.agreed, c.type_only, c.boundary_only, c.both_differ, c.missing_in_a, c.missing_in_b]
        t = self.counts
        t.clear()
        t.setColumnCount(len(heads))
        t.setRowCount(1)
        t.setHorizontalHeaderLabels(heads)
        t.verticalHeader().hide()
        for col, v in enumerate(values):
            t.setItem(0, col, _item(v))

    def _fill_confusion(self, p: PairAgreement) -> None:
        """Rows: A's type, columns: B's; each cell coloured by its share of the row, so a type one
        annotator reads as another stands out whatever the types' sizes."""
        self.confusion_title.setText(tr("Types of same-boundary spans (rows: {a}, columns: {b}; "
                                        "colour: share of the row)").format(a=p.a, b=p.b))
        labels = list(p.confusion)
        t = self.confusion
        t.clear()
        t.setRowCount(len(labels))
        t.setColumnCount(len(labels))
        t.setHorizontalHeaderLabels([self._type(x) for x in labels])
        t.setVerticalHeaderLabels([self._type(x) for x in labels])
        for r, row in enumerate(labels):
            total = sum(p.confusion[row].values())
            for c, col in enumerate(labels):
                n = p.confusion[row][col]
                item = _item(n if n else "")
                share = n / total if total else 0.0
                item.setBackground(heat(share))
                if share > 0.55:
                    item.setForeground(QColor("white"))
                item.setToolTip(tr("{a}: {ta}; {b}: {tb}; {n} spans").format(
                    a=p.a, ta=self._type(row), b=p.b, tb=self._type(col), n=n))
                t.setItem(r, c, item)

    def cell(self, table: QTableWidget, row: int, col: int) -> str:
        """The text of a cell (for tests and for reading the dialog back)."""
        it = table.item(row, col)
        return it.text() if it is not None else ""
