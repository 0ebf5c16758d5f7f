"""Character and character-bigram embeddings pre-trained on unlabelled medical text.

Without a pretrained BERT (none may be downloaded), the encoders trained here start from random
embeddings, and a character or bigram seen a few times in 914 training records learns little.
Skip-gram vectors (word2vec, gensim) trained on every medical text we have, labelled or not,
give those rare characters and bigrams a starting point; the model fine-tunes them.

A folder holds ``vectors.safetensors`` (tensors ``chars`` and ``bigrams``, float16) and
``tokens.json`` (the two token lists, in row order, plus how they were trained). Bigrams are
spelt as :func:`madpg_core.model.vocab.bigrams` spells them, so the lookup is the vocabulary's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from madpg_core.errors import MadpgError
from madpg_core.model.vocab import Vocab, bigrams
from madpg_core.paths import RESOURCES

log = logging.getLogger(__name__)

VECTORS = "vectors.safetensors"
TOKENS = "tokens.json"
EMBEDDINGS_DIR = RESOURCES / "embeddings"
MAX_SENTENCE = 10_000  # gensim truncates longer "sentences"; records are cut to this length


@dataclass
class CharEmbeddings:
    chars: list[str]
    char_vectors: np.ndarray  # (len(chars), dim) float32
    bigrams: list[str]
    bigram_vectors: np.ndarray  # (len(bigrams), dim) float32
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.char_vectors.shape[1])

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        save_file({"chars": torch.from_numpy(self.char_vectors).half(),
                   "bigrams": torch.from_numpy(self.bigram_vectors).half()}, str(folder / VECTORS))
        doc = {"chars": self.chars, "bigrams": self.bigrams, "info": self.info}
        (folder / TOKENS).write_text(json.dumps(doc, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, folder: Path) -> CharEmbeddings:
        from safetensors.torch import load_file

        if not (folder / VECTORS).is_file() or not (folder / TOKENS).is_file():
            raise MadpgError(f"{folder}: not an embeddings folder (expected {VECTORS} and {TOKENS})")
        t = load_file(str(folder / VECTORS))
        doc = json.loads((folder / TOKENS).read_text("utf-8"))
        emb = cls(doc["chars"], t["chars"].float().numpy(), doc["bigrams"], t["bigrams"].float().numpy(),
                  doc.get("info", {}))
        if len(emb.chars) != len(emb.char_vectors) or len(emb.bigrams) != len(emb.bigram_vectors):
            raise MadpgError(f"{folder}: token lists and vectors differ in length")
        return emb


def resolve(name_or_path: str) -> Path:
    """A bundled name (``resources/embeddings/NAME``) or a folder path."""
    bundled = EMBEDDINGS_DIR / name_or_path
    path = bundled if bundled.is_dir() else Path(name_or_path)
    if not path.is_dir():
        raise MadpgError(f"no embeddings folder {name_or_path!r} (neither {bundled} nor a folder path)")
    return path


def train_embeddings(texts: Iterable[str], *, dim: int = 128, window: int = 5, epochs: int = 10,
                     min_char_count: int = 2, min_bigram_count: int = 3, seed: int = 42,
                     sources: Sequence[str] = ()) -> CharEmbeddings:
    """Skip-gram vectors for characters and for bigrams, one gensim model each.

    One worker thread, ``seed`` and a hash that does not change between processes keep the
    result reproducible (gensim is only deterministic single-threaded).
    """
    try:
        from gensim.models import Word2Vec
    except ImportError as e:  # an optional dependency: only building embeddings needs it
        raise MadpgError("building embeddings needs gensim: pip install 'madpg-annotator[embeddings]'") from e

    texts = [t for t in texts if t]
    if not texts:
        raise MadpgError("no text to train embeddings on")
    char_sents = [list(t[i : i + MAX_SENTENCE]) for t in texts for i in range(0, len(t), MAX_SENTENCE)]
    bigram_sents = [bs[i : i + MAX_SENTENCE] for bs in map(bigrams, texts) for i in range(0, len(bs), MAX_SENTENCE)]
    common = dict(vector_size=dim, window=window, sg=1, negative=10, epochs=epochs, workers=1, seed=seed,
                  hashfxn=_stable_hash)
    log.info("training char vectors on %d texts, %d characters", len(texts), sum(map(len, texts)))
    cm = Word2Vec(char_sents, min_count=min_char_count, **common)
    log.info("training bigram vectors")
    bm = Word2Vec(bigram_sents, min_count=min_bigram_count, **common)
    info = {"method": "gensim Word2Vec skip-gram", "dim": dim, "window": window, "epochs": epochs,
            "negative": 10, "min_char_count": min_char_count, "min_bigram_count": min_bigram_count,
            "seed": seed, "texts": len(texts), "characters": sum(map(len, texts)), "sources": list(sources)}
    return CharEmbeddings(list(cm.wv.index_to_key), cm.wv.vectors.astype(np.float32),
                          list(bm.wv.index_to_key), bm.wv.vectors.astype(np.float32), info)


def _stable_hash(s: str) -> int:
    # Python's str hash changes per process; gensim seeds each vector from this hash.
    import zlib

    return zlib.crc32(s.encode("utf-8"))


def extend_vocab(vocab: Vocab, emb: CharEmbeddings) -> Vocab:
    """The corpus vocabulary plus every token the embeddings know (new ones appended)."""
    known_c, known_b = set(vocab.chars), set(vocab.bigrams)
    chars = vocab.chars + [c for c in emb.chars if c not in known_c]
    bis = vocab.bigrams + [b for b in emb.bigrams if b not in known_b]
    return Vocab(chars, bis)


def copy_into(table: torch.nn.Embedding, tokens: Sequence[str], emb_tokens: Sequence[str],
              vectors: np.ndarray) -> int:
    """Overwrite the rows of ``table`` whose token has a vector; returns how many rows were set.

    Vectors are rescaled to the table's initial standard deviation, so a pretrained row enters
    the encoder (and its LayerNorm) at the size a random one would.
    """
    if vectors.shape[1] != table.embedding_dim:
        raise MadpgError(f"embeddings have {vectors.shape[1]} dimensions but the model's table has "
                         f"{table.embedding_dim}: train embeddings of the model's width")
    row = {t: i for i, t in enumerate(emb_tokens)}
    pairs = [(i, row[t]) for i, t in enumerate(tokens) if t in row]
    if not pairs:
        return 0
    with torch.no_grad():
        target_std = float(table.weight.std())
        src = torch.from_numpy(vectors[[j for _, j in pairs]]).float()
        src = src * (target_std / max(float(src.std()), 1e-8))
        table.weight[[i for i, _ in pairs]] = src.to(table.weight.dtype)
    return len(pairs)


__all__ = ["CharEmbeddings", "copy_into", "extend_vocab", "resolve", "train_embeddings"]
