"""Regions drawn over the image view (issue 18 item 1): boxes and outlines of the shown image and
frame, selecting (click), moving (drag), deleting (Delete), and drawing new ones.

Every region is a QGraphicsItem child of the view's pixmap item, so its coordinates are the image's
own pixels and zoom, pan and window/level (a new pixmap in the same item) leave it in place. Lines
are cosmetic (constant width on screen at any zoom).

The layer only draws and reports intents (signals); the region editor (region_editing.py) turns
them into undo commands, and gives the layer the regions again after each one. Draw mode takes the
left button (the right one stays window/level): a box is a drag; an outline is a freehand drag, or
clicks point by point closed by a double-click, Enter or a click on its first point; Esc cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
)

from madpg_gui.widgets.zoom_view import ZoomView

Point = tuple[float, float]
NEUTRAL = "#ffd000"  # a region linked to nothing yet: bright on a grey radiograph
CLOSE_PX = 8  # a click this close (screen pixels) to an outline's first point closes it
FREEHAND_STEP_PX = 4  # a freehand outline takes a point every few screen pixels


@dataclass(frozen=True)
class RegionShape:
    """What the layer draws for one region: its id, kind, points (image pixels), colour and label."""

    id: int
    kind: str
    points: tuple[Point, ...]
    color: str = NEUTRAL
    label: str = ""


def shape_path(kind: str, points: Sequence[Point]) -> QPainterPath:
    path = QPainterPath()
    if kind == "box" and len(points) == 2:
        (x0, y0), (x1, y1) = points
        path.addRect(QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized())
    elif points:
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
        path.closeSubpath()
    return path


class RegionItem(QGraphicsPathItem):
    """One region, movable by Qt (the layer reads the offset moved on release). Selection is the
    layer's own (``selected``), not Qt's: Qt's would paint a dotted frame that only a Python
    ``paint`` override could suppress, and every Python override runs on every repaint."""

    def __init__(self, shape: RegionShape, layer: RegionLayer) -> None:
        super().__init__(shape_path(shape.kind, shape.points), layer.view.item)
        self.shape_, self.layer = shape, layer
        self.highlighted = False
        self.selected = False
        self._style: tuple[bool, bool] | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setToolTip(shape.label)
        self.tag = None
        if shape.label:  # the linked spans' text above the top-left corner, the same size at any zoom
            self.tag = _Tag(shape.label, QColor(shape.color), self)
            x0, y0, _, _ = _bounds(shape.points)
            self.tag.setPos(x0, y0)
        self.restyle()

    def restyle(self) -> None:
        style = (self.selected, self.highlighted)
        if style == self._style:
            return  # unchanged: every Qt call counts on a redraw of many regions
        self._style = style
        color = QColor(self.shape_.color)
        strong = self.selected or self.highlighted
        pen = QPen(color, 3.5 if strong else 2.0)
        pen.setCosmetic(True)
        if self.selected:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        fill = QColor(color)
        fill.setAlpha(70 if self.highlighted else 35 if self.selected else 0)
        self.setBrush(QBrush(fill) if fill.alpha() else Qt.BrushStyle.NoBrush)
        self.setZValue(2 if strong else 1)

    # No itemChange override: PySide6 (6.12, Python 3.11) loses a reference to None on every change
    # whose value is None (an item leaving the scene), which crashed the interpreter after a few
    # hundred redraws. The clamp is done after Qt's own move instead, the restyle on the scene's
    # selectionChanged.

    def mouseMoveEvent(self, e) -> None:
        super().mouseMoveEvent(e)
        clamped = self.layer.clamp_offset(self.shape_.points, self.pos())  # never dragged off the image
        if clamped != self.pos():
            self.setPos(clamped)

    def moved_points(self) -> tuple[Point, ...]:
        d = self.pos()
        return tuple((round(x + d.x(), 1), round(y + d.y(), 1)) for x, y in self.shape_.points)


class _Tag(QGraphicsRectItem):
    """A region's linked text in the type's colour on a dark plate (readable on a bright or a dark
    part of a radiograph), just above the region's top-left corner, the same size at any zoom.
    Plain Qt items, no Python paint: a repaint during a drag runs no Python for it."""

    def __init__(self, text: str, color: QColor, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        label = QGraphicsSimpleTextItem(text, self)
        f = label.font()
        f.setPointSize(11)
        f.setBold(True)
        label.setFont(f)
        label.setBrush(color)
        r = label.boundingRect()
        label.setPos(4, -r.height() - 3)  # screen pixels above the corner
        self.setRect(QRectF(0, -r.height() - 4, r.width() + 8, r.height() + 2))
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setBrush(QColor(0, 0, 0, 170))


def _bounds(points: Sequence[Point]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


class RegionLayer(QObject):
    """The regions of the image shown in ``view``; intents as signals."""

    regionDrawn = Signal(str, object)  # kind, points (tuple of (x, y) in image pixels)
    regionMoved = Signal(int, object)  # region id, its new points
    selectionChanged = Signal(object)  # region id, or None
    deleteRequested = Signal(int)  # region id
    drawModeChanged = Signal(str)  # "box" | "polygon" | "" (not drawing)

    def __init__(self, view: ZoomView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.items: dict[int, RegionItem] = {}
        self.mode = ""  # "box" | "polygon" while drawing
        self._draft: QGraphicsPathItem | None = None
        self._draft_points: list[Point] = []
        self._pressed_at: QPointF | None = None  # box: the corner pressed; outline: the last point taken
        self._freehand = False
        self._dragging: RegionItem | None = None
        self._viewport = view.viewport()  # kept: while the window is torn down the view may go first
        self._viewport.installEventFilter(self)
        view.installEventFilter(self)
        view.destroyed.connect(self._view_gone)

    # ---------------------------------------------------------------- showing

    def set_regions(self, shapes: Sequence[RegionShape], selected: int | None = None,
                    highlighted: Sequence[int] = ()) -> None:
        """Draw ``shapes`` (the shown image's, this frame's) instead of what was drawn."""
        old, self.items = self.items, {}
        for shape in shapes:  # an unchanged region keeps its item (most redraws change one or none)
            item = old.pop(shape.id, None)
            if item is not None and (item.shape_ != shape or not item.pos().isNull()):
                self.view.scene().removeItem(item)
                item = None
            if item is None:
                item = RegionItem(shape, self)
            self.items[shape.id] = item
            item.highlighted = shape.id in highlighted
            item.selected = shape.id == selected
            item.restyle()
        for item in old.values():
            self.view.scene().removeItem(item)

    def select(self, region_id: int | None) -> None:
        for rid, item in self.items.items():
            item.selected = rid == region_id
            item.restyle()

    def set_highlighted(self, ids: Sequence[int]) -> None:
        """Regions linked to the current span: thicker, filled."""
        for rid, item in self.items.items():
            item.highlighted = rid in ids
            item.restyle()

    @property
    def selected_id(self) -> int | None:
        return next((rid for rid, item in self.items.items() if item.selected), None)

    def highlighted_ids(self) -> list[int]:
        return [rid for rid, item in self.items.items() if item.highlighted]

    # ---------------------------------------------------------------- drawing

    def start_drawing(self, kind: str) -> None:
        self.cancel_drawing()
        self.mode = kind
        self.view.set_drawing(True)
        self.drawModeChanged.emit(kind)

    def cancel_drawing(self) -> None:
        self._drop_draft()
        if self.mode:
            self.mode = ""
            self.view.set_drawing(False)
            self.drawModeChanged.emit("")

    def image_size(self) -> tuple[float, float]:
        r = self.view.item.boundingRect()
        return r.width(), r.height()

    def clamp_offset(self, points: Sequence[Point], offset: QPointF) -> QPointF:
        w, h = self.image_size()
        x0, y0, x1, y1 = _bounds(points)
        return QPointF(min(max(offset.x(), -x0), w - x1), min(max(offset.y(), -y0), h - y1))

    def _to_image(self, pos: QPointF) -> Point:
        p = self.view.item.mapFromScene(self.view.mapToScene(pos.toPoint()))
        w, h = self.image_size()
        return (round(min(max(p.x(), 0.0), w), 1), round(min(max(p.y(), 0.0), h), 1))

    def _screen_distance(self, a: Point, b: Point) -> float:
        scale = self.view.transform().m11() or 1.0
        return ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 * scale

    def _show_draft(self, points: Sequence[Point], kind: str) -> None:
        if self._draft is None:
            self._draft = QGraphicsPathItem(self.view.item)
            pen = QPen(QColor(NEUTRAL), 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            self._draft.setPen(pen)
            self._draft.setZValue(3)
        path = shape_path(kind, points) if kind == "box" else QPainterPath()
        if kind != "box" and points:
            path.moveTo(*points[0])
            for p in points[1:]:
                path.lineTo(*p)
        self._draft.setPath(path)

    def _drop_draft(self) -> None:
        if self._draft is not None:
            self.view.scene().removeItem(self._draft)
            self._draft = None
        self._draft_points, self._pressed_at, self._freehand = [], None, False

    def _finish(self, kind: str, points: Sequence[Point]) -> None:
        self._drop_draft()
        if kind == "box":
            (xa, ya), (xb, yb) = points
            if abs(xa - xb) < 2 or abs(ya - yb) < 2:
                return  # a click, not a box
        elif len(set(points)) < 3:
            return
        self.regionDrawn.emit(kind, tuple(points))

    # ---------------------------------------------------------------- events

    def _view_gone(self) -> None:
        self._viewport = None

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if self._viewport is None:
            return False
        t = e.type()
        if t == QEvent.Type.KeyPress and isinstance(e, QKeyEvent) and obj is not self._viewport:
            return self._key(e)
        if obj is not self._viewport or not isinstance(e, QMouseEvent):
            return False
        if self.mode:
            return self._draw_event(e)
        # not drawing: a press selects the region under it (or none), Qt moves it; a finished move
        # is reported here
        if t == QEvent.Type.MouseButtonPress and e.button() == Qt.MouseButton.LeftButton:
            item = self.view.itemAt(e.position().toPoint())
            while item is not None and not isinstance(item, RegionItem):
                item = item.parentItem()
            self._dragging = item
            chosen = item.shape_.id if item is not None else None
            if chosen != self.selected_id:
                self.select(chosen)
                self.selectionChanged.emit(chosen)
        elif t == QEvent.Type.MouseButtonRelease and e.button() == Qt.MouseButton.LeftButton:
            item, self._dragging = self._dragging, None
            if item is not None and not item.pos().isNull():
                self.regionMoved.emit(item.shape_.id, item.moved_points())
        return False

    def _draw_event(self, e: QMouseEvent) -> bool:
        t = e.type()
        left = e.button() == Qt.MouseButton.LeftButton
        if e.button() == Qt.MouseButton.RightButton or (
                t == QEvent.Type.MouseMove and e.buttons() & Qt.MouseButton.RightButton):
            return False  # window/level stays on the right button
        at = self._to_image(e.position())
        if self.mode == "box":
            if t == QEvent.Type.MouseButtonPress and left:
                self._pressed_at = QPointF(*at)
                self._show_draft((at, at), "box")
            elif t == QEvent.Type.MouseMove and self._pressed_at is not None:
                self._show_draft(((self._pressed_at.x(), self._pressed_at.y()), at), "box")
            elif t == QEvent.Type.MouseButtonRelease and left and self._pressed_at is not None:
                self._finish("box", ((self._pressed_at.x(), self._pressed_at.y()), at))
            return True
        pts = self._draft_points
        if t == QEvent.Type.MouseButtonDblClick and left:
            self._close_outline()
        elif t == QEvent.Type.MouseButtonPress and left:
            if len(pts) >= 3 and self._screen_distance(at, pts[0]) <= CLOSE_PX:
                self._close_outline()
                return True
            pts.append(at)
            self._freehand = False
            self._pressed_at = QPointF(*at)
            self._show_draft(pts, "polygon")
        elif t == QEvent.Type.MouseMove and pts:
            if e.buttons() & Qt.MouseButton.LeftButton:  # a drag: freehand, a point every few pixels
                if self._screen_distance(at, pts[-1]) >= FREEHAND_STEP_PX:
                    pts.append(at)
                    self._freehand = True
                self._show_draft(pts, "polygon")
            else:  # the rubber band from the last point to the pointer
                self._show_draft([*pts, at], "polygon")
        elif t == QEvent.Type.MouseButtonRelease and left and self._freehand and len(pts) >= 3:
            self._close_outline()  # a freehand outline ends where the button is let go
        return True

    def _close_outline(self) -> None:
        pts = list(dict.fromkeys(self._draft_points))  # a double-click adds its point twice
        self._finish("polygon", pts)

    def _key(self, e: QKeyEvent) -> bool:
        k = e.key()
        if k == Qt.Key.Key_Escape and self.mode:
            self.cancel_drawing()
            return True
        if k in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.mode == "polygon" and self._draft_points:
            self._close_outline()
            return True
        if k in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not self.mode and self.selected_id is not None:
            self.deleteRequested.emit(self.selected_id)
            return True
        return False

