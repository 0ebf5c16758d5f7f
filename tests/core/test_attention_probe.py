"""The attention probe on tiny real models: r in [0, 1], 49 weights that sum to 1 and are the
probabilities the encoder really used, and words instead of a map where there is nothing to show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from madpg_core.domain import Record
from madpg_core.featurize import collate, make_pieces
from madpg_core.inference.predictor import Predictor
from madpg_core.model import attention_probe
from madpg_core.model.attention_probe import (
    CELLS,
    AttentionMap,
    image_path_untrained,
    probe,
)
from madpg_core.model.build import new_model
from madpg_core.model.config import build_config, tiny
from madpg_core.model.madpg import MADPG
from tests.attention_models import TEXT, TYPES, records_with, tiny_image_model

torch.set_num_threads(1)  # tiny tensors, a shared machine

REPO = Path(__file__).resolve().parents[2]


def _image(folder: Path, name: str, seed: int) -> str:
    rng = np.random.default_rng(seed)
    a = (rng.random((48, 80, 3)) * 255).astype(np.uint8)
    a[10:20, 30:50, :] = 255
    p = folder / name
    Image.fromarray(a).save(p)
    return str(p)


def _model(images: tuple[str, ...], *, train_steps: int = 2, **over: object) -> MADPG:
    return tiny_image_model(images, train_steps=train_steps, **over)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    d = tmp_path_factory.mktemp("imgs")
    return (_image(d, "a.png", 1), _image(d, "b.png", 2))


@pytest.fixture(scope="module")
def trained(images: tuple[str, ...]) -> MADPG:
    return _model(images)


def test_r_and_weights_for_each_image(trained: MADPG, images: tuple[str, ...]) -> None:
    pred = Predictor(trained, device="cpu")
    out = pred.attention(Record(TEXT, (), images))
    assert out.available, out.reason
    assert [im.index for im in out.images] == [0, 1]
    for im in out.images:
        assert im.available
        assert im.r is not None and 0.0 <= im.r <= 1.0
        assert len(im.r_pieces) == 1 and im.r == pytest.approx(im.r_pieces[0], abs=1e-6)
        assert len(im.weights) == CELLS and sum(im.weights) == pytest.approx(1.0, abs=1e-4)
        assert all(w >= 0 for w in im.weights)
        assert 0.0 < im.visual_share < 1.0  # some, not all, of the text's attention is on the image
        assert len(im.gate_mask) == CELLS  # R = r·W + d
        w, d = trained.gate.weight.flatten(), trained.gate.bias.flatten()
        assert im.gate_mask == pytest.approx((im.r * w + d).tolist(), abs=1e-4)
    assert out.images[0].weights != out.images[1].weights  # the map depends on the image
    assert out.combined_r is not None and 0.0 <= out.combined_r <= 1.0  # both images averaged, as predicted
    assert (out.layers, out.heads) == (1, 2)
    # the answer survives the trip through JSON to the window
    again = AttentionMap.from_dict(out.as_dict())
    assert again == out


def test_the_probabilities_are_the_ones_the_encoder_used(trained: MADPG, images: tuple[str, ...]) -> None:
    """Recomputed probabilities times the values reproduce the self-attention's own output."""
    from madpg_core.vision.feature_cache import FeatureCache

    feats = FeatureCache(trained.image, trained.cfg.image_size).get([images[0]])
    pieces = make_pieces([Record(TEXT, (), images[:1])], trained.text, trained.cfg.max_len)
    batch = collate(pieces, lambda _p: feats)
    mods = attention_probe._attention_modules(trained)
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    h = mods[0].register_forward_hook(lambda m, a, out: seen.append((a[0], out)))
    try:
        with torch.no_grad():
            trained.encode(batch)
    finally:
        h.remove()
    x, out = seen[-1]  # the second fusion pass
    n = batch.input_ids.shape[1]
    assert x.shape[1] == n + CELLS
    mask = torch.ones(1, n + CELLS, dtype=torch.bool)
    p = attention_probe._probabilities(mods[0], x, mask)
    v = mods[0].value(x).view(1, n + CELLS, 2, -1).transpose(1, 2)
    again = (p @ v).transpose(1, 2).reshape(1, n + CELLS, -1)
    assert torch.allclose(again, out, atol=1e-5)


def test_a_text_only_model_says_so(images: tuple[str, ...]) -> None:
    model = _model(images, image_encoder="none", use_gate=False, use_ema=False)
    out = probe(model, Record(TEXT, (), images), lambda _p: None)
    assert not out.available and not out.images
    assert "no image path" in out.reason and "text alone" in out.reason


