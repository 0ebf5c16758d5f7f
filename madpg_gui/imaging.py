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
from madpg_core.vision.images import CT_PRESETS, dicom_window_presets, load_image
from madpg_core.vision.images import is_dicom as _is_dicom

Window = tuple[float, float]  # (center, width)
THUMB = 72  # thumbnail side in pixels (the strip's icon size)


def is_dicom(path: str | Path) -> bool:
    return _is_dicom(Path(path))


# The usual radiology windows, (centre, width, name), offered for every DICOM beside the file's own
# (an X-ray in raw values gets little from them, but a CT or a file without windows does). Values
# from Radiopaedia, "Windowing (CT)" (radiopaedia.org/articles/windowing-ct): lungs W1500/L-600,
# mediastinum W350/L50, bone W2000/L300, brain W80/L40, abdomen soft tissue W400/L50.
STANDARD_WINDOWS: tuple[tuple[float, float, str], ...] = (
    (-600.0, 1500.0, "Lung"), (50.0, 350.0, "Mediastinum"), (300.0, 2000.0, "Bone"),
    (40.0, 80.0, "Brain"), (50.0, 400.0, "Abdomen"))


def window_presets(path: str | Path) -> list[tuple[float, float, str]]:
    """The file's own windows, as (center, width, name); the pane adds ``STANDARD_WINDOWS`` after
    them (the core's own CT list is left out here, so no window is offered twice)."""
    return [(p.center, p.width, p.name) for p in dicom_window_presets(path)
            if (p.name, p.center, p.width) not in CT_PRESETS]


def frame_count(path: str | Path) -> int:
    """How many frames a DICOM holds (1 for any other image), from its header alone."""
    if not is_dicom(path):
        return 1
    import pydicom

    try:
        ds = pydicom.dcmread(str(path), stop_before_pixels=True)
        return max(int(getattr(ds, "NumberOfFrames", 1) or 1), 1)
    except Exception:  # noqa: BLE001 - the full load that follows says what is wrong with the file
        return 1


def load_frame(path: str | Path, window: Window | None, frame: int) -> Image.Image:
    """Frame ``frame`` of a multi-frame DICOM, windowed as ``load_image`` does a single frame.
    (The core's ``load_image`` shows a series' middle frame only; a ``frame`` argument there would
    make this function unnecessary.)"""
    from pydicom.pixels import apply_modality_lut

    from madpg_core.vision.images import _file_windows, _read_dicom, _window

    ds = _read_dicom(Path(path))
    try:
        arr = ds.pixel_array
    except Exception as e:  # noqa: BLE001 - missing decoder, truncated pixel data...
        raise MadpgError(f"cannot decode the pixels of DICOM {path}: {e}") from e
    if arr.ndim >= 3 and int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
        arr = arr[min(max(frame, 0), arr.shape[0] - 1)]
    if arr.ndim == 3:  # colour frames: as the core shows them, without a window
        return load_image(path, window)
    values = apply_modality_lut(arr, ds).astype("float64")
    if window is None:
        own = _file_windows(ds)
        window = (own[0].center, own[0].width) if own else None
    out = _window(values, window)
    if str(getattr(ds, "PhotometricInterpretation", "")) == "MONOCHROME1":
        out = 255 - out
    return Image.fromarray(out).convert("RGB")


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
    frames: int = 1  # a multi-frame DICOM's frame count
    frame: int = 0  # the frame shown


# ---------------------------------------------------------------- background loading


class _Signals(QObject):
    loaded = Signal(int, int, object)  # token, index, Loaded
    failed = Signal(int, int, str)  # token, index, message


class _LoadJob(QRunnable):
    def __init__(self, loader: ImageLoader, seq: int, token: int, index: int, path: str,
                 window: Window | None, frame: int | None = None) -> None:
        super().__init__()
        self.loader, self.seq, self.token, self.index, self.path, self.window = loader, seq, token, index, path, window
        self.frame = frame  # None: a series' middle frame, as the core shows it
        self.signals, self.thumb_size = loader._signals, loader.thumb_size

    def run(self) -> None:
        # A request superseded while it waited (another record shown, a newer window asked for)
        # is skipped here, before the decode: browsing records must not queue seconds of stale work.
        if not self.loader._wanted(self.seq, self.token, self.index):
            return
        try:
            dicom = is_dicom(self.path)
            frames = frame_count(self.path) if dicom else 1
            frame = frames // 2 if self.frame is None else min(max(self.frame, 0), frames - 1)
            pixels = load_frame(self.path, self.window, frame) if frames > 1 else load_image(self.path, self.window)
            image = to_qimage(pixels)
            presets = window_presets(self.path) if dicom else []
            thumb = image.scaled(self.thumb_size, self.thumb_size, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        except MadpgError as e:
            self.signals.failed.emit(self.token, self.index, str(e))
        except Exception as e:  # noqa: BLE001 - never let a worker thread die silently
            self.signals.failed.emit(self.token, self.index, f"{Path(self.path).name}: {e}")
        else:
            self.signals.loaded.emit(self.token, self.index, Loaded(image, thumb, presets, dicom, frames, frame))


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
                priority: int = 0, frame: int | None = None) -> None:
        """Decode ``path`` (with a DICOM ``window``, frame ``frame`` of a multi-frame one: None, its
        middle frame); a higher ``priority`` runs sooner."""
        self._seq += 1
        if token == self._token:
            self._newest[index] = self._seq
        self.pool.start(_LoadJob(self, self._seq, token, index, path, window, frame), priority)

    def _wanted(self, seq: int, token: int, index: int) -> bool:
        # read from the worker thread: plain attribute reads, atomic under the GIL
        return token == self._token and self._newest.get(index, seq) == seq

    def wait(self, ms: int = 5000) -> bool:
        return self.pool.waitForDone(ms)
