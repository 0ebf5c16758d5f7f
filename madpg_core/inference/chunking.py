"""Split long texts at sentence ends into pieces the encoder can take; never truncate."""

from __future__ import annotations

from collections.abc import Collection

SENTENCE_ENDS = frozenset("。！？；!?;\n")
CLAUSE_ENDS = frozenset("，,、：:　 叒")


def split_text(text: str, max_chars: int, forbidden: Collection[int] = ()) -> list[tuple[int, int]]:
    """[start, end) pieces covering ``text`` in order, each at most ``max_chars`` long.

    A cut prefers the last sentence end in the window, then the last clause end, then any
    position; positions in ``forbidden`` (inside an entity) are avoided where possible.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    pieces: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > max_chars:
        cut = _best_cut(text, start, start + max_chars, forbidden)
        pieces.append((start, cut))
        start = cut
    if start < len(text) or not pieces:
        pieces.append((start, len(text)))
    return pieces


def _best_cut(text: str, start: int, limit: int, forbidden: Collection[int]) -> int:
    window = range(limit, start, -1)  # cut positions: a piece ends just before index c
    for ends in (SENTENCE_ENDS, CLAUSE_ENDS):
        for c in window:
            if text[c - 1] in ends and c not in forbidden:
                return c
    for c in window:
        if c not in forbidden:
            return c
    return limit
