"""The image pane: zoom, pan and fit; a thumbnail strip when a record has several images, and each
image's original file name; DICOM window/level with the file's own presets and the usual radiology
ones; the frames of a multi-frame DICOM ("[" / "]"). A corrupt or missing image is a message in the
pane. Where the user is (image, zoom) is ``view_state()``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from madpg_gui.i18n import tr
from madpg_gui.imaging import STANDARD_WINDOWS, THUMB, ImageLoader, Loaded
from madpg_gui.widgets.thumb_strip import (
    DICOM_ROLE,
    FRAMES_ROLE,
    IMAGE_ROLE,
    PRESETS_ROLE,
    ThumbStrip,
)
from madpg_gui.widgets.zoom_view import ZoomView


class _ElidedLabel(QLabel):
    """A one-line label that elides its text in the middle instead of widening the dock."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, e) -> None:  # noqa: ANN001, N802
        super().resizeEvent(e)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(self.width(), 40)))


class ImagePane(QWidget):
    message = Signal(str)
    imageShown = Signal(int, int)  # image index, frame: an image (or another frame, window) is displayed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = ImageLoader(self, THUMB)
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._failed)
        self.paths: list[str] = []
        self.names: list[str] = []  # what the user calls each image: its original file name
        self.index = -1
        self.frame, self.frames = 0, 1  # the frame shown of the current image, and its frame count
        self._token = 0
        self._pending: dict | None = None  # a restore_view_state() waiting for images
        self._pending_zoom: tuple[int, object, object] | None = None  # (index, zoom, center) until displayed
        self.view = ZoomView()
        self.note = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.note.setStyleSheet("color: #ddd; background: #222; padding: 12px;")
        self.stack = QStackedLayout()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.note)
        self.thumbs = ThumbStrip()
        self.thumbs.currentRowChanged.connect(self._thumb_chosen)
        # the current image's name and "Image 2 / 3"
        self.caption = QWidget()
        cap = QHBoxLayout(self.caption)
        cap.setContentsMargins(6, 2, 6, 2)
        self.name_label = _ElidedLabel()
        self.counter = QLabel()
        self.frame_label = QLabel()  # "Frame 3 / 40" for a multi-frame DICOM
        self.frame_label.setToolTip(tr("[ and ] step through the frames"))
        cap.addWidget(self.name_label, 1)
        cap.addWidget(self.frame_label)
        cap.addWidget(self.counter)
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
        self.view.windowDragged.connect(self._window_dragged)
        self.center.valueChanged.connect(lambda _v: self._wl_timer.start())
        self.width_.valueChanged.connect(lambda _v: self._wl_timer.start())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(self.stack, 1)
        lay.addWidget(self.caption)
        lay.addWidget(self.wl_bar)
        lay.addWidget(self.thumbs)
        for w in (self.view, self.thumbs, self.note):
            w.installEventFilter(self)
        self.set_images([])

    # ---------------------------------------------------------------- public

    def set_images(self, paths: Sequence[str], names: Sequence[str] = ()) -> None:
        """Show a record's images. ``names``: their original file names, parallel to ``paths``
        (``Record.image_names``); where one is missing or empty the stored file's name stands in."""
        self._token += 1
        self.loader.begin(self._token)
        self.paths = [str(p) for p in paths]
        self.names = [(names[i] if i < len(names) and names[i] else Path(p).name) for i, p in enumerate(self.paths)]
        self.index = -1
        self._pending_zoom = None
        pending, self._pending = self._pending, None  # a restored place applies to this record only
        self.thumbs.blockSignals(True)
        self.thumbs.clear()
        for i, name in enumerate(self.names):
            item = QListWidgetItem(name)
            item.setToolTip(tr("Image {i} / {n}: {name}").format(i=i + 1, n=len(self.names), name=name))
            self.thumbs.addItem(item)
        self.thumbs.blockSignals(False)
        many = len(self.paths) > 1
        self.thumbs.setVisible(many)  # one image: no strip; its name still shows in the caption
        self.counter.setVisible(many)
        self.caption.setVisible(bool(self.paths))
        if not self.paths:
            self._show_note(tr("No image for this record"))
            self.wl_bar.hide()
            return
        first = self._clamp(pending.get("index")) if pending else 0
        if pending:
            self._pending_zoom = (first, pending.get("zoom"), pending.get("center"))
        self.show_index(first)  # requests the shown image, before the others' thumbnails
        rest = [i for i in range(len(self.paths)) if i != first]
        for rank, i in enumerate(rest):
            self.loader.request(self._token, i, self.paths[i], priority=len(rest) - rank)

    def show_index(self, i: int) -> None:
        if not 0 <= i < len(self.paths) or i == self.index:
            return
        self.index = i
        self.thumbs.blockSignals(True)
        self.thumbs.setCurrentRow(i)
        self.thumbs.blockSignals(False)
        self.thumbs.scrollToItem(self.thumbs.item(i))
        self.name_label.set_full_text(self.names[i])
        self.counter.setText(tr("Image {i} / {n}").format(i=i + 1, n=len(self.paths)))
        item = self.thumbs.item(i)
        cached = item.data(IMAGE_ROLE) if item else None
        self.frame, self.frames = item.data(FRAMES_ROLE) or (0, 1)
        self._show_frame_label()
        if isinstance(cached, QImage):
            self._display(cached, item.data(PRESETS_ROLE) or [], bool(item.data(DICOM_ROLE)))
        elif isinstance(cached, str):
            self._show_note(cached)
        else:
            self._show_note(tr("Loading {name}…").format(name=self.names[i]))
            self.loader.request(self._token, i, self.paths[i], priority=len(self.paths) + 1)  # before the rest

    def next_image(self) -> None:
        self.show_index(self.index + 1)

    def previous_image(self) -> None:
        self.show_index(self.index - 1)

    def show_frame(self, frame: int) -> None:
        """Frame ``frame`` of a multi-frame DICOM (in the window shown now)."""
        frame = min(max(frame, 0), self.frames - 1)
        if frame == self.frame or not 0 <= self.index < len(self.paths):
            return
        self.frame = frame
        self._show_frame_label()
        window = (self.center.value(), self.width_.value()) if self.view.windowing else None
        self.loader.request(self._token, self.index, self.paths[self.index], window,
                            priority=len(self.paths) + 1, frame=frame)

    def next_frame(self) -> None:
        self.show_frame(self.frame + 1)

    def previous_frame(self) -> None:
        self.show_frame(self.frame - 1)

    def _show_frame_label(self) -> None:
        self.frame_label.setVisible(self.frames > 1)
        self.frame_label.setText(tr("Frame {i} / {n}").format(i=self.frame + 1, n=self.frames))

    def fit(self) -> None:
        self.view.fit()

    def zoom(self, factor: float) -> None:
        self.view.zoom(factor)

    def reset_zoom(self) -> None:
        self.view.reset_zoom()

    # --- attention overlay toggle (added for issue 18 item 2; the button and its overlay belong to
    # madpg_gui/attention_view.py, which draws on ``self.view.item``) ---
    def set_attention_toggle(self, button: QWidget) -> None:
        """Put the attention overlay's toggle at the right end of the caption under the image."""
        self.caption.layout().addWidget(button)
    # --- end attention overlay toggle ---

    @property
    def showing_image(self) -> bool:
        return self.stack.currentWidget() is self.view

    def view_state(self) -> dict:
        """Where the user is in the images, JSON-safe: ``{"index": 0, "zoom": None, "center": None}``.
        ``zoom`` None means fitted to the pane, else the scale (1.0: one image pixel per screen
        pixel); ``center`` is the point in the middle of the view as fractions of the image's width
        and height (None when fitted)."""
        state: dict = {"index": max(self.index, 0), "zoom": None, "center": None}
        if self._pending_zoom is not None and self._pending_zoom[0] == self.index:  # restored, still loading
            return {**state, "zoom": self._pending_zoom[1], "center": self._pending_zoom[2]}
        size = self.view.item.pixmap().size()
        if self.showing_image and not self.view.fit_mode and not size.isEmpty():
            mid = self.view.mapToScene(self.view.viewport().rect().center())
            state["zoom"] = round(self.view.transform().m11(), 4)
            state["center"] = [round(mid.x() / size.width(), 4), round(mid.y() / size.height(), 4)]
        return state

    def restore_view_state(self, state: dict) -> None:
        """Go back to a ``view_state()``. Applies to the images shown now, or, when there are none
        (a project being opened), to the next ``set_images``; values that do not fit (an index past
        the record's images, a malformed entry) are ignored."""
        if not isinstance(state, dict):
            return
        if not self.paths:
            self._pending = state
            return
        i = self._clamp(state.get("index"))
        self._pending_zoom = (i, state.get("zoom"), state.get("center"))
        if i == self.index and self.showing_image:
            self._apply_pending_zoom()
        else:
            self.show_index(i)

    # ---------------------------------------------------------------- keys

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:  # noqa: N802
        # PgUp/PgDn anywhere in the pane step through the images; in the strip Left/Right/Home/End
        # do too (the list's own keys). In the image itself the arrows keep panning. "[" and "]"
        # step through the frames of a multi-frame DICOM (Ctrl+PgUp/PgDn already change the record).
        if e.type() == QEvent.Type.KeyPress and isinstance(e, QKeyEvent) and not e.modifiers():
            step = {Qt.Key.Key_PageDown: self.next_image, Qt.Key.Key_PageUp: self.previous_image,
                    Qt.Key.Key_BracketRight: self.next_frame, Qt.Key.Key_BracketLeft: self.previous_frame}
            if e.key() in step:
                step[e.key()]()
                return True
        return super().eventFilter(obj, e)

    # ---------------------------------------------------------------- loading

    def _loaded(self, token: int, i: int, result: Loaded) -> None:
        if token != self._token:
            return  # a result for a record no longer shown
        item = self.thumbs.item(i)
        if item is None:
            return
        item.setData(IMAGE_ROLE, result.image)
        item.setData(PRESETS_ROLE, result.presets)
        item.setData(DICOM_ROLE, result.dicom)
        item.setData(FRAMES_ROLE, (result.frame, result.frames))
        item.setData(Qt.ItemDataRole.DecorationRole, QPixmap.fromImage(result.thumb))
        if i == self.index:
            if self.frames > 1 and result.frame != self.frame:
                return  # a frame stepped past while this one was decoded: the newer one follows
            self.frame, self.frames = result.frame, result.frames
            self._show_frame_label()
            self._display(result.image, result.presets, result.dicom, keep_view=self.showing_image)

    def _failed(self, token: int, i: int, message: str) -> None:
        if token != self._token or not 0 <= i < len(self.paths):
            return
        # the loader names the stored file (its content hash); the user knows the original name
        message = message.replace(self.paths[i], self.names[i]).replace(Path(self.paths[i]).name, self.names[i])
        item = self.thumbs.item(i)
        if item is not None:
            item.setData(IMAGE_ROLE, message)
            item.setToolTip(message)
        if i == self.index:
            self._show_note(message)
            self.message.emit(message)

    def _display(self, image: QImage, presets: list, dicom: bool, keep_view: bool = False) -> None:
        self.stack.setCurrentWidget(self.view)
        self.view.set_image(image, keep_view)
        self.wl_bar.setVisible(dicom)
        self.view.windowing = dicom
        if dicom and not keep_view:
            self._fill_presets(presets)
        self._apply_pending_zoom()
        self.imageShown.emit(self.index, self.frame)

    def _apply_pending_zoom(self) -> None:
        if self._pending_zoom is None or self._pending_zoom[0] != self.index:
            return
        _, zoom, center = self._pending_zoom
        self._pending_zoom = None
        size = self.view.item.pixmap().size()
        if not isinstance(zoom, (int, float)) or isinstance(zoom, bool) or zoom <= 0:
            self.view.fit()
            return
        at = None
        if isinstance(center, (list, tuple)) and len(center) == 2 and all(isinstance(c, (int, float)) for c in center):
            at = QPointF(float(center[0]) * size.width(), float(center[1]) * size.height())
        self.view.set_zoom(float(zoom), at)

    def _clamp(self, index: object) -> int:
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(self.paths):
            return index
        return 0

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
        self.presets.insertSeparator(self.presets.count())
        names = {"Lung": tr("Lung"), "Mediastinum": tr("Mediastinum"), "Bone": tr("Bone"), "Brain": tr("Brain"),
                 "Abdomen": tr("Abdomen")}
        for c, w, name in STANDARD_WINDOWS:  # the usual radiology windows, W/L as radiologists say them
            self.presets.addItem(tr("{name} (W{w:g}/L{c:g})").format(name=names.get(name, name), w=w, c=c), (c, w))
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

    def _window_dragged(self, dx: float, dy: float) -> None:
        """Right-drag: right widens the window (less contrast), down raises the level (darker), as
        PACS viewers do. The step follows the width, so a drag feels the same on a CT in HU and on
        an X-ray in raw values; the spin boxes' timer coalesces the re-decodes."""
        step = max(self.width_.value() / 256.0, 1.0)
        self.width_.setValue(max(self.width_.minimum(), self.width_.value() + dx * step))
        self.center.setValue(self.center.value() + dy * step)

    def _apply_window(self) -> None:
        self._request_window((self.center.value(), self.width_.value()))

    def _request_window(self, window: tuple[float, float] | None) -> None:
        if 0 <= self.index < len(self.paths):
            self.loader.request(self._token, self.index, self.paths[self.index], window,
                                priority=len(self.paths) + 1, frame=self.frame if self.frames > 1 else None)
