"""The paper's full model from weights on disk: a Hugging Face BERT folder and a torchvision
ResNet-152 state dict, read without any network, trained through ``madpg train --pretrained DIR
--image-weights FILE`` and used to predict; and a clear message for every wrong folder or file."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import torch
from PIL import Image

from madpg_core.errors import MadpgError
from madpg_core.model.config import build_config
from madpg_core.model.image_encoder import build_backbone
from madpg_core.model.text_encoders import build_text_encoder

TEXTS = [
    ("患者因发热咳嗽三天入院。", [(3, 5, "Symptom"), (5, 7, "Symptom")]),
    ("胸片示右肺下叶感染，给予阿莫西林口服。", [(3, 7, "Organ"), (7, 9, "Disease"), (12, 16, "Treatment")]),
    ("胃癌术后复查，腹部无压痛。", [(0, 2, "Disease"), (7, 9, "Organ"), (10, 12, "Symptom")]),
    ("头痛伴恶心呕吐，头颅未见异常。", [(0, 2, "Symptom"), (3, 5, "Symptom"), (5, 7, "Symptom"), (8, 10, "Organ")]),
]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything here must come from disk: any connection attempt fails the test."""

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _write_bert(folder: Path, *, head: bool = False, safetensors: bool = True) -> Path:
    """A random 2-layer BERT in Hugging Face layout, with a vocab.txt of Chinese characters.

    ``head``: saved as BertForMaskedLM (keys under ``bert.`` plus ``cls.``), as the published
    chinese-roberta-wwm-ext is; ``safetensors=False`` writes pytorch_model.bin instead."""
    from transformers import BertConfig, BertForMaskedLM, BertModel

    folder.mkdir(parents=True)
    chars = sorted({c for t, _ in TEXTS for c in t} | set("。，"))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", "utf-8")
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=320)
    torch.manual_seed(1)
    model = BertForMaskedLM(cfg) if head else BertModel(cfg, add_pooling_layer=True)
    if safetensors:
        model.save_pretrained(str(folder))
    else:  # the older layout: a pickled state dict (transformers 5 writes only safetensors itself)
        model.config.save_pretrained(str(folder))
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    return folder


