"""Marks over the text pane for image regions (issue 18 item 1): a frame around every span linked to
the selected region (the reverse of "a span highlights its regions"), and a small "not visible in
the images" sign after each span so marked.

A transparent child of the text view's viewport, so the text view itself needs no change: it asks
the view for the spans' boxes (the same ones the view frames its current span with) and repaints
when the view scrolls or resizes. Mouse events pass through it to the text.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from madpg_core.domain import Span
from madpg_gui.widgets.text_view import SpanTextView

SpanKey = tuple[int, int, int]  # (start, end, layer)
LINKED = QColor("#ff8a00")  # the selected region's spans: the colour regions are selected in
HIDDEN = QColor("#505050")  # the "not visible in the images" sign


class LinkedSpanMarks(QWidget):
    def __init__(self, text: SpanTextView) -> None:
        super().__init__(text.viewport())
        self.text = text
        self.linked: list[SpanKey] = []
        self.hidden: set[SpanKey] = set()
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        text.viewport().installEventFilter(self)
        for bar in (text.verticalScrollBar(), text.horizontalScrollBar()):
            bar.valueChanged.connect(self._follow)  # QWidget.scroll moved this child with the text
        self._follow()
        self.show()

    def set_marks(self, linked: Iterable[SpanKey], hidden: Iterable[SpanKey]) -> None:
        linked, hidden = sorted(set(linked)), set(hidden)
        if linked != self.linked or hidden != self.hidden:
            self.linked, self.hidden = linked, hidden
            self.update()

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Resize:
            self._follow()
        return False

    def _follow(self, _value: int = 0) -> None:
        self.setGeometry(self.text.viewport().rect())
        self.raise_()
        self.update()

    def _spans(self, keys: Iterable[SpanKey]) -> list[Span]:
        rec = self.text.record
        if rec is None:
            return []
        wanted = set(keys)
        return [sp for sp in rec.spans if (sp.start, sp.end, sp.layer) in wanted]

    def paintEvent(self, e: QPaintEvent) -> None:
        if not (self.linked or self.hidden) or self.text.record is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(LINKED, 2, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for span in self._spans(self.linked):
            for rect in self.text._line_rects(span):
                if rect.intersects(e.rect().adjusted(-4, -4, 4, 4)):
                    p.drawRoundedRect(rect.adjusted(-3, -2, 3, 2), 4, 4)
        # a "no" sign (a circle struck through) on the span's top-right corner, in the gap above it
        size = max(12, round(self.text.fontMetrics().height() * 0.7))
        for span in self._spans(self.hidden):
            rects = self.text._line_rects(span)
            if rects:
                last = rects[-1]
                badge = QRectF(last.right() - size * 0.4, last.top() - size * 0.6, size, size)
                p.setPen(QPen(HIDDEN, 1.8))
                p.setBrush(QColor("white"))
                p.drawEllipse(badge.adjusted(1, 1, -1, -1))
                inset = size * 0.28
                p.drawLine(QPointF(badge.left() + inset, badge.bottom() - inset),
                           QPointF(badge.right() - inset, badge.top() + inset))
        p.end()
