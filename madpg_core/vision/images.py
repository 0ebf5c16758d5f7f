"""Load PNG/JPEG/DICOM into an 8-bit RGB PIL image, with an optional DICOM window/level."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from madpg_core.errors import MadpgError

DICOM_SUFFIXES = (".dcm", ".dicom")

# Common CT windows (centre, width) in Hounsfield units, offered for every CT series.
CT_PRESETS = (("Lung", -600.0, 1500.0), ("Mediastinum", 40.0, 400.0), ("Abdomen", 40.0, 350.0),
              ("Bone", 400.0, 1800.0), ("Brain", 40.0, 80.0))


@dataclass(frozen=True)
class WindowPreset:
    name: str
    center: float
    width: float


def is_dicom(path: Path) -> bool:
    """By suffix, else by the 'DICM' magic at byte 128."""
    if path.suffix.lower() in DICOM_SUFFIXES:
        return True
    try:
        with path.open("rb") as f:
            f.seek(128)
            return f.read(4) == b"DICM"
    except OSError:
        return False


def load_image(path: str | Path, window: tuple[float, float] | None = None) -> Image.Image:
    """An 8-bit RGB image of ``path``.

    Args:
        path: PNG, JPEG (anything Pillow reads) or DICOM (JPEG 2000 too).
        window: DICOM (centre, width) in modality units; default: the file's own window,
            else the 1st–99th percentile. Ignored for non-DICOM images.

    Raises:
        MadpgError: missing, unreadable or corrupt file (the message names it).
    """
    p = Path(path)
    if not p.is_file():
        raise MadpgError(f"image not found: {p}")
    if is_dicom(p):
        return _load_dicom(p, window)
    try:
        with Image.open(p) as im:
            im.load()
            return _to_rgb8(im)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise MadpgError(f"cannot read image {p}: {e}") from e


def _to_rgb8(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return Image.fromarray(_window(np.asarray(im, dtype=np.float64), None)).convert("RGB")
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (0, 0, 0, 255))
        return Image.alpha_composite(bg, im).convert("RGB")
    return im.convert("RGB")


def _read_dicom(p: Path):  # noqa: ANN202 - pydicom Dataset
    import pydicom

    try:
        return pydicom.dcmread(str(p))
    except Exception as e:  # noqa: BLE001 - pydicom raises many kinds for a bad file
        raise MadpgError(f"cannot read DICOM {p}: {e}") from e


def _load_dicom(p: Path, window: tuple[float, float] | None) -> Image.Image:
    from pydicom.pixels import apply_modality_lut

    ds = _read_dicom(p)
    try:
        arr = ds.pixel_array
    except Exception as e:  # noqa: BLE001 - missing decoder, truncated pixel data...
        raise MadpgError(f"cannot decode the pixels of DICOM {p}: {e}") from e
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames > 1:
        arr = arr[frames // 2]  # a multi-frame series shows its middle frame
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2"))
    if arr.ndim == 3 and arr.shape[-1] == 3:
        if photometric.startswith("YBR"):
            from pydicom.pixels import convert_color_space

            arr = convert_color_space(arr, photometric, "RGB")
        return Image.fromarray(_window(arr.astype(np.float64), None) if arr.dtype != np.uint8 else arr).convert("RGB")
    values = np.asarray(apply_modality_lut(arr, ds), dtype=np.float64)
    if window is None:
        presets = _file_windows(ds)
        window = (presets[0].center, presets[0].width) if presets else None
    out = _window(values, window)
    if photometric == "MONOCHROME1":
        out = 255 - out  # MONOCHROME1 shows low values bright
    return Image.fromarray(out).convert("RGB")


def _window(values: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    """Map values to 0..255 through (centre, width), or the 1–99 percentile range."""
    if window is None:
        lo, hi = np.percentile(values, [1, 99]) if values.size else (0.0, 1.0)
    else:
        c, w = window
        lo, hi = c - w / 2, c + w / 2
    if hi <= lo:
        hi = lo + 1.0
    scaled = (values - lo) / (hi - lo) * 255.0
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _file_windows(ds) -> list[WindowPreset]:  # noqa: ANN001 - pydicom Dataset
    centers = _as_list(getattr(ds, "WindowCenter", None))
    widths = _as_list(getattr(ds, "WindowWidth", None))
    names = _as_list(getattr(ds, "WindowCenterWidthExplanation", None))
    out = []
    for i, (c, w) in enumerate(zip(centers, widths)):
        if float(w) > 0:
            name = str(names[i]) if i < len(names) else f"File window {i + 1}"
            out.append(WindowPreset(name, float(c), float(w)))
    return out


def _as_list(v: object) -> list:
    if v is None:
        return []
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        return list(v)  # type: ignore[arg-type]
    return [v]


def dicom_window_presets(path: str | Path) -> list[WindowPreset]:
    """Windows to offer for a DICOM file: its own, then the standard CT ones for CT.

    Returns an empty list for a non-DICOM image. Raises MadpgError for an unreadable DICOM.
    """
    p = Path(path)
    if not is_dicom(p):
        return []
    ds = _read_dicom(p)
    out = _file_windows(ds)
    if str(getattr(ds, "Modality", "")) == "CT":
        out += [WindowPreset(n, c, w) for n, c, w in CT_PRESETS]
    return out
