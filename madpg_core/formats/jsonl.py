"""This project's own lossless format: one JSON object per line.

``{"name", "text", "status", "images": [paths], "spans": [{"start", "end", "label", "text", "source",
"model_version", "confidence", "assertion", "layer"}]}`` — offsets are Python str indices, end
exclusive. A span's "text" is written for people reading the file; when present on import it must
match the offsets. "assertion" is left out when "present" and "layer" when 0 (the defaults, what
files written before they existed mean). Image paths are relative to the file's folder (an export
writes ``OUT_images/original-name.png``).

A record with regions drawn on its images (issue 18) also carries ``"regions": [{"image", "frame",
"kind", "points", "annotator", "spans": [{"start", "end", "layer"}]}]`` — ``image`` the image's
index in ``images`` (0 first), ``frame`` its frame (0 unless multi-frame), ``kind`` "box" (two
corners) or "polygon", ``points`` ``[[x, y], …]`` in the image's pixels, ``spans`` the spans the
region is linked to, by offsets (and layer when not 0) — and ``"not_visible": [{"start", "end",
"layer"}]``, its spans marked not visible in the images. Both keys are left out when empty: a file
written before them, or by another tool, reads as before.

Every field is checked strictly: a wrong type is a FormatError naming the line, never a silent
conversion (``"start": 1.9`` is not 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from madpg_core.domain import (
    AssertionStatus,
    ImportReport,
    Record,
    RecordStatus,
    Span,
    SpanSource,
)
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
from madpg_core.regions import (
    REGION_KINDS,
    GroundedRecord,
    PortableRegion,
    RecordGrounding,
    SpanKey,
    grounding_of,
)


def read(path: Path, report: ImportReport, encoding: str = "utf-8", on_progress: Progress | None = None, *,
         images: ImageRefs | None = None) -> list[Record]:
    refs = images or ImageRefs()

    def convert(obj: dict, line: int, index: int) -> Record:
        text = obj["text"]  # read_json_lines checked it is a valid str
        found = tuple(_image(path, line, ref, refs) for ref in list_of(obj, "images", str, "a string"))
        spans = tuple(_span(d, text) for d in list_of(obj, "spans", dict, "an object"))
        record = Record(text, spans, found, optional_str(obj, "name"),
                        enum_value(obj, "status", RecordStatus, RecordStatus.NEW))
        grounding = _grounding(obj)
        if not grounding:
            return record
        grounding.check(record)  # strictly: a link to a span the line lacks is an error here
        return GroundedRecord(record.text, record.spans, record.images, record.name, record.status,
                              grounding=grounding)

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


def _grounding(obj: dict) -> RecordGrounding:
    regions = tuple(_region(d, n) for n, d in enumerate(list_of(obj, "regions", dict, "an object"), 1))
    hidden = tuple(_span_key(d, "not_visible") for d in list_of(obj, "not_visible", dict, "an object"))
    return RecordGrounding(regions, hidden)


def _region(d: dict, n: int) -> PortableRegion:
    where = f'"regions" item {n}'
    kind = d["kind"]
    if kind not in REGION_KINDS:
        raise ValueError(f'{where}: "kind" must be one of {", ".join(REGION_KINDS)}; got {describe(kind)}')
    points = d["points"]
    if not isinstance(points, list) or not all(isinstance(p, list) for p in points):
        raise TypeError(f'{where}: "points" must be an array of [x, y] pairs, not {describe(points)}')
    annotator = d.get("annotator")
    if annotator is not None and (not isinstance(annotator, str) or not annotator):
        raise TypeError(f'{where}: "annotator" must be a name or null, not {describe(annotator)}')
    try:
        return PortableRegion(offset(d["image"], "image"), offset(d.get("frame", 0), "frame"), kind,
                              tuple(tuple(p) for p in points), annotator,
                              tuple(_span_key(s, "spans") for s in list_of(d, "spans", dict, "an object")))
    except MadpgError as e:
        raise ValueError(f"{where}: {e}") from None


def _span_key(d: dict, key: str) -> SpanKey:
    start, end, layer = offset(d["start"], "start"), offset(d["end"], "end"), offset(d.get("layer", 0), "layer")
    if end <= start:
        raise ValueError(f'"{key}": a span ends after it starts, not [{start}, {end})')
    return (start, end, layer)


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
    d = {
        "name": record.name,
        "text": record.text,
        "status": record.status.value,
        "images": list(record.images),
        "spans": [_span_json(s, record.text) for s in record.spans],
    }
    grounding = grounding_of(record)
    if grounding.regions:
        d["regions"] = [_region_json(r) for r in grounding.regions]
    if grounding.not_visible:
        d["not_visible"] = [_span_key_json(k) for k in grounding.not_visible]
    return d


def _region_json(r: PortableRegion) -> dict:
    d = {"image": r.image_index, "frame": r.frame, "kind": r.kind, "points": [[x, y] for x, y in r.points]}
    if r.annotator:
        d["annotator"] = r.annotator
    d["spans"] = [_span_key_json(k) for k in r.spans]
    return d


def _span_key_json(k: SpanKey) -> dict:
    return {"start": k[0], "end": k[1], "layer": k[2]} if k[2] else {"start": k[0], "end": k[1]}


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
