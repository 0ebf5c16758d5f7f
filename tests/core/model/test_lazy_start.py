"""Start-up cost (issue 21 item 3): the default model loads without transformers' BERT and builds
its image backbone only for a record with images, with the same outputs as before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from madpg_core import checkpoint
from madpg_core.domain import Record
from madpg_core.featurize import collate, make_pieces
from madpg_core.inference.predictor import Predictor
from madpg_core.model import image_encoder
from madpg_core.model.testing import ChainParser
from madpg_core.model.text_encoders import TEXT_CONFIG, SmallBert
from madpg_core.paths import default_model_dir

TEXTS = ["患者右肺上叶见结节，考虑肺癌，行胸腔镜下肺叶切除术。", "头痛三天，伴恶心呕吐。", "胃癌术后复查。"]


@pytest.fixture(scope="module")
def bundled() -> checkpoint.MADPG:
    return checkpoint.load(default_model_dir())


def test_bundled_bert_matches_transformers(bundled) -> None:
    from transformers import BertConfig, BertModel

    assert isinstance(bundled.text.bert, SmallBert)
    saved = json.loads((default_model_dir() / TEXT_CONFIG).read_text("utf-8"))
    saved.pop("model_type", None)
    ref = BertModel(BertConfig(**saved), add_pooling_layer=False).eval()
    ref.load_state_dict(bundled.text.bert.state_dict(), strict=True)
    pieces = make_pieces([Record(t) for t in TEXTS], bundled.text, bundled.cfg.max_len, parser=ChainParser())
    batch = collate(pieces, None)
    with torch.no_grad():
        emb = bundled.text.embed(batch.input_ids, batch.bigram_ids)
        ours = bundled.text(emb, batch.attention_mask)
        theirs = ref(inputs_embeds=emb, attention_mask=batch.attention_mask,
                     position_ids=torch.arange(emb.shape[1]).expand(emb.shape[:2])).last_hidden_state
        valid = batch.attention_mask.bool()
        assert torch.allclose(ours[valid], theirs[valid], atol=1e-6, rtol=0)
        # and with visual tokens (type 1, positions 0..48), as in the fusion pass
        v = torch.randn(emb.shape[0], 49, emb.shape[2])
        vm = torch.tensor([True, False, True])
        mine = bundled._fuse(emb, batch.attention_mask, v, vm)
        bundled.text.bert, keep = ref, bundled.text.bert
        try:
            other = bundled._fuse(emb, batch.attention_mask, v, vm)
        finally:
            bundled.text.bert = keep
        assert torch.allclose(mine, other, atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", ["resnet18", "resnet50", "resnet152"])
def test_backbone_shapes_match_torchvision(kind: str) -> None:
    real = {k: tuple(v.shape) for k, v in image_encoder.build_backbone(kind).state_dict().items()}
    assert list(image_encoder.backbone_shapes(kind).items()) == list(real.items())


def _image(folder: Path) -> str:
    a = np.zeros((64, 64, 3), dtype=np.uint8)
    a[::8, :, 0] = 255
    a[:, ::16, 2] = 200
    path = folder / "scan.png"
    Image.fromarray(a).save(path)
    return str(path)


def test_text_only_prelabel_never_builds_the_image_backbone(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    real = image_encoder.build_backbone
    monkeypatch.setattr(image_encoder, "build_backbone", lambda *a, **k: built.append(a) or real(*a, **k))
    predictor = Predictor(checkpoint.load(default_model_dir()), parser=ChainParser(), device="cpu")
    spans = predictor.predict([Record(t) for t in TEXTS])
    assert any(spans)
    assert built == [] and not predictor.model.image.built
    # saving it unbuilt keeps the backbone's weights
    state = predictor.model.state_dict()
    assert state["image.backbone.0.weight"].shape == (64, 3, 7, 7)


def test_a_record_with_an_image_builds_it_once_and_predicts_as_eager_loading(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    image = _image(tmp_path)
    records = [Record(TEXTS[0], (), (image,)), Record(TEXTS[1])]
    lazy = Predictor(checkpoint.load(default_model_dir()), parser=ChainParser(), device="cpu")
    eager_model = checkpoint.load(default_model_dir())
    saved = load_file(str(default_model_dir() / checkpoint.WEIGHTS))
    body = image_encoder.build_backbone(eager_model.cfg.image_encoder)
    body.load_state_dict({k.removeprefix("image.backbone."): v.float() if v.is_floating_point() else v
                          for k, v in saved.items() if k.startswith("image.backbone.")})
    eager_model.image.backbone = body
    eager = Predictor(eager_model, parser=ChainParser(), device="cpu")
    assert lazy.features.__self__.fingerprint == eager.features.__self__.fingerprint  # FeatureCache.get
    assert not lazy.model.image.built
    got, conf = lazy.predict_with_confidence(records)
    assert lazy.model.image.built
    want, want_conf = eager.predict_with_confidence(records)
    assert [[(s.start, s.end, s.label) for s in r] for r in got] == [[(s.start, s.end, s.label) for s in r]
                                                                     for r in want]
    assert conf == pytest.approx(want_conf, abs=1e-6)
    for k, v in eager_model.image.backbone.state_dict().items():
        assert torch.equal(lazy.model.image.backbone.state_dict()[k], v), k
