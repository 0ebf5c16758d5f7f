"""A small CoNLL-U reader for the Universal Dependencies treebanks used to train the parser.

Only what the parser needs is kept: the syntactic words of each sentence (form, UPOS, XPOS,
head, relation) and the raw sentence text. Multi-word token ranges (``3-4``) are recorded so
that segmentation can be scored on the surface tokens; empty nodes (``5.1``) belong to the
enhanced graph only and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from madpg_core.errors import FormatError


@dataclass(frozen=True)
class Word:
    """One syntactic word. ``head`` is 1-based as in CoNLL-U; 0 is the root."""

    form: str
    upos: str
    xpos: str
    head: int
    deprel: str
    space_after: bool = False


@dataclass(frozen=True)
class Sentence:
    """One sentence: its syntactic words and, when given, its ``# text`` and surface tokens."""

    sent_id: str
    text: str
    words: tuple[Word, ...]
    # Surface tokens as (first word index, last word index) 0-based, inclusive; one per
    # multi-word token range, and one per word outside any range.
    tokens: tuple[tuple[int, int], ...]

    @property
    def token_forms(self) -> list[str]:
        """The surface forms (multi-word tokens merged back)."""
        return ["".join(w.form for w in self.words[a : b + 1]) for a, b in self.tokens]


def _parse_block(path: Path, first_line: int, lines: list[str]) -> Sentence:
    sent_id, text = "", ""
    words: list[Word] = []
    ranges: dict[int, int] = {}  # first word id -> last word id of a multi-word token
    for offset, line in enumerate(lines):
        lineno = first_line + offset
        if line.startswith("#"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "sent_id":
                sent_id = value.strip()
            elif key.strip() == "text":
                text = value.strip()
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise FormatError(path, lineno, f"expected 10 tab-separated columns, got {len(cols)}")
        wid = cols[0]
        if "." in wid:  # empty node of the enhanced graph
            continue
        if "-" in wid:
            a, _, b = wid.partition("-")
            try:
                ranges[int(a)] = int(b)
            except ValueError:
                raise FormatError(path, lineno, f"bad multi-word token id {wid!r}") from None
            continue
        try:
            index, head = int(wid), int(cols[6]) if cols[6] != "_" else 0
        except ValueError:
            raise FormatError(path, lineno, f"bad word id or head {wid!r}/{cols[6]!r}") from None
        if index != len(words) + 1:
            raise FormatError(path, lineno, f"word id {index} out of sequence")
        words.append(Word(cols[1], cols[3], cols[4], head, cols[7], "SpaceAfter=No" not in cols[9]))
    if not words:
        raise FormatError(path, first_line, "sentence without words")
    for w in words:
        if not 0 <= w.head <= len(words):
            raise FormatError(path, first_line, f"head {w.head} outside the sentence")
    tokens: list[tuple[int, int]] = []
    i = 1
    while i <= len(words):
        last = ranges.get(i, i)
        tokens.append((i - 1, last - 1))
        i = last + 1
    sentence = Sentence(sent_id, text, tuple(words), tuple(tokens))
    if not text:  # rebuild it from the surface tokens and their SpaceAfter
        seps = [" " if words[last].space_after else "" for _, last in tokens]
        text = "".join(f + sep for f, sep in zip(sentence.token_forms, seps, strict=True)).strip()
        sentence = Sentence(sent_id, text, tuple(words), tuple(tokens))
    return sentence


def read_conllu(path: str | Path) -> Iterator[Sentence]:
    """Yield the sentences of a CoNLL-U file.

    Raises:
        FormatError: a line that is not valid CoNLL-U (the message names file and line).
    """
    path = Path(path)
    block: list[str] = []
    start = 1
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if line.strip():
                if not block:
                    start = lineno
                block.append(line)
            elif block:
                yield _parse_block(path, start, block)
                block = []
    if block:
        yield _parse_block(path, start, block)
