"""How the text pane draws spans: char formats for the highlights (ExtraSelections: no relayout when
spans change), and what a format cannot say, painted over the visible part only — nested spans'
underlines stacked below the line (one per layer), assertion tags above a span's end, frames, the
current span's box and a boundary drag's preview.

Assertion statuses: possible is in italics, the document's own char format, set only where a status
changed (an ExtraSelection draws colours and lines, never a font change); absent is struck through
by a painted line (Qt draws no strike-out under an ExtraSelection that sets an underline colour,
which every highlight here does).

Room for the underlines and tags: the pane's lines are spaced apart (``line_gap``); a record with
deeper nesting gets a wider gap. Geometry comes from the view's text cursors (Qt positions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from madpg_core.domain import LabelSchema, Record, Span, SpanSource
from madpg_gui.span_marks import SLANTED, STRUCK, status_mark
from madpg_gui.widgets.colors import tint

LINE_PITCH = 4  # px from one nested layer's underline to the next (a 3 px line and 1 px of air)


def line_gap(font_height: int, max_layer: int) -> int:
    """The space below each line: room for the next line's assertion tags, plus one underline per
    nested layer. Also reads better: Chinese text is easier on the eye with ~1.3 line spacing."""
    return round(font_height * 0.3) + LINE_PITCH * max_layer


def tag_font(base: QFont, font_height: int) -> QFont:
    f = QFont(base)
    f.setPixelSize(max(9, round(font_height * 0.46)))
    f.setBold(False)
    return f


class SpanPainter:
    """Formats per (type, model?, current?), cached until the schema changes."""

    def __init__(self) -> None:
        self.schema = LabelSchema(())
        self._formats: dict[tuple[str, bool, bool], QTextCharFormat] = {}

    def set_schema(self, schema: LabelSchema) -> None:
        self.schema = schema
        self._formats.clear()

    def color(self, label: str) -> tuple[str, str]:
        try:
            t = self.schema.get(label)
            return t.color, t.style
        except Exception:  # a type gone from the schema (an old undo): grey, never a crash
            return "#999999", "fill"

    def dark(self, label: str, factor: int = 160) -> QColor:
        return QColor(self.color(label)[0]).darker(factor)

    def format(self, label: str, model: bool, current: bool) -> QTextCharFormat:
        key = (label, model, current)
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = self._formats[key] = self._type_format(label, model, current)
        return fmt

    def _type_format(self, label: str, model: bool, current: bool) -> QTextCharFormat:
        color, style = self.color(label)
        fmt = QTextCharFormat()
        dark = QColor(color).darker(140)
        # Model spans keep a dashed underline in every style: "not yet confirmed" reads the same.
        line = QTextCharFormat.UnderlineStyle.DashUnderline if model else QTextCharFormat.UnderlineStyle.SingleUnderline
        if style == "fill" or current:  # the current span is always filled: it must stand out
            fmt.setBackground(tint(color, 200 if current else (90 if model else 130)))
        if style == "underline":
            line = QTextCharFormat.UnderlineStyle.DashUnderline if model else QTextCharFormat.UnderlineStyle.WaveUnderline
            dark = QColor(color).darker(115)
        if style == "bold":  # the colour here; the weight is the document's own (bold_chars)
            fmt.setForeground(QColor(color).darker(190))
        if style == "frame":  # drawn in paintEvent; a faint tint keeps the span visible when selected
            fmt.setBackground(tint(color, 35))
        fmt.setUnderlineColor(dark)
        fmt.setUnderlineStyle(line)  # (no bold for the current span: an ExtraSelection cannot draw it; it is framed)
        return fmt

    # ---------------------------------------------------------------- highlights

    def selections(self, view: QTextEdit, record: Record, current: Span | None,
                   to_qt: Callable[[int], int]) -> list[QTextEdit.ExtraSelection]:
        """Layer 0's highlights, then the current span (last: drawn over any other). Nested spans
        get no highlight: their underlines are painted below the line."""
        doc = view.document()

        def sel(sp: Span, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
            s = QTextEdit.ExtraSelection()
            c = QTextCursor(doc)
            c.setPosition(to_qt(sp.start))
            c.setPosition(to_qt(sp.end), QTextCursor.MoveMode.KeepAnchor)
            s.cursor, s.format = c, fmt
            return s

        out = [sel(sp, self.format(sp.label, sp.source == SpanSource.MODEL, False))
               for sp in record.spans if sp.layer == 0 and sp != current]
        if current is not None and current in record.spans:
            out.append(sel(current, self.format(current.label, current.source == SpanSource.MODEL, True)))
        return out

    # ---------------------------------------------------------------- painted marks

    def paint(self, view: QTextEdit, painter: QPainter, spans: Sequence[Span], current: Span | None,
              rects: Callable[[Span], list[QRect]]) -> None:
        """Frames, nested underlines and strike-outs of ``spans`` (those in view)."""
        for sp in spans:
            model = sp.source == SpanSource.MODEL
            color, style = self.color(sp.label)
            need_frame = style == "frame" and sp != current and sp.layer == 0
            if not (need_frame or sp.layer or sp.assertion in STRUCK):
                continue
            boxes = rects(sp)
            if sp.assertion in STRUCK:
                self._strike(painter, boxes, view.fontMetrics())
            if need_frame:
                painter.setPen(QPen(QColor(color).darker(120), 1,
                                    Qt.PenStyle.DashLine if model else Qt.PenStyle.SolidLine))
                for r in boxes:
                    painter.drawRect(r.adjusted(0, 0, -1, -1))
            if sp.layer:
                pen = QPen(QColor(color).darker(115), LINE_PITCH - 1,
                           Qt.PenStyle.DashLine if model else Qt.PenStyle.SolidLine)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                painter.setPen(pen)
                for r in boxes:
                    y = r.bottom() + 3 + LINE_PITCH * (sp.layer - 1)
                    painter.drawLine(r.left() + 1, y, r.right() - 1, y)

    def paint_tags(self, view: QTextEdit, painter: QPainter, spans: Sequence[Span],
                   rects: Callable[[Span], list[QRect]]) -> None:
        """The assertion tags of ``spans``: last, over the current span's frame, so that they read."""
        fm_h = view.fontMetrics().height()
        font = tag_font(view.font(), fm_h)
        metrics = QFontMetrics(font)
        for sp in spans:
            mark = status_mark(sp.assertion)
            boxes = rects(sp) if mark else []
            if boxes:
                self._tag(painter, boxes[-1], mark, self.dark(sp.label), font, metrics, fm_h)

    @staticmethod
    def _strike(painter: QPainter, boxes: list[QRect], fm: QFontMetrics) -> None:
        """A line through the middle of the letters: "denied"."""
        pen = QPen(QColor(40, 40, 40, 230), max(1.5, fm.height() / 14))
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        for r in boxes:
            y = r.top() + fm.ascent() * 0.6
            painter.drawLine(QPointF(r.left(), y), QPointF(r.right() + 1, y))

    @staticmethod
    def _tag(painter: QPainter, last: QRect, mark: str, border: QColor, font: QFont, fm: QFontMetrics,
             font_height: int) -> None:
        """A small tag above the span's end, superscript-like: in the gap above the line, reaching a
        little into the line's top, where a Chinese glyph leaves its cell empty."""
        w, h = fm.horizontalAdvance(mark) + 4, fm.height()
        box = QRectF(last.right() - w / 2 + 1, last.top() + round(font_height * 0.22) - h, w, h)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(border, 1))
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.drawRoundedRect(box, 3, 3)
        painter.setFont(font)
        painter.setPen(QColor("#222222"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, mark)
        painter.restore()


def slanted_chars(spans: Sequence[Span]) -> set[int]:
    """The characters an assertion status puts in italics (possible spans, of any layer)."""
    return {i for sp in spans if sp.assertion in SLANTED for i in range(sp.start, sp.end)}


def bold_chars(spans: Sequence[Span], schema: LabelSchema) -> set[int]:
    """The characters of spans whose type is drawn in the "bold" text style: a font weight, which,
    like italics, only the document's own format can show (an ExtraSelection's weight is ignored)."""
    bold = {t.name for t in schema.types if t.style == "bold"}
    return {i for sp in spans if sp.label in bold for i in range(sp.start, sp.end)} if bold else set()


def set_slanted(doc_cursor: QTextCursor, to_qt: Callable[[int], int], old: set[int], new: set[int]) -> None:
    """Change the document's italics where ``new`` differs from ``old`` (see :func:`restyle`)."""
    restyle(doc_cursor, to_qt, old, new, QTextCharFormat.setFontItalic)


def set_bold(doc_cursor: QTextCursor, to_qt: Callable[[int], int], old: set[int], new: set[int]) -> None:
    restyle(doc_cursor, to_qt, old, new,
            lambda fmt, on: fmt.setFontWeight(QFont.Weight.Bold if on else QFont.Weight.Normal))


def restyle(doc_cursor: QTextCursor, to_qt: Callable[[int], int], old: set[int], new: set[int],
            apply: Callable[[QTextCharFormat, bool], None]) -> None:
    """Change the document's own format where ``new`` differs from ``old``, a run of characters per
    call (a record's statuses change a few spans at a time)."""
    changed = sorted(old ^ new)
    run_start = None
    doc_cursor.beginEditBlock()  # one relayout for all the runs, not one per run
    for k, i in enumerate(changed):
        if run_start is None:
            run_start = i
        nxt = changed[k + 1] if k + 1 < len(changed) else None
        if nxt != i + 1 or (nxt in new) != (i in new):
            fmt = QTextCharFormat()
            apply(fmt, i in new)
            doc_cursor.setPosition(to_qt(run_start))
            doc_cursor.setPosition(to_qt(i + 1), QTextCursor.MoveMode.KeepAnchor)
            doc_cursor.mergeCharFormat(fmt)
            run_start = None
    doc_cursor.endEditBlock()
