"""Warm start: new types, new characters and removed types change only what they must."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from madpg_core.checkpoint import load, save
from madpg_core.domain import Record, Span
from madpg_core.errors import MadpgError
from madpg_core.featurize import collate, make_pieces
from madpg_core.model.config import build_config, tiny
from madpg_core.model.madpg import MADPG
from madpg_core.model.testing import ChainParser
from madpg_core.train.loop import fit
from madpg_core.train.warm_start import warm_model


def _records() -> list[Record]:
    out = []
    for i in range(8):
        text = f"患者胸痛{i}天，左肺可闻及啰音。"
        out.append(Record(text, (Span(2, 4, "Symptom"), Span(text.index("左肺"), text.index("左肺") + 2, "Organ"))))
    return out


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = tiny(build_config("madpg-lite"), image_encoder="none", epochs=2, min_bigram_count=1, use_lexicon=True)
    out = tmp_path_factory.mktemp("base")
    fit(cfg, _records(), [], parser=ChainParser(), out_dir=out, version="base", device="cpu")
    return out


def _emissions(model: MADPG, text: str, tags: list[str]) -> torch.Tensor:
    """Emissions of ``tags`` on ``text`` (a text without lexicon hits, so only the weights differ)."""
    pieces = make_pieces([text], model.text, model.cfg.max_len, piece_chars=model.cfg.piece_chars,
                         parser=ChainParser(), lexicon=model.lexicon)
    model.eval()
    with torch.no_grad():
        em = model.emissions(collate(pieces, None))[0]
    return em[:, [model.tags.index(t) for t in tags]]


def test_new_type_gets_tags_and_old_ones_keep_their_weights(base_dir: Path) -> None:
    base = load(base_dir)
    model, report = warm_model(base_dir, ["Symptom", "Organ", "Disease"], _records())
    assert report.added_types == ("Disease",) and report.removed_types == ()
    assert model.tags[-2:] == ("B-Disease", "I-Disease") and len(model.tags) == len(base.tags) + 2
    kept = list(base.tags)
    assert torch.allclose(_emissions(model, "平素体健", kept), _emissions(base, "平素体健", kept), atol=1e-5)
    crf_old, crf_new = base.crf.crf, model.crf.crf
    i_new = [model.tags.index(t) for t in kept]
    assert torch.equal(crf_new.transitions[i_new][:, i_new], crf_old.transitions)
    b_dis = model.tags.index("B-Disease")
    assert torch.all(crf_new.transitions[b_dis] == 0) and crf_new.start_transitions[b_dis] == 0
    # the lexicon has a Disease channel now, and the BiLSTM a zero column block for it
    assert model.lexicon.types == (*base.cfg.entity_types, "Disease")
    assert model.bilstm.input_size == base.bilstm.input_size + 4
    assert torch.all(model.bilstm.weight_ih_l0[:, -4:] == 0)


def test_new_characters_get_rows_that_start_as_unk(base_dir: Path) -> None:
    base = load(base_dir)
    text = "龘齉天"
    assert base.text.vocab.char_ids(text)[:2] == [1, 1]  # unknown to the base model
    model, report = warm_model(base_dir, ["Symptom", "Organ"], [*_records(), Record(text)])
    assert report.new_chars == 2
    ids = model.text.vocab.char_ids(text)
    assert ids[0] != 1 and ids[1] != 1
    table = model.text.bert.get_input_embeddings().weight
    assert torch.equal(table[ids[0]], table[1]) and table.shape[0] == len(model.text.vocab.chars)
    tags = list(base.tags)
    assert torch.allclose(_emissions(model, text, tags), _emissions(base, text, tags), atol=1e-5)


def test_removed_type_is_gone_everywhere(base_dir: Path) -> None:
    base = load(base_dir)
    model, report = warm_model(base_dir, ["Symptom"], _records())
    assert report.removed_types == ("Organ",)
    assert model.tags == ("O", "B-Symptom", "I-Symptom")
    assert "Organ" not in model.lexicon.types and model.bilstm.input_size == base.bilstm.input_size - 4
    assert not any("Organ" in hit for hit in model.lexicon.counts.values())
    keep = [base.tags.index(t) for t in model.tags]
    assert torch.equal(model.classifier.weight.detach(), base.classifier.weight.detach()[keep])
    assert torch.equal(model.crf.crf.transitions.detach(), base.crf.crf.transitions.detach()[keep][:, keep])


def test_a_warm_model_trains_saves_and_loads(base_dir: Path, tmp_path: Path) -> None:
    records = [*_records(), Record("糖尿病龘", (Span(0, 3, "Disease"),))]
    model, _ = warm_model(base_dir, ["Symptom", "Organ", "Disease"], records, epochs=2)
    res = fit(model.cfg, records, [], parser=ChainParser(), initial=model, device="cpu")
    save(res.model, tmp_path / "warm", version="v1")
    again = load(tmp_path / "warm")
    assert again.tags == model.tags and len(again.text.vocab.chars) == len(model.text.vocab.chars)
    assert res.best_dev_f1 == 0.0 and res.history[-1]["dev_f1"] is None  # no dev: the last epoch is kept


def test_architecture_changes_are_refused(base_dir: Path) -> None:
    with pytest.raises(MadpgError, match="from scratch"):
        warm_model(base_dir, ["Symptom"], _records(), hidden_size=64)
