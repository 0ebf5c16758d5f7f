"""Property-based round trips at the formats level: records written by a writer and read back by the
matching reader are the same records. Texts mix every line separator str.splitlines() knows, odd
whitespace, astral characters and CJK; lone surrogates are left out (the readers refuse them, see
test_formats_hostile.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madpg_core.domain import Record, RecordStatus, Span, SpanSource
from madpg_core.formats import WriteCounts, conll, jsonl, read_records

SEPARATORS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]
SPACES = [" ", "\t", "\u3000", "\u00a0", "\ufeff"]
WIDE = ["😀", "👩\u200d⚕️", "𠀀", "𪚥", "患", "者", "肺", "炎", "，", "é\u0301", "<", ">", "<SP>", "IMGID:"]
PIECES = st.one_of(  # pieces, not single characters: "\r\n" and the ZWJ emoji sequence are several
    st.sampled_from(SEPARATORS + SPACES + WIDE),
    st.characters(exclude_categories=("Cs",)),  # anything but a lone surrogate
)
TEXT = st.lists(PIECES, max_size=25).map("".join)
BIO_LABELS = st.sampled_from(["Disease", "Symptom", "症状", "解剖部位", "X_1", "a-b"])
ANY_LABEL = st.lists(PIECES, min_size=1, max_size=6).map("".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def spans_for(draw: st.DrawFn, text: str, labels: st.SearchStrategy[str], full: bool) -> tuple[Span, ...]:
    """Random non-overlapping spans: sorted distinct cut points, taken in pairs."""
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2]):
        if not full:
            spans.append(Span(start, end, draw(labels)))
            continue
        source = draw(st.sampled_from(SpanSource))
        version = draw(st.none() | TEXT) if source == SpanSource.MODEL else draw(st.none() | st.just("v1"))
        conf = draw(st.none() | st.floats(0, 1))
        spans.append(Span(start, end, draw(labels), source, version, conf))
    return tuple(spans)


@st.composite
def jsonl_records(draw: st.DrawFn, images: list[str]) -> Record:
    text = draw(TEXT)
    return Record(text, draw(spans_for(text, ANY_LABEL, True)), tuple(draw(st.lists(st.sampled_from(images),
                                                                                     max_size=2))),
                  draw(TEXT), draw(st.sampled_from(RecordStatus)))


@st.composite
def bio_records(draw: st.DrawFn) -> Record:
    text = draw(TEXT.filter(bool))
    return Record(text, draw(spans_for(text, BIO_LABELS, False)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("roundtrip")
    for name in ("a.png", "b 2.jpg", "病例.dcm"):
        (d / name).write_bytes(b"img")
    return d


def _write(path: Path, writer, records: list[Record]) -> WriteCounts:  # writer: a format's write
    with open(path, "w", encoding="utf-8", newline="\n") as f:  # as transfer.export_project opens it
        return writer(records, f)


@SETTINGS
@given(data=st.data())
def test_jsonl_round_trip_keeps_every_field(folder: Path, data: st.DataObject) -> None:
    images = sorted(str(p) for p in folder.iterdir() if p.suffix != ".jsonl")
    records = data.draw(st.lists(jsonl_records(images), min_size=1, max_size=4))
    path = folder / "data.jsonl"
    assert _write(path, jsonl.write, records) == WriteCounts(len(records))
    raw = path.read_text(encoding="utf-8")
    assert len(raw.splitlines()) == len(records)  # no character any line splitter breaks at is left raw
    back, report = read_records(path, "jsonl")
    assert back == records  # texts, spans (source, version, confidence), images, names, status
    assert not report.warnings


@SETTINGS
@given(data=st.data())
def test_bio_round_trip_keeps_texts_and_spans(folder: Path, data: st.DataObject) -> None:
    records = data.draw(st.lists(bio_records(), min_size=1, max_size=4))
    empties = data.draw(st.integers(0, 2))
    path = folder / "data.bio"
    assert _write(path, conll.write, [Record("")] * empties + records) == WriteCounts(len(records), empties)
    raw = path.read_text(encoding="utf-8")
    assert raw.splitlines() == raw.split("\n")[:-1]  # every separator in a text was written as a name
    back, report = read_records(path, "bio")
    assert [r.text for r in back] == [r.text for r in records]
    assert [r.spans for r in back] == [r.spans for r in records]
    assert not report.warnings
