"""The contract between a dependency parser and the model: the model does not care which parser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Parse:
    """A word-level dependency parse of one exact text.

    ``words`` are character spans [start, end) on the text (whitespace between words belongs to
    no word); ``heads[i]`` is the index of word i's head word, or -1 for the root.
    """

    words: tuple[tuple[int, int], ...]
    heads: tuple[int, ...]
    parser_version: str = ""

    def __post_init__(self) -> None:
        if len(self.words) != len(self.heads):
            raise ValueError("a parse needs one head per word")


class DependencyParser(Protocol):
    """Anything that turns a text into a Parse. ``version`` keys the parse cache."""

    version: str

    def parse(self, text: str) -> Parse: ...


class ParseCache(Protocol):
    """Stores parses keyed by (text hash, parser version); see madpg_core.storage.parse_cache.

    A cache may also offer the batch methods of :class:`BatchParseCache` (``get_many``,
    ``put_many``); ``CachedParser`` uses them where present and falls back to ``get``/``put`` per
    text otherwise.
    """

    def get(self, text: str, parser_version: str) -> Parse | None: ...

    def put(self, text: str, parse: Parse) -> None: ...


class BatchParseCache(ParseCache, Protocol):
    """A :class:`ParseCache` that reads and writes a batch at once (``SqlParseCache``: one session
    for the read, one transaction for the write)."""

    def get_many(self, texts: Sequence[str], parser_version: str) -> list[Parse | None]:
        """The cached parse of each text, or None, in the order of ``texts``."""
        ...

    def put_many(self, items: Sequence[tuple[str, Parse]]) -> None: ...
