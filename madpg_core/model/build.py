"""Build a fresh model for a config and a training corpus (tag set, vocabulary)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from madpg_core.domain import Record
from madpg_core.errors import MadpgError
from madpg_core.model.config import ModelConfig
from madpg_core.model.embeddings import CharEmbeddings, copy_into, extend_vocab
from madpg_core.model.embeddings import resolve as resolve_embeddings
from madpg_core.model.lexicon import Lexicon, resolve_gazetteer
from madpg_core.model.madpg import MADPG
from madpg_core.model.text_encoders import CharEncoder, TextEncoder, build_text_encoder
from madpg_core.model.vocab import Vocab

log = logging.getLogger(__name__)


def entity_types_of(records: Sequence[Record]) -> tuple[str, ...]:
    """Entity types in the data, most frequent first (ties by name), so tag ids are stable."""
    counts = Counter(s.label for r in records for s in r.spans)
    if not counts:
        raise MadpgError("the training data has no entities")
    return tuple(sorted(counts, key=lambda t: (-counts[t], t)))


def with_entity_types(cfg: ModelConfig, records: Sequence[Record]) -> ModelConfig:
    return cfg if cfg.entity_types else replace(cfg, entity_types=entity_types_of(records))


def new_model(cfg: ModelConfig, records: Sequence[Record]) -> MADPG:
    """An untrained model; a vocabulary is built from ``records`` for encoders trained here.

    With ``cfg.char_embeddings`` the vocabulary also takes every token the embeddings know, and
    those rows start from the pre-trained vectors; the checkpoint then carries them, so loading
    a trained model never needs the embeddings folder.
    """
    cfg = with_entity_types(cfg, records)
    vocab = None
    emb = None
    if cfg.text_encoder != "pretrained":
        vocab = Vocab.build((r.text for r in records), cfg.min_char_count, cfg.min_bigram_count)
        if cfg.char_embeddings:
            emb = CharEmbeddings.load(resolve_embeddings(cfg.char_embeddings))
            vocab = extend_vocab(vocab, emb)
    lexicon = None
    if cfg.use_lexicon:
        extra = Lexicon.load(resolve_gazetteer(cfg.gazetteer)) if cfg.gazetteer else None
        lexicon = Lexicon.build(records, cfg.entity_types, extra=extra)
    text = build_text_encoder(cfg, vocab)
    if emb is not None:
        init_embeddings(text, emb)
    return MADPG(cfg, text, lexicon=lexicon)


def init_embeddings(text: TextEncoder, emb: CharEmbeddings) -> None:
    """Copy the pre-trained vectors into the encoder's character and bigram tables."""
    vocab = text.vocab
    assert vocab is not None
    chars = text.char if isinstance(text, CharEncoder) else text.bert.get_input_embeddings()
    n_c = copy_into(chars, vocab.chars, emb.chars, emb.char_vectors)
    n_b = copy_into(text.bigram, vocab.bigrams, emb.bigrams, emb.bigram_vectors) if text.bigram is not None else 0
    log.info("pre-trained vectors for %d/%d characters and %d/%d bigrams", n_c, len(vocab.chars), n_b,
             len(vocab.bigrams))
