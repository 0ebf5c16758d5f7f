"""One parse cache for everything: batch reads (``get_many``), one session per batch, and the
user's standalone cache reused by training from corpus files."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from madpg_core.storage import parse_cache as parse_cache_mod
from madpg_core.storage.parse_cache import SqlParseCache
from madpg_core.text.parser import CachedParser, MemoryParseCache
from madpg_core.text.protocol import Parse

VERSION = "fake-1"


def _parse(text: str) -> Parse:
    """A deterministic parse: one word per character, each headed by the next, the last the root."""
    n = len(text)
    return Parse(tuple((i, i + 1) for i in range(n)), tuple(list(range(1, n)) + [-1] if n else []), VERSION)


class BatchParser:
    """Counts calls and texts; parses in batches like SpacyParser."""

    version = VERSION

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.singles = 0

    @property
    def texts(self) -> int:
        return sum(self.batches) + self.singles

    def parse(self, text: str) -> Parse:
        self.singles += 1
        return _parse(text)

    def parse_many(self, texts: list[str]) -> list[Parse]:
        self.batches.append(len(texts))
        return [_parse(t) for t in texts]


class CountingSessions:
    """Wraps a sessionmaker and counts the sessions opened through it."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - sessionmaker
        self.inner = inner
        self.opened = 0

    def __call__(self):  # noqa: ANN204 - Session
        self.opened += 1
        return self.inner()


def _counted(path: Path) -> tuple[SqlParseCache, CountingSessions, CountingSessions]:
    base = SqlParseCache.standalone(path)
    reads, writes = CountingSessions(base.sessions), CountingSessions(base.writing)
    return SqlParseCache(reads, writes), reads, writes  # type: ignore[arg-type]


def test_get_many_matches_get_across_chunks(tmp_path: Path) -> None:
    cache = SqlParseCache.standalone(tmp_path / "c.sqlite")
    n = 2 * parse_cache_mod.GET_CHUNK + 200  # three IN (...) chunks
    texts = [f"患者{i}号胸痛" for i in range(n)]
    stored = texts[::2]
    cache.put_many([(t, _parse(t)) for t in stored])
    other = Parse(((0, 1),), (-1,), "other-version")
    cache.put_many([(texts[1], other)])  # another version of a text is not a hit for VERSION

    asked = [*reversed(texts), texts[0], "never stored"]  # out of order, a duplicate, a miss
    got = cache.get_many(asked, VERSION)
    assert len(got) == len(asked)
    assert got == [cache.get(t, VERSION) for t in asked]
    assert got == [_parse(t) if t in set(stored) else None for t in asked]
    assert sum(p is not None for p in got) == len(stored) + 1
    assert cache.get_many([texts[1]], "other-version") == [other]
    assert cache.get_many([], VERSION) == []


def test_memory_cache_get_many() -> None:
    cache = MemoryParseCache()
    cache.put_many([("甲", _parse("甲"))])
    assert cache.get_many(["乙", "甲"], VERSION) == [None, _parse("甲")]


def test_cached_parser_batch_reads_once_and_parses_misses_once(tmp_path: Path) -> None:
    cache, reads, writes = _counted(tmp_path / "c.sqlite")
    inner = BatchParser()
    parser = CachedParser(inner, cache)
    n = 1_200
    texts = [f"第{i}句：咳嗽三天。" for i in range(n)]

    first = parser.parse_many(texts)
    assert first == [_parse(t) for t in texts]
    assert inner.batches == [n] and inner.singles == 0  # every miss in one parse_many call
    assert reads.opened == 1 and writes.opened == 1  # one read session, one write transaction

    second = parser.parse_many(texts)
    assert second == first and inner.texts == n  # nothing parsed again
    assert reads.opened == 2 and writes.opened == 1  # O(1) sessions for a batch of 1,200 texts
    assert parser.hits == n and parser.misses == n

    partly = parser.parse_many([*texts[:10], "新的一句", texts[-1]])
    assert inner.batches == [n, 1] and reads.opened == 3 and writes.opened == 2
    assert partly[10] == _parse("新的一句")


def test_cached_parser_falls_back_to_get_without_get_many() -> None:
    class GetOnly:
        def __init__(self) -> None:
            self.inner = MemoryParseCache()
            self.gets = 0

        def get(self, text: str, parser_version: str) -> Parse | None:
            self.gets += 1
            return self.inner.get(text, parser_version)

        def put(self, text: str, parse: Parse) -> None:
            self.inner.put(text, parse)

    cache, inner = GetOnly(), BatchParser()
    parser = CachedParser(inner, cache)
    assert parser.parse_many(["甲", "乙"]) == [_parse("甲"), _parse("乙")]
    assert parser.parse_many(["乙", "甲"]) == [_parse("乙"), _parse("甲")]
    assert cache.gets == 4 and inner.batches == [2]


def test_standalone_at_head_skips_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from madpg_core.storage import db

    path = tmp_path / "c.sqlite"
    SqlParseCache.standalone(path).put("甲", _parse("甲"))
    calls: list[object] = []
    monkeypatch.setattr(db, "upgrade", lambda *a, **k: calls.append(a))
    again = SqlParseCache.standalone(path)
    assert calls == [] and again.get("甲", VERSION) == _parse("甲")


