"""Image loading for the image pane, off the GUI thread, through ``madpg_core.vision.images``
(PNG/JPEG/DICOM to 8-bit; JPEG 2000 DICOM through the pylibjpeg-openjpeg plug-in)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from madpg_core.errors import MadpgError
from madpg_core.vision.images import dicom_window_presets, load_image
from madpg_core.vision.images import is_dicom as _is_dicom

Window = tuple[float, float]  # (center, width)


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


# ---------------------------------------------------------------- background loading


class _Signals(QObject):
    loaded = Signal(int, int, object, object)  # token, index, QImage, presets
    failed = Signal(int, int, str)  # token, index, message


class _LoadJob(QRunnable):
    def __init__(self, signals: _Signals, token: int, index: int, path: str, window: Window | None) -> None:
        super().__init__()
        self.signals, self.token, self.index, self.path, self.window = signals, token, index, path, window

    def run(self) -> None:
        try:
            image = to_qimage(load_image(self.path, self.window))
            presets = window_presets(self.path)
        except MadpgError as e:
            self.signals.failed.emit(self.token, self.index, str(e))
        except Exception as e:  # never let a worker thread die silently
            self.signals.failed.emit(self.token, self.index, f"{Path(self.path).name}: {e}")
        else:
            self.signals.loaded.emit(self.token, self.index, image, presets)


class ImageLoader(QObject):
    """Loads images on a small thread pool; results for an outdated token are dropped by the caller."""

    loaded = Signal(int, int, object, object)
    failed = Signal(int, int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # two shared cores: one image at a time, in order
        self._signals = _Signals(self)
        self._signals.loaded.connect(self.loaded)
        self._signals.failed.connect(self.failed)

    def request(self, token: int, index: int, path: str, window: Window | None = None) -> None:
        self.pool.start(_LoadJob(self._signals, token, index, path, window))

    def wait(self, ms: int = 5000) -> bool:
        return self.pool.waitForDone(ms)
