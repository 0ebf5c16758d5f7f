"""The contract between a dependency parser and the model: the model does not care which parser."""

from __future__ import annotations

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
    """Stores parses keyed by (text hash, parser version); see madpg_core.storage.parse_cache."""

    def get(self, text: str, parser_version: str) -> Parse | None: ...

    def put(self, text: str, parse: Parse) -> None: ...
