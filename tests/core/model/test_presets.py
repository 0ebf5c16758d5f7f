"""Every preset builds on a tiny config and runs forward and backward on CPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from madpg_core.domain import Record
from madpg_core.errors import MadpgError
from madpg_core.model.build import new_model
from madpg_core.model.config import ABLATIONS, PRESETS, ModelConfig, build_config, preset_table, tiny
from madpg_core.model.testing import ChainParser
from madpg_core.featurize import collate, make_pieces
from madpg_core.vision.feature_cache import FeatureCache

PAPER_ROWS = ("cnn-crf", "bilstm-crf", "bert-crf", "roberta-crf", "bert-bilstm-crf", "roberta-bilstm-crf",
              "rpbert", "ema-rproberta", "dpgcn-rproberta", "rproberta-dpgcn", "madpg")


def test_presets_cover_tables_3_and_4() -> None:
    for name in PAPER_ROWS + ("madpg-lite",):
        assert name in PRESETS
    assert len(ABLATIONS) == 8  # full + the seven rows of Table 4
    for k in ABLATIONS:
        if k != "full":
            assert "madpg-" + k.replace("_", "-") in PRESETS
    assert {r["preset"] for r in preset_table()} == set(PRESETS)


def test_pretrained_preset_without_path_fails_clearly() -> None:
    with pytest.raises(MadpgError, match="pretrained"):
        build_config("madpg")


def test_config_round_trips_and_rejects_unknown_fields() -> None:
    cfg = build_config("madpg-lite", entity_types=("A", "B"))
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(MadpgError):
        ModelConfig.from_dict({**cfg.to_dict(), "use_gcnn": True})
    with pytest.raises(MadpgError):
        build_config("madpg-lite", image_encoder="vgg")


@pytest.fixture
def imaged(records: list[Record], tmp_path: Path) -> list[Record]:
    paths = []
    for i, color in enumerate(["red", "blue"]):
        p = tmp_path / f"img{i}.png"
        Image.new("RGB", (40, 30), color).save(p)
        paths.append(str(p))
    # one record with two images, one with one, one without: all three cases in one batch
    return [records[0].__class__(r.text, r.spans, tuple(paths[: 2 - i])) for i, r in enumerate(records)]


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_forward_backward(name: str, imaged: list[Record], bert_folder: Path) -> None:
    torch.manual_seed(0)
    extra = {"pretrained_path": str(bert_folder)} if PRESETS[name].get("text_encoder") == "pretrained" else {}
    cfg = tiny(build_config(name, **extra), min_bigram_count=1)
    model = new_model(cfg, imaged)
    tag_index = {t: i for i, t in enumerate(model.tags)}
    parser = ChainParser() if cfg.use_gcn else None
    pieces = make_pieces(imaged, model.text, cfg.max_len, tag_index=tag_index, parser=parser)
    feats = FeatureCache(model.image, cfg.image_size).get if model.image is not None else None
    batch = collate(pieces, feats)
    model.train()
    em = model.emissions(batch)
    assert em.shape == (3, max(len(r.text) for r in imaged), len(model.tags))
    loss = model.loss(batch)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert torch.isfinite(loss) and any(g is not None and g.abs().sum() > 0 for g in grads)
    if model.gate is not None:
        assert model.gate.weight.grad is not None
    model.eval()
    paths, conf = model.decode(batch)
    assert [len(p) for p in paths] == [len(r.text) for r in imaged]
    assert all(0.0 <= c <= 1.0 + 1e-5 for row in conf for c in row)


def test_large_backbones_build_with_2048_channels() -> None:
    from madpg_core.model.image_encoder import build_backbone

    for kind in ("resnet50", "resnet152"):
        assert build_backbone(kind)(torch.randn(1, 3, 32, 32)).shape == (1, 2048, 7, 7)


def test_embedding_skip_reaches_the_bilstm_around_the_encoder(records: list[Record]) -> None:
    torch.manual_seed(0)
    cfg = tiny(build_config("madpg-lite", embedding_skip=True, image_encoder="none", use_ema=False,
                            use_gate=False, use_gcn=False), min_bigram_count=1)
    model = new_model(cfg, records).eval()
    assert model.bilstm is not None and model.lexicon is not None
    assert model.bilstm.input_size == 2 * model.text.hidden_size + model.lexicon.width
    pieces = make_pieces(records, model.text, cfg.max_len, tag_index={t: i for i, t in enumerate(model.tags)})
    batch = collate(pieces, None)
    # With the encoder silenced, only the skip carries the characters to the BiLSTM.
    model.text.forward = lambda embeds, mask, **_: torch.zeros_like(embeds)  # type: ignore[method-assign]
    before = model.emissions(batch)
    with torch.no_grad():
        model.text.bert.get_input_embeddings().weight.add_(1.0)
    assert not torch.allclose(before, model.emissions(batch))
    with pytest.raises(MadpgError, match="embedding_skip"):
        build_config("bilstm-crf", embedding_skip=True)
