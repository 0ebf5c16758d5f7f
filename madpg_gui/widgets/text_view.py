"""The text pane: read-only content, character-level selection, spans drawn as ExtraSelections plus
painted marks (span_paint.py), span edges draggable (edge_drag.py).

Offsets: the core counts Python ``str`` indices; QTextDocument counts UTF-16 units and folds
``\\r\\n`` into one block break. The pane shows ``\\r`` as a space (so every Python character keeps
its own cell) and maps indices through a table only when the text holds non-BMP characters.

A QTextEdit, not a QPlainTextEdit: only QTextEdit's layout honours a line height, and nested spans
need room below each line for their underlines (and assertion tags room above).
"""

from __future__ import annotations

import bisect
from itertools import accumulate

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from madpg_core.domain import LabelSchema, Record, Span
from madpg_gui.i18n import type_name
from madpg_gui.nesting import SpanIndex
from madpg_gui.span_marks import Reasons, span_tooltip
from madpg_gui.widgets.edge_drag import EdgeDragger
from madpg_gui.widgets.span_paint import (
    LINE_PITCH,
    SpanPainter,
    bold_chars,
    line_gap,
    set_bold,
    set_slanted,
    slanted_chars,
)

DIGITS = {getattr(Qt.Key, f"Key_{i}"): str(i) for i in range(1, 10)}
K, M = Qt.Key, Qt.KeyboardModifier
EDGE_KEYS = {  # with a span current: its start (Shift) or end (Ctrl+Shift) one character left/right
    (K.Key_Left, M.ShiftModifier): ("start", -1), (K.Key_Right, M.ShiftModifier): ("start", 1),
    (K.Key_Left, M.ShiftModifier | M.ControlModifier): ("end", -1),
    (K.Key_Right, M.ShiftModifier | M.ControlModifier): ("end", 1),
}


