"""Dragging the current span's start or end edge in the text pane: finding the edge under the
pointer (the pointer turns into a resize arrow there) and following the drag to a character
boundary. The view draws the preview; on release it asks for the move (editing decides and may
refuse it).

Only the current span's edges (the one a click, Tab or the table chose, framed): with every span's
edges live, a press at the start of a span to select text across it began a drag instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QPoint, QRect

from madpg_core.domain import Span

if TYPE_CHECKING:
    from madpg_gui.widgets.text_view import SpanTextView

Edge = Literal["start", "end"]
REACH_PX = 4  # how close to an edge (in pixels, either side) the pointer grabs it


@dataclass
class Drag:
    span: Span
    edge: Edge
    start: int  # the range the span would get if released now
    end: int


class EdgeDragger:
    def __init__(self, view: SpanTextView) -> None:
        self.view = view
        self.drag: Drag | None = None

    def edge_at(self, point: QPoint) -> tuple[Span, Edge] | None:
        """The current span's edge within REACH_PX of ``point`` on that edge's line (the nearer one
        when the span is that short)."""
        v = self.view
        span = v.current_span
        if v.record is None or span is None:
            return None
        best: tuple[int, Edge] | None = None
        for edge in ("start", "end"):
            x, box = self._edge_x(span, edge)
            if box is None or not (box.top() <= point.y() <= box.bottom()):
                continue
            dx = abs(point.x() - x)
            if dx <= REACH_PX and (best is None or dx < best[0]):
                best = (dx, edge)  # type: ignore[assignment]
        return (span, best[1]) if best else None

    def _edge_x(self, sp: Span, edge: Edge) -> tuple[int, QRect | None]:
        """The edge's x and the box of the character beside it (inside the span)."""
        v = self.view
        q = v.to_qt(sp.start) if edge == "start" else v.to_qt(sp.end) - 1
        box = v.char_box(q)
        return (box.left() if edge == "start" else box.right() + 1), box

    # ---------------------------------------------------------------- the drag

    def press(self, point: QPoint) -> bool:
        """Start a drag when ``point`` is on an edge; True when it did (the press is then the drag's,
        not the start of a text selection)."""
        hit = self.edge_at(point)
        if hit is None:
            return False
        span, edge = hit
        self.drag = Drag(span, edge, span.start, span.end)
        return True

    def move(self, point: QPoint) -> None:
        d, v = self.drag, self.view
        if d is None:
            return
        b = v.to_py(v.cursorForPosition(point).position())
        d.start, d.end = (b, d.span.end) if d.edge == "start" else (d.span.start, b)
        v.viewport().update()

    def release(self) -> Drag | None:
        """The finished drag when it changed the range (the editor checks the rest), else None."""
        d, self.drag = self.drag, None
        self.view.viewport().update()
        if d is None or (d.start, d.end) == (d.span.start, d.span.end):
            return None
        return d
