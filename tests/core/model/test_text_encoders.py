"""Text encoders: the pretrained-folder path (tiny random BERT/RoBERTa), alignment, vocabularies."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from madpg_core.checkpoint import load, save
from madpg_core.domain import Record
from madpg_core.errors import MadpgError
from madpg_core.model.build import new_model
from madpg_core.model.config import build_config, tiny
from madpg_core.model.testing import make_tiny_bert_folder
from madpg_core.model.vocab import Vocab
from madpg_core.featurize import collate, make_pieces



def test_pretrained_folder_loads_and_aligns_merged_tokens(bert_folder: Path, records: list[Record]) -> None:
    cfg = tiny(build_config("bert-crf", pretrained_path=str(bert_folder)))
    model = new_model(cfg, records)
    assert model.text.pretrained
    text = "胃癌abc 12。"
    enc = model.text.tokenize(text)
    c2t = enc.char_to_token
    assert c2t[0] == 1  # [CLS] is token 0
    assert c2t[2] == c2t[3] == c2t[4]  # "abc" is one word piece ([UNK]) for this vocabulary
    assert c2t[5] == -1  # the space belongs to no token
    assert c2t[6] == c2t[7]  # "12" is one word piece
    batch = collate(make_pieces([text], model.text, cfg.max_len))
    assert model.emissions(batch).shape[1] == len(text)  # one tag per character


def test_roberta_architecture_gets_a_visual_token_type(tmp_path: Path, records: list[Record]) -> None:
    folder = make_tiny_bert_folder(tmp_path / "rob", "".join(r.text for r in records), model_type="roberta")
    cfg = tiny(build_config("rpbert", pretrained_path=str(folder)))
    model = new_model(cfg, records)
    assert model.text.bert.embeddings.token_type_embeddings.num_embeddings == 2
    save(model, tmp_path / "ckpt")
    again = load(tmp_path / "ckpt")  # loads without the original folder
    assert type(again.text.bert).__name__ == "RobertaModel"


def test_missing_pretrained_folder_is_a_clear_error(tmp_path: Path, records: list[Record]) -> None:
    cfg = build_config("bert-crf", pretrained_path=str(tmp_path / "nothing"))
    with pytest.raises(MadpgError, match="no pretrained model folder"):
        new_model(cfg, records)


def test_pretrained_checkpoint_is_self_contained(bert_folder: Path, records: list[Record], tmp_path: Path) -> None:
    import shutil

    copy = shutil.copytree(bert_folder, tmp_path / "bert")
    model = new_model(tiny(build_config("bert-bilstm-crf", pretrained_path=str(copy))), records).eval()
    save(model, tmp_path / "m")
    shutil.rmtree(copy)
    again = load(tmp_path / "m")
    batch = collate(make_pieces(records, model.text, 256))
    assert torch.equal(model.emissions(batch), again.emissions(batch))


def test_vocab_round_trip_and_unknowns(tmp_path: Path) -> None:
    v = Vocab.build(["甲乙甲乙", "乙丙"], min_char_count=1, min_bigram_count=2)
    assert v.char_ids("丁")[0] == 1  # [UNK]
    assert v.bigram_ids("甲乙")[0] > 3 and v.bigram_ids("乙丙")[0] == 1
    v.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json").chars == v.chars
