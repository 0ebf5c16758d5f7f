"""Team ▸ Adjudicate this record…: a curator compares the annotators' sheets of one double-annotated
record and decides the gold spans.

The record text sits on top with the current item's spans marked (the first annotator's underlined
in orange, the second's in blue); below, every item of ``madpg_core.adjudication.compare`` in text
order: agreements are taken at once (grey), each disagreement says who said what. Keys, as in the
review loop: 1 takes A's, 2 B's, 3 both (refused, with the reason, where they overlap in one layer),
0 neither; Up/Down move; Enter saves the gold spans. The save is one command on the window's undo
stack: Edit ▸ Undo gives back the gold spans (and status) the record had before.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from madpg_core import adjudication
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, check_spans
from madpg_core.errors import MadpgError
from madpg_core.storage import repo, team
from madpg_gui import commands
from madpg_gui.annotation import Annotation
from madpg_gui.i18n import tr, trn, type_name

SIDE_COLORS = ("#E69F00", "#0072B2")  # A, B: the Okabe–Ito pair the app uses elsewhere
DECIDED, UNDECIDED = "#DDF2E8", "#FFF4D6"  # light green / the banner's amber
KEYS = {Qt.Key.Key_1: "a", Qt.Key.Key_2: "b", Qt.Key.Key_3: "both", Qt.Key.Key_0: "none"}


def choice_text(choice: str | None, a: str, b: str) -> str:
    return {"a": tr("{name}'s").format(name=a), "b": tr("{name}'s").format(name=b), "both": tr("both"),
            "none": tr("neither"), None: tr("undecided — 1, 2, 3 or 0")}[choice]


class Adjudicate(commands.RecordCommand):
    """Save the gold spans the curator decided; undo restores the record's gold spans and status
    as they were before (each a new, attributed write: the history keeps both). The first save
    names the record's revision the dialog read: if someone changed its gold spans or status
    meanwhile (another curator), it is refused as a stale write rather than written over."""

    def __init__(self, ann: Annotation, record_id: int, gold: Sequence[Span], before: Sequence[Span],
                 status: RecordStatus, revision: int | None, on_error: commands.ErrorSink) -> None:
        super().__init__(ann, record_id, tr("Adjudicate record"), on_error)
        self.gold, self.before, self.status, self.revision = list(gold), list(before), status, revision

    def _do(self, s) -> None:  # noqa: ANN001 - Session
        team.adjudicate(s, self.record_id, self.gold,
                        expected_record_revision=None if self._done_once else self.revision)

    def _undo(self, s) -> None:  # noqa: ANN001
        repo.replace_spans(s, self.record_id, self.before)
        if repo.get_record(s, self.record_id).status != self.status:
            repo.set_status(s, self.record_id, self.status)


class AdjudicationDialog(QDialog):
    def __init__(self, window: object, record: Record, sheets: dict[str, list[Span]], gold: Sequence[Span],
                 schema: LabelSchema | None = None) -> None:
        super().__init__(window if isinstance(window, QWidget) else None)
        self.w, self.record, self.schema, self.gold_before = window, record, schema, list(gold)
        self.sheets = {n: list(sheets[n]) for n in sorted(sheets)}
        if len(self.sheets) < 2:
            raise MadpgError(tr("Adjudication compares two sheets; this record has {n}").format(n=len(sheets)))
        self.a, self.b = list(self.sheets)[:2]
        self.items: list[adjudication.Item] = []
        self.choices: dict[int, str] = {}  # item index → "a" | "b" | "both" | "none" (disagreements only)
        # with three or more sheets the curator picks the two compared (the keys name two sides)
        self.pick_a, self.pick_b = QComboBox(), QComboBox()
        for box in (self.pick_a, self.pick_b):
            box.addItems(list(self.sheets))
        self.pick_b.setCurrentIndex(1)
        self.setWindowTitle(tr("Adjudicate {record}").format(record=record.name or f"#{record.id}"))
        self.text = QPlainTextEdit(record.text)
        self.text.setReadOnly(True)
        self.text.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the list
        f = self.text.font()
        f.setPointSize(f.pointSize() + 3)
        self.text.setFont(f)
        self.table = QTableWidget(0, 4)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        # rows as tall as their lines (a side of several spans shows one per line), never wrapped
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(False)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for c in (1, 2, 3):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch)
        self.table.installEventFilter(self)
        self.summary = QLabel()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.keys = QLabel()
        self.keys.setStyleSheet("font-weight: bold")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setAutoDefault(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.text)
        split.addWidget(self.table)
        split.setSizes([130, 420])
        pair = QHBoxLayout()
        pair.addWidget(QLabel(tr("Compare:")))
        pair.addWidget(self.pick_a, 1)
        pair.addWidget(QLabel("↔"))
        pair.addWidget(self.pick_b, 1)
        pair_box = QWidget()
        pair_box.setLayout(pair)
        pair_box.setVisible(len(self.sheets) > 2)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(pair_box)
        lay.addWidget(split, 1)
        lay.addWidget(self.keys)
        lay.addWidget(self.note)
        lay.addWidget(self.buttons)
        self.saved: list[Span] | None = None
        self.resize(900, 620)
        self.table.currentCellChanged.connect(lambda r, *_: self._show_item(r))
        self.set_pair(self.a, self.b)
        for box in (self.pick_a, self.pick_b):
            box.currentTextChanged.connect(lambda _t: self.set_pair(self.pick_a.currentText(), self.pick_b.currentText()))

    def set_pair(self, a: str, b: str) -> None:
        """Compare ``a``'s sheet (key 1) with ``b``'s (key 2); decisions made so far are dropped
        (they were about another pair's disagreements)."""
        if a == b:
            self.note.setText(tr("Choose two different annotators to compare"))
            return
        self.a, self.b = a, b
        self.items = adjudication.compare({a: self.sheets[a], b: self.sheets[b]})
        self.choices = {}
        self.note.setText("")
        self.table.setHorizontalHeaderLabels([tr("Where"), f"1 · {a}", f"2 · {b}", tr("Gold")])
        self.keys.setText(tr("1 = take {a}'s · 2 = {b}'s · 3 = both · 0 = neither · ↑/↓ move · Enter saves the gold spans")
                          .format(a=a, b=b))
        self._fill()
        first = next((i for i in range(len(self.items)) if self.is_disagreement(i)), 0)
        if self.items:
            self.table.setCurrentCell(first, 1)
            self._show_item(first)
        self.table.setFocus()

    @classmethod
    def for_record(cls, window: object, record_id: int) -> AdjudicationDialog:
        """The dialog on ``record_id`` of the window's project, its sheets read now."""
        project = window.project
        with project.reading() as s:
            if not team.is_double(s, record_id):
                raise MadpgError(tr("This record is not double-annotated: there is nothing to adjudicate"))
            names = team.sheet_names(s, record_id)
            record = repo.get_record(s, record_id, project.image_root)
            sheets = {n: list(repo.get_record(s, record_id, sheet=n).spans) for n in names}
        if len(sheets) < 2:
            raise MadpgError(tr("Only {names} has annotated this record so far; adjudication needs two sheets")
                             .format(names=", ".join(sheets) or tr("nobody")))
        return cls(window, record, sheets, record.spans, window.ann.schema if window.ann else None)

    # ---------------------------------------------------------------- the items

    def is_disagreement(self, i: int) -> bool:
        return isinstance(self.items[i], adjudication.Disagreement)

    def sides(self, i: int) -> tuple[list[Span], list[Span]]:
        """A's and B's spans of item ``i`` (an agreement: the same span on both sides)."""
        it = self.items[i]
        if isinstance(it, adjudication.Agreement):
            return [it.span], [it.span]
        return list(it.spans_of(self.a)), list(it.spans_of(self.b))

    def _span_text(self, spans: Sequence[Span]) -> str:
        if not spans:
            return "—"
        return "\n".join(f"{type_name(sp.label, self.schema)} «{sp.text_in(self.record.text)}» [{sp.start}, {sp.end})"
                         + (f" L{sp.layer}" if sp.layer else "") for sp in spans)

    def _fill(self) -> None:
        grey = QColor("#808080")
        self.table.setRowCount(0)
        self.table.setRowCount(len(self.items))
        for i in range(len(self.items)):
            a, b = self.sides(i)
            start = min(sp.start for sp in a + b)
            end = max(sp.end for sp in a + b)
            cells = [f"{start}–{end}", self._span_text(a), self._span_text(b), self._decision_text(i)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not self.is_disagreement(i):
                    item.setForeground(grey)
                elif c in (1, 2):
                    item.setForeground(QColor(SIDE_COLORS[c - 1]).darker(140))
                self.table.setItem(i, c, item)
            self._paint_decision(i)
        self._update_summary()

    def _decision_text(self, i: int) -> str:
        if not self.is_disagreement(i):
            return tr("agreed — taken")
        return choice_text(self.choices.get(i), self.a, self.b)

    def _paint_decision(self, i: int) -> None:
        """The gold cell's background: green once decided, amber while a disagreement waits."""
        if self.is_disagreement(i):
            self.table.item(i, 3).setBackground(QColor(DECIDED if i in self.choices else UNDECIDED))

    def _update_summary(self) -> None:
        n_dis = sum(self.is_disagreement(i) for i in range(len(self.items)))
        left = n_dis - len(self.choices)
        self.summary.setText(
            f"{self.record.name or '#' + str(self.record.id)}  ·  " + trn("{n} agreement taken", "{n} agreements taken", len(self.items) - n_dis) + " · "
            + trn("{n} disagreement", "{n} disagreements", n_dis) + " · "
            + trn("{n} left to decide", "{n} left to decide", left) + f" · {self.a} ↔ {self.b}")

    def _show_item(self, i: int) -> None:
        """Mark the item's spans in the text (A's orange, B's blue) and scroll to them."""
        if not 0 <= i < len(self.items):
            return
        marks = []
        a, b = self.sides(i)
        for color, spans, under in ((SIDE_COLORS[0], a, QTextCharFormat.UnderlineStyle.SingleUnderline),
                                    (SIDE_COLORS[1], b, QTextCharFormat.UnderlineStyle.DashUnderline)):
            for sp in spans:
                sel = QTextEdit.ExtraSelection()
                cur = QTextCursor(self.text.document())
                cur.setPosition(sp.start)
                cur.setPosition(sp.end, QTextCursor.MoveMode.KeepAnchor)
                sel.cursor = cur
                fmt = QTextCharFormat()
                c = QColor(color)
                c.setAlpha(60)
                fmt.setBackground(c)
                fmt.setUnderlineStyle(under)
                fmt.setUnderlineColor(QColor(color))
                sel.format = fmt
                marks.append(sel)
        self.text.setExtraSelections(marks)
        cur = QTextCursor(self.text.document())
        cur.setPosition(min(sp.start for sp in a + b))
        self.text.setTextCursor(cur)
        self.text.ensureCursorVisible()

    # ---------------------------------------------------------------- deciding

    def current(self) -> int:
        return self.table.currentRow()

    def choose(self, choice: str, i: int | None = None) -> bool:
        """Decide item ``i`` (the current one by default); False, with the reason shown, when refused."""
        i = self.current() if i is None else i
        if not 0 <= i < len(self.items):
            return False
        if not self.is_disagreement(i):
            self.note.setText(tr("Both annotators agree here; it is taken as it is"))
            return False
        if choice == "both":
            a, b = self.sides(i)
            try:
                for layer in {sp.layer for sp in a + b}:
                    check_spans(self.record.text, [sp for sp in a + b if sp.layer == layer])
            except MadpgError:
                self.note.setText(tr("Both cannot be taken: {a}'s and {b}'s spans overlap in one layer. "
                                     "Take one of them (1 or 2), or neither (0).").format(a=self.a, b=self.b))
                return False
        self.choices[i] = choice
        self.table.item(i, 3).setText(self._decision_text(i))
        self._paint_decision(i)
        self.note.setText("")
        self._update_summary()
        nxt = next((j for j in range(i + 1, len(self.items)) if self.is_disagreement(j) and j not in self.choices), None)
        if nxt is not None:
            self.table.setCurrentCell(nxt, self.table.currentColumn())
        return True

    def eventFilter(self, obj: object, event: object) -> bool:  # noqa: N802
        if obj is self.table and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            key = Qt.Key(event.key())
            if key in KEYS:
                self.choose(KEYS[key])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.save()
                return True
        return super().eventFilter(obj, event)

    def gold(self) -> list[Span]:
        """The gold spans the decisions make (refused while a disagreement is undecided)."""
        undecided = [i for i in range(len(self.items)) if self.is_disagreement(i) and i not in self.choices]
        if undecided:
            self.table.setCurrentCell(undecided[0], 1)
            raise MadpgError(trn("{n} disagreement is still undecided (1, 2, 3 or 0)",
                                 "{n} disagreements are still undecided (1, 2, 3 or 0)", len(undecided)))
        return adjudication.resolve(self.items, {i: self._core_choice(c) for i, c in self.choices.items()})

    def _core_choice(self, choice: str) -> object:
        return {"a": self.a, "b": self.b, "both": adjudication.BOTH, "none": adjudication.NEITHER}[choice]

    def save(self) -> None:
        """Enter: the decided gold spans are saved as one undoable command on the window's stack."""
        try:
            gold = self.gold()
        except MadpgError as e:
            self.note.setText(str(e))
            return
        ann = getattr(self.w, "ann", None)
        cmd = Adjudicate(ann, self.record.id, gold, self.gold_before, self.record.status, self.record.revision,
                         self.note.setText)
        self.w.undo.push(cmd)
        if not cmd.done:
            return  # refused (a stale write, say): the reason is in the note, the dialog stays
        self.saved = gold
        self.w.message(trn("Gold spans saved: {n} entity", "Gold spans saved: {n} entities", len(gold)))
        self.accept()
