"""Optional lexicon features: which known entity strings cover each character, and how.

The lexicon is every gold mention of the training data with its types. Each character gets a
multi-hot vector over (type × {B, M, E, S}): a known mention of that type starts, continues,
ends or is exactly at this character. Training records see the lexicon *without their own
mentions* (leave-one-out by record), so the model learns how far a lexicon hit can be trusted
on text it has not seen, instead of copying its own labels back.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from madpg_core.domain import Record
from madpg_core.errors import MadpgError
from madpg_core.paths import RESOURCES

GAZETTEERS_DIR = RESOURCES / "gazetteers"
POSITIONS = 4  # B, M, E, S
MAX_MENTION = 24  # longer strings are rare and make matching slow


class Lexicon:
    """Mention string → record frequency per type."""

    def __init__(self, types: Sequence[str], counts: dict[str, dict[str, int]]) -> None:
        self.types = tuple(types)
        self.counts = counts
        self._type_index = {t: i for i, t in enumerate(self.types)}
        self.max_len = max((len(m) for m in counts), default=1)

    @property
    def width(self) -> int:
        return POSITIONS * len(self.types)

    @classmethod
    def build(cls, records: Iterable[Record], types: Sequence[str], *, extra: Lexicon | None = None,
              prefix: str = "") -> Lexicon:
        """Mentions of ``records``; ``extra`` (a gazetteer) adds its own types as further channels.

        ``prefix`` renames the records' types (``cmeee:`` + ``dis``) when building a gazetteer,
        so its channels never merge with the training data's own types.
        """
        counts: dict[str, Counter[str]] = {}
        for r in records:
            for mention, label in own_mentions(r):
                counts.setdefault(mention, Counter())[prefix + label] += 1
        all_types = [prefix + t for t in types]
        if extra is not None:
            clash = set(all_types) & set(extra.types)
            if clash:
                raise MadpgError(f"gazetteer types {sorted(clash)} clash with the training types: give them a prefix")
            all_types += extra.types
            for mention, hit in extra.counts.items():
                counts.setdefault(mention, Counter()).update(hit)
        return cls(all_types, {m: dict(c) for m, c in counts.items()})

    def features(self, text: str, exclude: set[tuple[str, str]] | None = None) -> np.ndarray:
        """(len(text), width) float32 multi-hot; ``exclude``: this record's own (mention, type)."""
        out = np.zeros((len(text), self.width), dtype=np.float32)
        for s in range(len(text)):
            for e in range(s + 1, min(len(text), s + self.max_len) + 1):
                hit = self.counts.get(text[s:e])
                if hit:
                    self._mark(out, s, e, text[s:e], hit, exclude)
        return out

    def _mark(self, out: np.ndarray, s: int, e: int, mention: str, hit: dict[str, int],
              exclude: set[tuple[str, str]] | None) -> None:
        for label, n in hit.items():
            if exclude and (mention, label) in exclude:
                n -= 1
            t = self._type_index.get(label)
            if n <= 0 or t is None:
                continue
            base = POSITIONS * t
            if e - s == 1:
                out[s, base + 3] = 1
                continue
            out[s, base] = 1
            out[s + 1 : e - 1, base + 1] = 1
            out[e - 1, base + 2] = 1

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"types": self.types, "counts": self.counts}, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        d = json.loads(path.read_text("utf-8"))
        return cls(d["types"], d["counts"])


def own_mentions(r: Record) -> set[tuple[str, str]]:
    """A record's distinct (mention, type) pairs, short enough to match."""
    return {(r.text[s.start : s.end], s.label) for s in r.spans if s.end - s.start <= MAX_MENTION}


def resolve_gazetteer(name_or_path: str) -> Path:
    """A bundled gazetteer (``resources/gazetteers/NAME.json``) or a file path."""
    bundled = GAZETTEERS_DIR / f"{name_or_path}.json"
    path = bundled if bundled.is_file() else Path(name_or_path)
    if not path.is_file():
        raise MadpgError(f"no gazetteer {name_or_path!r} (neither {bundled} nor a file path)")
    return path
