"""The image pane: zoom, pan and fit; thumbnails when a record has several images; DICOM
window/level with the file's own presets. A corrupt or missing image is a message in the pane."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from madpg_gui.i18n import tr
from madpg_gui.imaging import ImageLoader, is_dicom

ZOOM_STEP = 1.25


class ZoomView(QGraphicsView):
    zoomed = Signal(float)

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
        self.fit_mode = True

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
        if 0.02 < scale < 40:
            self.scale(factor, factor)
        self.zoomed.emit(self.transform().m11())

    def reset_zoom(self) -> None:
        self.fit_mode = False
        self.resetTransform()
        self.zoomed.emit(1.0)

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802
        if e.angleDelta().y():
            self.zoom(ZOOM_STEP if e.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def resizeEvent(self, e) -> None:  # noqa: ANN001, N802
        super().resizeEvent(e)
        if self.fit_mode:
            self.fit()


class ImagePane(QWidget):
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = ImageLoader(self)
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._failed)
        self.paths: list[str] = []
        self.index = -1
        self._token = 0
        self.view = ZoomView()
        self.note = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.note.setStyleSheet("color: #ddd; background: #222; padding: 12px;")
        self.stack = QStackedLayout()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.note)
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListWidget.ViewMode.IconMode)
        self.thumbs.setFlow(QListWidget.Flow.LeftToRight)
        self.thumbs.setWrapping(False)
        self.thumbs.setIconSize(QSize(64, 64))
        self.thumbs.setFixedHeight(96)
        self.thumbs.currentRowChanged.connect(self._thumb_chosen)
        # DICOM window/level
        self.presets = QComboBox()
        self.center = QDoubleSpinBox(decimals=0, minimum=-100000, maximum=100000, prefix=tr("C "))
        self.width_ = QDoubleSpinBox(decimals=0, minimum=1, maximum=200000, prefix=tr("W "))
        self.wl_bar = QWidget()
        bar = QHBoxLayout(self.wl_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel(tr("Window:")))
        bar.addWidget(self.presets, 1)
        bar.addWidget(self.center)
        bar.addWidget(self.width_)
        self.wl_bar.hide()
        self._wl_timer = QTimer(self, singleShot=True, interval=150)
        self._wl_timer.timeout.connect(self._apply_window)
        self.presets.activated.connect(self._preset_chosen)
        self.center.valueChanged.connect(lambda _v: self._wl_timer.start())
        self.width_.valueChanged.connect(lambda _v: self._wl_timer.start())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self.stack, 1)
        lay.addWidget(self.wl_bar)
        lay.addWidget(self.thumbs)
        self.set_images([])

    # ---------------------------------------------------------------- public

    def set_images(self, paths: list[str] | tuple[str, ...]) -> None:
        self._token += 1
        self.paths = list(paths)
        self.index = -1
        self.thumbs.blockSignals(True)
        self.thumbs.clear()
        for i, p in enumerate(self.paths):
            item = QListWidgetItem(QIcon(), str(i + 1))
            item.setToolTip(Path(p).name)
            self.thumbs.addItem(item)
        self.thumbs.blockSignals(False)
        self.thumbs.setVisible(len(self.paths) > 1)
        if not self.paths:
            self._show_note(tr("No image for this record"))
            self.wl_bar.hide()
            return
        for i, p in enumerate(self.paths):  # first image first: it is the one shown
            self.loader.request(self._token, i, p)
        self.show_index(0)

    def show_index(self, i: int) -> None:
        if not 0 <= i < len(self.paths) or i == self.index:
            return
        self.index = i
        self.thumbs.blockSignals(True)
        self.thumbs.setCurrentRow(i)
        self.thumbs.blockSignals(False)
        item = self.thumbs.item(i)
        cached = item.data(Qt.ItemDataRole.UserRole) if item else None
        if isinstance(cached, QImage):
            self._display(cached, item.data(Qt.ItemDataRole.UserRole + 1) or [])
        elif isinstance(cached, str):
            self._show_note(cached)
        else:
            self._show_note(tr("Loading {name}…").format(name=Path(self.paths[i]).name))

    def fit(self) -> None:
        self.view.fit()

    def zoom(self, factor: float) -> None:
        self.view.zoom(factor)

    def reset_zoom(self) -> None:
        self.view.reset_zoom()

    @property
    def showing_image(self) -> bool:
        return self.stack.currentWidget() is self.view

    # ---------------------------------------------------------------- loading

    def _loaded(self, token: int, i: int, image: QImage, presets: list) -> None:
        if token != self._token:
            return  # a result for a record no longer shown
        item = self.thumbs.item(i)
        if item is None:
            return
        if item.data(Qt.ItemDataRole.UserRole) is None or i == self.index:
            item.setData(Qt.ItemDataRole.UserRole, image)
            item.setData(Qt.ItemDataRole.UserRole + 1, presets)
            item.setIcon(QIcon(QPixmap.fromImage(image.scaled(64, 64, Qt.AspectRatioMode.KeepAspectRatio))))
        if i == self.index:
            self._display(image, presets, keep_view=self.showing_image)

    def _failed(self, token: int, i: int, message: str) -> None:
        if token != self._token:
            return
        item = self.thumbs.item(i)
        if item is not None:
            item.setData(Qt.ItemDataRole.UserRole, message)
            item.setText(f"{i + 1} ⚠")
        if i == self.index:
            self._show_note(message)
            self.message.emit(message)

    def _display(self, image: QImage, presets: list, keep_view: bool = False) -> None:
        self.stack.setCurrentWidget(self.view)
        self.view.set_image(image, keep_view)
        dicom = is_dicom(self.paths[self.index])
        self.wl_bar.setVisible(dicom)
        if dicom and not keep_view:
            self._fill_presets(presets)

    def _show_note(self, text: str) -> None:
        self.note.setText(text)
        self.stack.setCurrentWidget(self.note)

    def _thumb_chosen(self, row: int) -> None:
        self.show_index(row)

    # ---------------------------------------------------------------- window / level

    def _fill_presets(self, presets: list) -> None:
        self.presets.blockSignals(True)
        self.presets.clear()
        for c, w, name in presets:
            self.presets.addItem(f"{name} ({c:g}/{w:g})", (c, w))
        if not presets:  # the file names no window: the loader picks one from the pixel values
            self.presets.addItem(tr("Automatic"), None)
        self.presets.blockSignals(False)
        first = self.presets.itemData(0)
        for box, v in ((self.center, first[0] if first else 0), (self.width_, first[1] if first else 1)):
            box.blockSignals(True)
            box.setValue(v)
            box.blockSignals(False)

    def _preset_chosen(self, i: int) -> None:
        data = self.presets.itemData(i)
        if data is None:
            self._request_window(None)
            return
        for box, v in ((self.center, data[0]), (self.width_, data[1])):
            box.blockSignals(True)
            box.setValue(v)
            box.blockSignals(False)
        self._request_window(data)

    def _apply_window(self) -> None:
        self._request_window((self.center.value(), self.width_.value()))

    def _request_window(self, window: tuple[float, float] | None) -> None:
        if 0 <= self.index < len(self.paths):
            self.loader.request(self._token, self.index, self.paths[self.index], window)