class SpanTextView(QTextEdit):
    labelKeyPressed = Signal(str)  # "1".."9"
    deleteRequested = Signal()
    spanClicked = Signal(object)  # Span, or None: a click on plain text lets the current span go
    contextRequested = Signal(object, QPoint)  # Span | None, global position
    cursorMoved = Signal(int)  # Python offset of the cursor
    # the review loop of pre-labels (editing.py): Tab / Shift+Tab, Enter, Backspace
    nextPrelabelRequested = Signal(int)  # +1 next, -1 previous
    acceptRequested = Signal()
    rejectRequested = Signal()
    spansShown = Signal(object)  # Record | None: after a record or its new spans are drawn
    assertionKeyPressed = Signal(int)  # Alt+1..9: the n-th assertion status the project offers
    edgeMoveRequested = Signal(str, int)  # "start" | "end", -1 | +1: Shift(+Ctrl)+←/→ on the current span
    edgeDragged = Signal(object, int, int)  # span, its new start and end: a drag of its edge

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)  # no IME composing here
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setUndoRedoEnabled(False)
        self.viewport().setMouseTracking(True)  # the resize arrow over a span's edge
        self.record: Record | None = None
        self.schema = LabelSchema(())
        self.painter_ = SpanPainter()
        self.index = SpanIndex()
        self.reasons = Reasons()
        self.dragger = EdgeDragger(self)
        self._qpos: list[int] | None = None  # Python index -> Qt position, None when identical
        self._current: Span | None = None
        self._anchor: int | None = None  # where the last click on spans was: a second one there goes outwards
        self._gap = -1
        self._slanted: set[int] = set()  # the characters in italics (possible spans)
        self._bold: set[int] = set()  # the characters in bold (types drawn in the "bold" style)
        self.cursorPositionChanged.connect(lambda: self.cursorMoved.emit(self.cursor_offset()))

    # ---------------------------------------------------------------- content

    def set_font_size(self, size: int) -> None:
        f = QFont(self.font())
        f.setPointSize(size)
        self.setFont(f)
        self._gap = -1
        self._space_lines()

    def set_schema(self, schema: LabelSchema) -> None:
        self.schema = schema
        self.painter_.set_schema(schema)
        self._paint_spans()

    def set_record(self, record: Record | None) -> None:
        self.record, self._current, self._anchor = record, None, None
        text = record.text if record else ""
        if any(ord(c) > 0xFFFF for c in text):
            self._qpos = list(accumulate((2 if ord(c) > 0xFFFF else 1 for c in text), initial=0))
        else:
            self._qpos = None
        self.setPlainText(text.replace("\r", " "))
        self._gap = -1  # a new document: its blocks have no line height yet
        self._slanted, self._bold = set(), set()  # nor italics, nor bold
        self._paint_spans()
        self.spansShown.emit(record)

    def set_spans(self, record: Record) -> None:
        """Same text, new spans: only the highlights change (no relayout, unless the nesting got
        deeper and the lines need more room)."""
        self.record = record
        if self._current is not None and self._current not in record.spans:
            self._current = None
        self._paint_spans()
        self.spansShown.emit(record)

    def _space_lines(self) -> None:
        """Space the lines for the marks painted between them (span_paint.line_gap)."""
        depth = max((sp.layer for sp in self.record.spans), default=0) if self.record else 0
        gap = line_gap(self.fontMetrics().height(), depth)
        if gap == self._gap:
            return
        self._gap = gap
        fmt = QTextBlockFormat()
        fmt.setLineHeight(gap, QTextBlockFormat.LineHeightTypes.LineDistanceHeight.value)
        c = QTextCursor(self.document())
        c.select(QTextCursor.SelectionType.Document)
        c.mergeBlockFormat(fmt)
        # the first line needs room above it for assertion tags (underlines go below their own line)
        self.document().setDocumentMargin(max(4, gap - LINE_PITCH * depth))

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

    def spans_at(self, pos: int) -> list[Span]:
        """The spans covering character ``pos``, innermost first."""
        return self.index.at(pos)

    # ---------------------------------------------------------------- highlights

    def _format(self, label: str, model: bool, current: bool) -> QTextCharFormat:
        return self.painter_.format(label, model, current)

    def char_format(self, pos: int) -> QTextCharFormat:
        """The document's own format of character ``pos`` (what assertion statuses change)."""
        c = QTextCursor(self.document())
        c.setPosition(self.to_qt(pos) + 1)  # a cursor reports the format of the character before it
        return c.charFormat()

    def _paint_spans(self) -> None:
        self.index = SpanIndex(self.record.spans if self.record else ())
        self._space_lines()
        slanted = slanted_chars(self.record.spans) if self.record else set()
        if slanted != self._slanted:
            set_slanted(QTextCursor(self.document()), self.to_qt, self._slanted, slanted)
            self._slanted = slanted
        bold = bold_chars(self.record.spans, self.schema) if self.record else set()
        if bold != self._bold:
            set_bold(QTextCursor(self.document()), self.to_qt, self._bold, bold)
            self._bold = bold
        sels = self.painter_.selections(self, self.record, self._current, self.to_qt) if self.record else []
        self.setExtraSelections(sels)
        self.viewport().update()  # the painted marks reach past the highlights

    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(e)
        if self.record is None:
            return
        # the spans in view, one line beyond each side (a tag stands in the gap above its line)
        pad = self.fontMetrics().height() + max(self._gap, 0)
        area = e.rect().adjusted(0, -pad, 0, pad)
        first = self.to_py(self.cursorForPosition(area.topLeft()).position())
        last = self.to_py(self.cursorForPosition(area.bottomRight()).position())
        painter = QPainter(self.viewport())
        in_view = self.index.between(first, last + 1)
        self.painter_.paint(self, painter, in_view, self._current, self._line_rects)
        if self._current is not None:
            # A frame around the current span: in the review loop it is the pre-label that Enter or
            # Backspace acts on, and a stronger tint alone did not stand out among its neighbours.
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(self.painter_.dark(self._current.label), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for rect in self._line_rects(self._current):
                if rect.intersects(e.rect()):
                    painter.drawRoundedRect(rect.adjusted(-1, 0, 1, 0), 3, 3)
        drag = self.dragger.drag
        if drag is not None and drag.start < drag.end:  # where the dragged edge would put the span
            painter.setPen(QPen(self.painter_.dark(drag.span.label), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for rect in self._line_rects(Span(drag.start, drag.end, drag.span.label)):
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
        self.painter_.paint_tags(self, painter, in_view, self._line_rects)
        painter.end()

    def char_box(self, q: int) -> QRect:
        """The box of the character at Qt position ``q``, in viewport coordinates."""
        c = QTextCursor(self.document())
        c.setPosition(q)
        left = self.cursorRect(c)
        c.setPosition(min(q + 1, self.document().characterCount() - 1))
        right = self.cursorRect(c)
        if right.top() != left.top() or right.left() <= left.left():  # wrapped: the character ends its line
            width = self.fontMetrics().horizontalAdvance(self.document().characterAt(q))
            return QRect(left.left(), left.top(), max(width, 1), left.height())
        return QRect(left.left(), left.top(), right.left() - left.left(), left.height())

    def _line_rects(self, span: Span) -> list[QRect]:
        """The span's box on each visual line it covers, in viewport coordinates."""
        qs, qe = self.to_qt(span.start), self.to_qt(span.end)
        first, last = self.char_box(qs), self.char_box(qe - 1)
        if first.top() == last.top():  # on one line: two lookups, not one per character
            return [QRect(first.left(), first.top(), max(last.right() + 1 - first.left(), 1), first.height())]
        rects: list[QRect] = []
        for q in range(qs, qe):
            box = self.char_box(q)
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
            mods = e.modifiers() & ~(M.KeypadModifier | M.ShiftModifier)
            if e.key() in (K.Key_Tab, K.Key_Backtab) and mods == M.NoModifier:
                back = e.key() == K.Key_Backtab or bool(e.modifiers() & M.ShiftModifier)
                self.nextPrelabelRequested.emit(-1 if back else 1)
                return True
        return super().event(e)

    def viewportEvent(self, e: QEvent) -> bool:  # noqa: N802
        if e.type() == QEvent.Type.ToolTip and self.record is not None:
            self._tooltip(e)
            return True
        return super().viewportEvent(e)

    def _tooltip(self, e: QHelpEvent) -> None:
        """A span's type, assertion status and, for a model span, why the detector proposed it."""
        q = self.cursorForPosition(e.pos()).position()
        box = self.char_box(q)
        if e.pos().x() < box.left() and q > 0:  # cursorForPosition rounds to the nearest boundary
            q -= 1
        spans = self.spans_at(self.to_py(q))
        if not spans:
            QToolTip.hideText()
            return
        sp = self._current if self._current in spans else spans[0]
        QToolTip.showText(e.globalPos(), span_tooltip(self.record, sp, type_name(sp.label, self.schema),
                                                      self.reasons), self.viewport())

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        mods = e.modifiers() & ~M.KeypadModifier
        bare = mods == M.NoModifier
        if e.key() in DIGITS and bare:
            self.labelKeyPressed.emit(DIGITS[e.key()])
            return
        if e.key() in DIGITS and mods == M.AltModifier:
            self.assertionKeyPressed.emit(int(DIGITS[e.key()]))
            return
        if (e.key(), mods) in EDGE_KEYS and self._edges_by_keys():
            self.edgeMoveRequested.emit(*EDGE_KEYS[(e.key(), mods)])
            return
        if e.key() == K.Key_Up and mods == M.AltModifier:
            self._outwards()
            return
        if e.key() == K.Key_Escape and bare and self._current is not None:
            self.spanClicked.emit(None)  # let the current span go: Shift+arrows select text again
            return
        if e.key() == K.Key_Delete and bare:
            self.deleteRequested.emit()
            return
        if e.key() == K.Key_Backspace and bare:  # rejects a highlighted pre-label, else deletes
            self.rejectRequested.emit()
            return
        if e.key() in (K.Key_Return, K.Key_Enter) and bare:  # Ctrl+Enter stays the window's
            self.acceptRequested.emit()
            return
        if e.text() and e.text().isprintable() and mods in (M.NoModifier, M.ShiftModifier):
            e.ignore()  # bare letters do nothing here (USERS.md #9); let them reach no shortcut either
            return
        super().keyPressEvent(e)

    def _edges_by_keys(self) -> bool:
        """Shift(+Ctrl)+←/→ move the current span's edges only while the cursor sits on one of them
        (where a click, Tab or the table leaves it) with nothing selected; anywhere else they select
        text as usual."""
        cur = self._current
        return (cur is not None and not self.textCursor().hasSelection()
                and self.cursor_offset() in (cur.start, cur.end))

    def _outwards(self) -> None:
        """Alt+↑: the next span out from the current one at the same place (wrapping to the innermost)."""
        pos = self._anchor if self._anchor is not None else (self._current.start if self._current else self.cursor_offset())
        spans = self.spans_at(pos)
        if spans:
            self._anchor = pos
            self.spanClicked.emit(self._after_current(spans))

    def _after_current(self, spans: list[Span]) -> Span:
        if self._current in spans:
            return spans[(spans.index(self._current) + 1) % len(spans)]
        return spans[0]

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if (e.button() == Qt.MouseButton.LeftButton and e.modifiers() == M.NoModifier and self.record
                and self.dragger.press(e.position().toPoint())):
            return  # the press grabbed a span's edge: no text selection starts
        super().mousePressEvent(e)

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        point = e.position().toPoint()
        if self.dragger.drag is not None:
            self.dragger.move(point)
            return
        if not e.buttons() and self.record is not None:
            on_edge = self.dragger.edge_at(point) is not None
            self.viewport().setCursor(Qt.CursorShape.SizeHorCursor if on_edge else Qt.CursorShape.IBeamCursor)
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if self.dragger.drag is not None:
            done = self.dragger.release()
            if done is not None:
                self.edgeDragged.emit(done.span, done.start, done.end)
            return
        super().mouseReleaseEvent(e)
        if e.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection() and self.record:
            pos = self._clicked_char(e.position().toPoint())
            spans = self.spans_at(pos) if pos is not None else []
            if spans:
                # the innermost span at the click; a second click at the same place goes outwards
                target = self._after_current(spans) if pos == self._anchor else spans[0]
                self._anchor = pos
                self.spanClicked.emit(target)
            elif self._current is not None:
                self._anchor = None
                self.spanClicked.emit(None)

    def _clicked_char(self, point: QPoint) -> int | None:
        """The character under ``point`` (not the nearest boundary: a click on a character's right
        half is still on that character)."""
        q = self.cursorForPosition(point).position()
        if q > 0 and point.x() < self.char_box(q).left():
            q -= 1
        return self.to_py(q) if self.record and self.to_py(q) < len(self.record.text) else None

    def contextMenuEvent(self, e: QContextMenuEvent) -> None:  # noqa: N802
        pos = self._clicked_char(e.pos())
        spans = self.spans_at(pos) if pos is not None else []
        span = self._current if self._current in spans else (spans[0] if spans else None)
        self.contextRequested.emit(span, e.globalPos())

