"""Segmentation robustness, the parse cache, and the shipped spaCy pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from madpg_core.errors import MadpgError
from madpg_core.paths import parser_model_dir
from madpg_core.text.parser import (
    CachedParser,
    JiebaSegmenter,
    MemoryParseCache,
    load_parser,
    split_sentences,
)
from madpg_core.text.protocol import Parse

ODD_TEXTS = ["", "\r\n", "   ", "叒", "😷", "a", "。。。", "体温39.5℃叒血压120/80mmhg\r\n主诉：", "ｅｃｇ（－）；ct示：肺炎？"]
CLINICAL = "患者3天前无明显诱因出现发热，体温最高39.5℃，伴咳嗽、咳痰，胸部ct示右下肺炎。"

needs_pipeline = pytest.mark.skipif(
    not (parser_model_dir() / "config.cfg").is_file(),
    reason=f"shipped parser pipeline not found at {parser_model_dir()} (run `madpg parser train`)",
)


def _assert_valid(text: str, parse: Parse) -> None:
    prev_end = 0
    for s, e in parse.words:
        assert prev_end <= s < e <= len(text)
        assert text[prev_end:s].strip(" \t\r\n叒") == ""  # nothing visible is left out
        prev_end = e
    assert text[prev_end:].strip(" \t\r\n叒") == ""
    n = len(parse.words)
    for i, h in enumerate(parse.heads):
        assert h == -1 or (0 <= h < n and h != i)
    if n:
        assert -1 in parse.heads
    # no cycles: following heads from any word reaches a root
    for i in range(n):
        seen, j = set(), i
        while j != -1:
            assert j not in seen
            seen.add(j)
            j = parse.heads[j]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_segmenter_never_crashes(text: str) -> None:
    spans = JiebaSegmenter().segment(text)
    assert all(text[s:e].strip() and "叒" not in text[s:e] for s, e in spans)


def test_split_sentences() -> None:
    text = "发热。咳嗽\r\n头痛"
    words = [(0, 2), (2, 3), (3, 5), (7, 9)]
    assert split_sentences(text, words) == [range(0, 2), range(2, 3), range(3, 4)]
    assert split_sentences("", []) == []
    many = [(i, i + 1) for i in range(7)]
    assert split_sentences("a" * 7, many, max_words=3) == [range(0, 3), range(3, 6), range(6, 7)]


class CountingParser:
    version = "fake-1"

    def __init__(self) -> None:
        self.calls = 0

    def parse(self, text: str) -> Parse:
        self.calls += 1
        return Parse(((0, len(text)),) if text else (), (-1,) if text else (), self.version)


def test_cached_parser_parses_once_per_text_and_version() -> None:
    inner, cache = CountingParser(), MemoryParseCache()
    parser = CachedParser(inner, cache)
    first = parser.parse_many(["甲", "乙", "甲"])
    assert inner.calls == 3 and len(cache) == 2
    assert parser.parse("甲") == first[0] and parser.parse("乙") == first[1]
    assert inner.calls == 3 and parser.hits == 2
    inner.version = "fake-2"
    parser2 = CachedParser(inner, cache)
    parser2.parse("甲")
    assert inner.calls == 4 and len(cache) == 3  # another parser version is another key


def test_missing_pipeline_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(MadpgError, match="not found"):
        load_parser(tmp_path)


@pytest.fixture(scope="module")
def shipped():  # -> SpacyParser
    return load_parser()


@needs_pipeline
def test_shipped_pipeline_parses_a_clinical_sentence(shipped, monkeypatch: pytest.MonkeyPatch) -> None:
    # Offline: no network access is possible or needed (spaCy and jieba read local files only).
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    parse = shipped.parse(CLINICAL)
    _assert_valid(CLINICAL, parse)
    words = [CLINICAL[s:e] for s, e in parse.words]
    assert "患者" in words and "发热" in words
    assert parse.parser_version == shipped.version and "madpg_parser" in shipped.version


@needs_pipeline
def test_shipped_pipeline_odd_and_long_texts(shipped) -> None:
    long_text = (CLINICAL + "叒\r\n") * 500 + "无标点" * 500  # > 20,000 characters
    texts = [*ODD_TEXTS, long_text]
    for text, parse in zip(texts, shipped.parse_many(texts), strict=True):
        _assert_valid(text, parse)
    assert len(long_text) > 20_000


@needs_pipeline
def test_shipped_pipeline_loads_with_spacy_and_its_jieba_tokenizer() -> None:
    import spacy

    nlp = spacy.load(parser_model_dir())
    assert nlp.tokenizer.segmenter == "jieba"
    doc = nlp("患者发热。")
    assert [t.text for t in doc][:2] == ["患者", "发热"]


@needs_pipeline
def test_shipped_pipeline_scores_on_gsdsimp_sample(shipped, shared_data: Path) -> None:
    from madpg_core.text.conllu import read_conllu
    from madpg_core.text.parser_training import evaluate

    sentences = list(read_conllu(shared_data / "ud" / "zh_gsdsimp-ud-test.conllu"))[:100]
    result = evaluate(shipped, sentences)
    assert result.uas > 55 and result.seg_f1 > 70


def test_cli_evaluate_missing_file(tmp_path: Path) -> None:
    from madpg_core.cli import parser_cmds

    ap = argparse.ArgumentParser()
    parser_cmds.register(ap.add_subparsers(dest="command"))
    args = ap.parse_args(["parser", "evaluate", str(tmp_path / "nope.conllu")])
    with pytest.raises(MadpgError, match="no such CoNLL-U file"):
        args.func(args)


def test_bmes_round_trip() -> None:
    from madpg_core.text.parser import bmes_tags, spans_from_tags

    spans = [(0, 2), (2, 3), (3, 7)]
    tags = bmes_tags(spans, 7)
    assert tags == ["B", "E", "S", "B", "M", "M", "E"]
    assert spans_from_tags(tags) == spans
    assert spans_from_tags(["M", "E", "E", "B"]) == [(0, 3), (3, 4)]  # inconsistent tags still partition
    assert spans_from_tags([]) == []


@needs_pipeline
def test_shipped_segmenter_batches_like_single_texts(shipped) -> None:
    spans = shipped.segmenter.segment(CLINICAL)
    assert shipped.segmenter.segment_many([CLINICAL, ""]) == [spans, []]
    assert 10 < len(spans) < len(CLINICAL)
