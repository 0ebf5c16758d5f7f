"""Words → characters → tokens → adjacency (DESIGN.md §2.5)."""

from __future__ import annotations

import numpy as np
import pytest

from madpg_core.text.graph import char_to_token_from_offsets, token_adjacency
from madpg_core.text.parser import JiebaSegmenter
from madpg_core.text.protocol import Parse

# Offsets as a Chinese BERT fast tokenizer gives them for this text: one token per Han
# character or punctuation mark, digit and Latin runs merged ("2004", "ct", "120", "80mg"),
# whitespace (\r\n) covered by no token, [CLS]/[SEP] as (0, 0).
TEXT = "患者2004年CT，\r\n血压120/80mg。"
OFFSETS = [(0, 0), (0, 1), (1, 2), (2, 6), (6, 7), (7, 9), (9, 10), (12, 13), (13, 14),
           (14, 17), (17, 18), (18, 22), (22, 23), (0, 0)]


def test_char_to_token_merges_digits_latin_and_skips_whitespace() -> None:
    c2t = char_to_token_from_offsets(OFFSETS, len(TEXT))
    assert len(c2t) == len(TEXT)
    assert c2t[0] == 1  # [CLS] is position 0
    assert c2t[2:6] == [3, 3, 3, 3]  # "2004" is one token
    assert c2t[7:9] == [5, 5]  # "CT"
    assert c2t[9] == 6  # full-width comma
    assert c2t[10:12] == [-1, -1]  # \r\n
    assert c2t[18:22] == [11, 11, 11, 11]  # "80mg"
    assert c2t[22] == 12
    assert 0 not in c2t and 13 not in c2t  # special tokens own no character


def test_char_to_token_truncated_text() -> None:
    c2t = char_to_token_from_offsets([(0, 0), (0, 1), (1, 2), (0, 0)], 5)
    assert c2t == [1, 2, -1, -1, -1]


def _check_adjacency(adj: np.ndarray, n: int) -> None:
    assert adj.shape == (n, n) and adj.dtype == np.float32
    assert np.array_equal(adj, adj.T)
    assert np.all(np.diag(adj) == 1)
    assert set(np.unique(adj)) <= {0.0, 1.0}


def test_adjacency_words_and_arcs() -> None:
    # words: 患者 | 2004 | 年 | ct | ， | 血压 | 120/80mg | 。  (\r\n belongs to no word)
    words = ((0, 2), (2, 6), (6, 7), (7, 9), (9, 10), (12, 14), (14, 22), (22, 23))
    heads = (5, 2, 0, 0, 5, -1, 5, 5)
    parse = Parse(words, heads, "test")
    c2t = char_to_token_from_offsets(OFFSETS, len(TEXT))
    adj = token_adjacency(parse, c2t, len(OFFSETS))
    _check_adjacency(adj, len(OFFSETS))
    assert adj[1, 2] == 1  # 患 – 者: one word
    assert adj[7, 8] == 1  # 血 – 压
    assert adj[1, 7] == adj[2, 8] == adj[1, 8] == 1  # 患者 → 血压: all characters pairwise
    assert adj[3, 4] == 1  # 2004 → 年
    assert adj[4, 1] == adj[4, 2] == 1  # 年 → 患者
    assert adj[9, 10] == adj[10, 11] == adj[9, 11] == 1  # 120 / 80mg: one word over 3 tokens
    assert adj[9, 7] == adj[11, 8] == 1  # 120/80mg → 血压
    assert adj[3, 7] == 0  # 2004 and 血压 are not adjacent
    assert adj[0].sum() == 1 and adj[13].sum() == 1  # [CLS]/[SEP]: self-loop only


def test_adjacency_ignores_positions_outside_the_window() -> None:
    parse = Parse(((0, 2), (2, 4)), (1, -1))
    adj = token_adjacency(parse, [1, 2, 3, -1], 4)  # character 3 fell outside the window
    _check_adjacency(adj, 4)
    assert adj[1, 2] == adj[1, 3] == adj[2, 3] == 1
    adj = token_adjacency(parse, [1, 2, 7, 8], 4)  # positions ≥ n_tokens are ignored
    assert adj[1, 2] == 1 and adj.sum() == 4 + 2


def test_adjacency_empty() -> None:
    assert token_adjacency(Parse((), ()), [], 2).tolist() == [[1, 0], [0, 1]]
    assert token_adjacency(Parse((), ()), [], 0).shape == (0, 0)


@pytest.mark.parametrize("text", [TEXT, "发热3天，体温39.5℃，予hpv检测。", "叒叒主诉：腹痛\r\n\r\n伴恶心😷呕吐"])
def test_segmenter_words_to_tokens_cover_every_visible_char(text: str) -> None:
    spans = JiebaSegmenter().segment(text)
    covered = [False] * len(text)
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        for c in range(s, e):
            assert not covered[c]
            covered[c] = True
    for c, ch in enumerate(text):
        assert covered[c] == (not ch.isspace() and ch != "叒"), (c, ch)
    # one fake token per character: every word's characters map to distinct positions + 1
    c2t = char_to_token_from_offsets([(0, 0)] + [(i, i + 1) for i in range(len(text))] + [(0, 0)], len(text))
    adj = token_adjacency(Parse(tuple(spans), tuple([-1] * len(spans))), c2t, len(text) + 2)
    _check_adjacency(adj, len(text) + 2)
