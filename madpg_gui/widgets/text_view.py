"""The text pane: read-only content, character-level selection, spans drawn as ExtraSelections.

Offsets: the core counts Python ``str`` indices; QTextDocument counts UTF-16 units and folds
``\\r\\n`` into one block break. The pane shows ``\\r`` as a space (so every Python character keeps
its own cell) and maps indices through a table only when the text holds non-BMP characters.
"""

from __future__ import annotations

import bisect
from itertools import accumulate

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QFont, QKeyEvent, QMouseEvent, QTextCharFormat, QTextCursor
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

    def set_spans(self, record: Record) -> None:
        """Same text, new spans: only the highlights change (no relayout)."""
        self.record = record
        if self._current is not None and self._current not in record.spans:
            self._current = None
        self._paint_spans()

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
                color = self.schema.get(label).color
            except Exception:
                color = "#999999"
            fmt = QTextCharFormat()
            fmt.setBackground(tint(color, 200 if current else (90 if model else 130)))
            fmt.setUnderlineColor(QColor(color).darker(140))
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DashUnderline if model
                                  else QTextCharFormat.UnderlineStyle.SingleUnderline)
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

    # ---------------------------------------------------------------- input

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        mods = e.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if e.key() in DIGITS and mods == Qt.KeyboardModifier.NoModifier:
            self.labelKeyPressed.emit(DIGITS[e.key()])
            return
        if e.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and mods == Qt.KeyboardModifier.NoModifier:
            self.deleteRequested.emit()
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
