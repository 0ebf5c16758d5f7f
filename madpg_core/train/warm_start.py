"""Warm start: a model to fine-tune, made from a trained checkpoint and a project's data.

What the project has and the checkpoint lacks is added, what the checkpoint knows and the project
dropped is removed, and everything else keeps its trained weights:
- characters the vocabulary lacks get new embedding rows, started as a copy of the [UNK] row, so
  the model's first predictions on them are exactly what they were (they read as [UNK] before);
- entity types the project has and the model lacks get new B-/I- tags: their classifier rows start
  as the mean of the existing B- (I-) rows, their CRF transitions at 0 (neutral), the old ones kept;
- types the project dropped lose their tags, classifier rows, CRF entries and lexicon channels;
- the lexicon keeps the checkpoint's mentions of the kept types (what the base model knew) and
  adds the new records' mentions; the BiLSTM's input columns follow the lexicon's channels.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from madpg_core.domain import Record
from madpg_core.errors import MadpgError
from madpg_core.model.lexicon import POSITIONS, Lexicon, own_mentions
from madpg_core.model.madpg import MADPG
from madpg_core.model.text_encoders import BertEncoder, CharEncoder
from madpg_core.model.vocab import UNK, Vocab

log = logging.getLogger(__name__)

# Parts whose shape follows the tag set or the lexicon: remapped by name, never copied blindly
# (one type removed and one added leaves the shapes equal and the meaning changed).
_TAG_KEYS = ("classifier.weight", "classifier.bias", "crf.crf.start_transitions", "crf.crf.end_transitions",
             "crf.crf.transitions")
_LSTM_INPUT_KEYS = ("bilstm.weight_ih_l0", "bilstm.weight_ih_l0_reverse")


@dataclass(frozen=True)
class WarmReport:
    base_version: str
    new_chars: int
    added_types: tuple[str, ...]
    removed_types: tuple[str, ...]

    def summary(self) -> str:
        parts = [f"fine-tuning {self.base_version}"]
        if self.added_types:
            parts.append("new types " + ", ".join(self.added_types))
        if self.removed_types:
            parts.append("removed types " + ", ".join(self.removed_types))
        if self.new_chars:
            parts.append(f"{self.new_chars} new characters")
        return "; ".join(parts)


def warm_model(base_dir: Path, entity_types: Sequence[str], records: Sequence[Record],
               **overrides: Any) -> tuple[MADPG, WarmReport]:
    """The checkpoint in ``base_dir`` adapted to ``entity_types`` and ``records``, ready to train.

    ``overrides`` are config fields for this run (seed, epochs, learning rate ...); fields that
    change the architecture are refused.
    """
    from madpg_core.checkpoint import load

    base = load(base_dir)
    old_cfg = base.cfg
    frozen = {"text_encoder", "hidden_size", "num_layers", "num_heads", "intermediate_size", "use_bigrams",
              "use_lexicon", "use_bilstm", "use_crf", "use_gcn", "image_encoder", "embedding_skip", "lstm_hidden"}
    bad = frozen & {k for k, v in overrides.items() if getattr(old_cfg, k) != v}
    if bad:
        raise MadpgError(f"a warm start keeps the architecture of {base.version}; {', '.join(sorted(bad))} "
                         "can only change when training from scratch")
    wanted = list(dict.fromkeys(entity_types))
    if not wanted:
        raise MadpgError("the project has no entity types to train")
    kept = [t for t in old_cfg.entity_types if t in wanted]
    added = tuple(t for t in wanted if t not in old_cfg.entity_types)
    removed = tuple(t for t in old_cfg.entity_types if t not in wanted)
    cfg = replace(old_cfg, entity_types=tuple(kept) + added, **overrides)
    new_chars = _grow_vocab(base, records, cfg.min_char_count)
    lexicon = _adapt_lexicon(base.lexicon, old_cfg.entity_types, cfg.entity_types, records) if cfg.use_lexicon else None
    model = MADPG(cfg, base.text, lexicon=lexicon, read_image_weights=False)
    _carry_weights(base, model)
    model.version = base.version
    report = WarmReport(base.version, new_chars, added, removed)
    log.info("warm start: %s", report.summary())
    return model, report


def _grow_vocab(model: MADPG, records: Sequence[Record], min_count: int) -> int:
    """Append characters of ``records`` that the vocabulary lacks; returns how many."""
    text = model.text
    vocab = text.vocab
    if vocab is None:  # a pretrained tokenizer: its vocabulary is fixed, unknown pieces stay [UNK]
        return 0
    counts = Counter(c for r in records for c in r.text)
    known = set(vocab.chars)
    new = sorted(c for c, n in counts.items() if n >= min_count and c not in known)
    if not new:
        return 0
    unk = vocab.chars.index(UNK)
    if isinstance(text, BertEncoder):
        old = text.bert.get_input_embeddings()
        table = _grown(old, len(new), unk)
        text.bert.set_input_embeddings(table)
        text.bert.config.vocab_size = table.num_embeddings  # saved into text_config.json
    elif isinstance(text, CharEncoder):
        text.char = _grown(text.char, len(new), unk)
    text.vocab = Vocab(vocab.chars + new, vocab.bigrams)
    return len(new)


def _grown(old: nn.Embedding, extra: int, copy_row: int) -> nn.Embedding:
    table = nn.Embedding(old.num_embeddings + extra, old.embedding_dim, padding_idx=old.padding_idx)
    with torch.no_grad():
        table.weight[: old.num_embeddings] = old.weight
        table.weight[old.num_embeddings :] = old.weight[copy_row]
    table.weight.requires_grad_(old.weight.requires_grad)
    return table


def _adapt_lexicon(old: Lexicon | None, old_types: Sequence[str], new_types: Sequence[str],
                   records: Sequence[Record]) -> Lexicon:
    """The training types' channels first (in the new order), then the gazetteer's, as build() lays them."""
    if old is None:
        return Lexicon.build(records, new_types)
    extra = [t for t in old.types if t not in old_types]  # gazetteer channels ("cmeee:dis" ...)
    types = list(new_types) + extra
    keep = set(types)
    counts: dict[str, Counter[str]] = {}
    for mention, hit in old.counts.items():
        kept = {t: n for t, n in hit.items() if t in keep}
        if kept:
            counts[mention] = Counter(kept)
    for r in records:
        for mention, label in own_mentions(r):
            if label in keep:
                counts.setdefault(mention, Counter())[label] += 1
    return Lexicon(types, {m: dict(c) for m, c in counts.items()})


def _index_map(new: Sequence[str], old: Sequence[str]) -> list[int | None]:
    at = {t: i for i, t in enumerate(old)}
    return [at.get(t) for t in new]


def _carry_weights(base: MADPG, model: MADPG) -> None:
    """Copy every trained weight into ``model``, remapping the tag- and lexicon-shaped ones."""
    old, new = base.state_dict(), model.state_dict()
    tags = _index_map(model.tags, base.tags)
    for key, value in new.items():
        if key.startswith("text.") or key in _TAG_KEYS or key in _LSTM_INPUT_KEYS:
            continue  # the text encoder is shared with base; the others are remapped below
        if key not in old or old[key].shape != value.shape:
            raise MadpgError(f"warm start: {key} does not fit the base model ({tuple(value.shape)} vs "
                             f"{tuple(old[key].shape) if key in old else 'missing'})")
        new[key] = old[key].clone()
    lex_cols = _lexicon_columns(base, model)
    if model.bilstm is not None:
        for key in _LSTM_INPUT_KEYS:
            new[key] = _columns(old[key], lex_cols)
        classifier_in = old["classifier.weight"]
    else:
        classifier_in = _columns(old["classifier.weight"], lex_cols)
    new["classifier.weight"] = _rows(classifier_in, tags, model.tags, mean_by_prefix=True)
    new["classifier.bias"] = _rows(old["classifier.bias"], tags, model.tags, mean_by_prefix=True)
    if model.crf is not None:
        for key in ("crf.crf.start_transitions", "crf.crf.end_transitions"):
            new[key] = _rows(old[key], tags, model.tags, mean_by_prefix=False)
        trans = torch.zeros(len(tags), len(tags))
        for i, oi in enumerate(tags):
            for j, oj in enumerate(tags):
                if oi is not None and oj is not None:
                    trans[i, j] = old["crf.crf.transitions"][oi, oj]
        new["crf.crf.transitions"] = trans
    model.load_state_dict(new)


def _lexicon_columns(base: MADPG, model: MADPG) -> list[int | None]:
    """For each input column of the new BiLSTM (or classifier): the base model's column, or None."""
    width = model.bilstm.input_size if model.bilstm is not None else model.classifier.in_features
    lex_new = model.lexicon.width if model.lexicon is not None else 0
    head = width - lex_new  # encoder state (+ the embedding skip) come before the lexicon channels
    cols: list[int | None] = list(range(head))
    if model.lexicon is not None:
        old_types = base.lexicon.types if base.lexicon is not None else ()
        type_map = _index_map(model.lexicon.types, old_types)
        for t in type_map:
            cols += [None] * POSITIONS if t is None else [head + POSITIONS * t + p for p in range(POSITIONS)]
    return cols


def _columns(weight: torch.Tensor, cols: list[int | None]) -> torch.Tensor:
    out = weight.new_zeros(weight.shape[0], len(cols))  # a new lexicon channel starts with no say
    for j, oj in enumerate(cols):
        if oj is not None:
            out[:, j] = weight[:, oj]
    return out


def _rows(old: torch.Tensor, index: list[int | None], tags: Sequence[str], *, mean_by_prefix: bool) -> torch.Tensor:
    """Rows (or entries) per new tag: the old one, else the mean of the old B- (I-) rows, else 0."""
    out = old.new_zeros((len(index), *old.shape[1:]))
    for i, oi in enumerate(index):
        if oi is not None:
            out[i] = old[oi]
        elif mean_by_prefix:
            same = [o for o, t in zip(index, tags) if o is not None and t[:2] == tags[i][:2]]
            if same:
                out[i] = old[same].mean(dim=0)
    return out
