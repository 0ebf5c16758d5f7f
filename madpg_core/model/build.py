"""Build a fresh model for a config and a training corpus (tag set, vocabulary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from madpg_core.domain import Record
from madpg_core.errors import MadpgError
from madpg_core.model.config import ModelConfig
from madpg_core.model.lexicon import Lexicon
from madpg_core.model.madpg import MADPG
from madpg_core.model.text_encoders import build_text_encoder
from madpg_core.model.vocab import Vocab


def entity_types_of(records: Sequence[Record]) -> tuple[str, ...]:
    """Entity types in the data, most frequent first (ties by name), so tag ids are stable."""
    counts = Counter(s.label for r in records for s in r.spans)
    if not counts:
        raise MadpgError("the training data has no entities")
    return tuple(sorted(counts, key=lambda t: (-counts[t], t)))


def with_entity_types(cfg: ModelConfig, records: Sequence[Record]) -> ModelConfig:
    return cfg if cfg.entity_types else replace(cfg, entity_types=entity_types_of(records))


def new_model(cfg: ModelConfig, records: Sequence[Record]) -> MADPG:
    """An untrained model; a vocabulary is built from ``records`` for encoders trained here."""
    cfg = with_entity_types(cfg, records)
    vocab = None
    if cfg.text_encoder != "pretrained":
        vocab = Vocab.build((r.text for r in records), cfg.min_char_count, cfg.min_bigram_count)
    lexicon = Lexicon.build(records, cfg.entity_types) if cfg.use_lexicon else None
    return MADPG(cfg, build_text_encoder(cfg, vocab), lexicon=lexicon)
