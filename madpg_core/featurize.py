"""Featurisation shared by training and prediction: records → pieces (split at sentence ends), tags,
graphs, images, lexicon features → batches; length buckets. Neither side imports the other for it."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from madpg_core.domain import Record, Span, spans_to_bio
from madpg_core.errors import MadpgError
from madpg_core.inference.chunking import split_text
from madpg_core.model.lexicon import Lexicon, own_mentions
from madpg_core.model.madpg import Batch
from madpg_core.model.text_encoders import Encoded, TextEncoder
from madpg_core.text.protocol import DependencyParser

FeatureLookup = Callable[[Sequence[str]], "torch.Tensor | None"]


@dataclass(frozen=True)
class Piece:
    """One encoder-sized slice of a record: ``text`` starts at ``offset`` in record ``index``."""

    index: int
    offset: int
    text: str
    encoded: Encoded
    tags: tuple[int, ...] | None
    adjacency: np.ndarray | None
    images: tuple[str, ...]
    lexicon: np.ndarray | None = None  # (len(text), W)


def _forbidden_cuts(spans: Sequence[Span]) -> set[int]:
    return {c for s in spans for c in range(s.start + 1, s.end)}


def make_pieces(
    records: Sequence[Record | str], encoder: TextEncoder, max_len: int, *, piece_chars: int = 0,
    tag_index: dict[str, int] | None = None, parser: DependencyParser | None = None,
    lexicon: Lexicon | None = None, leave_one_out: bool = False,
) -> list[Piece]:
    """Split, tokenize, tag (when ``tag_index`` is given) and parse (when ``parser`` is given).

    ``lexicon`` adds lexicon features; ``leave_one_out`` hides each record's own mentions (training).
    Every piece is parsed in one ``parser.parse_many`` call where the parser has one (a cached
    parser then reads and writes its cache once for the whole set).
    """
    budget = max_len - 2 if encoder.fusion else max_len  # [CLS] and [SEP]
    if piece_chars > 0:
        budget = min(budget, piece_chars)
    out: list[Piece] = []
    for i, rec in enumerate(records):
        r = rec if isinstance(rec, Record) else Record(text=rec)
        bio = spans_to_bio(r.text, r.spans) if tag_index is not None else None
        lex = None
        if lexicon is not None:
            lex = lexicon.features(r.text, own_mentions(r) if leave_one_out else None)
        for s, e in split_text(r.text, budget, _forbidden_cuts(r.spans)):
            if e == s:
                continue  # an empty text has nothing to tag
            for p in _pieces_of(i, r, s, e, encoder, max_len, bio, tag_index):
                out.append(replace(p, lexicon=lex[p.offset : p.offset + len(p.text)]) if lex is not None else p)
    if parser is not None and out:
        from madpg_core.text.graph import token_adjacency

        texts = [p.text for p in out]
        many = getattr(parser, "parse_many", None)
        parses = list(many(texts)) if many is not None else [parser.parse(t) for t in texts]
        out = [replace(p, adjacency=token_adjacency(parse, p.encoded.char_to_token, len(p.encoded.input_ids)))
               for p, parse in zip(out, parses, strict=True)]
    return out


def _pieces_of(
    i: int, r: Record, s: int, e: int, encoder: TextEncoder, max_len: int,
    bio: list[str] | None, tag_index: dict[str, int] | None,
) -> list[Piece]:
    text = r.text[s:e]
    enc = encoder.tokenize(text)
    if len(enc.input_ids) > max_len:
        if e - s <= 1:
            raise MadpgError(f"record {r.name or i}: one character gives more than {max_len} tokens")
        mid = s + (e - s) // 2  # a tokenizer that expands characters: halve and retry
        return _pieces_of(i, r, s, mid, encoder, max_len, bio, tag_index) + \
            _pieces_of(i, r, mid, e, encoder, max_len, bio, tag_index)
    tags = None
    if bio is not None and tag_index is not None:
        tags = tuple(tag_index.get(t, 0) for t in bio[s:e])
    return [Piece(i, s, text, enc, tags, None, tuple(r.images))]


def collate(pieces: Sequence[Piece], features: FeatureLookup | None = None) -> Batch:
    """Pad a list of pieces into a Batch (left-aligned character masks)."""
    b = len(pieces)
    n = max(len(p.encoded.input_ids) for p in pieces)
    length = max(max(len(p.text) for p in pieces), 1)
    ids = torch.zeros(b, n, dtype=torch.long)
    att = torch.zeros(b, n, dtype=torch.long)
    idx = torch.full((b, length), n, dtype=torch.long)
    cmask = torch.zeros(b, length, dtype=torch.bool)
    has_bi = pieces[0].encoded.bigram_ids is not None
    bis = torch.zeros(b, n, dtype=torch.long) if has_bi else None
    tags = torch.zeros(b, length, dtype=torch.long) if pieces[0].tags is not None else None
    adj = torch.zeros(b, n, n) if pieces[0].adjacency is not None else None
    lex = torch.zeros(b, length, pieces[0].lexicon.shape[1]) if pieces[0].lexicon is not None else None
    for i, p in enumerate(pieces):
        k, m = len(p.encoded.input_ids), len(p.text)
        ids[i, :k] = torch.tensor(p.encoded.input_ids)
        att[i, :k] = 1
        if bis is not None:
            bis[i, :k] = torch.tensor(p.encoded.bigram_ids)
        c2t = torch.tensor(p.encoded.char_to_token, dtype=torch.long)
        idx[i, :m] = torch.where(c2t < 0, torch.full_like(c2t, n), c2t)
        cmask[i, :m] = True
        if tags is not None:
            tags[i, :m] = torch.tensor(p.tags)
        if lex is not None:
            lex[i, :m] = torch.from_numpy(p.lexicon)
        if adj is not None:
            adj[i, :k, :k] = torch.from_numpy(np.asarray(p.adjacency, dtype=np.float32))
    feats, imask = _images(pieces, features)
    return Batch(ids, att, idx, cmask, bis, tags, adj, feats, imask, lex)


def _images(pieces: Sequence[Piece], features: FeatureLookup | None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    if features is None or not any(p.images for p in pieces):
        return None, None
    maps = [features(p.images) for p in pieces]
    ref = next(m for m in maps if m is not None)
    feats = torch.stack([m if m is not None else torch.zeros_like(ref) for m in maps])
    return feats, torch.tensor([m is not None for m in maps])


def length_batches(pieces: Sequence[Piece], batch_size: int, rng: random.Random | None) -> list[list[int]]:
    """Indices grouped so that pieces of similar length share a batch; shuffled when ``rng``."""
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i].encoded.input_ids))
    if rng is not None:
        # Sort within random windows of 50 batches, so batches vary from epoch to epoch.
        order = list(range(len(pieces)))
        rng.shuffle(order)
        window = batch_size * 50
        order = [i for w in range(0, len(order), window)
                 for i in sorted(order[w : w + window], key=lambda j: len(pieces[j].encoded.input_ids))]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches
