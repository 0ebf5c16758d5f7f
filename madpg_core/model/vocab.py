"""Character and character-bigram vocabularies built from a corpus (for encoders trained here)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PAD, UNK, CLS, SEP = "[PAD]", "[UNK]", "[CLS]", "[SEP]"
SPECIALS = (PAD, UNK, CLS, SEP)
END = "</s>"  # the right neighbour of a text's last character in its bigram


@dataclass
class Vocab:
    """Ids 0..3 are [PAD], [UNK], [CLS], [SEP] in both tables."""

    chars: list[str] = field(default_factory=lambda: list(SPECIALS))
    bigrams: list[str] = field(default_factory=lambda: list(SPECIALS))

    def __post_init__(self) -> None:
        self._c = {c: i for i, c in enumerate(self.chars)}
        self._b = {b: i for i, b in enumerate(self.bigrams)}

    @classmethod
    def build(cls, texts: Iterable[str], min_char_count: int = 1, min_bigram_count: int = 2) -> Vocab:
        cc: Counter[str] = Counter()
        bc: Counter[str] = Counter()
        for t in texts:
            cc.update(t)
            bc.update(bigrams(t))
        chars = list(SPECIALS) + sorted(c for c, n in cc.items() if n >= min_char_count)
        bis = list(SPECIALS) + sorted(b for b, n in bc.items() if n >= min_bigram_count)
        return cls(chars, bis)

    def char_ids(self, text: str) -> list[int]:
        return [self._c.get(c, 1) for c in text]

    def bigram_ids(self, text: str) -> list[int]:
        return [self._b.get(b, 1) for b in bigrams(text)]

    def special(self, token: str) -> int:
        return SPECIALS.index(token)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"chars": self.chars, "bigrams": self.bigrams}, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocab:
        d = json.loads(path.read_text("utf-8"))
        return cls(d["chars"], d["bigrams"])


def bigrams(text: str) -> list[str]:
    """One bigram per character: the character and its right neighbour."""
    return [text[i : i + 2] if i + 1 < len(text) else text[i] + END for i in range(len(text))]