def test_make_pieces_parses_all_pieces_in_one_batch(tmp_path: Path) -> None:
    from madpg_core.domain import Record, Span
    from madpg_core.featurize import make_pieces
    from madpg_core.model.build import new_model
    from madpg_core.model.config import build_config

    cfg = build_config("bilstm-crf")  # a light encoder; the parser is given explicitly
    records = [Record(text=f"患者{i}天前发热。咳嗽，头痛。", spans=(Span(5, 7, "Symptom"),)) for i in range(30)]
    model = new_model(cfg, records)
    cache, reads, writes = _counted(tmp_path / "c.sqlite")
    inner = BatchParser()
    pieces = make_pieces(records, model.text, cfg.max_len, piece_chars=8, parser=CachedParser(inner, cache))
    assert len(pieces) > len(records) and all(p.adjacency is not None for p in pieces)
    assert len(inner.batches) == 1 and reads.opened == 1 and writes.opened == 1


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM parses").fetchone()[0]


def test_corpus_training_reuses_the_user_parse_cache(tmp_path: Path, sealed_home: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import madpg_core.text.parser as parser_mod
    from madpg_core.cli import main
    from madpg_core.paths import parse_cache_path

    inner = BatchParser()
    monkeypatch.setattr(parser_mod, "load_default_parser", lambda: inner)
    data = tmp_path / "d.jsonl"
    lines = []
    for i in range(6):
        text = f"患者头痛{i}天，服用布洛芬。"
        s = text.index("布洛芬")
        lines.append({"text": text, "spans": [{"start": 2, "end": 4, "label": "Symptom"},
                                              {"start": s, "end": s + 3, "label": "Drug"}]})
    data.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    args = ["train", "--preset", "madpg-tiny", "--train", str(data), "--dev", str(data), "--format", "jsonl",
            "--epochs", "1", "--device", "cpu"]

    assert main([*args, "--out", str(tmp_path / "m1")]) == 0
    path = parse_cache_path()
    assert path.is_file() and path.is_relative_to(sealed_home)
    parsed, rows = inner.texts, _rows(path)
    assert parsed > 0 and rows > 0
    first = re.search(r"dependency parses: (\d+) from the cache, (\d+) parsed", capsys.readouterr().err)
    assert first and int(first[2]) == parsed
    total = int(first[1]) + int(first[2])

    assert main([*args, "--out", str(tmp_path / "m2")]) == 0
    assert inner.texts == parsed  # the second run parsed nothing
    assert _rows(path) == rows
    assert f"dependency parses: {total} from the cache, 0 parsed" in capsys.readouterr().err


def test_parse_ahead_fills_the_cache_with_the_pieces_predict_reads() -> None:
    """Issue 20: the background parse after an import parses what a later pre-label will look up.
    The cache is keyed by piece text, so a long record parsed whole would miss every piece."""
    from madpg_core.domain import Record
    from madpg_core.inference.predictor import Predictor
    from madpg_core.model.build import new_model
    from madpg_core.model.config import build_config, tiny

    long_text = "患者反复胸闷气促三年。" * 30  # 300 characters: several 64-character pieces
    records = [Record(long_text), Record("咳嗽咳痰两周，伴低热。")]
    cfg = tiny(build_config("madpg-lite"), image_encoder="none", use_gcn=True, piece_chars=64,
               entity_types=("Symptom",), min_bigram_count=1)
    inner = BatchParser()
    predictor = Predictor(new_model(cfg, records).eval(), parser=CachedParser(inner, MemoryParseCache()), device="cpu")
    pieces = predictor.parse_ahead(records)
    assert pieces > len(records)  # the long record was cut
    assert inner.texts == pieces
    predictor.predict(records)
    assert inner.texts == pieces  # every piece the model read came from the cache
    whole = CachedParser(BatchParser(), MemoryParseCache())
    whole.parse_many([r.text for r in records])  # what a record-level warm-up would have done
    p2 = Predictor(predictor.model, parser=whole, device="cpu")
    p2.predict(records)
    assert whole.parser.texts > len(records)  # it missed: the pieces were parsed again


def test_training_says_how_far_its_parse_is() -> None:
    """Issue 20: the train dialog showed "Starting…" for 20 s while the data were parsed; training
    now reports the parse batch by batch (cache misses only), before the first step."""
    from madpg_core.domain import Record, Span
    from madpg_core.model.config import build_config, tiny
    from madpg_core.train.loop import fit

    records = [Record(f"患者{i}号反复胸闷气促。", (Span(5, 7, "Symptom"),)) for i in range(40)]
    cfg = tiny(build_config("madpg-lite"), image_encoder="none", use_gcn=True, epochs=1, min_bigram_count=1,
               entity_types=("Symptom",))
    seen = []
    fit(cfg, records, [], parser=BatchParser(), device="cpu", on_progress=seen.append)
    parsing = [(p.parsed, p.to_parse) for p in seen if p.to_parse]
    assert parsing == [(16, 40), (32, 40), (40, 40)]
    first_step = next(i for i, p in enumerate(seen) if p.step > 0)
    assert max(i for i, p in enumerate(seen) if p.to_parse) < first_step
