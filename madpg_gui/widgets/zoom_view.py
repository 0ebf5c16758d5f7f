"""The image view: zoom (wheel, fit, actual size), pan by dragging, and window/level by right-drag.
While regions are drawn (region_layer.py) the left button draws instead of panning."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 40.0


class ZoomView(QGraphicsView):
    zoomed = Signal(float)
    windowDragged = Signal(float, float)  # a right-drag step, in screen pixels (dx, dy)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)  # pan by dragging
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a click on the image gives PgUp/PgDn to the pane
        self.fit_mode = True
        self.windowing = False  # right-drag changes window/level (the pane sets it for DICOM)
        self._drag_from: QPointF | None = None

    def set_drawing(self, on: bool) -> None:
        """Draw mode: no hand-drag panning and a cross cursor; the wheel still zooms."""
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        if on:
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.viewport().unsetCursor()

    def set_image(self, image: QImage | None, keep_view: bool = False) -> None:
        self.item.setPixmap(QPixmap.fromImage(image) if image is not None else QPixmap())
        self.scene().setSceneRect(self.item.boundingRect())
        if not keep_view or self.fit_mode:
            self.fit()

    def fit(self) -> None:
        self.fit_mode = True
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoomed.emit(self.transform().m11())

    def zoom(self, factor: float) -> None:
        self.fit_mode = False
        scale = self.transform().m11() * factor
        if MIN_ZOOM < scale < MAX_ZOOM:
            self.scale(factor, factor)
        self.zoomed.emit(self.transform().m11())

    def set_zoom(self, scale: float, center: QPointF | None = None) -> None:
        """An absolute zoom (1.0: one image pixel per screen pixel), centred on ``center`` (scene)."""
        self.fit_mode = False
        self.resetTransform()
        scale = min(max(scale, MIN_ZOOM), MAX_ZOOM)
        self.scale(scale, scale)
        if center is not None:
            self.centerOn(center)
        self.zoomed.emit(scale)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    # Window/level by right-drag, as in every PACS viewer: right and left change the width (contrast),
    # down and up the level (brightness). Only while ``windowing`` (a DICOM is shown); the pane
    # turns the motion into values, so the view needs to know nothing about DICOM.

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.RightButton and self.windowing:
            self._drag_from = e.position()
            self.viewport().setCursor(Qt.CursorShape.SizeAllCursor)
            e.accept()
            return
        super().mousePressEvent(e)

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if self._drag_from is not None and e.buttons() & Qt.MouseButton.RightButton:
            delta = e.position() - self._drag_from
            self._drag_from = e.position()
            self.windowDragged.emit(delta.x(), delta.y())
            e.accept()
            return
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.RightButton and self._drag_from is not None:
            self._drag_from = None
            if self.dragMode() == QGraphicsView.DragMode.NoDrag:  # drawing: back to the cross
                self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            else:
                self.viewport().unsetCursor()
            e.accept()
            return
        super().mouseReleaseEvent(e)

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802
        if e.angleDelta().y():
            self.zoom(ZOOM_STEP if e.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def resizeEvent(self, e) -> None:  # noqa: ANN001, N802
        super().resizeEvent(e)
        if self.fit_mode:
            self.fit()
