"""The image pane's thumbnail strip: one row of equal, fixed cells (each thumbnail whole, none on
top of another, its original file name under it) that scrolls sideways."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QListView,
    QListWidget,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from madpg_gui.imaging import THUMB

CELL = QSize(THUMB + 60, THUMB + 30)  # a thumbnail, its name under it (16 characters fit); all alike
IMAGE_ROLE = Qt.ItemDataRole.UserRole  # the decoded QImage, or the error message (str)
PRESETS_ROLE = Qt.ItemDataRole.UserRole + 1
DICOM_ROLE = Qt.ItemDataRole.UserRole + 2
FRAMES_ROLE = Qt.ItemDataRole.UserRole + 3  # (frame shown, frame count) of a decoded image


class _ThumbDelegate(QStyledItemDelegate):
    """One fixed cell: the thumbnail centred in a THUMB square, the name elided in the middle under
    it (the suffix stays readable), the current image framed in the highlight colour."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        pal = option.palette
        cell = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            fill = QColor(pal.color(QPalette.ColorRole.Highlight))
            fill.setAlpha(60)
            p.setBrush(fill)
            p.setPen(pal.color(QPalette.ColorRole.Highlight))
            p.drawRoundedRect(cell, 4, 4)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            p.setBrush(pal.color(QPalette.ColorRole.Midlight))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRoundedRect(cell, 4, 4)
        box = QRect(cell.center().x() - THUMB // 2, cell.top() + 4, THUMB, THUMB)
        thumb = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(thumb, QPixmap) and not thumb.isNull():
            size = thumb.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            p.drawPixmap(target, thumb)
        else:  # not decoded yet, or failed: a grey square, with a warning sign when it failed
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#3a3a3a"))
            p.drawRect(box)
            p.setPen(QColor("#f0c040") if isinstance(index.data(IMAGE_ROLE), str) else QColor("#999"))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter,
                       "⚠" if isinstance(index.data(IMAGE_ROLE), str) else "…")
        text_rect = QRect(cell.left() + 3, box.bottom() + 3, cell.width() - 6, cell.bottom() - box.bottom() - 3)
        name = option.fontMetrics.elidedText(str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
                                             Qt.TextElideMode.ElideMiddle, text_rect.width())
        p.setPen(pal.color(QPalette.ColorRole.Text))
        p.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        p.restore()


class ThumbStrip(QListWidget):
    """A single row of equal cells that scrolls sideways; Left/Right/Home/End move the current image."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)  # thumbnails are not dragged around
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        # A fixed grid: each cell is laid out where it belongs before its thumbnail exists, so a cell
        # whose icon arrives late is never a sliver under its neighbour (the bug of issue 20).
        self.setGridSize(CELL)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setSpacing(0)
        self.setItemDelegate(_ThumbDelegate(self))
        self.setMouseTracking(True)
        self.setHorizontalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # room for the scroll bar below the cells, so that it never covers their names
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setFixedHeight(CELL.height() + bar + 2 * self.frameWidth() + 2)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def scrollTo(self, index: QModelIndex | QPersistentModelIndex,
                 hint: QListView.ScrollHint = QListView.ScrollHint.EnsureVisible) -> None:
        # QListView stops one pixel short at the right end (the last cell's frame is cut): scroll by
        # exactly what the cell lacks instead.
        if hint != QListView.ScrollHint.EnsureVisible:
            super().scrollTo(index, hint)
            return
        cell, width = self.visualRect(index), self.viewport().width()
        bar = self.horizontalScrollBar()
        if cell.left() < 0:
            bar.setValue(bar.value() + cell.left())
        elif cell.left() + cell.width() > width:
            bar.setValue(bar.value() + cell.left() + cell.width() - width)
