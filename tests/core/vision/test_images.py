"""Image loading (PNG/JPEG/DICOM incl. JPEG 2000) and the per-image feature cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from madpg_core.errors import MadpgError
from madpg_core.vision.images import dicom_window_presets, load_image


def test_png_rgba_and_16bit_become_rgb8(tmp_path: Path) -> None:
    Image.new("RGBA", (5, 4), (255, 0, 0, 128)).save(tmp_path / "a.png")
    Image.fromarray(np.arange(20, dtype=np.uint16).reshape(4, 5) * 1000).save(tmp_path / "b.png")
    Image.new("L", (5, 4), 7).save(tmp_path / "c.jpg")
    for name in ("a.png", "b.png", "c.jpg"):
        im = load_image(tmp_path / name)
        assert im.mode == "RGB" and im.size == (5, 4)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_corrupt_and_missing_files_raise_madpg_error(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (tmp_path / "bad.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00" * 10)
    for name in ("bad.png", "bad.dcm", "missing.png"):
        with pytest.raises(MadpgError):
            load_image(tmp_path / name)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "RG1_J2KI.dcm"])
def test_dicom_loads_as_rgb8(shared_data: Path, name: str) -> None:
    im = load_image(shared_data / "images" / "dicom" / name)
    arr = np.asarray(im)
    assert im.mode == "RGB" and arr.dtype == np.uint8 and arr.std() > 5  # an image, not a flat field


def test_ct_window_presets_change_the_rendering(shared_data: Path) -> None:
    path = shared_data / "images" / "dicom" / "CT_small.dcm"
    presets = dicom_window_presets(path)
    names = [p.name for p in presets]
    assert "Lung" in names and "Bone" in names
    lung = next(p for p in presets if p.name == "Lung")
    bone = next(p for p in presets if p.name == "Bone")
    a = np.asarray(load_image(path, (lung.center, lung.width)))
    b = np.asarray(load_image(path, (bone.center, bone.width)))
    assert not np.array_equal(a, b)


def test_window_presets_of_a_png_are_empty(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "x.png")
    assert dicom_window_presets(tmp_path / "x.png") == []


def test_feature_cache_is_keyed_by_content_and_survives_restart(tmp_path: Path) -> None:
    from madpg_core.model.image_encoder import ImageEncoder
    from madpg_core.vision.feature_cache import FeatureCache

    torch.manual_seed(0)
    enc = ImageEncoder("resnet18", 8, use_ema=True)
    Image.new("RGB", (32, 32), "red").save(tmp_path / "a.png")
    Image.new("RGB", (32, 32), "red").save(tmp_path / "copy.png")
    Image.new("RGB", (32, 32), "blue").save(tmp_path / "b.png")
    cache = FeatureCache(enc, 32, tmp_path / "cache")
    fa = cache.get([str(tmp_path / "a.png")])
    assert fa is not None and fa.shape == (512, 7, 7)
    cache.get([str(tmp_path / "copy.png"), str(tmp_path / "b.png")])
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 2  # same content, one file
    again = FeatureCache(enc, 32, tmp_path / "cache")
    assert torch.equal(again.get([str(tmp_path / "a.png")]), fa)
    assert cache.get([]) is None