@pytest.fixture(scope="module")
def resnet152_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real torchvision ResNet-152 state dict (random weights, ~240 MB; ~2 s to build and save)."""
    import torchvision.models as tvm

    torch.manual_seed(2)
    path = tmp_path_factory.mktemp("resnet") / "resnet152.pth"
    torch.save(tvm.resnet152(weights=None).state_dict(), path)
    return path


def _corpus(folder: Path) -> Path:
    colours = ["red", "navy", "gray", "white"]
    lines = []
    for i, (text, spans) in enumerate(TEXTS * 2):
        img = folder / f"scan{i % 4}.png"
        if not img.exists():
            Image.new("RGB", (48, 40), colours[i % 4]).save(img)
        lines.append(json.dumps({"name": f"r{i}", "text": text, "images": [img.name],
                                 "spans": [{"start": s, "end": e, "label": t} for s, e, t in spans]},
                                ensure_ascii=False))
    path = folder / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_madpg_preset_trains_from_a_local_bert_folder_and_resnet152_file(
    tmp_path: Path, resnet152_file: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    from safetensors.torch import load_file

    from madpg_core.cli import main
    from madpg_core.inference.predictor import Predictor
    from madpg_core.formats import ImageRefs, read_records

    bert = _write_bert(tmp_path / "bert")
    data = tmp_path / "data"
    data.mkdir()
    corpus = _corpus(data)
    out = tmp_path / "model"
    rc = main(["train", "--preset", "madpg", "--train", str(corpus), "--dev", str(corpus), "--format", "jsonl",
               "--out", str(out), "--pretrained", str(bert), "--image-weights", str(resnet152_file),
               "--epochs", "1", "--batch-size", "4", "--device", "cpu"])
    assert rc == 0
    cfg = json.loads((out / "config.json").read_text("utf-8"))["config"]
    # the paper's full model: every part on, at full size where the folders do not decide it
    assert cfg["name"] == "madpg" and cfg["image_encoder"] == "resnet152" and cfg["image_size"] == 224
    assert all(cfg[k] for k in ("use_ema", "use_gate", "use_gcn", "use_bilstm", "use_crf"))
    assert cfg["gcn_layers"] == 2 and cfg["lstm_hidden"] == 256

    saved = {}
    for f in out.glob("*.safetensors"):
        saved.update(load_file(str(f)))
    # The frozen backbone in the checkpoint is the file's, not a random one (kept in float16 there).
    file_state = torch.load(resnet152_file, weights_only=True)
    conv = [k for k in saved if k.endswith("backbone.7.2.conv3.weight")]
    assert conv and torch.equal(saved[conv[0]].float(), file_state["layer4.2.conv3.weight"].half().float())
    # The encoder started from the folder's weights (a few steps at lr 1e-5 barely move them).
    from transformers import BertModel

    start = BertModel.from_pretrained(str(bert), local_files_only=True).embeddings.word_embeddings.weight
    word = [k for k in saved if k.endswith("embeddings.word_embeddings.weight")]
    assert word and torch.allclose(saved[word[0]], start, atol=1e-3)
    assert not torch.allclose(saved[word[0]], torch.zeros_like(start))

    predictor = Predictor.load(out, device="cpu")
    records, _ = read_records(corpus, "jsonl", images=ImageRefs(allow_outside=True))
    pred = predictor.predict(records)
    assert len(pred) == len(records)
    for r, spans in zip(records, pred):
        assert all(0 <= s.start < s.end <= len(r.text) for s in spans)
    assert "saved" in capsys.readouterr().out


def test_bin_file_with_an_mlm_head_loads_every_encoder_weight(tmp_path: Path) -> None:
    """chinese-roberta-wwm-ext's layout: pytorch_model.bin (read with weights_only), keys under
    ``bert.``, an MLM head beside them."""
    folder = _write_bert(tmp_path / "mlm", head=True, safetensors=False)
    assert (folder / "pytorch_model.bin").is_file() and not (folder / "model.safetensors").exists()
    enc = build_text_encoder(build_config("madpg", pretrained_path=str(folder)), None)
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    assert torch.equal(enc.bert.embeddings.word_embeddings.weight, state["bert.embeddings.word_embeddings.weight"])
    assert torch.equal(enc.bert.encoder.layer[1].output.dense.weight, state["bert.encoder.layer.1.output.dense.weight"])


def test_a_bin_file_holding_pickled_objects_is_refused_not_run(tmp_path: Path) -> None:
    """weights_only: a .bin that is more than tensors (here a pickled module) is never unpickled."""
    folder = _write_bert(tmp_path / "bert")
    (folder / "model.safetensors").unlink()
    torch.save(torch.nn.Linear(2, 2), folder / "pytorch_model.bin")
    with pytest.raises(MadpgError, match="pytorch_model.bin holds pickled objects.*save_pretrained"):
        build_text_encoder(build_config("madpg", pretrained_path=str(folder)), None)


@pytest.mark.parametrize(("remove", "message"), [
    (("model.safetensors",), "pytorch_model.bin or model.safetensors missing in"),
    (("vocab.txt", "tokenizer.json"), "vocab.txt .*missing in"),
    (("config.json",), "config.json missing in"),
])
def test_a_folder_missing_a_file_names_it(tmp_path: Path, remove: tuple[str, ...], message: str) -> None:
    folder = _write_bert(tmp_path / "bert")
    for name in remove:
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(MadpgError, match=message):
        build_text_encoder(build_config("madpg", pretrained_path=str(folder)), None)


def test_weights_that_do_not_match_the_config_are_refused_not_left_random(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    folder = _write_bert(tmp_path / "bert")
    state = load_file(str(folder / "model.safetensors"))
    save_file({"encoder." + k: v for k, v in state.items()}, str(folder / "model.safetensors"))
    with pytest.raises(MadpgError, match=r"lacks embeddings\..* has keys like encoder\.embeddings"):
        build_text_encoder(build_config("madpg", pretrained_path=str(folder)), None)


def test_weights_of_another_shape_than_config_json_are_named(tmp_path: Path) -> None:
    folder = _write_bert(tmp_path / "bert")
    cfg = json.loads((folder / "config.json").read_text("utf-8"))
    (folder / "config.json").write_text(json.dumps({**cfg, "intermediate_size": 48}), "utf-8")
    with pytest.raises(MadpgError, match=r"do not fit config\.json: encoder\.layer\.0\.intermediate\.dense\.\w+ has "
                                         r"another shape"):
        build_text_encoder(build_config("madpg", pretrained_path=str(folder)), None)


def test_a_resnet18_file_for_resnet152_names_the_missing_key_and_the_guess(tmp_path: Path) -> None:
    import torchvision.models as tvm

    path = tmp_path / "r18.pth"
    torch.save(tvm.resnet18(weights=None).state_dict(), path)
    with pytest.raises(MadpgError, match=r"lacks layer4\.2\.conv3\.weight .*ResNet-152\? \(the file looks like a resnet18\)"):
        build_backbone("resnet152", str(path))


def test_resnet_files_as_people_save_them(tmp_path: Path) -> None:
    """A DDP prefix, no classifier, no BatchNorm step counters (older published files), safetensors:
    all load; a pickled network is refused (loading it could run code) with the fix named."""
    import torchvision.models as tvm
    from safetensors.torch import save_file

    torch.manual_seed(3)
    state = tvm.resnet18(weights=None).state_dict()
    trimmed = {f"module.{k}": v for k, v in state.items() if not k.startswith("fc.") and "num_batches" not in k}
    torch.save(trimmed, tmp_path / "ddp.pth")
    body = build_backbone("resnet18", str(tmp_path / "ddp.pth"))
    assert torch.equal(body[0].weight, state["conv1.weight"])
    save_file({k: v.contiguous() for k, v in state.items()}, str(tmp_path / "r18.safetensors"))
    assert torch.equal(build_backbone("resnet18", str(tmp_path / "r18.safetensors"))[7][1].conv2.weight,
                       state["layer4.1.conv2.weight"])
    torch.save(tvm.resnet18(weights=None), tmp_path / "pickled.pth")
    with pytest.raises(MadpgError, match=r"pickled objects.*model\.state_dict\(\)"):
        build_backbone("resnet18", str(tmp_path / "pickled.pth"))
    bad = dict(state, **{"layer1.0.conv1.weight": torch.zeros(64, 64, 1, 1)})
    torch.save(bad, tmp_path / "shape.pth")
    with pytest.raises(MadpgError, match=r"layer1\.0\.conv1\.weight has shape \(64, 64, 1, 1\)"):
        build_backbone("resnet18", str(tmp_path / "shape.pth"))
    with pytest.raises(MadpgError, match="not found"):
        build_backbone("resnet18", str(tmp_path / "nothing.pth"))
