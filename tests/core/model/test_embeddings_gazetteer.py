"""Pre-trained char/bigram embeddings and gazetteers: built, loaded, copied into a model, carried by
its checkpoint; bad combinations refused with a message that names the fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from madpg_core.checkpoint import load, save
from madpg_core.cli import main
from madpg_core.domain import Record, Span
from madpg_core.errors import MadpgError
from madpg_core.model.build import new_model
from madpg_core.model.config import build_config, tiny
from madpg_core.model.embeddings import CharEmbeddings, train_embeddings
from madpg_core.model.lexicon import Lexicon

CORPUS = ["患者发热三天，咳嗽两天。", "给予阿莫西林口服治疗。", "胸片示右肺阴影。", "患者咳嗽，无发热。"] * 20


def _records() -> list[Record]:
    return [Record("患者发热三天。", (Span(2, 4, "Symptom"),)), Record("给予青霉素。", (Span(2, 5, "Drug"),))]


@pytest.fixture(scope="module")
def emb_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("emb") / "e"
    train_embeddings(CORPUS, dim=16, epochs=2, min_bigram_count=1).save(folder)
    return folder


def test_training_is_reproducible_and_round_trips(emb_folder: Path) -> None:
    again = train_embeddings(CORPUS, dim=16, epochs=2, min_bigram_count=1)
    back = CharEmbeddings.load(emb_folder)
    assert back.chars == again.chars and back.bigrams == again.bigrams
    assert np.allclose(back.char_vectors, again.char_vectors, atol=1e-3)  # stored in float16
    assert "阿" in back.chars and "阿莫" in back.bigrams and back.dim == 16


def test_model_starts_from_the_vectors_and_its_checkpoint_needs_no_folder(emb_folder: Path, tmp_path: Path) -> None:
    cfg = tiny(build_config("madpg-lite", image_encoder="none", use_gcn=False), hidden_size=16,
               char_embeddings=str(emb_folder))
    model = new_model(cfg, _records())
    vocab = model.text.vocab
    assert "阿" in vocab.chars  # only in the embeddings' corpus, not in the training records
    emb = CharEmbeddings.load(emb_folder)
    table = model.text.bert.get_input_embeddings().weight.detach()
    a = table[vocab.chars.index("阿")]
    b = torch.from_numpy(emb.char_vectors[emb.chars.index("阿")])
    assert torch.cosine_similarity(a, b, dim=0) > 0.999  # the same direction, rescaled
    save(model, tmp_path / "m")
    moved = tmp_path / "elsewhere"
    shutil.move(str(emb_folder), moved)
    try:
        back = load(tmp_path / "m")
        assert torch.equal(back.text.bert.get_input_embeddings().weight, table)
    finally:
        shutil.move(str(moved), emb_folder)


def test_width_mismatch_and_missing_folder_are_clear(emb_folder: Path) -> None:
    cfg = tiny(build_config("madpg-lite", image_encoder="none", use_gcn=False), hidden_size=32,
               char_embeddings=str(emb_folder))
    with pytest.raises(MadpgError, match="16 dimensions but the model's table has 32"):
        new_model(cfg, _records())
    with pytest.raises(MadpgError, match="no embeddings folder"):
        new_model(tiny(build_config("madpg-lite"), char_embeddings="/nonexistent/e"), _records())


def test_gazetteer_adds_its_own_channels() -> None:
    gaz = Lexicon.build([Record("阿莫西林胶囊", (Span(0, 4, "dru"),))], ["dru"], prefix="other:")
    lex = Lexicon.build(_records(), ("Symptom", "Drug"), extra=gaz)
    assert lex.types == ("Symptom", "Drug", "other:dru") and lex.width == 12
    f = lex.features("给予阿莫西林。")
    assert f[2, 8] == 1 and f[5, 10] == 1 and f[:, :8].sum() == 0  # B and E of other:dru only
    with pytest.raises(MadpgError, match="clash"):
        Lexicon.build(_records(), ("Symptom", "dru"), extra=Lexicon(("dru",), {}))
    with pytest.raises(MadpgError, match="needs use_lexicon"):
        build_config("madpg-lite", use_lexicon=False, gazetteer="cmeee")


def test_cli_builds_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "c.jsonl"
    data.write_text("\n".join(json.dumps({"text": t, "spans": [{"start": 2, "end": 4, "label": "sym"}]},
                                         ensure_ascii=False) for t in CORPUS[:8]), "utf-8")
    assert main(["gazetteer", str(tmp_path / "g.json"), "--input", "jsonl", str(data), "--prefix", "x:"]) == 0
    assert Lexicon.load(tmp_path / "g.json").types == ("x:sym",)
    assert main(["embeddings", str(tmp_path / "e"), "--input", "jsonl", str(data), "--dim", "8", "--epochs", "1",
                 "--min-bigram-count", "1"]) == 0
    assert CharEmbeddings.load(tmp_path / "e").dim == 8
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes("患者发热".encode("gb18030"))
    assert main(["embeddings", str(tmp_path / "e2"), "--input", "jsonl", str(bad)]) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_frozen_bigrams_keep_their_vectors_through_training_and_checkpoint(emb_folder: Path, tmp_path: Path) -> None:
    from safetensors import safe_open

    from madpg_core.train.loop import fit, seed_everything

    cfg = tiny(build_config("madpg-lite", image_encoder="none", use_gcn=False), hidden_size=16,
               char_embeddings=str(emb_folder), freeze_bigrams=True, encoder_dropout=0.3, epochs=2)
    records = _records() * 4
    seed_everything(cfg.seed)  # as fit() does before building its model
    start = new_model(cfg, records).text.bigram.weight.detach().clone()
    model = fit(cfg, records, records[:2], out_dir=tmp_path / "m").model
    assert model.text.bert.config.hidden_dropout_prob == 0.3
    assert not model.text.bigram.weight.requires_grad
    assert torch.equal(model.text.bigram.weight, start)  # same seed, same start, never updated
    chars = model.text.bert.get_input_embeddings().weight
    assert chars.requires_grad  # only the bigram table is frozen
    with safe_open(str(tmp_path / "m" / "model.safetensors"), "pt") as f:
        assert f.get_tensor("text.bigram.weight").dtype == torch.float16  # frozen: stored in half
        assert f.get_tensor("text.bert.embeddings.word_embeddings.weight").dtype == torch.float32
    back = load(tmp_path / "m")
    assert not back.text.bigram.weight.requires_grad
    assert torch.allclose(back.text.bigram.weight, start, atol=1e-3)


def test_freezing_random_bigrams_is_refused() -> None:
    with pytest.raises(MadpgError, match="freeze_bigrams keeps pre-trained bigram vectors"):
        build_config("madpg-lite", char_embeddings=None, freeze_bigrams=True)
    with pytest.raises(MadpgError, match="encoder_dropout"):
        build_config("madpg-lite", encoder_dropout=1.0)