def test_a_model_never_trained_on_images_says_so(images: tuple[str, ...]) -> None:
    model = _model(images, train_steps=0)
    assert image_path_untrained(model) is True
    out = Predictor(model, device="cpu").attention(Record(TEXT, (), images))
    assert not out.available
    assert "trained without images" in out.reason


def test_the_bundled_model_is_recognised_as_trained_without_images() -> None:
    """MODEL_CARD.md: its image path was never trained on real pairs. The probe sees it from the weights."""
    from madpg_core.checkpoint import load
    from madpg_core.registry import default_model_dir

    bundled = load(default_model_dir())
    assert image_path_untrained(bundled) is True
    why = attention_probe.unavailable_reason(bundled, Record(TEXT, (), ("any.png",)))
    assert why.startswith("The active model (madpg-lite) was trained without images")


def test_a_record_without_images(trained: MADPG) -> None:
    out = Predictor(trained, device="cpu").attention(Record(TEXT))
    assert not out.available and out.reason == "This record has no images."


def test_a_preset_without_the_gate_shows_attention_without_r(images: tuple[str, ...]) -> None:
    model = _model(images, use_gate=False)
    assert model.gate is None and image_path_untrained(model) is False  # the EMA's GroupNorm moved
    out = Predictor(model, device="cpu").attention(Record(TEXT, (), images[:1]))
    assert out.available
    (im,) = out.images
    assert im.r is None and not im.gate_mask and len(im.weights) == CELLS
    assert "no relation gate" in out.note
    assert out.combined_r is None


def test_an_unreadable_image_is_said_per_image(trained: MADPG, images: tuple[str, ...], tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    out = Predictor(trained, device="cpu").attention(Record(TEXT, (), (images[0], str(bad))))
    assert out.images[0].available
    assert not out.images[1].available and "could not be read" in out.images[1].reason


def test_a_long_record_reports_r_per_piece(trained: MADPG, images: tuple[str, ...]) -> None:
    long = "。".join([TEXT] * 12)  # piece_chars 128: several pieces
    out = Predictor(trained, device="cpu").attention(Record(long, (), images[:1]))
    (im,) = out.images
    assert len(im.r_pieces) > 1
    assert im.r == pytest.approx(sum(im.r_pieces) / len(im.r_pieces), abs=1e-5)
    assert sum(im.weights) == pytest.approx(1.0, abs=1e-4)


def test_malformed_answers_are_refused() -> None:
    from madpg_core.errors import MadpgError

    with pytest.raises(MadpgError):
        AttentionMap.from_dict({"images": [{"index": 0, "weights": [0.5, 0.5]}]})
    with pytest.raises(MadpgError):
        AttentionMap.from_dict([1, 2])


def test_the_window_can_read_answers_without_torch() -> None:
    code = ("import sys; from madpg_core.model.attention_probe import AttentionMap; "
            "AttentionMap.from_dict({'reason': 'x'}); assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


def test_a_transformers_bert_fusion_too(images: tuple[str, ...], tmp_path: Path) -> None:
    """RpBERT with a (tiny, random) pretrained folder: transformers' BertSelfAttention, whose
    probabilities the probe recomputes the same way."""
    from madpg_core.model.testing import make_tiny_bert_folder

    folder = make_tiny_bert_folder(tmp_path / "bert", TEXT + "心影增大，双肺纹理增多。")
    cfg = tiny(build_config("rpbert", pretrained_path=str(folder)), image_size=32, entity_types=TYPES)
    rp = new_model(cfg, records_with(images))
    with torch.no_grad():
        rp.gate.weight.add_(0.1)  # as if trained on images (the probe refuses an untouched gate)
    mods = attention_probe._attention_modules(rp)
    assert type(mods[0]).__name__ == "BertSelfAttention"
    feats = Predictor(rp, device="cpu").features
    seen: list[tuple[torch.Tensor, object]] = []
    h = mods[0].register_forward_hook(lambda m, a, out: seen.append((a[0], out)))
    try:
        out = probe(rp, Record(TEXT, (), images[:1]), feats)
    finally:
        h.remove()
    (im,) = out.images
    assert im.r is not None and 0 <= im.r <= 1 and sum(im.weights) == pytest.approx(1.0, abs=1e-4)
    x, res = seen[-1]
    res = res[0] if isinstance(res, tuple) else res
    n = x.shape[1]
    p = attention_probe._probabilities(mods[0], x, torch.ones(1, n, dtype=torch.bool))
    v = mods[0].value(x).view(1, n, 2, -1).transpose(1, 2)
    assert torch.allclose((p @ v).transpose(1, 2).reshape(1, n, -1), res, atol=1e-5)
