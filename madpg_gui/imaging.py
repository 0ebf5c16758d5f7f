"""Image loading for the image pane, off the GUI thread, through ``madpg_core.vision.images``
(PNG/JPEG/DICOM to 8-bit; JPEG 2000 DICOM through the pylibjpeg-openjpeg plug-in). Each result
carries its thumbnail, scaled in the worker, so the GUI thread only wraps pixels it is given."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage

from madpg_core.errors import MadpgError
from madpg_core.vision.images import dicom_window_presets, load_image
from madpg_core.vision.images import is_dicom as _is_dicom

Window = tuple[float, float]  # (center, width)
THUMB = 72  # thumbnail side in pixels (the strip's icon size)


def is_dicom(path: str | Path) -> bool:
    return _is_dicom(Path(path))


def window_presets(path: str | Path) -> list[tuple[float, float, str]]:
    """The file's own windows (and the standard CT ones for CT), as (center, width, name)."""
    return [(p.center, p.width, p.name) for p in dicom_window_presets(path)]


def to_qimage(im: Image.Image) -> QImage:
    if im.mode == "L":
        data = im.tobytes()
        q = QImage(data, im.width, im.height, im.width, QImage.Format.Format_Grayscale8)
    else:
        im = im.convert("RGB")
        data = im.tobytes()
        q = QImage(data, im.width, im.height, im.width * 3, QImage.Format.Format_RGB888)
    return q.copy()  # own the pixels: ``data`` dies with this frame


@dataclass(frozen=True)
class Loaded:
    """One decoded image, ready for the GUI thread (QImage, unlike QPixmap, may cross threads)."""

    image: QImage
    thumb: QImage  # at most THUMB × THUMB, aspect kept
    presets: list[tuple[float, float, str]] = field(default_factory=list)
    dicom: bool = False


# ---------------------------------------------------------------- background loading


class _Signals(QObject):
    loaded = Signal(int, int, object)  # token, index, Loaded
    failed = Signal(int, int, str)  # token, index, message


class _LoadJob(QRunnable):
    def __init__(self, loader: ImageLoader, seq: int, token: int, index: int, path: str,
                 window: Window | None) -> None:
        super().__init__()
        self.loader, self.seq, self.token, self.index, self.path, self.window = loader, seq, token, index, path, window
        self.signals, self.thumb_size = loader._signals, loader.thumb_size

    def run(self) -> None:
        # A request superseded while it waited (another record shown, a newer window asked for)
        # is skipped here, before the decode: browsing records must not queue seconds of stale work.
        if not self.loader._wanted(self.seq, self.token, self.index):
            return
        try:
            image = to_qimage(load_image(self.path, self.window))
            dicom = is_dicom(self.path)
            presets = window_presets(self.path) if dicom else []
            thumb = image.scaled(self.thumb_size, self.thumb_size, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        except MadpgError as e:
            self.signals.failed.emit(self.token, self.index, str(e))
        except Exception as e:  # noqa: BLE001 - never let a worker thread die silently
            self.signals.failed.emit(self.token, self.index, f"{Path(self.path).name}: {e}")
        else:
            self.signals.loaded.emit(self.token, self.index, Loaded(image, thumb, presets, dicom))


class _WarmUp(QRunnable):
    """Imports pydicom and its pixel decoders in the background once per process: done on the first
    DICOM instead, the import (0.2–0.7 s, more while the GUI thread is busy) is added to the wait
    for that image."""

    def run(self) -> None:
        try:
            import pydicom.pixel_data_handlers.pylibjpeg_handler  # noqa: F401
            import pydicom.pixels  # noqa: F401
        except Exception:  # noqa: BLE001, S110 - a missing plug-in shows later, on the image that needs it
            pass


class ImageLoader(QObject):
    """Loads images on one worker thread. ``request`` returns at once; ``loaded`` or ``failed``
    follows for requests that are still wanted: those of the latest ``begin`` token, the newest
    request per image. The caller still checks the token of each result (a job may be running
    while it changes)."""

    loaded = Signal(int, int, object)  # token, index, Loaded
    failed = Signal(int, int, str)

    def __init__(self, parent: QObject | None = None, thumb_size: int = THUMB) -> None:
        super().__init__(parent)
        self.thumb_size = thumb_size
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # two shared cores: one image at a time
        self._signals = _Signals(self)
        self._signals.loaded.connect(self.loaded)
        self._signals.failed.connect(self.failed)
        self._token = 0
        self._seq = 0
        self._newest: dict[int, int] = {}  # image index → seq of its newest request, for the current token
        if "pydicom.pixels" not in sys.modules:
            self.pool.start(_WarmUp(), -1)

    def begin(self, token: int) -> None:
        """Results for older tokens are no longer wanted: drop their queued jobs."""
        self._token = token
        self._newest = {}
        self.pool.clear()

    def request(self, token: int, index: int, path: str, window: Window | None = None, *,
                priority: int = 0) -> None:
        """Decode ``path`` (with a DICOM ``window``); a higher ``priority`` runs sooner."""
        self._seq += 1
        if token == self._token:
            self._newest[index] = self._seq
        self.pool.start(_LoadJob(self, self._seq, token, index, path, window), priority)

    def _wanted(self, seq: int, token: int, index: int) -> bool:
        # read from the worker thread: plain attribute reads, atomic under the GIL
        return token == self._token and self._newest.get(index, seq) == seq

    def wait(self, ms: int = 5000) -> bool:
        return self.pool.waitForDone(ms)
