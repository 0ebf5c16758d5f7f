"""The text pane: read-only content, character-level selection, spans drawn as ExtraSelections.

Offsets: the core counts Python ``str`` indices; QTextDocument counts UTF-16 units and folds
``\\r\\n`` into one block break. The pane shows ``\\r`` as a space (so every Python character keeps
its own cell) and maps indices through a table only when the text holds non-BMP characters.
"""

from __future__ import annotations

import bisect
from itertools import accumulate

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from madpg_core.domain import LabelSchema, Record, Span, SpanSource
from madpg_gui.widgets.colors import tint

DIGITS = {getattr(Qt.Key, f"Key_{i}"): str(i) for i in range(1, 10)}


class SpanTextView(QPlainTextEdit):
    labelKeyPressed = Signal(str)  # "1".."9"
    deleteRequested = Signal()
    spanClicked = Signal(object)  # Span
    contextRequested = Signal(object, QPoint)  # Span | None, global position
    cursorMoved = Signal(int)  # Python offset of the cursor
    # the review loop of pre-labels (editing.py): Tab / Shift+Tab, Enter, Backspace
    nextPrelabelRequested = Signal(int)  # +1 next, -1 previous
    acceptRequested = Signal()
    rejectRequested = Signal()
    spansShown = Signal(object)  # Record | None: after a record or its new spans are drawn

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)  # no IME composing here
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setUndoRedoEnabled(False)
        self.record: Record | None = None
        self.schema = LabelSchema(())
        self._qpos: list[int] | None = None  # Python index -> Qt position, None when identical
        self._formats: dict[tuple[str, bool, bool], QTextCharFormat] = {}
        self._current: Span | None = None
        self._starts: list[int] = []
        self.cursorPositionChanged.connect(lambda: self.cursorMoved.emit(self.cursor_offset()))

    # ---------------------------------------------------------------- content

    def set_font_size(self, size: int) -> None:
        f = QFont(self.font())
        f.setPointSize(size)
        self.setFont(f)

    def set_schema(self, schema: LabelSchema) -> None:
        self.schema = schema
        self._formats.clear()
        self._paint_spans()

    def set_record(self, record: Record | None) -> None:
        self.record, self._current = record, None
        text = record.text if record else ""
        if any(ord(c) > 0xFFFF for c in text):
            self._qpos = list(accumulate((2 if ord(c) > 0xFFFF else 1 for c in text), initial=0))
        else:
            self._qpos = None
        self.setPlainText(text.replace("\r", " "))
        self._paint_spans()
        self.spansShown.emit(record)

    def set_spans(self, record: Record) -> None:
        """Same text, new spans: only the highlights change (no relayout)."""
        self.record = record
        if self._current is not None and self._current not in record.spans:
            self._current = None
        self._paint_spans()
        self.spansShown.emit(record)

    # ---------------------------------------------------------------- offsets

    def to_qt(self, i: int) -> int:
        return self._qpos[i] if self._qpos is not None else i

    def to_py(self, q: int) -> int:
        if self._qpos is None:
            return q
        return bisect.bisect_right(self._qpos, q) - 1

    def cursor_offset(self) -> int:
        return self.to_py(self.textCursor().position())

    def selection_range(self) -> tuple[int, int] | None:
        c = self.textCursor()
        if not c.hasSelection():
            return None
        return self.to_py(c.selectionStart()), self.to_py(c.selectionEnd())

    def select_range(self, start: int, end: int) -> None:
        c = self.textCursor()
        c.setPosition(self.to_qt(start))
        c.setPosition(self.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(c)
        self.ensureCursorVisible()

    def select_span(self, span: Span | None) -> None:
        """Make ``span`` the current one: it is marked as current in its own colour, and the cursor
        goes to its end without a text selection — a selection would paint over the span, so a
        type just given would not show until the user clicked elsewhere."""
        self._current = span
        if span is not None:
            c = self.textCursor()
            c.setPosition(self.to_qt(span.start))  # first its start, so a span over a line break shows whole
            self.setTextCursor(c)
            self.ensureCursorVisible()
            c.setPosition(self.to_qt(span.end))
            self.setTextCursor(c)
            self.ensureCursorVisible()
        self._paint_spans()

    @property
    def current_span(self) -> Span | None:
        return self._current

    # ---------------------------------------------------------------- highlights

    def _format(self, label: str, model: bool, current: bool) -> QTextCharFormat:
        key = (label, model, current)
        fmt = self._formats.get(key)
        if fmt is None:
            try:
                t = self.schema.get(label)
                color, style = t.color, t.style
            except Exception:
                color, style = "#999999", "fill"
            fmt = QTextCharFormat()
            dark = QColor(color).darker(140)
            # Model spans keep a dashed underline in every style: "not yet confirmed" reads the same.
            line = QTextCharFormat.UnderlineStyle.DashUnderline if model else QTextCharFormat.UnderlineStyle.SingleUnderline
            if style == "fill" or current:  # the current span is always filled: it must stand out
                fmt.setBackground(tint(color, 200 if current else (90 if model else 130)))
            if style == "underline":
                line = QTextCharFormat.UnderlineStyle.DashUnderline if model else QTextCharFormat.UnderlineStyle.WaveUnderline
                dark = QColor(color).darker(115)
            if style == "bold":
                fmt.setForeground(QColor(color).darker(190))
                fmt.setFontWeight(QFont.Weight.Bold)
            if style == "frame":  # drawn in paintEvent; a faint tint keeps the span visible when selected
                fmt.setBackground(tint(color, 35))
            fmt.setUnderlineColor(dark)
            fmt.setUnderlineStyle(line)
            if current:
                fmt.setFontWeight(QFont.Weight.Bold)
            self._formats[key] = fmt
        return fmt

    def _paint_spans(self) -> None:
        self._starts = [sp.start for sp in self.record.spans] if self.record else []
        sels = []
        if self.record:
            doc = self.document()
            for sp in self.record.spans:
                sel = QTextEdit.ExtraSelection()
                c = QTextCursor(doc)
                c.setPosition(self.to_qt(sp.start))
                c.setPosition(self.to_qt(sp.end), QTextCursor.MoveMode.KeepAnchor)
                sel.cursor = c
                sel.format = self._format(sp.label, sp.source == SpanSource.MODEL, sp == self._current)
                sels.append(sel)
        self.setExtraSelections(sels)
        self.viewport().update()  # the current span's frame (paintEvent) reaches past its highlight

    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(e)
        if self.record is None:
            return
        self._paint_frames(e)
        if self._current is None:
            return
        # A frame around the current span: in the review loop it is the pre-label that Enter or
        # Backspace acts on, and a stronger tint alone did not stand out among its neighbours.
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self._frame_color(self._current.label), 2))
        for rect in self._line_rects(self._current):
            if rect.intersects(e.rect()):
                painter.drawRoundedRect(rect.adjusted(-1, 0, 1, 0), 3, 3)
        painter.end()

    def _paint_frames(self, e: QPaintEvent) -> None:
        """Thin boxes around the spans of types drawn in the "frame" style (only those in view)."""
        framed = {t.name: QColor(t.color).darker(120) for t in self.schema.types if t.style == "frame"}
        if not framed:
            return
        first = self.to_py(self.cursorForPosition(e.rect().topLeft()).position())
        last = self.to_py(self.cursorForPosition(e.rect().bottomRight()).position())
        lo = bisect.bisect_left(self._starts, first) - 1
        painter = QPainter(self.viewport())
        for sp in self.record.spans[max(0, lo):]:
            if sp.start > last:
                break
            if sp.label in framed and sp != self._current:
                painter.setPen(QPen(framed[sp.label], 1, Qt.PenStyle.DashLine if sp.source == SpanSource.MODEL
                                    else Qt.PenStyle.SolidLine))
                for rect in self._line_rects(sp):
                    painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.end()

    def _frame_color(self, label: str) -> QColor:
        try:
            return QColor(self.schema.get(label).color).darker(160)
        except Exception:
            return QColor("#444444")

    def _line_rects(self, span: Span) -> list[QRect]:
        """The span's box on each visual line it covers, in viewport coordinates."""
        c = QTextCursor(self.document())
        rects: list[QRect] = []
        for q in range(self.to_qt(span.start), self.to_qt(span.end)):
            c.setPosition(q)
            left = self.cursorRect(c)
            c.setPosition(q + 1)
            right = self.cursorRect(c)
            if right.top() != left.top():  # the next character wrapped: this one ends its line
                width = self.fontMetrics().horizontalAdvance(self.document().characterAt(q))
                right = QRect(left.left() + width, left.top(), 0, left.height())
            box = QRect(left.left(), left.top(), max(right.left() - left.left(), 1), left.height())
            if rects and rects[-1].top() == box.top():
                rects[-1] = rects[-1].united(box)
            else:
                rects.append(box)
        return rects

    # ---------------------------------------------------------------- input

    def event(self, e: QEvent) -> bool:
        # Tab and Shift+Tab walk the pre-labels while a record is shown: QWidget.event would move
        # the focus out of the pane before keyPressEvent ever saw them.
        if e.type() == QEvent.Type.KeyPress and self.record is not None:
            mods = e.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.ShiftModifier)
            if e.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and mods == Qt.KeyboardModifier.NoModifier:
                back = e.key() == Qt.Key.Key_Backtab or bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.nextPrelabelRequested.emit(-1 if back else 1)
                return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        mods = e.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        bare = mods == Qt.KeyboardModifier.NoModifier
        if e.key() in DIGITS and bare:
            self.labelKeyPressed.emit(DIGITS[e.key()])
            return
        if e.key() == Qt.Key.Key_Delete and bare:
            self.deleteRequested.emit()
            return
        if e.key() == Qt.Key.Key_Backspace and bare:  # rejects a highlighted pre-label, else deletes
            self.rejectRequested.emit()
            return
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and bare:  # Ctrl+Enter stays the window's
            self.acceptRequested.emit()
            return
        if e.text() and e.text().isprintable() and mods in (Qt.KeyboardModifier.NoModifier,
                                                              Qt.KeyboardModifier.ShiftModifier):
            e.ignore()  # bare letters do nothing here (USERS.md #9); let them reach no shortcut either
            return
        super().keyPressEvent(e)

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(e)
        if e.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection() and self.record:
            q = self.cursorForPosition(e.position().toPoint()).position()
            span = self._span_at(self.to_py(q))
            if span is not None:
                self.spanClicked.emit(span)

    def contextMenuEvent(self, e: QContextMenuEvent) -> None:  # noqa: N802
        pos = self.to_py(self.cursorForPosition(e.pos()).position())
        self.contextRequested.emit(self._span_at(pos), e.globalPos())

    def _span_at(self, pos: int) -> Span | None:
        if not self.record:
            return None
        i = bisect.bisect_right(self._starts, pos) - 1  # spans are flat and sorted by start
        if i >= 0 and self.record.spans[i].end > pos:
            return self.record.spans[i]
        return None
