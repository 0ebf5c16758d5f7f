"""The image path carries information through the gate: entity type decided by the image alone."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from madpg_core.domain import Record, Span
from madpg_core.model.config import build_config, tiny
from madpg_core.train.loop import fit

BODY = "肺胃肝肾心脑"
FILLER = "患者因不适入院检查发现异常影阴查体可见"


def _images(folder: Path) -> list[str]:
    """Two images that differ in colour and structure: red horizontal vs blue vertical stripes."""
    paths = []
    for k in range(2):
        a = np.zeros((64, 64, 3), dtype=np.uint8)
        for i in range(0, 64, 16):
            if k == 0:
                a[i : i + 8, :, 0] = 255
            else:
                a[:, i : i + 8, 2] = 255
        p = folder / f"stripes{k}.png"
        Image.fromarray(a).save(p)
        paths.append(str(p))
    return paths


def _toy(images: list[str], n: int, seed: int) -> list[Record]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pre = "".join(rng.choice(FILLER) for _ in range(rng.randint(2, 6)))
        ent = rng.choice(BODY) + "部"
        post = "".join(rng.choice(FILLER) for _ in range(rng.randint(2, 6)))
        k = rng.randint(0, 1)
        text = pre + ent + post + "。"
        out.append(Record(text, (Span(len(pre), len(pre) + 2, ["Organ", "Lesion"][k]),), (images[k],)))
    return out


def _train_f1(tmp_path: Path, image_encoder: str) -> float:
    images = _images(tmp_path)
    # No bigrams: with random filler they would let a small model memorise each training record.
    # No lexicon: every "X部" is a mention of both types, so it only adds noise to this image-path test.
    cfg = tiny(build_config("madpg-lite"), image_encoder=image_encoder, use_gcn=False, use_bigrams=False,
               use_lexicon=False,
               # light dropout: the preset's regularisation is for 60 CPU-min runs, not a toy run
               dropout=0.1, encoder_dropout=0.1,
               # 30 epochs: with the preset's embedding skip the BiLSTM first learns "X部" from the
               # characters, and the type from the image only later (15 epochs: 0.58 dev F1, 30: 1.0)
               hidden_size=32, num_heads=2, lstm_hidden=16, head_lr=5e-3, epochs=30,
               batch_size=8, image_size=64)
    res = fit(cfg, _toy(images, 160, 1), _toy(images, 40, 2))
    return res.best_dev_f1


def test_images_decide_the_type_only_through_the_image_path(tmp_path: Path) -> None:
    with_images = _train_f1(tmp_path, "resnet18")
    without = _train_f1(tmp_path, "none")
    assert with_images >= 0.95
    assert without <= 0.75  # the type is a coin flip from the text alone


@pytest.mark.parametrize("use_gate", [True])
def test_gate_relevance_is_recorded(tmp_path: Path, use_gate: bool) -> None:
    from madpg_core.model.build import new_model
    from madpg_core.featurize import collate, make_pieces
    from madpg_core.vision.feature_cache import FeatureCache

    images = _images(tmp_path)
    data = _toy(images, 4, 3)
    cfg = tiny(build_config("madpg-lite"), use_gcn=False, use_gate=use_gate, min_bigram_count=1)
    model = new_model(cfg, data)
    pieces = make_pieces(data, model.text, cfg.max_len)
    model.emissions(collate(pieces, FeatureCache(model.image, cfg.image_size, tmp_path / "cache").get))
    assert model.last_relevance is not None and model.last_relevance.shape == (4,)
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 2  # one cached map per image
