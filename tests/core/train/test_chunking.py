"""Long texts are split at sentence ends, never truncated, never inside an entity if avoidable."""

from __future__ import annotations

from madpg_core.inference.chunking import split_text


def test_pieces_cover_the_text_in_order() -> None:
    text = "甲乙丙。丁戊己庚。辛壬，癸子丑寅卯辰巳午未申酉戌亥"
    pieces = split_text(text, 6)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))
    assert all(0 < e - s <= 6 for s, e in pieces)
    assert text[pieces[0][1] - 1] == "。"  # cut after a sentence end first


def test_forbidden_cuts_are_avoided() -> None:
    text = "一二三四五六七八九十"
    pieces = split_text(text, 5, forbidden={5, 4})
    assert all(e not in (4, 5) for _, e in pieces[:-1])


def test_short_and_empty_texts() -> None:
    assert split_text("短", 10) == [(0, 1)]
    assert split_text("", 10) == [(0, 0)]
