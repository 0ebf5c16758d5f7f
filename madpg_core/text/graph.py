"""From a word-level dependency parse to the token adjacency matrix of the dependency GCN.

DESIGN.md §2.5: A_ij = 1 for i = j, for characters of the same word, and for characters of
two words joined by an arc (symmetric). The model works on tokens, not characters: a Chinese
BERT tokenizer merges runs of digits or Latin letters into one word piece, so characters are
first mapped to token positions (``char_to_token``) and the relation is lifted to tokens:
two tokens are joined when some character of one and some character of the other are.
Degree normalisation (c_i = 1/deg(i)) is the GCN's job, not this module's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from madpg_core.text.protocol import Parse


def char_to_token_from_offsets(offsets: Sequence[tuple[int, int]], n_chars: int) -> list[int]:
    """Map each character of a text to the token that covers it.

    Args:
        offsets: per token position, its character span [start, end) on the text, as a
            Hugging Face fast tokenizer's ``offset_mapping`` gives it; special tokens
            ([CLS], [SEP], padding) have (0, 0) and cover nothing. Token positions therefore
            already include the [CLS] offset.
        n_chars: the length of the text.

    Returns:
        A list of length ``n_chars``: the token position of each character, or -1 for a
        character no token covers (whitespace, or text cut off by truncation). Where two
        tokens claim a character, the first one keeps it.
    """
    out = [-1] * n_chars
    for pos, (start, end) in enumerate(offsets):
        for c in range(max(int(start), 0), min(int(end), n_chars)):
            if out[c] == -1:
                out[c] = pos
    return out


def _tokens_of(span: tuple[int, int], char_to_token: Sequence[int], n_tokens: int) -> np.ndarray:
    start, end = span
    end = min(end, len(char_to_token))
    found = {char_to_token[c] for c in range(max(start, 0), end)}
    return np.fromiter(sorted(t for t in found if 0 <= t < n_tokens), dtype=np.int64)


def token_adjacency(parse: Parse, char_to_token: Sequence[int], n_tokens: int) -> np.ndarray:
    """The symmetric 0/1 adjacency of the dependency GCN over token positions.

    Args:
        parse: the word-level parse of the text (character spans and heads).
        char_to_token: token position of each character of the text, or -1 for none (see
            :func:`char_to_token_from_offsets`). Several characters may share a token.
            Positions outside [0, n_tokens) are ignored, so a window of a longer text works.
        n_tokens: the sequence length, special tokens included.

    Returns:
        float32 array (n_tokens, n_tokens): 1 on the diagonal (every position, [CLS], [SEP]
        and padding included), between all tokens of one word, and between all tokens of two
        words joined by an arc; 0 elsewhere. Symmetric.
    """
    adj = np.eye(n_tokens, dtype=np.float32)
    if n_tokens == 0:
        return adj
    word_tokens = [_tokens_of(span, char_to_token, n_tokens) for span in parse.words]
    for toks in word_tokens:
        if toks.size > 1:
            adj[np.ix_(toks, toks)] = 1.0
    for child, head in enumerate(parse.heads):
        if head < 0 or head == child:
            continue
        a, b = word_tokens[child], word_tokens[head]
        if a.size and b.size:
            adj[np.ix_(a, b)] = 1.0
            adj[np.ix_(b, a)] = 1.0
    return adj
