"""A tampered or damaged model folder fails with one MadpgError line that names the folder and the problem.

Each test copies a tiny saved model (bert-scratch with bigrams and a lexicon: every file a trained
madpg-lite folder has), breaks one thing and loads it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from madpg_core.checkpoint import (
    CONFIG,
    FORMAT_VERSION,
    LEXICON,
    VOCAB,
    WEIGHTS,
    load,
    read_info,
    save,
)
from madpg_core.domain import Record, Span
from madpg_core.errors import MadpgError
from madpg_core.model.build import new_model
from madpg_core.model.config import SCHEMA_VERSION, build_config, tiny
from madpg_core.model.testing import make_tiny_bert_folder
from madpg_core.model.text_encoders import TEXT_CONFIG, TOKENIZER_DIR

RECORDS = [
    Record("患者因发热咳嗽入院。", (Span(3, 5, "Symptom"), Span(5, 7, "Symptom"))),
    Record("肺部感染，给予阿莫西林口服治疗。", (Span(0, 4, "Disease"), Span(7, 11, "Drug"))),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = tiny(build_config("madpg-lite"), image_encoder="none")
    return save(new_model(cfg, RECORDS), tmp_path_factory.mktemp("pristine") / "v3", version="tiny-3")


@pytest.fixture
def folder(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "models" / "v3"))


def _damaged(folder: Path, *words: str, loader: Callable[[Path], Any] = load) -> str:
    with pytest.raises(MadpgError) as caught:
        loader(folder)
    msg = str(caught.value)
    assert msg.startswith(f"model folder {folder} "), msg
    assert "\n" not in msg and "Traceback" not in msg
    for w in words:
        assert w in msg, msg
    return msg


def _edit_json(folder: Path, name: str, edit: Callable[[Any], Any]) -> None:
    path = folder / name
    doc = json.loads(path.read_text("utf-8"))
    edit(doc)  # in place; what it returns (a popped value) is ignored
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def _edit_config(folder: Path, **fields: Any) -> None:
    _edit_json(folder, CONFIG, lambda d: d["config"].update(fields))


def _edit_weights(folder: Path, edit: Callable[[dict[str, torch.Tensor]], None]) -> None:
    state = load_file(str(folder / WEIGHTS))
    edit(state)
    save_file(state, str(folder / WEIGHTS), metadata={"format": "madpg-checkpoint"})


# --- still loads -----------------------------------------------------------------------------


def test_the_undamaged_copy_loads(folder: Path) -> None:
    assert load(folder).version == "tiny-3"


def test_a_folder_from_before_format_version_still_loads(folder: Path) -> None:
    _edit_json(folder, CONFIG, lambda d: d.pop("format_version"))
    assert load(folder).version == "tiny-3"


# --- weights ---------------------------------------------------------------------------------


def test_a_weight_with_an_edited_shape(folder: Path) -> None:
    shape = list(load_file(str(folder / WEIGHTS))["classifier.weight"].shape)

    def grow(state: dict[str, torch.Tensor]) -> None:
        state["classifier.weight"] = torch.zeros(shape[0] + 2, shape[1])

    _edit_weights(folder, grow)
    _damaged(folder, f"weight 'classifier.weight' has shape {[shape[0] + 2, shape[1]]}, the config expects {shape}",
             "retrain or roll back")


def test_a_config_edited_so_that_shapes_no_longer_match(folder: Path) -> None:
    _edit_config(folder, lstm_hidden=12)
    _damaged(folder, "weight 'bilstm.", "has shape", "the config expects")


def test_labels_edited_in_the_config(folder: Path) -> None:
    _edit_json(folder, CONFIG, lambda d: d["config"]["entity_types"].append("Organ"))
    _damaged(folder, "has shape", "the config expects")


def test_a_missing_weights_file(folder: Path) -> None:
    (folder / WEIGHTS).unlink()
    _damaged(folder, f"{WEIGHTS} is missing")


def test_a_truncated_weights_file(folder: Path) -> None:
    data = (folder / WEIGHTS).read_bytes()
    (folder / WEIGHTS).write_bytes(data[: len(data) // 2])
    _damaged(folder, f"cannot read {WEIGHTS}")


def test_a_garbage_weights_file(folder: Path) -> None:
    (folder / WEIGHTS).write_bytes(b"\x80\x04not a safetensors file at all" * 10)
    _damaged(folder, f"cannot read {WEIGHTS}")


def test_weights_missing_from_the_state_dict(folder: Path) -> None:
    _edit_weights(folder, lambda s: s.pop("classifier.bias"))
    _damaged(folder, "lacks the weights 'classifier.bias'")


def test_unexpected_weights_in_the_state_dict(folder: Path) -> None:
    _edit_weights(folder, lambda s: s.update({"extra.weight": torch.zeros(2, 2)}))
    _damaged(folder, "'extra.weight' that the config does not expect")


# --- config.json -----------------------------------------------------------------------------


def test_config_json_not_valid_json(folder: Path) -> None:
    (folder / CONFIG).write_text('{"format": "madpg-checkpoint", ', "utf-8")
    _damaged(folder, f"{CONFIG} is not valid JSON")


def test_config_json_not_utf8(folder: Path) -> None:
    (folder / CONFIG).write_bytes(b'{"format": "\xff\xfe"}')
    _damaged(folder, f"{CONFIG} is not UTF-8")


def test_config_json_not_an_object(folder: Path) -> None:
    (folder / CONFIG).write_text("[1, 2]", "utf-8")
    _damaged(folder, f"{CONFIG} is not a JSON object")


@pytest.mark.parametrize("loader", [load, read_info], ids=["load", "read_info"])
def test_config_json_without_its_config(folder: Path, loader: Callable[[Path], Any]) -> None:
    _edit_json(folder, CONFIG, lambda d: d.pop("config"))
    _damaged(folder, 'has no "config" object', loader=loader)


def test_config_json_without_a_format_is_not_a_model_folder(folder: Path) -> None:
    _edit_json(folder, CONFIG, lambda d: d.pop("format"))
    _damaged(folder, "is not a MADPG model folder")


def test_config_without_its_entity_types(folder: Path) -> None:
    _edit_json(folder, CONFIG, lambda d: d["config"].pop("entity_types"))
    _damaged(folder, "lacks the config fields entity_types")


@pytest.mark.parametrize("field,value", [
    ("hidden_size", "16"), ("lstm_hidden", 8.5), ("use_crf", "yes"), ("num_layers", True),
    ("text_encoder", "gpt-9"), ("entity_types", "Drug"), ("entity_types", [1, 2]), ("dropout", None),
])
def test_config_fields_of_the_wrong_type(folder: Path, field: str, value: Any) -> None:
    _edit_config(folder, **{field: value})
    _damaged(folder, f"config field {field} = ")


def test_unknown_config_fields(folder: Path) -> None:
    _edit_config(folder, colour="blue")
    _damaged(folder, "config fields this program does not know: colour")


def test_a_config_the_architecture_refuses(folder: Path) -> None:
    _edit_config(folder, encoder_dropout=1.5)
    _damaged(folder, "encoder_dropout")


def test_format_version_not_a_number(folder: Path) -> None:
    _edit_json(folder, CONFIG, lambda d: d.update(format_version="two"))
    _damaged(folder, "format_version 'two'")


def test_a_newer_checkpoint_format(folder: Path) -> None:
    _edit_json(folder, CONFIG, lambda d: d.update(format_version=FORMAT_VERSION + 1))
    _damaged(folder, "written by a newer MADPG Annotator", f"checkpoint format {FORMAT_VERSION + 1}")


def test_a_newer_config_schema(folder: Path) -> None:
    _edit_config(folder, schema_version=SCHEMA_VERSION + 1)
    _damaged(folder, "written by a newer MADPG Annotator", f"model config schema {SCHEMA_VERSION + 1}")


def test_a_folder_without_config_json(folder: Path) -> None:
    (folder / CONFIG).unlink()
    _damaged(folder, f"is not a MADPG model folder (it has no {CONFIG})")


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    _damaged(tmp_path / "models" / "v9", "does not exist")


# --- vocabulary, text encoder, lexicon ---------------------------------------------------------


def test_a_missing_vocab(folder: Path) -> None:
    (folder / VOCAB).unlink()
    _damaged(folder, f"{VOCAB} is missing")


@pytest.mark.parametrize("text", ['{"chars": [', '{"chars": ["[PAD]"]}', '{"chars": [1, 2], "bigrams": []}', "[]"])
def test_a_malformed_vocab(folder: Path, text: str) -> None:
    (folder / VOCAB).write_text(text, "utf-8")
    _damaged(folder, VOCAB)


def test_a_vocab_without_its_special_tokens(folder: Path) -> None:
    _edit_json(folder, VOCAB, lambda d: d["chars"].pop(0))
    _damaged(folder, "does not start with [PAD]")


def test_a_vocab_that_does_not_fit_the_character_table(folder: Path) -> None:
    _edit_json(folder, VOCAB, lambda d: d["chars"].append("龘"))
    _damaged(folder, f"{VOCAB} has", "characters, the model's character table")


def test_a_missing_text_config(folder: Path) -> None:
    (folder / TEXT_CONFIG).unlink()
    _damaged(folder, f"{TEXT_CONFIG} is missing")


def test_a_text_config_the_encoder_cannot_be_built_from(folder: Path) -> None:
    _edit_json(folder, TEXT_CONFIG, lambda d: d.update(num_attention_heads=3))
    _damaged(folder, "cannot rebuild the model from its files")


def test_a_missing_lexicon(folder: Path) -> None:
    (folder / LEXICON).unlink()
    _damaged(folder, f"{LEXICON} is missing")


@pytest.mark.parametrize("text", ["not json", '{"types": "Drug", "counts": {}}', '{"types": ["Drug"], "counts": {"头孢": 3}}',
                                  '{"types": ["Drug"], "counts": {"头孢": {"Drug": "3"}}}'])
def test_a_malformed_lexicon(folder: Path, text: str) -> None:
    (folder / LEXICON).write_text(text, "utf-8")
    _damaged(folder, LEXICON)


def test_lexicon_types_edited(folder: Path) -> None:
    _edit_json(folder, LEXICON, lambda d: d["types"].append("Organ"))
    _damaged(folder, "has shape", "the config expects")


def test_a_pretrained_encoder_without_its_tokenizer(tmp_path: Path) -> None:
    bert = make_tiny_bert_folder(tmp_path / "bert", "".join(r.text for r in RECORDS))
    cfg = tiny(build_config("bert-crf", pretrained_path=str(bert)))
    folder = save(new_model(cfg, RECORDS), tmp_path / "models" / "v1")
    shutil.rmtree(folder / TOKENIZER_DIR)
    _damaged(folder, f"the {TOKENIZER_DIR} folder is missing")
