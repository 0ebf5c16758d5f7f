"""This project's own lossless format: one JSON object per line.

``{"name", "text", "status", "images": [paths], "spans": [{"start", "end", "label", "text", "source",
"model_version", "confidence", "assertion", "layer"}]}`` — offsets are Python str indices, end
exclusive. A span's "text" is written for people reading the file; when present on import it must
match the offsets. "assertion" is left out when "present" and "layer" when 0 (the defaults, what
files written before they existed mean). Image paths are relative to the file's folder (an export
writes ``OUT_images/original-name.png``).

Every field is checked strictly: a wrong type is a FormatError naming the line, never a silent
conversion (``"start": 1.9`` is not 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from madpg_core.domain import AssertionStatus, ImportReport, Record, RecordStatus, Span, SpanSource
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats.common import (
    LINE_BREAKS_JSON_KEEPS,
    ImageRefs,
    Progress,
    WriteCounts,
    confidence,
    describe,
    enum_value,
    list_of,
    non_empty_str,
    offset,
    optional_str,
    read_json_lines,
)


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:
    refs = images or ImageRefs()

    def convert(obj: dict, line: int, index: int) -> Record:
        text = obj["text"]  # read_json_lines checked it is a valid str
        found = tuple(_image(path, line, ref, refs) for ref in list_of(obj, "images", str, "a string"))
        spans = tuple(_span(d, text) for d in list_of(obj, "spans", dict, "an object"))
        return Record(text, spans, found, optional_str(obj, "name"),
                      enum_value(obj, "status", RecordStatus, RecordStatus.NEW))

    return read_json_lines(path, encoding, convert, on_progress)


def _span(d: dict, text: str) -> Span:
    span = Span(offset(d["start"], "start"), offset(d["end"], "end"), non_empty_str(d["label"], "label"),
                enum_value(d, "source", SpanSource, SpanSource.ANNOTATOR), _model_version(d.get("model_version")),
                confidence(d.get("confidence")),
                assertion=enum_value(d, "assertion", AssertionStatus, AssertionStatus.PRESENT).value,
                layer=d.get("layer", 0))  # Span refuses anything but an int ≥ 0 (1.9, true, "1")
    if "text" in d and span.end <= len(text) and d["text"] != span.text_in(text):
        # Offsets counted in UTF-16 units or bytes (other tools do) land here instead of shifting silently.
        raise ValueError(f"span [{span.start}, {span.end}) {span.label}: its \"text\" is {describe(d['text'])} but "
                         f"the text there is {describe(span.text_in(text))}; offsets must count characters "
                         "(code points)")
    return span


def _model_version(value: object) -> str | None:
    """null, a string, or an integer (kept as its digits: the project stores versions as text)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f'"model_version" must be null, a string or an integer, not {describe(value)}')


def _image(jsonl: Path, line: int, ref: str, refs: ImageRefs) -> str:
    found = refs.resolve(ref, jsonl, line, base=jsonl.parent)
    if not found.is_file():
        raise FormatError(jsonl, line, f"image {ref!r} not found (looked for {found})")
    return str(found)


def to_json(record: Record) -> dict:
    return {
        "name": record.name,
        "text": record.text,
        "status": record.status.value,
        "images": list(record.images),
        "spans": [_span_json(s, record.text) for s in record.spans],
    }


def _span_json(s: Span, text: str) -> dict:
    d = {"start": s.start, "end": s.end, "label": s.label, "text": text[s.start:s.end], "source": s.source.value,
         "model_version": s.model_version, "confidence": s.confidence}
    if s.assertion != AssertionStatus.PRESENT.value:
        d["assertion"] = s.assertion
    if s.layer:
        d["layer"] = s.layer
    return d


def dumps(record: Record) -> str:
    """One record as one line: no character any line splitter breaks at stays raw."""
    try:
        line = json.dumps(to_json(record), ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN/inf confidence would write a file our own reader refuses
        who = f"record {record.name!r}" if record.name else f"record #{record.id}"
        raise MadpgError(f"{who}: a confidence is not a finite number; it cannot be written") from None
    return line.translate(LINE_BREAKS_JSON_KEEPS)


def write(records: Iterable[Record], out) -> WriteCounts:  # out: a text file
    n = 0
    for r in records:
        out.write(dumps(r) + "\n")
        n += 1
    return WriteCounts(n)
